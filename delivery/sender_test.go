package delivery

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"planbot"
)

// TestDeliverNotesTheAnswer: beyond the outbox write, an answer moves the
// chat's pause, a platform's wait cools the chat, and a missing answer
// pauses all sending until an answer comes.
func TestDeliverNotesTheAnswer(t *testing.T) {
	ctx := context.Background()
	clock := &fixedClock{t: t0}
	ch := &fakeChannel{answers: map[int64]answer{
		2: {retry: true, err: errors.New("EOF")},
		3: {err: &RetryAfterError{After: 5 * time.Second}},
	}}
	o := &fakeOutbox{}
	var logs testLog
	s := New("p", ch, o, Limits{PerChat: time.Second}, logs.logger(), clock.Now)
	s.Backoff = func(n int) time.Duration { return time.Duration(n) * time.Minute }
	reachable := make(chan struct{}, 1)
	s.OnReachable = func() { reachable <- struct{}{} }

	s.deliver(ctx, planbot.OutboxMessage{ID: 1, ChatID: chat("1"), Attempts: 1})
	if at := s.pace.readyAt(chat("1")); !at.Equal(t0.Add(time.Second)) {
		t.Errorf("after a send the chat is ready at %v, want PerChat later", at)
	}
	s.deliver(ctx, planbot.OutboxMessage{ID: 2, ChatID: chat("2"), Attempts: 1, CreatedAt: t0})
	if until := s.down.pausedUntil(); !until.Equal(t0.Add(time.Minute)) {
		t.Errorf("after no answer sending pauses until %v, want the backoff of one failure", until)
	}
	s.deliver(ctx, planbot.OutboxMessage{ID: 3, ChatID: chat("3"), Attempts: 1})
	if at := s.pace.readyAt(chat("3")); !at.Equal(t0.Add(5 * time.Second)) {
		t.Errorf("a rate-limited chat is ready at %v, want after the platform's wait", at)
	}
	if !s.down.pausedUntil().IsZero() {
		t.Error("an answer (a 429 too) did not end the pause")
	}
	select {
	case <-reachable:
	case <-time.After(5 * time.Second):
		t.Error("OnReachable not told the platform answers again")
	}
	// A button answer is not a message to the chat: no pause.
	s.deliver(ctx, planbot.OutboxMessage{ID: 4, ChatID: chat("4"), Method: planbot.MethodAnswer, PressID: "q"})
	if at := s.pace.readyAt(chat("4")); at.After(t0) {
		t.Errorf("a button answer paused its chat until %v", at)
	}
	want := []string{`MarkRetry 2 09:01:00.000 "EOF"`, `MarkRetry 3 09:00:05.000 "rate limited: retry after 5s"`}
	if got := o.Calls(); !slices.Equal(got, want) {
		t.Errorf("writes %q, want %q", got, want)
	}
	// What the platform took is recorded by Run, before its next request.
	wantSent := []planbot.Delivered{{ID: 1, SentMessageID: 101, At: t0}, {ID: 4, SentMessageID: 104, At: t0}}
	if got := s.takeSent(); !slices.Equal(got, wantSent) {
		t.Errorf("delivered %+v, want %+v", got, wantSent)
	}
	if s.service.get() != 0 {
		// The fixed clock stood still: no time in flight.
		t.Errorf("time in flight %v on a clock that stood still", s.service.get())
	}
}

// TestDeliverGivesUp: a message that failed without an answer MaxAttempts
// times and is older than GiveUpAfter fails; a younger one is retried
// however often it failed.
func TestDeliverGivesUp(t *testing.T) {
	ch := &fakeChannel{answers: map[int64]answer{1: {retry: true, err: errors.New("EOF")}, 2: {retry: true, err: errors.New("EOF")}}}
	o := &fakeOutbox{}
	var logs testLog
	s := New("p", ch, o, Limits{}, logs.logger(), func() time.Time { return t0 })
	s.Backoff = func(int) time.Duration { return time.Second }
	s.deliver(context.Background(), planbot.OutboxMessage{ID: 1, ChatID: chat("1"), Attempts: 20, CreatedAt: t0.Add(-25 * time.Hour)})
	s.deliver(context.Background(), planbot.OutboxMessage{ID: 2, ChatID: chat("2"), Attempts: 50, CreatedAt: t0.Add(-time.Hour)})
	want := []string{`MarkFailed 1 "EOF"`, `MarkRetry 2 09:00:01.000 "EOF"`}
	if got := o.Calls(); !slices.Equal(got, want) {
		t.Errorf("writes %q, want %q", got, want)
	}
}

// TestRunPutsBackWhatItClaimed: Run requeues at start what a previous
// run left in flight, finishes the request in flight at the stop, and
// puts back what it claimed but did not send.
func TestRunPutsBackWhatItClaimed(t *testing.T) {
	o := &fakeOutbox{queue: []planbot.OutboxMessage{{ID: 1, ChatID: chat("1")}, {ID: 2, ChatID: chat("2")}, {ID: 3, ChatID: chat("3")}}}
	release := make(chan struct{})
	ch := &fakeChannel{block: map[int64]chan struct{}{1: release}, started: make(chan int64, 3)}
	var logs testLog
	s := New("p", ch, o, Limits{}, logs.logger(), func() time.Time { return t0 })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	if id := <-ch.started; id != 1 {
		t.Fatalf("started with message %d", id)
	}
	cancel()
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	want := []string{"RequeueInFlight p", "MarkSent 1 101", "Unclaim [2 3]"}
	if got := o.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls %q, want %q", got, want)
	}
	// The stop is no failure: nothing to alarm an admin about.
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a clean stop logged an error:\n%s", logs.String())
	}
}

// TestRunRecordsAgain: an outcome the database refused is written again,
// and the message is not sent again meanwhile.
func TestRunRecordsAgain(t *testing.T) {
	o := &fakeOutbox{queue: []planbot.OutboxMessage{{ID: 1, ChatID: chat("1")}}, fail: 1, wrote: make(chan string, 8)}
	var logs testLog
	ch := &fakeChannel{}
	s := New("p", ch, o, Limits{}, logs.logger(), func() time.Time { return t0 })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-o.wrote:
	case <-time.After(10 * time.Second):
		t.Fatalf("the refused outcome was not written again: %q", o.Calls())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := o.Calls(); !slices.Equal(got[:3], []string{"RequeueInFlight p", "refused MarkSent 1 101", "MarkSent 1 101"}) {
		t.Errorf("calls %q", got)
	}
	if len(ch.sent) != 1 {
		t.Errorf("sent %d times, want once", len(ch.sent))
	}
	if !strings.Contains(logs.String(), "recorded after all") {
		t.Errorf("log:\n%s", logs.String())
	}
}
