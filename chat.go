package planbot

import (
	"context"
	"slices"
	"strings"
	"time"
)

// A chat platform (Telegram, WeCom, the console) is an adapter at the edge:
// it turns its events into Messages and sends OutboxMessages. The domain
// names no platform; it addresses people and chats by the addresses below,
// which the adapters make and read.

// ChatID is the address of one chat on one platform: the platform's name
// (the adapter's own, e.g. "telegram"), a colon, and the chat's id there as
// text ("telegram:-1001234567"). The domain compares and stores it, never
// reads inside it; "" is no chat.
type ChatID string

// UserID is the address of one person's account on one platform, in the
// same shape as ChatID. A person's private chat with the bot has the same
// address as the account (UserID.Chat).
type UserID string

// NewChatID is the address of chat id on platform.
func NewChatID(platform, id string) ChatID { return ChatID(platform + ":" + id) }

// NewUserID is the address of account id on platform.
func NewUserID(platform, id string) UserID { return UserID(platform + ":" + id) }

// Platform is the name of the platform c is on; "" for no chat.
func (c ChatID) Platform() string { p, _ := split(string(c)); return p }

// Local is the chat's id on its platform.
func (c ChatID) Local() string { _, id := split(string(c)); return id }

// Platform is the name of the platform u is on; "" for no account.
func (u UserID) Platform() string { p, _ := split(string(u)); return p }

// Local is the account's id on its platform.
func (u UserID) Local() string { _, id := split(string(u)); return id }

// Chat is u's private chat with the bot.
func (u UserID) Chat() ChatID { return ChatID(u) }

func split(addr string) (platform, id string) {
	p, id, ok := strings.Cut(addr, ":")
	if !ok {
		return "", addr
	}
	return p, id
}

// ChatKind says where a message was written.
type ChatKind string

const (
	ChatPrivate ChatKind = "private"
	ChatGroup   ChatKind = "group" // groups and supergroups
	ChatChannel ChatKind = "channel"
)

// Message is one inbound event, as a platform's adapter hands it to the
// conversation: a text, photo or file message, or a press on a button
// (Callback set).
type Message struct {
	ChatID   ChatID
	Chat     ChatKind
	UserID   UserID // "" when sent on behalf of a chat
	UserName string // display name, for logs and greetings only: never for authorisation
	ViaChat  bool   // sent as a chat (anonymous admin, channel): not a person
	// AsPerson is set only by a trusted local adapter (the console, run by
	// someone with access to the server) to act as a person by key.
	AsPerson string
	// MessageID is the platform's number of the message in its chat, on
	// platforms that number them (0 otherwise): what an edit or a reply
	// refers to.
	MessageID int
	Text      string   // text, or the caption of a photo or file
	PhotoIDs  []string // evidence references (see evidence.go)
	ReplyTo   int
	// ReplyToUser is the sender of the message this one replies to: the
	// bot's own account when someone answers one of its messages.
	ReplyToUser UserID
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
	// EventRef is the platform's handle for answering this event directly
	// (WeCom's req_id of a callback); "" where the platform has none.
	EventRef string
}

// Callback is a press on a button under one of the bot's messages.
type Callback struct {
	ID        string // the press, to answer it (MethodAnswer)
	Data      string // what the button carries (≤ MaxButtonData bytes)
	MessageID int    // the message that holds the buttons
}

// ReminderChat is the one chat a person's reminders and digests go to, so
// that a person reachable on several platforms is never told twice: the
// account on their preferred platform, if they have one there; else the
// account (in the YAML, or bound by invite code) they wrote from last, by
// seen; else their first account in the YAML; else the bound one; "" when
// they cannot be reached.
func ReminderChat(p Person, bound ChatID, seen map[UserID]time.Time) ChatID {
	accounts := p.Accounts
	if bound != "" && !slices.Contains(accounts, UserID(bound)) {
		accounts = append(slices.Clip(accounts), UserID(bound))
	}
	if p.Prefer != "" {
		for _, a := range accounts {
			if a.Platform() == p.Prefer {
				return a.Chat()
			}
		}
	}
	var last UserID
	var lastAt time.Time
	for _, a := range accounts {
		if at, ok := seen[a]; ok && at.After(lastAt) {
			last, lastAt = a, at
		}
	}
	switch {
	case last != "":
		return last.Chat()
	case len(accounts) > 0:
		return accounts[0].Chat()
	}
	return ""
}

// Conversation is what a platform's receiver hands each inbound message
// to (the chat bot is one). It is declared here, beside Tx, because every
// adapter takes the same one and no adapter may import another.
type Conversation interface {
	// Serve handles m within tx and returns the replies to queue with it.
	Serve(ctx context.Context, tx Tx, m Message) ([]OutboxMessage, error)
	// ApologyFor is what a person reads when handling m failed.
	ApologyFor(m Message) []OutboxMessage
	// AdminChats is where the bot's own alarms go.
	AdminChats() []ChatID
	// Known reports whether u is on the list (only they hear anything but
	// a refusal); it only reads, so it works on a full disk.
	Known(ctx context.Context, r BindingReader, u UserID) bool
	// SetSelf tells the conversation the bot's own account on u's
	// platform and the name people @ it by: in a group it answers only
	// what is addressed to it.
	SetSelf(id UserID, username string)
}

// InboundEvent is an event a platform sends only once (WeCom's callbacks),
// stored as it arrived until it is handled.
type InboundEvent struct {
	Platform   string
	EventID    string
	Payload    []byte // what the receiver stored: the frame, and any file fetched with it
	ReceivedAt time.Time
}

// PolledUpdate is one update of a polled batch (Telegram's getUpdates),
// handed to storage to be handled with the others in one transaction: the
// update's effects, its replies and its being recorded commit with the
// batch's, and a commit per update was most of an update's cost (issue
// 15).
type PolledUpdate struct {
	ID, NextOffset int
	Now            time.Time // stamps the replies
	// Serve handles the update; nil: there is nothing to do but record
	// it (an update that is not a message).
	Serve func(Tx) ([]OutboxMessage, error)
	// Apology is what the sender is told when Serve fails.
	Apology func() []OutboxMessage
}

// PolledOutcome is what became of one update of a batch.
type PolledOutcome struct {
	Already bool  // recorded before: skipped
	Failed  error // Serve failed: its effects rolled back, recorded with the apology
	// ApologyRefused is why the apology could not be queued: the update
	// is recorded without it.
	ApologyRefused error
}
