package wecom

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"planbot/delivery"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err         error
		retry       bool
		cool        time.Duration
		gone        bool
		hookRetry   bool
		hookGone    bool
		hookCoolToo bool
	}{
		{err: ErrNotConnected, retry: true, hookRetry: true},
		{err: fmt.Errorf("%w (aibot_send_msg after 10s)", ErrNoAck), retry: true, hookRetry: true},
		{err: fmt.Errorf("%w: x", ErrConnLost), retry: true, hookRetry: true},
		{err: context.DeadlineExceeded, retry: true, hookRetry: true},
		{err: &Error{Code: codeRateLimited}, cool: time.Minute, hookCoolToo: true},
		{err: &Error{Code: codeNoChat}, gone: true},
		{err: &Error{Code: codeBadWebhook}, hookGone: true},
		{err: &Error{Code: codeBusy}, retry: true, hookRetry: true},
		{err: &Error{Code: codeConcurrency}, retry: true},
		{err: &Error{Code: codeTooLong}},
		{err: &Error{Code: codeMD5Mismatch}},
		{err: &Error{Code: codeInvalidReqID}},
		{err: &hookHTTPError{status: 502}, hookRetry: true},
		{err: &hookHTTPError{status: 404}},
	} {
		retry, err := classify(tc.err)
		var after *delivery.RetryAfterError
		var gone *delivery.ChatGoneError
		isCool, isGone := errors.As(err, &after), errors.As(err, &gone)
		if _, http := tc.err.(*hookHTTPError); !http {
			if retry != tc.retry || isGone != tc.gone || isCool != (tc.cool > 0) || (isCool && after.After != tc.cool) {
				t.Errorf("classify(%v) = %v, %v", tc.err, retry, err)
			}
		}
		retry, err = classifyHook(tc.err)
		isCool, isGone = errors.As(err, &after), errors.As(err, &gone)
		if retry != tc.hookRetry || isGone != tc.hookGone || isCool != tc.hookCoolToo || (isCool && after.After != time.Minute) {
			t.Errorf("classifyHook(%v) = %v, %v", tc.err, retry, err)
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("classifyHook(%v) lost the cause", tc.err)
		}
	}
}

func TestRedact(t *testing.T) {
	err := redact(errors.New(`Post "https://x/send?key=KEY123": EOF`), "KEY123")
	if err.Error() != `Post "https://x/send?key=REDACTED": EOF` {
		t.Errorf("redact = %v", err)
	}
	if redact(nil, "k") != nil {
		t.Error("redact(nil)")
	}
}
