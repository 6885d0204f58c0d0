package planbot

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// randomTalliedHistory is randomHistory with what per_owner items need:
// several reporters, some reporting on behalf of an owner, and clocks that
// now and then disagree with the order of IDs.
func randomTalliedHistory(rng *rand.Rand, target *Amount) []Report {
	h := randomHistory(rng, target)
	people := []string{"wang", "li", "zhao", "sun"}
	for i := range h {
		h[i].Reporter = people[rng.IntN(len(people))]
		if rng.IntN(5) == 0 {
			h[i].OnBehalfOf = people[rng.IntN(len(people))]
		}
		if rng.IntN(8) == 0 {
			h[i].At = h[i].At.Add(-time.Duration(rng.IntN(10)) * time.Hour)
		}
	}
	return h
}

// sameStatus compares what a view shows of two derivations: the figures,
// and which report is the latest.
func sameStatus(a, b ItemStatus) bool {
	id := func(r *Report) int64 {
		if r == nil {
			return -1
		}
		return r.ID
	}
	val := func(v *Amount) Amount {
		if v == nil {
			return Amount{Unit: "<nil>"}
		}
		return *v
	}
	a.Last, b.Last = &Report{ID: id(a.Last)}, &Report{ID: id(b.Last)}
	return a.Status == b.Status && a.Percent == b.Percent && a.Expected == b.Expected && a.DaysOverdue == b.DaysOverdue &&
		a.DaysSilent == b.DaysSilent && a.Early == b.Early && a.Last.ID == b.Last.ID && val(a.Value) == val(b.Value)
}

func sameShares(a, b []Share) bool {
	return slices.EqualFunc(a, b, func(x, y Share) bool {
		xv, yv := Amount{Unit: "-"}, Amount{Unit: "-"}
		if x.Value != nil {
			xv = *x.Value
		}
		if y.Value != nil {
			yv = *y.Value
		}
		lx, ly := int64(-1), int64(-1)
		if x.Last != nil {
			lx = x.Last.ID
		}
		if y.Last != nil {
			ly = y.Last.ID
		}
		return x.Owner == y.Owner && x.Done == y.Done && xv == yv && lx == ly
	})
}

// What storage reads for a view, a reminder run or a digest must derive
// exactly what the whole history does: now, at each earlier moment asked
// for, and for the reports counted since.
func TestNeededDerivesAsTheWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 1))
	target := &Amount{Value: 200 * DecimalScale, Unit: "户"}
	now := time.Unix(30*3600, 0)
	smaller := 0
	for n := range 20000 {
		item := Item{Code: "2.3", Start: Date{1970, time.January, 1}, Due: Date{1970, time.January, 2}, Target: target,
			Owners: []string{"li", "wang"}}
		if n%2 == 1 {
			item.Tally = TallyPerOwner
		}
		if n%5 == 0 {
			item.Target = nil
		}
		h := randomTalliedHistory(rng, target)
		var need HistoryNeed
		if rng.IntN(2) == 0 {
			need.Since = time.Unix(int64(rng.IntN(130))*3600, 0)
		}
		for range rng.IntN(3) {
			need.Before = append(need.Before, time.Unix(int64(rng.IntN(130))*3600+int64(rng.IntN(2)), 0))
		}
		part := Needed(item, h, need)
		if len(part) < len(h) {
			smaller++
		}
		check := func(when string, whole, part []Report, at time.Time) {
			t.Helper()
			w, p := DeriveStatus(item, whole, at, time.UTC, Rules{SilentDays: 1}), DeriveStatus(item, part, at, time.UTC, Rules{SilentDays: 1})
			if !sameStatus(w, p) {
				t.Fatalf("history %d, %s: whole %+v, part %+v\nwhole %+v\npart %+v", n, when, w, p, whole, part)
			}
			if !sameShares(ItemShares(item, whole), ItemShares(item, part)) {
				t.Fatalf("history %d, %s: shares differ\nwhole %+v\npart %+v", n, when, ItemShares(item, whole), ItemShares(item, part))
			}
		}
		check("now", h, part, now)
		for _, at := range need.Before {
			check("before "+at.String(), ReportsBefore(h, at), ReportsBefore(part, at), at)
		}
		if !need.Since.IsZero() {
			recent := func(rs []Report) []int64 {
				var ids []int64
				for _, r := range rs {
					if !r.At.Before(need.Since) {
						ids = append(ids, r.ID)
					}
				}
				return ids
			}
			if w, p := recent(h), recent(part); !slices.Equal(w, p) {
				t.Fatalf("history %d: reports since %v: whole %v, part %v", n, need.Since, w, p)
			}
		}
	}
	// The point is reading less: most histories must shrink.
	if smaller < 20000/2 {
		t.Fatalf("only %d of 20000 histories shrank", smaller)
	}
}

func TestReportsBefore(t *testing.T) {
	at := func(h int) time.Time { return time.Unix(int64(h)*3600, 0) }
	h := []Report{{ID: 1, At: at(1)}, {ID: 2, At: at(3)}, {ID: 3, At: at(2)}, {ID: 4, At: at(5)}}
	ids := func(rs []Report) []int64 {
		var out []int64
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	for _, c := range []struct {
		t    time.Time
		want []int64
	}{{at(1), nil}, {at(2), []int64{1}}, {at(3), []int64{1, 3}}, {at(4), []int64{1, 2, 3}}, {at(9), []int64{1, 2, 3, 4}}} {
		if got := ids(ReportsBefore(h, c.t)); !slices.Equal(got, c.want) {
			t.Errorf("before %v: %v, want %v", c.t, got, c.want)
		}
	}
	// In time order the answer is a prefix: nothing is copied.
	sorted := []Report{{ID: 1, At: at(1)}, {ID: 2, At: at(2)}, {ID: 3, At: at(3)}}
	if got := ReportsBefore(sorted, at(3)); len(got) != 2 || &got[0] != &sorted[0] {
		t.Errorf("sorted: %v (want a prefix, no copy)", got)
	}
}
