package intake

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"planbot"
)

// Leave (请假) in words. A message is a leave only when one clause of it is
// the speaker's own leave and nothing else: "请假到12月15日",
// "我12月10日到15日请假", "请假三天", "明天请假", "因病请假两天，住院".
// Someone else's leave ("因村支书请假，进度推迟", "村支书请假了") has
// words before 请假 that are not the speaker, so it stays a report.
const (
	IntentLeave    IntentKind = "leave"     // the sender will be away: Leave holds the span
	IntentLeaveEnd IntentKind = "leave_end" // 销假: the sender is back
)

// MaybeLeave is a cheap test before Understand: a message without these
// words is never a leave.
func MaybeLeave(text string) bool {
	return strings.Contains(text, "请假") || strings.Contains(text, "休假") || strings.Contains(text, "销假")
}

// The pieces of a leave clause, matched on the clause without spaces.
const (
	leaveWho  = `(?:我|本人)?(?:因病|因事|因故|有事)?(?:要|想|需要|准备|申请|计划)?`
	leaveDay  = `(?:[0-9]{4}年)?[0-9]{1,2}月[0-9]{1,2}[日号]?|[0-9]{1,2}[日号]|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|今天|明天|后天|今日|明日`
	leaveTill = `(?:到|至|-|—|~|～)`
	leaveVerb = `(?:请假|休假)`
	leaveNum  = `[0-9]{1,3}|[一二两三四五六七八九十]{1,3}`
)

var (
	// 请假到12月15日, 明天起请假到15号
	leaveUntil = regexp.MustCompile(`^` + leaveWho + `(?:从|自)?(` + leaveDay + `)?(?:起|开始)?` + leaveVerb + `(?:到|至)(` + leaveDay + `)(?:为止|止)?$`)
	// 我12月10日到15日请假
	leaveSpanFirst = regexp.MustCompile(`^` + leaveWho + `(?:从|自)?(` + leaveDay + `)` + leaveTill + `(` + leaveDay + `)` + leaveVerb + `$`)
	// 请假12月10日到15日
	leaveSpanAfter = regexp.MustCompile(`^` + leaveWho + leaveVerb + `(?:从|自)?(` + leaveDay + `)` + leaveTill + `(` + leaveDay + `)$`)
	// 请假三天, 明天起请假两天, 下周请假一周
	leaveDays = regexp.MustCompile(`^` + leaveWho + `(?:从|自)?(` + leaveDay + `)?(?:起|开始)?` + leaveVerb + `(` + leaveNum + `)(天|日|周|个星期|星期)$`)
	// 明天请假, 明天我请假一天, 12月5日请假
	leaveOneDay = regexp.MustCompile(`^(?:我|本人)?(` + leaveDay + `)` + leaveWho + leaveVerb + `(?:一天|1天)?$`)
	// 我要请假: a leave without its span
	leaveBare = regexp.MustCompile(`^` + leaveWho + leaveVerb + `$`)
	// 我下周请假: a leave whose days are not said
	leaveVague = regexp.MustCompile(`^(?:我|本人)?(?:下周[一二三四五六日天]?|下星期.|周[一二三四五六日]|星期.|下个月|月底|这几天|近期|过几天|过两天)(?:我)?` + leaveWho + leaveVerb + `$`)
	// 销假, 我已经销假了, 提前销假
	leaveEnd = regexp.MustCompile(`^(?:我|本人)?(?:已|已经|要|想|申请)?(?:提前)?销假$`)
)

// leaveClauses splits a message into its clauses.
func leaveClauses(t string) []string {
	return strings.FieldsFunc(t, func(r rune) bool { return strings.ContainsRune("，,。；;！!\n、", r) })
}

// reportLike says whether a clause beside a leave looks like progress,
// which must not be lost inside a leave: a figure or work words.
func reportLike(c string) bool {
	return strings.ContainsFunc(c, func(r rune) bool { return unicode.IsDigit(r) || r == '%' }) || workStatement.MatchString(c)
}

// readLeave reads t (folded) as a leave or a 销假. A day without a year is
// the next such day from today (or from the leave's first day); year, the
// plan's, only shortens how days are written back.
func readLeave(t string, year int, today planbot.Date) (Intent, bool) {
	if !MaybeLeave(t) {
		return Intent{}, false
	}
	var found *Intent
	var reason string
	var rest []string
	for _, clause := range leaveClauses(t) {
		if found == nil {
			if in, ok := leaveClause(clause, year, today); ok {
				found, reason = &in, leaveReason.FindString(clause)
				continue
			}
		}
		if c := strings.TrimSpace(clause); c != "" {
			rest = append(rest, c)
		}
	}
	if found == nil {
		return Intent{}, false
	}
	in := *found
	for _, c := range rest {
		if reportLike(c) {
			return Intent{Kind: IntentUnknown, Problem: "请假和汇报请分两条发送：先发请假（如：请假到12月15日），再发汇报"}, true
		}
	}
	if reason != "" {
		rest = append([]string{reason}, rest...)
	}
	in.Note = strings.Join(rest, "，")
	if in.Leave != nil {
		in.Leave.Note = in.Note
	}
	return in, true
}

// leaveReason is a reason said inside the leave clause (因病请假三天).
var leaveReason = regexp.MustCompile(`因病|因事|因故|有事`)

// leaveClause reads one clause, spaces and a final 了 removed.
func leaveClause(clause string, year int, today planbot.Date) (Intent, bool) {
	c := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, clause)
	c = strings.TrimRight(c, "了啦哈呀~～")
	if leaveEnd.MatchString(c) {
		return Intent{Kind: IntentLeaveEnd}, true
	}
	span := func(fromText, toText string) Intent {
		from := today
		if fromText != "" {
			d, problem := leaveDate(fromText, year, today, today)
			if problem != "" {
				return leaveProblem(problem)
			}
			from = d
		}
		to, problem := leaveDate(toText, year, today, from)
		if problem != "" {
			return leaveProblem(problem)
		}
		return leaveSpan(from, to, year, today)
	}
	if m := leaveUntil.FindStringSubmatch(c); m != nil {
		return span(m[1], m[2]), true
	}
	if m := leaveSpanFirst.FindStringSubmatch(c); m != nil {
		return span(m[1], m[2]), true
	}
	if m := leaveSpanAfter.FindStringSubmatch(c); m != nil {
		return span(m[1], m[2]), true
	}
	if m := leaveDays.FindStringSubmatch(c); m != nil {
		from := today
		if m[1] != "" {
			d, problem := leaveDate(m[1], year, today, today)
			if problem != "" {
				return leaveProblem(problem), true
			}
			from = d
		}
		n, ok := smallNumber(m[2])
		if !ok || n < 1 {
			return leaveProblem(fmt.Sprintf("看不懂请假天数“%s”：请写如 请假3天，或 请假到12月15日", clipText(m[2]))), true
		}
		if m[3] != "天" && m[3] != "日" {
			n *= 7
		}
		if n > 366 {
			return leaveProblem("请假天数太多：请写到哪天为止，如 请假到12月15日"), true
		}
		return leaveSpan(from, from.AddDays(n-1), year, today), true
	}
	if m := leaveOneDay.FindStringSubmatch(c); m != nil {
		d, problem := leaveDate(m[1], year, today, today)
		if problem != "" {
			return leaveProblem(problem), true
		}
		return leaveSpan(d, d, year, today), true
	}
	if leaveBare.MatchString(c) || leaveVague.MatchString(c) {
		return leaveProblem("请说明请假到哪天，例如：请假到12月15日；或：请假3天"), true
	}
	return Intent{}, false
}

func leaveProblem(p string) Intent { return Intent{Kind: IntentLeave, Problem: p} }

// leaveSpan checks a span: in order, within the plan year, not over.
func leaveSpan(from, to planbot.Date, year int, today planbot.Date) Intent {
	switch {
	case from.DaysUntil(to) > 365:
		return leaveProblem("请假超过一年，请联系党政办登记")
	case !today.IsZero() && to.Before(today):
		return leaveProblem(fmt.Sprintf("请假结束日期 %s 已过", to.Short(year)))
	case to.Before(from):
		return leaveProblem(fmt.Sprintf("请假结束日期 %s 早于开始日期 %s", to.Short(year), from.Short(year)))
	}
	return Intent{Kind: IntentLeave, Leave: &planbot.Leave{From: from, To: to, Source: planbot.LeaveFromChat}}
}

var (
	leaveYMD = regexp.MustCompile(`^(?:([0-9]{4})年)?([0-9]{1,2})月([0-9]{1,2})[日号]?$`)
	leaveISO = regexp.MustCompile(`^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$`)
	leaveDD  = regexp.MustCompile(`^([0-9]{1,2})[日号]$`)
)

// leaveDate reads one day of a leave. A day without a month (15号) is in
// base's month, or the next one when that day has passed in it.
func leaveDate(s string, year int, today, base planbot.Date) (planbot.Date, string) {
	switch s {
	case "今天", "今日":
		return today, ""
	case "明天", "明日":
		return today.AddDays(1), ""
	case "后天":
		return today.AddDays(2), ""
	}
	y, m, d := 0, 0, 0
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	if g := leaveYMD.FindStringSubmatch(s); g != nil {
		m, d = atoi(g[2]), atoi(g[3])
		if g[1] != "" {
			y = atoi(g[1])
		} else {
			// 12月15日 said on 5 December 2026 is ten days away, whatever
			// year the plan is for; 1月5日 said on 20 December is next
			// year's. A day a little behind (12月1日 on 4 December) is this
			// year's, and is refused as over, not taken for next year's.
			y = base.Year
			if base.AddDays(-183).DaysUntil(planbot.Date{Year: y, Month: time.Month(m), Day: d}) < 0 {
				y++
			}
		}
	} else if g := leaveISO.FindStringSubmatch(s); g != nil {
		y, m, d = atoi(g[1]), atoi(g[2]), atoi(g[3])
	} else if g := leaveDD.FindStringSubmatch(s); g != nil {
		y, m, d = base.Year, int(base.Month), atoi(g[1])
		if d < base.Day {
			m++
			if m > 12 {
				y, m = y+1, 1
			}
		}
	} else {
		return planbot.Date{}, "看不懂日期“" + clipText(s) + "”：请写如 12月15日"
	}
	if y == 0 {
		y = today.Year
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || t.Day() != d {
		return planbot.Date{}, "“" + clipText(s) + "”不是有效日期"
	}
	return planbot.Date{Year: y, Month: time.Month(m), Day: d}, ""
}

// smallNumber reads 3, 三, 两, 十五, 二十.
func smallNumber(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	digit := func(r rune) int { return strings.IndexRune("零一二三四五六七八九", r) / len("一") }
	rs := []rune(strings.ReplaceAll(s, "两", "二"))
	n, cur := 0, -1
	for _, r := range rs {
		switch {
		case r == '十':
			if cur < 0 {
				cur = 1
			}
			n, cur = n+cur*10, -1
		case strings.ContainsRune("一二三四五六七八九", r):
			if cur >= 0 {
				return 0, false // 三五天
			}
			cur = digit(r)
		default:
			return 0, false
		}
	}
	if cur > 0 {
		n += cur
	}
	return n, n > 0
}

// ReadLeave reads what follows /leave (/请假): a last day (12月15日), a
// span (12月10日到15日), a number of days (3天) or a day (明天); "off"
// or 销假 ends the leave.
func ReadLeave(args string, year int, today planbot.Date) (Intent, bool) {
	t := fold(args)
	switch strings.ToLower(t) {
	case "off", "end", "销假", "取消", "结束":
		return Intent{Kind: IntentLeaveEnd}, true
	}
	if in, ok := readLeave(t, year, today); ok {
		return in, true
	}
	head, tail, _ := strings.Cut(t, " ")
	for _, try := range []string{"请假到" + head, "请假" + head, head + "请假"} {
		if tail != "" {
			try += "，" + tail // the rest is the reason: /leave 12月15日 住院
		}
		if in, ok := readLeave(try, year, today); ok {
			return in, true
		}
	}
	return Intent{}, false
}
