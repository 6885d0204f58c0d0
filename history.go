package planbot

import (
	"slices"
	"time"
)

// HistoryNeed says which moments a reader derives statuses at, so that
// storage hands it the few reports those derivations read instead of every
// report ever made: a county keeps a dozen years of weekly reports, and
// every view, reminder and digest used to read them all (issue 15).
//
// The reports always include what DeriveStatus and ItemShares read now
// (see Needed); Before adds what they read at earlier moments, and Since
// the recent reports themselves, for a reader that counts them.
type HistoryNeed struct {
	// Since, when not zero, adds every report from the first one stamped
	// at or after Since on (by ID, so that a correction of a recent report
	// comes with it even when clocks disagree): for "reported this week".
	Since time.Time
	// Before adds, for each moment t, what DeriveStatus and ItemShares
	// read on ReportsBefore(history, t): the status as it was at t. It
	// also moves Since back to t (see From).
	Before []time.Time
}

// From is where the suffix of recent reports starts: Since, or the
// earliest moment of Before when that is earlier. A report that counted
// at t and was corrected or withdrawn since is then read with what
// superseded it (stamped at t or later, so in the suffix), and does not
// pass for the latest report now.
func (n HistoryNeed) From() time.Time {
	from := n.Since
	for _, t := range n.Before {
		if from.IsZero() || t.Before(from) {
			from = t
		}
	}
	return from
}

// Needed is the part of an item's history (ordered by ID, superseded rows
// and withdrawals included) that need asks for: storage's indexed queries
// must return exactly these reports, and TestNeededDerivesAsTheWhole checks
// that they derive what the whole history does. For each moment (now,
// that is every report, and each of need.Before) it keeps:
//
//   - the latest effective report, and the latest effective one that gives
//     a progress of its own (latestEffective's last and bearing);
//   - on a per_owner item, for each share owner, their first effective
//     report (which orders the shares), their latest, and their latest
//     whose figure counts toward the target (shareIndexes).
//
// and every report from the first one stamped at or after need.From() on.
//
// A report effective in the part is then effective in the whole, at each
// of those moments: what counts now has no superseder; what counted at t
// has its superseders in the suffix (stamped at t or later); and a
// report in the suffix has its own there (a correction has a larger ID).
func Needed(item Item, history []Report, need HistoryNeed) []Report {
	keep := map[int64]bool{}
	standing(item, history, keep)
	for _, t := range need.Before {
		standing(item, ReportsBefore(history, t), keep)
	}
	if since := need.From(); !since.IsZero() {
		from := int64(-1)
		for i := range history {
			if !history[i].At.Before(since) && (from < 0 || history[i].ID < from) {
				from = history[i].ID
			}
		}
		for i := range history {
			if from >= 0 && history[i].ID >= from {
				keep[history[i].ID] = true
			}
		}
	}
	var out []Report
	for _, r := range history {
		if keep[r.ID] {
			out = append(out, r)
		}
	}
	return out
}

// standing marks in keep the reports of history that DeriveStatus and
// ItemShares read, as Needed says.
func standing(item Item, history []Report, keep map[int64]bool) {
	last, bearing := latestEffectiveAnyOrder(history, item.Target)
	for _, i := range [2]int{last, bearing} {
		if i >= 0 {
			keep[history[i].ID] = true
		}
	}
	if item.Tally != TallyPerOwner {
		return
	}
	var sup supersededSet
	sup.fill(history)
	first := map[string]bool{}
	for i := range history {
		r := &history[i]
		if r.Withdrawn || sup.has(r.ID) {
			continue
		}
		if o := ShareOwner(*r); !first[o] {
			first[o] = true
			keep[r.ID] = true
		}
	}
	for _, x := range shareIndexes(item, history) {
		for _, i := range [2]int{x.last, x.value} {
			if i >= 0 {
				keep[history[i].ID] = true
			}
		}
	}
}

// ReportsBefore is the part of history stamped before t, in its order:
// what the history was at t. Histories are ordered by ID and, nearly
// always, by time too: then the answer is a prefix and nothing is copied.
func ReportsBefore(history []Report, t time.Time) []Report {
	n := len(history)
	for n > 0 && !history[n-1].At.Before(t) {
		n--
	}
	if !slices.ContainsFunc(history[:n], func(r Report) bool { return !r.At.Before(t) }) {
		return history[:n]
	}
	out := make([]Report, 0, n)
	for i := range n {
		if history[i].At.Before(t) {
			out = append(out, history[i])
		}
	}
	return out
}
