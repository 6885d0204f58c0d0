-- 0013: a second platform (WeCom) beside Telegram.
--
-- Every change adds: new tables, and columns with a default that reads as
-- "none" for every row already stored, so no row is copied or rewritten.

-- When each account last wrote to the bot: a person with accounts on
-- several platforms is reminded where they wrote last
-- (planbot.ReminderChat). One row per account, the latest time only.
CREATE TABLE account_seen (
    user_id TEXT    NOT NULL PRIMARY KEY,  -- planbot.UserID
    seen_at INTEGER NOT NULL
);

-- The EventRef of the message a reply answers (WeCom's req_id): the
-- adapter may answer through it. '' for every message queued so far, as
-- none of them answers such an event.
ALTER TABLE outbox ADD COLUMN reply_ref TEXT NOT NULL DEFAULT '';

-- The platform a person's reminders go to, from the plan (YAML prefer:);
-- '' lets the account used last decide. Which platforms exist is the
-- config's business, so no CHECK names them.
ALTER TABLE people ADD COLUMN prefer TEXT NOT NULL DEFAULT '';

-- The inbox of platforms that deliver an event once and never again
-- (WeCom pushes a frame over its long connection; Telegram's updates are
-- kept by Telegram until the poll offset confirms them, telegram_updates).
-- An event is stored as it arrives, before it is handled, so a crash in
-- between loses nothing; handled_at is set in the transaction that applies
-- it, and its payload (the frame and any file downloaded with it, up to
-- ~25 MiB) is cleared then: only the key is kept, to refuse a duplicate,
-- until the daily housekeeping purges it. A rowid table, not WITHOUT
-- ROWID: its rows may be megabytes.
CREATE TABLE inbound_events (
    platform    TEXT    NOT NULL,
    event_id    TEXT    NOT NULL,  -- the platform's id of the event (WeCom's msgid)
    payload     BLOB,              -- NULL once handled
    received_at INTEGER NOT NULL,
    handled_at  INTEGER,           -- NULL while pending
    PRIMARY KEY (platform, event_id)
);
-- PendingInbound: a platform's unhandled events, oldest first (received_at,
-- then rowid, which the index holds last). Partial: pending rows are few,
-- handled ones many.
CREATE INDEX inbound_events_pending ON inbound_events (platform, received_at)
    WHERE handled_at IS NULL;
-- PurgeInbound: handled rows by age. A comparison on handled_at implies
-- it is NOT NULL, so SQLite uses the partial index for handled_at < ?.
CREATE INDEX inbound_events_handled ON inbound_events (handled_at)
    WHERE handled_at IS NOT NULL;

-- Files a platform lends only for a while (WeCom's download links last
-- minutes), kept under the evidence reference a report names
-- ("wecom:<msgid>"). Written once: the same reference is the same file.
CREATE TABLE evidence_files (
    ref        TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL DEFAULT '',  -- the file's name, '' for a picture without one
    data       BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);
