package planbot

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// by sets who a report is from: "zhao" or "li>zhao" (li for zhao).
func by(who string, r Report) Report {
	r.ItemCode = "1.3"
	r.Reporter, r.OnBehalfOf, _ = strings.Cut(who, ">")
	return r
}

func hu(id int64, at string, n float64) Report { return valueAt(id, at, n, "户") }

func amountText(a *Amount) string {
	if a == nil {
		return "nil"
	}
	return a.String()
}

// coop is 1.3 鼓励村民入股 as the example plan has it, in March so that at
// 03-16 12:00 the expectation is exactly 50%.
func coop(t Tally) Item {
	return Item{Code: "1.3", Owners: []string{"zhao", "qian", "sun"}, Start: day("2027-03-01"), Due: day("2027-03-31"),
		Target: &Amount{Value: 150 * DecimalScale, Unit: "户"}, Tally: t}
}

func TestDeriveStatusPerOwner(t *testing.T) {
	perOwner, shared := coop(TallyPerOwner), coop("")
	const now = "2027-03-16 12:00"
	tests := []struct {
		name    string
		item    Item
		reports []Report
		want    ItemStatus // Last by ID only, Value by text
		lastID  int64
	}{
		{name: "two villages add up", item: perOwner,
			reports: []Report{by("zhao", hu(1, "2027-03-10 09:00", 30)), by("qian", hu(2, "2027-03-12 09:00", 20))}, lastID: 2,
			want: ItemStatus{Status: StatusAtRisk, Percent: 100.0 / 3, Value: &Amount{50 * DecimalScale, "户"}, Expected: 50, DaysSilent: 4}},
		{name: "shared: the last report is the figure", item: shared,
			reports: []Report{by("zhao", hu(1, "2027-03-10 09:00", 30)), by("qian", hu(2, "2027-03-12 09:00", 20))}, lastID: 2,
			want: ItemStatus{Status: StatusAtRisk, Percent: 40.0 / 3, Value: &Amount{20 * DecimalScale, "户"}, Expected: 50, DaysSilent: 4}},
		{name: "explicitly shared is shared", item: coop(TallyShared),
			reports: []Report{by("zhao", hu(1, "2027-03-10 09:00", 30)), by("qian", hu(2, "2027-03-12 09:00", 20))}, lastID: 2,
			want: ItemStatus{Status: StatusAtRisk, Percent: 40.0 / 3, Value: &Amount{20 * DecimalScale, "户"}, Expected: 50, DaysSilent: 4}},
		{name: "a correction changes its owner's share only", item: perOwner,
			reports: []Report{by("zhao", hu(1, "2027-03-10 09:00", 30)), by("qian", hu(2, "2027-03-12 09:00", 20)),
				func() Report { r := by("zhao", hu(3, "2027-03-13 09:00", 45)); r.Supersedes = 1; return r }()}, lastID: 3,
			want: ItemStatus{Status: StatusOnTrack, Percent: 65.0 / 1.5, Value: &Amount{65 * DecimalScale, "户"}, Expected: 50, DaysSilent: 3}},
		{name: "a withdrawal changes its owner's share only", item: perOwner,
			reports: []Report{by("zhao", hu(1, "2027-03-10 09:00", 30)), by("qian", hu(2, "2027-03-12 09:00", 20)),
				by("qian", withdraw(3, "2027-03-12 09:01", 2))}, lastID: 1,
			want: ItemStatus{Status: StatusAtRisk, Percent: 20, Value: &Amount{30 * DecimalScale, "户"}, Expected: 50, DaysSilent: 6}},
		{name: "a withdrawal falls back to the owner's earlier figure", item: perOwner,
			reports: []Report{by("zhao", hu(1, "2027-03-05 09:00", 10)), by("qian", hu(2, "2027-03-06 09:00", 20)),
				by("zhao", hu(3, "2027-03-10 09:00", 30)), by("zhao", withdraw(4, "2027-03-10 09:01", 3))}, lastID: 2,
			want: ItemStatus{Status: StatusAtRisk, Percent: 20, Value: &Amount{30 * DecimalScale, "户"}, Expected: 50, DaysSilent: 10}},
		{name: "on behalf of an owner counts toward that owner's share", item: perOwner,
			reports: []Report{by("zhao", hu(1, "2027-03-05 09:00", 10)), by("qian", hu(2, "2027-03-06 09:00", 20)),
				by("li>zhao", hu(3, "2027-03-12 09:00", 30))}, lastID: 3,
			want: ItemStatus{Status: StatusAtRisk, Percent: 100.0 / 3, Value: &Amount{50 * DecimalScale, "户"}, Expected: 50, DaysSilent: 4}},
		{name: "every owner done is done", item: perOwner,
			reports: []Report{by("zhao", hu(1, "2027-03-05 09:00", 30)), by("zhao", doneAt(2, "2027-03-10 09:00")),
				by("qian", doneAt(3, "2027-03-11 09:00")), by("li>sun", doneAt(4, "2027-03-12 09:00"))}, lastID: 4,
			want: ItemStatus{Status: StatusDone, Percent: 100, Value: &Amount{30 * DecimalScale, "户"}, Expected: 50, DaysSilent: 4}},
		{name: "some owners done is not done", item: perOwner,
			reports: []Report{by("zhao", hu(1, "2027-03-05 09:00", 30)), by("zhao", doneAt(2, "2027-03-10 09:00")),
				by("qian", doneAt(3, "2027-03-11 09:00"))}, lastID: 3,
			want: ItemStatus{Status: StatusAtRisk, Percent: 20, Value: &Amount{30 * DecimalScale, "户"}, Expected: 50, DaysSilent: 5}},
		{name: "an owner's done is undone by their later report", item: perOwner,
			reports: []Report{by("zhao", doneAt(1, "2027-03-05 09:00")), by("qian", doneAt(2, "2027-03-06 09:00")),
				by("sun", doneAt(3, "2027-03-07 09:00")), by("zhao", hu(4, "2027-03-10 09:00", 90))}, lastID: 4,
			want: ItemStatus{Status: StatusOnTrack, Percent: 60, Value: &Amount{90 * DecimalScale, "户"}, Expected: 50, DaysSilent: 6}},
		{name: "the sum reaching the target is done", item: perOwner,
			reports: []Report{by("zhao", hu(1, "2027-03-05 09:00", 100)), by("qian", hu(2, "2027-03-06 09:00", 60))}, lastID: 2,
			want: ItemStatus{Status: StatusDone, Percent: 100, Value: &Amount{160 * DecimalScale, "户"}, Expected: 50, DaysSilent: 10}},
		{name: "a percent-only report adds nothing but is a report", item: perOwner,
			reports: []Report{by("zhao", hu(1, "2027-03-01 09:00", 30)), by("qian", pct(2, "2027-03-15 09:00", 60)),
				by("zhao", pct(3, "2027-03-16 09:00", 80))}, lastID: 3,
			want: ItemStatus{Status: StatusAtRisk, Percent: 20, Value: &Amount{30 * DecimalScale, "户"}, Expected: 50}},
		{name: "only percents: no figure", item: perOwner,
			reports: []Report{by("qian", pct(1, "2027-03-10 09:00", 60))}, lastID: 1,
			want: ItemStatus{Status: StatusAtRisk, Expected: 50, DaysSilent: 6}},
		{name: "a value in another unit adds nothing", item: perOwner,
			reports: []Report{by("zhao", hu(1, "2027-03-10 09:00", 30)), by("qian", valueAt(2, "2027-03-12 09:00", 20, "元"))}, lastID: 2,
			want: ItemStatus{Status: StatusAtRisk, Percent: 20, Value: &Amount{30 * DecimalScale, "户"}, Expected: 50, DaysSilent: 4}},
		{name: "a former owner's report still counts", item: perOwner,
			reports: []Report{by("old", hu(1, "2027-03-02 09:00", 45)), by("zhao", hu(2, "2027-03-10 09:00", 30))}, lastID: 2,
			want: ItemStatus{Status: StatusOnTrack, Percent: 50, Value: &Amount{75 * DecimalScale, "户"}, Expected: 50, DaysSilent: 6}},
		{name: "a former owner's done is not needed for done", item: perOwner,
			reports: []Report{by("zhao", doneAt(1, "2027-03-05 09:00")), by("qian", doneAt(2, "2027-03-06 09:00")),
				by("old", hu(3, "2027-03-07 09:00", 10)), by("sun", doneAt(4, "2027-03-08 09:00"))}, lastID: 4,
			want: ItemStatus{Status: StatusDone, Percent: 100, Value: &Amount{10 * DecimalScale, "户"}, Expected: 50, DaysSilent: 8}},
		{name: "never reported", item: perOwner,
			want: ItemStatus{Status: StatusNoReport, Expected: 50, DaysSilent: 15}},
		{name: "everything withdrawn is never reported", item: perOwner,
			reports: []Report{by("zhao", hu(1, "2027-03-02 09:00", 30)), by("zhao", withdraw(2, "2027-03-02 09:01", 1))},
			want:    ItemStatus{Status: StatusNoReport, Expected: 50, DaysSilent: 15}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DeriveStatus(tt.item, tt.reports, ts(now), shanghai, DefaultRules)
			var gotID int64
			if got.Last != nil {
				gotID = got.Last.ID
			}
			if got.Status != tt.want.Status || !near(got.Percent, tt.want.Percent) || !near(got.Expected, tt.want.Expected) ||
				got.DaysOverdue != tt.want.DaysOverdue || got.DaysSilent != tt.want.DaysSilent || gotID != tt.lastID ||
				amountText(got.Value) != amountText(tt.want.Value) {
				t.Errorf("got  %s %.6f%% %s expected %.6f%% overdue %d silent %d last #%d\nwant %s %.6f%% %s expected %.6f%% overdue %d silent %d last #%d",
					got.Status, got.Percent, amountText(got.Value), got.Expected, got.DaysOverdue, got.DaysSilent, gotID,
					tt.want.Status, tt.want.Percent, amountText(tt.want.Value), tt.want.Expected, tt.want.DaysOverdue, tt.want.DaysSilent, tt.lastID)
			}
		})
	}
}

func TestItemShares(t *testing.T) {
	reports := []Report{
		by("old", hu(1, "2027-03-02 09:00", 5)),
		by("qian", hu(2, "2027-03-05 09:00", 20)),
		by("zhao", hu(3, "2027-03-06 09:00", 30)),
		by("wen>zhao", note(4, "2027-03-07 09:00")),
		by("qian", doneAt(5, "2027-03-08 09:00")),
		by("li", pct(6, "2027-03-09 09:00", 10)),
		by("zhao", withdraw(7, "2027-03-09 10:00", 4)),
		by("old", hu(8, "2027-03-10 09:00", 7)),
	}
	// Owners first in their order (sun never reported), then the others
	// in the order they first reported.
	want := []string{"zhao 30户 last #3", "qian 20户 done last #5", "sun nil", "old 7户 last #8", "li nil last #6"}
	var got []string
	for _, s := range ItemShares(coop(TallyPerOwner), reports) {
		line := s.Owner + " " + amountText(s.Value)
		if s.Done {
			line += " done"
		}
		if s.Last != nil {
			line += fmt.Sprintf(" last #%d", s.Last.ID)
		}
		got = append(got, line)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("shares:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := ItemShares(coop(""), reports); s != nil {
		t.Errorf("a shared item has shares: %+v", s)
	}

	// Shares are copies: a caller may keep and change them.
	shares := ItemShares(coop(TallyPerOwner), reports)
	shares[0].Last.Note = "changed"
	shares[0].Value.Value = 0
	if reports[2].Note != "" || reports[2].Value.Value != 30*DecimalScale {
		t.Error("a share aliases the caller's history")
	}
}

// A shared item's Value is the figure its progress comes from, and only
// that.
func TestDeriveStatusSharedValue(t *testing.T) {
	crabs := Item{Code: "2.3", Start: day("2027-03-01"), Due: day("2027-03-31"), Target: &Amount{Value: 200000 * DecimalScale, Unit: "只"}}
	withPct := valueAt(1, "2027-03-10 09:00", 150000, "只")
	p := 70.0
	withPct.Percent = &p
	tests := []struct {
		name    string
		item    Item
		reports []Report
		want    string
	}{
		{"value", crabs, []Report{valueAt(1, "2027-03-10 09:00", 100000, "只")}, "100000只"},
		{"a note keeps the figure", crabs, []Report{valueAt(1, "2027-03-10 09:00", 100000, "只"), note(2, "2027-03-11 09:00")}, "100000只"},
		{"a percent replaces the figure", crabs, []Report{valueAt(1, "2027-03-10 09:00", 100000, "只"), pct(2, "2027-03-11 09:00", 60)}, "nil"},
		{"a percent with a value", crabs, []Report{withPct}, "150000只"},
		{"another unit", crabs, []Report{pct(1, "2027-03-10 09:00", 45), valueAt(2, "2027-03-11 09:00", 100000, "元")}, "nil"},
		{"no target", Item{Start: crabs.Start, Due: crabs.Due}, []Report{valueAt(1, "2027-03-10 09:00", 100000, "只")}, "nil"},
		{"none", crabs, nil, "nil"},
	}
	for _, tt := range tests {
		if got := amountText(DeriveStatus(tt.item, tt.reports, ts("2027-03-16 12:00"), shanghai, DefaultRules).Value); got != tt.want {
			t.Errorf("%s: Value %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestTallyValid(t *testing.T) {
	for _, v := range []Tally{"", TallyShared, TallyPerOwner} {
		if !v.Valid() {
			t.Errorf("%q not valid", v)
		}
	}
	if Tally("per_village").Valid() {
		t.Error("per_village is valid")
	}
}

func TestShareOwner(t *testing.T) {
	if got := ShareOwner(Report{Reporter: "wen", OnBehalfOf: "zhao"}); got != "zhao" {
		t.Errorf("on behalf: %q", got)
	}
	if got := ShareOwner(Report{Reporter: "zhao"}); got != "zhao" {
		t.Errorf("own: %q", got)
	}
}

// BenchmarkDeriveStatusPerOwner is BenchmarkDeriveStatus's history shape
// for 1.3 with its three villages taking turns, each reporting households.
func BenchmarkDeriveStatusPerOwner(b *testing.B) {
	item := coop(TallyPerOwner)
	item.Start, item.Due = day("2027-01-01"), day("2027-12-31")
	var reports []Report
	at := ts("2027-01-04 09:00")
	for id := int64(1); len(reports) < 150; id++ {
		r := Report{ID: id, ItemCode: item.Code, At: at, Reporter: item.Owners[id%3]}
		switch {
		case id%15 == 0:
			r.Supersedes, r.Withdrawn = id-1, true
		case id%10 == 0:
			r = hu(id, "2027-01-04 09:00", float64(id)/9)
			r.At, r.Reporter, r.Supersedes = at, item.Owners[(id-1)%3], id-1
		case id%3 == 0:
			r.Note = "现场推进"
		default:
			r = hu(id, "2027-01-04 09:00", float64(id)/6)
			r.At, r.Reporter = at, item.Owners[id%3]
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

// ItemShares agrees with reading Effective's reports one by one, on any
// history storage can hold, and the per_owner progress with their sum.
func TestItemSharesMatchEffective(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	item := coop(TallyPerOwner)
	who := []string{"zhao", "qian", "sun", "old", "li>zhao"}
	for range 2000 {
		h := randomHistory(rng, item.Target)
		for i := range h {
			h[i].Reporter, h[i].OnBehalfOf, _ = strings.Cut(who[rng.IntN(len(who))], ">")
		}
		want := map[string][2]string{} // owner → last ID, value
		var order []string
		for _, r := range Effective(h) {
			o := ShareOwner(r)
			if _, ok := want[o]; !ok && !slices.Contains(item.Owners, o) {
				order = append(order, o)
			}
			w := want[o]
			w[0] = fmt.Sprint(r.ID)
			if valueCounts(r, item.Target) {
				w[1] = r.Value.String()
			}
			want[o] = w
		}
		shares := ItemShares(item, h)
		if got, wantOrder := len(shares), len(item.Owners)+len(order); got != wantOrder {
			t.Fatalf("%d shares, want %d\nhistory %+v", got, wantOrder, h)
		}
		var sum Decimal
		for k, s := range shares {
			if k >= len(item.Owners) && s.Owner != order[k-len(item.Owners)] {
				t.Fatalf("share %d is %s, want %s", k, s.Owner, order[k-len(item.Owners)])
			}
			var got [2]string
			if s.Last != nil {
				got[0] = fmt.Sprint(s.Last.ID)
			}
			if s.Value != nil {
				got[1] = s.Value.String()
				sum += s.Value.Value
			}
			if got != want[s.Owner] {
				t.Fatalf("%s: %v, want %v\nhistory %+v", s.Owner, got, want[s.Owner], h)
			}
		}
		st := DeriveStatus(item, h, ts("2027-03-16 12:00"), shanghai, DefaultRules)
		if st.Last != nil && st.Status != StatusDone && !near(st.Percent, clampPercent(sum.Float64()/150*100)) {
			t.Fatalf("percent %v, want %v from the shares", st.Percent, sum.Float64()/150*100)
		}
	}
}
