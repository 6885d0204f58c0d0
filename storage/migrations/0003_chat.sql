-- 0003: what the chat bot needs: Telegram bindings made with invite codes,
-- questions waiting for an answer, an audit log of unknown users, late
-- reports' dates, indexes for /undo, and an outbox a sender can drain in
-- per-chat order.

-- A Telegram user bound to a person by an invite code. One binding per
-- Telegram id and per person: binding a person again replaces the old row.
-- Plan sync never touches this table (people are archived, never deleted).
CREATE TABLE telegram_bindings (
    telegram_id INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL UNIQUE REFERENCES people (id),
    invite      TEXT    NOT NULL UNIQUE,
    bound_at    INTEGER NOT NULL
);

-- Every invite code ever spent, so that one stays spent after the binding
-- it made was replaced.
CREATE TABLE spent_invites (
    invite      TEXT    PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    telegram_id INTEGER NOT NULL,
    spent_at    INTEGER NOT NULL
);

-- Questions the bot asked and waits for an answer to (planbot.Pending).
CREATE TABLE pending_questions (
    id         INTEGER PRIMARY KEY,
    chat_id    INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    payload    TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX pending_questions_created ON pending_questions (created_at);
-- PendingFor: the newest question to a user in a chat.
CREATE INDEX pending_questions_user ON pending_questions (chat_id, user_id, id);

-- What unknown or refused users tried (planbot.AuditEntry). Append-only.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    telegram_id INTEGER NOT NULL DEFAULT 0,
    chat_id     INTEGER NOT NULL DEFAULT 0,
    action      TEXT    NOT NULL,
    detail      TEXT    NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- A late report names the day its figures describe ('YYYY-MM-DD'); NULL
-- when they describe the day it was sent.
ALTER TABLE reports ADD COLUMN as_of_date TEXT;

-- /undo: the newest rows a person sent.
CREATE INDEX reports_reporter ON reports (reporter_id, id);
CREATE INDEX observations_reporter ON observations (reporter_id, id);

-- The outbox learns edits, callback answers and uploads.
ALTER TABLE outbox ADD COLUMN method TEXT NOT NULL DEFAULT 'send'
    CHECK (method IN ('send', 'edit', 'answer'));
ALTER TABLE outbox ADD COLUMN edit_message_id INTEGER;
ALTER TABLE outbox ADD COLUMN callback_query_id TEXT;
ALTER TABLE outbox ADD COLUMN file_name TEXT;
ALTER TABLE outbox ADD COLUMN file_data BLOB;      -- an upload; cleared once the message is settled
ALTER TABLE outbox ADD COLUMN given_up_at INTEGER; -- when it became failed or uncertain

-- A chat's lane: its unsent sends and edits in order. The lowest id of a
-- chat is its head, the only one of the chat that may be sent (see ClaimNext).
-- The WHERE must stay identical to the queries' terms for SQLite to use it.
CREATE INDEX outbox_lane ON outbox (chat_id, id)
    WHERE status IN ('pending', 'sending') AND method <> 'answer';
-- Callback answers are in no lane: each may go as soon as it is due.
CREATE INDEX outbox_answer ON outbox (priority DESC, id)
    WHERE status = 'pending' AND method = 'answer';
CREATE INDEX outbox_given_up ON outbox (given_up_at)
    WHERE status IN ('failed', 'uncertain');
