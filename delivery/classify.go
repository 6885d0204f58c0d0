package delivery

import (
	"errors"
	"time"

	"planbot"
)

// verdict is what a Channel's answer means for the message and its chat.
type verdict int

const (
	verdictSent     verdict = iota // the platform took it
	verdictRetry                   // no answer or a server error: again after a backoff
	verdictGiveUp                  // as verdictRetry, but it has been tried long enough
	verdictCool                    // the platform asks the chat to wait: again then
	verdictFailChat                // the chat is gone: fail all its messages
	verdictRetarget                // the chat moved: its messages follow it
	verdictRefused                 // the platform refused this message: fail it
)

// String names the outcome in logs ("outcome" attribute).
func (v verdict) String() string {
	return [...]string{"sent", "retry", "give up", "cool chat", "fail chat", "retarget", "failed"}[v]
}

// result is a classified answer.
type result struct {
	verdict verdict
	sentID  int           // verdictSent
	after   time.Duration // verdictCool
	to      planbot.ChatID
	err     error
	// unanswered: the platform did not answer (or failed on its side),
	// which pauses all sending; any other answer, a refusal too, shows it
	// is up.
	unanswered bool
}

// classify reads a Channel's answer (see Channel). keepTrying says whether
// the message may be sent again after a failure without an answer; if
// not, it is given up.
func classify(sentID int, retry bool, err error, keepTrying bool) result {
	var after *RetryAfterError
	var gone *ChatGoneError
	var moved *ChatMovedError
	switch {
	case err == nil:
		return result{verdict: verdictSent, sentID: sentID}
	case errors.As(err, &after):
		return result{verdict: verdictCool, after: after.After, err: err}
	case errors.As(err, &gone):
		return result{verdict: verdictFailChat, err: err}
	case errors.As(err, &moved) && moved.To != "":
		return result{verdict: verdictRetarget, to: moved.To, err: err}
	case retry && keepTrying:
		return result{verdict: verdictRetry, err: err, unanswered: true}
	case retry:
		return result{verdict: verdictGiveUp, err: err, unanswered: true}
	}
	return result{verdict: verdictRefused, err: err}
}
