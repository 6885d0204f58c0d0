// Package bot owns the conversation: handlers that take a chat message in
// our own types and return replies, and the adapters that carry them over
// Telegram (long polling, with an outbox sender) and the console. Handlers
// never see tgbotapi: the Telegram adapter converts at the edge.
package bot

import (
	"context"
	"time"

	"planbot"
)

// ChatKind says where a message was written.
type ChatKind string

const (
	ChatPrivate ChatKind = "private"
	ChatGroup   ChatKind = "group" // groups and supergroups
	ChatChannel ChatKind = "channel"
)

// Message is one inbound event: a text or photo message, or a press on an
// inline keyboard button (Callback set).
type Message struct {
	UpdateID int
	ChatID   int64
	Chat     ChatKind
	UserID   int64  // numeric Telegram user id; 0 when sent on behalf of a chat
	UserName string // display name, for logs and greetings only: never for authorisation
	ViaChat  bool   // sent as a chat (anonymous admin, channel): not a person
	// AsPerson is set only by a trusted local adapter (the console, run by
	// someone with access to the server) to act as a person by key.
	AsPerson  string
	MessageID int
	Text      string // text, or the caption of a photo
	PhotoIDs  []string
	ReplyTo   int
	// ReplyToUser is the sender of the message this one replies to: the
	// bot's own id when someone answers one of its messages.
	ReplyToUser int64
	// ReplyText is the text of the message this one replies to (a
	// reminder, an echo): the item codes in it tell which item a bare
	// "进度60%" is about.
	ReplyText string
	// MediaGroup is set on each photo of an album: the photos come as
	// separate messages sharing it.
	MediaGroup string
	// Edited: the sender changed this message (MessageID) after sending it.
	Edited bool
	// Unsupported: a voice message, sticker, location … that the bot cannot
	// read (photos, documents and videos are evidence, in PhotoIDs).
	Unsupported bool
	At          time.Time
	Callback    *Callback
}

// Callback is a press on an inline keyboard button.
type Callback struct {
	ID        string // to answer the query
	Data      string // what the button carries (≤ 64 bytes)
	MessageID int    // the message that holds the keyboard
}

// Button is one inline keyboard button, in the shape the scheduler's
// reminders use too.
type Button = planbot.Button

// Reply is one thing the bot sends back. Text is HTML with every user
// string already escaped.
type Reply struct {
	ChatID   int64
	Text     string
	Keyboard [][]Button
	// EditMessageID, when set, replaces the text (and keyboard) of an earlier
	// message instead of sending a new one: how a walk-through advances.
	EditMessageID int
	// CallbackID answers a button press (the spinner on the button stops);
	// CallbackText is an optional toast shown with it.
	CallbackID   string
	CallbackText string
	Photo        *File
	Document     *File
	// Refusal: an answer to someone with no standing (not registered, an
	// anonymous admin). It goes out after every reply to a known person,
	// so a flood of strangers cannot make them wait.
	Refusal bool
}

// File is a photo or document to upload.
type File struct {
	Name    string
	Data    []byte
	Caption string // HTML, ≤ 1024 characters
}

// Store is what the handlers read and write. One call of Handle runs
// against one Store session: in Telegram, the transaction that also
// records the update as handled, so a crash never applies a message twice.
type Store interface {
	AddReport(ctx context.Context, r planbot.Report) (planbot.Report, error)
	ItemReports(ctx context.Context, code string) ([]planbot.Report, error)
	AllReports(ctx context.Context) (map[string][]planbot.Report, error)
	AddObservation(ctx context.Context, o planbot.Observation) (planbot.Observation, error)
	IndicatorObservations(ctx context.Context, key string) ([]planbot.Observation, error)
	LatestObservations(ctx context.Context, from, to time.Time) (map[string]planbot.Observation, error)
	// LastReportBy and LastObservationBy return the newest effective row
	// the person sent (not a withdrawal, not superseded), for /undo.
	LastReportBy(ctx context.Context, reporter string) (planbot.Report, bool, error)
	LastObservationBy(ctx context.Context, reporter string) (planbot.Observation, bool, error)
	// ReportFromMessage returns the report a chat message made (its first
	// row), for an edit of that message.
	ReportFromMessage(ctx context.Context, chatID int64, messageID int) (planbot.Report, bool, error)

	// TelegramBinding returns the person key bound to a Telegram user id
	// through an invite code, if any.
	TelegramBinding(ctx context.Context, telegramID int64) (string, bool, error)
	// BindTelegram spends invite and binds telegramID to person; it fails
	// when the invite was already spent.
	BindTelegram(ctx context.Context, person string, telegramID int64, invite string, now time.Time) error
	// SpendExposedInvite spends person's invite, posted in a group by
	// telegramID, so nobody can bind with it; false when it was spent
	// already.
	SpendExposedInvite(ctx context.Context, person string, telegramID int64, invite string, now time.Time) (bool, error)
	// AuditCount counts telegramID's audit rows of action since then.
	AuditCount(ctx context.Context, telegramID int64, action string, since time.Time) (int, error)
	// ClaimNotice is true (and records now) when no notice under scope
	// went out within every: how refusals are coalesced.
	ClaimNotice(ctx context.Context, scope string, now time.Time, every time.Duration) (bool, error)

	SavePending(ctx context.Context, p planbot.Pending) (int64, error)
	LoadPending(ctx context.Context, id int64) (planbot.Pending, bool, error)
	DeletePending(ctx context.Context, id int64) error
	// PendingFor returns the newest open question to this user in this chat.
	PendingFor(ctx context.Context, chatID, userID int64) (planbot.Pending, bool, error)

	Audit(ctx context.Context, e planbot.AuditEntry) error

	// AddLeave, EndLeave (销假 as of a day) and Leaves keep the leaves
	// said in chat; the YAML's are in the plan.
	AddLeave(ctx context.Context, l planbot.Leave) (int64, error)
	EndLeave(ctx context.Context, person string, day planbot.Date) (int, error)
	Leaves(ctx context.Context) ([]planbot.Leave, error)

	// SyncPlan loads a reloaded plan into the database within the session.
	SyncPlan(ctx context.Context, plan *planbot.Plan, now time.Time) (planbot.SyncReport, error)
}
