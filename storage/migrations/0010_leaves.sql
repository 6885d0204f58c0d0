-- 0010: leave (请假) said in chat: "请假到12月15日", /leave. A person away
-- gets no reminders; their items stay on the leader's ladder marked 请假.
-- The YAML's leave: is not stored (the plan holds it). 销假 ends a leave
-- early (to_day moves back) or cancels one not yet begun; rows are never
-- deleted, so the ledger can show who was away when.
CREATE TABLE leaves (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    person_key TEXT    NOT NULL,
    from_day   TEXT    NOT NULL,  -- YYYY-MM-DD, included
    to_day     TEXT    NOT NULL,  -- YYYY-MM-DD, included
    note       TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    cancelled  INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
    CHECK (from_day <= to_day)
);
CREATE INDEX leaves_person ON leaves (person_key, to_day);
