-- 0011: the words a cadre wrote about an item, as written (the message
-- without the code, or its part about this item when it names several):
-- note holds only what the reader left after taking out the figures, so
-- "累计接待客商12批" was shown as "累计接待客商". Rows from before keep ''
-- and are shown as figure plus note. Adding a column rewrites no row, so
-- the immutability triggers of 0001 are untouched.
ALTER TABLE reports ADD COLUMN words TEXT NOT NULL DEFAULT '';
