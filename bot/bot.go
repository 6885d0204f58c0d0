// Package bot owns the conversation: handlers that take an inbound message
// (planbot.Message) and return replies, the buttons and views they draw,
// the glue to the free-text intake, and the console. It speaks of chats
// and accounts by their platform-neutral addresses (planbot.ChatID,
// planbot.UserID) and knows no chat platform: an adapter (package
// telegram) turns its events into Messages, and sends the outbox rows
// ToOutbox makes of the replies.
package bot

import "planbot"

// The inbound event lives in the root, shared by every platform's adapter
// and the scheduler; these names keep the conversation's callers reading
// bot.Message, bot.ChatPrivate.
type (
	Message  = planbot.Message
	Callback = planbot.Callback
	ChatKind = planbot.ChatKind
)

const (
	ChatPrivate = planbot.ChatPrivate
	ChatGroup   = planbot.ChatGroup
	ChatChannel = planbot.ChatChannel
)

// Button is one button under a message, in the shape the scheduler's
// reminders use too.
type Button = planbot.Button

// Reply is one thing the bot sends back. Text is HTML with every user
// string already escaped.
type Reply struct {
	ChatID   planbot.ChatID
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

// Store is what the handlers read and write: the whole transaction
// (planbot.Tx), as /digest and /export read within it too. One call of
// Handle runs against one Store session: behind a chat platform, the
// transaction that also records the inbound event as handled, so a crash
// never applies a message twice.
type Store = planbot.Tx
