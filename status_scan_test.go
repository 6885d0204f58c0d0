package planbot

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// referenceProgress is DeriveStatus's progress and last report as the
// rules define them: every effective report in order, each carrying the
// one before it.
func referenceProgress(reports []Report, target *Amount) (float64, *Report) {
	eff := Effective(reports)
	var progress float64
	for i := range eff {
		progress = reportProgress(eff[i], target, progress)
	}
	if n := len(eff); n > 0 {
		return progress, &eff[n-1]
	}
	return progress, nil
}

// randomHistory is a history as storage keeps it: IDs increasing, each
// correction or withdrawal superseding an earlier report that is neither a
// withdrawal nor superseded yet.
func randomHistory(rng *rand.Rand, target *Amount) []Report {
	var out []Report
	taken := map[int64]bool{}
	id := int64(rng.IntN(5))
	for range rng.IntN(40) {
		id += 1 + int64(rng.IntN(3))
		r := Report{ID: id, ItemCode: "2.3", At: time.Unix(id*3600, 0)}
		switch rng.IntN(7) {
		case 0:
			r.Done = true
		case 1, 2:
			p := rng.Float64()*130 - 10
			if rng.IntN(20) == 0 {
				p = math.NaN()
			}
			r.Percent = &p
		case 3:
			unit := target.Unit
			if rng.IntN(3) == 0 {
				unit = "亩"
			}
			r.Value = &Amount{Value: Decimal(rng.Int64N(int64(target.Value) * 2)), Unit: unit}
		default:
			r.Note = "说明"
		}
		if len(out) > 0 && rng.IntN(4) == 0 {
			var open []int64
			for _, o := range out {
				if !o.Withdrawn && !taken[o.ID] {
					open = append(open, o.ID)
				}
			}
			if len(open) > 0 {
				r.Supersedes = open[rng.IntN(len(open))]
				taken[r.Supersedes] = true
				if rng.IntN(2) == 0 {
					r = Report{ID: r.ID, ItemCode: r.ItemCode, At: r.At, Supersedes: r.Supersedes, Withdrawn: true}
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// DeriveStatus reads only the end of a history; it must agree with reading
// all of it, on any history storage can hold, and (latestEffectiveAnyOrder)
// on any order.
func TestDeriveStatusReadsBackwardsExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	target := &Amount{Value: 200 * DecimalScale, Unit: "户"}
	item := Item{Code: "2.3", Start: Date{2027, time.January, 4}, Due: Date{2027, time.December, 31}, Target: target}
	now := time.Date(2027, time.June, 15, 9, 0, 0, 0, time.UTC)
	same := func(what string, h []Report, gotP float64, gotLast *Report) {
		t.Helper()
		wantP, wantLast := referenceProgress(h, target)
		if gotP != wantP || (gotLast == nil) != (wantLast == nil) || (gotLast != nil && gotLast.ID != wantLast.ID) {
			t.Fatalf("%s: progress %v, last %v; want %v, %v\nhistory %+v", what, gotP, gotLast, wantP, wantLast, h)
		}
	}
	for range 5000 {
		h := randomHistory(rng, target)
		st := DeriveStatus(item, h, now, time.UTC, DefaultRules)
		same("DeriveStatus", h, st.Percent, st.Last)

		rng.Shuffle(len(h), func(i, j int) { h[i], h[j] = h[j], h[i] })
		last, bearing := latestEffectiveAnyOrder(h, target)
		var p float64
		var lastR *Report
		if last >= 0 {
			lastR = &h[last]
			if bearing >= 0 {
				p = reportProgress(h[bearing], target, 0)
			}
		}
		// In any order, "last" is the last in the slice's order.
		same("any order", h, p, lastR)
	}
	// A history whose IDs are not increasing (reports not yet stored have
	// ID 0) is read whole.
	p := 40.0
	h := []Report{{Percent: &p}, {Note: "说明"}}
	if st := DeriveStatus(item, h, now, time.UTC, DefaultRules); st.Percent != 40 || st.Last == nil || st.Last.Note != "说明" {
		t.Errorf("unstored history: %+v", st)
	}
}
