-- 0006: who is let in, and how often strangers are answered.

-- A binding made with an invite code is void once the person's identity in
-- the YAML changes (a telegram_id written in, the invite code replaced or
-- cleared) or the person is removed: whoever used the code is then no
-- longer that person. A void binding is kept until the person binds
-- again; spent_invites keeps why for good, so `planbot people` shows who
-- had used the code.
ALTER TABLE telegram_bindings ADD COLUMN void_at INTEGER;
ALTER TABLE telegram_bindings ADD COLUMN void_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE spent_invites ADD COLUMN void_at INTEGER;
ALTER TABLE spent_invites ADD COLUMN void_reason TEXT NOT NULL DEFAULT '';

-- Bindings a YAML telegram_id has already overridden, or of people already
-- removed, are void from here on.
UPDATE telegram_bindings SET void_at = CAST(strftime('%s', 'now') AS INTEGER),
    void_reason = CASE
        WHEN (SELECT archived_at FROM people p WHERE p.id = person_id) IS NOT NULL THEN 'removed'
        ELSE 'telegram_id' END
WHERE person_id IN (SELECT id FROM people WHERE telegram_id IS NOT NULL OR archived_at IS NOT NULL);
UPDATE spent_invites SET void_at = b.void_at, void_reason = b.void_reason
FROM telegram_bindings b WHERE b.invite = spent_invites.invite AND b.void_at IS NOT NULL;

-- How an invite was spent: used to bind an account, or posted in a group
-- (exposed, so nobody may bind with it).
ALTER TABLE spent_invites ADD COLUMN how TEXT NOT NULL DEFAULT 'bound'
    CHECK (how IN ('bound', 'exposed'));

-- Wrong invite codes a user sent lately (the guessing limit counts them).
CREATE INDEX audit_log_user_action ON audit_log (telegram_id, action, at);

-- When a stranger (or a group) was last told they are not registered: one
-- refusal per window, however many messages they send. scope is 'u:<user
-- id>' or 'c:<chat id>'.
CREATE TABLE refusal_notices (
    scope   TEXT    PRIMARY KEY,
    sent_at INTEGER NOT NULL
);
