package storage

// Issue 11, defect 11: a chat's replies and reminders are separate lanes.
// A reminder that waits (held for quiet hours, or a retry) never holds
// back a reply; each lane keeps its own order (a long message's parts
// arrive in order); and a chat still never gets two messages at once.

import (
	"context"
	"slices"
	"testing"
	"time"

	"planbot"
)

// runMessages queues msgs as the messages of the run (job, at), as the
// scheduler does.
func runMessages(t *testing.T, db *DB, job string, at time.Time, msgs ...OutboxMessage) {
	t.Helper()
	ran, err := db.RunJob(context.Background(), job, at, at, func(planbot.Tx) ([]OutboxMessage, error) { return msgs, nil })
	if err != nil || !ran {
		t.Fatalf("RunJob %s: %v, %v", job, ran, err)
	}
}

// claimTexts claims and sends, one at a time, everything that can go at
// now, and returns the texts in claim order.
func claimTexts(t *testing.T, db *DB, now time.Time) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for range 100 {
		m, ok, err := db.claimOne(ctx, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, m.Text)
		if err := db.MarkSent(ctx, m.ID, 1, now); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("the queue does not drain")
	return nil
}

func TestLaneReplyNotBehindWaitingReminder(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	chat := tgChat(2001)
	night := t0.Add(13 * time.Hour) // 22:00
	morning := t0.Add(23 * time.Hour)
	// A digest in two parts waiting for the morning (as an older planbot
	// held it, or as a retry waits), then a reply in two parts.
	runMessages(t, db, "digest", night,
		OutboxMessage{ChatID: chat, Text: "周报 1/2", NextAttemptAt: morning},
		OutboxMessage{ChatID: chat, Text: "周报 2/2", NextAttemptAt: morning})
	if err := db.Enqueue(ctx,
		OutboxMessage{ChatID: chat, Text: "目标 1/2", Priority: 10, CreatedAt: night},
		OutboxMessage{ChatID: chat, Text: "目标 2/2", Priority: 10, CreatedAt: night}); err != nil {
		t.Fatal(err)
	}
	if got := claimTexts(t, db, night.Add(time.Second)); !slices.Equal(got, []string{"目标 1/2", "目标 2/2"}) {
		t.Errorf("at 22:00 the chat gets %q; want the reply's two parts, in order, while the digest waits", got)
	}
	if next, ok, err := db.NextDue(ctx, tg); err != nil || !ok || !next.Equal(morning) {
		t.Errorf("NextDue = %v, %v, %v; want the digest at 08:00", next, ok, err)
	}
	if got := claimTexts(t, db, morning); !slices.Equal(got, []string{"周报 1/2", "周报 2/2"}) {
		t.Errorf("at 08:00 the chat gets %q; want the digest's two parts, in order", got)
	}
}

// One message of a chat in flight at a time, whichever lane: a reply is
// not handed out while the chat's reminder is in flight, and a batch
// claims one message per chat.
func TestLaneOneInFlightPerChat(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	runMessages(t, db, "overdue", t0, OutboxMessage{ChatID: tgChat(1), Text: "提醒"}, OutboxMessage{ChatID: tgChat(2), Text: "提醒2"})
	if err := db.Enqueue(ctx, OutboxMessage{ChatID: tgChat(1), Text: "回复", Priority: 10, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	batch, err := db.ClaimBatch(ctx, tg, t0, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range batch {
		texts = append(texts, m.Text)
	}
	if !slices.Equal(texts, []string{"回复", "提醒2"}) {
		t.Fatalf("ClaimBatch = %q; want chat 1's reply (higher priority) and chat 2's reminder, one per chat", texts)
	}
	if m, ok, err := db.claimOne(ctx, t0, nil); err != nil || ok {
		t.Fatalf("claim while chat 1's reply is in flight = %q, %v, %v; want nothing", m.Text, ok, err)
	}
	if err := db.MarkSent(ctx, batch[0].ID, 1, t0); err != nil {
		t.Fatal(err)
	}
	if m, ok, err := db.claimOne(ctx, t0, nil); err != nil || !ok || m.Text != "提醒" {
		t.Fatalf("claim once the reply is sent = %q, %v, %v; want chat 1's reminder", m.Text, ok, err)
	}
}

// A reminder held for quiet hours is never handed out, holds back neither
// lane, and ReleaseHeld replaces it with what its run says at release.
func TestHeldReminderReleased(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	night := t0.Add(13 * time.Hour)
	morning := t0.Add(23 * time.Hour)
	runMessages(t, db, "digest", night,
		OutboxMessage{ChatID: tgChat(1), Text: "旧周报 1/2", NextAttemptAt: morning, Held: true},
		OutboxMessage{ChatID: tgChat(1), Text: "旧周报 2/2", NextAttemptAt: morning, Held: true},
		OutboxMessage{ChatID: tgChat(2), Text: "旧周报", NextAttemptAt: morning, Held: true})
	runMessages(t, db, "overdue", night.Add(time.Hour), OutboxMessage{ChatID: tgChat(1), Text: "逾期"})
	if got := claimTexts(t, db, morning.Add(time.Hour)); !slices.Equal(got, []string{"逾期"}) {
		t.Errorf("claimed %q; want only the later reminder: held rows are never sent as composed", got)
	}
	if next, ok, err := db.NextHeldRelease(ctx); err != nil || !ok || !next.Equal(morning) {
		t.Errorf("NextHeldRelease = %v, %v, %v; want 08:00", next, ok, err)
	}
	if n, err := db.ReleaseHeld(ctx, morning.Add(-time.Second), nil); err != nil || n != 0 {
		t.Errorf("ReleaseHeld before 08:00 = %d, %v", n, err)
	}
	var runs []HeldRun
	n, err := db.ReleaseHeld(ctx, morning, func(s planbot.Tx, run HeldRun) ([]OutboxMessage, error) {
		runs = append(runs, run)
		// Chat 2 has nothing left to hear; chat 1 gets the digest as it
		// reads now, in one part.
		return []OutboxMessage{{ChatID: tgChat(1), Text: "新周报"}}, nil
	})
	if err != nil || n != 1 || len(runs) != 1 || runs[0].Job != "digest" || !runs[0].ScheduledAt.Equal(night) ||
		!slices.Equal(runs[0].Chats, []planbot.ChatID{tgChat(1), tgChat(2)}) {
		t.Fatalf("ReleaseHeld = %d, %v, runs %+v", n, err, runs)
	}
	pending, _, err := db.OutboxSummary(ctx, 100)
	if err != nil || len(pending) != 1 || pending[0].Text != "新周报" || pending[0].Held ||
		pending[0].Job != "digest" || !pending[0].ScheduledAt.Equal(night) || !pending[0].CreatedAt.Equal(morning) {
		t.Fatalf("pending after the release = %+v, %v; want only the new digest, of the run, created at 08:00", pending, err)
	}
	if _, ok, err := db.NextHeldRelease(ctx); err != nil || ok {
		t.Errorf("NextHeldRelease after the release = %v, %v; want none", ok, err)
	}
}
