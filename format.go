package planbot

import (
	"fmt"
	"strings"
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
