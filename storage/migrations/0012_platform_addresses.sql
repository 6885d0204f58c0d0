-- 0012: chats and people are addressed by platform, not by Telegram id.
--
-- Every chat and account the database names becomes a planbot.ChatID or
-- planbot.UserID: TEXT "platform:id", "telegram:-1001234567" for what
-- was the Telegram id -1001234567 (every row so far is Telegram's). Where
-- 0 meant "none" (a report made by a button, an audit row of no chat, an
-- invite exposed by an anonymous admin), the address is ''. The outbox
-- keeps messages in the domain's terms (planbot.OutboxMessage): its own
-- JSON for buttons, an attachment kind, HTML text.
--
-- Rebuilt tables are copied into a new table, the old one dropped and the
-- new one renamed: no table references outbox, pending_questions,
-- audit_log, telegram_bindings or spent_invites, so no REFERENCES clause
-- is rewritten and no foreign key is left dangling. reports and people are
-- referenced (reports by itself, people by nearly every table): they are
-- changed in place, column by column.

-- The outbox. parse_mode goes: a message's Text is HTML, always, and a
-- button's toast (an answer) plain text, as a toast shows no markup. The
-- bot wrote 'HTML', or '' for a toast; any other row with '' is escaped,
-- so that it reads the same as HTML. reply_markup was Telegram's inline keyboard,
-- {"inline_keyboard":[[{"text":…,"callback_data":…}]]}, a row possibly
-- null; buttons is planbot.Keyboard as [[{"text":…,"data":…}]], rows and
-- buttons in their order, '' for none (an empty keyboard was none too).
-- photo and document held the upload's file name: the kind is what is left
-- (the name is in file_name). A chat of 0 (an answer with no chat, in old
-- tests only) still names Telegram, whose sender must deliver it.
CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY,
    method          TEXT    NOT NULL DEFAULT 'send' CHECK (method IN ('send', 'edit', 'answer')),
    chat_id         TEXT    NOT NULL,                 -- planbot.ChatID
    text            TEXT    NOT NULL DEFAULT '',      -- HTML
    buttons         TEXT    NOT NULL DEFAULT '',      -- JSON of planbot.Keyboard, '' for none
    edit_message_id INTEGER,
    press_id        TEXT,                             -- the button press an answer answers
    attachment      TEXT    NOT NULL DEFAULT '' CHECK (attachment IN ('', 'picture', 'file')),
    file_name       TEXT,
    file_data       BLOB,                             -- the upload; cleared once the message is settled
    priority        INTEGER NOT NULL DEFAULT 0,       -- higher goes first
    job             TEXT,
    scheduled_at    INTEGER,
    held            INTEGER NOT NULL DEFAULT 0 CHECK (held IN (0, 1)),
    status          TEXT    NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'uncertain')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_message_id INTEGER,                          -- the platform's number of the message sent
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    given_up_at     INTEGER,                          -- when it became failed or uncertain
    FOREIGN KEY (job, scheduled_at) REFERENCES job_runs (job, scheduled_at),
    CHECK ((job IS NULL) = (scheduled_at IS NULL))
);

INSERT INTO outbox_new (id, method, chat_id, text, buttons, edit_message_id, press_id, attachment,
    file_name, file_data, priority, job, scheduled_at, held, status, attempts, next_attempt_at,
    sent_message_id, last_error, created_at, sent_at, given_up_at)
SELECT o.id, o.method, 'telegram:' || o.chat_id,
    CASE WHEN o.parse_mode = '' AND o.method <> 'answer'
        THEN replace(replace(replace(o.text, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')
        ELSE o.text END,
    CASE WHEN json_valid(o.reply_markup) AND json_type(o.reply_markup, '$.inline_keyboard') = 'array'
        THEN coalesce(nullif((
            SELECT json_group_array(json(k.buttons) ORDER BY k.pos)
            FROM (
                SELECT r.key AS pos, (
                    SELECT json_group_array(json_object(
                        'text', b.value ->> '$.text', 'data', b.value ->> '$.callback_data') ORDER BY b.key)
                    FROM json_each(CASE r.type WHEN 'array' THEN r.value ELSE '[]' END) b
                ) AS buttons
                FROM json_each(o.reply_markup, '$.inline_keyboard') r
            ) k), '[]'), '')
        ELSE '' END,
    o.edit_message_id, o.callback_query_id,
    CASE WHEN o.photo <> '' THEN 'picture' WHEN o.document <> '' THEN 'file' ELSE '' END,
    o.file_name, o.file_data, o.priority, o.job, o.scheduled_at, o.held, o.status, o.attempts,
    o.next_attempt_at, o.telegram_message_id, o.last_error, o.created_at, o.sent_at, o.given_up_at
FROM outbox o;

DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;

-- The outbox's indexes, as 0001, 0003, 0004 and 0007 made them (the
-- queries' terms must stay word for word their WHERE clauses).
CREATE INDEX outbox_drain ON outbox (priority DESC, id) WHERE status = 'pending';
CREATE INDEX outbox_job_run ON outbox (job, scheduled_at);
-- A chat's unsent sends and edits (FailChat, RetargetChat).
CREATE INDEX outbox_lane ON outbox (chat_id, id)
    WHERE status IN ('pending', 'sending') AND method <> 'answer';
CREATE INDEX outbox_answer ON outbox (priority DESC, id)
    WHERE status = 'pending' AND method = 'answer';
CREATE INDEX outbox_given_up ON outbox (given_up_at)
    WHERE status IN ('failed', 'uncertain');
CREATE INDEX outbox_job_created ON outbox (created_at, chat_id, status, job)
    WHERE job IS NOT NULL;
-- A chat's two lanes (see claimable). A platform's chats are a range of
-- chat_id ("telegram:" up to "telegram;"), so one sender's claim seeks
-- its platform's lanes in the same indexes.
CREATE INDEX outbox_lane_reply ON outbox (chat_id, id)
    WHERE status IN ('pending', 'sending') AND method <> 'answer' AND job IS NULL;
CREATE INDEX outbox_lane_job ON outbox (chat_id, id)
    WHERE status IN ('pending', 'sending') AND method <> 'answer' AND job IS NOT NULL AND held = 0;
CREATE INDEX outbox_held ON outbox (next_attempt_at) WHERE held = 1 AND status = 'pending';

-- Questions waiting for an answer. Their ids are AUTOINCREMENT (0009):
-- the new table continues the old one's sequence, or a question answered
-- just before the upgrade would lend its id to the next one.
CREATE TABLE pending_questions_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id    TEXT    NOT NULL,  -- planbot.ChatID
    user_id    TEXT    NOT NULL,  -- planbot.UserID
    kind       TEXT    NOT NULL,
    payload    TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
INSERT INTO pending_questions_new (id, chat_id, user_id, kind, payload, created_at)
    SELECT id,
        CASE chat_id WHEN 0 THEN '' ELSE 'telegram:' || chat_id END,
        CASE user_id WHEN 0 THEN '' ELSE 'telegram:' || user_id END,
        kind, payload, created_at
    FROM pending_questions;
DELETE FROM sqlite_sequence WHERE name = 'pending_questions_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'pending_questions_new', seq FROM sqlite_sequence WHERE name = 'pending_questions';
DROP TABLE pending_questions;
ALTER TABLE pending_questions_new RENAME TO pending_questions;
CREATE INDEX pending_questions_created ON pending_questions (created_at);
-- PendingFor: the newest question to a user in a chat.
CREATE INDEX pending_questions_user ON pending_questions (chat_id, user_id, id);

-- The audit log: telegram_id becomes the account's address, user_id.
CREATE TABLE audit_log_new (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    user_id TEXT    NOT NULL DEFAULT '',  -- planbot.UserID, '' for none
    chat_id TEXT    NOT NULL DEFAULT '',  -- planbot.ChatID, '' for none
    action  TEXT    NOT NULL,
    detail  TEXT    NOT NULL DEFAULT ''
);
INSERT INTO audit_log_new (id, at, user_id, chat_id, action, detail)
    SELECT id, at,
        CASE telegram_id WHEN 0 THEN '' ELSE 'telegram:' || telegram_id END,
        CASE chat_id WHEN 0 THEN '' ELSE 'telegram:' || chat_id END,
        action, detail
    FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
-- Wrong invite codes a user sent lately (the guessing limit counts them).
CREATE INDEX audit_log_user_action ON audit_log (user_id, action, at);

-- Invite bindings: an account on any platform, bound to a person. A
-- binding voided because the YAML wrote in the person's Telegram id was
-- void for 'telegram_id'; it is now 'account' (the YAML's accounts
-- changed).
CREATE TABLE account_bindings (
    user_id     TEXT    NOT NULL PRIMARY KEY,  -- planbot.UserID
    person_id   INTEGER NOT NULL UNIQUE REFERENCES people (id),
    invite      TEXT    NOT NULL UNIQUE,
    bound_at    INTEGER NOT NULL,
    void_at     INTEGER,
    void_reason TEXT    NOT NULL DEFAULT ''
);
INSERT INTO account_bindings (user_id, person_id, invite, bound_at, void_at, void_reason)
    SELECT 'telegram:' || telegram_id, person_id, invite, bound_at, void_at,
        CASE void_reason WHEN 'telegram_id' THEN 'account' ELSE void_reason END
    FROM telegram_bindings;
DROP TABLE telegram_bindings;

-- Every invite ever spent, in the order spent (rowid breaks ties of
-- spent_at: the rows keep theirs).
CREATE TABLE spent_invites_new (
    invite      TEXT    NOT NULL PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id),
    user_id     TEXT    NOT NULL DEFAULT '',  -- planbot.UserID; '' when exposed by no person
    spent_at    INTEGER NOT NULL,
    void_at     INTEGER,
    void_reason TEXT    NOT NULL DEFAULT '',
    how         TEXT    NOT NULL DEFAULT 'bound' CHECK (how IN ('bound', 'exposed'))
);
INSERT INTO spent_invites_new (rowid, invite, person_id, user_id, spent_at, void_at, void_reason, how)
    SELECT rowid, invite, person_id,
        CASE telegram_id WHEN 0 THEN '' ELSE 'telegram:' || telegram_id END,
        spent_at, void_at,
        CASE void_reason WHEN 'telegram_id' THEN 'account' ELSE void_reason END, how
    FROM spent_invites;
DROP TABLE spent_invites;
ALTER TABLE spent_invites_new RENAME TO spent_invites;

-- A person's accounts, as the YAML gives them, in its order (the first is
-- where their reminders go). people is referenced by nearly every table:
-- its telegram_id column is dropped in place.
CREATE TABLE person_accounts (
    person_id INTEGER NOT NULL REFERENCES people (id),
    user_id   TEXT    NOT NULL,  -- planbot.UserID
    position  INTEGER NOT NULL,
    PRIMARY KEY (person_id, user_id)
);
-- Binding refuses an account the plan gives to someone else.
CREATE INDEX person_accounts_user ON person_accounts (user_id);
INSERT INTO person_accounts (person_id, user_id, position)
    SELECT id, 'telegram:' || telegram_id, 0 FROM people WHERE telegram_id IS NOT NULL AND telegram_id <> 0;
DROP INDEX people_telegram_id;
ALTER TABLE people DROP COLUMN telegram_id;

-- Reports: the chat a report came from becomes its address ('' for none,
-- as 0 was), and each evidence reference names its platform after its
-- kind prefix ("AgAC…" → "telegram:AgAC…", "doc:BQAC…" →
-- "doc:telegram:BQAC…"). Reports are immutable: the triggers that keep
-- them so make way for this one rewrite and come back as 0001 made them.
-- reports references itself, so the column is replaced in place (and
-- the comment 0001 wrote on photo_ids, "Telegram file ids", stays in the
-- schema: they are platforms' references now, see planbot.KindOf).
DROP TRIGGER reports_immutable_update;
DROP TRIGGER reports_immutable_delete;
DROP INDEX reports_message;
ALTER TABLE reports ADD COLUMN chat TEXT NOT NULL DEFAULT '';  -- planbot.ChatID, '' for none
UPDATE reports SET
    chat = CASE chat_id WHEN 0 THEN '' ELSE 'telegram:' || chat_id END,
    photo_ids = CASE WHEN json_valid(photo_ids) AND json_array_length(photo_ids) > 0 THEN (
        SELECT json_group_array(CASE
            WHEN p.value GLOB 'doc:*' THEN 'doc:telegram:' || substr(p.value, 5)
            WHEN p.value GLOB 'video:*' THEN 'video:telegram:' || substr(p.value, 7)
            ELSE 'telegram:' || p.value END ORDER BY p.key)
        FROM json_each(photo_ids) p) ELSE photo_ids END
WHERE chat_id <> 0 OR photo_ids NOT IN ('', '[]');
ALTER TABLE reports DROP COLUMN chat_id;
ALTER TABLE reports RENAME COLUMN chat TO chat_id;
CREATE INDEX reports_message ON reports (chat_id, message_id) WHERE message_id <> 0;
CREATE TRIGGER reports_immutable_update BEFORE UPDATE ON reports
BEGIN
    SELECT RAISE(ABORT, 'reports are immutable: add a correcting report instead');
END;
CREATE TRIGGER reports_immutable_delete BEFORE DELETE ON reports
BEGIN
    SELECT RAISE(ABORT, 'reports are immutable: add a withdrawing report instead');
END;

-- A refusal notice's scope was 'u:<Telegram user id>' or 'c:<chat id>';
-- it is now 'u:' or 'c:' and the address.
UPDATE refusal_notices SET scope = substr(scope, 1, 2) || 'telegram:' || substr(scope, 3)
WHERE scope GLOB 'u:*' OR scope GLOB 'c:*';
