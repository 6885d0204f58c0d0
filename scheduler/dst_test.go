package scheduler

import (
	"slices"
	"testing"
	"time"

	"planbot"
)

// A plan in a zone with daylight saving: a wall time the spring-forward
// change skips runs once, at the first moment after the gap (03:00 for
// 02:30 in New York), as cronie and systemd timers do; a wall time the
// fall-back change repeats runs once, at its first occurrence.
func TestScheduleDSTGap(t *testing.T) {
	ny := calLoc(t, "America/New_York")
	london := calLoc(t, "Europe/London")
	cal := NewCalendar(planbot.Calendar{})
	for _, tc := range []struct {
		name     string
		loc      *time.Location
		spec     string
		from, to string
		want     []string
	}{{
		name: "02:30 on 2027-03-14 (02:00 → 03:00) runs at 03:00",
		loc:  ny, spec: "30 2 * * *", from: "2027-03-12 12:00", to: "2027-03-16 12:00",
		want: []string{"2027-03-13 02:30 EST", "2027-03-14 03:00 EDT", "2027-03-15 02:30 EDT", "2027-03-16 02:30 EDT"},
	}, {
		name: "every 30 minutes: 02:00 and 02:30 and 03:00 are one run at 03:00",
		loc:  ny, spec: "*/30 * * * *", from: "2027-03-14 01:00", to: "2027-03-14 04:00",
		want: []string{"2027-03-14 01:30 EST", "2027-03-14 03:00 EDT", "2027-03-14 03:30 EDT", "2027-03-14 04:00 EDT"},
	}, {
		name: "weekly, Sunday 02:15 on the change day",
		loc:  ny, spec: "15 2 * * 0", from: "2027-03-01 00:00", to: "2027-03-22 00:00",
		want: []string{"2027-03-07 02:15 EST", "2027-03-14 03:00 EDT", "2027-03-21 02:15 EDT"},
	}, {
		name: "London 01:30 on 2027-03-28 (01:00 → 02:00) runs at 02:00",
		loc:  london, spec: "30 1 * * *", from: "2027-03-27 12:00", to: "2027-03-29 12:00",
		want: []string{"2027-03-28 02:00 BST", "2027-03-29 01:30 BST"},
	}, {
		name: "01:30 on 2027-11-07 happens twice and runs once",
		loc:  ny, spec: "30 1 * * *", from: "2027-11-06 12:00", to: "2027-11-08 12:00",
		want: []string{"2027-11-07 01:30 EDT", "2027-11-08 01:30 EST"},
	}, {
		name: "fall back, every 30 minutes: each wall time once",
		loc:  ny, spec: "*/30 * * * *", from: "2027-11-07 00:45", to: "2027-11-07 02:30",
		want: []string{"2027-11-07 01:00 EDT", "2027-11-07 01:30 EDT", "2027-11-07 02:00 EST", "2027-11-07 02:30 EST"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			s := calSchedule(t, tc.spec, tc.loc, cal, false)
			from, to := calAt(tc.loc, tc.from), calAt(tc.loc, tc.to)
			var walked []time.Time
			for x := s.Next(from); !x.IsZero() && !x.After(to); x = s.Next(x) {
				walked = append(walked, x)
			}
			if got := calFormat(walked); !slices.Equal(got, tc.want) {
				t.Errorf("Next chain = %v\nwant         %v", got, tc.want)
			}
			// Between is what catch-up after downtime runs from.
			if got := calFormat(s.Between(from, to, 100)); !slices.Equal(got, tc.want) {
				t.Errorf("Between = %v\nwant      %v", got, tc.want)
			}
		})
	}

	// A tick keys its run by Previous(now): the 03:00 run of 2027-03-14
	// is the one due all that morning, and it is on its local date.
	s := calSchedule(t, "30 2 * * *", ny, cal, false)
	run := calAt(ny, "2027-03-14 03:00")
	if p := s.Previous(calAt(ny, "2027-03-14 09:00")); !p.Equal(run) {
		t.Errorf("Previous on the morning of the change = %v, want %v", p, run)
	}
	if p := s.Previous(calAt(ny, "2027-03-14 02:59:59").Add(-time.Hour)); !p.Equal(calAt(ny, "2027-03-13 02:30")) {
		// 01:59:59 EST: the gap's run is not due before the gap ends.
		t.Errorf("Previous before the gap ends = %v", p)
	}
	// Sunday 2027-03-14 is not a working day: workdays_only still skips it.
	s = calSchedule(t, "30 2 * * *", ny, cal, true)
	if n := s.Next(calAt(ny, "2027-03-13 12:00")); !n.Equal(calAt(ny, "2027-03-15 02:30")) {
		t.Errorf("workdays-only Next over the Sunday gap = %v", n)
	}
	// In Shanghai nothing moves.
	sh := calSchedule(t, "30 2 * * *", calLoc(t, "Asia/Shanghai"), cal, false)
	if got := calFormat(sh.Between(calAt(sh.loc, "2027-03-13 12:00"), calAt(sh.loc, "2027-03-15 12:00"), 10)); !slices.Equal(got, []string{"2027-03-14 02:30 CST", "2027-03-15 02:30 CST"}) {
		t.Errorf("Shanghai = %v", got)
	}
}
