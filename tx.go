package planbot

import (
	"context"
	"time"
)

// The interfaces below are what one database transaction may read and
// write: a handler's work on one chat message, a job's run. They live here,
// not in bot or scheduler, because the transaction runners (storage's
// HandleUpdate, InSession, RunJob, ReleaseHeld) hand the same value to
// both, and a Go function type must name one parameter type to be shared.
// storage.Session implements Tx; each consumer takes the parts it reads.

// ProgressReader reads the progress reported on items and indicators.
type ProgressReader interface {
	// ItemReports is an item's whole history: for the rare reader that
	// walks it (a correction's chain, an album); a status needs only
	// Histories.
	ItemReports(ctx context.Context, code string) ([]Report, error)
	// Histories is, by item code, the part of the items' histories that
	// need asks for (Needed): what their statuses derive from.
	Histories(ctx context.Context, items []Item, need HistoryNeed) (map[string][]Report, error)
	// Report is the report with that id; ok is false when there is none.
	Report(ctx context.Context, id int64) (Report, bool, error)
	// MessageReports is every report stamped with the chat message, in
	// order: what one message recorded, with the corrections sent as it.
	MessageReports(ctx context.Context, chat ChatID, messageID int) ([]Report, error)
	IndicatorObservations(ctx context.Context, key string) ([]Observation, error)
	LatestObservations(ctx context.Context, from, to time.Time) (map[string]Observation, error)
	// LastReportBy and LastObservationBy return the newest effective row
	// the person sent (not a withdrawal, not superseded), for /undo.
	LastReportBy(ctx context.Context, reporter string) (Report, bool, error)
	LastObservationBy(ctx context.Context, reporter string) (Observation, bool, error)
	// ReportFromMessage returns the report a chat message made (its first
	// row), for an edit of that message.
	ReportFromMessage(ctx context.Context, chat ChatID, messageID int) (Report, bool, error)
}

// ProgressWriter records progress.
type ProgressWriter interface {
	AddReport(ctx context.Context, r Report) (Report, error)
	AddObservation(ctx context.Context, o Observation) (Observation, error)
}

// BindingReader finds whose chat is whose.
type BindingReader interface {
	// Binding returns the person key bound to an account through an
	// invite code, if any.
	Binding(ctx context.Context, user UserID) (string, bool, error)
	// ChatBindings maps person keys to their private chats, as bound.
	ChatBindings(ctx context.Context) (map[string]ChatID, error)
}

// Binder spends invite codes.
type Binder interface {
	// Bind spends invite and binds the account user to person; it fails
	// when the invite was already spent.
	Bind(ctx context.Context, person string, user UserID, invite string, now time.Time) error
	// SpendExposedInvite spends person's invite, posted in a group by
	// user, so nobody can bind with it; false when it was spent already.
	SpendExposedInvite(ctx context.Context, person string, user UserID, invite string, now time.Time) (bool, error)
}

// SeenReader reads when each account last wrote to the bot: a person on
// several platforms is reminded where they wrote last (ReminderChat).
type SeenReader interface {
	AccountsSeen(ctx context.Context) (map[UserID]time.Time, error)
}

// SeenWriter notes that an account of a known person wrote at at.
type SeenWriter interface {
	AccountSeen(ctx context.Context, user UserID, at time.Time) error
}

// EvidenceWriter keeps a file a platform gives only for a while (WeCom's
// links last minutes) under its evidence reference.
type EvidenceWriter interface {
	SaveEvidence(ctx context.Context, ref, name string, data []byte) error
}

// LeaveReader reads the leaves said in chat (the plan holds the YAML's).
type LeaveReader interface {
	Leaves(ctx context.Context) ([]Leave, error)
}

// LeaveWriter keeps the leaves said in chat: AddLeave, and EndLeave for
// 销假 as of a day.
type LeaveWriter interface {
	AddLeave(ctx context.Context, l Leave) (int64, error)
	EndLeave(ctx context.Context, person string, day Date) (int, error)
}

// DeliveryReader reads what was queued and sent, and when jobs ran: what
// a nagging cap and the digest's delivery section need.
type DeliveryReader interface {
	RemindersQueuedSince(ctx context.Context, since time.Time) (map[ChatID]int, error)
	FailedMessagesSince(ctx context.Context, since time.Time, limit int) ([]OutboxMessage, error)
	LastRunAt(ctx context.Context, job string) (time.Time, bool, error)
}

// Questions keeps the questions waiting for an answer.
type Questions interface {
	SavePending(ctx context.Context, p Pending) (int64, error)
	LoadPending(ctx context.Context, id int64) (Pending, bool, error)
	DeletePending(ctx context.Context, id int64) error
	// PendingFor returns the newest open question to this user in this chat.
	PendingFor(ctx context.Context, chat ChatID, user UserID) (Pending, bool, error)
}

// AuditLog keeps the audit trail and the notices coalesced by it.
type AuditLog interface {
	Audit(ctx context.Context, e AuditEntry) error
	// AuditCount counts user's audit rows of action since then.
	AuditCount(ctx context.Context, user UserID, action string, since time.Time) (int, error)
	// ClaimNotice is true (and records now) when no notice under scope
	// went out within every: how refusals are coalesced.
	ClaimNotice(ctx context.Context, scope string, now time.Time, every time.Duration) (bool, error)
}

// PlanSyncer loads a reloaded plan into the database within the
// transaction.
type PlanSyncer interface {
	SyncPlan(ctx context.Context, plan *Plan, now time.Time) (SyncReport, error)
}

// Enqueuer queues messages that go out when, and only if, the transaction
// commits. A text longer than its chat's platform takes is queued as
// several messages (SplitOutbox).
type Enqueuer interface {
	Enqueue(ctx context.Context, msgs ...OutboxMessage) error
}

// ReadTx is what a transaction may read: all a job needs to compose its
// messages, so a preview can run in a read-only transaction.
type ReadTx interface {
	ProgressReader
	BindingReader
	SeenReader
	LeaveReader
	DeliveryReader
}

// Tx is what one transaction may read and write.
type Tx interface {
	ReadTx
	ProgressWriter
	SeenWriter
	EvidenceWriter
	Binder
	LeaveWriter
	Questions
	AuditLog
	PlanSyncer
	Enqueuer
}

// HeldRun is a job run whose reminders were held for quiet hours and are
// due for release: Chats are the chats it held a message for, in the order
// it queued them.
type HeldRun struct {
	Job         string
	ScheduledAt time.Time
	Chats       []ChatID
}
