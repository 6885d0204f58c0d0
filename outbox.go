package planbot

import "time"

// OutboxStatus is where a message is on its way to its chat.
type OutboxStatus string

const (
	OutboxPending   OutboxStatus = "pending"   // waiting for NextAttemptAt
	OutboxSending   OutboxStatus = "sending"   // handed to the platform, no answer yet
	OutboxSent      OutboxStatus = "sent"      // the platform took it
	OutboxFailed    OutboxStatus = "failed"    // given up (blocked, refused …)
	OutboxUncertain OutboxStatus = "uncertain" // the request may or may not have been delivered
)

// OutboxMethod is what a message does in its chat.
type OutboxMethod string

const (
	// MethodSend sends a new message: a text, or a picture or a file with
	// Text as its caption.
	MethodSend OutboxMethod = "send"
	// MethodEdit replaces the text and buttons of the bot's earlier message
	// EditMessageID in ChatID, on platforms that allow it.
	MethodEdit OutboxMethod = "edit"
	// MethodAnswer answers the button press PressID (the spinner on the
	// button stops), with Text as an optional toast.
	MethodAnswer OutboxMethod = "answer"
)

// Attachment says what kind of file a message carries.
type Attachment string

const (
	AttachNone    Attachment = ""
	AttachPicture Attachment = "picture" // shown inline (the digest's chart)
	AttachFile    Attachment = "file"    // a document to download (the ledger)
)

// OutboxMessage is one message to send, in the domain's terms: the
// platform's adapter turns it into its own calls.
//
// Text is HTML of the few tags the bot writes (<b>, <i>, <code>, <a>),
// every user word escaped (Escape); an adapter whose platform speaks
// another markup converts it. With Method send (or ""), the payload is
// Text alone, or a file (Attachment, FileName, FileData) with Text as its
// caption. With Method edit, ChatID, EditMessageID and Text are required.
// With Method answer, PressID is required, Text is an optional toast in
// plain text (a toast shows no markup), and ChatID is the chat the button
// was pressed in.
type OutboxMessage struct {
	ID      int64
	Method  OutboxMethod // "" is MethodSend
	ChatID  ChatID
	Text    string
	Buttons Keyboard // under the message; nil for none

	EditMessageID int    // MethodEdit: the message to change
	PressID       string // MethodAnswer: the button press to answer
	// ReplyRef is the EventRef of the message this one answers: the
	// adapter may answer through it (WeCom answers a callback by its
	// req_id) or, where it no longer can, send the message as any other.
	ReplyRef string

	Attachment Attachment
	FileName   string
	// FileData is the attachment's content (≤ 10 MiB for a picture, 50 MiB
	// for a file). Only ClaimBatch loads it, and it is dropped once the
	// message is sent, failed or uncertain.
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

	Status        OutboxStatus
	Attempts      int
	NextAttemptAt time.Time // not sent before; defaults to CreatedAt
	// SentMessageID is the platform's number of the message once sent (0
	// where the platform gives none): what a later edit refers to.
	SentMessageID int
	LastError     string
	CreatedAt     time.Time // defaults to the time of Enqueue
	SentAt        time.Time
	GivenUpAt     time.Time // when it became failed or uncertain
}

// Delivered is a message the platform took, to be recorded as sent: by
// the sender before its next request, in the transaction that claims the
// next messages when it claims (one commit per reply instead of two).
type Delivered struct {
	ID            int64
	SentMessageID int // the platform's number of the message, 0 if none
	At            time.Time
}
