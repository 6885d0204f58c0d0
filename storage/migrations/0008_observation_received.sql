-- 0008: when the bot received an observation. observed_at is the moment
-- the figure describes, which a late figure (工商税收 累计2000万 @11月1日)
-- puts days back; the undo window and /undo run from receipt. NULL on rows
-- stored before, and on figures no person sent: received when observed.
ALTER TABLE observations ADD COLUMN received_at INTEGER;
