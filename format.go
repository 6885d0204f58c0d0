package planbot

import (
	"fmt"
	"strings"
	"unicode"
)

// The short forms the chat and the reminders both show a person on a phone.

// FormatPercent shows 45.0 as "45%" and 45.25 as "45.3%".
func FormatPercent(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	return strings.TrimSuffix(strings.TrimSuffix(s, "0"), ".") + "%"
}

// Phrase says how an item stands in a few words: 逾期 3 天, 有风险（应达 45%）,
// 16 天未汇报, 未开始，已提前汇报, or the status's label.
func (st ItemStatus) Phrase() string {
	switch st.Status {
	case StatusOverdue:
		return fmt.Sprintf("逾期 %d 天", st.DaysOverdue)
	case StatusAtRisk:
		return fmt.Sprintf("有风险（应达 %s）", FormatPercent(st.Expected))
	case StatusNoReport:
		return fmt.Sprintf("%d 天未汇报", st.DaysSilent)
	case StatusNotStarted:
		if st.Early {
			return "未开始，已提前汇报"
		}
	}
	return st.Status.Label()
}

// Short shows a date the way people write it, 6月30日, with the year only
// when it is not year; a zero date is "—".
func (d Date) Short(year int) string {
	if d.IsZero() {
		return "—"
	}
	if d.Year != year {
		return fmt.Sprintf("%d年%d月%d日", d.Year, d.Month, d.Day)
	}
	return fmt.Sprintf("%d月%d日", d.Month, d.Day)
}

// ReportWords is the line a list shows for a report (最近汇报 …): the
// figure, unit and words as the reporter wrote them, at most max runes,
// cut at a word boundary only when too long. A report stored without its
// words (made by a button, or before they were kept) reads as its figure
// in the item's unit followed by its note: 12批，累计接待客商.
func ReportWords(r Report, max int) string {
	s := strings.Join(strings.Fields(r.Words), " ")
	if s == "" {
		var parts []string
		switch {
		case r.Done:
			parts = append(parts, "完成")
		case r.Percent != nil:
			parts = append(parts, "进度 "+FormatPercent(*r.Percent))
		}
		if r.Value != nil {
			parts = append(parts, FriendlyAmount(*r.Value))
		}
		figure := strings.Join(parts, " ")
		note := strings.Join(strings.Fields(r.Note), " ")
		switch {
		case figure != "" && note != "":
			s = figure + "，" + note
		case figure != "":
			s = figure
		case note != "":
			s = note
		case len(r.PhotoIDs) > 0:
			s = fmt.Sprintf("佐证材料 %d 份", len(r.PhotoIDs))
		}
	}
	return CutWords(s, max)
}

// FriendlyAmount shows a count the way people say it: 150000只 as 15万只;
// money, percentages and small counts as they are.
func FriendlyAmount(a Amount) string {
	if a.Unit != "" && a.Unit != "元" && a.Unit != "%" && a.Value >= DecimalFromInt(10000) {
		if s, err := a.Format("万"+a.Unit, 2); err == nil {
			return s
		}
	}
	return a.String()
}

// AmountIn shows an amount in a preferred unit when it converts exactly
// enough, else in its own readable form.
func AmountIn(a Amount, unit string) string {
	if unit != "" {
		if s, err := a.Format(unit, 2); err == nil {
			return s
		}
	}
	return a.String()
}

// CutWords shortens s to at most max runes, ending in "…": at the last
// space or punctuation mark that leaves at least half of it, else at the
// last place that does not split a figure from its digits or its unit
// (12批 stays whole). s is returned as it is when it fits.
func CutWords(s string, max int) string {
	r := []rune(strings.ToValidUTF8(s, "\uFFFD"))
	if len(r) <= max || max < 2 {
		return string(r)
	}
	limit := max - 1 // room for the ellipsis
	for i := limit; i >= limit/2 && i > 0; i-- {
		if isBreak(r[i]) {
			return strings.TrimRight(string(r[:i]), " ，,、；;：:") + "…"
		}
	}
	for i := limit; i > 0; i-- {
		if !inFigure(r[i-1], r[i]) {
			return string(r[:i]) + "…"
		}
	}
	return string(r[:limit]) + "…"
}

func isBreak(c rune) bool {
	return unicode.IsSpace(c) || unicode.IsPunct(c) && !strings.ContainsRune(".%", c)
}

// inFigure: a cut between a and b would split a figure (3.2亿, 12批, 60%,
// an English word).
func inFigure(a, b rune) bool {
	word := func(c rune) bool {
		return c < 0x80 && (unicode.IsLetter(c) || unicode.IsDigit(c)) || c == '.' || c == '%'
	}
	return word(a) && word(b) || unicode.IsDigit(a) || unicode.IsDigit(b) && (word(a) || strings.ContainsRune("约近超", a))
}
