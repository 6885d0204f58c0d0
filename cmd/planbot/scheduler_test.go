package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"planbot"
	"planbot/config"
	"planbot/scheduler"
	"planbot/storage"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// schedulerFixture is the example plan in a fresh database, with a clock the
// test moves.
type schedulerFixture struct {
	plan *planbot.Plan
	db   *storage.DB
	now  time.Time
	sch  *scheduler.Scheduler
}

func newSchedulerFixture(t *testing.T, path string) *schedulerFixture {
	t.Helper()
	cfg, err := config.Load("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if path == "" {
		path = filepath.Join(t.TempDir(), "planbot.db")
	}
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &schedulerFixture{plan: cfg.Plan, db: db, now: at("2027-06-15 09:00")}
	if _, err := db.SyncPlan(context.Background(), cfg.Plan, f.now); err != nil {
		t.Fatal(err)
	}
	f.sch = &scheduler.Scheduler{Plan: func() *planbot.Plan { return f.plan }, Store: db,
		Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return f.now }}
	return f
}

func (f *schedulerFixture) reminder(t *testing.T, name string) planbot.Reminder {
	for _, r := range f.plan.Reminders {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no reminder %s", name)
	return planbot.Reminder{}
}

func (f *schedulerFixture) queued(t *testing.T) []planbot.OutboxMessage {
	pending, _, err := f.db.OutboxSummary(context.Background(), 10000)
	if err != nil {
		t.Fatal(err)
	}
	return pending
}

// A run is keyed by (job, scheduled time): cron firing twice, or `planbot
// fire` after cron, queues nothing more.
func TestReminderRunsOnce(t *testing.T) {
	f := newSchedulerFixture(t, "")
	r := f.reminder(t, "overdue_daily")
	ran, msgs, err := f.sch.Run(context.Background(), r, at("2027-06-15 09:00"))
	if err != nil || !ran || len(msgs) == 0 {
		t.Fatalf("first run = %v, %d messages, %v", ran, len(msgs), err)
	}
	ran, _, err = f.sch.Run(context.Background(), r, at("2027-06-15 09:00"))
	if err != nil || ran {
		t.Fatalf("second run of the same key = %v, %v; want not run", ran, err)
	}
	if got := len(f.queued(t)); got != len(msgs) {
		t.Errorf("outbox holds %d messages, want the first run's %d", got, len(msgs))
	}
}

// Two processes sharing the database (two handles here) race for one run.
func TestTwoSchedulersOneRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "planbot.db")
	a := newSchedulerFixture(t, path)
	b := newSchedulerFixture(t, path)
	r := a.reminder(t, "overdue_daily")
	var wg sync.WaitGroup
	results := make([]bool, 2)
	for i, f := range []*schedulerFixture{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ran, _, err := f.sch.Run(context.Background(), r, at("2027-06-15 09:00"))
			if err != nil {
				t.Error(err)
			}
			results[i] = ran
		}()
	}
	wg.Wait()
	if results[0] == results[1] {
		t.Errorf("runs = %v, want exactly one", results)
	}
	msgs := a.queued(t)
	seen := map[planbot.ChatID]int{}
	for _, m := range msgs {
		seen[m.ChatID]++
	}
	for chat, n := range seen {
		if n > 1 {
			t.Errorf("chat %s got %d messages from one run", chat, n)
		}
	}
}

// After downtime the latest missed run within the window is made up once;
// the others are recorded as skipped, and a second start makes up nothing.
func TestCatchUpAfterDowntime(t *testing.T) {
	f := newSchedulerFixture(t, "")
	f.plan.Reminders = []planbot.Reminder{f.reminder(t, "overdue_daily")} // 09:00 on workdays
	r := f.plan.Reminders[0]
	if _, _, err := f.sch.Run(context.Background(), r, at("2027-06-14 09:00")); err != nil {
		t.Fatal(err)
	}
	// Down from Monday 09:00 to Thursday 10:00: Tue and Wed are missed and
	// too old; Thu 09:00 is an hour old, within the 6 h window.
	f.now = at("2027-06-17 10:00")
	if err := f.sch.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	runs, err := f.db.JobRuns(context.Background(), r.Name, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]storage.JobStatus{}
	for _, run := range runs {
		got[run.ScheduledAt.In(shanghai).Format("01-02 15:04")] = run.Status
	}
	want := map[string]storage.JobStatus{"06-14 09:00": storage.JobDone, "06-15 09:00": storage.JobSkipped,
		"06-16 09:00": storage.JobSkipped, "06-17 09:00": storage.JobDone}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("run %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	before := len(f.queued(t))
	if err := f.sch.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if after := len(f.queued(t)); after != before {
		t.Errorf("a second catch-up queued %d more messages", after-before)
	}

	// Down too long: even the latest missed run is older than the window.
	f.now = at("2027-06-18 20:00")
	if err := f.sch.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	run, _, err := f.db.LastJobRun(context.Background(), r.Name)
	if err != nil || run.Status != storage.JobSkipped || !run.ScheduledAt.Equal(at("2027-06-18 09:00")) {
		t.Errorf("last run = %+v, %v; want 06-18 09:00 skipped (11 h old > 6 h window)", run, err)
	}
}

func TestQuietHoursAndDailyCap(t *testing.T) {
	f := newSchedulerFixture(t, "")
	f.plan.Limits.PerPersonPerDay = 1
	r := f.reminder(t, "overdue_daily")
	_, first, err := f.sch.Run(context.Background(), r, at("2027-06-15 09:00"))
	if err != nil || len(first) == 0 {
		t.Fatalf("first run: %d messages, %v", len(first), err)
	}
	late := r
	late.Name = "overdue_evening"
	_, second, err := f.sch.Run(context.Background(), late, at("2027-06-15 20:00"))
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 0 {
		t.Errorf("second reminder the same day to the same people: %d messages, want 0 under a cap of 1", len(second))
	}
	// The next day the cap is fresh, and 22:00 is in the quiet hours.
	_, third, err := f.sch.Run(context.Background(), late, at("2027-06-16 22:00"))
	if err != nil || len(third) == 0 {
		t.Fatalf("next day's run: %d messages, %v", len(third), err)
	}
	for _, m := range third {
		if !m.NextAttemptAt.Equal(at("2027-06-17 08:00")) {
			t.Errorf("message at 22:00 due %v, want held until 08:00 the next morning", m.NextAttemptAt.In(shanghai))
		}
	}
}

func TestFireAndJobsCommands(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "planbot.db")
	r := runCmd(t, "fire", "overdue_daily", "-at", "2027-06-15 09:00", "-dry-run", "-db", dbPath)
	if r.code != exitOK || !strings.Contains(r.stdout, "试运行") || !strings.Contains(r.stdout, "3.2 扩充直播队伍") || !strings.Contains(r.stdout, "发给 许某某") {
		t.Fatalf("fire -dry-run = %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A dry run records nothing: the real run afterwards still happens, once.
	if r := runCmd(t, "fire", "overdue_daily", "-at", "2027-06-15 09:00", "-db", dbPath); r.code != exitOK || !strings.Contains(r.stdout, "已放入发送队列 1 条") {
		t.Fatalf("fire = %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCmd(t, "fire", "-db", dbPath, "overdue_daily", "-at", "2027-06-15 09:00"); r.code != exitOK || !strings.Contains(r.stdout, "已经做过") {
		t.Fatalf("fire again = %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCmd(t, "fire", "nosuchjob"); r.code != exitUsage || !strings.Contains(r.stderr, "overdue_daily") {
		t.Errorf("fire of an unknown job = %d: %s", r.code, r.stderr)
	}
	if r := runCmd(t, "outbox", "-db", dbPath); r.code != exitOK || !strings.Contains(r.stdout, "待发送 1") {
		t.Errorf("outbox = %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = runCmd(t, "jobs", "-from", "2027-09-24", "-n", "8")
	if r.code != exitOK {
		t.Fatalf("jobs = %d: %s", r.code, r.stderr)
	}
	block := r.stdout[strings.Index(r.stdout, "【overdue_daily】"):]
	block = block[:strings.Index(block, "\n\n")]
	for day := 1; day <= 7; day++ {
		if d := "2027-10-0" + string(rune('0'+day)); strings.Contains(block, d) {
			t.Errorf("overdue_daily fires on %s, a holiday:\n%s", d, block)
		}
	}
	for _, makeUp := range []string{"2027-09-26 09:00 周日  国庆节调休上班", "2027-10-09 09:00 周六  国庆节调休上班"} {
		if !strings.Contains(block, makeUp) {
			t.Errorf("overdue_daily misses the make-up workday %s:\n%s", makeUp, block)
		}
	}

	r = runCmd(t, "digest", "-at", "2027-06-21 08:30", "-db", dbPath)
	if r.code != exitOK || !strings.Contains(r.stdout, "时间进度") || !strings.Contains(r.stdout, "3.2 扩充直播队伍") {
		t.Errorf("digest = %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// Leaders would rather look than read: every chat that gets the digest gets
// its chart first, as a PNG upload with a caption.
func TestDigestCarriesChart(t *testing.T) {
	f := newSchedulerFixture(t, "")
	e := &env{now: func() time.Time { return f.now }}
	sch := newScheduler(e, f.db, func() *planbot.Plan { return f.plan }, slog.New(slog.DiscardHandler))
	msgs, err := sch.Preview(context.Background(), f.reminder(t, "weekly_digest"), at("2027-06-21 08:30"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[planbot.ChatID]int{}
	for i, m := range msgs {
		if seen[m.ChatID] == 0 {
			if m.Attachment != planbot.AttachPicture || m.FileName == "" || len(m.FileData) < 1000 || !strings.HasPrefix(string(m.FileData), "\x89PNG") {
				t.Errorf("message %d, the first to chat %s, is not the chart: %q %q, %d bytes", i, m.ChatID, m.Attachment, m.FileName, len(m.FileData))
			}
		} else if m.Attachment == planbot.AttachPicture {
			t.Errorf("chat %s got a second chart", m.ChatID)
		}
		seen[m.ChatID]++
	}
	if len(seen) == 0 {
		t.Fatal("the digest reached nobody")
	}
	for chat, n := range seen {
		if n < 2 {
			t.Errorf("chat %s got the chart but no text", chat)
		}
	}
}
