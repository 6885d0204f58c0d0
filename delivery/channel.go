// Package delivery owns getting the outbox's messages to their chats, on
// any platform. A platform's adapter supplies a Channel (one request, and
// what its answer means, in the terms below) and the platform's Limits;
// delivery owns the rest, in stages that are each tested alone:
//
//   - pacing (pacing.go): when a chat may next receive a message, and
//     how far apart any two requests start; the pause of all sending
//     while the platform does not answer;
//   - claiming (claim.go): how many messages to take from the outbox at
//     once, from how long a message has been taking in flight;
//   - classifying (classify.go): what a Channel's answer means for the
//     message and its chat: sent, try again later, give up, fail the
//     chat, follow the chat to its new address, cool the chat;
//   - recording (record.go): writing that outcome to the outbox, and
//     writing it again while the database does not take it;
//
// and Sender (sender.go) runs them over one platform's share of the
// outbox. Delivery is at least once: a message is marked sent only after
// the platform answered with it; one whose request got no answer may have
// arrived and is sent again, since a rare duplicate is better than a lost
// reminder.
package delivery

import (
	"context"
	"fmt"
	"time"

	"planbot"
)

// Channel makes one platform request for an outbox row. Its answer is in
// the manner of a notifier's (retry bool, err error):
//
//   - err nil: the platform took the message; sentMessageID is its number
//     of it (0 where it gives none);
//   - err a *RetryAfterError: the platform asks this chat to wait;
//   - err a *ChatGoneError: the chat cannot be reached any more (the bot
//     was blocked, removed, the chat deleted);
//   - err a *ChatMovedError: the chat has a new address;
//   - otherwise retry true: no answer, or the platform failed on its side.
//     The message may have arrived; it goes again after a backoff, and
//     all sending pauses, since the next request would most likely fail
//     alike;
//   - otherwise (retry false): the platform refused this message.
//
// The typed errors are found with errors.As and outrank retry. The error
// is recorded as the message's last error, so it must not carry secrets
// (a token in a URL).
type Channel interface {
	Send(ctx context.Context, m planbot.OutboxMessage) (sentMessageID int, retry bool, err error)
}

// RetryAfterError is a platform's "too many requests, wait After": only
// this chat waits, other chats' messages go on.
type RetryAfterError struct {
	After time.Duration
	Err   error // the platform's answer, if any
}

func (e *RetryAfterError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return fmt.Sprintf("rate limited: retry after %v", e.After)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// ChatGoneError says a chat cannot be reached (blocked, kicked, deleted):
// every message queued to it fails now instead of each being refused in
// turn. Messages queued later are tried again, once each: the person may
// have unblocked the bot.
type ChatGoneError struct {
	Err error // the platform's answer, if any
}

func (e *ChatGoneError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return "chat unreachable"
}

func (e *ChatGoneError) Unwrap() error { return e.Err }

// ChatMovedError says a chat now lives at To (a Telegram group upgraded
// to a supergroup): its queued messages follow it, in order.
type ChatMovedError struct {
	To  planbot.ChatID
	Err error // the platform's answer, if any
}

func (e *ChatMovedError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return "chat moved to " + string(e.To)
}

func (e *ChatMovedError) Unwrap() error { return e.Err }
