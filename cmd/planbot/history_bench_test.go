//go:build linux

package main

// Cost against history (issue 15): the same 400-item county plan with 3, 6
// and 12 years of reports, measured whole-process and paired per round (a
// round runs every history back to back, and each growth ratio is taken
// within its round, so load from other work on the machine falls on both
// sides of it).
//
//	go test -run '^$' -bench 'RunMix' -benchtime 3x ./cmd/planbot/
//	go test -run '^$' -bench 'ColdViews' -benchtime 5x ./cmd/planbot/

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"planbot"
	"planbot/bot"
	"planbot/scheduler"
	"planbot/storage"
	"planbot/telegram/telegramtest"
)

// countyNow12y is the run-year county with 12 years of history (about
// 240,000 reports; generating it takes about half a minute).
var countyNow12y = sync.OnceValues(func() (*countyFixture, error) { return makeCounty(12, thisYear()) })

// history is one of the counties the benchmarks compare.
type history struct {
	years int
	f     *countyFixture
}

// runYearCounties generates (once per test binary, logging the time) the
// counties whose plan year is this year, so `planbot run`'s real clock
// sees a plan in progress.
func runYearCounties(b *testing.B) []history {
	return []history{{3, county(b, countyNow3y)}, {6, county(b, countyNow6y)}, {12, county(b, countyNow12y)}}
}

// benchConfig is the county's YAML pointed at the fake and at dbPath with
// Telegram's pacing off, and with the reminders' catch-up made independent
// of the time of day the benchmark runs: quiet hours off (held messages
// would wait for the morning) and the catch-up window at its maximum, a
// week, so that every job's latest missed run (see missedWeek) is caught
// up at start.
func benchConfig(b *testing.B, f *countyFixture, dir, endpoint, dbPath string) string {
	return runConfig(b, f, dir, endpoint, dbPath,
		[2]string{`quiet_hours: "21:00-08:00"`, `quiet_hours: ""`},
		[2]string{"catch_up_window: 6h", "catch_up_window: 168h"})
}

// copyDB copies the county's database into dir.
func copyDB(b *testing.B, f *countyFixture, dir string) string {
	data, err := os.ReadFile(f.dbPath)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "county.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// missedWeek records in the database, for every reminder, its last run
// at or before a week ago, as if the process had been down since then:
// the next `planbot run` catches up each job's latest missed run (and
// records the others as skipped), as it would after a real outage. It
// returns the times recorded, for caughtUp.
func missedWeek(b *testing.B, plan *planbot.Plan, dbPath string) map[string]time.Time {
	ctx := context.Background()
	db, err := storage.Open(ctx, dbPath)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	schedules, err := scheduler.Schedules(plan)
	if err != nil {
		b.Fatal(err)
	}
	now, last := time.Now(), map[string]time.Time{}
	for _, r := range plan.Reminders {
		at := schedules[r.Name].Previous(now.Add(-7 * 24 * time.Hour))
		if _, err := db.SkipJobRun(ctx, r.Name, at, at, "benchmark: the last run before a week down"); err != nil {
			b.Fatal(err)
		}
		last[r.Name] = at
	}
	return last
}

// caughtUp fails unless every reminder has a done run after the one
// missedWeek recorded: the start really did a reminder run of each job.
func caughtUp(b *testing.B, dbPath string, last map[string]time.Time) {
	ctx := context.Background()
	db, err := storage.Open(ctx, dbPath)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for job, at := range last {
		run, ok, err := db.LastJobRun(ctx, job)
		if err != nil || !ok || run.Status != storage.JobDone || !run.ScheduledAt.After(at) {
			b.Fatalf("%s was not caught up: last run %+v (%v), before the outage %s", job, run, err, at)
		}
	}
}

// outboxTotal counts every message the database has queued, whatever its
// state, through a second connection (as `planbot outbox` reads it while
// the bot runs).
func outboxTotal(b *testing.B, dbPath string) int {
	ctx := context.Background()
	db, err := storage.Open(ctx, dbPath)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	counts, err := db.OutboxCounts(ctx)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// okSends is how many messages the fake has accepted, of every kind the
// outbox sends.
func okSends(srv *telegramtest.Server) int {
	n := 0
	for _, m := range []string{"sendMessage", "sendPhoto", "sendDocument", "editMessageText"} {
		n += srv.OKCount(m, nil)
	}
	return n
}

// stopAndCheckLog stops `planbot run` and fails on an error in its log.
func stopAndCheckLog(b *testing.B, p *benchProc) {
	p.stop(b, "planbot stopped")
	for _, line := range strings.Split(p.log(), "\n") {
		if strings.Contains(line, "level=ERROR") {
			b.Fatalf("%s logged an error: %s", p.name, line)
		}
	}
}

// plainText is a sent message as a person reads it.
func plainText(c telegramtest.Call) string {
	if c.Method == "sendPhoto" {
		return bot.PlainText(c.Caption)
	}
	return bot.PlainText(c.Text)
}

// runYearAt is f.at (the Monday after the history) as -at takes it.
func runYearAt(f *countyFixture) string { return f.at.In(planLocation()).Format("2006-01-02 15:04") }

// growth adds the 12y/6y ratio of a round's two figures.
func growth(fig *figures, name string, byYears map[int]float64) {
	if byYears[6] > 0 {
		fig.add(name, byYears[12]/byYears[6])
	}
}

// runMixMessages is how many messages one run of BenchmarkRunMix answers.
const runMixMessages = 2000

// mixMsg is one message of the mix and the kind of answer it must get.
type mixMsg struct {
	from telegramtest.User
	text string
	kind string
}

// mixMarkers tell the answer to each kind of message, in the order they
// are tried (the digest also names indicators and items; a report echo is
// the last resort). A /plan answer longer than a message goes out in
// several parts: only the first is counted.
var mixMarkers = []struct{ kind, marker string }{
	{"digest", "工作计划周报"},
	{"plan", "年度工作计划（截至"},
	{"targets", "重点指标（截至"},
	{"mine", "的事项（"},
	{"item", "责任人："},
	{"report", "已记录"},
}

// mixLoad is a working day's traffic, scaled up: of every 20 messages 14
// are progress reports in percent from the owners of items not yet done
// and without a target in their own unit (each report of an item one point
// above its last, so every one is recorded, none questioned), 2 are /item from leaders, 1 each /plan, /targets and
// /digest from leaders, and 1 /mine from an owner.
func mixLoad(b *testing.B, f *countyFixture, n int) []mixMsg {
	ctx := context.Background()
	db := openCounty(b, f)
	ov, err := overviewAt(ctx, db, f.cfg.Plan, f.at)
	if err != nil {
		b.Fatal(err)
	}
	plan := f.cfg.Plan
	user := func(p planbot.Person) telegramtest.User {
		return telegramtest.User{ID: telegramID(p), FirstName: p.Name}
	}
	var leaders []telegramtest.User
	for _, p := range plan.People {
		if telegramID(p) != 0 && p.Has(planbot.RoleLeader) {
			leaders = append(leaders, user(p))
		}
	}
	type open struct {
		code    string
		owner   telegramtest.User
		percent int
	}
	var items []*open
	for _, sv := range ov.Sections {
		for _, iv := range sv.Items {
			p, _ := plan.Person(iv.Item.Owners[0])
			// An item with a target is reported in its unit as often as in
			// percent; a percentage below the last amount is questioned.
			if iv.Status.Status != planbot.StatusDone && telegramID(p) != 0 && iv.Item.Target == nil {
				items = append(items, &open{iv.Item.Code, user(p), int(iv.Status.Percent)})
			}
		}
	}
	out := make([]mixMsg, n)
	for i := range out {
		it, leader := items[i%len(items)], leaders[i%len(leaders)]
		switch i % 20 {
		case 0:
			out[i] = mixMsg{leader, "/plan", "plan"}
		case 1:
			out[i] = mixMsg{leader, "/targets", "targets"}
		case 2:
			out[i] = mixMsg{leader, "/digest", "digest"}
		case 3, 4:
			out[i] = mixMsg{leader, "/item " + it.code, "item"}
		case 5:
			out[i] = mixMsg{it.owner, "/mine", "mine"}
		default:
			it.percent = min(99, it.percent+1)
			out[i] = mixMsg{it.owner, fmt.Sprintf("%s 进度%d%% 已与XX酒店签约", it.code, it.percent), "report"}
		}
	}
	return out
}

// BenchmarkRunMix runs the built `planbot run` as its own process on a
// copy of each county (3, 6 and 12 years of history, back to back in each
// round; one op is one round, use -benchtime Nx), against the fake Bot
// API with Telegram's pacing off. The copy says the bot was down for a
// week (missedWeek), so the start makes a reminder run of every job
// (overdue, due soon, escalation, the Thursday nudge, the weekly digest to
// every leader), and then runMixMessages messages of mixLoad arrive. When
// every message has been answered and every queued message delivered, it
// reads the process's peak resident set (VmHWM) and stops it with SIGTERM.
//
// Checked, not only counted: each kind of message got its kind of answer
// and none an apology, the reminders really ran (caughtUp), the log holds
// no error, and the process exits cleanly. Reported per history: peak RSS
// (KiB) and messages answered per second (medians over the rounds), and
// the peak's 12y/6y growth taken within each round.
func BenchmarkRunMix(b *testing.B) {
	bin, err := planbotBinary()
	if err != nil {
		b.Fatal(err)
	}
	hs := runYearCounties(b)
	loads := map[int][]mixMsg{}
	for _, h := range hs {
		loads[h.years] = mixLoad(b, h.f, runMixMessages)
	}
	var fig figures
	for b.Loop() { // unlike b.N, no extra round of one first
		peaks := map[int]float64{}
		for _, h := range hs {
			kib, rate := runMix(b, bin, h, loads[h.years])
			peaks[h.years] = kib
			fig.add(fmt.Sprintf("peak-RSS-KiB@%dy", h.years), kib)
			fig.add(fmt.Sprintf("msgs/s@%dy", h.years), rate)
		}
		growth(&fig, "peak-x12y/6y", peaks)
	}
	fig.report(b, "peak-x12y/6y")
	fig.target(b, "peak-RSS-KiB@6y", "<=", 40*1024)
	fig.target(b, "peak-RSS-KiB@12y", "<=", 45*1024)
}

// runMix is one run of BenchmarkRunMix: peak RSS in KiB and messages/s.
func runMix(b *testing.B, bin string, h history, load []mixMsg) (float64, float64) {
	f := h.f
	dir := b.TempDir()
	srv := telegramtest.New(b, telegramtest.WithMaxPollWait(time.Second))
	defer srv.Close()
	dbPath := copyDB(b, f, dir)
	week := missedWeek(b, f.cfg.Plan, dbPath)
	queuedBefore := outboxTotal(b, dbPath)
	p := startProc(b, "planbot run", bin, srv, "run", "-config", benchConfig(b, f, dir, srv.Endpoint(), dbPath), "-poll", "5s")
	launch := p.waitPolling(b, srv) // the catch-up runs before the first poll
	startKiB := p.peakRSS(b)

	began := time.Now()
	last := 0
	for _, m := range load {
		last = srv.SendText(m.from, telegramtest.PrivateChat(m.from), m.text)
	}
	alive := func(cond func() bool) func() bool {
		return func() bool {
			select {
			case <-p.exited:
				return true
			default:
				return cond()
			}
		}
	}
	// Every update confirmed means every answer committed to the outbox
	// (with the update, in one transaction); then the outbox says how many
	// messages the fake must receive: the answers and the reminders.
	srv.WaitUntil(b, 10*time.Minute, "planbot confirming", alive(func() bool { return srv.Offset() > last }))
	p.failIfExited(b)
	queued := outboxTotal(b, dbPath) - queuedBefore
	srv.WaitUntil(b, 10*time.Minute, "planbot sending", alive(func() bool { return okSends(srv) >= queued }))
	p.failIfExited(b)
	elapsed := time.Since(began)
	kib := p.peakRSS(b)
	stopAndCheckLog(b, p)
	logv(b, "%dy: polling %s after start (VmHWM %.0f KiB); %d messages answered, %d sent in %s; VmHWM %.0f KiB",
		h.years, launch.Round(time.Millisecond), startKiB, len(load), queued, elapsed.Round(time.Millisecond), kib)
	checkMix(b, srv, load)
	caughtUp(b, dbPath, week)
	return kib, float64(len(load)) / elapsed.Seconds()
}

// checkMix fails unless each kind of message got at least as many answers
// of its kind as were sent, and nothing was an apology.
func checkMix(b *testing.B, srv *telegramtest.Server, load []mixMsg) {
	sent, got := map[string]int{}, map[string]int{}
	for _, m := range load {
		sent[m.kind]++
	}
	for _, c := range srv.Calls() { // once per run, after the clock
		if !c.OK || (c.Method != "sendMessage" && c.Method != "sendPhoto") {
			continue
		}
		text := plainText(c)
		if strings.Contains(text, "抱歉") {
			b.Fatalf("an apology: %.300q", text)
		}
		for _, k := range mixMarkers { // reminders, charts and later parts match none
			if strings.Contains(text, k.marker) {
				got[k.kind]++
				break
			}
		}
	}
	for kind, n := range sent {
		if got[kind] < n {
			b.Fatalf("%d %s messages sent, %d answered as such (all answers: %v)", n, kind, got[kind], got)
		}
	}
}

// logv logs only under -v: a benchmark's log is cut at ten lines, which
// must show the targets.
func logv(b *testing.B, format string, args ...any) {
	if testing.Verbose() {
		b.Logf(format, args...)
	}
}

// BenchmarkColdViews measures what grows with the history when nothing is
// warm, on the 3-, 6- and 12-year counties back to back in each round (one
// op is one round, use -benchtime Nx):
//
//   - view=status: `planbot status -at <the Monday after the history>` as
//     a process, from start to exit; CPU is user+system from its rusage;
//   - view=digest: `planbot digest -at …` the same way;
//   - view=start: `planbot run` from start to its first long poll, on a
//     copy that says the bot was down for a week (missedWeek), so the
//     start catches up a run of every reminder job first (checked with
//     caughtUp); CPU from /proc (10 ms ticks);
//   - view=warm-digest: scheduler.DigestText in this process on an open
//     database, after two untimed calls: the mean of five.
//
// Each reports milliseconds per history (medians over the rounds) and the
// 12y/6y growth taken within each round (median, min, max), with issue
// 15's target of at most 1.15.
func BenchmarkColdViews(b *testing.B) {
	bin, err := planbotBinary()
	if err != nil {
		b.Fatal(err)
	}
	hs := runYearCounties(b)
	b.Run("view=status", func(b *testing.B) { pairedRounds(b, hs, coldCommand(b, bin, hs, "status", "年度工作计划")) })
	b.Run("view=digest", func(b *testing.B) { pairedRounds(b, hs, coldCommand(b, bin, hs, "digest", "周报")) })
	b.Run("view=start", func(b *testing.B) { pairedRounds(b, hs, coldStart(b, bin)) })
	b.Run("view=warm-digest", func(b *testing.B) { pairedRounds(b, hs, warmDigest(b, hs)) })
}

// measure is one measurement on one history: wall time, and CPU time
// (0 when the wall time is the CPU time, as in this process).
type measure func(h history) (wall, cpu time.Duration)

// pairedRounds runs m on every history, back to back, b.N times.
func pairedRounds(b *testing.B, hs []history, m measure) {
	var fig figures
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for b.Loop() { // unlike b.N, no extra round of one first
		walls, cpus := map[int]float64{}, map[int]float64{}
		for _, h := range hs {
			wall, cpu := m(h)
			walls[h.years] = ms(wall)
			fig.add(fmt.Sprintf("ms@%dy", h.years), ms(wall))
			if cpu > 0 {
				cpus[h.years] = ms(cpu)
				fig.add(fmt.Sprintf("cpu-ms@%dy", h.years), ms(cpu))
			}
		}
		growth(&fig, "x12y/6y", walls)
		growth(&fig, "cpu-x12y/6y", cpus)
	}
	fig.report(b, "x12y/6y", "cpu-x12y/6y")
	fig.target(b, "x12y/6y", "<=", 1.15)
	if len(fig.vals["cpu-x12y/6y"]) > 0 {
		fig.target(b, "cpu-x12y/6y", "<=", 1.15)
	}
}

// coldCommand runs `planbot <name> -at …` on its own copy of each
// county, once untimed first (the copy's first open syncs the plan into
// it, and the file enters the page cache: "cold" is the process, not the
// disk), and checks that its output holds want.
func coldCommand(b *testing.B, bin string, hs []history, name, want string) measure {
	configs := map[int]string{}
	for _, h := range hs {
		dir := b.TempDir()
		// No Bot API: a command that printed would need none.
		configs[h.years] = benchConfig(b, h.f, dir, "http://127.0.0.1:9/bot%s/%s", copyDB(b, h.f, dir))
	}
	once := func(h history) (time.Duration, time.Duration) {
		cmd := exec.Command(bin, name, "-config", configs[h.years], "-at", runYearAt(h.f))
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		began := time.Now()
		err := cmd.Run()
		wall := time.Since(began)
		if err != nil || !strings.Contains(stdout.String(), want) {
			b.Fatalf("planbot %s: %v\n%.500s\n%s", name, err, stdout.String(), stderr.String())
		}
		return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	for _, h := range hs {
		once(h)
	}
	return once
}

// coldStart starts `planbot run` on a fresh copy that missed a week of
// reminders and measures until its first poll.
func coldStart(b *testing.B, bin string) measure {
	return func(h history) (time.Duration, time.Duration) {
		b.StopTimer()
		dir := b.TempDir()
		srv := telegramtest.New(b, telegramtest.WithMaxPollWait(time.Second))
		defer srv.Close()
		dbPath := copyDB(b, h.f, dir)
		week := missedWeek(b, h.f.cfg.Plan, dbPath)
		cfg := benchConfig(b, h.f, dir, srv.Endpoint(), dbPath)
		b.StartTimer()
		p := startProc(b, "planbot run", bin, srv, "run", "-config", cfg, "-poll", "5s")
		wall := p.waitPolling(b, srv)
		cpu := p.cpu(b)
		stopAndCheckLog(b, p)
		caughtUp(b, dbPath, week)
		return wall, cpu
	}
}

// warmDigest is the weekly digest on an open database of each county,
// warmed by two calls.
func warmDigest(b *testing.B, hs []history) measure {
	ctx := context.Background()
	digest := map[int]func() error{}
	for _, h := range hs {
		f := h.f
		db := openCounty(b, f)
		e := &env{now: func() time.Time { return f.at }}
		sch := newScheduler(e, db, func() *planbot.Plan { return f.cfg.Plan }, slog.New(slog.DiscardHandler))
		digest[h.years] = func() error {
			text, err := sch.DigestText(ctx, f.at)
			if err == nil && !strings.Contains(text, "周报") {
				err = fmt.Errorf("not a digest: %.200q", text)
			}
			return err
		}
		for range 2 {
			if err := digest[h.years](); err != nil {
				b.Fatal(err)
			}
		}
	}
	return func(h history) (time.Duration, time.Duration) {
		const calls = 5
		began := time.Now()
		for range calls {
			if err := digest[h.years](); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(began) / calls, 0
	}
}
