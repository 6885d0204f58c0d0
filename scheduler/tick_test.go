package scheduler

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"planbot"
)

// panickyStore panics on its first run, then records runs.
type panickyStore struct {
	calls int
	ran   []time.Time
}

func (p *panickyStore) RunJob(_ context.Context, _ string, at, _ time.Time, _ func(Session) ([]planbot.OutboxMessage, error)) (bool, error) {
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
	s.tick(r, sch) // panics inside, recovered
	now = now.AddDate(0, 0, 1)
	s.tick(r, sch)
	if len(store.ran) != 1 || !store.ran[0].Equal(time.Date(2027, 6, 16, 9, 0, 0, 0, loc)) {
		t.Fatalf("runs after the panic = %v, want the next day's 09:00", store.ran)
	}
}
