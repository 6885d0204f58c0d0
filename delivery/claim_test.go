package delivery

import (
	"context"
	"slices"
	"testing"
	"time"

	"planbot"
)

func TestBatchSize(t *testing.T) {
	for _, c := range []struct {
		name     string
		gap      time.Duration
		service  time.Duration
		inFlight int
		want     int
	}{
		{"nothing sent yet", time.Second / 30, 0, 1, 1},
		{"Telegram's 30/s over a fast link", time.Second / 30, 5 * time.Millisecond, 1, 4},
		{"3,000/s over a fast link", time.Second / 3000, 100 * time.Microsecond, 1, 450},
		{"a 300 ms round trip", time.Second / 30, 300 * time.Millisecond, 1, 1},
		{"the same, 4 in flight", time.Second / 30, 300 * time.Millisecond, 4, 2},
		{"in flight 0 counts as 1", time.Millisecond, 60 * time.Millisecond, 0, 2},
		{"capped", 0, time.Nanosecond, 1, maxBatch},
	} {
		if got := batchSize(c.gap, c.service, c.inFlight); got != c.want {
			t.Errorf("%s: batchSize(%v, %v, %d) = %d, want %d", c.name, c.gap, c.service, c.inFlight, got, c.want)
		}
	}
}

func TestServiceTimeAverages(t *testing.T) {
	var s serviceTime
	s.observe(80 * time.Millisecond)
	if s.get() != 80*time.Millisecond {
		t.Errorf("first observation: %v", s.get())
	}
	s.observe(0)
	if s.get() != 70*time.Millisecond {
		t.Errorf("after a fast one: %v, want an eighth of the way down", s.get())
	}
}

func TestIdleWait(t *testing.T) {
	const soon = 10 * time.Millisecond
	for _, c := range []struct {
		name     string
		due      time.Time
		known    bool
		earliest time.Time
		want     time.Duration
	}{
		{"nothing queued", time.Time{}, false, time.Time{}, time.Minute},
		{"next due in 5 s", t0.Add(5 * time.Second), true, time.Time{}, 5 * time.Second},
		{"next due in an hour", t0.Add(time.Hour), true, time.Time{}, time.Minute},
		{"due now but not claimed: queued since", t0, true, time.Time{}, soon},
		{"due now, held by a chat's pause", t0, true, t0.Add(300 * time.Millisecond), 300 * time.Millisecond},
		{"a pause that just ended", t0, true, t0, soon},
		{"due later, a pause ending sooner", t0.Add(time.Second), true, t0.Add(200 * time.Millisecond), 200 * time.Millisecond},
	} {
		if got := idleWait(t0, c.due, c.known, c.earliest); got != c.want {
			t.Errorf("%s: wait %v, want %v", c.name, got, c.want)
		}
	}
}

// TestClaimSkipsChatsInTheirPause: the claim passes over chats still in
// their pause, claims for its own platform, and sizes the batch from the
// time a message takes in flight.
func TestClaimSkipsChatsInTheirPause(t *testing.T) {
	o := &fakeOutbox{queue: []planbot.OutboxMessage{
		{ID: 1, ChatID: chat("1")}, {ID: 2, ChatID: chat("g2")}, {ID: 3, ChatID: chat("3")},
		{ID: 4, ChatID: planbot.NewChatID("other", "1")},
	}}
	var logs testLog
	s := New("p", &fakeChannel{}, o, Limits{Gap: 10 * time.Millisecond, PerChat: time.Second, PerGroup: time.Minute, Group: groups},
		logs.logger(), func() time.Time { return t0 })
	s.pace.answered(chat("1"), t0.Add(-500*time.Millisecond)) // half its pause left
	s.pace.answered(chat("g2"), t0.Add(-2*time.Second))       // a group: most of its pause left
	s.service.observe(30 * time.Millisecond)

	if !s.claim(context.Background(), nil) {
		t.Fatal("nothing claimed")
	}
	var got []int64
	for _, m := range s.held {
		got = append(got, m.ID)
	}
	if !slices.Equal(got, []int64{3}) {
		t.Errorf("claimed %v, want only message 3 (the others' chats wait, or are another platform's)", got)
	}
	if !slices.Equal(o.claimN, []int{5}) {
		t.Errorf("claimed batches of %v, want 150 ms / 30 ms = 5", o.claimN)
	}
}

// TestClaimNothingWaits: a claim that finds nothing returns false (after
// its wait, cut short here by the context).
func TestClaimNothingWaits(t *testing.T) {
	o := &fakeOutbox{queue: []planbot.OutboxMessage{{ID: 1, ChatID: chat("1")}}, nextDue: t0}
	var logs testLog
	s := New("p", &fakeChannel{}, o, Limits{PerChat: time.Hour}, logs.logger(), func() time.Time { return t0 })
	s.pace.answered(chat("1"), t0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if s.claim(ctx, nil) || len(s.held) != 0 {
		t.Errorf("claimed %v from a chat in its pause", s.held)
	}
}
