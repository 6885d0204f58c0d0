package scheduler

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"planbot"
)

// purgingStore is a Store that keeps pending questions.
type purgingStore struct {
	panickyStore
	olderThan []time.Time
}

func (p *purgingStore) PurgePending(_ context.Context, olderThan time.Time) (int, error) {
	p.olderThan = append(p.olderThan, olderThan)
	return 0, nil
}

// Start schedules the housekeeping once a day at 03:17 in the plan's zone,
// beside the reminders, when the store keeps pending questions; its run
// purges what is older than a week by the scheduler's clock.
func TestStartSchedulesHousekeepingDaily(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	plan := &planbot.Plan{Year: 2027, Location: loc, Reminders: []planbot.Reminder{
		{Name: "overdue_daily", Kind: planbot.ReminderOverdue, Cron: "0 9 * * *"}}}
	now := time.Date(2027, 6, 15, 9, 0, 0, 0, loc)
	for _, tc := range []struct {
		name  string
		store Store
		want  int
	}{{"purging store", &purgingStore{}, 2}, {"store without questions", &panickyStore{}, 1}} {
		s := &Scheduler{Plan: func() *planbot.Plan { return plan }, Store: tc.store, Log: slog.New(slog.DiscardHandler),
			Now: func() time.Time { return now }}
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		entries := s.cron.Entries()
		s.Stop(context.Background())
		if len(entries) != tc.want {
			t.Fatalf("%s: %d cron entries, want %d", tc.name, len(entries), tc.want)
		}
		if tc.want == 1 {
			continue
		}
		var daily []time.Time
		for _, e := range entries {
			if _, ok := e.Schedule.(*Schedule); ok {
				continue // the reminder
			}
			from := time.Date(2027, 6, 15, 12, 0, 0, 0, loc)
			first := e.Schedule.Next(from)
			daily = append(daily, first, e.Schedule.Next(first))
			e.Job.Run()
		}
		want := []time.Time{time.Date(2027, 6, 16, 3, 17, 0, 0, loc), time.Date(2027, 6, 17, 3, 17, 0, 0, loc)}
		if len(daily) != 2 || !daily[0].Equal(want[0]) || !daily[1].Equal(want[1]) {
			t.Errorf("housekeeping runs at %v, want %v", daily, want)
		}
		ps := tc.store.(*purgingStore)
		if len(ps.olderThan) != 1 || !ps.olderThan[0].Equal(now.AddDate(0, 0, -7)) {
			t.Errorf("housekeeping purged questions older than %v, want %v", ps.olderThan, now.AddDate(0, 0, -7))
		}
	}
}
