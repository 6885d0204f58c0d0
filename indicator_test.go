package planbot

import (
	"math"
	"testing"
	"time"
)

// yuan is an amount in the base unit 元, whatever unit it was typed in: "1.8亿"
// and "18000万" both arrive here as 180000000 元.
func yuan(v float64) Amount { return Amount{Value: Decimal(math.Round(v * DecimalScale)), Unit: "元"} }

const yi = 1e8 // 亿

func obsOf(a Amount, at string) *Observation {
	return &Observation{ID: 7, Indicator: "fai", At: ts(at), Value: a, Reporter: "zhang_wei"}
}

func mustAmount(s string) Amount {
	a, err := ParseAmount(s)
	if err != nil {
		panic(err)
	}
	return a
}

func f64(v float64) *float64 { return &v }

func TestStandingAt(t *testing.T) {
	// 2027 has 365 days: 182.5 days in is 07-02 12:00, exactly half.
	const half27 = "2027-07-02 12:00"
	fai := Indicator{Key: "fai", Name: "固定资产投资", Unit: "亿元", Target: yuan(10 * yi), Accumulate: AccumulateYTD}
	faiLY := fai
	ly := yuan(8 * yi)
	faiLY.LastYear = &ly
	level := Indicator{Key: "jobs", Name: "公益性岗位", Unit: "人", Target: Amount{Value: 200 * DecimalScale, Unit: "人"}, Accumulate: AccumulateLevel}
	levelLY := level
	lyJobs := Amount{Value: 150 * DecimalScale, Unit: "人"}
	levelLY.LastYear = &lyJobs
	zeroLY := fai
	zero := yuan(0)
	zeroLY.LastYear = &zero
	noTarget := fai
	noTarget.Target = yuan(0)
	// Accumulate unset reads as ytd.
	tax := Indicator{Key: "tax", Name: "工商税收", Unit: "万元", Target: mustAmount("2亿元")}
	rules := DefaultRules // indicator tolerance 5 points

	tests := []struct {
		name  string
		ind   Indicator
		obs   *Observation
		year  int
		now   string
		rules Rules
		want  Standing
		// wantYoY is compared when want.YoY is non-nil; verdict always.
		verdict string
	}{
		{name: "halfway with 50%: 时间过半任务过半", ind: fai, obs: obsOf(yuan(5*yi), "2027-07-01 10:00"), year: 2027, now: half27, rules: rules,
			want: Standing{HasValue: true, Value: yuan(5 * yi), At: ts("2027-07-01 10:00"), Completion: 0.5, Elapsed: 0.5,
				Remaining: yuan(5 * yi), MonthsLeft: 6, PerMonth: yuan(5 * yi / 6)},
			verdict: "基本同步"},
		{name: "halfway with 45%: on the tolerance line, not behind", ind: fai, obs: obsOf(yuan(4.5*yi), "2027-07-01 10:00"), year: 2027, now: half27, rules: rules,
			want: Standing{HasValue: true, Value: yuan(4.5 * yi), At: ts("2027-07-01 10:00"), Completion: 0.45, Elapsed: 0.5,
				Remaining: yuan(5.5 * yi), MonthsLeft: 6, PerMonth: yuan(5.5 * yi / 6)},
			verdict: "基本同步"},
		{name: "halfway with 40%: behind with tolerance 5", ind: fai, obs: obsOf(yuan(4*yi), "2027-07-01 10:00"), year: 2027, now: half27, rules: rules,
			want: Standing{HasValue: true, Value: yuan(4 * yi), At: ts("2027-07-01 10:00"), Completion: 0.4, Elapsed: 0.5, Behind: true,
				Remaining: yuan(6 * yi), MonthsLeft: 6, PerMonth: yuan(1 * yi)},
			verdict: "落后于时序"},
		{name: "halfway with 60%: ahead", ind: fai, obs: obsOf(yuan(6*yi), "2027-07-01 10:00"), year: 2027, now: half27, rules: rules,
			want: Standing{HasValue: true, Value: yuan(6 * yi), At: ts("2027-07-01 10:00"), Completion: 0.6, Elapsed: 0.5, Ahead: true,
				Remaining: yuan(4 * yi), MonthsLeft: 6, PerMonth: yuan(4 * yi / 6)},
			verdict: "进度快于时序"},
		{name: "halfway with 49%, tolerance 0", ind: fai, obs: obsOf(yuan(4.9*yi), "2027-07-01 10:00"), year: 2027, now: half27,
			rules: Rules{IndicatorTolerance: 0},
			want: Standing{HasValue: true, Value: yuan(4.9 * yi), At: ts("2027-07-01 10:00"), Completion: 0.49, Elapsed: 0.5, Behind: true,
				Remaining: yuan(5.1 * yi), MonthsLeft: 6, PerMonth: yuan(0.85 * yi)},
			verdict: "落后于时序"},
		{name: "halfway with 40%, tolerance 10: on the line", ind: fai, obs: obsOf(yuan(4*yi), "2027-07-01 10:00"), year: 2027, now: half27,
			rules: Rules{IndicatorTolerance: 10},
			want: Standing{HasValue: true, Value: yuan(4 * yi), At: ts("2027-07-01 10:00"), Completion: 0.4, Elapsed: 0.5,
				Remaining: yuan(6 * yi), MonthsLeft: 6, PerMonth: yuan(1 * yi)},
			verdict: "基本同步"},
		{name: "121.6% like the seed's 招商引资", ind: fai, obs: obsOf(yuan(12.16*yi), "2027-11-28 10:00"), year: 2027, now: "2027-11-28 12:00", rules: rules,
			want: Standing{HasValue: true, Value: yuan(12.16 * yi), At: ts("2027-11-28 10:00"), Completion: 1.216, Elapsed: (331 + 0.5) / 365, Ahead: true,
				Remaining: yuan(0), MonthsLeft: 2, PerMonth: yuan(0)},
			verdict: "已完成全年目标"},
		{name: "exactly the target is done", ind: fai, obs: obsOf(yuan(10*yi), "2027-11-28 10:00"), year: 2027, now: "2027-11-28 12:00", rules: rules,
			want: Standing{HasValue: true, Value: yuan(10 * yi), At: ts("2027-11-28 10:00"), Completion: 1, Elapsed: (331 + 0.5) / 365, Ahead: true,
				Remaining: yuan(0), MonthsLeft: 2, PerMonth: yuan(0)},
			verdict: "已完成全年目标"},
		{name: "no observation yet", ind: fai, year: 2027, now: half27, rules: rules,
			want:    Standing{Elapsed: 0.5, Remaining: yuan(10 * yi), MonthsLeft: 6, PerMonth: yuan(10 * yi / 6)},
			verdict: "暂无数据"},
		{name: "no observation at year end is not 'behind'", ind: fai, year: 2027, now: "2028-01-05 09:00", rules: rules,
			want:    Standing{Elapsed: 1, Remaining: yuan(10 * yi), PerMonth: yuan(0)},
			verdict: "暂无数据"},
		{name: "withdrawn observation counts as none", ind: fai, year: 2027, now: half27, rules: rules,
			obs:     func() *Observation { o := obsOf(yuan(5*yi), "2027-07-01 10:00"); o.Withdrawn = true; return o }(),
			want:    Standing{Elapsed: 0.5, Remaining: yuan(10 * yi), MonthsLeft: 6, PerMonth: yuan(10 * yi / 6)},
			verdict: "暂无数据"},
		{name: "observation in another base unit counts as none", ind: fai, year: 2027, now: half27, rules: rules,
			obs:     obsOf(Amount{Value: 5 * DecimalScale, Unit: "个"}, "2027-07-01 10:00"),
			want:    Standing{Elapsed: 0.5, Remaining: yuan(10 * yi), MonthsLeft: 6, PerMonth: yuan(10 * yi / 6)},
			verdict: "暂无数据"},
		{name: "before the year", ind: fai, obs: obsOf(yuan(0.5*yi), "2026-12-20 10:00"), year: 2027, now: "2026-12-31 23:59", rules: rules,
			want: Standing{HasValue: true, Value: yuan(0.5 * yi), At: ts("2026-12-20 10:00"), Completion: 0.05, Elapsed: 0,
				Remaining: yuan(9.5 * yi), MonthsLeft: 12, PerMonth: yuan(9.5 * yi / 12)},
			verdict: "基本同步"},
		{name: "first instant of the year", ind: fai, obs: obsOf(yuan(0.6*yi), "2026-12-20 10:00"), year: 2027, now: "2027-01-01 00:00", rules: rules,
			want: Standing{HasValue: true, Value: yuan(0.6 * yi), At: ts("2026-12-20 10:00"), Completion: 0.06, Elapsed: 0, Ahead: true,
				Remaining: yuan(9.4 * yi), MonthsLeft: 12, PerMonth: yuan(9.4 * yi / 12)},
			verdict: "进度快于时序"},
		{name: "after the year, short of target", ind: fai, obs: obsOf(yuan(9*yi), "2027-12-31 18:00"), year: 2027, now: "2028-01-10 09:00", rules: rules,
			want: Standing{HasValue: true, Value: yuan(9 * yi), At: ts("2027-12-31 18:00"), Completion: 0.9, Elapsed: 1, Behind: true,
				Remaining: yuan(1 * yi), PerMonth: yuan(0)},
			verdict: "落后于时序"},
		{name: "December counts as one month left", ind: fai, obs: obsOf(yuan(9*yi), "2027-12-01 10:00"), year: 2027, now: "2027-12-01 12:00", rules: rules,
			want: Standing{HasValue: true, Value: yuan(9 * yi), At: ts("2027-12-01 10:00"), Completion: 0.9, Elapsed: (334 + 0.5) / 365,
				Remaining: yuan(1 * yi), MonthsLeft: 1, PerMonth: yuan(1 * yi)},
			verdict: "基本同步"},
		{name: "leap year 2028: 07-02 00:00 is exactly half", ind: fai, obs: obsOf(yuan(5*yi), "2028-07-01 10:00"), year: 2028, now: "2028-07-02 00:00", rules: rules,
			want: Standing{HasValue: true, Value: yuan(5 * yi), At: ts("2028-07-01 10:00"), Completion: 0.5, Elapsed: 0.5,
				Remaining: yuan(5 * yi), MonthsLeft: 6, PerMonth: yuan(5 * yi / 6)},
			verdict: "基本同步"},
		{name: "leap year 2028: 03-01 follows 29 days of February", ind: fai, obs: obsOf(yuan(1.6*yi), "2028-02-29 10:00"), year: 2028, now: "2028-03-01 00:00", rules: rules,
			want: Standing{HasValue: true, Value: yuan(1.6 * yi), At: ts("2028-02-29 10:00"), Completion: 0.16, Elapsed: 60.0 / 366,
				Remaining: yuan(8.4 * yi), MonthsLeft: 10, PerMonth: yuan(8.4 * yi / 10)},
			verdict: "基本同步"},
		{name: "level indicator is never behind by time", ind: level, obs: obsOf(Amount{Value: 20 * DecimalScale, Unit: "人"}, "2027-11-01 10:00"), year: 2027, now: "2027-12-31 23:00", rules: rules,
			want: Standing{HasValue: true, Value: Amount{Value: 20 * DecimalScale, Unit: "人"}, At: ts("2027-11-01 10:00"), Completion: 0.1,
				Elapsed: (364 + 23.0/24) / 365, Remaining: Amount{Value: 180 * DecimalScale, Unit: "人"}, MonthsLeft: 1, PerMonth: Amount{Value: 180 * DecimalScale, Unit: "人"}},
			verdict: "基本同步"},
		{name: "level YoY +24% is exact", ind: levelLY, obs: obsOf(Amount{Value: 186 * DecimalScale, Unit: "人"}, "2027-03-01 10:00"), year: 2027, now: "2027-03-01 12:00", rules: rules,
			want: Standing{HasValue: true, Value: Amount{Value: 186 * DecimalScale, Unit: "人"}, At: ts("2027-03-01 10:00"), Completion: 0.93,
				Elapsed: (59 + 0.5) / 365, YoY: f64(0.24), Remaining: Amount{Value: 14 * DecimalScale, Unit: "人"}, MonthsLeft: 10, PerMonth: Amount{Value: 1.4 * DecimalScale, Unit: "人"}},
			verdict: "基本同步"},
		{name: "ytd YoY +24% after the year is exact", ind: faiLY, obs: obsOf(yuan(9.92*yi), "2027-12-31 18:00"), year: 2027, now: "2028-01-03 09:00", rules: rules,
			want: Standing{HasValue: true, Value: yuan(9.92 * yi), At: ts("2027-12-31 18:00"), Completion: 0.992, Elapsed: 1,
				YoY: f64(0.24), Remaining: yuan(0.08 * yi), PerMonth: yuan(0)},
			verdict: "基本同步"},
		{name: "ytd YoY halfway is estimated against half of last year", ind: faiLY, obs: obsOf(yuan(4.96*yi), "2027-07-01 10:00"), year: 2027, now: half27, rules: rules,
			want: Standing{HasValue: true, Value: yuan(4.96 * yi), At: ts("2027-07-01 10:00"), Completion: 0.496, Elapsed: 0.5,
				YoY: f64(0.24), YoYEstimated: true, Remaining: yuan(5.04 * yi), MonthsLeft: 6, PerMonth: yuan(0.84 * yi)},
			verdict: "基本同步"},
		{name: "ytd YoY before the year has no base", ind: faiLY, obs: obsOf(yuan(0.5*yi), "2026-12-20 10:00"), year: 2027, now: "2026-12-31 12:00", rules: rules,
			want: Standing{HasValue: true, Value: yuan(0.5 * yi), At: ts("2026-12-20 10:00"), Completion: 0.05,
				Remaining: yuan(9.5 * yi), MonthsLeft: 12, PerMonth: yuan(9.5 * yi / 12)},
			verdict: "基本同步"},
		{name: "YoY nil when last year is zero", ind: zeroLY, obs: obsOf(yuan(5*yi), "2027-07-01 10:00"), year: 2027, now: half27, rules: rules,
			want: Standing{HasValue: true, Value: yuan(5 * yi), At: ts("2027-07-01 10:00"), Completion: 0.5, Elapsed: 0.5,
				Remaining: yuan(5 * yi), MonthsLeft: 6, PerMonth: yuan(5 * yi / 6)},
			verdict: "基本同步"},
		{name: "亿元 target, 万元 observation: same base 元", ind: tax, obs: obsOf(mustAmount("18000万元"), "2027-07-01 10:00"), year: 2027, now: half27, rules: rules,
			want: Standing{HasValue: true, Value: yuan(1.8 * yi), At: ts("2027-07-01 10:00"), Completion: 0.9, Elapsed: 0.5, Ahead: true,
				Remaining: yuan(0.2 * yi), MonthsLeft: 6, PerMonth: yuan(0.2 * yi / 6)},
			verdict: "进度快于时序"},
		{name: "zero target: no panic, completion 0, never behind", ind: noTarget, obs: obsOf(yuan(5*yi), "2027-07-01 10:00"), year: 2027, now: "2027-12-01 00:00", rules: rules,
			want: Standing{HasValue: true, Value: yuan(5 * yi), At: ts("2027-07-01 10:00"), Completion: 0, Elapsed: 334.0 / 365,
				Remaining: yuan(0), MonthsLeft: 1, PerMonth: yuan(0)},
			verdict: "基本同步"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.ind.StandingAt(tt.obs, tt.year, ts(tt.now), shanghai, tt.rules)
			w := tt.want
			if got.HasValue != w.HasValue || got.Value != w.Value || !got.At.Equal(w.At) ||
				!near(got.Completion, w.Completion) || !near(got.Elapsed, w.Elapsed) ||
				got.Behind != w.Behind || got.Ahead != w.Ahead || got.YoYEstimated != w.YoYEstimated ||
				!nearAmount(got.Remaining, w.Remaining) || got.MonthsLeft != w.MonthsLeft || !nearAmount(got.PerMonth, w.PerMonth) {
				t.Errorf("got  %+v\nwant %+v", got, w)
			}
			switch {
			case (got.YoY == nil) != (w.YoY == nil):
				t.Errorf("YoY = %v, want %v", fmtPtr(got.YoY), fmtPtr(w.YoY))
			case got.YoY != nil && !near(*got.YoY, *w.YoY):
				t.Errorf("YoY = %v, want %v", *got.YoY, *w.YoY)
			}
			if v := got.Verdict(); v != tt.verdict {
				t.Errorf("Verdict() = %q, want %q", v, tt.verdict)
			}
		})
	}
}

// nearAmount allows one unit of the last decimal place, which is all the
// rounding of a division may move.
func nearAmount(a, b Amount) bool {
	d := a.Value - b.Value
	return a.Unit == b.Unit && d >= -1 && d <= 1
}

func fmtPtr(p *float64) any {
	if p == nil {
		return "nil"
	}
	return *p
}

func TestStandingYoYExactIsExact(t *testing.T) {
	// A digest prints "+24.0%"; the figure itself must not be 0.24000000000000002
	// when the inputs are exact, or a rounding rule downstream could flip it.
	ind := Indicator{Target: yuan(200), LastYear: &Amount{Value: 100 * DecimalScale, Unit: "元"}, Accumulate: AccumulateLevel}
	s := ind.StandingAt(obsOf(yuan(124), "2027-05-01 10:00"), 2027, ts("2027-05-01 12:00"), shanghai, DefaultRules)
	if s.YoY == nil || *s.YoY != 0.24 {
		t.Fatalf("YoY = %v, want exactly 0.24", fmtPtr(s.YoY))
	}
}

func TestYearElapsedAcrossLocations(t *testing.T) {
	// 2027-01-01 00:00 in Shanghai is still 2026 in UTC: the plan's location
	// decides which year's clock is running.
	now := ts("2027-01-01 04:00")
	if got := yearElapsed(2027, now, shanghai); !near(got, 4.0/24/365) {
		t.Errorf("Shanghai: %v", got)
	}
	if got := yearElapsed(2027, now, time.UTC); got != 0 {
		t.Errorf("UTC: %v, want 0", got)
	}
	if got := monthsLeft(2027, now, time.UTC); got != 12 {
		t.Errorf("UTC months left: %d, want 12", got)
	}
}

func TestStandingNilLocationIsUTC(t *testing.T) {
	ind := Indicator{Target: yuan(100), Accumulate: AccumulateYTD}
	now := time.Date(2027, 7, 2, 12, 0, 0, 0, time.UTC)
	got := ind.StandingAt(nil, 2027, now, nil, DefaultRules)
	if !near(got.Elapsed, 0.5) {
		t.Fatalf("Elapsed = %v, want 0.5", got.Elapsed)
	}
}

func BenchmarkStandingAt(b *testing.B) {
	ly := yuan(8 * yi)
	ind := Indicator{Key: "fai", Name: "固定资产投资", Unit: "亿元", Target: yuan(10 * yi), LastYear: &ly, Accumulate: AccumulateYTD}
	obs := obsOf(yuan(4.6*yi), "2027-07-01 10:00")
	now := ts("2027-07-02 12:00")
	b.ReportAllocs()
	for b.Loop() {
		ind.StandingAt(obs, 2027, now, shanghai, DefaultRules)
	}
}
