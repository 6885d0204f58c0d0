package bot

import (
	"strings"
	"time"

	"planbot"
)

// The conversation's short names for the shared forms in reply.go and
// format.go, used on nearly every line it writes.

func esc(s string) string { return planbot.Escape(s) }

// clip keeps line breaks: a note is shown as written.
func clip(s string, n int) string { return planbot.Clip(s, n) }

func statusPhrase(st planbot.ItemStatus) string { return st.Phrase() }

func pct(f float64) string { return planbot.FormatPercent(f) }

// day shows a date the short way people write it: 6月30日, with the year
// only when it is not the plan year.
func day(d planbot.Date, year int) string { return d.Short(year) }

func when(t time.Time, loc *time.Location, year int) string {
	t = t.In(loc)
	return day(planbot.DateOf(t), year) + t.Format(" 15:04")
}

func amountIn(a planbot.Amount, unit string) string { return planbot.AmountIn(a, unit) }

func names(plan *planbot.Plan, keys []string) string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if p, ok := plan.Person(k); ok {
			out = append(out, esc(p.Name))
		} else {
			out = append(out, esc(k))
		}
	}
	return strings.Join(out, "、")
}

func friendly(a planbot.Amount) string { return planbot.FriendlyAmount(a) }

// note shows a user's words inside a line of ours: clipped, escaped and
// isolated.
func note(s string, n int) string {
	return planbot.Isolate(esc(clip(s, n)))
}
