package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"planbot"
)

func TestClaimJobRunOnce(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	monday := time.Date(2024, 3, 4, 9, 0, 0, 0, cst)
	ok, err := db.ClaimJobRun(ctx, "overdue", monday, monday.Add(3*time.Second))
	if err != nil || !ok {
		t.Fatalf("first claim = %v, %v; want true", ok, err)
	}
	ok, err = db.ClaimJobRun(ctx, "overdue", monday, monday.Add(time.Minute))
	if err != nil || ok {
		t.Fatalf("second claim = %v, %v; want false", ok, err)
	}
	// The same instant in another zone is the same run.
	if ok, _ := db.ClaimJobRun(ctx, "overdue", monday.UTC(), monday); ok {
		t.Error("claim of the same run given in UTC succeeded")
	}
	// Another job, or the next tick, is another run.
	if ok, _ := db.ClaimJobRun(ctx, "digest", monday, monday); !ok {
		t.Error("claim of another job at the same time failed")
	}
	if ok, _ := db.ClaimJobRun(ctx, "overdue", monday.AddDate(0, 0, 1), monday); !ok {
		t.Error("claim of the next day's run failed")
	}
	run, found, err := db.JobRunAt(ctx, "overdue", monday)
	if err != nil || !found || !run.StartedAt.Equal(monday.Add(3*time.Second)) {
		t.Errorf("JobRunAt = %+v, %v, %v; want started at the first claim", run, found, err)
	}
}

// Eight goroutines race for one run: exactly one wins and nobody sees
// "database is locked".
func TestClaimJobRunConcurrent(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	for round := range 20 {
		at := t0.Add(time.Duration(round) * time.Minute)
		var wins int
		var mu sync.Mutex
		var errs []error
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				ok, err := db.ClaimJobRun(ctx, "digest", at, at)
				mu.Lock()
				defer mu.Unlock()
				if ok {
					wins++
				}
				if err != nil {
					errs = append(errs, err)
				}
			})
		}
		wg.Wait()
		if wins != 1 || len(errs) != 0 {
			t.Fatalf("round %d: %d winners, errors %v; want 1 winner and no errors", round, wins, errs)
		}
	}
}

// The same race between separate handles on one file, as between processes,
// with AddReport (which reads, then writes) alongside: BEGIN IMMEDIATE plus
// the busy timeout serialise them without a single "database is locked".
func TestConcurrentWritersAcrossHandles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	var dbs []*DB
	for range 4 {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs = append(dbs, db)
	}
	mustSync(t, dbs[0], testPlan(), t0)
	var wins int
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for i := range 8 {
		db := dbs[i%len(dbs)]
		wg.Go(func() {
			ok, err := db.ClaimJobRun(ctx, "digest", t0, t0)
			for j := 0; err == nil && j < 20; j++ {
				_, err = db.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(float64(j))})
			}
			if err == nil {
				err = db.RecordUpdate(ctx, 1000+i, 1001+i, t0)
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				wins++
			}
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || len(errs) != 0 {
		t.Fatalf("%d winners, errors %v; want 1 winner and no errors", wins, errs)
	}
	if n := count(t, dbs[1], `SELECT COUNT(*) FROM reports`); n != 160 {
		t.Errorf("%d reports, want 160", n)
	}
	if off, _ := dbs[2].Offset(ctx); off != 1008 {
		t.Errorf("offset = %d, want 1008", off)
	}
}

// A run's messages are queued in the transaction that marks it done, so a
// run is never half done.
func TestCompleteJobRun(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	msgs := []OutboxMessage{
		{ChatID: 2001, Text: "逾期提醒：2.3", ParseMode: "HTML"},
		{ChatID: 1002, Text: "周报", Priority: -1},
	}
	// Not claimed: nothing is queued.
	err := db.CompleteJobRun(ctx, "overdue", t0, t0, msgs...)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("completing an unclaimed run: err = %v; want ErrNotFound", err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox`); n != 0 {
		t.Fatalf("%d messages queued for an unclaimed run", n)
	}

	if ok, err := db.ClaimJobRun(ctx, "overdue", t0, t0); !ok || err != nil {
		t.Fatal(ok, err)
	}
	unfinished, err := db.UnfinishedJobRuns(ctx)
	if err != nil || len(unfinished) != 1 || unfinished[0].Job != "overdue" {
		t.Fatalf("UnfinishedJobRuns = %+v, %v", unfinished, err)
	}
	done := t0.Add(2 * time.Second)
	if err := db.CompleteJobRun(ctx, "overdue", t0, done, msgs...); err != nil {
		t.Fatal(err)
	}
	if msgs[0].Job != "" {
		t.Error("CompleteJobRun changed the caller's messages")
	}
	pending, err := db.PendingMessages(ctx, done, 10)
	if err != nil || len(pending) != 2 {
		t.Fatalf("pending = %+v, %v", pending, err)
	}
	for _, m := range pending {
		if m.Job != "overdue" || !m.ScheduledAt.Equal(t0) || !m.CreatedAt.Equal(done) {
			t.Errorf("message %+v not stamped with its run and time", m)
		}
	}
	run, _, _ := db.JobRunAt(ctx, "overdue", t0)
	if run.Status != JobDone || !run.FinishedAt.Equal(done) {
		t.Errorf("run = %+v; want done at %v", run, done)
	}
	if unfinished, _ := db.UnfinishedJobRuns(ctx); len(unfinished) != 0 {
		t.Errorf("UnfinishedJobRuns after completion = %+v", unfinished)
	}

	// Completing twice would send twice.
	err = db.CompleteJobRun(ctx, "overdue", t0, done, msgs...)
	if !errors.Is(err, ErrConflict) {
		t.Errorf("second completion: err = %v; want ErrConflict", err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox`); n != 2 {
		t.Errorf("%d messages after a refused second completion, want 2", n)
	}
}

func TestFailJobRun(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	db.ClaimJobRun(ctx, "digest", t0, t0)
	if err := db.FailJobRun(ctx, "digest", t0, t0.Add(time.Second), fmt.Errorf("render digest: boom")); err != nil {
		t.Fatal(err)
	}
	run, _, _ := db.JobRunAt(ctx, "digest", t0)
	if run.Status != JobFailed || !strings.Contains(run.Error, "boom") {
		t.Errorf("run = %+v", run)
	}
	if ok, _ := db.ClaimJobRun(ctx, "digest", t0, t0); ok {
		t.Error("a failed run was claimed again")
	}
	if err := db.CompleteJobRun(ctx, "digest", t0, t0); !errors.Is(err, ErrConflict) {
		t.Errorf("completing a failed run: err = %v; want ErrConflict", err)
	}
}
