package planbot

import (
	"fmt"
	"math"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai must load on machines without a zoneinfo
)

var shanghai = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// ts is a fixed instant in Asia/Shanghai: tests never read the wall clock.
func ts(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, shanghai)
	if err != nil {
		t, err = time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	}
	if err != nil {
		panic(err)
	}
	return t
}

func day(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func pct(id int64, at string, p float64) Report {
	return Report{ID: id, ItemCode: "2.3", At: ts(at), Percent: &p}
}

func note(id int64, at string) Report {
	return Report{ID: id, ItemCode: "2.3", At: ts(at), Note: "已与XX酒店签约"}
}

func doneAt(id int64, at string) Report {
	return Report{ID: id, ItemCode: "2.3", At: ts(at), Done: true}
}

func valueAt(id int64, at string, v float64, unit string) Report {
	a := Amount{Value: Decimal(v * DecimalScale), Unit: unit}
	return Report{ID: id, ItemCode: "2.3", At: ts(at), Value: &a}
}

func correct(id int64, at string, of int64, p float64) Report {
	r := pct(id, at, p)
	r.Supersedes = of
	return r
}

func withdraw(id int64, at string, of int64) Report {
	return Report{ID: id, ItemCode: "2.3", At: ts(at), Supersedes: of, Withdrawn: true}
}

func TestDeriveStatus(t *testing.T) {
	// March: 31 days from 03-01 00:00 to 04-01 00:00, so at 03-16 12:00 the
	// linear expectation is exactly 50%.
	march := Item{Code: "2.3", Start: day("2027-03-01"), Due: day("2027-03-31")}
	year := Item{Code: "3.1", Start: day("2027-01-01"), Due: day("2027-12-31")}
	oneDay := Item{Code: "4.1", Start: day("2027-03-10"), Due: day("2027-03-10")}
	crabs := march
	crabs.Target = &Amount{Value: 200000 * DecimalScale, Unit: "只"}
	withMilestones := year
	// Deliberately out of order: the curve must sort them.
	withMilestones.Milestones = []Milestone{{day("2027-06-30"), 50}, {day("2027-03-31"), 20}}
	noStart := Item{Code: "5.1", Due: day("2027-06-30")}
	noDue := Item{Code: "5.2", Start: day("2027-07-01")}
	noDates := Item{Code: "5.3"}
	backwards := Item{Code: "5.4", Start: day("2027-04-10"), Due: day("2027-03-31")}
	strayMilestone := march
	strayMilestone.Milestones = []Milestone{{day("2027-02-01"), 90}, {day("2027-03-31"), 10}, {day("2027-05-01"), 10}}

	def := DefaultRules // tolerance 10, silent 14 days
	tol0 := Rules{Tolerance: 0, SilentDays: 14}
	tol100 := Rules{Tolerance: 100, SilentDays: 14}
	noSilence := Rules{Tolerance: 10}

	const dayPct = 100.0 / 31 // expectation gained per day in March

	tests := []struct {
		name    string
		item    Item
		reports []Report
		now     string
		loc     *time.Location // nil: Asia/Shanghai
		rules   Rules
		want    ItemStatus // Last is compared by ID only
		lastID  int64
	}{
		// not_started
		{name: "before start, nothing reported", item: march, now: "2027-02-20 09:00", rules: def,
			want: ItemStatus{Status: StatusNotStarted}},
		{name: "before start, note only", item: march, reports: []Report{note(1, "2027-02-25 09:00")},
			now: "2027-02-28 23:59", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusNotStarted}},
		{name: "before start with early progress is not started (early)", item: march, reports: []Report{pct(1, "2027-02-25 09:00", 20)},
			now: "2027-02-28 09:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusNotStarted, Percent: 20}},
		{name: "at the start instant", item: march, now: "2027-03-01 00:00", rules: def,
			want: ItemStatus{Status: StatusNotStarted}},
		{name: "started, unreported, within tolerance", item: march, now: "2027-03-04 00:00", rules: def,
			want: ItemStatus{Status: StatusNotStarted, Expected: 3 * dayPct, DaysSilent: 3}},
		{name: "started, unreported, behind", item: march, now: "2027-03-05 00:00", rules: def,
			want: ItemStatus{Status: StatusAtRisk, Expected: 4 * dayPct, DaysSilent: 4}},
		{name: "started, unreported, one day short of silent", item: year, now: "2027-01-14 23:59", rules: def,
			want: ItemStatus{Status: StatusNotStarted, Expected: expectYear("2027-01-14 23:59"), DaysSilent: 13}},
		{name: "started, unreported, silent since start", item: year, now: "2027-01-15 00:00", rules: def,
			want: ItemStatus{Status: StatusNoReport, Expected: 14 * 100.0 / 365, DaysSilent: 14}},
		{name: "never reported and silent is no_report, not at risk", item: march, now: "2027-03-20 00:00", rules: def,
			want: ItemStatus{Status: StatusNoReport, Expected: 19 * dayPct, DaysSilent: 19}},
		{name: "started, unreported, silence disabled", item: year, now: "2027-01-20 00:00", rules: noSilence,
			want: ItemStatus{Status: StatusNotStarted, Expected: 19 * 100.0 / 365, DaysSilent: 19}},

		// at_risk and on_track around the tolerance
		{name: "exactly at expected minus tolerance is on track", item: march,
			reports: []Report{pct(1, "2027-03-10 09:00", 40)}, now: "2027-03-16 12:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOnTrack, Percent: 40, Expected: 50, DaysSilent: 6}},
		{name: "just below expected minus tolerance is at risk", item: march,
			reports: []Report{pct(1, "2027-03-10 09:00", 39.9)}, now: "2027-03-16 12:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusAtRisk, Percent: 39.9, Expected: 50, DaysSilent: 6}},
		{name: "tolerance 0, on the line", item: march,
			reports: []Report{pct(1, "2027-03-10 09:00", 50)}, now: "2027-03-16 12:00", rules: tol0, lastID: 1,
			want: ItemStatus{Status: StatusOnTrack, Percent: 50, Expected: 50, DaysSilent: 6}},
		{name: "tolerance 0, a hair below", item: march,
			reports: []Report{pct(1, "2027-03-10 09:00", 49.9)}, now: "2027-03-16 12:00", rules: tol0, lastID: 1,
			want: ItemStatus{Status: StatusAtRisk, Percent: 49.9, Expected: 50, DaysSilent: 6}},
		{name: "tolerance 0, unreported, one second after start", item: march, now: "2027-03-01 00:00:01", rules: tol0,
			want: ItemStatus{Status: StatusAtRisk, Expected: 100.0 / (31 * 86400)}},
		{name: "at risk beats silence", item: march,
			reports: []Report{pct(1, "2027-03-01 08:00", 5)}, now: "2027-03-16 12:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusAtRisk, Percent: 5, Expected: 50, DaysSilent: 15}},

		// no_report
		{name: "silent for SilentDays", item: march,
			reports: []Report{pct(1, "2027-03-01 08:00", 60)}, now: "2027-03-15 08:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusNoReport, Percent: 60, Expected: (14 + 8.0/24) * dayPct, DaysSilent: 14}},
		{name: "a minute short of SilentDays", item: march,
			reports: []Report{pct(1, "2027-03-01 08:00", 60)}, now: "2027-03-15 07:59", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOnTrack, Percent: 60, Expected: (14 + (7+59.0/60)/24) * dayPct, DaysSilent: 13}},
		{name: "note-only report keeps progress and resets silence", item: march,
			reports: []Report{pct(1, "2027-03-01 08:00", 60), note(2, "2027-03-14 08:00")}, now: "2027-03-15 08:00", rules: def, lastID: 2,
			want: ItemStatus{Status: StatusOnTrack, Percent: 60, Expected: (14 + 8.0/24) * dayPct, DaysSilent: 1}},
		{name: "report dated before start: silence counts from start", item: march,
			reports: []Report{pct(1, "2027-02-10 09:00", 30)}, now: "2027-03-05 00:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOnTrack, Percent: 30, Expected: 4 * dayPct, DaysSilent: 4}},
		{name: "report stamped after now is not negative silence", item: march,
			reports: []Report{pct(1, "2027-03-16 12:00:02", 50)}, now: "2027-03-16 12:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOnTrack, Percent: 50, Expected: 50}},

		// history: corrections and withdrawals
		{name: "correction supersedes a report", item: march,
			reports: []Report{pct(1, "2027-03-10 09:00", 20), correct(2, "2027-03-10 09:05", 1, 45)}, now: "2027-03-16 12:00", rules: def, lastID: 2,
			want: ItemStatus{Status: StatusOnTrack, Percent: 45, Expected: 50, DaysSilent: 6}},
		{name: "withdrawal falls back to the earlier report", item: march,
			reports: []Report{pct(1, "2027-03-05 09:00", 45), doneAt(2, "2027-03-12 09:00"), withdraw(3, "2027-03-12 09:01", 2)}, now: "2027-03-16 12:00",
			rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOnTrack, Percent: 45, Expected: 50, DaysSilent: 11}},
		{name: "withdrawal of the only report is as if never reported", item: march,
			reports: []Report{pct(1, "2027-03-02 09:00", 30), withdraw(2, "2027-03-02 09:01", 1)}, now: "2027-03-03 00:00", rules: def,
			want: ItemStatus{Status: StatusNotStarted, Expected: 2 * dayPct, DaysSilent: 2}},
		{name: "withdrawal of the only report, later: behind", item: march,
			reports: []Report{pct(1, "2027-03-02 09:00", 30), withdraw(2, "2027-03-02 09:01", 1)}, now: "2027-03-10 12:00", rules: def,
			want: ItemStatus{Status: StatusAtRisk, Expected: 9.5 * dayPct, DaysSilent: 9}},
		{name: "withdrawal of the only report, later: silent", item: march,
			reports: []Report{pct(1, "2027-03-02 09:00", 30), withdraw(2, "2027-03-02 09:01", 1)}, now: "2027-03-16 12:00", rules: def,
			want: ItemStatus{Status: StatusNoReport, Expected: 50, DaysSilent: 15}},
		{name: "a correction after done reopens the item", item: march,
			reports: []Report{doneAt(1, "2027-03-10 09:00"), correct(2, "2027-03-10 10:00", 1, 70)}, now: "2027-03-16 12:00", rules: def, lastID: 2,
			want: ItemStatus{Status: StatusOnTrack, Percent: 70, Expected: 50, DaysSilent: 6}},

		// done
		{name: "100% without Done is done", item: march,
			reports: []Report{pct(1, "2027-03-10 09:00", 100)}, now: "2027-03-16 12:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusDone, Percent: 100, Expected: 50, DaysSilent: 6}},
		{name: "Done without a percent is done", item: march,
			reports: []Report{pct(1, "2027-03-05 09:00", 30), doneAt(2, "2027-03-10 09:00")}, now: "2027-03-16 12:00", rules: def, lastID: 2,
			want: ItemStatus{Status: StatusDone, Percent: 100, Expected: 50, DaysSilent: 6}},
		{name: "note after done stays done", item: march,
			reports: []Report{doneAt(1, "2027-03-10 09:00"), note(2, "2027-03-11 09:00")}, now: "2027-04-20 12:00", rules: def, lastID: 2,
			want: ItemStatus{Status: StatusDone, Percent: 100, Expected: 100, DaysSilent: 40}},
		{name: "over 100% is clamped and done", item: march,
			reports: []Report{pct(1, "2027-03-10 09:00", 130)}, now: "2027-03-16 12:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusDone, Percent: 100, Expected: 50, DaysSilent: 6}},
		{name: "done after due wins over overdue", item: march,
			reports: []Report{pct(1, "2027-03-10 09:00", 60), doneAt(2, "2027-04-05 09:00")}, now: "2027-04-10 09:00", rules: def, lastID: 2,
			want: ItemStatus{Status: StatusDone, Percent: 100, Expected: 100, DaysSilent: 5}},

		// overdue
		{name: "a second before due end", item: march,
			reports: []Report{pct(1, "2027-03-31 09:00", 95)}, now: "2027-03-31 23:59:59", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOnTrack, Percent: 95, Expected: 100 - 100.0/(31*86400)}},
		{name: "exactly at due end", item: march,
			reports: []Report{pct(1, "2027-03-31 09:00", 95)}, now: "2027-04-01 00:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOverdue, Percent: 95, Expected: 100, DaysOverdue: 1}},
		{name: "due 03-31, now 04-01 10:00", item: march,
			reports: []Report{pct(1, "2027-03-20 09:00", 80)}, now: "2027-04-01 10:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOverdue, Percent: 80, Expected: 100, DaysOverdue: 1, DaysSilent: 12}},
		{name: "overdue beats silence and risk", item: march,
			reports: []Report{pct(1, "2027-03-02 09:00", 10)}, now: "2027-04-30 09:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOverdue, Percent: 10, Expected: 100, DaysOverdue: 30, DaysSilent: 59}},
		{name: "never reported and past due is overdue", item: march, now: "2027-04-02 00:00", rules: def,
			want: ItemStatus{Status: StatusOverdue, Expected: 100, DaysOverdue: 2, DaysSilent: 32}},
		{name: "tolerance 100 still cannot hide an unreported overdue item", item: march, now: "2027-04-02 00:00", rules: tol100,
			want: ItemStatus{Status: StatusOverdue, Expected: 100, DaysOverdue: 2, DaysSilent: 32}},

		// location: 2027-04-01 00:30 +08 is 2027-03-31 16:30 UTC
		{name: "Shanghai: a report at 23:30 on 03-31 is on the due day", item: march,
			reports: []Report{pct(1, "2027-03-31 23:30", 90)}, now: "2027-03-31 23:45", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOnTrack, Percent: 90, Expected: 100 - 100*15.0/(31*24*60)}},
		{name: "Shanghai: past midnight of 03-31 is overdue", item: march,
			reports: []Report{pct(1, "2027-03-31 23:30", 90)}, now: "2027-04-01 00:30", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOverdue, Percent: 90, Expected: 100, DaysOverdue: 1}},
		{name: "UTC: the same instant is still 03-31", item: march, loc: time.UTC,
			reports: []Report{pct(1, "2027-03-31 23:30", 90)}, now: "2027-04-01 00:30", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOnTrack, Percent: 90, Expected: 100 - 100*7.5/(31*24)}},
		{name: "UTC: days overdue count UTC dates", item: march, loc: time.UTC,
			reports: []Report{pct(1, "2027-03-31 23:30", 90)}, now: "2027-04-02 01:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOverdue, Percent: 90, Expected: 100, DaysOverdue: 1, DaysSilent: 1}},

		// one-day item: Start == Due spans that one day
		{name: "one-day item at 02:00, unreported", item: oneDay, now: "2027-03-10 02:00", rules: def,
			want: ItemStatus{Status: StatusNotStarted, Expected: 100.0 / 12}},
		{name: "one-day item at noon, unreported", item: oneDay, now: "2027-03-10 12:00", rules: def,
			want: ItemStatus{Status: StatusAtRisk, Expected: 50}},
		{name: "one-day item at noon, half done", item: oneDay,
			reports: []Report{pct(1, "2027-03-10 11:00", 50)}, now: "2027-03-10 12:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOnTrack, Percent: 50, Expected: 50}},
		{name: "one-day item next day", item: oneDay,
			reports: []Report{pct(1, "2027-03-10 11:00", 50)}, now: "2027-03-11 00:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOverdue, Percent: 50, Expected: 100, DaysOverdue: 1}},

		// progress from a measured value toward the item's target
		{name: "value toward target", item: crabs,
			reports: []Report{valueAt(1, "2027-03-16 09:00", 100000, "只")}, now: "2027-03-16 12:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOnTrack, Percent: 50, Expected: 50}},
		{name: "value beyond target is capped and done", item: crabs,
			reports: []Report{valueAt(1, "2027-03-16 09:00", 250000, "只")}, now: "2027-03-16 12:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusDone, Percent: 100, Expected: 50}},
		{name: "value in another unit carries the previous progress", item: crabs,
			reports: []Report{pct(1, "2027-03-10 09:00", 45), valueAt(2, "2027-03-16 09:00", 150000, "元")}, now: "2027-03-16 12:00", rules: def, lastID: 2,
			want: ItemStatus{Status: StatusOnTrack, Percent: 45, Expected: 50}},
		{name: "value without an item target carries", item: march,
			reports: []Report{pct(1, "2027-03-10 09:00", 45), valueAt(2, "2027-03-16 09:00", 150000, "只")}, now: "2027-03-16 12:00", rules: def, lastID: 2,
			want: ItemStatus{Status: StatusOnTrack, Percent: 45, Expected: 50}},
		{name: "percent wins over value", item: crabs,
			reports: []Report{func() Report { r := valueAt(1, "2027-03-16 09:00", 200000, "只"); p := 70.0; r.Percent = &p; return r }()}, now: "2027-03-16 12:00",
			rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOnTrack, Percent: 70, Expected: 50}},
		{name: "negative percent reads as zero", item: march,
			reports: []Report{pct(1, "2027-02-20 09:00", -5)}, now: "2027-02-21 09:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusNotStarted}},

		{name: "NaN percent reads as zero", item: march,
			reports: []Report{pct(1, "2027-03-16 09:00", math.NaN())}, now: "2027-03-16 12:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusAtRisk, Expected: 50}},

		// milestones bend the curve
		{name: "passed 50% milestone, progress 30: at risk", item: withMilestones,
			reports: []Report{pct(1, "2027-06-30 09:00", 30)}, now: "2027-07-01 00:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusAtRisk, Percent: 30, Expected: 50}},
		{name: "passed 50% milestone, progress 40: on track", item: withMilestones,
			reports: []Report{pct(1, "2027-06-30 09:00", 40)}, now: "2027-07-01 00:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOnTrack, Percent: 40, Expected: 50}},
		{name: "first milestone reached exactly", item: withMilestones,
			reports: []Report{pct(1, "2027-03-31 09:00", 20)}, now: "2027-04-01 00:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOnTrack, Percent: 20, Expected: 20}},
		{name: "halfway between milestones", item: withMilestones,
			reports: []Report{pct(1, "2027-05-15 09:00", 35)}, now: "2027-05-16 00:00", rules: def, lastID: 1,
			// 04-01 → 07-01 is 91 days; 05-16 is 45 days in.
			want: ItemStatus{Status: StatusOnTrack, Percent: 35, Expected: 20 + 30*45.0/91}},
		{name: "after the last milestone toward 100 at due", item: withMilestones,
			reports: []Report{pct(1, "2027-10-01 09:00", 70)}, now: "2027-10-01 00:00", rules: def, lastID: 1,
			// 07-01 → 2028-01-01 is 184 days; 10-01 is 92 days in.
			want: ItemStatus{Status: StatusOnTrack, Percent: 70, Expected: 75}},
		{name: "milestones outside the span are ignored", item: strayMilestone,
			reports: []Report{pct(1, "2027-03-16 09:00", 45)}, now: "2027-03-16 12:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOnTrack, Percent: 45, Expected: 50}},

		// missing or inverted dates: defined, and never a panic
		{name: "zero start is Jan 1 of due's year", item: noStart, now: "2027-03-31 12:00", rules: noSilence,
			// Jan 1 → Jul 1 is 181 days; 03-31 12:00 is 89.5 days in.
			want: ItemStatus{Status: StatusAtRisk, Expected: 89.5 * 100 / 181, DaysSilent: 89}},
		{name: "zero due is Dec 31 of start's year", item: noDue, now: "2028-01-01 00:00", rules: def,
			want: ItemStatus{Status: StatusOverdue, Expected: 100, DaysOverdue: 1, DaysSilent: 184}},
		{name: "no dates: never overdue", item: noDates,
			reports: []Report{pct(1, "2027-03-01 09:00", 30)}, now: "2027-03-05 09:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusOnTrack, Percent: 30, DaysSilent: 4}},
		{name: "no dates, unreported", item: noDates, now: "2030-01-01 00:00", rules: def,
			want: ItemStatus{Status: StatusNotStarted}},
		{name: "no dates, silent", item: noDates,
			reports: []Report{pct(1, "2027-03-01 09:00", 30)}, now: "2027-03-20 09:00", rules: def, lastID: 1,
			want: ItemStatus{Status: StatusNoReport, Percent: 30, DaysSilent: 19}},
		{name: "due before start is a one-day item on due", item: backwards, now: "2027-03-31 12:00", rules: def,
			want: ItemStatus{Status: StatusAtRisk, Expected: 50}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := tt.loc
			if loc == nil {
				loc = shanghai
			}
			got := DeriveStatus(tt.item, tt.reports, ts(tt.now), loc, tt.rules)
			var gotID int64
			if got.Last != nil {
				gotID = got.Last.ID
			}
			if got.Status != tt.want.Status || !near(got.Percent, tt.want.Percent) || !near(got.Expected, tt.want.Expected) ||
				got.DaysOverdue != tt.want.DaysOverdue || got.DaysSilent != tt.want.DaysSilent || gotID != tt.lastID {
				t.Errorf("got  %s %.6f%% expected %.6f%% overdue %d silent %d last #%d\nwant %s %.6f%% expected %.6f%% overdue %d silent %d last #%d",
					got.Status, got.Percent, got.Expected, got.DaysOverdue, got.DaysSilent, gotID,
					tt.want.Status, tt.want.Percent, tt.want.Expected, tt.want.DaysOverdue, tt.want.DaysSilent, tt.lastID)
			}
		})
	}
}

// expectYear is the linear expectation of the whole-2027 item at s.
func expectYear(s string) float64 {
	return float64(ts(s).Sub(ts("2027-01-01 00:00"))) / float64(365*24*time.Hour) * 100
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestDeriveStatusDoesNotAliasHistory(t *testing.T) {
	// Last must be a copy: a caller that keeps it must not see, or cause,
	// changes to the history slice it passed in.
	reports := []Report{pct(1, "2027-03-10 09:00", 40)}
	st := DeriveStatus(Item{Start: day("2027-03-01"), Due: day("2027-03-31")}, reports, ts("2027-03-16 12:00"), shanghai, DefaultRules)
	st.Last.Note = "changed"
	if reports[0].Note != "" {
		t.Fatal("Last aliases the caller's history")
	}
}

func TestDeriveStatusNilLocationIsUTC(t *testing.T) {
	item := Item{Start: day("2027-03-01"), Due: day("2027-03-31")}
	now := time.Date(2027, 4, 1, 0, 30, 0, 0, time.UTC)
	if got, want := DeriveStatus(item, nil, now, nil, DefaultRules), DeriveStatus(item, nil, now, time.UTC, DefaultRules); got != want {
		t.Fatalf("nil loc: %+v, UTC: %+v", got, want)
	}
}

func TestStatusPresentation(t *testing.T) {
	labels := map[Status]string{
		StatusOverdue: "逾期", StatusAtRisk: "有风险", StatusNoReport: "未汇报",
		StatusNotStarted: "未开始", StatusOnTrack: "正常推进", StatusDone: "已完成",
	}
	if len(Statuses) != len(labels) {
		t.Fatalf("Statuses has %d entries, want %d", len(Statuses), len(labels))
	}
	marks := map[string]Status{}
	for _, s := range Statuses {
		if !s.Valid() {
			t.Errorf("%s not valid", s)
		}
		if got := s.Label(); got != labels[s] {
			t.Errorf("%s.Label() = %q, want %q", s, got, labels[s])
		}
		m := s.Mark()
		if m == "" || m == Status("bogus").Mark() {
			t.Errorf("%s has no mark of its own", s)
		}
		if len([]rune(m)) != 1 {
			t.Errorf("%s.Mark() = %q is not one code point", s, m)
		}
		if other, dup := marks[m]; dup {
			t.Errorf("%s and %s share mark %s", s, other, m)
		}
		marks[m] = s
	}
	if Status("bogus").Valid() || Status("bogus").Label() != "bogus" {
		t.Error("unknown status must be invalid and show its code")
	}
	// Display order puts what needs attention first.
	want := []Status{StatusOverdue, StatusAtRisk, StatusNoReport, StatusNotStarted, StatusOnTrack, StatusDone}
	if fmt.Sprint(Statuses) != fmt.Sprint(want) {
		t.Errorf("Statuses = %v, want %v", Statuses, want)
	}
}

func BenchmarkDeriveStatus(b *testing.B) {
	item := Item{Code: "2.3", Start: day("2027-01-01"), Due: day("2027-12-31"),
		Target:     &Amount{Value: 200000 * DecimalScale, Unit: "只"},
		Milestones: []Milestone{{day("2027-03-31"), 20}, {day("2027-06-30"), 50}, {day("2027-09-30"), 80}}}
	// 150 rows of history: progress twice a week, every tenth corrected,
	// every fifteenth followed by an undo, the rest interleaved with notes.
	var reports []Report
	at := ts("2027-01-04 09:00")
	for id := int64(1); len(reports) < 150; id++ {
		r := Report{ID: id, ItemCode: item.Code, At: at}
		switch {
		case id%15 == 0:
			r.Supersedes, r.Withdrawn = id-1, true
		case id%10 == 0:
			p := float64(id) / 3
			r.Percent, r.Supersedes = &p, id-1
		case id%3 == 0:
			r.Note = "现场推进"
		default:
			p := float64(id) / 2
			r.Percent = &p
		}
		reports = append(reports, r)
		at = at.Add(36 * time.Hour)
	}
	now := ts("2027-09-15 09:00")
	b.ReportAllocs()
	for b.Loop() {
		DeriveStatus(item, reports, now, shanghai, DefaultRules)
	}
}
