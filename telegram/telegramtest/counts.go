package telegramtest

import (
	"testing"
	"time"
)

// okKey counts the calls of one method to one chat that took effect.
type okKey struct {
	method string
	chatID int64
}

// OKCount is how many calls of method took effect (Call.OK) in the chats
// that chat accepts (nil: every chat, including calls without one). It
// reads counters kept as calls are recorded, so it costs one step per
// chat, not per call: a load harness can wait on thousands of replies
// without copying the call list on every change, as WaitFor does.
func (s *Server) OKCount(method string, chat func(int64) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, c := range s.okCounts {
		if k.method == method && (chat == nil || chat(k.chatID)) {
			n += c
		}
	}
	return n
}

// WaitUntil blocks until cond holds, re-evaluating it on every change of
// the server's state (a call recorded, an update queued or confirmed),
// like WaitFor but without a snapshot of the calls: cond reads what it
// needs through the server's methods (OKCount, Offset, Polling …). On
// timeout it fails the test with tb.Fatalf, naming what, so call it from
// the test goroutine.
func (s *Server) WaitUntil(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	s.waitChanged(tb, timeout, cond, func() {
		tb.Fatalf("telegramtest: %s: not within %v; offset %d, %d pending updates", what, timeout, s.Offset(), s.Pending())
	})
}

// WaitOK waits until OKCount(method, chat) is at least n.
func (s *Server) WaitOK(tb testing.TB, method string, chat func(int64) bool, n int, timeout time.Duration) {
	tb.Helper()
	s.WaitUntil(tb, timeout, "waiting for "+method, func() bool { return s.OKCount(method, chat) >= n })
}
