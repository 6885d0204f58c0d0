//go:build unix

package main

// TestKillMidFanOut runs the real planbot binary (`planbot run`) against the
// fake Bot API in this process, on an outbox holding a fan-out of 1,000
// reminders to 1,000 chats, and stops it three ways:
//
//  1. SIGKILL after about 300 deliveries: the second run sends the rest.
//     Nothing is lost; a message is sent twice only if its request was in
//     flight at the kill (the sender has one in flight at a time: at most 1
//     duplicate).
//  2. SIGTERM mid-way through the rest: the process exits 0 within 10 s,
//     having finished the request in flight and put back what it had
//     claimed, so the third run finds nothing in flight.
//  3. SIGTERM once all is sent.
//
// The first two sends are dropped without an answer, so the error the
// client logs carries the request URL, which holds the token: no line of
// any run's output may hold it.
//
// The send limits are scaled up (per_second 1000, per_chat_seconds 0) so a
// run takes about a second; 1,000/s rather than 3,000/s leaves the stops
// time to land mid fan-out. Skipped under -short: it builds the binary.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"planbot"
	"planbot/storage"
	"planbot/telegram/telegramtest"
)

const (
	killChats     = 1000
	killFirstChat = 900000001
	killAfter     = 300
	termAfter     = 600
	killGuard     = 60 * time.Second // a run needs about a second
)

// killDelivered counts, over calls, the messages to the fan-out's chats
// that Telegram accepted, and the chats that received at least one.
func killDelivered(calls []telegramtest.Call) (sends, chats int) {
	return deliveredTo(calls, killFirstChat, killChats)
}

func TestKillMidFanOut(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the planbot binary")
	}
	t.Parallel()
	began := time.Now()
	h := newBinHarness(t, telegramtest.WithMaxPollWait(2*time.Second))
	srv := h.srv
	dbPath, cfgPath := h.runConfig(fastSends...)

	// The fan-out, queued as a reminder job would have queued it.
	ctx := context.Background()
	db, err := storage.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Minute)
	msgs := make([]planbot.OutboxMessage, killChats)
	for i := range msgs {
		msgs[i] = planbot.OutboxMessage{ChatID: tgChat(int64(killFirstChat + i)), CreatedAt: past,
			Text: fmt.Sprintf("⏰ <b>逾期提醒</b>：第 %d 条，请尽快汇报进度。", i+1)}
	}
	if err := db.Enqueue(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	db.Close()
	counts := func() map[planbot.OutboxStatus]int { t.Helper(); return outboxCounts(t, dbPath) }
	deliveredAtLeast := func(n int) func([]telegramtest.Call) bool {
		return func(calls []telegramtest.Call) bool { _, chats := killDelivered(calls); return chats >= n }
	}

	// 1. SIGKILL mid fan-out; its first two requests get no answer.
	srv.FailNext("sendMessage", 2, telegramtest.Fault{Drop: true})
	first := h.startRun("first run", cfgPath)
	srv.WaitFor(t, killGuard, deliveredAtLeast(killAfter))
	first.kill(t)
	sends, chats := killDelivered(srv.Calls())
	c := counts()
	t.Logf("%v: at the SIGKILL: %d chats reached (%d sends); outbox %v", time.Since(began).Round(time.Millisecond), chats, sends, c)
	if !strings.Contains(first.Output(), "send failed without an answer") {
		t.Errorf("the dropped requests were not logged:\n%s", first.Output())
	}

	// 2. SIGTERM mid-way through the rest.
	second := h.startRun("second run", cfgPath)
	srv.WaitFor(t, killGuard, deliveredAtLeast(termAfter))
	second.stop(t)
	sends, chats = killDelivered(srv.Calls())
	c = counts()
	t.Logf("%v: at the SIGTERM: %d chats reached (%d sends); outbox %v", time.Since(began).Round(time.Millisecond), chats, sends, c)
	if c[planbot.OutboxSending] != 0 {
		t.Errorf("%d messages left in flight after SIGTERM", c[planbot.OutboxSending])
	}
	if !strings.Contains(second.Output(), "messages claimed but not confirmed at the last stop are sent again") ||
		!strings.Contains(second.Output(), "may_arrive_twice=1") {
		t.Errorf("the second run did not requeue what the killed one had in flight")
	}

	// 3. The rest, then SIGTERM.
	third := h.startRun("third run", cfgPath)
	srv.WaitFor(t, killGuard, deliveredAtLeast(killChats))
	third.stop(t)
	if strings.Contains(third.Output(), "not confirmed at the last stop") {
		t.Errorf("the third run found messages in flight after a SIGTERM")
	}
	sends, chats = killDelivered(srv.Calls())
	dups := sends - killChats
	t.Logf("%v: all %d chats reached with %d sends: %d duplicates", time.Since(began).Round(time.Millisecond), chats, sends, dups)
	if chats != killChats || dups < 0 || dups > 1 {
		t.Errorf("%d of %d chats reached, %d duplicates (want every chat, at most 1 duplicate: the request in flight at the SIGKILL)", chats, killChats, dups)
	}
	if c := counts(); c[planbot.OutboxPending] != 0 || c[planbot.OutboxSending] != 0 || c[planbot.OutboxFailed] != 0 {
		t.Errorf("outbox at the end: %v", c)
	}
}
