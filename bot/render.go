package bot

import (
	"html"
	"strings"
	"time"
	"unicode/utf8"

	"planbot"
)

// esc makes a user-supplied string safe inside HTML parse mode. Invalid
// UTF-8 is replaced, since Telegram rejects it.
func esc(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return html.EscapeString(s)
}

// clip shortens a user string for a list line, counting runes.
func clip(s string, n int) string {
	r := []rune(strings.ToValidUTF8(s, "\uFFFD"))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

func statusPhrase(st planbot.ItemStatus) string { return st.Phrase() }

func pct(f float64) string { return planbot.FormatPercent(f) }

// day shows a date the short way people write it: 6月30日, with the year
// only when it is not the plan year.
func day(d planbot.Date, year int) string { return d.Short(year) }

func when(t time.Time, loc *time.Location, year int) string {
	t = t.In(loc)
	return day(planbot.DateOf(t), year) + t.Format(" 15:04")
}

// amountIn shows an amount in a preferred unit when it converts exactly
// enough, else in its own readable form.
func amountIn(a planbot.Amount, unit string) string {
	if unit != "" {
		if s, err := a.Format(unit, 2); err == nil {
			return s
		}
	}
	return a.String()
}

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

// friendly shows a count the way people say it: 150000只 as 15万只.
func friendly(a planbot.Amount) string {
	if a.Unit != "" && a.Unit != "元" && a.Unit != "%" && a.Value >= planbot.DecimalFromInt(10000) {
		if s, err := a.Format("万"+a.Unit, 2); err == nil {
			return s
		}
	}
	return a.String()
}

// note shows a user's words inside a line of ours: clipped, escaped, and
// wrapped in a Unicode isolate so a right-to-left mark in it cannot reorder
// the rest of the line.
func note(s string, n int) string {
	return "\u2068" + esc(clip(s, n)) + "\u2069"
}
