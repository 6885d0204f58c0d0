//go:build unix

package main

// Issue 11, delivery (defects 11, 12, 14):
//
//   - a reminder held for quiet hours never holds back a reply: a leader's
//     /targets at night is answered while the digest waits (process);
//   - a held reminder is composed again when it goes out: an item reported
//     完成 in the night is not in the 08:00 message, and a workdays_only run
//     held on Friday night waits for Monday, or the first workday after a
//     holiday (scheduler on the real database, clock injected);
//   - `planbot fire` from a second process is sent by the running bot
//     within about a second, not at its next idle wake-up (process).

import (
	"context"
	"strings"
	"testing"
	"time"

	"planbot"
	"planbot/telegram/telegramtest"
)

// heldTo is the pending outbox rows to chat: held and not.
func heldTo(t *testing.T, f *schedulerFixture, chat int64) (held, ready []planbot.OutboxMessage) {
	t.Helper()
	for _, m := range f.queued(t) {
		switch {
		case m.ChatID != tgChat(chat):
		case m.Held:
			held = append(held, m)
		default:
			ready = append(ready, m)
		}
	}
	return held, ready
}

func TestHeldReminderComposedAgainAtRelease(t *testing.T) {
	ctx := context.Background()
	f := newSchedulerFixture(t, "")
	// 许主任 owns 3.1 and 3.2; both overdue.
	for i := range f.plan.Items {
		if f.plan.Items[i].Code == "3.1" {
			f.plan.Items[i].Due = planbot.Date{Year: 2027, Month: time.May, Day: 31}
		}
	}
	r := f.reminder(t, "overdue_daily")
	f.now = at("2027-06-15 22:00") // a Tuesday, in the quiet hours
	if ran, msgs, err := f.sch.Run(ctx, r, f.now); err != nil || !ran || len(msgs) == 0 {
		t.Fatalf("run at 22:00 = %v, %d messages, %v", ran, len(msgs), err)
	}
	held, ready := heldTo(t, f, uXu.ID)
	if len(held) != 1 || len(ready) != 0 || !held[0].NextAttemptAt.Equal(at("2027-06-16 08:00")) {
		t.Fatalf("at 22:00: %d held, %d ready (%+v); want one held until 08:00", len(held), len(ready), held)
	}
	wants(t, "the message composed at 22:00", held[0].Text, "3.1", "3.2")

	// In the night 许主任 reports 3.2 完成.
	f.now = at("2027-06-15 23:30")
	if err := f.db.InSession(ctx, func(s planbot.Tx) error {
		_, err := s.AddReport(ctx, planbot.Report{ItemCode: "3.2", Reporter: "xu_nongye", At: f.now, Done: true, ChatID: tgChat(uXu.ID)})
		return err
	}); err != nil {
		t.Fatal(err)
	}

	f.now = at("2027-06-16 07:59")
	if n, err := f.sch.Release(ctx); err != nil || n != 0 {
		t.Fatalf("release at 07:59 = %d, %v; want nothing yet", n, err)
	}
	f.now = at("2027-06-16 08:00")
	if n, err := f.sch.Release(ctx); err != nil || n != 1 {
		t.Fatalf("release at 08:00 = %d, %v; want the run", n, err)
	}
	held, ready = heldTo(t, f, uXu.ID)
	if len(held) != 0 || len(ready) != 1 {
		t.Fatalf("at 08:00: %d held, %d ready; want one message (one per person per run)", len(held), len(ready))
	}
	m := ready[0]
	wants(t, "the message at 08:00", m.Text, "3.1")
	if strings.Contains(m.Text, "3.2") {
		t.Errorf("the 08:00 message still lists 3.2, reported 完成 at 23:30:\n%s", m.Text)
	}
	if m.Job != r.Name || !m.ScheduledAt.Equal(at("2027-06-15 22:00")) || !m.NextAttemptAt.Equal(at("2027-06-16 08:00")) {
		t.Errorf("the released message: job %q scheduled %v due %v; want the 22:00 run's, due at 08:00", m.Job, m.ScheduledAt, m.NextAttemptAt)
	}

	// Nothing left to say: the held row is dropped.
	f.now = at("2027-06-16 22:00")
	if _, _, err := f.sch.Run(ctx, r, f.now); err != nil {
		t.Fatal(err)
	}
	if err := f.db.InSession(ctx, func(s planbot.Tx) error {
		_, err := s.AddReport(ctx, planbot.Report{ItemCode: "3.1", Reporter: "xu_nongye", At: f.now, Done: true, ChatID: tgChat(uXu.ID)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	f.now = at("2027-06-17 08:00")
	if n, err := f.sch.Release(ctx); err != nil || n != 1 {
		t.Fatalf("second release = %d, %v", n, err)
	}
	if held, ready := heldTo(t, f, uXu.ID); len(held) != 0 || len(ready) != 1 {
		t.Errorf("after 3.1 完成 too: %d held, %d ready; want only the 06-16 message, the 06-17 one dropped", len(held), len(ready))
	}
}

func TestHeldWorkdaysOnlyWaitsForWorkingMorning(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ fired, release, dayOff string }{
		{"2027-06-18 22:00", "2027-06-21 08:00", "2027-06-19 08:00"}, // Friday night → Monday
		{"2027-09-30 22:00", "2027-10-08 08:00", "2027-10-01 08:00"}, // before National Day → the first workday after
	} {
		f := newSchedulerFixture(t, "")
		r := f.reminder(t, "overdue_daily") // workdays_only
		f.now = at(c.fired)
		if _, msgs, err := f.sch.Run(ctx, r, f.now); err != nil || len(msgs) == 0 {
			t.Fatalf("run at %s: %d messages, %v", c.fired, len(msgs), err)
		}
		held, _ := heldTo(t, f, uXu.ID)
		if len(held) != 1 || !held[0].NextAttemptAt.Equal(at(c.release)) {
			var due []string
			for _, m := range held {
				due = append(due, m.NextAttemptAt.In(shanghai).Format("2006-01-02 15:04 Mon"))
			}
			t.Errorf("fired %s: held until %v; want %s", c.fired, due, c.release)
			continue
		}
		f.now = at(c.dayOff)
		if n, err := f.sch.Release(ctx); err != nil || n != 0 {
			t.Errorf("release on the day off %s = %d, %v; want nothing", c.dayOff, n, err)
		}
		f.now = at(c.release)
		if n, err := f.sch.Release(ctx); err != nil || n != 1 {
			t.Errorf("release at %s = %d, %v", c.release, n, err)
		}
		if held, ready := heldTo(t, f, uXu.ID); len(held) != 0 || len(ready) != 1 {
			t.Errorf("at %s: %d held, %d ready; want the message ready", c.release, len(held), len(ready))
		}
	}
}

// A leader's /targets in the quiet hours is answered at once while the
// digest `planbot fire` queued for that leader waits for the morning.
func TestQuietHoursDigestDoesNotHoldBackReplies(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newBinHarness(t, telegramtest.WithMaxPollWait(2*time.Second))
	dbPath, cfg := h.runConfig(fastSends...)
	p := h.startRun("run", cfg)
	h.srv.WaitPolling(t, faultGuard)
	// A run at 22:00, in the quiet hours: held until 08:00 the next day.
	out := h.command("fire", "weekly_digest", "-at", "2027-06-14 22:00", "-config", cfg, "-db", dbPath)
	if !strings.Contains(out, "免打扰时段") {
		t.Fatalf("fire in the quiet hours did not hold the digest:\n%s", out)
	}
	began := time.Now()
	h.srv.SendText(uZhang, telegramtest.PrivateChat(uZhang), "/targets")
	calls := h.srv.WaitSent(t, uZhang.ID, 1, faultGuard)
	t.Logf("/targets answered in %v", time.Since(began).Round(time.Millisecond))
	wants(t, "the reply to /targets", calls[0].Text, "指标")
	p.stop(t)
	if got := len(h.srv.Sent(uZhang.ID)); got != 1 {
		t.Errorf("the leader got %d messages; want only the reply, the digest held", got)
	}
	db := openDB(t, dbPath)
	pending, _, err := db.OutboxSummary(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	held := 0
	for _, m := range pending {
		if m.ChatID == tgChat(uZhang.ID) && m.Job == "weekly_digest" && m.Held {
			held++
		}
	}
	if held == 0 {
		t.Errorf("the digest to the leader is not held in the outbox: %+v", pending)
	}
}

// `planbot fire` from another process is delivered by the running bot
// within a couple of seconds, not at its idle wake-up (a minute).
func TestFireFromAnotherProcessSentPromptly(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newBinHarness(t, telegramtest.WithMaxPollWait(2*time.Second))
	dbPath, cfg := h.runConfig(fastSends...)
	p := h.startRun("run", cfg)
	h.srv.WaitPolling(t, faultGuard)
	// Let the sender go idle: its first claim found nothing.
	if !strings.Contains(h.command("outbox", "-config", cfg, "-db", dbPath), "待发送 0") {
		t.Fatal("the outbox is not empty")
	}
	out := h.command("fire", "overdue_daily", "-at", "2027-06-15 09:00", "-config", cfg, "-db", dbPath)
	if !strings.Contains(out, "已放入发送队列") || strings.Contains(out, "已放入发送队列 0 条") {
		t.Fatalf("fire queued nothing:\n%s", out)
	}
	began := time.Now()
	// Well under the sender's idle wake-up of a minute: a second's watch
	// of the database and a send.
	const bound = 5 * time.Second
	h.srv.WaitSent(t, uXu.ID, 1, bound)
	t.Logf("delivered %v after fire returned", time.Since(began).Round(time.Millisecond))
	p.stop(t)
}
