-- 0004: what the scheduler needs: job runs can be skipped (a holiday, a
-- catch-up window missed) with a reason, and the nagging cap counts a
-- chat's reminders by index.

-- job_runs.status has a CHECK, which SQLite cannot alter in place: the
-- table is rebuilt. Migrations run inside a transaction, where PRAGMA
-- foreign_keys cannot be turned off, and outbox rows reference job_runs
-- (job, scheduled_at). So the foreign keys are deferred to the commit (the
-- pragma ends with the transaction): dropping job_runs counts one pending
-- violation per outbox row of a run, and inserting each run back into the
-- table of the same name resolves them, so the commit sees none. The table
-- is never renamed: a rename would rewrite outbox's REFERENCES clause.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE job_runs_0003 AS SELECT * FROM job_runs;

DROP TABLE job_runs;

-- Scheduled job runs, keyed by (job, scheduled time).
CREATE TABLE job_runs (
    job          TEXT    NOT NULL,
    scheduled_at INTEGER NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('running', 'done', 'failed', 'skipped')),
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    error        TEXT    NOT NULL DEFAULT '',
    reason       TEXT    NOT NULL DEFAULT '',  -- why a run was skipped
    PRIMARY KEY (job, scheduled_at)
);

INSERT INTO job_runs (job, scheduled_at, status, started_at, finished_at, error)
SELECT job, scheduled_at, status, started_at, finished_at, error FROM job_runs_0003;

DROP TABLE job_runs_0003;

-- The nagging cap (RemindersQueuedSince): messages of job runs by creation
-- time. It covers the query (SQLite wants job in it, though the WHERE
-- implies it); the WHERE must stay identical to the query's term for
-- SQLite to use it.
CREATE INDEX outbox_job_created ON outbox (created_at, chat_id, status, job)
    WHERE job IS NOT NULL;
