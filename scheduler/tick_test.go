package scheduler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"planbot"
)

// panickyStore panics on its first run, then records runs.
type panickyStore struct {
	calls int
	ran   []time.Time
}

func (p *panickyStore) RunJob(_ context.Context, _ string, at, _ time.Time, _ func(planbot.Tx) ([]planbot.OutboxMessage, error)) (bool, error) {
	p.calls++
	if p.calls == 1 {
		panic("disk on fire")
	}
	p.ran = append(p.ran, at)
	return true, nil
}

func (p *panickyStore) SkipJobRun(context.Context, string, time.Time, time.Time, string) (bool, error) {
	return true, nil
}

func (p *panickyStore) LastScheduled(context.Context, string) (time.Time, bool, error) {
	return time.Time{}, false, nil
}

func (p *panickyStore) Read(context.Context, time.Time, func(Session) error) error { return nil }

// PITFALLS: with cron v3.0.1's Recover inside SkipIfStillRunning in the
// wrong order, a job that panicked once never ran again. Our tick recovers
// by itself: the next tick runs, keyed by its own scheduled time.
func TestTickRunsAgainAfterPanic(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2027, 6, 15, 9, 0, 2, 0, loc)
	store := &panickyStore{}
	plan := &planbot.Plan{Year: 2027, Location: loc}
	s := &Scheduler{Plan: func() *planbot.Plan { return plan }, Store: store, Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }}
	sch, err := ParseSchedule("0 9 * * *", loc, NewCalendar(planbot.Calendar{}), false)
	if err != nil {
		t.Fatal(err)
	}
	r := planbot.Reminder{Name: "overdue_daily", Kind: planbot.ReminderOverdue, Cron: "0 9 * * *"}
	s.tick(r, sch, nil) // panics inside, recovered
	now = now.AddDate(0, 0, 1)
	s.tick(r, sch, nil)
	if len(store.ran) != 1 || !store.ran[0].Equal(time.Date(2027, 6, 16, 9, 0, 0, 0, loc)) {
		t.Fatalf("runs after the panic = %v, want the next day's 09:00", store.ran)
	}
}

// fullStore fails its first failures runs with err, then records runs.
type fullStore struct {
	panickyStore
	failures int
	err      error
}

func (f *fullStore) RunJob(ctx context.Context, job string, at, now time.Time, fn func(planbot.Tx) ([]planbot.OutboxMessage, error)) (bool, error) {
	f.calls++
	if f.calls <= f.failures {
		return false, f.err
	}
	f.ran = append(f.ran, at)
	return true, nil
}

// A run that could not be recorded because the disk is full is tried
// again, with the same scheduled time, until it would be later than the
// catch-up window; other failures and a stop end it at once.
func TestTickRetriesWhileDiskFull(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	scheduled := time.Date(2027, 6, 15, 9, 0, 0, 0, loc)
	diskFull := fmt.Errorf("run overdue_daily: commit: %w", planbot.ErrUnwritable)
	for _, tc := range []struct {
		name      string
		failures  int
		err       error
		window    time.Duration
		stop      bool
		wantCalls int
		wantRan   bool
		wantLog   string
	}{
		{name: "space returns", failures: 3, err: diskFull, window: 6 * time.Hour, wantCalls: 4, wantRan: true, wantLog: "it is tried again"},
		{name: "past the window", failures: 100, err: diskFull, window: 150 * time.Second, wantCalls: 3, wantLog: "given up"},
		{name: "no window", failures: 100, err: diskFull, window: 0, wantCalls: 1, wantLog: "given up"},
		{name: "other error", failures: 1, err: errors.New("compose: bug"), window: 6 * time.Hour, wantCalls: 1, wantLog: "reminder run failed"},
		{name: "stopping", failures: 100, err: diskFull, window: 6 * time.Hour, stop: true, wantCalls: 1, wantLog: "not tried again: stopping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := scheduled.Add(2 * time.Second)
			store := &fullStore{failures: tc.failures, err: tc.err}
			plan := &planbot.Plan{Year: 2027, Location: loc, Limits: planbot.ReminderLimits{CatchUpWindow: tc.window}}
			var logs bytes.Buffer
			s := &Scheduler{Plan: func() *planbot.Plan { return plan }, Store: store, Log: slog.New(slog.NewTextHandler(&logs, nil)),
				Now: func() time.Time { return now },
				// Each wait is a minute on the injected clock, none on the real one.
				RetryWait: func(int) time.Duration { now = now.Add(time.Minute); return 0 }}
			sch, err := ParseSchedule("0 9 * * *", loc, NewCalendar(planbot.Calendar{}), false)
			if err != nil {
				t.Fatal(err)
			}
			quit := make(chan struct{})
			if tc.stop {
				close(quit)
				s.RetryWait = func(int) time.Duration { return time.Hour }
			}
			s.tick(planbot.Reminder{Name: "overdue_daily", Kind: planbot.ReminderOverdue, Cron: "0 9 * * *"}, sch, quit)
			if store.calls != tc.wantCalls {
				t.Errorf("%d tries, want %d\n%s", store.calls, tc.wantCalls, logs.String())
			}
			if ran := len(store.ran) == 1 && store.ran[0].Equal(scheduled); ran != tc.wantRan || len(store.ran) > 1 {
				t.Errorf("runs %v, want the 09:00 run once: %v", store.ran, tc.wantRan)
			}
			if !strings.Contains(logs.String(), tc.wantLog) {
				t.Errorf("log lacks %q:\n%s", tc.wantLog, logs.String())
			}
		})
	}
}
