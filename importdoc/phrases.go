package importdoc

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/6tail/lunar-go/calendar"

	"planbot"
)

// ---------------------------------------------------------------------------
// Titles
// ---------------------------------------------------------------------------

const cnNum = `(?:\d{1,2}|[一二三四五六七八九十]{1,3})`

var (
	// reFiller: words that open a clause without saying what is done
	// (注重、积极、深入、切实、全力 …) and enumerators (一是、首先).
	reFiller = lazyCompile(`^(?:[一二三四五六七八九十]是|首先|其次|再次|最后|同时|此外|另外|还要|也要|注重|积极|深入|切实|全力|进一步|持续|不断|努力|着力|着重|大力|全面|扎实|认真|坚决|继续|力争|我[镇乡]将|我街道将|全[镇乡]将|第[一二三四五六七八九十](?:，|,)?)`)
	// reTimeLead: a time phrase opening a clause; the dates say it already.
	reTimeLead = lazyCompile(`^(?:(?:于|从)?` + cnNum + `(?:\s*(?:至|到|-|—|~)\s*` + cnNum + `)?\s*月份?(?:` + cnNum + `\s*[日号])?(?:底|末|中旬|上旬|下旬)?(?:前|之前|以前|起|开始)?|(?:前|第)?[一二三四1-4]季度(?:末|底)?(?:前|之前|起)?|上半年|下半年|年中|年底前?|年末前?|年内|年终|全年|年度内|春节(?:前|之前|期间)?|汛期?前|国庆节?前)`)
	// reMeans: clauses saying how or on what basis (通过…、依托…、围绕…):
	// not the task itself, so not the title when a better clause follows.
	reMeans = lazyCompile(`^(?:通过|依托|围绕|按照|根据|依据|结合|借助|本着|立足|以|为了|坚持以|对照|对于|针对|面对|在[^\d，,]{1,10}$|[\p{Han}]{2,4}工作$)`)
	// reInlineDate: a deadline inside a clause (项目10月底前竣工): the
	// dates say it already.
	reInlineDate = lazyCompile(`(?:\d{1,2}月(?:\d{1,2}日)?(?:底|末|中旬|上旬|下旬)?(?:前|之前)|[一二三四1-4]季度(?:末|底)?(?:前)?|年底前|年内)`)
	// reNumLead: numbering left inside a clause (（4）养老保险).
	reNumLead = lazyCompile(`^(?:[（(]\d{1,2}[）)]|\d{1,2}[.、]|[①②③④⑤⑥⑦⑧⑨⑩])`)
)

// pairMax bounds a title made of two clauses, in display columns (a
// Chinese character takes two): 18 characters, shorter than TitleMax, so
// that it still reads at a glance on a phone and in the status table.
const pairMax = 36

// Title derives a short item title (at most TitleMax runes) from a sentence:
// the first clause that says what is done, with the filler and time words
// that open it dropped, followed by the next clause when both fit in
// pairMax.
// 注重提高党支部领办合作社质量，通过聘请专家… → 提高党支部领办合作社质量.
func Title(s string) string {
	type clause struct {
		text  string
		means bool
	}
	var cs []clause
	for _, p := range splitClauses(s) {
		p = stripLead(p)
		if q := strings.TrimSpace(reInlineDate.ReplaceAllString(p, "")); letters(q) >= 4 {
			p = q
		}
		if letters(p) == 0 {
			continue
		}
		cs = append(cs, clause{p, reMeans.MatchString(p) || letters(p) < 4})
	}
	if len(cs) == 0 {
		return ""
	}
	i := slices.IndexFunc(cs, func(c clause) bool { return !c.means })
	if i < 0 {
		i = 0
	}
	t := cs[i].text
	if i+1 < len(cs) && !cs[i+1].means && width(t+"，"+cs[i+1].text) <= pairMax {
		t += "，" + cs[i+1].text
	}
	return shorten(t)
}

// splitClauses splits at commas, colons and stops.
func splitClauses(s string) []string {
	rs := []rune(s)
	var out []string
	start := 0
	for i, r := range rs {
		if strings.ContainsRune("，,：:；;！？!?。", r) || (r == '.' && isStop(rs, i)) {
			out = append(out, string(rs[start:i]))
			start = i + 1
		}
	}
	return append(out, string(rs[start:]))
}

func stripLead(p string) string {
	for {
		q := strings.TrimLeft(strings.TrimSpace(p), "、，,.。；; ")
		if loc := reNumLead.FindStringIndex(q); loc != nil {
			if r, _ := utf8.DecodeRuneInString(q[loc[1]:]); unicode.IsLetter(r) || r == '“' {
				q = q[loc[1]:]
			}
		}
		for _, re := range []*lazyRegexp{reFiller, reTimeLead} {
			if loc := re.FindStringIndex(q); loc != nil && loc[1] > 0 {
				q = q[loc[1]:]
			}
		}
		q = strings.TrimSpace(q)
		if q == p {
			return strings.TrimRight(q, "等、，,.。；; ")
		}
		p = q
	}
}

// shorten cuts a title that is too long at a 、 和 及 与 并 (keeping at least
// six runes), else at TitleMax-1 runes with an ellipsis.
func shorten(t string) string {
	rs := []rune(t)
	if len(rs) <= TitleMax {
		return t
	}
	cut := -1
	for i := TitleMax; i >= 6; i-- {
		// never at a 、: a list cut short reads as the whole list
		if strings.ContainsRune("和及与并", rs[i]) && !strings.ContainsRune(string(rs[max(0, i-8):i]), '、') {
			cut = i
			if rs[i] == '及' && rs[i-1] == '以' {
				cut = i - 1
			}
			break
		}
	}
	out := string(rs[:TitleMax-1]) + "…"
	if cut >= 6 {
		out = string(rs[:cut])
	}
	if q := openQuote([]rune(out)); q >= 0 {
		out = cutQuote(rs, q)
	}
	return out
}

// quotePairs are the marks a title must not leave open.
var quotePairs = map[rune]rune{'“': '”', '《': '》', '（': '）', '「': '」'}

// openQuote is the index of the first quote or bracket left open in rs,
// -1 when every one is closed.
func openQuote(rs []rune) int {
	var stack []int
	for i, r := range rs {
		if _, ok := quotePairs[r]; ok {
			stack = append(stack, i)
			continue
		}
		if len(stack) > 0 && quotePairs[rs[stack[len(stack)-1]]] == r {
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) == 0 {
		return -1
	}
	return stack[0]
}

// cutQuote shortens a title whose quote, opened at q, does not fit:
// before the quote when enough is left, else the quote's first list
// element and 等 (实行“一个项目、一名领导、一套班子、一抓到底”工作机制 →
// 实行“一个项目”等工作机制), never a list cut off inside the quote.
func cutQuote(rs []rune, q int) string {
	before := strings.TrimRight(string(rs[:q]), "，,、和及与并 ")
	if runeLen(before) >= 6 {
		return before
	}
	end := slices.Index(rs[q+1:], quotePairs[rs[q]])
	if end < 0 {
		dropped := []rune(string(rs[:q]) + string(rs[q+1:]))
		return cmpOr(before, string(dropped[:min(len(dropped), TitleMax-1)])+"…")
	}
	end += q + 1
	inner := rs[q+1 : end]
	first := inner
	if i := slices.IndexFunc(inner, func(r rune) bool { return r == '、' || r == '，' || r == ',' }); i > 0 {
		first = inner[:i]
	}
	short := string(rs[:q+1]) + string(first) + string(rs[end]) + "等"
	if runeLen(short) > TitleMax {
		return string(rs[:TitleMax-1]) + "…"
	}
	if after := string(rs[end+1:]); runeLen(short+after) <= TitleMax {
		return short + after
	}
	return short
}

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

// DateInfo is what a sentence says about when its task starts and ends.
type DateInfo struct {
	Start, Due             planbot.Date
	StartPhrase, DuePhrase string   // "" when the default (1 January, 31 December)
	Earlier                []string // other deadlines before Due: "6月底前（2027-06-30）"
}

type dateHit struct {
	lo, hi     int
	phrase     string
	start, due planbot.Date // either may be zero: a deadline, a start, or both (a window)
}

var (
	reDay        = lazyCompile(`(` + cnNum + `)\s*月\s*(` + cnNum + `)\s*[日号](前|之前|以前|起|开始)?`)
	reMonthRange = lazyCompile(`(` + cnNum + `)\s*(?:至|到|-|—|~)\s*(` + cnNum + `)\s*月份?(底|末)?`)
	reMonthEnd   = lazyCompile(`(` + cnNum + `)\s*月份?\s*(底|末|中旬|上旬|下旬)(前|之前|以前)?`)
	reMonthStart = lazyCompile(`(` + cnNum + `)\s*月份?\s*(起|开始|启动)`)
	reMonthPre   = lazyCompile(`(` + cnNum + `)\s*月份?\s*(前|之前|以前)`)
	reQuarter    = lazyCompile(`(前)?第?([一二三四1-4])\s*季度(末|底)?(前|之前|以前|起|开始)?`)
	reNamed      = lazyCompile(`上半年|下半年|年中|年底|年末|年内|年终|全年|年度内|春节(?:前|之前|期间)?|国庆节?(?:前|之前)|五一(?:前|之前)|劳动节(?:前|之前)|汛期?(?:前|之前)|元旦(?:前|之前)`)
	reMonthOnly  = lazyCompile(`(` + cnNum + `)\s*月份?`)

	reDone        = lazyCompile(`^(?:前|底前)?(?:全部|全面|基本)?(?:完成|完工|建成|竣工|实现|到位)`)
	reYearBefore  = lazyCompile(`(20\d\d)\s*年度?\s*$`)
	reDigitBefore = lazyCompile(`(20\d\d)\s*$`)
)

// Dates reads the start and due dates of a task in the plan year from its
// sentence. Phrases understood (all in year):
//
//	6月底前、6月末 → 06-30; 6月中旬 → 06-20; 6月上旬 → 06-10; 6月15日前 → 06-15
//	5月前 → 04-30; 6月 (plain) → 06-01 … 06-30; 7至9月 → 07-01 … 09-30
//	5月起、5月份开始 → start 05-01; 5月1日起 → start 05-01
//	一季度末、前三季度 → 03-31 / 09-30; 三季度 (plain) → 07-01 … 09-30; 二季度起 → start 04-01
//	上半年、年中 → 06-30; 下半年 → 07-01 … 12-31; 年底、年末、年内、年终、全年 → 12-31
//	春节前 → the eve (除夕) of the plan year's Spring Festival, from the lunar
//	calendar (2027: 02-05); 春节期间 → 正月初六, the end of the holiday
//	汛前 → 05-31; 五一前 → 04-30; 国庆前 → 09-30; 元旦前 → 12-31
//
// A window followed by 完成/建成/实现… (三季度完成验收, 下半年完成复核) is a
// deadline only. Due is the latest deadline; earlier ones are listed in
// Earlier. Start is the earliest explicit start (5月起), else the start of
// the window when every phrase is a window (下半年开展, 三季度举办), else 1
// January. Without any phrase the task runs the whole year. A date under
// another year (到2030年底) is ignored.
func Dates(s string, year int) DateInfo {
	d := &dateScanner{s: s, year: year, read: make([]bool, len(s))}
	// The order matters: a phrase read once is not read again by a later,
	// looser pattern (6月31日 is not also 6月).
	d.scan(reDay, false, d.day)
	d.scan(reMonthRange, false, d.monthRange)
	d.scan(reMonthEnd, false, d.monthEnd)
	d.scan(reMonthStart, false, d.monthStart)
	d.scan(reMonthPre, false, d.monthPre)
	d.scan(reQuarter, false, d.quarter)
	d.scan(reNamed, true, d.named)
	d.scan(reMonthOnly, false, d.monthOnly)
	slices.SortFunc(d.hits, func(a, b dateHit) int { return a.lo - b.lo })
	return settleDates(d.hits, d.date(1, 1), d.date(12, 31))
}

// dateScanner collects the date phrases of one sentence.
type dateScanner struct {
	s    string
	year int
	hits []dateHit
	read []bool // bytes of every phrase read, used or not: 6月31日 is not also 6月
}

// phraseDates reads one match (m: the submatches, hi: where it ends) as a
// start, a deadline or both; ok false when it is no date after all.
type phraseDates func(m []string, hi int) (start, due planbot.Date, ok bool)

func (d *dateScanner) date(m, day int) planbot.Date {
	return planbot.Date{Year: d.year, Month: time.Month(m), Day: day}
}

func (d *dateScanner) lastDay(m int) planbot.Date { return d.date(m+1, 1).AddDays(-1) }

func (d *dateScanner) valid(m, day int) bool {
	return m >= 1 && m <= 12 && day >= 1 && day <= d.lastDay(m).Day
}

// deadline: a window (三季度, 6月, 下半年) followed by 完成 is a deadline.
func (d *dateScanner) deadline(hi int) bool {
	return reDone.MatchString(head(d.s[hi:], 24))
}

func (d *dateScanner) taken(lo, hi int) bool { return slices.Contains(d.read[lo:hi], true) }

// otherYear reports whether the phrase at lo is said of another year
// (到2030年底); named phrases starting with 年 take the year's digits
// right before them.
func (d *dateScanner) otherYear(lo int, named bool) bool {
	before := tail(d.s[:lo], 16)
	re := reYearBefore
	if named && strings.HasPrefix(d.s[lo:], "年") {
		re = reDigitBefore
	}
	if m := re.FindStringSubmatch(before); m != nil {
		y, _ := strconv.Atoi(m[1])
		return y != d.year
	}
	return false
}

// scan reads every match of re not already read, marking its bytes read
// and keeping it as a hit when f makes a date of it.
func (d *dateScanner) scan(re *lazyRegexp, named bool, f phraseDates) {
	s := d.s
	for _, loc := range re.FindAllStringSubmatchIndex(s, -1) {
		lo, hi := loc[0], loc[1]
		if d.taken(lo, hi) || d.otherYear(lo, named) {
			continue
		}
		// 每月 is not a date; nor are the digits of 112月 or 1.5月.
		r, _ := utf8.DecodeLastRuneInString(s[:lo])
		first, _ := utf8.DecodeRuneInString(s[lo:])
		if lo > 0 && (r == '每' || unicode.IsDigit(first) && (unicode.IsDigit(r) || r == '.')) {
			continue
		}
		m := make([]string, len(loc)/2)
		for i := range m {
			if loc[2*i] >= 0 {
				m[i] = s[loc[2*i]:loc[2*i+1]]
			}
		}
		for i := lo; i < hi; i++ {
			d.read[i] = true
		}
		start, due, ok := f(m, hi)
		if ok {
			d.hits = append(d.hits, dateHit{lo: lo, hi: hi, phrase: s[lo:hi], start: start, due: due})
		}
	}
}

// day: 6月30日前 is a deadline, 5月1日起 a start.
func (d *dateScanner) day(m []string, _ int) (planbot.Date, planbot.Date, bool) {
	mo, day := cnAtoi(m[1]), cnAtoi(m[2])
	if !d.valid(mo, day) {
		return planbot.Date{}, planbot.Date{}, false
	}
	if m[3] == "起" || m[3] == "开始" {
		return d.date(mo, day), planbot.Date{}, true
	}
	return planbot.Date{}, d.date(mo, day), true
}

// monthRange: 3至5月 is a window.
func (d *dateScanner) monthRange(m []string, _ int) (planbot.Date, planbot.Date, bool) {
	a, b := cnAtoi(m[1]), cnAtoi(m[2])
	if !d.valid(a, 1) || !d.valid(b, 1) || b < a {
		return planbot.Date{}, planbot.Date{}, false
	}
	return d.date(a, 1), d.lastDay(b), true
}

// monthEnd: 6月底, 6月上旬, 6月中旬 are deadlines.
func (d *dateScanner) monthEnd(m []string, _ int) (planbot.Date, planbot.Date, bool) {
	mo := cnAtoi(m[1])
	if !d.valid(mo, 1) {
		return planbot.Date{}, planbot.Date{}, false
	}
	switch m[2] {
	case "上旬":
		return planbot.Date{}, d.date(mo, 10), true
	case "中旬":
		return planbot.Date{}, d.date(mo, 20), true
	}
	return planbot.Date{}, d.lastDay(mo), true
}

// monthStart: 5月起 is a start.
func (d *dateScanner) monthStart(m []string, _ int) (planbot.Date, planbot.Date, bool) {
	mo := cnAtoi(m[1])
	return d.date(mo, 1), planbot.Date{}, d.valid(mo, 1)
}

// monthPre: 7月前 is the end of June.
func (d *dateScanner) monthPre(m []string, _ int) (planbot.Date, planbot.Date, bool) {
	mo := cnAtoi(m[1])
	if !d.valid(mo, 1) || mo == 1 {
		return planbot.Date{}, planbot.Date{}, false
	}
	return planbot.Date{}, d.lastDay(mo - 1), true
}

// quarter: 一季度末, 前三季度, 三季度完成 are deadlines; 二季度起 a start;
// a plain 三季度 a window.
func (d *dateScanner) quarter(m []string, hi int) (planbot.Date, planbot.Date, bool) {
	n := cnAtoi(m[2])
	if n < 1 || n > 4 {
		return planbot.Date{}, planbot.Date{}, false
	}
	from, to := d.date(3*n-2, 1), d.lastDay(3*n)
	switch {
	case m[1] == "前" || m[3] != "" || strings.HasSuffix(m[4], "前") || d.deadline(hi):
		return planbot.Date{}, to, true
	case m[4] == "起" || m[4] == "开始":
		return from, planbot.Date{}, true
	}
	return from, to, true
}

// named: the halves of the year, its end, and the holidays.
func (d *dateScanner) named(m []string, hi int) (planbot.Date, planbot.Date, bool) {
	switch w := m[0]; {
	case w == "上半年" || w == "年中":
		return planbot.Date{}, d.date(6, 30), true
	case w == "下半年" && d.deadline(hi):
		return planbot.Date{}, d.date(12, 31), true
	case w == "下半年":
		return d.date(7, 1), d.date(12, 31), true
	case strings.HasPrefix(w, "春节"):
		eve := springFestival(d.year).AddDays(-1)
		if strings.HasSuffix(w, "期间") {
			return planbot.Date{}, eve.AddDays(6), true
		}
		return planbot.Date{}, eve, true
	case strings.HasPrefix(w, "国庆"):
		return planbot.Date{}, d.date(9, 30), true
	case strings.HasPrefix(w, "五一"), strings.HasPrefix(w, "劳动节"):
		return planbot.Date{}, d.date(4, 30), true
	case strings.HasPrefix(w, "汛"):
		return planbot.Date{}, d.date(5, 31), true
	}
	return planbot.Date{}, d.date(12, 31), true // 年底 年末 年内 年终 全年 年度内 元旦前
}

// monthOnly: a plain 6月 is a window, 6月完成 a deadline; 6月以来 is past.
func (d *dateScanner) monthOnly(m []string, hi int) (planbot.Date, planbot.Date, bool) {
	mo := cnAtoi(m[1])
	if !d.valid(mo, 1) || strings.HasPrefix(d.s[hi:], "以来") {
		return planbot.Date{}, planbot.Date{}, false
	}
	if d.deadline(hi) {
		return planbot.Date{}, d.lastDay(mo), true
	}
	return d.date(mo, 1), d.lastDay(mo), true
}

// settleDates makes one DateInfo of the hits, in the order they occur:
// the latest deadline is Due, and the start is the earliest explicit
// start, else the earliest window's start when every hit is a window;
// yearStart and yearEnd when nothing says otherwise.
func settleDates(hits []dateHit, yearStart, yearEnd planbot.Date) DateInfo {
	info := DateInfo{Start: yearStart, Due: yearEnd}
	var due *dateHit
	for i, h := range hits {
		if !h.due.IsZero() && (due == nil || due.due.Before(h.due)) {
			due = &hits[i]
		}
	}
	if due != nil {
		info.Due, info.DuePhrase = due.due, due.phrase
		for _, h := range hits {
			if !h.due.IsZero() && h.due.Before(info.Due) {
				info.Earlier = append(info.Earlier, h.phrase+"（"+h.due.String()+"）")
			}
		}
		info.Earlier = dedupe(info.Earlier)
	}
	var start *dateHit
	allWindows := len(hits) > 0
	for i, h := range hits {
		if h.start.IsZero() || h.due.IsZero() {
			allWindows = false
		}
		if !h.start.IsZero() && h.due.IsZero() && (start == nil || h.start.Before(start.start)) {
			start = &hits[i]
		}
	}
	if start == nil && allWindows {
		for i, h := range hits {
			if start == nil || h.start.Before(start.start) {
				start = &hits[i]
			}
		}
	}
	if start != nil && !info.Due.Before(start.start) {
		info.Start, info.StartPhrase = start.start, start.phrase
	}
	return info
}

// springFestival is 正月初一 of the year, from the lunar calendar.
func springFestival(year int) planbot.Date {
	if year < 1900 || year > 2200 {
		return planbot.Date{Year: year, Month: time.February, Day: 1} // outside the tables: an approximation
	}
	s := calendar.NewLunarFromYmd(year, 1, 1).GetSolar()
	return planbot.Date{Year: s.GetYear(), Month: time.Month(s.GetMonth()), Day: s.GetDay()}
}

// cnAtoi reads 1–99 in Arabic or Chinese numerals (六、十一、二十); -1 if not.
func cnAtoi(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	digit := func(r rune) int { return strings.IndexRune("零一二三四五六七八九", r) / 3 }
	rs := []rune(s)
	switch {
	case len(rs) == 1 && rs[0] == '十':
		return 10
	case len(rs) == 1:
		if d := strings.IndexRune("零一二三四五六七八九", rs[0]); d >= 0 {
			return digit(rs[0])
		}
	case len(rs) == 2 && rs[0] == '十':
		return 10 + digit(rs[1])
	case len(rs) == 2 && rs[1] == '十':
		return 10 * digit(rs[0])
	case len(rs) == 3 && rs[1] == '十':
		return 10*digit(rs[0]) + digit(rs[2])
	}
	return -1
}

// ---------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------

var (
	reQty = lazyCompile(`\d+(?:,\d{3})*(?:\.\d+)?|[Xx]+`)
	// reShareOf: a percentage that is a share of spending or funds, a
	// condition of the task rather than what it delivers.
	reShareOf    = lazyCompile(`占|用于|比重|支出|资金|经费|投入`)
	reRateBefore = lazyCompile(`(?:增长|增幅|提高|提升|下降|降低|减少|压缩|缩短|增加|上涨|节约|同比|比上年|较上年)了?\s*$`)
)

// Target finds a measurable target in a sentence: a number with a unit
// planbot knows (招商引资1.5亿元 → 1.5亿元, 投放蟹苗30万只 → 30万只). A
// quantity closing its clause wins over one inside it (在14个村投放蟹苗
// 30万只 → 30万只). Rates of change (增长15%), limits (10万元以下), times
// (30天) and ordinals (第二届) are not targets. A number hidden as X comes
// back as hidden ("X亿元") when there is no real one.
func Target(s string) (target, hidden, context string) {
	type cand struct {
		amount, ctx string
		atEnd       bool
	}
	var real, masked []cand
	for _, loc := range reQty.FindAllStringIndex(s, -1) {
		lo, hi := loc[0], loc[1]
		prev, _ := utf8.DecodeLastRuneInString(s[:lo])
		if lo > 0 && (prev < utf8.RuneSelf && (unicode.IsLetter(prev) || unicode.IsDigit(prev) || prev == '.') || prev == '第') {
			continue
		}
		num := s[lo:hi]
		isX := num[0] == 'X' || num[0] == 'x'
		rest := strings.TrimLeft(s[hi:], " ")
		approx := ""
		if r, size := utf8.DecodeRuneInString(rest); r == '余' || r == '多' {
			approx, rest = string(r), rest[size:]
		}
		unit := unitPrefix(rest)
		if unit == "" || unit == "天" || unit == "小时" {
			continue
		}
		after := rest[len(unit):]
		if hasAnyPrefix(after, "以下", "以内", "之内", "及以下") {
			continue
		}
		if u, _ := planbot.LookupUnit(unit); u.Base == "%" {
			if reRateBefore.MatchString(tail(s[:lo], 24)) || reShareOf.MatchString(contextBefore(tail(s[:lo], 96), 30)) {
				continue // a rate of change, or a share the task must keep to (民生支出占…的80%以上)
			}
		}
		r, _ := utf8.DecodeRuneInString(after)
		atEnd := after == "" || strings.ContainsRune("，。；、,.;!?！？）)”", r) || hasAnyPrefix(after, "以上", "左右", "的目标")
		ctx := contextBefore(tail(s[:lo], 64), 12) + s[lo:hi] + approx + unit
		if isX {
			if first, _ := utf8.DecodeRuneInString(unit); strings.ContainsRune("万亿千百元%", first) {
				masked = append(masked, cand{"X" + unit, ctx, atEnd})
			}
			continue
		}
		amount := strings.ReplaceAll(num, ",", "") + approx + unit
		a, err := planbot.ParseAmount(amount)
		if err != nil || a.Unit == "" || a.Value <= 0 {
			continue
		}
		real = append(real, cand{amount, ctx, atEnd})
	}
	pick := func(cs []cand) (cand, bool) {
		for _, c := range cs {
			if c.atEnd {
				return c, true
			}
		}
		if len(cs) > 0 {
			return cs[0], true
		}
		return cand{}, false
	}
	if c, ok := pick(real); ok {
		return c.amount, "", c.ctx
	}
	if c, ok := pick(masked); ok {
		return "", c.amount, c.ctx
	}
	return "", "", ""
}

// unitPrefix is the longest unit planbot knows at the start of s, with a
// base (a bare 万 is a multiplier, not a unit).
func unitPrefix(s string) string {
	var rs []rune
	for _, r := range s {
		if len(rs) == 6 {
			break
		}
		rs = append(rs, r)
	}
	for n := len(rs); n >= 1; n-- {
		sym := string(rs[:n])
		if strings.ContainsAny(sym, " \t") {
			continue
		}
		if u, ok := planbot.LookupUnit(sym); ok && u.Base != "" {
			return sym
		}
	}
	return ""
}

// contextBefore is up to n runes of s before its end, back to a comma.
func contextBefore(s string, n int) string {
	rs := []rune(s)
	i := len(rs)
	for i > 0 && !strings.ContainsRune("，。；、,;：:（(“\"!?！？", rs[i-1]) && !(rs[i-1] == '.' && isStop(rs, i-1)) {
		if len(rs)-i == n {
			return "…" + string(rs[i:])
		}
		i--
	}
	return string(rs[i:])
}

// tail is the last n bytes of s or fewer, starting at a character: the
// few words before a match, without rereading a long sentence from its start.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return s[i:]
}

// head is the first n bytes of s or fewer, ending at a character.
func head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func hasAnyPrefix(s string, ps ...string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// Indicators
// ---------------------------------------------------------------------------

// knownIndicators give the usual English key and chat aliases of the
// figures township summaries report; matched by substring of the name.
var knownIndicators = []struct {
	match   string
	key     string
	aliases []string
}{
	{"固定资产投资", "fixed_asset_investment", []string{"固投", "固定资产"}},
	{"工商税收", "tax_revenue", []string{"税收", "工商税"}},
	{"到位资金", "investment_attracted", []string{"招商引资", "到位资金"}},
	{"招商引资", "investment_attracted", []string{"招商引资", "到位资金"}},
	{"规模以上工业产值", "industrial_output", []string{"规上工业产值", "规上产值", "工业产值"}},
	{"规上工业产值", "industrial_output", []string{"规模以上工业产值", "工业产值"}},
	{"工业增加值", "industrial_value_added", []string{"工业增加值"}},
	{"外贸出口", "export_value", []string{"外贸出口", "出口额"}},
	{"进出口", "trade_value", []string{"进出口", "外贸进出口"}},
	{"一般公共预算收入", "public_budget_revenue", []string{"预算收入", "财政收入"}},
	{"财政收入", "fiscal_revenue", []string{"财政收入"}},
	{"地区生产总值", "gdp", []string{"GDP", "生产总值"}},
	{"社会消费品零售总额", "retail_sales", []string{"社零", "社零额"}},
	{"农村居民人均可支配收入", "rural_income", []string{"农民收入", "人均可支配收入"}},
	{"人均可支配收入", "disposable_income", []string{"人均收入"}},
	{"村集体", "village_collective_income", []string{"村集体收入"}},
	{"利用外资", "foreign_investment", []string{"利用外资", "外资"}},
	{"税收", "tax_revenue", []string{"税收"}},
}

// suggest proposes this year's target: last year's figure grown at last
// year's rate, to three significant figures. Only for money grown (a
// decline is no basis for a target), and never for a hidden figure.
func suggest(ind Indicator) string {
	if ind.LastYear == "" || ind.Growth == "" || ind.Unit == "" || ind.Unit == "%" {
		return ""
	}
	last, err1 := strconv.ParseFloat(ind.LastYear, 64)
	g, err2 := strconv.ParseFloat(ind.Growth, 64)
	if err1 != nil || err2 != nil || g < 0 || last <= 0 {
		return ""
	}
	v := round3(last * (1 + g/100))
	if a, err := planbot.ParseAmountIn(v, ind.Unit); err != nil || a.Value <= 0 {
		return ""
	}
	return v
}

// round3 rounds to three significant figures, at most four decimals.
func round3(v float64) string {
	if v <= 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return ""
	}
	k := int(math.Floor(math.Log10(v))) - 2
	if k >= 0 {
		p := math.Pow(10, float64(k))
		return strconv.FormatFloat(math.Round(v/p)*p, 'f', 0, 64)
	}
	places := min(-k, 4)
	s := strconv.FormatFloat(v, 'f', places, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// assignKeys gives each indicator a unique English key and the usual
// aliases that no other indicator already uses.
func assignKeys(inds []Indicator) {
	used := map[string]bool{}
	for _, ind := range inds {
		used[ind.Name] = true
	}
	keys := map[string]bool{}
	for i := range inds {
		ind := &inds[i]
		key := ""
		var aliases []string
		for _, k := range knownIndicators {
			if strings.Contains(ind.Name, k.match) {
				key, aliases = k.key, k.aliases
				if strings.Contains(ind.Name, "农村") && k.key == "disposable_income" {
					key = "rural_income"
				}
				break
			}
		}
		if key == "" {
			key = "indicator_" + strconv.Itoa(i+1)
		}
		base := key
		for n := 2; keys[key]; n++ {
			key = base + "_" + strconv.Itoa(n)
		}
		keys[key] = true
		ind.Key = key
		for _, a := range aliases {
			if !used[a] {
				used[a] = true
				ind.Aliases = append(ind.Aliases, a)
			}
		}
	}
}
