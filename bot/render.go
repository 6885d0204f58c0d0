package bot

import (
	"fmt"
	"html"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"planbot"
)

// MaxMessageLen is Telegram's limit on a message's text. It counts the text
// after entity parsing in UTF-16 code units; splitting the raw HTML at this
// length is therefore always safe, since tags only add to the raw length.
const MaxMessageLen = 4096

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

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// Split cuts an HTML message into parts of at most limit UTF-16 units, at
// line boundaries. The bot writes every tag it uses within one line, so a
// cut between lines never splits a tag; a single line longer than the limit
// (which the bot avoids by clipping user text) loses its tags and is cut
// between runes, never inside an entity like &amp;.
func Split(text string, limit int) []string {
	if utf16Len(text) <= limit {
		return []string{text}
	}
	var parts []string
	var cur strings.Builder
	curLen := 0
	flush := func() {
		if s := strings.TrimRight(cur.String(), "\n"); strings.TrimSpace(s) != "" {
			parts = append(parts, s)
		}
		cur.Reset()
		curLen = 0
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		n := utf16Len(line)
		if curLen+n > limit {
			flush()
		}
		if n > limit {
			for _, piece := range hardSplit(line, limit) {
				parts = append(parts, piece)
			}
			continue
		}
		cur.WriteString(line)
		curLen += n
	}
	flush()
	return parts
}

// hardSplit cuts one over-long line: tags are dropped (an open <b> cut in
// half would make Telegram refuse the message) and entities kept whole.
func hardSplit(line string, limit int) []string {
	plain := stripTags(strings.TrimRight(line, "\n"))
	var parts []string
	var cur strings.Builder
	curLen := 0
	for i := 0; i < len(plain); {
		tok := plain[i : i+1]
		if plain[i] == '&' {
			if j := strings.IndexByte(plain[i:], ';'); j > 0 && j < 10 {
				tok = plain[i : i+j+1]
			}
		} else {
			_, size := utf8.DecodeRuneInString(plain[i:])
			tok = plain[i : i+size]
		}
		n := utf16Len(tok)
		if curLen+n > limit {
			parts = append(parts, cur.String())
			cur.Reset()
			curLen = 0
		}
		cur.WriteString(tok)
		curLen += n
		i += len(tok)
	}
	if cur.Len() > 0 {
		parts = append(parts, cur.String())
	}
	return parts
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>' && in:
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mark is the colour mark of a status, as explained in /help.
func mark(s planbot.Status) string { return s.Mark() }

func statusPhrase(st planbot.ItemStatus) string {
	switch st.Status {
	case planbot.StatusOverdue:
		return fmt.Sprintf("逾期 %d 天", st.DaysOverdue)
	case planbot.StatusAtRisk:
		return fmt.Sprintf("有风险（应达 %s）", pct(st.Expected))
	case planbot.StatusNoReport:
		return fmt.Sprintf("%d 天未汇报", st.DaysSilent)
	}
	return st.Status.Label()
}

func pct(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "0"), ".")
	return s + "%"
}

// day shows a date the short way people write it: 6月30日, with the year
// only when it is not the plan year.
func day(d planbot.Date, year int) string {
	if d.IsZero() {
		return "—"
	}
	if d.Year != year {
		return fmt.Sprintf("%d年%d月%d日", d.Year, d.Month, d.Day)
	}
	return fmt.Sprintf("%d月%d日", d.Month, d.Day)
}

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
