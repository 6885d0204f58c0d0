-- 0009: a question's id is never given again. Without AUTOINCREMENT SQLite
-- hands the id of a question just answered (deleted) to the next one, so a
-- button left on the old question's message would answer the new one (a
-- 确认 press confirming a different falling figure).
CREATE TABLE pending_questions_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id    INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    kind       TEXT    NOT NULL,
    payload    TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
INSERT INTO pending_questions_new (id, chat_id, user_id, kind, payload, created_at)
    SELECT id, chat_id, user_id, kind, payload, created_at FROM pending_questions;
DROP TABLE pending_questions;
ALTER TABLE pending_questions_new RENAME TO pending_questions;
CREATE INDEX pending_questions_created ON pending_questions (created_at);
-- PendingFor: the newest question to a user in a chat.
CREATE INDEX pending_questions_user ON pending_questions (chat_id, user_id, id);
