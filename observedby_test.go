package planbot

import (
	"testing"
	"time"
)

// ObservedBy ends at at (a later figure must not count), or at the end of
// the plan year once it is over.
func TestObservedBy(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	p := &Plan{Year: 2027, Location: loc}
	start, end := p.YearSpan()
	mid := time.Date(2027, 6, 15, 9, 0, 0, 0, loc)
	if from, to := p.ObservedBy(mid); !from.Equal(start) || !to.Equal(mid.Add(time.Nanosecond)) {
		t.Errorf("mid-year: [%v, %v)", from, to)
	}
	if _, to := p.ObservedBy(end.AddDate(0, 1, 0)); !to.Equal(end) {
		t.Errorf("after the year: to %v, want %v", to, end)
	}
}
