-- 0001: the initial schema.
--
-- Conventions: instants are UTC unix seconds (INTEGER, column suffix _at);
-- calendar dates are TEXT 'YYYY-MM-DD' (suffix _date); amounts are a scaled
-- integer (planbot.Decimal, 1 = 10000) plus a unit. Entities loaded from the
-- YAML plan are never deleted: removing one sets archived_at, adding it back
-- clears it. Reports and observations are immutable (see the triggers).

CREATE TABLE people (
    id          INTEGER PRIMARY KEY,
    person_key  TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    telegram_id INTEGER,                      -- NULL while unknown
    roles       TEXT    NOT NULL DEFAULT '',  -- comma-separated planbot.Role values
    unit        TEXT    NOT NULL DEFAULT '',
    principal   INTEGER NOT NULL DEFAULT 0 CHECK (principal IN (0, 1)),
    invite      TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    archived_at INTEGER
);
CREATE INDEX people_telegram_id ON people (telegram_id);

CREATE TABLE sections (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    title       TEXT    NOT NULL,
    leader_id   INTEGER REFERENCES people (id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    archived_at INTEGER
);

CREATE TABLE items (
    id           INTEGER PRIMARY KEY,
    code         TEXT    NOT NULL UNIQUE,
    section_id   INTEGER NOT NULL REFERENCES sections (id),
    title        TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    leader_id    INTEGER REFERENCES people (id),
    start_date   TEXT,
    due_date     TEXT,
    target_value INTEGER,
    target_unit  TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    archived_at  INTEGER,
    CHECK ((target_value IS NULL) = (target_unit IS NULL))
);
CREATE INDEX items_section ON items (section_id);

CREATE TABLE item_owners (
    item_id   INTEGER NOT NULL REFERENCES items (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    position  INTEGER NOT NULL,
    PRIMARY KEY (item_id, person_id)
);
CREATE INDEX item_owners_person ON item_owners (person_id);

CREATE TABLE item_milestones (
    item_id  INTEGER NOT NULL REFERENCES items (id),
    due_date TEXT    NOT NULL,
    percent  REAL    NOT NULL CHECK (percent >= 0 AND percent <= 100),
    PRIMARY KEY (item_id, due_date)
);

CREATE TABLE indicators (
    id              INTEGER PRIMARY KEY,
    indicator_key   TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    unit            TEXT    NOT NULL DEFAULT '',  -- display unit, e.g. 亿元
    target_value    INTEGER NOT NULL,
    target_unit     TEXT    NOT NULL,
    last_year_value INTEGER,
    last_year_unit  TEXT,
    accumulate      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    archived_at     INTEGER,
    CHECK ((last_year_value IS NULL) = (last_year_unit IS NULL))
);

CREATE TABLE indicator_aliases (
    indicator_id INTEGER NOT NULL REFERENCES indicators (id),
    alias        TEXT    NOT NULL,
    position     INTEGER NOT NULL,
    PRIMARY KEY (indicator_id, alias)
);

-- Progress reports. A correction or withdrawal is a new row whose supersedes
-- points at an earlier report of the same item; a report is superseded at
-- most once (unique index), so corrections form a chain.
CREATE TABLE reports (
    id              INTEGER PRIMARY KEY,
    item_id         INTEGER NOT NULL REFERENCES items (id),
    reporter_id     INTEGER NOT NULL REFERENCES people (id),
    on_behalf_of_id INTEGER REFERENCES people (id),
    reported_at     INTEGER NOT NULL,
    percent         REAL CHECK (percent IS NULL OR (percent >= 0 AND percent <= 100)),
    value           INTEGER,
    value_unit      TEXT,
    done            INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    note            TEXT    NOT NULL DEFAULT '',
    photo_ids       TEXT    NOT NULL DEFAULT '[]',  -- JSON array of Telegram file ids
    chat_id         INTEGER NOT NULL DEFAULT 0,
    message_id      INTEGER NOT NULL DEFAULT 0,
    supersedes      INTEGER,
    withdrawn       INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1)),
    UNIQUE (id, item_id),
    FOREIGN KEY (supersedes, item_id) REFERENCES reports (id, item_id),
    CHECK ((value IS NULL) = (value_unit IS NULL)),
    CHECK (withdrawn = 0 OR supersedes IS NOT NULL)
);
CREATE INDEX reports_item ON reports (item_id, id);
CREATE UNIQUE INDEX reports_supersedes ON reports (supersedes);

CREATE TRIGGER reports_immutable_update BEFORE UPDATE ON reports
BEGIN
    SELECT RAISE(ABORT, 'reports are immutable: add a correcting report instead');
END;
CREATE TRIGGER reports_immutable_delete BEFORE DELETE ON reports
BEGIN
    SELECT RAISE(ABORT, 'reports are immutable: add a withdrawing report instead');
END;

-- Indicator observations, immutable like reports.
CREATE TABLE observations (
    id           INTEGER PRIMARY KEY,
    indicator_id INTEGER NOT NULL REFERENCES indicators (id),
    observed_at  INTEGER NOT NULL,
    value        INTEGER NOT NULL,
    value_unit   TEXT    NOT NULL,
    reporter_id  INTEGER REFERENCES people (id),  -- NULL for figures not reported by a person
    note         TEXT    NOT NULL DEFAULT '',
    supersedes   INTEGER,
    withdrawn    INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1)),
    UNIQUE (id, indicator_id),
    FOREIGN KEY (supersedes, indicator_id) REFERENCES observations (id, indicator_id),
    CHECK (withdrawn = 0 OR supersedes IS NOT NULL)
);
CREATE INDEX observations_indicator ON observations (indicator_id, observed_at);
CREATE UNIQUE INDEX observations_supersedes ON observations (supersedes);

CREATE TRIGGER observations_immutable_update BEFORE UPDATE ON observations
BEGIN
    SELECT RAISE(ABORT, 'observations are immutable: add a correcting observation instead');
END;
CREATE TRIGGER observations_immutable_delete BEFORE DELETE ON observations
BEGIN
    SELECT RAISE(ABORT, 'observations are immutable: add a withdrawing observation instead');
END;

-- Telegram updates already handled, and the poll offset.
CREATE TABLE telegram_updates (
    update_id  INTEGER PRIMARY KEY,
    handled_at INTEGER NOT NULL
);

CREATE TABLE bot_state (
    name       TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Scheduled job runs, keyed by (job, scheduled time).
CREATE TABLE job_runs (
    job          TEXT    NOT NULL,
    scheduled_at INTEGER NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    error        TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (job, scheduled_at)
);

-- Messages waiting to be sent (or sent) by the sender.
CREATE TABLE outbox (
    id                  INTEGER PRIMARY KEY,
    chat_id             INTEGER NOT NULL,
    text                TEXT    NOT NULL DEFAULT '',
    parse_mode          TEXT    NOT NULL DEFAULT '',
    reply_markup        TEXT    NOT NULL DEFAULT '',  -- JSON, '' for none
    photo               TEXT    NOT NULL DEFAULT '',  -- file id, URL or path; '' for none
    document            TEXT    NOT NULL DEFAULT '',
    priority            INTEGER NOT NULL DEFAULT 0,   -- higher goes first
    job                 TEXT,
    scheduled_at        INTEGER,
    status              TEXT    NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'uncertain')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER NOT NULL,
    telegram_message_id INTEGER,
    last_error          TEXT    NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL,
    sent_at             INTEGER,
    FOREIGN KEY (job, scheduled_at) REFERENCES job_runs (job, scheduled_at),
    CHECK ((job IS NULL) = (scheduled_at IS NULL))
);
-- Drain order: pending messages, highest priority first, then oldest first.
CREATE INDEX outbox_drain ON outbox (priority DESC, id) WHERE status = 'pending';
CREATE INDEX outbox_job_run ON outbox (job, scheduled_at);
