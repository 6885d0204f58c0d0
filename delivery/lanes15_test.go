package delivery

import (
	"context"
	"slices"
	"testing"
	"time"

	"planbot"
)

// TestRunGivesBackAChatsFollowers: a chat's messages claimed behind its
// head go back to the queue (Unclaim), unsent, when the head was not sent
// or the chat must now wait longer than a batch lasts; the other chats'
// messages go on, ahead of a chat that waits.
func TestRunGivesBackAChatsFollowers(t *testing.T) {
	for name, tc := range map[string]struct {
		answers map[int64]answer
		lim     Limits
		writes  []string
	}{
		"head rate limited": {
			answers: map[int64]answer{1: {err: &RetryAfterError{After: 5 * time.Second}}},
			writes:  []string{`MarkRetry 1 09:00:05.000 "rate limited: retry after 5s"`, "Unclaim [2]", "MarkSent 3 103"},
		},
		"group's pause": {
			lim: Limits{PerGroup: time.Hour, Group: func(c planbot.ChatID) bool { return c == chat("g") }},
			// 3 goes first: its chat is ready while g's pause runs.
			writes: []string{"MarkSent 1 101", "MarkSent 3 103", "Unclaim [2]"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			o := &fakeOutbox{queue: []planbot.OutboxMessage{{ID: 1, ChatID: chat("g")}, {ID: 2, ChatID: chat("g")}, {ID: 3, ChatID: chat("x")}}}
			ch := &fakeChannel{answers: tc.answers, started: make(chan int64, 3)}
			var logs testLog
			s := New("p", ch, o, tc.lim, logs.logger(), (&fixedClock{t: t0}).Now)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Run(ctx) }()
			for _, want := range []int64{1, 3} {
				select {
				case id := <-ch.started:
					if id != want {
						t.Fatalf("sent message %d, want %d", id, want)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("message %d not sent", want)
				}
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if got := o.Calls()[1:]; !slices.Equal(got, tc.writes) { // after RequeueInFlight
				t.Errorf("writes %q, want %q", got, tc.writes)
			}
			if slices.Contains(ch.sent, 2) {
				t.Errorf("sent %v: message 2 went", ch.sent)
			}
		})
	}
}

// perLane: a claim takes a chat's next messages only if they can go
// within the batch's horizon, one request at a time.
func TestPerLane(t *testing.T) {
	for _, tc := range []struct {
		perChat  time.Duration
		inFlight int
		want     int
	}{
		{time.Second, 1, 1}, // Telegram's pause
		{0, 1, maxBatch},
		{50 * time.Millisecond, 1, 4},
		{0, 4, 1}, // two of a chat in flight at once is never allowed
	} {
		s := New("p", &fakeChannel{}, &fakeOutbox{}, Limits{PerChat: tc.perChat}, (&testLog{}).logger(), time.Now)
		s.MaxInFlight = tc.inFlight
		if got := s.perLane(); got != tc.want {
			t.Errorf("PerChat %v, %d in flight: perLane %d, want %d", tc.perChat, tc.inFlight, got, tc.want)
		}
	}
}

// TestRunWaitsOutAShortPause: a chat's next message claimed behind its
// head waits for the chat's pause when that ends within the batch's
// horizon, and goes without being put back.
func TestRunWaitsOutAShortPause(t *testing.T) {
	o := &fakeOutbox{queue: []planbot.OutboxMessage{{ID: 1, ChatID: chat("g")}, {ID: 2, ChatID: chat("g")}}}
	ch := &fakeChannel{started: make(chan int64, 2)}
	var logs testLog
	const pause = 20 * time.Millisecond
	s := New("p", ch, o, Limits{PerChat: pause}, logs.logger(), time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var at []time.Time
	for range 2 {
		select {
		case <-ch.started:
			at = append(at, time.Now())
		case <-time.After(10 * time.Second):
			t.Fatal("not sent")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if d := at[1].Sub(at[0]); d < pause {
		t.Errorf("second message %v after the first, before the chat's pause of %v", d, pause)
	}
	if got := o.Calls()[1:]; !slices.Equal(got, []string{"MarkSent 1 101", "MarkSent 2 102"}) {
		t.Errorf("writes %q", got)
	}
}
