package planbot

import "time"

// Standing is where an indicator stands at a moment: against its annual
// target, against the time elapsed (时间过半、任务过半) and against last year.
type Standing struct {
	HasValue   bool
	Value      Amount    // latest observation, zero if none
	At         time.Time // when it was observed
	Completion float64   // value / target (0.5 = 50%)
	Elapsed    float64   // share of the plan year elapsed at now, 0..1
	// Behind (ytd only): Completion < Elapsed − IndicatorTolerance/100.
	// Level indicators are never behind by time.
	Behind bool
	// Ahead (ytd only): Completion > Elapsed + IndicatorTolerance/100, the
	// mirror of Behind, so "ahead" and "in step" use the same band.
	Ahead        bool
	YoY          *float64 // growth vs last year (0.24 = +24%); nil when LastYear is absent or zero
	YoYEstimated bool     // ytd: compared with LastYear × Elapsed because only the annual figure is known
	Remaining    Amount   // target − value, never negative
	MonthsLeft   int      // calendar months left in the year counting the current one (Nov 28 -> 2); 0 after the year
	PerMonth     Amount   // Remaining / MonthsLeft, zero when MonthsLeft is 0
}

// StandingAt computes ind's standing in plan year at now. obs is the latest
// effective observation of ind in that year, nil if none.
//
// Decisions a caller relies on:
//   - An observation that is withdrawn, or whose base unit differs from the
//     target's, counts as no value: a figure that cannot be compared must not
//     be shown as a completion rate.
//   - Behind and Ahead need a value and a positive target; without them
//     there is nothing to be behind on, and Verdict says so.
//   - Completion and Elapsed are judged at now, not at obs.At: a stale ytd
//     figure drifts behind until someone reports a fresh one, which is the
//     nudge we want.
//   - An Accumulate other than "level" (including empty) is ytd.
//   - YoY of a ytd indicator is estimated against LastYear × Elapsed while
//     the year runs and exact once it is over; early in the year the estimate
//     swings widely because its base is small.
//   - Remaining and PerMonth are in the target's unit; with no value the
//     whole target remains.
//   - A nil loc is UTC.
func (ind Indicator) StandingAt(obs *Observation, year int, now time.Time, loc *time.Location, rules Rules) Standing {
	if loc == nil {
		loc = time.UTC
	}
	target := ind.Target
	s := Standing{
		Elapsed:    yearElapsed(year, now, loc),
		MonthsLeft: monthsLeft(year, now, loc),
		Remaining:  target,
	}
	if s.Remaining.Value < 0 {
		s.Remaining.Value = 0
	}
	if obs != nil && !obs.Withdrawn && obs.Value.Unit == target.Unit {
		s.HasValue = true
		s.Value = obs.Value
		s.At = obs.At
		s.Remaining.Value = max(target.Value-obs.Value.Value, 0)
		if target.Value > 0 {
			s.Completion = ratio(obs.Value, target)
			if ind.Accumulate != AccumulateLevel {
				// Compare in percentage points, where the tolerance lives:
				// 45 < 50−5 is exact, 0.45 < 0.5−0.05 is a coin toss.
				done, due := s.Completion*100, s.Elapsed*100
				s.Behind = done < due-rules.IndicatorTolerance
				s.Ahead = done > due+rules.IndicatorTolerance
			}
		}
		s.YoY, s.YoYEstimated = yoy(ind, obs.Value, s.Elapsed)
	}
	if s.MonthsLeft > 0 {
		s.PerMonth = s.Remaining.DivInt(int64(s.MonthsLeft))
	} else {
		s.PerMonth = Amount{Unit: target.Unit}
	}
	return s
}

// Verdict is the one phrase a digest line ends with.
func (s Standing) Verdict() string {
	switch {
	case !s.HasValue:
		return "暂无数据"
	case s.Completion >= 1:
		return "已完成全年目标"
	case s.Behind:
		return "落后于时序"
	case s.Ahead:
		return "进度快于时序"
	}
	return "基本同步"
}

// yoy compares v with last year. A ytd figure can only be set against the
// part of last year's total that the same share of the year would have
// produced, since monthly history is not kept.
func yoy(ind Indicator, v Amount, elapsed float64) (*float64, bool) {
	ly := ind.LastYear
	if ly == nil || ly.Value == 0 || ly.Unit != v.Unit {
		return nil, false
	}
	if ind.Accumulate == AccumulateLevel || elapsed >= 1 {
		// Subtract in Decimal so an exact +24% comes out as 0.24, not
		// 0.24000000000000002.
		g := float64(v.Value-ly.Value) / float64(ly.Value)
		return &g, false
	}
	base := float64(ly.Value) * elapsed
	if base == 0 {
		return nil, false
	}
	g := (float64(v.Value) - base) / base
	return &g, true
}

func ratio(a, b Amount) float64 { return float64(a.Value) / float64(b.Value) }

// yearElapsed is the share of year elapsed at now in loc, counted in calendar
// days plus the elapsed part of today, so a leap year's extra day and a DST
// day of 23 or 25 hours both weigh exactly one day.
func yearElapsed(year int, now time.Time, loc *time.Location) float64 {
	now = now.In(loc)
	jan1 := Date{year, time.January, 1}
	days := jan1.DaysUntil(Date{year + 1, time.January, 1})
	today := DateOf(now)
	switch {
	case today.Year < year:
		return 0
	case today.Year > year:
		return 1
	}
	dayStart, dayEnd := today.Start(loc), today.End(loc)
	part := float64(now.Sub(dayStart)) / float64(dayEnd.Sub(dayStart))
	return (float64(jan1.DaysUntil(today)) + part) / float64(days)
}

// monthsLeft counts the current month as left: on Nov 28 a cadre still has
// November and December to close the gap.
func monthsLeft(year int, now time.Time, loc *time.Location) int {
	now = now.In(loc)
	switch {
	case now.Year() < year:
		return 12
	case now.Year() > year:
		return 0
	}
	return 12 - int(now.Month()) + 1
}
