package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"planbot"
)

// Store is what the scheduler needs of the database.
type Store interface {
	// RunJob records the run (job, scheduledAt) and queues fn's messages in
	// one transaction; false when that run was already recorded.
	RunJob(ctx context.Context, job string, scheduledAt, now time.Time, fn func(planbot.Tx) ([]planbot.OutboxMessage, error)) (bool, error)
	SkipJobRun(ctx context.Context, job string, scheduledAt, now time.Time, reason string) (bool, error)
	// LastScheduled is the scheduled time of the job's latest recorded run.
	LastScheduled(ctx context.Context, job string) (time.Time, bool, error)
	// Read runs fn in a read-only snapshot, as a run scheduled at
	// scheduledAt would see the database: for previews, which write nothing.
	Read(ctx context.Context, scheduledAt time.Time, fn func(Session) error) error
}

// PendingPurger is a Store that keeps the questions the bot asked and
// awaits an answer to: Start purges the stale ones daily (Housekeep).
type PendingPurger interface {
	// PurgePending deletes the questions asked before olderThan and
	// returns how many.
	PurgePending(ctx context.Context, olderThan time.Time) (int, error)
}

// InboxPurger is a Store that keeps the inbound events of platforms that
// send each event once (WeCom): Housekeep drops those handled more than
// InboxMaxAge ago, whose duplicates can no longer arrive.
type InboxPurger interface {
	PurgeInbound(ctx context.Context, before time.Time) (int, error)
}

// HoldStore is a Store that keeps the reminders held for quiet hours as
// placeholders (planbot.OutboxMessage.Held), never sent as composed: at
// the end of the quiet hours each held run is composed again, as at then,
// for the chats it held a message for (Release).
type HoldStore interface {
	// NextHeldRelease is when the earliest held message is due.
	NextHeldRelease(ctx context.Context) (time.Time, bool, error)
	// ReleaseHeld deletes the held messages due at now and, run by run,
	// queues what fn returns for the run, in one transaction; it returns
	// how many runs it released.
	ReleaseHeld(ctx context.Context, now time.Time, fn func(planbot.Tx, HeldRun) ([]planbot.OutboxMessage, error)) (int, error)
}

// HeldRun is a run whose messages were held for quiet hours and are due:
// Chats are the chats it held a message for.
type HeldRun = planbot.HeldRun

// Session is what a job reads, inside its run's transaction: the read side
// of one (planbot.ReadTx).
type Session = planbot.ReadTx

// Scheduler runs the reminders of the plan in force: each run keyed by
// (job, scheduled time), so it happens once even if cron fires twice or two
// processes share the database.
type Scheduler struct {
	Plan  func() *planbot.Plan
	Store Store
	Log   *slog.Logger
	Now   func() time.Time
	// Queued is called after a run queued messages (to wake the sender).
	Queued func()
	// Served says whether a chat platform is served by this process; a
	// person's reminders go only to accounts on one that is (nil: all
	// are), or they would wait for a sender that never comes.
	Served func(platform string) bool
	// Chart draws the digest's picture (PNG); nil sends the digest as text
	// only. A failure to draw is logged and the text still goes.
	Chart func(planbot.Overview, *planbot.Plan) ([]byte, error)
	// RetryWait is the wait before a run that could not be recorded (the
	// database cannot be written) is tried again, after n failures; nil is
	// 1 s doubling to a minute. A run is tried until it would be later
	// than the catch-up window, as a run missed while down would be.
	RetryWait func(n int) time.Duration

	mu       sync.Mutex
	cron     *cron.Cron
	quit     chan struct{} // closed by Stop: runs waiting to be tried again give up
	released chan struct{} // closed when the release loop has ended
	poke     chan struct{} // a run held messages: the release loop looks again
}

// Run runs reminder r as scheduled for at: the job is a function of its
// scheduled time, so "Monday 09:00" can be run at any moment, by cron, by
// catch-up, or by `planbot fire`. It reports whether the run happened
// (false: already done) and what it queued.
func (s *Scheduler) Run(ctx context.Context, r planbot.Reminder, at time.Time) (bool, []planbot.OutboxMessage, error) {
	var queued []planbot.OutboxMessage
	ran, err := s.Store.RunJob(ctx, r.Name, at, s.Now(), func(sess planbot.Tx) ([]planbot.OutboxMessage, error) {
		msgs, err := s.compose(ctx, sess, r, at)
		queued = msgs
		return msgs, err
	})
	if err != nil {
		return false, nil, fmt.Errorf("run %s for %s: %w", r.Name, at.Format("2006-01-02 15:04"), err)
	}
	if ran && len(queued) > 0 && s.Queued != nil {
		s.Queued()
	}
	if ran && len(queued) > 0 && queued[0].Held {
		s.mu.Lock()
		poke := s.poke
		s.mu.Unlock()
		if poke != nil {
			select {
			case poke <- struct{}{}:
			default:
			}
		}
	}
	return ran, queued, nil
}

// Preview computes what r would send at at, writing nothing.
func (s *Scheduler) Preview(ctx context.Context, r planbot.Reminder, at time.Time) ([]planbot.OutboxMessage, error) {
	var out []planbot.OutboxMessage
	err := s.Store.Read(ctx, at, func(sess Session) error {
		var err error
		out, err = s.compose(ctx, sess, r, at)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("preview %s for %s: %w", r.Name, at.Format("2006-01-02 15:04"), err)
	}
	return out, nil
}

// DigestText is the weekly digest as at at, for `planbot digest`: what a
// digest job would send to leaders, writing nothing.
func (s *Scheduler) DigestText(ctx context.Context, at time.Time) (string, error) {
	var text string
	r := planbot.Reminder{Name: "digest", Kind: planbot.ReminderDigest}
	err := s.Store.Read(ctx, at, func(sess Session) error {
		plan := s.Plan()
		snap, err := s.snapshot(ctx, sess, plan, r, at.In(plan.Location))
		if err != nil {
			return err
		}
		text = Digest(snap, at.In(plan.Location))
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("preview the digest for %s: %w", at.Format("2006-01-02 15:04"), err)
	}
	return text, nil
}

// compose reads the snapshot and applies the caps against nagging.
func (s *Scheduler) compose(ctx context.Context, sess Session, r planbot.Reminder, at time.Time) ([]planbot.OutboxMessage, error) {
	return s.composeFor(ctx, sess, r, at, nil)
}

// composeFor is compose for the chats in only (nil: all of them): the
// run of a held reminder composed again at its release.
func (s *Scheduler) composeFor(ctx context.Context, sess Session, r planbot.Reminder, at time.Time, only map[planbot.ChatID]bool) ([]planbot.OutboxMessage, error) {
	plan := s.Plan()
	at = at.In(plan.Location)
	snap, err := s.snapshot(ctx, sess, plan, r, at)
	if err != nil {
		return nil, err
	}
	msgs, unreachable := Compose(r, snap, at)
	if len(unreachable) > 0 && only == nil {
		s.Log.Warn("reminder recipients without a chat (no account in the YAML, none bound by invite)", "job", r.Name, "people", unreachable)
	}
	personal := personalChats(snap)
	if only != nil {
		msgs = slices.DeleteFunc(msgs, func(m planbot.OutboxMessage) bool { return !heldFor(only, personal, m.ChatID) })
	}
	if r.Kind == planbot.ReminderDigest && s.Chart != nil && len(msgs) > 0 {
		msgs = s.withChart(snap, at, msgs)
	}
	return s.limit(ctx, sess, plan, r, at, msgs, personal, only != nil)
}

// Release composes again, as at now, each run whose reminders were held
// for quiet hours and are due, for the chats it held a message for, and
// queues that instead: an item reported done in the night is no longer
// listed, and a chat with nothing left to hear gets nothing. A run still
// gets one message per chat, and the daily cap counts the day it goes out.
// A run whose job left the plan is dropped. It returns how many runs it
// released; a Store that cannot hold (not a HoldStore) has none.
func (s *Scheduler) Release(ctx context.Context) (int, error) {
	hs, ok := s.Store.(HoldStore)
	if !ok {
		return 0, nil
	}
	now := s.Now()
	queued := 0
	n, err := hs.ReleaseHeld(ctx, now, func(sess planbot.Tx, run HeldRun) ([]planbot.OutboxMessage, error) {
		var r planbot.Reminder
		for _, x := range s.Plan().Reminders {
			if x.Name == run.Job {
				r = x
			}
		}
		if r.Name == "" {
			s.Log.Warn("held reminders dropped: the job is no longer in the plan", "job", run.Job, "scheduled", run.ScheduledAt, "chats", len(run.Chats))
			return nil, nil
		}
		only := make(map[planbot.ChatID]bool, len(run.Chats))
		for _, c := range run.Chats {
			only[c] = true
		}
		msgs, err := s.composeFor(ctx, sess, r, now, only)
		if err != nil {
			return nil, err
		}
		chats := map[planbot.ChatID]bool{}
		for _, m := range msgs {
			chats[m.ChatID] = true
			if !m.Held {
				queued++
			}
		}
		s.Log.Info("held reminders composed again at their release", "job", r.Name, "scheduled", run.ScheduledAt,
			"held_chats", len(run.Chats), "chats", len(chats), "messages", len(msgs))
		return msgs, nil
	})
	if err != nil {
		return 0, fmt.Errorf("release held reminders: %w", err)
	}
	if queued > 0 && s.Queued != nil {
		s.Queued()
	}
	return n, nil
}

// releaseLoop releases held reminders when they are due, until quit. It
// looks at the queue at least once a minute, so a run another process
// held (planbot fire) is released on time unless it is due within that
// minute.
func (s *Scheduler) releaseLoop(hs HoldStore, quit, poke <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	for failures := 0; ; {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		wait := time.Minute
		if _, err := s.Release(ctx); err != nil {
			failures++
			wait = s.retryWait(failures)
			s.Log.Error("held reminders not released; trying again", "retry_in", wait, "err", err)
		} else {
			failures = 0
			if next, ok, err := hs.NextHeldRelease(ctx); err == nil && ok {
				wait = min(wait, max(next.Sub(s.Now()), 10*time.Millisecond))
			}
		}
		cancel()
		t := time.NewTimer(wait)
		select {
		case <-quit:
			t.Stop()
			return
		case <-poke:
			t.Stop()
		case <-t.C:
		}
	}
}

func (s *Scheduler) snapshot(ctx context.Context, sess Session, plan *planbot.Plan, r planbot.Reminder, at time.Time) (Snapshot, error) {
	return takeSnapshot(ctx, sess, plan, r, at, s.Served)
}

// DigestIn is the weekly digest as at at, read within sess (a chat
// command's transaction): what the plan's digest job would send leaders
// now, its "since the last digest" counted from that job's last run; and
// the overview it was read from, to draw its picture.
func DigestIn(ctx context.Context, sess Session, plan *planbot.Plan, at time.Time) (string, planbot.Overview, error) {
	r := planbot.Reminder{Name: "digest", Kind: planbot.ReminderDigest}
	for _, pr := range plan.Reminders {
		if pr.Kind == planbot.ReminderDigest {
			r = pr
			break
		}
	}
	at = at.In(plan.Location)
	snap, err := takeSnapshot(ctx, sess, plan, r, at, nil)
	if err != nil {
		return "", planbot.Overview{}, err
	}
	return Digest(snap, at), plan.Overview(snap.Reports, snap.Latest, at), nil
}

// historyNeed is what a run of r at at reads of the reports besides the
// statuses now (see Snapshot.Reports): a digest the statuses at the start
// of its week and at the previous digest, and the week's reports; a report
// request the reports since its weekday.
func historyNeed(plan *planbot.Plan, r planbot.Reminder, at time.Time, previousDigest time.Time) planbot.HistoryNeed {
	loc := plan.Location
	if loc == nil {
		loc = time.UTC
	}
	switch r.Kind {
	case planbot.ReminderDigest:
		week := weekdayBefore(at, loc, time.Monday)
		need := planbot.HistoryNeed{Since: week, Before: []time.Time{week}}
		if !previousDigest.IsZero() {
			// deriveAt includes a report stamped at the previous digest.
			need.Before = append(need.Before, previousDigest.Add(time.Nanosecond))
		}
		return need
	case planbot.ReminderReportRequest:
		return planbot.HistoryNeed{Since: weekdayBefore(at, loc, r.Since)}
	}
	return planbot.HistoryNeed{}
}

func takeSnapshot(ctx context.Context, sess Session, plan *planbot.Plan, r planbot.Reminder, at time.Time, served func(string) bool) (Snapshot, error) {
	snap := Snapshot{Plan: plan, ChatOf: map[string]planbot.ChatID{}}
	if r.Kind == planbot.ReminderDigest {
		if prev, ok, err := sess.LastRunAt(ctx, r.Name); err != nil {
			return snap, err
		} else if ok {
			snap.PreviousDigest = prev
		}
	}
	var err error
	if snap.Reports, err = sess.Histories(ctx, plan.Items, historyNeed(plan, r, at, snap.PreviousDigest)); err != nil {
		return snap, err
	}
	from, to := plan.ObservedBy(at)
	if snap.Latest, err = sess.LatestObservations(ctx, from, to); err != nil {
		return snap, err
	}
	if err := reachable(ctx, sess, plan, served, &snap); err != nil {
		return snap, err
	}
	said, err := sess.Leaves(ctx)
	if err != nil {
		return snap, err
	}
	snap.Leaves = append(slices.Clip(plan.Leaves), said...)
	if r.Kind == planbot.ReminderDigest {
		since := snap.PreviousDigest
		if since.IsZero() {
			since = at.AddDate(0, 0, -7)
		}
		if snap.Failed, err = sess.FailedMessagesSince(ctx, since, 50); err != nil {
			return snap, err
		}
	}
	return snap, nil
}

// reachable fills snap's ChatOf and ChatsOf: each person's private chats
// (their YAML accounts', then the one bound by invite) and of them the one
// their reminders go to, so that a person on two platforms is told once,
// where they prefer or wrote from last.
func reachable(ctx context.Context, sess Session, plan *planbot.Plan, served func(string) bool, snap *Snapshot) error {
	bound, err := sess.ChatBindings(ctx)
	if err != nil {
		return err
	}
	seen, err := sess.AccountsSeen(ctx)
	if err != nil {
		return err
	}
	snap.ChatsOf = make(map[string][]planbot.ChatID, len(plan.People))
	for _, p := range plan.People {
		var chats []planbot.ChatID
		for _, a := range p.Accounts {
			chats = append(chats, a.Chat())
		}
		if c := bound[p.Key]; c != "" && !slices.Contains(chats, c) {
			chats = append(chats, c)
		}
		snap.ChatsOf[p.Key] = chats
		b := bound[p.Key]
		if served != nil {
			p.Accounts = slices.DeleteFunc(slices.Clone(p.Accounts), func(u planbot.UserID) bool { return !served(u.Platform()) })
			if b != "" && !served(b.Platform()) {
				b = ""
			}
		}
		if c := planbot.ReminderChat(p, b, seen); c != "" {
			snap.ChatOf[p.Key] = c
		}
	}
	return nil
}

// withChart puts the digest's picture ahead of its text in every chat that
// gets the digest: leaders would rather look than read.
func (s *Scheduler) withChart(snap Snapshot, at time.Time, msgs []planbot.OutboxMessage) []planbot.OutboxMessage {
	png, err := s.Chart(snap.Plan.Overview(snap.Reports, snap.Latest, at), snap.Plan)
	if err != nil {
		s.Log.Error("digest chart not drawn; the digest goes as text", "err", err)
		return msgs
	}
	name, caption := planbot.DigestPicture(snap.Plan.Year, at)
	var out []planbot.OutboxMessage
	pictured := map[planbot.ChatID]bool{}
	for _, m := range msgs {
		if !pictured[m.ChatID] && m.Method != planbot.MethodAnswer {
			pictured[m.ChatID] = true
			out = append(out, planbot.OutboxMessage{ChatID: m.ChatID, Attachment: planbot.AttachPicture, FileName: name, FileData: png,
				Text: caption, Priority: m.Priority, NextAttemptAt: m.NextAttemptAt})
		}
		out = append(out, m)
	}
	return out
}

// heldFor reports whether a release composing for the held chats in only
// sends to chat: a chat held for, or a person's chat when one of their
// chats was held for (they wrote from another platform in the night, and
// their reminder follows them there).
func heldFor(only map[planbot.ChatID]bool, personal map[planbot.ChatID][]planbot.ChatID, chat planbot.ChatID) bool {
	if only[chat] {
		return true
	}
	for _, c := range personal[chat] {
		if only[c] {
			return true
		}
	}
	return false
}

// limit applies the caps: quiet hours defer, the daily cap drops. Digests
// are what leaders asked for, so only quiet hours apply to them. The cap
// is per person: it counts only the chats in personal, never a group's
// (which many read, a group robot's too), and for a person the reminders
// queued to any of their chats today, so a person on two platforms is
// capped once.
//
// With a HoldStore, messages composed in the quiet hours are held
// (placeholders composed again at the release, see Release) until their
// end, or for a workdays_only job the end on the next working day; the
// daily cap is then applied at the release, to the day they go out.
// releasing is a release's composition: one on a day off (the bot was
// down) of a workdays_only job waits again for a working morning.
func (s *Scheduler) limit(ctx context.Context, sess Session, plan *planbot.Plan, r planbot.Reminder, at time.Time, msgs []planbot.OutboxMessage, personal map[planbot.ChatID][]planbot.ChatID, releasing bool) ([]planbot.OutboxMessage, error) {
	lim := plan.Limits
	_, canHold := s.Store.(HoldStore)
	if until, hold := holdUntil(plan, r, at, releasing); hold && canHold {
		for i := range msgs {
			msgs[i].NextAttemptAt, msgs[i].Held = until, true
		}
		return msgs, nil
	} else if quiet, end := lim.Quiet(at); quiet {
		for i := range msgs {
			msgs[i].NextAttemptAt = end
		}
	}
	if lim.PerPersonPerDay <= 0 || r.Kind == planbot.ReminderDigest {
		return msgs, nil
	}
	day := planbot.DateOf(at).Start(plan.Location)
	counts, err := sess.RemindersQueuedSince(ctx, day)
	if err != nil {
		return nil, err
	}
	var kept []planbot.OutboxMessage
	capped := map[planbot.ChatID]bool{}
	for _, m := range msgs {
		if chats, ok := personal[m.ChatID]; ok && sent(counts, chats) >= lim.PerPersonPerDay {
			capped[m.ChatID] = true
			continue
		}
		kept = append(kept, m)
	}
	if len(capped) > 0 {
		s.Log.Info("daily reminder cap reached; not sent", "job", r.Name, "chats", len(capped), "cap", lim.PerPersonPerDay)
	}
	return kept, nil
}

// sent is how many reminders chats were queued in all.
func sent(counts map[planbot.ChatID]int, chats []planbot.ChatID) int {
	n := 0
	for _, c := range chats {
		n += counts[c]
	}
	return n
}

// personalChats maps each of the people's private chats in snap to all
// the chats of its person (itself among them): the chats the daily cap
// counts, together. A chat's address does not say whether it is a
// person's or a group's; the people's chats are known by name.
func personalChats(snap Snapshot) map[planbot.ChatID][]planbot.ChatID {
	out := make(map[planbot.ChatID][]planbot.ChatID, len(snap.ChatOf))
	for key, c := range snap.ChatOf {
		chats := snap.ChatsOf[key]
		if !slices.Contains(chats, c) {
			chats = append(slices.Clip(chats), c)
		}
		for _, x := range chats {
			out[x] = chats
		}
	}
	return out
}

// holdUntil says whether messages of r composed at t (in the plan's zone)
// wait, and until when: the end of the quiet hours, and for a
// workdays_only job the end of the quiet hours on the next working day
// (weekends and statutory holidays skipped, make-up workdays kept), so a
// run held on Friday night goes out on Monday morning.
func holdUntil(plan *planbot.Plan, r planbot.Reminder, t time.Time, releasing bool) (time.Time, bool) {
	lim := plan.Limits
	quiet, end := lim.Quiet(t)
	if !quiet {
		if !releasing || !r.WorkdaysOnly || lim.QuietFrom == lim.QuietTo || NewCalendar(plan.Calendar).IsWorkday(planbot.DateOf(t)) {
			return time.Time{}, false
		}
		// Released on a day off: the next working day's morning.
		end = time.Date(t.Year(), t.Month(), t.Day(), lim.QuietTo/60, lim.QuietTo%60, 0, 0, t.Location())
	}
	if r.WorkdaysOnly {
		cal := NewCalendar(plan.Calendar)
		// A month covers the longest run of days off (the Spring Festival
		// with its weekends); the bound only guards a broken calendar.
		for i := 0; i < 31 && !cal.IsWorkday(planbot.DateOf(end)); i++ {
			end = end.AddDate(0, 0, 1)
		}
	}
	return end, true
}

// Schedules builds each reminder's schedule from the plan.
func Schedules(plan *planbot.Plan) (map[string]*Schedule, error) {
	cal := NewCalendar(plan.Calendar)
	out := map[string]*Schedule{}
	for _, r := range plan.Reminders {
		sch, err := ParseSchedule(r.Cron, plan.Location, cal, r.WorkdaysOnly)
		if err != nil {
			return nil, fmt.Errorf("reminder %s: %w", r.Name, err)
		}
		out[r.Name] = sch
	}
	return out, nil
}

// CatchUp makes up runs missed while the process was down: for each job,
// the latest missed run within the plan's catch-up window runs once; the
// other missed runs are recorded as skipped, so none is ever run late twice.
func (s *Scheduler) CatchUp(ctx context.Context) error {
	plan := s.Plan()
	schedules, err := Schedules(plan)
	if err != nil {
		return err
	}
	now := s.Now()
	window := plan.Limits.CatchUpWindow
	for _, r := range plan.Reminders {
		sch := schedules[r.Name]
		last, ok, err := s.Store.LastScheduled(ctx, r.Name)
		if err != nil {
			return err
		}
		if !ok {
			// A job never run before has missed nothing: it starts now.
			continue
		}
		missed := sch.Between(last, now, 1000)
		for i, at := range missed {
			latest := i == len(missed)-1
			if latest && now.Sub(at) <= window {
				s.Log.Info("catching up a run missed while down", "job", r.Name, "scheduled", at)
				if _, _, err := s.Run(ctx, r, at); err != nil {
					s.Log.Error("catch-up run failed", "job", r.Name, "err", err)
				}
				continue
			}
			reason := "missed while down; a later run supersedes it"
			if latest {
				reason = fmt.Sprintf("missed while down, older than the catch-up window %s", window)
			}
			if _, err := s.Store.SkipJobRun(ctx, r.Name, at, now, reason); err != nil {
				return err
			}
			s.Log.Warn("skipped a run missed while down", "job", r.Name, "scheduled", at, "reason", reason)
		}
	}
	return nil
}

// Start runs the plan's reminders with robfig/cron until Stop. A job's
// scheduled time is recovered from the calendar-aware schedule, so a late
// tick still keys the right run.
func (s *Scheduler) Start() error {
	plan := s.Plan()
	schedules, err := Schedules(plan)
	if err != nil {
		return err
	}
	logger := cronLogger{s.Log}
	// SkipIfStillRunning outside Recover: in cron v3.0.1 the other order
	// stops a job for good after its first panic.
	c := cron.New(cron.WithLocation(plan.Location), cron.WithChain(cron.SkipIfStillRunning(logger), cron.Recover(logger)))
	quit := make(chan struct{})
	for _, r := range plan.Reminders {
		r, sch := r, schedules[r.Name]
		c.Schedule(sch, cron.FuncJob(func() { s.tick(r, sch, quit) }))
	}
	if _, ok := s.Store.(PendingPurger); ok {
		if _, err := c.AddFunc(housekeepingCron, s.housekeepingTick); err != nil {
			return fmt.Errorf("schedule housekeeping: %w", err)
		}
	}
	released, poke := make(chan struct{}), make(chan struct{}, 1)
	s.mu.Lock()
	s.cron, s.quit, s.released, s.poke = c, quit, released, poke
	s.mu.Unlock()
	c.Start()
	if hs, ok := s.Store.(HoldStore); ok {
		go s.releaseLoop(hs, quit, poke, released)
	} else {
		close(released)
	}
	return nil
}

// tick is one cron firing.
func (s *Scheduler) tick(r planbot.Reminder, sch *Schedule, quit <-chan struct{}) {
	defer func() {
		if p := recover(); p != nil {
			s.Log.Error("reminder job panicked; it runs again at its next time", "job", r.Name, "panic", fmt.Sprint(p))
		}
	}()
	at := sch.Previous(s.Now())
	if at.IsZero() {
		return
	}
	for failures := 1; ; failures++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		ran, msgs, err := s.Run(ctx, r, at)
		cancel()
		switch {
		case err == nil && ran:
			s.Log.Info("reminder run", "job", r.Name, "scheduled", at, "messages", len(msgs))
			return
		case err == nil:
			s.Log.Info("reminder run already done (another tick or process)", "job", r.Name, "scheduled", at)
			return
		case !errors.Is(err, planbot.ErrUnwritable):
			s.Log.Error("reminder run failed", "job", r.Name, "scheduled", at, "err", err)
			return
		}
		wait := s.retryWait(failures)
		if window := s.Plan().Limits.CatchUpWindow; s.Now().Add(wait).Sub(at) > window {
			s.Log.Error("reminder run failed and is given up: it would be later than the catch-up window",
				"job", r.Name, "scheduled", at, "window", window, "err", err)
			return
		}
		s.Log.Error("reminder run failed; it is tried again", "job", r.Name, "scheduled", at, "retry_in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-quit:
			t.Stop()
			s.Log.Warn("reminder run not tried again: stopping", "job", r.Name, "scheduled", at)
			return
		case <-t.C:
		}
	}
}

// PendingMaxAge is how long a question the bot asked is kept: the bot
// takes an answer for 12 hours and says 已过期 to a later one, with the
// question or without it. A week keeps the trail of what was asked over
// a working week; a question unanswered for a week is stale.
const PendingMaxAge = 7 * 24 * time.Hour

// housekeepingCron is when the daily housekeeping runs: 03:17 in the
// plan's zone, when nobody reports and no reminder is due.
const housekeepingCron = "17 3 * * *"

// InboxMaxAge is how long a handled inbound event is remembered: long
// past any redelivery of the same message id.
const InboxMaxAge = 30 * 24 * time.Hour

// Housekeep deletes the questions asked more than PendingMaxAge before
// now and returns how many (nothing when the Store keeps none), and the
// inbound events handled more than InboxMaxAge ago.
func (s *Scheduler) Housekeep(ctx context.Context) (int, error) {
	if in, ok := s.Store.(InboxPurger); ok {
		if _, err := in.PurgeInbound(ctx, s.Now().Add(-InboxMaxAge)); err != nil {
			return 0, fmt.Errorf("housekeeping: %w", err)
		}
	}
	p, ok := s.Store.(PendingPurger)
	if !ok {
		return 0, nil
	}
	n, err := p.PurgePending(ctx, s.Now().Add(-PendingMaxAge))
	if err != nil {
		return 0, fmt.Errorf("housekeeping: %w", err)
	}
	return n, nil
}

// housekeepingTick is one daily housekeeping run. It keys no run: purging
// twice purges nothing the second time, and a day missed while down is
// made up by the next.
func (s *Scheduler) housekeepingTick() {
	defer func() {
		if p := recover(); p != nil {
			s.Log.Error("housekeeping panicked; it runs again tomorrow", "panic", fmt.Sprint(p))
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n, err := s.Housekeep(ctx)
	if err != nil {
		s.Log.Error("housekeeping failed; it runs again tomorrow", "err", err)
		return
	}
	s.Log.Info("housekeeping", "stale_questions_purged", n)
}

func (s *Scheduler) retryWait(n int) time.Duration {
	if s.RetryWait != nil {
		return s.RetryWait(n)
	}
	return planbot.Backoff(n)
}

// Stop stops firing and waits for running jobs to end (or ctx).
func (s *Scheduler) Stop(ctx context.Context) {
	s.mu.Lock()
	c, quit, released := s.cron, s.quit, s.released
	s.cron, s.quit, s.released, s.poke = nil, nil, nil, nil
	s.mu.Unlock()
	if c == nil {
		return
	}
	close(quit)
	select {
	case <-c.Stop().Done():
	case <-ctx.Done():
	}
	select {
	case <-released:
	case <-ctx.Done():
	}
}

// Restart picks up a reloaded plan's reminders.
func (s *Scheduler) Restart(ctx context.Context) error {
	s.Stop(ctx)
	return s.Start()
}

type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
