package storage

import (
	"context"
	"fmt"
	"time"

	"planbot"
)

// Session is one write transaction, seen through the methods the chat
// handlers and jobs need (planbot.Tx). Reads see the session's own
// writes. Each method is atomic: when it fails it has written nothing and
// the session can go on (a handler may turn ErrConflict into a reply and
// still commit). Nothing is visible to others until the transaction
// commits, when the function given to InSession or HandleUpdate returns.
//
// A Session is not safe for concurrent use and is dead once that function
// returns. While it is open it holds the database's only write
// connection: inside it, use the Session only, never the DB's write
// methods (they would wait for the connection forever), and keep it short.
type Session struct {
	tx  *txn
	db  *DB       // for its cache of committed reports
	now time.Time // stamps pending questions and audit entries without a time

	// The job run the session belongs to (RunJob); "" and zero otherwise.
	job         string
	scheduledAt time.Time
}

// stamp returns msgs named after the session's job run, if it has one.
// The caller's slice is not changed.
func (s *Session) stamp(msgs []OutboxMessage) []OutboxMessage {
	if s.job == "" {
		return msgs
	}
	own := make([]OutboxMessage, len(msgs))
	for i, m := range msgs {
		m.Job, m.ScheduledAt = s.job, s.scheduledAt
		own[i] = m
	}
	return own
}

// InSession runs fn in one write transaction and commits it if fn returns
// nil; if fn fails (or panics), nothing it wrote is kept. The console chat
// uses it; Telegram updates go through HandleUpdate.
func (db *DB) InSession(ctx context.Context, fn func(planbot.Tx) error) error {
	now := time.Now()
	return db.inTx(ctx, func(tx *txn) error {
		return fn(&Session{tx: tx, db: db, now: now})
	})
}

// HandleUpdate applies one inbound Telegram update exactly once. In one
// transaction it checks whether updateID was already recorded; if so it
// returns true without calling fn (and only moves the stored offset forward
// to nextOffset if it lagged). Otherwise it calls fn, queues the messages
// fn returns (see Enqueue; now stamps them), records the update as handled
// with nextOffset as the offset to poll from (see RecordUpdate), and
// commits: the update's reports, questions, replies and its being handled
// are written together or not at all.
//
// If fn fails, or its messages are invalid, or the commit fails, nothing is
// written and the error is returned: the update stays unhandled. A caller
// that got an error from fn itself should not retry it forever (a poison
// message would loop): it should record the update with an apology,
// RecordUpdate(ctx, id, next, now, apology...), which stores both
// atomically. Errors matching ErrLocked or a context error are not the
// message's fault: retry those.
func (db *DB) HandleUpdate(ctx context.Context, updateID, nextOffset int, now time.Time,
	fn func(planbot.Tx) ([]OutboxMessage, error)) (alreadyHandled bool, err error) {
	alreadyHandled, err = db.handleOnce(ctx, telegramUpdate{updateID, nextOffset}, now, fn)
	if err != nil {
		return false, fmt.Errorf("handle update %d: %w", updateID, err)
	}
	return alreadyHandled, nil
}

// Enqueue is DB.Enqueue inside the session, all or none: the messages are
// queued when, and only if, the session commits. A zero CreatedAt is the session's time.
// HandleUpdate queues what its function returns; this is for InSession.
// In a RunJob session the messages are stamped with the run, like those
// its function returns.
func (s *Session) Enqueue(ctx context.Context, msgs ...OutboxMessage) error {
	if err := savepoint(ctx, s.tx, func() error { return s.db.enqueue(ctx, s.tx, s.now, s.stamp(msgs)) }); err != nil {
		return fmt.Errorf("enqueue %d messages: %w", len(msgs), classify(err))
	}
	return nil
}

// AddReport is DB.AddReport inside the session.
func (s *Session) AddReport(ctx context.Context, r planbot.Report) (planbot.Report, error) {
	out, err := addReport(ctx, s.tx, r)
	if err != nil {
		return planbot.Report{}, fmt.Errorf("add report for item %s: %w", r.ItemCode, classify(err))
	}
	return out, nil
}

// ItemReports is DB.ItemReports inside the session.
func (s *Session) ItemReports(ctx context.Context, code string) ([]planbot.Report, error) {
	return itemReports(ctx, s.tx, code)
}

// AllReports is DB.AllReports inside the session, its own reports
// included: for /export's ledger.
func (s *Session) AllReports(ctx context.Context) (map[string][]planbot.Report, error) {
	return allReports(ctx, s.tx)
}

// AddObservation is DB.AddObservation inside the session.
func (s *Session) AddObservation(ctx context.Context, o planbot.Observation) (planbot.Observation, error) {
	out, err := addObservation(ctx, s.tx, o)
	if err != nil {
		return planbot.Observation{}, fmt.Errorf("add observation of indicator %s: %w", o.Indicator, classify(err))
	}
	return out, nil
}

// IndicatorObservations is DB.IndicatorObservations inside the session.
func (s *Session) IndicatorObservations(ctx context.Context, key string) ([]planbot.Observation, error) {
	return indicatorObservations(ctx, s.tx, key)
}

// LatestObservations is DB.LatestObservations inside the session.
func (s *Session) LatestObservations(ctx context.Context, from, to time.Time) (map[string]planbot.Observation, error) {
	return latestObservations(ctx, s.tx, from, to)
}

// LastReportBy is DB.LastReportBy inside the session.
func (s *Session) LastReportBy(ctx context.Context, reporter string) (planbot.Report, bool, error) {
	return lastReportBy(ctx, s.tx, reporter)
}

// LastObservationBy is DB.LastObservationBy inside the session.
func (s *Session) LastObservationBy(ctx context.Context, reporter string) (planbot.Observation, bool, error) {
	return lastObservationBy(ctx, s.tx, reporter)
}

// ReportFromMessage is DB.ReportFromMessage inside the session.
func (s *Session) ReportFromMessage(ctx context.Context, chat planbot.ChatID, messageID int) (planbot.Report, bool, error) {
	return reportFromMessage(ctx, s.tx, chat, messageID)
}

// Binding is DB.Binding inside the session.
func (s *Session) Binding(ctx context.Context, user planbot.UserID) (string, bool, error) {
	return accountBinding(ctx, s.tx, user)
}

// Bind spends invite and binds the account user to person. It fails with
// ErrConflict when the invite was already spent (by anyone, even this very
// account: an invite works once), when user is bound to another person
// still in the plan, or when the plan gives user to another person; with
// ErrNotFound or ErrArchived for a person not (or no longer) in the plan;
// with ErrInvalid for an empty invite or a user that is not one person's
// account (no platform or id, or Telegram's anonymous group admin).
// Binding a person again, with a new invite, replaces the person's old
// binding; so does binding an account whose old person was removed from
// the plan. It does not check that the invite is the one the plan gives
// the person: the caller does. Invites are compared exactly (normalise
// them first).
func (s *Session) Bind(ctx context.Context, person string, user planbot.UserID, invite string, now time.Time) error {
	if err := bindAccount(ctx, s.tx, person, user, invite, now); err != nil {
		return fmt.Errorf("bind account %q to %s: %w", user, person, classify(err))
	}
	return nil
}

// SavePending stores a question waiting for an answer and returns its ID.
// With ID 0 it adds a new one; with the ID of a stored one it replaces it
// (the next step of a walk-through), or fails with ErrNotFound if that one
// is gone. A zero CreatedAt is the session's time (HandleUpdate's now).
// Kind is required; Payload, if set, must be JSON.
func (s *Session) SavePending(ctx context.Context, p planbot.Pending) (int64, error) {
	id, err := savePending(ctx, s.tx, p, s.now)
	if err != nil {
		return 0, fmt.Errorf("save pending question %q: %w", p.Kind, classify(err))
	}
	return id, nil
}

// LoadPending is DB.LoadPending inside the session.
func (s *Session) LoadPending(ctx context.Context, id int64) (planbot.Pending, bool, error) {
	return loadPending(ctx, s.tx, id)
}

// PendingFor is DB.PendingFor inside the session.
func (s *Session) PendingFor(ctx context.Context, chat planbot.ChatID, user planbot.UserID) (planbot.Pending, bool, error) {
	return pendingFor(ctx, s.tx, chat, user)
}

// SyncPlan is DB.SyncPlan inside the session: the plan's changes commit
// with the rest of the session, or not at all. A failed SyncPlan writes
// nothing and the session goes on.
func (s *Session) SyncPlan(ctx context.Context, plan *planbot.Plan, now time.Time) (planbot.SyncReport, error) {
	if plan == nil {
		return planbot.SyncReport{}, fmt.Errorf("sync plan: %w", errorf(ErrInvalid, "no plan"))
	}
	var rep planbot.SyncReport
	err := savepoint(ctx, s.tx, func() error {
		var err error
		rep, err = syncPlan(ctx, s.tx, plan, now)
		return err
	})
	if err != nil {
		return planbot.SyncReport{}, fmt.Errorf("sync plan: %w", classify(err))
	}
	return rep, nil
}

// DeletePending deletes a pending question; deleting one already gone is
// not an error (a button pressed twice).
func (s *Session) DeletePending(ctx context.Context, id int64) error {
	if err := deletePending(ctx, s.tx, id); err != nil {
		return fmt.Errorf("delete pending question %d: %w", id, classify(err))
	}
	return nil
}

// Audit appends to the audit log (it is never changed or emptied). A zero
// At is the session's time; Action is required; Detail is cut to 1 KiB.
func (s *Session) Audit(ctx context.Context, e planbot.AuditEntry) error {
	if err := audit(ctx, s.tx, e, s.now); err != nil {
		return fmt.Errorf("audit %q of account %q: %w", e.Action, e.UserID, classify(err))
	}
	return nil
}

// ChatBindings is DB.ChatBindings inside the session.
func (s *Session) ChatBindings(ctx context.Context) (map[string]planbot.ChatID, error) {
	return chatBindings(ctx, s.tx)
}

// RemindersQueuedSince counts, per chat, the reminders of job runs (any
// job) queued at or after since (their CreatedAt, to the second) that are
// not failed, one per run however many parts a long one was split into:
// pending, in flight, sent, or uncertain (which may have arrived). A message that failed (blocked bot, bad request) reached nobody
// and does not count. Chats with none are absent from the map. It is what
// a nagging cap needs: in a RunJob session it counts the runs committed
// before, and the messages this run queued with Enqueue, but not those its
// function is about to return. It reads an index (outbox_job_created), not
// the outbox.
func (s *Session) RemindersQueuedSince(ctx context.Context, since time.Time) (map[planbot.ChatID]int, error) {
	return remindersQueuedSince(ctx, s.tx, since)
}

// FailedMessagesSince is DB.FailedMessages inside the session: up to limit
// messages given up on (failed or uncertain) at or after since, newest
// first, without FileData. For a digest that reports what did not arrive.
func (s *Session) FailedMessagesSince(ctx context.Context, since time.Time, limit int) ([]OutboxMessage, error) {
	return failedMessages(ctx, s.tx, since, limit)
}

// LastRunAt returns the scheduled time of the latest done run of job: in a
// RunJob session, the latest scheduled before the session's own run (of
// any job: the run itself, already recorded done, is never the answer);
// elsewhere, the latest of all. Skipped and failed runs don't count: a
// digest compares with the previous digest that went out. ok is false when
// there is none. The time is the run's key, kept to the second; JobRuns
// gives the run's StartedAt, when it actually read the data.
func (s *Session) LastRunAt(ctx context.Context, job string) (time.Time, bool, error) {
	return lastRunAt(ctx, s.tx, job, s.scheduledAt)
}
