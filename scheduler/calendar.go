package scheduler

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
	"github.com/robfig/cron/v3"

	"planbot"
)

// Calendar answers "is this a working day in China" from lunar-go's
// statutory holiday table (HolidayUtil, the State Council's 放假安排 as
// published each November for the next year) with the plan's YAML
// overrides: extra Holidays are days off, extra Workdays are working days,
// and an override always wins over the table. A date listed in both
// Holidays and Workdays is a day off (config validation should reject it;
// here the safe reading wins: no reminder on a day someone declared off).
//
// Years the table does not cover fall back to Monday–Friday silently; ask
// Covers before planning such a year and warn the admin to add overrides.
//
// A Calendar is immutable and safe for concurrent use.
type Calendar struct {
	holidays map[planbot.Date]bool
	workdays map[planbot.Date]bool
}

// NewCalendar builds the calendar of the statutory table with overrides.
func NewCalendar(overrides planbot.Calendar) *Calendar {
	c := &Calendar{
		holidays: make(map[planbot.Date]bool, len(overrides.Holidays)),
		workdays: make(map[planbot.Date]bool, len(overrides.Workdays)),
	}
	for _, d := range overrides.Holidays {
		c.holidays[d] = true
	}
	for _, d := range overrides.Workdays {
		c.workdays[d] = true
	}
	return c
}

// IsWorkday reports whether d is a working day: an override if there is
// one, else the statutory table (a day off, or a make-up workday 调休上班),
// else Monday to Friday.
func (c *Calendar) IsWorkday(d planbot.Date) bool {
	switch {
	case c.holidays[d]:
		return false
	case c.workdays[d]:
		return true
	}
	if h, ok := statutory(d); ok {
		return h.work
	}
	return !weekendDay(d)
}

// Describe says in Chinese what kind of day d is: "工作日", "周末",
// "国庆节（法定假日）" (any day off of a statutory holiday period, weekends
// inside it included), "国庆节调休上班", "假日（本地设置）" or
// "调休上班（本地设置）". The holiday name is lunar-go's (元旦节, 春节,
// 清明节, 劳动节, 端午节, 中秋节, 国庆节, 国庆中秋 …).
func (c *Calendar) Describe(d planbot.Date) string {
	switch {
	case c.holidays[d]:
		return "假日（本地设置）"
	case c.workdays[d]:
		return "调休上班（本地设置）"
	}
	if h, ok := statutory(d); ok {
		if h.work {
			return h.name + "调休上班"
		}
		return h.name + "（法定假日）"
	}
	if weekendDay(d) {
		return "周末"
	}
	return "工作日"
}

// Covers reports whether the statutory table has data for year. lunar-go
// adds a year when the State Council publishes it (each November, for the
// next year), so a plan for a later year runs on Monday–Friday plus its
// overrides until lunar-go is upgraded: say so to the admin. Even for a
// covered year Y, make-up workdays at the end of December that belong to
// Y+1's New Year arrangement are known only once Covers(Y+1).
func (c *Calendar) Covers(year int) bool {
	return len(statutoryYear(year)) > 0
}

func weekendDay(d planbot.Date) bool {
	wd := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
	return wd == time.Saturday || wd == time.Sunday
}

// statutoryDay is one day of the statutory table.
type statutoryDay struct {
	name string
	work bool // 调休上班: a make-up workday
}

// statutoryTable caches the statutory table by year. lunar-go's lookups scan its
// whole data string, too slow for a minute-by-minute schedule; the table is
// read once per year per process (so HolidayUtil.Fix, if ever used, must be
// called before the first lookup).
var statutoryTable struct {
	sync.RWMutex
	years map[int]map[planbot.Date]statutoryDay
}

func statutory(d planbot.Date) (statutoryDay, bool) {
	h, ok := statutoryYear(d.Year)[d]
	return h, ok
}

func statutoryYear(year int) map[planbot.Date]statutoryDay {
	statutoryTable.RLock()
	m, ok := statutoryTable.years[year]
	statutoryTable.RUnlock()
	if ok {
		return m
	}
	m = map[planbot.Date]statutoryDay{}
	if year > 0 && year <= 9999 {
		for e := HolidayUtil.GetHolidaysByYear(year).Front(); e != nil; e = e.Next() {
			h := e.Value.(*HolidayUtil.Holiday)
			d, err := planbot.ParseDate(h.GetDay())
			if err != nil {
				continue
			}
			if _, dup := m[d]; !dup { // GetHolidayByYmd returns the first record of a day
				m[d] = statutoryDay{name: h.GetName(), work: h.IsWork()}
			}
		}
	}
	statutoryTable.Lock()
	if statutoryTable.years == nil {
		statutoryTable.years = map[int]map[planbot.Date]statutoryDay{}
	}
	statutoryTable.years[year] = m
	statutoryTable.Unlock()
	return m
}

// scheduleHorizon is how far Next and Previous look before giving up (~2 years).
const scheduleHorizon = 2 * 366 * 24 * time.Hour

// Schedule is a reminder's cron spec bound to a location and calendar.
//
// *Schedule satisfies cron.Schedule, so it can be given to robfig's runner
// directly (cron.Cron.Schedule): the runner then only wakes on allowed
// times. A tick's run key (job, scheduled time) is Previous(now), which is
// right even if the tick is late.
//
// Time zones and DST: fire times are wall-clock times in the schedule's
// location whatever the location of the times passed in ("0 9 * * *" in
// Asia/Shanghai is 01:00 UTC). China has no DST. In a zone with DST, a wall
// time skipped by the change (02:30 on a spring-forward day) fires once at
// the first moment after the gap (03:00), as cronie and systemd timers do:
// robfig alone (v3.0.1 SpecSchedule.Next steps hours and minutes in
// absolute time, so it never lands in the gap) would drop that day's run
// without a word. A wall time that happens twice (01:30 on a fall-back
// day) runs once, at its first occurrence (robfig alone would fire both:
// the second one is filtered out here). Key runs by their local date and
// time.
//
// A Schedule is immutable and safe for concurrent use.
type Schedule struct {
	spec         string
	raw          *cron.SpecSchedule
	loc          *time.Location
	cal          *Calendar
	workdaysOnly bool
}

var _ cron.Schedule = (*Schedule)(nil)

// ParseSchedule reads a standard cron spec: 5 fields (minute hour
// day-of-month month day-of-week) or a descriptor (@yearly, @monthly,
// @weekly, @daily, @hourly). It rejects TZ=/CRON_TZ= prefixes (the zone is
// the plan's location), @every (not tied to the wall clock, so a run has no
// stable key and cannot be caught up), specs that never fire (0 0 31 4 *),
// and specs that fire less than once every two years (0 9 29 2 *), since
// Next and Previous look about two years ahead and back. Call it when the
// configuration is loaded, so a bad spec is reported with its reminder.
//
// With workdaysOnly, a cron time runs only if its local date is a working
// day of cal. The cron fields still apply first: "0 9 * * 1-5" never runs on
// a make-up Saturday (调休上班), because the spec excludes Saturdays; to
// follow the official calendar, including make-up weekend days, write
// "0 9 * * *" with workdays_only. Note that a workdaysOnly yearly spec on
// 1 January ("0 9 1 1 *") never runs: 元旦 is always a day off.
func ParseSchedule(spec string, loc *time.Location, cal *Calendar, workdaysOnly bool) (*Schedule, error) {
	spec = strings.TrimSpace(spec)
	switch {
	case loc == nil:
		return nil, errors.New("schedule: no location")
	case workdaysOnly && cal == nil:
		return nil, errors.New("schedule: workdays_only needs a calendar")
	case strings.Contains(strings.ToUpper(spec), "TZ="):
		return nil, fmt.Errorf("cron %q: remove TZ=/CRON_TZ=; the plan's timezone applies to every reminder", spec)
	case strings.HasPrefix(spec, "@every"):
		return nil, fmt.Errorf("cron %q: @every is not supported; use 5 fields (minute hour day month weekday) so each run has a fixed wall-clock time", spec)
	}
	parsed, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %w (expected 5 fields: minute hour day-of-month month day-of-week, or @daily/@weekly/@monthly/@yearly/@hourly)", spec, err)
	}
	raw, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("cron %q: unsupported schedule %T", spec, parsed)
	}
	// robfig searches five years ahead, so a date that exists is found from
	// any starting point; from 1 March after a leap day, a spec that fires
	// at least once a year fires within a year.
	ref := time.Date(2001, 3, 1, 0, 0, 0, 0, loc)
	switch first := raw.Next(ref); {
	case first.IsZero():
		return nil, fmt.Errorf("cron %q never fires (no such date)", spec)
	case first.Sub(ref) > scheduleHorizon:
		return nil, fmt.Errorf("cron %q fires less than once every two years (29 February only?); reminders must fire at least yearly", spec)
	}
	return &Schedule{spec: spec, raw: raw, loc: loc, cal: cal, workdaysOnly: workdaysOnly}, nil
}

// String is the spec as written (trimmed).
func (s *Schedule) String() string { return s.spec }

// Cron is the raw cron.Schedule, without the calendar filter. Its Next uses
// the location of the time passed in: pass t.In(loc), or use s itself.
func (s *Schedule) Cron() cron.Schedule { return s.raw }

// Allowed reports whether a raw cron time t passes the filter: for
// workdaysOnly, its local date (in the schedule's location) is a working
// day; and t is not the second occurrence of a wall-clock time repeated by
// a DST change. It does not check that t matches the cron fields.
func (s *Schedule) Allowed(t time.Time) bool {
	t = t.In(s.loc)
	if repeatedWallClock(t) {
		return false
	}
	return !s.workdaysOnly || s.cal.IsWorkday(planbot.DateOf(t))
}

// Next is the first allowed fire time strictly after t, in the schedule's
// location; the zero time if there is none within about two years (a
// workdaysOnly spec whose every date is a day off, or a calendar that
// closes every day).
func (s *Schedule) Next(t time.Time) time.Time {
	return s.nextAllowed(t, t.Add(scheduleHorizon))
}

// Previous is the latest allowed fire time at or before t, in the
// schedule's location; the zero time if there is none within about two
// years. It costs O(log(distance)) cron evaluations, whatever the spec.
func (s *Schedule) Previous(t time.Time) time.Time {
	return s.prevAllowed(t, t.Add(-scheduleHorizon))
}

// Between lists the allowed fire times in (from, to], oldest first. When
// there are more than max, it keeps the latest max, so the last element is
// always the latest run due by to (Previous(to)), which is what catch-up
// after downtime runs; the older ones are dropped. max <= 0 lists nothing.
// The cost is proportional to max, not to the length of the range.
func (s *Schedule) Between(from, to time.Time, max int) []time.Time {
	if max <= 0 || !to.After(from) {
		return nil
	}
	var out []time.Time
	for x := to; len(out) < max; {
		x = s.prevAllowed(x, from)
		if x.IsZero() {
			break
		}
		out = append(out, x)
		x = x.Add(-time.Nanosecond)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// nextAllowed is the first allowed fire time in (after, limit], or zero.
func (s *Schedule) nextAllowed(after, limit time.Time) time.Time {
	cur := after.In(s.loc)
	for {
		n := s.cronNext(cur)
		if n.IsZero() || n.After(limit) {
			return time.Time{}
		}
		if !n.After(cur) { // robfig must move forward; never loop on a DST oddity
			cur = cur.Add(time.Second)
			continue
		}
		if s.Allowed(n) {
			return n
		}
		cur = n
		if s.workdaysOnly && !s.cal.IsWorkday(planbot.DateOf(n)) {
			// Skip the rest of a day off in one step: a holiday of
			// "* * * * *" is one cron evaluation, not 1440.
			y, m, d := n.Date()
			if end := time.Date(y, m, d+1, 0, 0, 0, 0, s.loc).Add(-time.Second); end.After(cur) {
				cur = end
			}
		}
	}
}

// prevAllowed is the latest allowed fire time in (floor, t], or zero.
//
// It steps back from t in windows growing fourfold (1 minute, 4, 16, …)
// until one holds an allowed time (one forward search per window, days off
// skipped whole), then closes in on the last allowed time of that window by
// probing forward and bisecting. Both phases take O(log(distance)) forward
// searches, a few for a sparse spec.
func (s *Schedule) prevAllowed(t, floor time.Time) time.Time {
	t = t.In(s.loc)
	hi := t // nothing allowed in (hi, t]
	var x time.Time
	for step := time.Minute; ; step *= 4 {
		lo, last := hi.Add(-step), false
		if !lo.After(floor) {
			lo, last = floor, true
		}
		if x = s.nextAllowed(lo, hi); !x.IsZero() {
			break
		}
		if last {
			return time.Time{}
		}
		hi = lo
	}
	// x is allowed, x <= hi, and nothing is allowed in (hi, t]. Close in on
	// the last allowed time in (x, hi]: probe forward from x when the rest
	// of the window is no longer than the last gap between allowed times
	// (sparse specs end at once: nothing follows), else halve the window.
	// Fire times are whole seconds: nothing lies in (x, hi] once hi-x < 1s.
	gap := hi.Sub(x)
	for hi.Sub(x) >= time.Second {
		if hi.Sub(x) <= gap {
			y := s.nextAllowed(x, hi)
			if y.IsZero() {
				return x
			}
			gap, x = y.Sub(x), y
			continue
		}
		mid := x.Add(hi.Sub(x) / 2)
		if y := s.nextAllowed(mid, hi); !y.IsZero() {
			x = y
		} else {
			hi = mid
		}
	}
	return x
}

// cronNext is robfig's next cron time after t, or, when sooner, the end
// of a spring-forward gap that holds a wall time the spec matches: the
// run a skipped 02:30 makes up for at 03:00. t is in the schedule's
// location.
func (s *Schedule) cronNext(t time.Time) time.Time {
	n := s.raw.Next(t)
	limit := n
	if limit.IsZero() {
		limit = t.Add(scheduleHorizon)
	}
	for x := t; ; {
		_, end := x.ZoneBounds()
		if end.IsZero() || end.After(limit) {
			return n
		}
		_, before := end.Add(-time.Nanosecond).Zone()
		_, after := end.Zone()
		if after > before && s.firesInGap(end, before, after) {
			return end
		}
		x = end
	}
}

// firesInGap reports whether the spec matches a wall time skipped by the
// change at instant end from UTC offset before to after (seconds east):
// the wall times [end in before, end in after), 02:00–03:00 in New York.
// robfig evaluates a spec without a zone in the location of the time it
// is given, so the gap's wall clock is searched as UTC, where it exists.
func (s *Schedule) firesInGap(end time.Time, before, after int) bool {
	from := time.Unix(end.Unix()+int64(before), 0).UTC()
	to := time.Unix(end.Unix()+int64(after), 0).UTC()
	m := s.raw.Next(from.Add(-time.Second))
	return !m.IsZero() && m.Before(to)
}

// repeatedWallClock reports whether t's wall-clock time already happened
// earlier (the second 01:30 of a fall-back day). Never true in China.
func repeatedWallClock(t time.Time) bool {
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return false
	}
	_, now := t.Zone()
	_, before := start.Add(-time.Nanosecond).Zone()
	return before > now && t.Sub(start) < time.Duration(before-now)*time.Second
}

// Describe names the schedule in Chinese as an admin would say it:
// "每周一 8:30", "每个工作日 9:00（跳过法定节假日，调休上班日照常）",
// "每月1日 9:00", "每天 10:00", "每年3月31日 9:00", "每小时第 15 分".
// A spec with no such plain reading (several minutes and hours, day of
// month and weekday together, steps) is quoted field by field instead, so
// the words never claim more than the spec says.
func (s *Schedule) Describe() string {
	r := s.raw
	when, ok := clockWords(r.Hour, r.Minute)
	days, ok2 := dayWords(r.Dom, r.Month, r.Dow)
	if r.Second&^starBit != 1 || !ok || !ok2 {
		return s.quoted()
	}
	switch {
	case strings.HasPrefix(when, "每小时") && days == "每天":
		days, when = when, ""
	case strings.HasPrefix(when, "每小时"):
		days += "，"
	case s.workdaysOnly && days == "每天":
		return "每个工作日 " + when + "（跳过法定节假日，调休上班日照常）"
	default:
		days += " "
	}
	if s.workdaysOnly {
		return days + when + "（非工作日不发）"
	}
	return days + when
}

// starBit is robfig's mark of a field written "*" or "?".
const starBit = 1 << 63

func bitsOf(field uint64, lo, hi int) []int {
	var out []int
	for i := lo; i <= hi; i++ {
		if field&(1<<uint(i)) != 0 {
			out = append(out, i)
		}
	}
	return out
}

// clockWords: "8:30", "9:00、15:00", or "每小时第 15 分".
func clockWords(hour, minute uint64) (string, bool) {
	hs, ms := bitsOf(hour, 0, 23), bitsOf(minute, 0, 59)
	switch {
	case len(ms) != 1:
		return "", false
	case len(hs) == 24:
		return fmt.Sprintf("每小时第 %d 分", ms[0]), true
	case len(hs) > 4:
		return "", false
	}
	var times []string
	for _, h := range hs {
		times = append(times, fmt.Sprintf("%d:%02d", h, ms[0]))
	}
	return strings.Join(times, "、"), true
}

var weekdayWords = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// dayWords: "每天", "每周一、周三", "每月1日、15日", "每年3月31日".
func dayWords(dom, month, dow uint64) (string, bool) {
	domAll, dowAll, monthAll := dom&starBit != 0, dow&starBit != 0, month&starBit != 0
	days, months, wds := bitsOf(dom, 1, 31), bitsOf(month, 1, 12), bitsOf(dow, 0, 6)
	var monthPart string
	if !monthAll && len(months) < 12 {
		var ns []string
		for _, m := range months {
			ns = append(ns, fmt.Sprint(m))
		}
		monthPart = strings.Join(ns, "、") + "月"
	}
	switch {
	case domAll && dowAll && monthPart == "":
		return "每天", true
	case domAll && dowAll:
		return "每年" + monthPart + "每天", true
	case domAll:
		if monthPart != "" {
			return "", false // "周一 in March" reads oddly; quote it
		}
		if len(wds) == 5 && wds[0] == 1 && wds[4] == 5 {
			return "每周一至周五", true
		}
		var ws []string
		for _, w := range wds {
			ws = append(ws, weekdayWords[w])
		}
		return "每" + strings.Join(ws, "、"), true
	case dowAll:
		var ds []string
		for _, d := range days {
			ds = append(ds, fmt.Sprintf("%d日", d))
		}
		if len(ds) > 4 {
			return "", false
		}
		if monthPart != "" {
			return "每年" + monthPart + strings.Join(ds, "、"), true
		}
		return "每月" + strings.Join(ds, "、"), true
	}
	return "", false // neither is "*": robfig fires on either, day of month OR weekday
}

// quoted names each field of an unusual spec.
func (s *Schedule) quoted() string {
	f := strings.Fields(s.spec)
	text := fmt.Sprintf("按 cron “%s” 执行", s.spec)
	if len(f) == 5 {
		text += fmt.Sprintf("（分 %s，时 %s，日 %s，月 %s，周 %s）", f[0], f[1], f[2], f[3], f[4])
	}
	if s.workdaysOnly {
		text += "，只在工作日"
	}
	return text
}
