-- 0015: fewer indexes to write for every reply and report (issue 15).
-- Every index a row is in is one more page written and checksummed into
-- the WAL at each commit: a reply was written into five b-trees when
-- queued and four when sent, and the sender commits once per reply.
--
-- outbox_drain (pending by priority) served only the operator's list of
-- pending messages, and outbox_lane (a chat's unsent sends) FailChat and
-- RetargetChat: they now read the lanes', answers' and held reminders'
-- partial indexes, which hold exactly the unsent rows (storage.unsentIDs).
DROP INDEX outbox_drain;
DROP INDEX outbox_lane;
-- Only a job run's messages name a run: replies stay out of the index.
DROP INDEX outbox_job_run;
CREATE INDEX outbox_job_run ON outbox (job, scheduled_at) WHERE job IS NOT NULL;
-- Few reports supersede another; every lookup is supersedes = ?.
DROP INDEX reports_supersedes;
CREATE UNIQUE INDEX reports_supersedes ON reports (supersedes) WHERE supersedes IS NOT NULL;
