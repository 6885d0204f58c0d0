-- 0007: replies and reminders are separate lanes of a chat, and reminders
-- held for quiet hours wait outside them.
--
-- A reminder held for quiet hours (held = 1, status pending) is not a
-- message to send but a placeholder of its run for its chat: at its
-- next_attempt_at the scheduler composes the run again for that chat and
-- replaces it (or drops it when nothing is left to say). It is in no lane,
-- so it holds back nothing, and the sender never claims it.
ALTER TABLE outbox ADD COLUMN held INTEGER NOT NULL DEFAULT 0 CHECK (held IN (0, 1));

-- A chat's two lanes (see claimable): its replies (no job) and its
-- reminders (a job run's messages, not held), each in id order. A held
-- digest or a reminder waiting for a retry holds back later reminders of
-- its chat, never a reply. The WHERE must stay identical to the queries'
-- terms for SQLite to use them.
CREATE INDEX outbox_lane_reply ON outbox (chat_id, id)
    WHERE status IN ('pending', 'sending') AND method <> 'answer' AND job IS NULL;
CREATE INDEX outbox_lane_job ON outbox (chat_id, id)
    WHERE status IN ('pending', 'sending') AND method <> 'answer' AND job IS NOT NULL AND held = 0;

-- The held rows by release time (NextHeldRelease, ReleaseHeld).
CREATE INDEX outbox_held ON outbox (next_attempt_at) WHERE held = 1 AND status = 'pending';
