package planbot

import "time"

// OutboxStatus is where a message is on its way to Telegram.
type OutboxStatus string

const (
	OutboxPending   OutboxStatus = "pending"   // waiting for NextAttemptAt
	OutboxSending   OutboxStatus = "sending"   // handed to the Bot API, no answer yet
	OutboxSent      OutboxStatus = "sent"      // Telegram answered with a message id
	OutboxFailed    OutboxStatus = "failed"    // given up (403, 400 …)
	OutboxUncertain OutboxStatus = "uncertain" // the request may or may not have been delivered
)

// OutboxMethod is which Bot API call delivers a message.
type OutboxMethod string

const (
	// MethodSend sends a new message: text (sendMessage), or a photo or a
	// document with Text as its caption.
	MethodSend OutboxMethod = "send"
	// MethodEdit replaces the text and keyboard of message EditMessageID in
	// ChatID (editMessageText).
	MethodEdit OutboxMethod = "edit"
	// MethodAnswer answers the button press CallbackQueryID
	// (answerCallbackQuery), with Text as an optional toast.
	MethodAnswer OutboxMethod = "answer"
)

// OutboxMessage is one message to send.
//
// With Method send (or ""), exactly one of Text (alone), Photo or Document
// is the payload; with Photo or Document, Text is the caption. Photo or
// Document is a Telegram file id, URL or local path; or, for an upload,
// FileData holds the bytes and FileName their name, and Photo or Document
// (set to anything, conventionally FileName) says which kind of file it is.
// With Method edit, ChatID, EditMessageID and Text are required. With Method
// answer, CallbackQueryID is required, Text is an optional toast, and
// ChatID may be 0.
type OutboxMessage struct {
	ID          int64
	Method      OutboxMethod // "" is MethodSend
	ChatID      int64
	Text        string
	ParseMode   string // "HTML" or ""
	ReplyMarkup string // JSON of the inline keyboard, "" for none
	Photo       string // Telegram file id, URL or local path; "" for none
	Document    string // likewise

	EditMessageID   int    // MethodEdit: the message to change
	CallbackQueryID string // MethodAnswer: the button press to answer
	FileName        string // an upload's file name
	// FileData is an upload's content (≤ 10 MiB for a photo, 50 MiB for a
	// document). Only ClaimBatch loads it, and it is dropped once the message
	// is sent, failed or uncertain.
	FileData []byte

	// Priority: higher is sent first (replies to a person before digests),
	// but never before an older unsent message of the same chat.
	Priority int
	// Job and ScheduledAt name the job run that produced the message; empty
	// and zero otherwise. A message that names a run needs the run claimed.
	Job         string
	ScheduledAt time.Time
	// Held marks a job run's message held for quiet hours: not sent as
	// composed, but composed again for its chat at NextAttemptAt, when the
	// run's messages to that chat replace it (or it is dropped).
	Held bool

	Status            OutboxStatus
	Attempts          int
	NextAttemptAt     time.Time // not sent before; defaults to CreatedAt
	TelegramMessageID int
	LastError         string
	CreatedAt         time.Time // defaults to the time of Enqueue
	SentAt            time.Time
	GivenUpAt         time.Time // when it became failed or uncertain
}
