package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"planbot"
	"planbot/config"
	"planbot/scheduler"
	"planbot/storage"
)

// `planbot fire -dry-run` and `planbot digest` read; they don't write. While
// the running bot holds the write lock (here: a run in progress in another
// handle), both previews answer at once, and the database holds no trace
// of them afterwards.
func TestPreviewsReadWhileAnotherProcessWrites(t *testing.T) {
	ctx := context.Background()
	cfg, err := config.Load("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "planbot.db")
	bot, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer bot.Close()
	now := at("2027-06-15 09:00")
	if _, err := bot.SyncPlan(ctx, cfg.Plan, now); err != nil {
		t.Fatal(err)
	}
	// The preview's handle would give up on a write lock after 100 ms.
	cli, err := storage.Open(ctx, path, storage.WithBusyTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	e := &env{now: func() time.Time { return now }}
	sch := newScheduler(e, cli, func() *planbot.Plan { return cfg.Plan }, slog.New(slog.DiscardHandler))
	var digest planbot.Reminder
	for _, r := range cfg.Plan.Reminders {
		if r.Name == "weekly_digest" {
			digest = r
		}
	}

	locked, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		_, err := bot.RunJob(ctx, "overdue_daily", now, now, func(planbot.Tx) ([]planbot.OutboxMessage, error) {
			close(locked)
			<-release
			return nil, nil
		})
		done <- err
	}()
	<-locked
	msgs, err := sch.Preview(ctx, digest, at("2027-06-21 08:30"))
	if err != nil || len(msgs) == 0 {
		t.Errorf("fire weekly_digest -dry-run while the bot writes = %d messages, %v; want the digest", len(msgs), err)
	}
	text, err := sch.DigestText(ctx, at("2027-06-21 08:30"))
	if err != nil || text == "" {
		t.Errorf("digest while the bot writes = %q, %v; want the digest", text, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	runs, err := cli.JobRuns(ctx, "preview:weekly_digest", 10)
	if err != nil || len(runs) != 0 {
		t.Errorf("runs of the preview = %+v, %v; want none", runs, err)
	}
	counts, err := cli.OutboxCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for st, n := range counts {
		if n != 0 {
			t.Errorf("%d %s messages after the previews, want none", n, st)
		}
	}
}

// Housekeeping purges the questions asked more than a week ago, as at the
// scheduler's clock, and keeps the fresher ones.
func TestHousekeepingPurgesStaleQuestions(t *testing.T) {
	ctx := context.Background()
	f := newSchedulerFixture(t, "")
	var stale, fresh int64
	err := f.db.InSession(ctx, func(s planbot.Tx) error {
		var err error
		if stale, err = s.SavePending(ctx, planbot.Pending{ChatID: tgChat(2001), UserID: tgAccount(2001), Kind: "confirm", Payload: "{}",
			CreatedAt: f.now.Add(-scheduler.PendingMaxAge - time.Minute)}); err != nil {
			return err
		}
		fresh, err = s.SavePending(ctx, planbot.Pending{ChatID: tgChat(2001), UserID: tgAccount(2001), Kind: "confirm", Payload: "{}",
			CreatedAt: f.now.Add(-scheduler.PendingMaxAge + time.Minute)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.sch.Housekeep(ctx)
	if err != nil || n != 1 {
		t.Errorf("Housekeep = %d, %v; want 1 question purged", n, err)
	}
	if _, ok, _ := f.db.LoadPending(ctx, stale); ok {
		t.Error("the question asked 7 days and a minute ago is still there")
	}
	if _, ok, _ := f.db.LoadPending(ctx, fresh); !ok {
		t.Error("the question asked 6 days and 23 hours ago was purged")
	}
	// A week later by the clock, the fresh one is stale too.
	f.now = f.now.Add(scheduler.PendingMaxAge)
	if n, err := f.sch.Housekeep(ctx); err != nil || n != 1 {
		t.Errorf("Housekeep a week later = %d, %v; want 1", n, err)
	}
}

// Housekeeping forgets the inbound events handled more than a month ago
// (their message ids cannot come again), and keeps the recent ones, whose
// duplicates must still be recognised.
func TestHousekeepingPurgesOldInboundEvents(t *testing.T) {
	ctx := context.Background()
	f := newSchedulerFixture(t, "")
	handle := func(id string, at time.Time) {
		t.Helper()
		if _, err := f.db.StoreInbound(ctx, "wecom", id, []byte("{}"), at); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.HandleInbound(ctx, "wecom", id, at, func(planbot.Tx) ([]planbot.OutboxMessage, error) { return nil, nil }); err != nil {
			t.Fatal(err)
		}
	}
	handle("old", f.now.Add(-scheduler.InboxMaxAge-time.Hour))
	handle("recent", f.now.Add(-scheduler.InboxMaxAge+time.Hour))
	if _, err := f.sch.Housekeep(ctx); err != nil {
		t.Fatal(err)
	}
	if fresh, err := f.db.StoreInbound(ctx, "wecom", "old", []byte("{}"), f.now); err != nil || !fresh {
		t.Errorf("the event handled a month and an hour ago is still remembered (%v, %v)", fresh, err)
	}
	if fresh, err := f.db.StoreInbound(ctx, "wecom", "recent", []byte("{}"), f.now); err != nil || fresh {
		t.Errorf("the event handled 29 days ago was forgotten: its duplicate would be handled again (%v, %v)", fresh, err)
	}
}
