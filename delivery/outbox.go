package delivery

import (
	"context"
	"time"

	"planbot"
)

// Outbox is the storage side of delivery (storage.DB is one). Every
// platform has its own Sender over the same outbox, so the reads that pick
// messages (ClaimBatch, NextDue, RequeueInFlight) take the platform and
// see only its chats.
//
// ClaimBatchAfter records the messages delivered as sent and claims up to
// n messages, in one transaction (n 0: it only records): each the head of
// its chat's lane (button answers aside), skipping the chats skip says
// must wait, and behind each head up to perLane-1 of its lane's next
// messages, in lane order. With a thousand chats waiting, reading the
// queue is most of a claim's cost, and a batch reads it once; a reply's
// outcome and the next claim were a commit each; and a chat with a
// backlog took a claim per message (issue 15). Unclaim gives back claimed
// messages that were not sent, as they were before the claim.
type Outbox interface {
	ClaimBatchAfter(ctx context.Context, platform string, now time.Time, n, perLane int, skip func(planbot.ChatID) bool, delivered []planbot.Delivered) ([]planbot.OutboxMessage, error)
	Unclaim(ctx context.Context, ids []int64) error
	// FoldSent writes down for good what the outbox holds of delivered
	// messages outside its tables (storage's sent log), at the stop.
	FoldSent(ctx context.Context) error
	NextDue(ctx context.Context, platform string) (time.Time, bool, error)
	// FileData is a claimed message's attachment, read just before its
	// request: a claimed batch does not hold them all.
	FileData(ctx context.Context, id int64) ([]byte, error)
	MarkRetry(ctx context.Context, id int64, nextAttempt time.Time, errText string) error
	MarkFailed(ctx context.Context, id int64, errText string, now time.Time) error
	FailChat(ctx context.Context, chat planbot.ChatID, errText string, now time.Time) (int, error)
	RetargetChat(ctx context.Context, oldChat, newChat planbot.ChatID) (int, error)
	RequeueInFlight(ctx context.Context, platform string) (int, error)
}

// CommitWatcher is an Outbox that can tell when another process committed
// to it (storage.DB can): WatchCommits calls changed, until ctx ends, for
// commits it notices, checking every interval.
type CommitWatcher interface {
	WatchCommits(ctx context.Context, interval time.Duration, changed func()) error
}

// watchInterval is how often the sender looks for messages another
// process queued (planbot fire): without a look, it would find them at its
// next due message or idle wake-up, up to a minute later.
const watchInterval = time.Second
