-- 0006: reserved for another change of issue 11; a placeholder on the
-- i11-delivery branch only, so that 0008 has its predecessors. Replace it
-- with the real 0006 when merging.
SELECT 1;
