package planbot

import (
	"math"
	"slices"
	"time"
)

// Status is where an item stands at a moment. It is derived from the plan and
// the report history every time it is asked for and never stored: a stored
// status would go stale the minute a deadline passed with nobody reporting.
type Status string

const (
	StatusDone       Status = "done"
	StatusOverdue    Status = "overdue"
	StatusAtRisk     Status = "at_risk"
	StatusOnTrack    Status = "on_track"
	StatusNotStarted Status = "not_started"
	StatusNoReport   Status = "no_report"
)

// Statuses lists every status in display order: what needs a leader's
// attention first, what is finished last.
var Statuses = []Status{StatusOverdue, StatusAtRisk, StatusNoReport, StatusNotStarted, StatusOnTrack, StatusDone}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Label is the zh-CN name shown to users; an unknown status shows its code so
// that a bug is visible rather than blank.
func (s Status) Label() string {
	switch s {
	case StatusOverdue:
		return "逾期"
	case StatusAtRisk:
		return "有风险"
	case StatusNoReport:
		return "未汇报"
	case StatusNotStarted:
		return "未开始"
	case StatusOnTrack:
		return "正常推进"
	case StatusDone:
		return "已完成"
	}
	return string(s)
}

// Mark is a one-glyph badge for lists read on a phone. Each is a single code
// point with emoji presentation by default, so no variation selector is needed
// and no client falls back to a monochrome text glyph. Red and yellow rather
// than red and orange, because those two are hard to tell apart at list size
// and for red-weak eyes; the muted bell says "silent" without a legend.
func (s Status) Mark() string {
	switch s {
	case StatusOverdue:
		return "🔴"
	case StatusAtRisk:
		return "🟡"
	case StatusNoReport:
		return "🔕"
	case StatusNotStarted:
		return "⚪"
	case StatusOnTrack:
		return "🟢"
	case StatusDone:
		return "✅"
	}
	return "❔"
}

// ItemStatus is an item's status at a moment and the figures behind it, so a
// reply can say why ("应完成60%，实际30%") and not only what.
type ItemStatus struct {
	Status  Status
	Percent float64 // progress by the latest effective report (100 when done), 0 if none
	// Value is the item's figure in its target's unit: for a shared item
	// the Value of the report Percent comes from, when it has one in that
	// unit (it is that report's own Amount, not a copy: reports are
	// immutable); for a per_owner item the sum of the shares' values. Nil
	// when there is no such figure (a percent-only report, none at all,
	// no target).
	Value       *Amount
	Expected    float64 // where the item should be by now, 0–100
	DaysOverdue int     // calendar days past due (in the plan's location), 0 unless overdue
	DaysSilent  int     // whole days since the last effective report, or since start when never reported (0 before start)
	Last        *Report // latest effective report, nil if none
	// Early: not_started because the item has not started, yet reported
	// on (a township starts in December on next year's plan). The report
	// counts from the start; until then nothing is expected of it, so it
	// is neither on track nor behind.
	Early bool
}

// DeriveStatus computes item's status at now. reports is the item's full
// history ordered by ID, superseded rows and withdrawals included, each
// correction or withdrawal superseding an earlier report (as storage
// ensures; the history is read from its end, see latestEffective). Only the
// effective ones count, and "latest" means highest ID, i.e. the last thing
// said, even when a correction targets an older report. Reports stamped after
// now still count: message timestamps and the local clock may disagree by a
// few seconds, and a reply must reflect the report it answers.
//
// Precedence, first match wins:
//
//  1. done: the latest effective report has Done or its progress is >= 100.
//     Done wins over overdue: finishing late is still finishing.
//  2. not_started: before Start, reported or not (Early when reported:
//     an early report is kept and counts from Start, but nothing is
//     expected before it, so it is not "on track against 0%"); or started, never reported
//     (a withdrawn only report counts as never reported), not yet expected to
//     show progress beyond the tolerance, not silent and not past due.
//  3. overdue: now >= end of Due in loc.
//  4. no_report, for an item never reported and silent since its start:
//     its 0% is nobody's figure, so it is not judged at risk.
//  5. at_risk: progress < Expected − Tolerance.
//  6. no_report: DaysSilent >= SilentDays (SilentDays <= 0 turns this off).
//  7. on_track.
//
// A report's progress is its Percent if set (a Done report counts as 100);
// else Value/Target×100 when both are set in the same base unit, capped at
// 100; else the previous effective report's progress, so a note or photo
// keeps the figure while still counting as a report for silence.
//
// A per_owner item (TallyPerOwner) adds its owners' shares instead (see
// ItemShares): its progress is the sum of the shares' values over the
// target, capped at 100, and 100 once every owner's latest effective report
// is Done. Percent-only reports add nothing to the sum but are reports all
// the same, for silence and for Last.
//
// A zero Start is taken as Jan 1 of Due's year and a zero Due as Dec 31 of
// Start's year; a Due before Start is treated as a one-day item on Due. An
// item with neither date has no schedule: it is never overdue or at risk and
// is silent only from its first report. A nil loc is UTC.
func DeriveStatus(item Item, reports []Report, now time.Time, loc *time.Location, rules Rules) ItemStatus {
	if loc == nil {
		loc = time.UTC
	}
	sched, scheduled := scheduleOf(item)
	var start, end time.Time
	if scheduled {
		start, end = sched.start.Start(loc), sched.due.End(loc)
	}

	var st ItemStatus
	var progress float64
	if last, bearing := latestEffective(reports, item.Target); last >= 0 {
		r := reports[last]
		st.Last = &r
		if item.Tally == TallyPerOwner {
			progress, st.Value = perOwnerProgress(item, reports)
		} else if bearing >= 0 {
			b := &reports[bearing]
			progress = reportProgress(*b, item.Target, 0)
			if valueCounts(*b, item.Target) {
				st.Value = b.Value
			}
		}
	}
	st.Percent = progress

	if scheduled {
		st.Expected = expectedAt(item.Milestones, start, end, now, loc)
	}
	st.DaysSilent = daysSilent(st.Last, scheduled, start, now)
	silent := rules.SilentDays > 0 && st.DaysSilent >= rules.SilentDays
	behind := progress < st.Expected-rules.Tolerance

	switch {
	case st.Last != nil && progress >= 100:
		st.Status = StatusDone
	case !scheduled:
		// Without dates nothing can be late or behind; only silence and
		// progress speak.
		switch {
		case st.Last == nil:
			st.Status = StatusNotStarted
		case silent:
			st.Status = StatusNoReport
		case progress <= 0:
			st.Status = StatusNotStarted
		default:
			st.Status = StatusOnTrack
		}
	case now.Before(start):
		st.Status = StatusNotStarted
		st.Early = st.Last != nil
	case st.Last == nil && now.Before(end) && st.Expected-rules.Tolerance <= 0 && !silent:
		st.Status = StatusNotStarted
	case !now.Before(end):
		st.Status = StatusOverdue
		st.DaysOverdue = sched.due.DaysUntil(DateOf(now.In(loc)))
	case st.Last == nil && silent:
		// Nobody has said anything: the 0% is not a figure anyone gave, so
		// "no report" is the truth and "at risk" would be a guess.
		st.Status = StatusNoReport
	case behind:
		st.Status = StatusAtRisk
	case silent:
		st.Status = StatusNoReport
	default:
		st.Status = StatusOnTrack
	}
	return st
}

// latestEffective returns the index of the last effective report (-1 if
// none) and of the last effective report that gives a progress of its own
// (bearsProgress; -1 if none): the progress reportProgress would carry to
// the end of the history is that one's. It reads the history from its end
// and stops there, in place: copying the history (Effective) and reading
// every report's figure cost 35 times more on 150 reports
// (BenchmarkDeriveStatus), and a county's overview reads 400 of them.
//
// Reading backwards is exact because a report only supersedes an earlier
// one, so that whatever supersedes report i comes after it in a history
// ordered by ID and has been read when i is reached. The part it reads is
// checked for that order; if it is not so ordered, every report is read.
func latestEffective(reports []Report, target *Amount) (last, bearing int) {
	last, bearing = -1, -1
	var sup supersededSet // what the reports read so far supersede
	next := int64(math.MaxInt64)
	for i := len(reports) - 1; i >= 0; i-- {
		r := &reports[i]
		if r.ID >= next || r.Supersedes >= r.ID {
			return latestEffectiveAnyOrder(reports, target)
		}
		next = r.ID
		effective := !r.Withdrawn && !sup.has(r.ID)
		sup.add(r.Supersedes)
		if !effective {
			continue
		}
		if last < 0 {
			last = i
		}
		if bearsProgress(*r, target) {
			return last, i
		}
	}
	return last, -1
}

// latestEffectiveAnyOrder is latestEffective for a history in any order:
// a first pass finds everything superseded.
func latestEffectiveAnyOrder(reports []Report, target *Amount) (last, bearing int) {
	last, bearing = -1, -1
	var sup supersededSet
	sup.fill(reports)
	for i := len(reports) - 1; i >= 0; i-- {
		r := &reports[i]
		if r.Withdrawn || sup.has(r.ID) {
			continue
		}
		if last < 0 {
			last = i
		}
		if bearsProgress(*r, target) {
			return last, i
		}
	}
	return last, -1
}

type schedule struct{ start, due Date }

// scheduleOf fills a missing date from the other one instead of failing:
// config validation requires both, and a status query must never panic on
// data that slipped past it.
func scheduleOf(item Item) (schedule, bool) {
	s, d := item.Start, item.Due
	switch {
	case s.IsZero() && d.IsZero():
		return schedule{}, false
	case s.IsZero():
		s = Date{d.Year, time.January, 1}
	case d.IsZero():
		d = Date{s.Year, time.December, 31}
	}
	if d.Before(s) {
		s = d
	}
	return schedule{s, d}, true
}

// reportProgress is r's progress in percent, 0–100, given the progress
// carried from the report before it.
func reportProgress(r Report, target *Amount, carried float64) float64 {
	switch {
	case r.Done:
		return 100
	case r.Percent != nil:
		return clampPercent(*r.Percent)
	case valueCounts(r, target):
		return clampPercent(r.Value.Value.Float64() / target.Value.Float64() * 100)
	}
	return carried
}

// bearsProgress reports whether r gives a progress of its own, rather
// than carrying the previous report's: exactly when reportProgress does not
// return carried.
func bearsProgress(r Report, target *Amount) bool {
	return r.Done || r.Percent != nil || valueCounts(r, target)
}

func valueCounts(r Report, target *Amount) bool {
	return r.Value != nil && target != nil && target.Value > 0 && r.Value.Unit == target.Unit
}

func clampPercent(p float64) float64 {
	switch {
	case p < 0 || math.IsNaN(p): // NaN would poison every comparison after it
		return 0
	case p > 100:
		return 100
	}
	return p
}

// expectedAt evaluates the piecewise-linear expectation through (start, 0%),
// each milestone at the end of its day, and (end, 100%). Milestones outside
// the open span (start, end) are ignored: the endpoints are fixed by
// definition, and a milestone beyond them cannot be interpolated toward.
func expectedAt(ms []Milestone, start, end, now time.Time, loc *time.Location) float64 {
	if !now.After(start) {
		return 0
	}
	if !now.Before(end) {
		return 100
	}
	byDate := func(a, b Milestone) int { return a.Date.Compare(b.Date) }
	if !slices.IsSortedFunc(ms, byDate) {
		ms = slices.Clone(ms)
		slices.SortStableFunc(ms, byDate)
	}
	t0, p0 := start, 0.0
	for _, m := range ms {
		t := m.Date.End(loc)
		if !t.After(t0) || !t.Before(end) {
			continue
		}
		p := clampPercent(m.Percent)
		if now.Before(t) {
			return clampPercent(lerp(t0, p0, t, p, now))
		}
		t0, p0 = t, p
	}
	return clampPercent(lerp(t0, p0, end, 100, now))
}

func lerp(t0 time.Time, p0 float64, t1 time.Time, p1 float64, now time.Time) float64 {
	return p0 + (p1-p0)*float64(now.Sub(t0))/float64(t1.Sub(t0))
}

// daysSilent counts whole 24-hour periods since the last report, or since the
// start when that is later: a report sent before the item started must not
// make it silent on its first day, and nobody is expected to report on an
// item that has not started.
func daysSilent(last *Report, scheduled bool, start, now time.Time) int {
	var from time.Time
	switch {
	case last != nil && (!scheduled || last.At.After(start)):
		from = last.At
	case scheduled:
		from = start
	default:
		return 0
	}
	d := now.Sub(from)
	if d <= 0 {
		return 0
	}
	return int(d / (24 * time.Hour))
}

// BehindPace reports whether the item trails where it should be by now by
// more than rules.Tolerance, whatever its status says: the test that makes
// a reported item at risk, asked also of a never-reported one, whose
// no_report colour must not hide that it is behind. Done is never behind.
func (st ItemStatus) BehindPace(rules Rules) bool {
	return st.Status != StatusDone && st.Percent < st.Expected-rules.Tolerance
}
