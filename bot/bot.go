// Package bot owns the conversation: handlers that take a chat message in
// our own types and return replies, and the adapters that carry them over
// Telegram (long polling, with an outbox sender) and the console. Handlers
// never see tgbotapi: the Telegram adapter converts at the edge.
package bot

import (
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

// Store is what the handlers read and write: the whole transaction
// (planbot.Tx), as /digest and /export read within it too. One call of
// Handle runs against one Store session: in Telegram, the transaction that
// also records the update as handled, so a crash never applies a message
// twice.
type Store = planbot.Tx
