package delivery

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	refused := errors.New("400 Bad Request: can't parse entities")
	noAnswer := errors.New("Post \"https://api/bot<token>/sendMessage\": EOF")
	after := &RetryAfterError{After: 3 * time.Second, Err: errors.New("429 Too Many Requests: retry after 3")}
	gone := &ChatGoneError{Err: errors.New("403 Forbidden: bot was blocked by the user")}
	moved := &ChatMovedError{To: chat("-100"), Err: errors.New("400 Bad Request: group chat was upgraded to a supergroup chat")}
	for _, c := range []struct {
		name       string
		sentID     int
		retry      bool
		err        error
		keepTrying bool
		want       verdict
		unanswered bool
	}{
		{"sent", 42, false, nil, true, verdictSent, false},
		{"sent, retry ignored without an error", 42, true, nil, true, verdictSent, false},
		{"refused", 0, false, refused, true, verdictRefused, false},
		{"no answer", 0, true, noAnswer, true, verdictRetry, true},
		{"no answer for too long", 0, true, noAnswer, false, verdictGiveUp, true},
		{"rate limited", 0, false, after, true, verdictCool, false},
		{"rate limited, wrapped, with retry", 0, true, fmt.Errorf("send: %w", after), false, verdictCool, false},
		{"chat gone", 0, false, gone, true, verdictFailChat, false},
		{"chat gone outranks retry", 0, true, gone, true, verdictFailChat, false},
		{"chat moved", 0, false, moved, true, verdictRetarget, false},
		{"chat moved nowhere is refused", 0, false, &ChatMovedError{}, true, verdictRefused, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := classify(c.sentID, c.retry, c.err, c.keepTrying)
			if r.verdict != c.want || r.unanswered != c.unanswered {
				t.Errorf("classify = %v (unanswered %v), want %v (unanswered %v)", r.verdict, r.unanswered, c.want, c.unanswered)
			}
			if r.verdict == verdictSent && r.sentID != c.sentID {
				t.Errorf("sent as %d, want %d", r.sentID, c.sentID)
			}
			if r.verdict == verdictCool && r.after != 3*time.Second {
				t.Errorf("cool for %v, want the platform's 3 s", r.after)
			}
			if r.verdict == verdictRetarget && r.to != moved.To {
				t.Errorf("retarget to %q, want %q", r.to, moved.To)
			}
			if c.err != nil && !errors.Is(r.err, c.err) {
				t.Errorf("error %v not kept", c.err)
			}
		})
	}
}

func TestTypedErrorsText(t *testing.T) {
	if got := (&RetryAfterError{After: time.Second}).Error(); got != "rate limited: retry after 1s" {
		t.Errorf("RetryAfterError without an answer: %q", got)
	}
	inner := errors.New("403 Forbidden: bot was kicked")
	if got := (&ChatGoneError{Err: inner}).Error(); got != inner.Error() {
		t.Errorf("ChatGoneError: %q, want the platform's answer", got)
	}
	if got := (&ChatMovedError{To: chat("9")}).Error(); got != "chat moved to p:9" {
		t.Errorf("ChatMovedError: %q", got)
	}
}
