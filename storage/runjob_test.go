package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"planbot"
)

func runMsgs(chats ...int64) []OutboxMessage {
	out := make([]OutboxMessage, len(chats))
	for i, c := range chats {
		out[i] = OutboxMessage{ChatID: tgChat(c), Text: fmt.Sprintf("提醒 %d", c)}
	}
	return out
}

func mustRun(t testing.TB, db *DB, job string, at, now time.Time, msgs ...OutboxMessage) {
	t.Helper()
	ran, err := db.RunJob(context.Background(), job, at, now, func(planbot.Tx) ([]OutboxMessage, error) { return msgs, nil })
	if err != nil || !ran {
		t.Fatalf("RunJob(%s, %v) = %v, %v; want ran", job, at, ran, err)
	}
}

func TestRunJobOnce(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	now := t0.Add(3 * time.Second)
	msgs := runMsgs(2001, 1002)
	calls := 0
	ran, err := db.RunJob(ctx, "overdue", t0, now, func(s planbot.Tx) ([]OutboxMessage, error) {
		calls++
		// What fn queues itself belongs to the run too.
		if err := s.Enqueue(ctx, OutboxMessage{ChatID: tgChat(1001), Text: "汇总"}); err != nil {
			return nil, err
		}
		if _, err := s.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: now, Percent: ptr(5.0)}); err != nil {
			return nil, err
		}
		return msgs, nil
	})
	if err != nil || !ran || calls != 1 {
		t.Fatalf("RunJob = %v, %v after %d calls; want ran once", ran, err, calls)
	}
	if msgs[0].Job != "" {
		t.Error("RunJob changed the caller's messages")
	}
	queued, err := db.PendingMessages(ctx, now, 10)
	if err != nil || len(queued) != 3 {
		t.Fatalf("queued = %+v, %v; want 3", queued, err)
	}
	for _, m := range queued {
		if m.Job != "overdue" || !m.ScheduledAt.Equal(t0) || !m.CreatedAt.Equal(now) {
			t.Errorf("message %q = job %q at %v created %v; want stamped with the run", m.Text, m.Job, m.ScheduledAt, m.CreatedAt)
		}
	}
	run, ok, err := db.jobRunAt(ctx, "overdue", t0)
	if err != nil || !ok || run.Status != JobDone || !run.StartedAt.Equal(now) || !run.FinishedAt.Equal(now) {
		t.Errorf("jobRunAt = %+v, %v, %v; want done at %v", run, ok, err, now)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM job_runs WHERE status = 'running'`); n != 0 {
		t.Errorf("%d RunJob runs are unfinished", n)
	}

	// The same instant in another zone, or a second later: the run is
	// done, fn is not called, nothing is queued.
	for _, again := range []time.Time{t0, t0.UTC(), t0.Add(999 * time.Millisecond)} {
		ran, err := db.RunJob(ctx, "overdue", again, now.Add(time.Hour), func(planbot.Tx) ([]OutboxMessage, error) {
			calls++
			return msgs, nil
		})
		if err != nil || ran {
			t.Errorf("RunJob again at %v = %v, %v; want false", again, ran, err)
		}
	}
	if calls != 1 {
		t.Errorf("fn called %d times, want 1", calls)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox`); n != 3 {
		t.Errorf("%d messages after the repeats, want 3", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM reports`); n != 1 {
		t.Errorf("%d reports, want 1", n)
	}
	// Another job at the same time is another run.
	mustRun(t, db, "digest", t0, now)
}

func TestRunJobFailureWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	before := dump(t, db)
	boom := errors.New("render: boom")
	work := func(s planbot.Tx) error {
		if _, err := s.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(5.0)}); err != nil {
			return err
		}
		return s.Enqueue(ctx, OutboxMessage{ChatID: tgChat(1001), Text: "汇总"})
	}

	ran, err := db.RunJob(ctx, "digest", t0, t0, func(s planbot.Tx) ([]OutboxMessage, error) {
		if err := work(s); err != nil {
			return nil, err
		}
		return runMsgs(1), boom
	})
	if ran || !errors.Is(err, boom) || !strings.Contains(err.Error(), "digest") {
		t.Errorf("failing fn: RunJob = %v, %v; want false and an error naming the job wrapping fn's", ran, err)
	}
	ran, err = db.RunJob(ctx, "digest", t0, t0, func(s planbot.Tx) ([]OutboxMessage, error) {
		if err := work(s); err != nil {
			return nil, err
		}
		return []OutboxMessage{{ChatID: tgChat(1), Text: "ok"}, {ChatID: "", Text: "no chat"}}, nil
	})
	if ran || !errors.Is(err, ErrInvalid) {
		t.Errorf("invalid message: RunJob = %v, %v; want ErrInvalid", ran, err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("fn's panic was swallowed")
			}
		}()
		db.RunJob(ctx, "digest", t0, t0, func(s planbot.Tx) ([]OutboxMessage, error) {
			if err := work(s); err != nil {
				return nil, err
			}
			panic("boom")
		})
	}()
	for _, tc := range []struct {
		job string
		at  time.Time
	}{{"", t0}, {"digest", time.Time{}}} {
		ran, err := db.RunJob(ctx, tc.job, tc.at, t0, func(planbot.Tx) ([]OutboxMessage, error) {
			t.Error("fn called for an invalid run key")
			return nil, nil
		})
		if ran || !errors.Is(err, ErrInvalid) {
			t.Errorf("RunJob(%q, %v) = %v, %v; want ErrInvalid", tc.job, tc.at, ran, err)
		}
	}
	if after := dump(t, db); after != before {
		t.Errorf("failed runs changed the database:\nbefore\n%s\nafter\n%s", before, after)
	}
	// The run stays free: it can be tried again. A run an older version
	// recorded failed is never tried again.
	mustRun(t, db, "digest", t0, t0, runMsgs(1)...)
	at := t0.Add(time.Hour)
	if err := db.oldRun(ctx, "digest", at, t0, JobFailed, boom.Error()); err != nil {
		t.Fatal(err)
	}
	if ran, err := db.RunJob(ctx, "digest", at, t0, nil); ran || err != nil {
		t.Errorf("RunJob of a failed run = %v, %v; want false", ran, err)
	}
}

// Goroutines on two handles of one file, as two processes, race for each
// run: exactly one runs it, its messages are queued once, and nobody sees
// "database is locked".
func TestRunJobConcurrent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	var dbs []*DB
	for range 2 {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	const rounds, racers = 20, 8
	for round := range rounds {
		at := t0.Add(time.Duration(round) * time.Minute)
		var calls, wins atomic.Int32
		var mu sync.Mutex
		var errs []error
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range racers {
			db := dbs[i%len(dbs)]
			wg.Go(func() {
				<-start
				ran, err := db.RunJob(ctx, "overdue", at, at, func(s planbot.Tx) ([]OutboxMessage, error) {
					calls.Add(1)
					// A read, then writes: the pattern that fails under a
					// deferred transaction.
					if _, err := s.RemindersQueuedSince(ctx, at.Add(-time.Hour)); err != nil {
						return nil, err
					}
					return runMsgs(2001, 2002, 2003), nil
				})
				if ran {
					wins.Add(1)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 || calls.Load() != 1 || len(errs) != 0 {
			t.Fatalf("round %d: %d winners, fn called %d times, errors %v; want 1, 1, none", round, wins.Load(), calls.Load(), errs)
		}
		if n := count(t, dbs[1], `SELECT COUNT(*) FROM outbox WHERE scheduled_at = ?`, at.Unix()); n != 3 {
			t.Fatalf("round %d: %d messages queued, want 3", round, n)
		}
	}
	if n := count(t, dbs[0], `SELECT COUNT(*) FROM job_runs`); n != rounds {
		t.Errorf("%d runs recorded, want %d", n, rounds)
	}
}

// While fn runs, nobody else can write, and nobody else sees the run or
// its messages until it commits.
func TestRunJobSnapshot(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other, err := Open(ctx, path, WithBusyTimeout(0))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	mustSync(t, db, testPlan(), t0)
	mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(10.0)})

	_, err = db.RunJob(ctx, "digest", t0, t0, func(s planbot.Tx) ([]OutboxMessage, error) {
		all, err := s.ItemReports(ctx, "2.3")
		if err != nil {
			return nil, err
		}
		_, err = other.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(20.0)})
		if !errors.Is(err, ErrLocked) {
			t.Errorf("another process wrote during the run: err = %v; want ErrLocked", err)
		}
		if _, ok, err := other.jobRunAt(ctx, "digest", t0); ok || err != nil {
			t.Errorf("another process sees the run before it commits: %v, %v", ok, err)
		}
		again, err := s.ItemReports(ctx, "2.3")
		if err != nil {
			return nil, err
		}
		if len(all) != 1 || len(again) != 1 {
			t.Errorf("reports changed during the run: %d then %d", len(all), len(again))
		}
		return runMsgs(1001), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := other.jobRunAt(ctx, "digest", t0); !ok {
		t.Error("the committed run is not visible to another process")
	}
}

func TestSkipJobRun(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	now := t0.Add(2 * time.Hour)
	ok, err := db.SkipJobRun(ctx, "overdue", t0, now, "清明节放假")
	if err != nil || !ok {
		t.Fatalf("SkipJobRun = %v, %v", ok, err)
	}
	run, _, _ := db.jobRunAt(ctx, "overdue", t0)
	if run.Status != JobSkipped || run.Reason != "清明节放假" || run.Error != "" || !run.FinishedAt.Equal(now) {
		t.Errorf("skipped run = %+v", run)
	}
	if ran, err := db.RunJob(ctx, "overdue", t0, now, nil); ran || err != nil {
		t.Errorf("RunJob of a skipped run = %v, %v; want false", ran, err)
	}
	if ok, err := db.SkipJobRun(ctx, "overdue", t0, now, "again"); ok || err != nil {
		t.Errorf("second skip = %v, %v; want false", ok, err)
	}
	mustRun(t, db, "overdue", t0.AddDate(0, 0, 1), now)
	if ok, err := db.SkipJobRun(ctx, "overdue", t0.AddDate(0, 0, 1), now, "late"); ok || err != nil {
		t.Errorf("skip of a done run = %v, %v; want false", ok, err)
	}
	if run, _, _ := db.jobRunAt(ctx, "overdue", t0); run.Reason != "清明节放假" {
		t.Errorf("a refused skip changed the reason to %q", run.Reason)
	}
	long := strings.Repeat("假", 1000)
	db.SkipJobRun(ctx, "overdue", t0.AddDate(0, 0, 2), now, long)
	if run, _, _ := db.jobRunAt(ctx, "overdue", t0.AddDate(0, 0, 2)); len(run.Reason) > maxErrorText {
		t.Errorf("reason of %d bytes stored", len(run.Reason))
	}
	if _, err := db.SkipJobRun(ctx, "", t0, now, "x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("skip without a job: err = %v; want ErrInvalid", err)
	}
}

func TestLastJobRunAndJobRuns(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, ok, err := db.LastJobRun(ctx, "digest"); ok || err != nil {
		t.Fatalf("LastJobRun of a job that never ran = %v, %v", ok, err)
	}
	day := func(n int) time.Time { return t0.AddDate(0, 0, n) }
	// Recorded out of order, as a catch-up would.
	mustRun(t, db, "digest", day(2), day(2))
	mustRun(t, db, "digest", day(0), day(2))
	db.SkipJobRun(ctx, "digest", day(3), day(3), "holiday")
	if err := db.oldRun(ctx, "digest", day(1), day(3), JobRunning, ""); err != nil {
		t.Fatal(err)
	}
	mustRun(t, db, "overdue", day(9), day(9))

	last, ok, err := db.LastJobRun(ctx, "digest")
	if err != nil || !ok || !last.ScheduledAt.Equal(day(3)) || last.Status != JobSkipped {
		t.Errorf("LastJobRun = %+v, %v, %v; want the skipped run of day 3", last, ok, err)
	}
	runs, err := db.JobRuns(ctx, "digest", 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, fmt.Sprintf("%s %s", r.ScheduledAt.In(cst).Format("01-02"), r.Status))
	}
	want := []string{"03-07 skipped", "03-06 done", "03-05 running"}
	if !slices.Equal(got, want) {
		t.Errorf("JobRuns = %v, want %v", got, want)
	}
	if runs, _ := db.JobRuns(ctx, "digest", 100); len(runs) != 4 {
		t.Errorf("JobRuns(100) = %d runs, want 4", len(runs))
	}
	if _, err := db.JobRuns(ctx, "digest", 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("JobRuns(0): err = %v; want ErrInvalid", err)
	}
}

func TestLastRunAt(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	week := func(n int) time.Time { return t0.AddDate(0, 0, 7*n) }
	lastRunAt := func(s planbot.Tx, job string) time.Time {
		t.Helper()
		at, ok, err := s.LastRunAt(ctx, job)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return time.Time{}
		}
		return at
	}
	check := func(at time.Time, job string, want time.Time) {
		t.Helper()
		ran, err := db.RunJob(ctx, "digest", at, at, func(s planbot.Tx) ([]OutboxMessage, error) {
			if got := lastRunAt(s, job); !got.Equal(want) {
				t.Errorf("in the run of %v: LastRunAt(%s) = %v, want %v", at, job, got, want)
			}
			return nil, nil
		})
		if err != nil || !ran {
			t.Fatal(ran, err)
		}
	}
	check(week(0), "digest", time.Time{}) // the first digest has no previous one
	check(week(1), "digest", week(0))
	db.SkipJobRun(ctx, "digest", week(2), week(2), "holiday")
	if err := db.oldRun(ctx, "digest", week(3), week(3), JobFailed, "boom"); err != nil {
		t.Fatal(err)
	}
	check(week(4), "digest", week(1)) // skipped and failed runs sent nothing
	mustRun(t, db, "overdue", week(1).Add(time.Hour), week(1))
	check(week(5), "overdue", week(1).Add(time.Hour))
	// A catch-up of an older run compares with the run before it.
	check(week(1).Add(24*time.Hour), "digest", week(1))
	// Outside a run: the latest.
	db.InSession(ctx, func(s planbot.Tx) error {
		if got := lastRunAt(s, "digest"); !got.Equal(week(5)) {
			t.Errorf("LastRunAt outside a run = %v, want %v", got, week(5))
		}
		if got := lastRunAt(s, "nothing"); !got.IsZero() {
			t.Errorf("LastRunAt of an unknown job = %v", got)
		}
		return nil
	})
}

func TestChatBindings(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	plan := testPlan()
	mustSync(t, db, plan, t0)
	if got, err := db.ChatBindings(ctx); err != nil || len(got) != 0 {
		t.Fatalf("ChatBindings before any = %v, %v", got, err)
	}
	if err := bind(t, db, "wang", 3001, "K7Q2"); err != nil {
		t.Fatal(err)
	}
	if err := bind(t, db, "li", 3002, "FRESH"); err != nil {
		t.Fatal(err)
	}
	want := map[string]planbot.ChatID{"wang": tgChat(3001), "li": tgChat(3002)}
	if got, err := db.ChatBindings(ctx); err != nil || !mapsEqual(got, want) {
		t.Errorf("ChatBindings = %v, %v; want %v", got, err, want)
	}
	// wang leaves the plan.
	plan.People = slices.DeleteFunc(plan.People, func(p planbot.Person) bool { return p.Key == "wang" })
	for i := range plan.Items {
		plan.Items[i].Owners = slices.DeleteFunc(plan.Items[i].Owners, func(k string) bool { return k == "wang" })
		if len(plan.Items[i].Owners) == 0 {
			plan.Items[i].Owners = []string{"li"}
		}
	}
	mustSync(t, db, plan, t0.Add(time.Hour))
	db.InSession(ctx, func(s planbot.Tx) error {
		got, err := s.ChatBindings(ctx)
		if err != nil || !mapsEqual(got, map[string]planbot.ChatID{"li": tgChat(3002)}) {
			t.Errorf("Session.ChatBindings after wang left = %v, %v", got, err)
		}
		return nil
	})
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestRemindersQueuedSince(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	yesterday, today := t0.AddDate(0, 0, -1), t0
	mustRun(t, db, "overdue", yesterday, yesterday, runMsgs(1, 2)...)
	mustRun(t, db, "overdue", today, today, runMsgs(1, 2, 3)...)
	mustRun(t, db, "milestone", today.Add(time.Hour), today.Add(time.Hour), runMsgs(1)...)
	// A reminder too long for one message: two parts, one reminder.
	mustRun(t, db, "weekly_digest", today.Add(2*time.Hour), today.Add(2*time.Hour), runMsgs(4, 4)...)
	mustEnqueue(t, db, OutboxMessage{ChatID: tgChat(1), Text: "a reply, not a reminder", CreatedAt: today})
	// Chat 2: yesterday's reminder sent, today's uncertain; chat 3's failed.
	settle := func(chat int64, mark func(context.Context, int64, string, time.Time) error) {
		t.Helper()
		m := claim(t, db, today.Add(time.Hour), func(c planbot.ChatID) bool { return c != tgChat(chat) })
		if m.ChatID != tgChat(chat) {
			t.Fatalf("claimed %+v, want chat %d", m, chat)
		}
		if err := mark(ctx, m.ID, "x", today); err != nil {
			t.Fatal(err)
		}
	}
	settle(2, func(ctx context.Context, id int64, _ string, now time.Time) error {
		return db.MarkSent(ctx, id, 7, now)
	})
	settle(2, db.markUncertain)
	settle(3, db.MarkFailed)
	got := map[planbot.ChatID]int{}
	err := db.InSession(ctx, func(s planbot.Tx) error {
		var err error
		got, err = s.RemindersQueuedSince(ctx, today.Add(-time.Nanosecond)) // rounds up to today
		return err
	})
	if want := map[planbot.ChatID]int{tgChat(1): 2, tgChat(2): 1, tgChat(4): 1}; err != nil || !mapsEqual(got, want) {
		t.Errorf("RemindersQueuedSince(today) = %v, %v; want %v (chat 2's sent and uncertain count, chat 3's failed doesn't, chat 4's two parts count once)", got, err, want)
	}
	db.InSession(ctx, func(s planbot.Tx) error {
		got, _ = s.RemindersQueuedSince(ctx, yesterday)
		return nil
	})
	if want := map[planbot.ChatID]int{tgChat(1): 3, tgChat(2): 2, tgChat(4): 1}; !mapsEqual(got, want) {
		t.Errorf("RemindersQueuedSince(yesterday) = %v; want %v", got, want)
	}
	plan := queryPlan(t, db, remindersQueued, 0)
	if joined := strings.Join(plan, "\n"); !strings.Contains(joined, "USING COVERING INDEX outbox_job_created (created_at>?)") {
		t.Errorf("RemindersQueuedSince does not seek outbox_job_created:\n%s", joined)
	}
}

func TestFailedMessagesSinceAndOutboxSummary(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustEnqueue(t, db,
		OutboxMessage{ChatID: tgChat(1), Text: "low", Priority: -1},
		OutboxMessage{ChatID: tgChat(2), Text: "first"},
		OutboxMessage{ChatID: tgChat(3), Text: "high", Priority: 5},
		OutboxMessage{ChatID: tgChat(4), Text: "doc", Attachment: planbot.AttachFile, FileName: "r.pdf", FileData: []byte("%PDF")},
		OutboxMessage{ChatID: tgChat(5), Text: "later", NextAttemptAt: t0.Add(time.Hour)},
		OutboxMessage{ChatID: tgChat(6), Text: "gone1"},
		OutboxMessage{ChatID: tgChat(7), Text: "gone2"},
		OutboxMessage{ChatID: tgChat(8), Text: "gone3"},
	)
	give := func(chat int64, at time.Time, uncertain bool) {
		t.Helper()
		m := claim(t, db, t0, func(c planbot.ChatID) bool { return c != tgChat(chat) })
		if m.ChatID != tgChat(chat) {
			t.Fatalf("claimed %+v, want chat %d", m, chat)
		}
		mark := db.MarkFailed
		if uncertain {
			mark = db.markUncertain
		}
		if err := mark(ctx, m.ID, "boom", at); err != nil {
			t.Fatal(err)
		}
	}
	give(6, t0.Add(time.Minute), false)
	give(7, t0.Add(2*time.Minute), true)
	give(8, t0.Add(3*time.Minute), false)
	inFlight := claim(t, db, t0, func(c planbot.ChatID) bool { return c != tgChat(2) })

	pending, failed, err := db.OutboxSummary(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	texts := func(ms []OutboxMessage) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Text)
			if m.FileData != nil {
				t.Errorf("message %q carries FileData", m.Text)
			}
		}
		return out
	}
	// "first" is in flight; "later" is not due yet but waits all the same.
	if got, want := texts(pending), []string{"high", "doc", "later", "low"}; !slices.Equal(got, want) {
		t.Errorf("pending = %v, want %v (in flight %q left out)", got, want, inFlight.Text)
	}
	if got, want := texts(failed), []string{"gone3", "gone2", "gone1"}; !slices.Equal(got, want) {
		t.Errorf("failed = %v, want %v", got, want)
	}
	if p, f, _ := db.OutboxSummary(ctx, 2); len(p) != 2 || len(f) != 2 {
		t.Errorf("OutboxSummary(2) = %d pending, %d failed", len(p), len(f))
	}
	if _, _, err := db.OutboxSummary(ctx, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("OutboxSummary(0): err = %v; want ErrInvalid", err)
	}

	db.InSession(ctx, func(s planbot.Tx) error {
		got, err := s.FailedMessagesSince(ctx, t0.Add(2*time.Minute), 10)
		if err != nil || !slices.Equal(texts(got), []string{"gone3", "gone2"}) {
			t.Errorf("FailedMessagesSince = %v, %v; want gone3, gone2", texts(got), err)
		}
		if _, err := s.FailedMessagesSince(ctx, t0, 0); !errors.Is(err, ErrInvalid) {
			t.Errorf("FailedMessagesSince(limit 0): err = %v", err)
		}
		return nil
	})
}

// 0004 rebuilds job_runs to allow "skipped": the runs and the outbox rows
// that reference them survive, and the foreign key still holds.
func TestMigrateSchedulerKeepsRuns(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	v3 := fstest.MapFS{}
	for _, name := range []string{"0001_init.sql", "0002_observations_observed_at.sql", "0003_chat.sql"} {
		b, err := fs.ReadFile(embeddedMigrations(), name)
		if err != nil {
			t.Fatal(err)
		}
		v3[name] = &fstest.MapFile{Data: b}
	}
	old, err := Open(ctx, path, withMigrations(v3))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO job_runs (job, scheduled_at, status, started_at, finished_at, error) VALUES ('digest', 100, 'done', 101, 102, '')`,
		`INSERT INTO job_runs (job, scheduled_at, status, started_at, finished_at, error) VALUES ('digest', 200, 'failed', 201, 202, 'boom')`,
		`INSERT INTO job_runs (job, scheduled_at, status, started_at) VALUES ('overdue', 100, 'running', 103)`,
		`INSERT INTO outbox (chat_id, text, job, scheduled_at, status, next_attempt_at, created_at, sent_at) VALUES (1, 'd1', 'digest', 100, 'sent', 102, 102, 103)`,
		`INSERT INTO outbox (chat_id, text, job, scheduled_at, next_attempt_at, created_at) VALUES (2, 'd2', 'digest', 100, 102, 102)`,
		`INSERT INTO outbox (chat_id, text, next_attempt_at, created_at) VALUES (3, 'reply', 0, 0)`,
	} {
		if _, err := old.write.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	outboxBefore := dumpTable(t, old, "outbox")
	var outboxSQL string
	old.read.GetContext(ctx, &outboxSQL, `SELECT sql FROM sqlite_master WHERE name = 'outbox'`)
	old.Close()

	// Up to 0004 only: a later migration may change the outbox (0007 adds held).
	v4 := maps.Clone(v3)
	b, err := fs.ReadFile(embeddedMigrations(), "0004_scheduler.sql")
	if err != nil {
		t.Fatal(err)
	}
	v4["0004_scheduler.sql"] = &fstest.MapFile{Data: b}
	db, err := Open(ctx, path, withMigrations(v4))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.AppliedMigrations(); len(got) == 0 || got[0] != 4 {
		t.Errorf("applied %v, want 4 and the later ones", got)
	}
	runs, err := db.JobRuns(ctx, "digest", 10)
	if err != nil || len(runs) != 2 || runs[0].Status != JobFailed || runs[0].Error != "boom" ||
		runs[1].Status != JobDone || !runs[1].FinishedAt.Equal(fromUnix(102)) {
		t.Errorf("digest runs after 0004 = %+v, %v", runs, err)
	}
	if u, ok, _ := db.jobRunAt(ctx, "overdue", fromUnix(100)); !ok || u.Status != JobRunning || !u.FinishedAt.IsZero() {
		t.Errorf("unfinished run after 0004 = %+v", u)
	}
	if after := dumpTable(t, db, "outbox"); after != outboxBefore {
		t.Errorf("outbox changed:\nbefore\n%s\nafter\n%s", outboxBefore, after)
	}
	var sqlAfter string
	db.read.GetContext(ctx, &sqlAfter, `SELECT sql FROM sqlite_master WHERE name = 'outbox'`)
	if sqlAfter != outboxSQL || !strings.Contains(sqlAfter, "REFERENCES job_runs (job, scheduled_at)") {
		t.Errorf("outbox's definition changed:\n%s", sqlAfter)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM pragma_foreign_key_check`); n != 0 {
		t.Errorf("%d foreign key violations after 0004", n)
	}
	var temps int
	if err := db.write.GetContext(ctx, &temps, `SELECT COUNT(*) FROM sqlite_temp_master`); err != nil || temps != 0 {
		t.Errorf("0004 left %d temporary objects (%v)", temps, err)
	}
	// The foreign key is still enforced, and deferral ended with the migration.
	_, err = db.write.ExecContext(ctx, `INSERT INTO outbox (chat_id, text, job, scheduled_at, next_attempt_at, created_at) VALUES (1, 'x', 'nope', 1, 0, 0)`)
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("a message of an unknown run: err = %v; want a foreign key failure", err)
	}
	var deferred int
	db.write.GetContext(ctx, &deferred, `PRAGMA defer_foreign_keys`)
	if deferred != 0 {
		t.Error("foreign keys are still deferred after the migration")
	}
	_, err = db.write.ExecContext(ctx, `DELETE FROM job_runs WHERE job = 'digest' AND scheduled_at = 100`)
	if err == nil {
		t.Error("deleted a run its messages reference")
	}
	if ok, err := db.SkipJobRun(ctx, "digest", fromUnix(300), fromUnix(300), "holiday"); !ok || err != nil {
		t.Errorf("SkipJobRun after 0004 = %v, %v", ok, err)
	}
	if ok, _ := db.SkipJobRun(ctx, "digest", fromUnix(100), fromUnix(300), "late"); ok {
		t.Error("a run from before 0004 was skipped again")
	}
}

func dumpTable(t *testing.T, db *DB, table string) string {
	t.Helper()
	var b strings.Builder
	rows, err := db.read.QueryxContext(context.Background(), `SELECT * FROM `+table+` ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if bs, ok := v.([]byte); ok {
				vals[i] = string(bs)
			}
		}
		fmt.Fprintf(&b, "%v\n", vals)
	}
	return b.String()
}

// BenchmarkRunJobFanOut is one run that queues 1,000 reminders, one per
// chat, in its one transaction, after counting the day's reminders for the
// nagging cap. One run a day: the outbox keeps the earlier days' history,
// outside the count's window.
func BenchmarkRunJobFanOut(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	msgs := make([]OutboxMessage, 1000)
	for i := range msgs {
		msgs[i] = OutboxMessage{ChatID: tgChat(int64(10000 + i)),
			Text: "<b>逾期提醒</b>：2.3 投放蟹苗20万只，计划 6月30日 完成 50%，请及时报送进度。"}
	}
	at := t0
	for b.Loop() {
		at = at.Add(24 * time.Hour)
		ran, err := db.RunJob(ctx, "overdue", at, at, func(s planbot.Tx) ([]OutboxMessage, error) {
			if _, err := s.RemindersQueuedSince(ctx, at.Add(-time.Hour)); err != nil {
				return nil, err
			}
			return msgs, nil
		})
		if err != nil || !ran {
			b.Fatal(ran, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/message")
}
