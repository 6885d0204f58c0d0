package bot

// The free-text report parser: a cadre's short Chinese message (or the
// arguments of /report and /value) plus the plan in, an Intent out. It is
// pure: no I/O, no clock (today is passed in), no state beyond a cache of
// the plan's word index.
//
// How a message is read, in order:
//
//  1. Normalise: full-width ASCII (２.３、６０％、：) folds to ASCII, keeping
//     a map back to the original bytes so the note is cut from the text as
//     written.
//  2. Tokens, left to right, never overlapping: indicator names and aliases
//     (longest first); @dates (@3月15日, @3.15, @2027-03-15, @昨天) and
//     "3月15日报"; item codes (an exact match of an existing code, not
//     followed by a unit: "3.2亿" is money, "@3.15" a date); figures (a
//     number with the longest unit planbot.ParseAmount accepts: 60%, 六成,
//     百分之六十, 15万只, 3.2亿, bare 2100); done marks (完成, 已完成,
//     全部完成, done, ✅ — standing alone, not followed by a figure and not
//     negated). A figure takes the keyword before it (进度, 完成率, 累计完成,
//     完成 …): "进度60" is 60%, "投放完成15万只" is an amount, not done.
//  3. The target, strongest evidence first: an item code at the start of the
//     message or marked (第2.3项, 事项2.3, 2.3号, 【2.3】) — unless it is the
//     only number and an indicator is named ("3.2 固投" is 3.2亿元); an
//     indicator name or alias — unless every amount is in a unit the
//     indicator cannot take and the words fit an item ("蟹苗出口10万只");
//     an item code elsewhere; a fuzzy match of the words against item titles
//     and descriptions and indicator names (see rpIndex); the sender's own
//     items when the message carries a figure but names nothing. A
//     code-shaped first word that is no item's code ("2.30") stops there:
//     a mistyped code is never guessed.
//  4. The figures are read for that target: a percentage is progress; an
//     amount counts for an item only in the unit of the item's target (other
//     amounts stay in the note), and for an indicator it is read in the
//     indicator's unit (a bare number is in that unit).
//  5. Note is what is left: the original text minus the code, name, figures
//     with their keywords, date, done mark and (for a fuzzy match) the phrase
//     that named the item.

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"planbot"
)

// IntentKind is what a message was understood to be.
type IntentKind string

const (
	IntentItemReport     IntentKind = "item_report"     // progress on one item
	IntentIndicatorValue IntentKind = "indicator_value" // a figure for an indicator
	IntentAmbiguous      IntentKind = "ambiguous"       // several items/indicators fit: ask with a keyboard
	IntentUnknown        IntentKind = "unknown"         // nothing recognisable: explain how to report
)

// MaxCandidates bounds the choices of an ambiguous intent (one keyboard).
const MaxCandidates = 6

// Intent is what ParseReport understood.
//
// When Problem is set, something was recognised but is wrong (a percentage
// of 160, a date that has not come yet, two different percentages): the bot
// shows Problem and records nothing. Kind and the other fields still say what
// was understood, so the reply can name the item; a field whose figure is the
// problem is left nil.
type Intent struct {
	Kind IntentKind
	// Items holds exactly one existing item code for item_report; for
	// ambiguous, the candidate items, best first, at most MaxCandidates.
	Items []string
	// Indicator is the indicator key for indicator_value.
	Indicator string
	// Indicators holds the candidate indicators of an ambiguous intent, best
	// first. An ambiguous intent may have candidates in both lists (a word
	// that fits an item title and an indicator name): show Items first.
	Indicators []string
	// Percent is the progress percentage, 0–100 when Problem is empty.
	Percent *float64
	// Amount is a quantity: for an item, toward its target and in the
	// target's base unit; for an indicator, read in the indicator's unit
	// (so "税收 2100" is 2100万元). For ambiguous and unknown intents it is
	// the first amount as written (planbot.ParseAmount), a preview only:
	// re-read the text with ParseReportAs once the target is chosen.
	Amount *planbot.Amount
	// Done is set by 完成 / 已完成 / 全部完成 / done / ✅ standing alone,
	// for items only (an indicator has no "done").
	Done bool
	// Note is the rest of the message as written (not normalised, not
	// escaped), trimmed, the removed parts' gaps joined by one space. It is
	// valid UTF-8 whenever text is; invalid bytes in text are kept as they
	// are, so escape (esc) before sending.
	Note string
	// Date is the day the report is for (@3月15日, @3.15, @2027-03-15,
	// @昨天, 3月15日报); nil when none was given, meaning today.
	Date *planbot.Date
	// Problem is one short Chinese sentence, or "". When several things are
	// wrong, the first found is given: the date, then the percentage, then
	// the amounts.
	Problem string
}

// ParseReport reads a cadre's message. owned lists the item codes the sender
// owns: when a fuzzy match is ambiguous, an owned candidate wins if it is the
// single best owned one; when the message carries a figure but names no item
// or indicator, the sender's only owned item is taken, and with several the
// intent is ambiguous over them (in the order of owned). today is the
// sender's current date in the plan's zone: a date after it is a Problem
// (a zero today disables that check).
//
// plan may be nil (every message is then unknown). The plan must not be
// changed in place after it has been parsed against: the word index is
// cached per plan (a reload that builds a new Plan is fine).
func ParseReport(text string, plan *planbot.Plan, owned []string, today planbot.Date) Intent {
	if in, long := rpTooLong(text); long {
		return in
	}
	p := newReportParser(text, plan, today)
	return p.run(owned)
}

// MaxReportRunes is the longest message read as a report: Telegram's own
// limit on a message. A longer text (from the console) is unknown, with a
// Problem, and is not scanned at all.
const MaxReportRunes = 4096

func rpTooLong(text string) (Intent, bool) {
	if len(text) <= MaxReportRunes || utf8.RuneCountInString(text) <= MaxReportRunes {
		return Intent{}, false
	}
	return Intent{
		Kind:    IntentUnknown,
		Note:    strings.TrimSpace(text),
		Problem: fmt.Sprintf("消息太长（超过%d字），请分条汇报", MaxReportRunes),
	}, true
}

// ParseReportAs reads text as a report on a target already chosen: an item
// code (kind IntentItemReport) or an indicator key (kind
// IntentIndicatorValue). It is how a button press resolves an ambiguous
// intent (re-read the original text with the chosen target) and how
// /report <code> … and /value <indicator> … can read their arguments. A
// mention of the target in text (its code, name or alias) is dropped from
// the note; other codes and names stay in it. An unknown target is an
// unknown intent with a Problem.
func ParseReportAs(text string, plan *planbot.Plan, kind IntentKind, key string, today planbot.Date) Intent {
	if in, long := rpTooLong(text); long {
		return in
	}
	p := newReportParser(text, plan, today)
	// The words that named the target come out of the note, unless the
	// text names it by code or name already.
	named := func(match func(t *rpToken) bool) bool {
		for i := range p.toks {
			if match(&p.toks[i]) {
				return true
			}
		}
		return false
	}
	switch kind {
	case IntentItemReport:
		if i, ok := p.ix.codes[key]; ok {
			if !named(func(t *rpToken) bool { return t.kind == rpCode && t.code == key }) {
				p.stripSubject(i)
			}
			return p.finishItem(i)
		}
		return p.finishUnknown(fmt.Sprintf("没有编号为 %s 的事项", rpClip(key)))
	case IntentIndicatorValue:
		if i, ok := p.ix.indicators[key]; ok {
			if !named(func(t *rpToken) bool { return t.kind == rpName && t.ind == i }) {
				p.stripSubject(p.ix.nItems + i)
			}
			return p.finishIndicator(i)
		}
		return p.finishUnknown(fmt.Sprintf("没有代号为 %s 的指标", rpClip(key)))
	}
	return p.finishUnknown("")
}

// ---------------------------------------------------------------------------
// Tokens

type rpKind uint8

const (
	rpCode    rpKind = iota + 1
	rpFigure         // a number, with its unit and the keyword before it
	rpDate           // @3月15日 …
	rpDone           // 完成, ✅ …
	rpMention        // @botname at the start
	rpName           // an indicator name or alias
)

type rpToken struct {
	kind       rpKind
	start, end int // runes of the normalised text, keyword and markers included
	used       bool

	// rpCode
	code   string
	strong bool // at the start of the message, or marked (第…项, 事项…, …号, 【…】)

	// rpFigure (and a code's reading as a number, for indicators)
	fig      int            // where the number starts (after the keyword)
	text     string         // the figure as written, normalised: "15万只"
	amt      planbot.Amount // planbot.ParseAmount(text)
	num      bool           // rpCode: text/amt hold its reading as a bare number
	err      error          // looked like a figure but is not a valid one
	unitText bool           // a unit, multiplier, % or 成 follows the digits
	progress bool           // after 进度/完成率: a bare number is a percentage
	cumul    bool           // after 累计/共计/合计: a running total
	rate     bool           // 同比增长5%: a rate, not progress
	alone    bool           // a bare number with nothing glued to it

	// rpDate
	date    planbot.Date
	problem string

	// rpName
	ind int
}

func (t *rpToken) isPercent() bool {
	return t.kind == rpFigure && t.err == nil && !t.rate &&
		(t.amt.Unit == "%" || (t.progress && !t.unitText))
}

// percent is the value of a percentage token.
func (t *rpToken) percent() float64 { return t.amt.Value.Float64() }

type reportParser struct {
	text  string
	rs    []rune // normalised
	off   []int  // off[i] is the byte offset in text of rs[i]; off[len(rs)] == len(text)
	taken []bool // rune belongs to a token
	toks  []rpToken

	plan    *planbot.Plan
	ix      *rpIndex
	today   planbot.Date
	year    int
	badCode string // a code-shaped first token that is no item's code
	content int    // index of the first digit or Han character outside a mention

	subject    [2]int // phrase that named a fuzzily matched target
	hasSubject bool
	problems   []string
}

func newReportParser(text string, plan *planbot.Plan, today planbot.Date) *reportParser {
	p := &reportParser{text: text, plan: plan, ix: rpIndexFor(plan), today: today}
	p.year = today.Year
	if plan != nil && plan.Year != 0 {
		p.year = plan.Year
	}
	p.rs, p.off = rpNormalize(text)
	p.codeStops()
	p.taken = make([]bool, len(p.rs)+1)
	p.tokenize()
	return p
}

// rpNormalize folds what a phone keyboard in Chinese mode produces to the
// ASCII the scanner looks for, one rune for one rune, remembering where each
// rune came from. Invalid bytes become U+FFFD of width 1.
func rpNormalize(s string) ([]rune, []int) {
	rs := make([]rune, 0, len(s))
	off := make([]int, 0, len(s)+1)
	for i, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			r -= 0xFF01 - 0x21
		case r == 0x3000 || r == 0x200B || r == 0x200C || r == 0x200D || r == 0xFEFF || r == 0x00A0:
			r = ' '
		case r == '−' || r == '﹣':
			r = '-'
		case r == '﹪':
			r = '%'
		}
		rs = append(rs, r)
		off = append(off, i)
	}
	off = append(off, len(s))
	return rs, off
}

// codeStops reads "2。3" as the item code 2.3: a phone in Chinese mode
// types 。 for the dot. Only where the digits around it make a code of the
// plan, so "进度60。3月开工" keeps its full stop.
func (p *reportParser) codeStops() {
	digit := func(r rune) bool { return r >= '0' && r <= '9' }
	for i := 1; i+1 < len(p.rs); i++ {
		if p.rs[i] != '。' || !digit(p.rs[i-1]) || !digit(p.rs[i+1]) {
			continue
		}
		a, b := i-1, i+2
		for a > 0 && digit(p.rs[a-1]) {
			a--
		}
		for b < len(p.rs) && digit(p.rs[b]) {
			b++
		}
		if _, ok := p.ix.codes[string(p.rs[a:i])+"."+string(p.rs[i+1:b])]; ok {
			p.rs[i] = '.'
		}
	}
}

func (p *reportParser) add(t rpToken) {
	for i := t.start; i < t.end; i++ {
		p.taken[i] = true
	}
	p.toks = append(p.toks, t)
}

func (p *reportParser) free(i, j int) bool {
	if i < 0 || j > len(p.rs) || i > j {
		return false
	}
	for k := i; k < j; k++ {
		if p.taken[k] {
			return false
		}
	}
	return true
}

// at reports whether rs has w at i, none of it taken.
func (p *reportParser) at(i int, w string) bool {
	for _, r := range w {
		if i >= len(p.rs) || p.rs[i] != r || p.taken[i] {
			return false
		}
		i++
	}
	return true
}

// endsAt returns where w starts if rs has w ending right before j, none of it taken.
func (p *reportParser) endsAt(j int, w string) (int, bool) {
	i := j - utf8.RuneCountInString(w)
	if i < 0 || !p.at(i, w) {
		return 0, false
	}
	return i, true
}

func (p *reportParser) skipSpace(i int) int {
	for i < len(p.rs) && unicode.IsSpace(p.rs[i]) && !p.taken[i] {
		i++
	}
	return i
}

// boundaryBefore reports whether nothing word-like is glued before i.
func (p *reportParser) boundaryBefore(i int) bool {
	return i <= 0 || rpIsSep(p.rs[i-1]) || p.taken[i-1]
}

// boundaryAfter reports whether nothing word-like is glued at j.
func (p *reportParser) boundaryAfter(j int) bool {
	return j >= len(p.rs) || rpIsSep(p.rs[j]) || p.taken[j]
}

func (p *reportParser) tokenize() {
	p.findNames()
	n := len(p.rs)
	first := p.skipSpace(0)
	// What leads the message: a mention of the bot, a date ("@3.15 2.3
	// 60%", "3月15日报 …"); a code after them is still at the start.
	if first < n && p.rs[first] == '@' {
		p.mention(first)
		if !p.taken[first] {
			p.atDate(first)
		}
	} else if first < n && rpIsDigit(p.rs[first]) {
		p.reportDay(first)
	}
	if k := p.skipSpace(first); k < n && p.taken[k] {
		for k < n && p.taken[k] {
			k++
		}
		if k = p.skipSpace(k); k < n && p.rs[k] == '@' {
			p.atDate(k) // a mention, then a date
		}
	}
	p.content = n
	for k, r := range p.rs {
		if (rpIsDigit(r) || unicode.Is(unicode.Han, r)) && !p.taken[k] {
			p.content = k
			break
		}
		if unicode.Is(unicode.Han, r) {
			p.content = k // an indicator name
			break
		}
	}
	for i := 0; i < n; {
		if p.taken[i] {
			i++
			continue
		}
		r := p.rs[i]
		switch {
		case r == '@':
			if j, ok := p.atDate(i); ok {
				i = j
			} else {
				i++
			}
		case rpIsDigit(r):
			i = p.number(i)
		case rpIsLetter(r):
			i = p.word(i)
		case p.at(i, "百分之"):
			i = p.chinesePercent(i)
		case rpIsNumeral(r):
			i = p.chineseNumber(i)
		case r == '✅' || r == '✔' || r == '☑' || r == '✓':
			j := i + 1
			if j < n && p.rs[j] == 0xFE0F {
				j++
			}
			p.add(rpToken{kind: rpDone, start: i, end: j})
			i = j
		default:
			i++
		}
	}
	p.attachKeywords()
	p.findDoneWords()
	for k := range p.toks {
		t := &p.toks[k]
		if t.kind == rpFigure && !t.unitText && t.fig == t.start {
			t.alone = p.boundaryBefore(t.start) && p.boundaryAfter(t.end)
		}
	}
	slices.SortFunc(p.toks, func(a, b rpToken) int { return a.start - b.start })
}

// findNames marks every indicator name and alias, longest first.
func (p *reportParser) findNames() {
	if len(p.ix.names) == 0 {
		return
	}
	for i := 0; i < len(p.rs); i++ {
		for _, k := range p.ix.nameFirst[p.rs[i]] {
			nm := p.ix.names[k]
			j := i + len(nm.rs)
			if j > len(p.rs) || !slices.Equal(p.rs[i:j], nm.rs) || !p.free(i, j) {
				continue
			}
			p.add(rpToken{kind: rpName, start: i, end: j, ind: nm.ind})
			i = j - 1
			break
		}
	}
}

// mention drops a leading @username (the bot addressed in a group).
func (p *reportParser) mention(i int) {
	j := i + 1
	if j >= len(p.rs) || !rpIsLetter(p.rs[j]) {
		return
	}
	for j < len(p.rs) && (rpIsLetter(p.rs[j]) || rpIsDigit(p.rs[j]) || p.rs[j] == '_') {
		j++
	}
	if j-i-1 >= 5 && p.free(i, j) {
		p.add(rpToken{kind: rpMention, start: i, end: j})
	}
}

// isStart reports whether a code at i is the first thing in the message:
// before it only spaces, punctuation, ASCII letters (HTML tags, "Item") and
// a leading mention.
func (p *reportParser) isStart(i int) bool { return i <= p.content }

// codeRun is the extent of a code-shaped run at i: letters, digits, '.',
// '-', '_', with trailing punctuation left out.
func (p *reportParser) codeRun(i int) int {
	j := i
	for j < len(p.rs) && j-i < rpMaxCode && !p.taken[j] && (rpIsDigit(p.rs[j]) || rpIsLetter(p.rs[j]) || p.rs[j] == '.' || p.rs[j] == '-' || p.rs[j] == '_') {
		j++
	}
	for j > i && (p.rs[j-1] == '.' || p.rs[j-1] == '-' || p.rs[j-1] == '_') {
		j--
	}
	return j
}

// rpMaxCode bounds a code-shaped run: "1-1-1-…" is read in linear time.
const rpMaxCode = 32

// tryCode takes rs[i:j] as an item code when it is one and no unit follows.
func (p *reportParser) tryCode(i, j int) bool {
	if j-i >= rpMaxCode {
		return false
	}
	code := string(p.rs[i:j])
	if _, ok := p.ix.codes[code]; !ok {
		return false
	}
	if k, _, ok, _ := p.longest(i, j); ok && k > j && p.rs[j] != '号' && p.rs[j] != '项' {
		return false // 3.2亿, 2.3万元: a figure
	}
	t := rpToken{kind: rpCode, start: i, end: j, code: code}
	if a, err := planbot.ParseAmount(code); err == nil {
		t.num, t.text, t.amt = true, code, a
	}
	// Markers around the code belong to it.
	for _, w := range []string{"事项", "编号", "第", "【", "[", "(", "#"} {
		if s, ok := p.endsAt(p.skipBack(i), w); ok {
			t.start, t.strong = s, true
			break
		}
	}
	for _, w := range []string{"号", "项", "】", "]", ")"} {
		if p.at(j, w) {
			t.end, t.strong = j+1, true
			break
		}
	}
	if p.isStart(i) {
		t.strong = true
	}
	if !t.strong && rpAllDigits(code) {
		return false // a plain number is a code only at the start or marked: 进度60
	}
	p.add(t)
	return true
}

func rpAllDigits(s string) bool {
	for _, r := range s {
		if !rpIsDigit(r) {
			return false
		}
	}
	return s != ""
}

// skipBack steps back over spaces before i.
func (p *reportParser) skipBack(i int) int {
	for i > 0 && unicode.IsSpace(p.rs[i-1]) && !p.taken[i-1] {
		i--
	}
	return i
}

// word reads an ASCII word: an item code ("A1"), "done", or text.
func (p *reportParser) word(i int) int {
	j := p.codeRun(i)
	if j == i {
		return i + 1
	}
	if p.tryCode(i, j) {
		return j
	}
	end := i
	for end < len(p.rs) && rpIsLetter(p.rs[end]) {
		end++
	}
	if strings.EqualFold(string(p.rs[i:end]), "done") && p.boundaryBefore(i) && p.boundaryAfter(end) {
		p.add(rpToken{kind: rpDone, start: i, end: end})
	}
	return max(j, end)
}

// number reads what starts with an ASCII digit at i: a report day, an item
// code, or a figure.
func (p *reportParser) number(i int) int {
	if j, ok := p.reportDay(i); ok {
		return j
	}
	run := p.codeRun(i)
	if p.tryCode(i, run) {
		return run
	}
	e := rpScanDigits(p.rs, i)
	if e < len(p.rs) && p.rs[e] == '.' && e+1 < len(p.rs) && rpIsDigit(p.rs[e+1]) {
		return max(run, e+1) // 2.3.1, 192.168.1.1: no figure
	}
	if run > e && rpIsLetter(p.rs[e]) {
		return run // 2.3a, 5kg: not a figure we read
	}
	if p.badCode == "" && p.isStart(i) && run == e && strings.Contains(string(p.rs[i:e]), ".") {
		if k, _, ok, _ := p.longest(i, e); !ok || k == e {
			p.badCode = string(p.rs[i:e]) // "2.30 60%": a mistyped code
		}
	}
	s := i
	switch {
	case i > 0 && (p.rs[i-1] == '-' || p.rs[i-1] == '负') && !p.taken[i-1] &&
		(i == 1 || !(rpIsDigit(p.rs[i-2]) || rpIsLetter(p.rs[i-2]))):
		s = i - 1
	case i > 0 && p.rs[i-1] == '约' && !p.taken[i-1]:
		s = i - 1
		if i > 1 && p.rs[i-2] == '大' && !p.taken[i-2] {
			s = i - 2
		}
	}
	k, a, ok, err := p.longest(s, e)
	if !ok {
		if err != nil {
			p.add(rpToken{kind: rpFigure, start: s, end: k, fig: s, text: string(p.rs[s:k]), err: err, unitText: true})
			return k
		}
		return e
	}
	for _, w := range rpForeignMoney {
		if p.at(k, w) {
			end := k + utf8.RuneCountInString(w)
			text := string(p.rs[s:end])
			p.add(rpToken{kind: rpFigure, start: s, end: end, fig: s, text: text, unitText: true,
				err: fmt.Errorf("%s：请换算成人民币（元）再报", rpClip(text))})
			return end
		}
	}
	p.add(rpToken{kind: rpFigure, start: s, end: k, fig: s, text: string(p.rs[s:k]), amt: a, unitText: k > e})
	return k
}

// rpForeignMoney are currencies a figure may be written in (外贸出口 in
// 美元) that the plan, kept in 元, cannot take as they are.
var rpForeignMoney = []string{"美元", "美金", "欧元", "港币", "港元", "日元", "英镑"}

// rpScanDigits returns the end of the number at i: digits, thousands groups
// of three ("180,000"), and one decimal part.
func rpScanDigits(rs []rune, i int) int {
	j := i
	for j < len(rs) && rpIsDigit(rs[j]) {
		j++
	}
	for j+3 < len(rs) && rs[j] == ',' && rpIsDigit(rs[j+1]) && rpIsDigit(rs[j+2]) && rpIsDigit(rs[j+3]) &&
		(j+4 == len(rs) || !rpIsDigit(rs[j+4])) {
		j += 4
	}
	if j+1 < len(rs) && rs[j] == '.' && rpIsDigit(rs[j+1]) {
		j++
		for j < len(rs) && rpIsDigit(rs[j]) {
			j++
		}
	}
	return j
}

// rpMaxUnit bounds how far a unit may run after the digits: 个百分点,
// 平方公里 with a multiplier, %左右.
const rpMaxUnit = 7

// longest finds the longest rs[s:k], k ≥ e, that planbot.ParseAmount reads.
// The unit may only be Han characters and %. When a %-figure is malformed
// ("0.00001%"), err says why and k is its end.
func (p *reportParser) longest(s, e int) (k int, a planbot.Amount, ok bool, err error) {
	lim := e
	for lim < len(p.rs) && lim-e < rpMaxUnit && !p.taken[lim] && (unicode.Is(unicode.Han, p.rs[lim]) || p.rs[lim] == '%') {
		lim++
	}
	for k = lim; k >= e && k > s; k-- {
		if !p.plausibleUnit(s, e, k) {
			continue
		}
		a, perr := planbot.ParseAmount(string(p.rs[s:k]))
		switch {
		case perr == nil:
			return k, a, true, nil
		case k == e+1 && p.rs[e] == '%':
			return k, planbot.Amount{}, false, perr // 0.00001%
		case k == e && rpTooBig(perr):
			err = perr
		}
	}
	return e, planbot.Amount{}, false, err
}

// plausibleUnit is a cheap test of rs[e:k] as what may follow a number,
// so that ParseAmount runs once or twice per figure rather than once per
// possible length: nothing, %, 成…, or a unit (possibly with 余/多 inside
// and 左右/整 after), or a unit whose first character the numeral took
// (五千克).
func (p *reportParser) plausibleUnit(s, e, k int) bool {
	sym := p.rs[e:k]
	if n := len(sym); n >= 2 && sym[n-2] == '左' && sym[n-1] == '右' {
		sym = sym[:n-2]
	} else if n >= 1 && sym[n-1] == '整' {
		sym = sym[:n-1]
	}
	switch {
	case len(sym) == 0:
		return true
	case sym[0] == '%':
		return len(sym) == 1
	case sym[0] == '成':
		return len(sym) <= 2 // 成, 成五, 成半, 成多
	}
	var b strings.Builder
	dropped := false
	for _, r := range sym {
		if !dropped && (r == '余' || r == '多') {
			dropped = true
			continue
		}
		b.WriteRune(r)
	}
	u := b.String()
	if _, ok := planbot.LookupUnit(u); ok || u == "" {
		return true
	}
	for n := 1; n <= 2 && e-n > s; n++ {
		if _, ok := planbot.LookupUnit(string(p.rs[e-n:e]) + u); ok {
			return true
		}
	}
	return false
}

// rpTooBig reports whether err is about a number that is too large or too
// precise, rather than not a number at all.
func rpTooBig(err error) bool {
	s := err.Error()
	return strings.Contains(s, "太大") || strings.Contains(s, "小数位")
}

// chineseNumber reads a Chinese numeral at i; it counts only with a unit
// (三成, 十五万只, 两千一百万): a bare numeral is more often part of a word
// (九小场所, 两委, 一体化).
func (p *reportParser) chineseNumber(i int) int {
	e := i
	for e < len(p.rs) && !p.taken[e] && rpIsNumeral(p.rs[e]) {
		e++
	}
	if e+1 < len(p.rs) && p.rs[e] == '点' && !p.taken[e+1] && rpIsDigitNumeral(p.rs[e+1]) {
		e++
		for e < len(p.rs) && !p.taken[e] && rpIsDigitNumeral(p.rs[e]) {
			e++
		}
	}
	if k, a, ok, _ := p.longest(i, e); ok && k > e {
		p.add(rpToken{kind: rpFigure, start: i, end: k, fig: i, text: string(p.rs[i:k]), amt: a, unitText: true})
		return k
	}
	// 两千一百万: the 万 is a multiplier, not a digit of the numeral (which
	// would make it 21000000 of the indicator's unit).
	if last := p.rs[e-1]; e-i >= 2 && (last == '万' || last == '亿') {
		if d, err := planbot.ParseDecimal(string(p.rs[i : e-1])); err == nil && d > 0 {
			text := d.String() + string(last)
			if a, err := planbot.ParseAmount(text); err == nil {
				p.add(rpToken{kind: rpFigure, start: i, end: e, fig: i, text: text, amt: a, unitText: true})
				return e
			}
		}
	}
	return e
}

// chinesePercent reads 百分之六十, 百分之60.
func (p *reportParser) chinesePercent(i int) int {
	j := i + 3
	if j < len(p.rs) && rpIsDigit(p.rs[j]) {
		j = rpScanDigits(p.rs, j)
	} else {
		for j < len(p.rs) && !p.taken[j] && (rpIsNumeral(p.rs[j]) || p.rs[j] == '点') {
			j++
		}
	}
	for _, w := range []string{"左右", "多"} {
		if p.at(j, w) {
			j += utf8.RuneCountInString(w)
			break
		}
	}
	if j > i+3 && p.free(i, j) {
		if a, err := planbot.ParseAmount(string(p.rs[i:j])); err == nil {
			p.add(rpToken{kind: rpFigure, start: i, end: j, fig: i, text: string(p.rs[i:j]), amt: a, unitText: true})
			return j
		}
	}
	return i + 3
}

// Keywords a figure takes from before it (longest first where one is the
// end of another).
var rpKeywords = []string{
	"进度达到", "进度为", "进度达", "进度是", "进度",
	"完成率为", "完成率", "完成比例",
	"累计完成", "累计达到", "累计达", "累计", "共计", "合计",
	"已完成", "完成了", "完成", "已达到", "已达", "达到",
}

// Words before a percentage that make it a rate, not progress.
var rpRateWords = []string{"增长", "增幅", "增速", "同比", "环比", "下降", "降低", "减少", "增加", "提高", "占比", "比重", "高于", "低于"}

func (p *reportParser) attachKeywords() {
	for k := range p.toks {
		t := &p.toks[k]
		if t.kind != rpFigure && !(t.kind == rpCode && t.num) {
			continue
		}
		j := p.skipBack(t.start)
		if j > 0 && p.rs[j-1] == ':' && !p.taken[j-1] {
			j = p.skipBack(j - 1)
		}
		for _, w := range rpKeywords {
			s, ok := p.endsAt(j, w)
			if !ok {
				continue
			}
			if t.kind == rpCode {
				// "累计 3.2" for an indicator that shares its figure with a
				// code: note the keyword, keep the span for the code.
				t.cumul = strings.Contains(w, "累计") || strings.Contains(w, "计")
				break
			}
			for x := s; x < t.start; x++ {
				p.taken[x] = true
			}
			t.start = s
			t.progress = strings.Contains(w, "进度") || strings.Contains(w, "完成率") || strings.Contains(w, "比例")
			t.cumul = strings.Contains(w, "累计") || strings.Contains(w, "计")
			break
		}
		if t.kind == rpFigure && t.amt.Unit == "%" && !t.progress {
			from := max(0, t.start-6)
			window := string(p.rs[from:t.start])
			for _, w := range rpRateWords {
				// "提高到50%" is a level reached, "提高50%" a rate.
				if i := strings.LastIndex(window, w); i >= 0 && !strings.ContainsAny(window[i+len(w):], "到至") {
					t.rate = true
					break
				}
			}
		}
	}
}

// findDoneWords marks 完成 standing alone: "2.3 完成", "已完成", "全部完成了！"
// but not "已完成手续办理", "未完成", or a 完成 taken by a figure.
func (p *reportParser) findDoneWords() {
	for i := 0; i+1 < len(p.rs); i++ {
		if !p.at(i, "完成") {
			continue
		}
		left, right := i, i+2
		for _, w := range []string{"已经全部", "已全部", "均已", "都已", "已经", "全部", "全面", "顺利", "圆满", "已"} {
			if s, ok := p.endsAt(left, w); ok {
				left = s
				break
			}
		}
		for _, w := range []string{"任务", "事项"} {
			if s, ok := p.endsAt(left, w); ok {
				left = s
				break
			}
		}
		negated := false
		for _, w := range []string{"未", "没", "没有", "尚未", "不", "基本", "未能"} {
			if _, ok := p.endsAt(i, w); ok {
				negated = true
			}
			if _, ok := p.endsAt(left, w); ok {
				negated = true
			}
		}
		if right < len(p.rs) && p.rs[right] == '了' && !p.taken[right] {
			right++
		}
		if negated || !p.boundaryBefore(left) || !p.boundaryAfter(right) {
			continue
		}
		p.add(rpToken{kind: rpDone, start: left, end: right})
		i = right - 1
	}
}

// ---------------------------------------------------------------------------
// Dates

// atDate reads @3月15日, @3.15, @3-15, @2027-03-15, @2027年3月15日, @昨天.
func (p *reportParser) atDate(i int) (int, bool) {
	j := p.skipSpace(i + 1)
	for _, rel := range []struct {
		w    string
		days int
	}{{"大前天", -3}, {"前天", -2}, {"昨天", -1}, {"昨日", -1}, {"今天", 0}, {"今日", 0}} {
		if p.at(j, rel.w) {
			end := j + utf8.RuneCountInString(rel.w)
			t := rpToken{kind: rpDate, start: i, end: end}
			if p.today.IsZero() {
				t.problem = "没有当前日期，不能换算“" + rel.w + "”"
			} else {
				t.date = p.today.AddDays(rel.days)
				if t.date.Year != p.year {
					t.problem = fmt.Sprintf("@%s 不在 %d 年度", rel.w, p.year)
				}
			}
			p.add(t)
			return end, true
		}
	}
	y, m, d, end, ok := p.scanYMD(j)
	if !ok {
		return 0, false
	}
	t := rpToken{kind: rpDate, start: i, end: end}
	p.checkDate(&t, y, m, d, "@")
	p.add(t)
	return end, true
}

// reportDay reads "3月15日报" / "3月15日汇报": a report for that day.
func (p *reportParser) reportDay(i int) (int, bool) {
	y, m, d, end, ok := p.scanYMD(i)
	if !ok || end <= i || (p.rs[end-1] != '日' && p.rs[end-1] != '号') {
		return 0, false
	}
	for _, w := range []string{"汇报", "报"} {
		if p.at(end, w) {
			e := end + utf8.RuneCountInString(w)
			if e < len(p.rs) && unicode.Is(unicode.Han, p.rs[e]) {
				return 0, false // 3月15日报送
			}
			t := rpToken{kind: rpDate, start: i, end: e}
			p.checkDate(&t, y, m, d, "")
			p.add(t)
			return e, true
		}
	}
	return 0, false
}

// scanYMD reads [Y(-|/|.|年)]M(-|/|.|月)D[日|号] at i; y is 0 when not given.
func (p *reportParser) scanYMD(i int) (y, m, d, end int, ok bool) {
	n1, j, four := p.dateNum(i)
	if j == i {
		return
	}
	if four {
		if j >= len(p.rs) || !strings.ContainsRune("-/.年", p.rs[j]) {
			return
		}
		y = n1
		var k int
		if n1, k, _ = p.dateNum(j + 1); k == j+1 {
			return
		}
		j = k
	}
	if j >= len(p.rs) || !strings.ContainsRune("-/.月", p.rs[j]) || p.taken[j] {
		return
	}
	sep := p.rs[j]
	n2, k, _ := p.dateNum(j + 1)
	if k == j+1 {
		return
	}
	m, d, end = n1, n2, k
	if end < len(p.rs) && (p.rs[end] == '日' || p.rs[end] == '号') && !p.taken[end] {
		end++
	} else if sep == '.' && end < len(p.rs) && (rpIsDigit(p.rs[end]) || p.rs[end] == '.') {
		return // 3.15.2
	}
	return y, m, d, end, true
}

// dateNum reads 1–4 ASCII digits or a short Chinese numeral (三, 十五).
func (p *reportParser) dateNum(i int) (n, end int, four bool) {
	j := i
	for j < len(p.rs) && j-i < 5 && rpIsDigit(p.rs[j]) && !p.taken[j] {
		j++
	}
	if j > i {
		if j-i == 5 {
			return 0, i, false
		}
		v, _ := strconv.Atoi(string(p.rs[i:j]))
		return v, j, j-i == 4
	}
	for j < len(p.rs) && j-i < 3 && !p.taken[j] && strings.ContainsRune("一二两三四五六七八九十〇零", p.rs[j]) {
		j++
	}
	if j == i {
		return 0, i, false
	}
	dec, err := planbot.ParseDecimal(string(p.rs[i:j]))
	if err != nil || dec.Float64() != math.Trunc(dec.Float64()) {
		return 0, i, false
	}
	return int(dec.Float64()), j, false
}

func (p *reportParser) checkDate(t *rpToken, y, m, d int, at string) {
	written := fmt.Sprintf("%d月%d日", m, d)
	if y != 0 {
		written = fmt.Sprintf("%d年%d月%d日", y, m, d)
	} else {
		y = p.year
	}
	if m < 1 || m > 12 || d < 1 || d > 31 || y < 1 || y > 9999 {
		t.problem = fmt.Sprintf("日期 %s 不存在", written)
		return
	}
	tm := time.Date(y, time.Month(m), d, 12, 0, 0, 0, time.UTC)
	if tm.Day() != d {
		t.problem = fmt.Sprintf("日期 %s 不存在", written)
		return
	}
	t.date = planbot.DateOf(tm)
	switch {
	case y != p.year:
		t.problem = fmt.Sprintf("日期 %s 不在 %d 年度", written, p.year)
	case !p.today.IsZero() && p.today.Before(t.date):
		t.problem = fmt.Sprintf("%s%s 还没到", at, written)
	}
}

// ---------------------------------------------------------------------------
// Choosing the target

func (p *reportParser) run(owned []string) Intent {
	var strong, weak, names []string
	var nameIdx []int
	for i := range p.toks {
		t := &p.toks[i]
		switch {
		case t.kind == rpCode && t.strong:
			strong = rpAppendNew(strong, t.code)
		case t.kind == rpCode:
			weak = rpAppendNew(weak, t.code)
		case t.kind == rpName:
			key := p.plan.Indicators[t.ind].Key
			if !slices.Contains(names, key) {
				names = append(names, key)
				nameIdx = append(nameIdx, t.ind)
			}
		}
	}
	switch {
	case len(strong) == 1 && len(names) == 1 && p.codeIsValue():
		// "3.2 固投": the code is the indicator's figure written first.
		return p.finishIndicator(nameIdx[0])
	case len(strong) == 1:
		return p.finishItem(p.ix.codes[strong[0]])
	case len(strong) > 1:
		return p.finishAmbiguous(strong, nil)
	case len(names) == 1 && p.unitsContradict(nameIdx[0]):
		// "蟹苗出口10万只": 出口 names an indicator in 万元, but 只 counts
		// something an item may target.
		if doc, _ := p.fuzzy(owned); doc >= 0 && doc < p.ix.nItems {
			p.stripSubject(doc)
			return p.finishItem(doc)
		}
		return p.finishIndicator(nameIdx[0])
	case len(names) == 1:
		return p.finishIndicator(nameIdx[0])
	case len(names) > 1:
		return p.finishAmbiguous(nil, names)
	case len(weak) == 1:
		return p.finishItem(p.ix.codes[weak[0]])
	case len(weak) > 1:
		return p.finishAmbiguous(weak, nil)
	case p.badCode != "":
		return p.finishUnknown(fmt.Sprintf("没有编号为 %s 的事项", rpClip(p.badCode)))
	}

	if doc, cands := p.fuzzy(owned); doc >= 0 {
		p.stripSubject(doc)
		if doc < p.ix.nItems {
			return p.finishItem(doc)
		}
		return p.finishIndicator(doc - p.ix.nItems)
	} else if len(cands) > 0 {
		var items, inds []string
		for _, c := range cands {
			if c < p.ix.nItems {
				items = append(items, p.plan.Items[c].Code)
			} else {
				inds = append(inds, p.plan.Indicators[c-p.ix.nItems].Key)
			}
		}
		return p.finishAmbiguous(items, inds)
	}

	// Nothing named: a figure is about the sender's own items.
	if !p.hasFigures() {
		return p.finishUnknown("")
	}
	var mine []int
	for _, c := range owned {
		if i, ok := p.ix.codes[c]; ok && !slices.Contains(mine, i) {
			mine = append(mine, i)
		}
	}
	if bases := p.amountBases(); len(bases) > 0 && len(mine) > 1 {
		var fit []int
		for _, i := range mine {
			if tg := p.plan.Items[i].Target; tg != nil && slices.Contains(bases, tg.Unit) {
				fit = append(fit, i)
			}
		}
		if len(fit) > 0 {
			mine = fit
		}
	}
	switch len(mine) {
	case 0:
		return p.finishUnknown("")
	case 1:
		return p.finishItem(mine[0])
	}
	codes := make([]string, 0, MaxCandidates)
	for _, i := range mine[:min(len(mine), MaxCandidates)] {
		codes = append(codes, p.plan.Items[i].Code)
	}
	return p.finishAmbiguous(codes, nil)
}

// unitsContradict reports whether the message has amounts with a unit and
// none of them can be a value of the indicator.
func (p *reportParser) unitsContradict(ind int) bool {
	unit := p.plan.Indicators[ind].Unit
	seen := false
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind != rpFigure || t.err != nil || t.rate || t.amt.Unit == "" || t.amt.Unit == "%" {
			continue
		}
		if _, err := planbot.ParseAmountIn(t.text, unit); err == nil {
			return false
		}
		seen = true
	}
	return seen
}

// codeIsValue reports whether the message's only code can be read as a
// number and nothing else in it is a figure or a done mark.
func (p *reportParser) codeIsValue() bool {
	codes := 0
	for i := range p.toks {
		t := &p.toks[i]
		switch t.kind {
		case rpCode:
			if !t.num {
				return false
			}
			codes++
		case rpFigure, rpDone:
			return false
		}
	}
	return codes == 1
}

func rpAppendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// hasFigures reports whether the message carries something to record.
func (p *reportParser) hasFigures() bool {
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind == rpDone || t.isPercent() || (t.kind == rpFigure && t.err == nil && !t.rate && t.unitText) {
			return true
		}
	}
	return false
}

// progressOnly reports whether the message's figures are only
// percentages and done marks (no number that could be an amount).
func (p *reportParser) progressOnly() bool {
	seen := false
	for i := range p.toks {
		t := &p.toks[i]
		switch {
		case t.kind == rpDone || t.isPercent():
			seen = true
		case t.kind == rpFigure && t.err == nil && !t.rate && (t.unitText || t.alone):
			return false
		}
	}
	return seen
}

// amountBases lists the base units of the amounts written with a unit.
func (p *reportParser) amountBases() []string {
	var out []string
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind == rpFigure && t.err == nil && t.amt.Unit != "" && t.amt.Unit != "%" {
			out = rpAppendNew(out, t.amt.Unit)
		}
	}
	return out
}

// Fuzzy matching constants; see rpIndex.
const (
	rpTitleWeight  = 3.0 // a gram in the title (or an indicator's name or alias)
	rpDescWeight   = 1.0 // a gram only in the description
	rpBigramWeight = 2.0 // a two-character gram counts double a single character
	rpMinScore     = 6.0 // below this, a document does not fit at all
	rpClearRatio   = 1.5 // the best wins outright when this many times the next
	rpUnitBonus    = 2.0 // the message's amount is in the unit of the item's target
	rpQueryRunes   = 64  // only the start of the message is matched
	rpMaxSubject   = 12  // longest phrase taken out of the note as the subject
	rpMinCoverage  = 0.5 // …and more than this share of it must be the target's name
)

// fuzzy scores the words of the message against every item and indicator.
// It returns the winning document, or the candidates when several fit, or
// (-1, nil) when none does.
func (p *reportParser) fuzzy(owned []string) (int, []int) {
	ix := p.ix
	if len(ix.docs) == 0 {
		return -1, nil
	}
	scores := make([]float64, len(ix.docs))
	evidence := make([]bool, len(ix.docs))
	ix.score(p.query(), scores, evidence, p.hasFigures())
	if bases := p.amountBases(); len(bases) > 0 {
		for d := range scores {
			if ix.docs[d].base != "" && slices.Contains(bases, ix.docs[d].base) {
				scores[d] *= rpUnitBonus
			}
		}
	} else if p.progressOnly() {
		// A percentage or a done mark and no amount: not an indicator's
		// value (unless the indicator is itself a percentage).
		for d := ix.nItems; d < len(scores); d++ {
			if ix.docs[d].base != "%" {
				scores[d] = 0
			}
		}
	}
	isOwned := func(d int) bool {
		return d < ix.nItems && slices.Contains(owned, p.plan.Items[d].Code)
	}
	var list []int
	for d, s := range scores {
		if evidence[d] && s >= rpMinScore {
			list = append(list, d)
		}
	}
	if len(list) == 0 {
		return -1, nil
	}
	slices.SortStableFunc(list, func(a, b int) int {
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		case isOwned(a) != isOwned(b):
			if isOwned(a) {
				return -1
			}
			return 1
		}
		return a - b
	})
	best := scores[list[0]]
	cands := list[:0:0]
	for _, d := range list {
		if scores[d]*rpClearRatio > best+1e-9 {
			cands = append(cands, d)
		}
	}
	if len(cands) == 1 {
		return cands[0], nil
	}
	// An owned candidate wins when it is the single best owned one.
	var mine []int
	for _, d := range cands {
		if isOwned(d) {
			mine = append(mine, d)
		}
	}
	if len(mine) == 1 || (len(mine) > 1 && scores[mine[0]] > scores[mine[1]]+1e-9) {
		return mine[0], nil
	}
	return -1, cands[:min(len(cands), MaxCandidates)]
}

// query is the text left for fuzzy matching: runes not taken by tokens
// (tokens become spaces), up to rpQueryRunes of them.
func (p *reportParser) query() []rune {
	q := make([]rune, 0, min(len(p.rs), rpQueryRunes*2))
	count := 0
	for i, r := range p.rs {
		if p.taken[i] {
			r = ' '
		} else if !unicode.IsSpace(r) {
			count++
		}
		q = append(q, r)
		if count >= rpQueryRunes {
			break
		}
	}
	return q
}

// stripSubject takes out of the note the phrase that named doc, when that
// phrase comes before the figures: in "黄烟 50% 移栽完成" the note is
// "移栽完成", not "黄烟 移栽完成". A phrase is a run of text between spaces,
// punctuation and tokens; the one that scores best for doc (with evidence
// and at least rpMinScore, at most rpMaxSubject runes, and mostly made of
// the target's words: "大闸蟹推介会" stays, since 推介会 says more) is taken.
func (p *reportParser) stripSubject(doc int) {
	if doc < 0 || doc >= len(p.ix.docs) {
		return
	}
	limit := len(p.rs)
	for i := range p.toks {
		if k := p.toks[i].kind; k != rpName && k != rpMention && p.toks[i].start < limit {
			limit = p.toks[i].start
		}
	}
	scores := make([]float64, len(p.ix.docs))
	evidence := make([]bool, len(p.ix.docs))
	best, bestA, bestB := 0.0, 0, 0
	for i := 0; i < limit; {
		if p.taken[i] || rpIsSep(p.rs[i]) {
			i++
			continue
		}
		j := i
		for j < limit && !p.taken[j] && !rpIsSep(p.rs[j]) {
			j++
		}
		if j-i <= rpMaxSubject {
			clear(scores)
			clear(evidence)
			p.ix.score(p.rs[i:j], scores, evidence, true)
			if evidence[doc] && scores[doc] >= rpMinScore && scores[doc] > best && p.ix.coverage(p.rs[i:j], doc) > rpMinCoverage {
				best, bestA, bestB = scores[doc], i, j
			}
		}
		i = j
	}
	if best > 0 {
		p.subject, p.hasSubject = [2]int{bestA, bestB}, true
	}
}

// ---------------------------------------------------------------------------
// Reading the figures for the target

func (p *reportParser) problem(s string) {
	if s != "" {
		p.problems = append(p.problems, s)
	}
}

func (p *reportParser) finishItem(idx int) Intent {
	it := p.plan.Items[idx]
	in := Intent{Kind: IntentItemReport, Items: []string{it.Code}}
	for i := range p.toks {
		if t := &p.toks[i]; t.kind == rpCode && t.code == it.Code {
			t.used = true
		}
	}
	p.readDate(&in)
	p.readPercent(&in)
	p.readDone(&in)

	// Amounts toward the item's target, in its unit.
	var fits []*rpToken
	var vals []planbot.Amount
	var mismatch *rpToken
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind != rpFigure || t.rate || t.isPercent() || t.amt.Unit == "%" {
			continue
		}
		if t.err != nil {
			p.problem(t.err.Error())
			continue
		}
		if a, ok := rpItemAmount(t, it.Target); ok {
			fits = append(fits, t)
			vals = append(vals, a)
		} else if t.unitText && mismatch == nil && it.Target != nil && t.amt.Unit != "" {
			mismatch = t
		}
	}
	if k := p.pick(fits, vals, "数量"); k >= 0 {
		a := vals[k]
		if a.Value < 0 {
			p.problem("数量不能是负数：" + rpClip(fits[k].text))
		} else {
			in.Amount = &a
		}
	}
	if len(fits) == 0 && in.Percent == nil && !in.Done && len(p.problems) == 0 {
		switch {
		case mismatch != nil:
			p.problem(fmt.Sprintf("%s 的单位与目标（%s）不一致", rpClip(mismatch.text), rpUnitName(it.Target.Unit)))
		default:
			for i := range p.toks {
				if t := &p.toks[i]; t.kind == rpFigure && t.alone && t.err == nil {
					v := t.amt.Value.Float64()
					switch {
					case v >= 0 && v <= 100:
						p.problem(fmt.Sprintf("%s 没有单位：进度请写 %s%%", rpClip(t.text), rpClip(t.text)))
					case it.Target != nil && it.Target.Unit != "":
						p.problem(fmt.Sprintf("%s 没有单位：数量请写 %s%s", rpClip(t.text), rpClip(t.text), it.Target.Unit))
					default:
						p.problem(fmt.Sprintf("%s 没有单位", rpClip(t.text)))
					}
					break
				}
			}
		}
	}
	if in.Done && in.Percent != nil && *in.Percent < 100 {
		p.problem(fmt.Sprintf("说已完成，进度却是 %s%%", rpPct(*in.Percent)))
	}
	return p.finish(in)
}

// rpItemAmount reads t toward target: the same base unit, or a number with
// only a multiplier (15万) taken in the target's unit.
func rpItemAmount(t *rpToken, target *planbot.Amount) (planbot.Amount, bool) {
	if target == nil || !t.unitText {
		return planbot.Amount{}, false
	}
	if t.amt.Unit == target.Unit {
		return t.amt, true
	}
	if t.amt.Unit == "" {
		if a, err := planbot.ParseAmountIn(t.text, target.Unit); err == nil {
			return a, true
		}
	}
	return planbot.Amount{}, false
}

// pick chooses among figures for one slot: one distinct value, or the one
// marked 累计; several otherwise is a Problem. It returns -1 for none.
func (p *reportParser) pick(toks []*rpToken, vals []planbot.Amount, what string) int {
	if len(toks) == 0 {
		return -1
	}
	chosen := 0
	for k := 1; k < len(vals); k++ {
		if vals[k] == vals[chosen] {
			continue
		}
		var cum []int
		for c := range toks {
			if toks[c].cumul {
				cum = append(cum, c)
			}
		}
		if len(cum) == 1 {
			toks[cum[0]].used = true
			return cum[0]
		}
		msg := fmt.Sprintf("有两个%s：%s 和 %s", what, rpClip(toks[chosen].text), rpClip(toks[k].text))
		if what == "数字" {
			msg += "，请只填累计数"
		}
		p.problem(msg)
		return -1
	}
	for k := range toks {
		toks[k].used = true
	}
	return chosen
}

func (p *reportParser) finishIndicator(idx int) Intent {
	ind := p.plan.Indicators[idx]
	in := Intent{Kind: IntentIndicatorValue, Indicator: ind.Key}
	for i := range p.toks {
		if t := &p.toks[i]; t.kind == rpName && t.ind == idx {
			t.used = true
		}
	}
	p.readDate(&in)
	unitIsPercent := false
	if u, ok := planbot.LookupUnit(ind.Unit); ok && u.Base == "%" {
		unitIsPercent = true
	}
	var toks []*rpToken
	var vals []planbot.Amount
	var errs []error
	hadPercent := false
	// Figures first; an item code is read as a number ("固投 3.2", where 3.2
	// is also an item) only when there is no other figure.
	for _, kind := range []rpKind{rpFigure, rpCode} {
		if len(toks) > 0 || len(errs) > 0 {
			break
		}
		for i := range p.toks {
			t := &p.toks[i]
			if t.kind != kind || (kind == rpCode && !t.num) || t.rate {
				continue
			}
			if t.err != nil {
				errs = append(errs, t.err)
				continue
			}
			if t.amt.Unit == "%" && !unitIsPercent {
				hadPercent = true
				continue
			}
			if !t.unitText && !t.alone && !t.cumul && !t.progress && t.kind != rpCode {
				continue // 2027年
			}
			a, err := planbot.ParseAmountIn(t.text, ind.Unit)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			toks = append(toks, t)
			vals = append(vals, a)
		}
	}
	if k := p.pick(toks, vals, "数字"); k >= 0 {
		if vals[k].Value < 0 && ind.Accumulate != planbot.AccumulateLevel {
			p.problem("累计数不能是负数：" + rpClip(toks[k].text))
		} else {
			in.Amount = &vals[k]
		}
	} else if len(toks) == 0 {
		switch {
		case len(errs) > 0:
			p.problem(errs[0].Error())
		case hadPercent:
			p.problem(fmt.Sprintf("%s 请填数额（%s），不是百分比", ind.Name, rpUnitName(ind.Unit)))
		}
	}
	return p.finish(in)
}

func (p *reportParser) finishAmbiguous(items, inds []string) Intent {
	in := Intent{Kind: IntentAmbiguous, Items: items, Indicators: inds}
	for i := range p.toks {
		t := &p.toks[i]
		if (t.kind == rpCode && slices.Contains(items, t.code)) ||
			(t.kind == rpName && slices.Contains(inds, p.plan.Indicators[t.ind].Key)) {
			t.used = true
		}
	}
	p.readLoose(&in)
	return p.finish(in)
}

func (p *reportParser) finishUnknown(problem string) Intent {
	in := Intent{Kind: IntentUnknown}
	p.problem(problem)
	p.readLoose(&in)
	return p.finish(in)
}

// readLoose fills the figures of an intent without a single target, as a
// preview: the percentage, the first amount as written, done, the date.
func (p *reportParser) readLoose(in *Intent) {
	// A bare number is a value only when every candidate is an indicator.
	bare := len(in.Items) == 0 && len(in.Indicators) > 0
	p.readDate(in)
	p.readPercent(in)
	p.readDone(in)
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind == rpFigure && t.err == nil && !t.rate && !t.isPercent() && t.amt.Unit != "%" && (t.unitText || (t.alone && bare)) {
			a := t.amt
			in.Amount, t.used = &a, true
			break
		}
	}
	if in.Done && in.Percent != nil && *in.Percent < 100 {
		p.problem(fmt.Sprintf("说已完成，进度却是 %s%%", rpPct(*in.Percent)))
	}
}

func (p *reportParser) readDate(in *Intent) {
	var first *rpToken
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind != rpDate {
			continue
		}
		t.used = true
		switch {
		case t.problem != "":
			p.problem(t.problem)
			return
		case first == nil:
			first = t
		case first.date != t.date:
			p.problem(fmt.Sprintf("有两个日期：%d月%d日 和 %d月%d日", first.date.Month, first.date.Day, t.date.Month, t.date.Day))
			return
		}
	}
	if first != nil {
		d := first.date
		in.Date = &d
	}
}

func (p *reportParser) readPercent(in *Intent) {
	var vals []float64
	var bad error
	var last, prev *rpToken // the last two percentages, for "由40%提高到50%"
	for i := range p.toks {
		t := &p.toks[i]
		switch {
		case t.kind == rpFigure && t.err != nil && strings.Contains(t.text, "%"):
			if bad == nil {
				bad = t.err
			}
		case t.isPercent():
			if v := t.percent(); !slices.Contains(vals, v) {
				vals = append(vals, v)
				prev, last = last, t
			}
		default:
			continue
		}
		t.used = true
	}
	if len(vals) == 2 && prev.end <= last.start && strings.ContainsAny(string(p.rs[prev.end:last.start]), "到至→>") {
		// From one to the other (由40%提高到50%, 40%→50%): where it is now.
		// The words of the move are not a note.
		vals = vals[1:]
		start := prev.start
		for start > 0 && unicode.IsSpace(p.rs[start-1]) {
			start--
		}
		if start > 0 && strings.ContainsRune("由从", p.rs[start-1]) {
			start--
		}
		if start >= 2 && string(p.rs[start-2:start]) == "进度" {
			start -= 2
		}
		last.start = start
	}
	switch {
	case bad != nil:
		p.problem(bad.Error())
	case len(vals) > 1:
		p.problem(fmt.Sprintf("有两个进度数字：%s%% 和 %s%%", rpPct(vals[0]), rpPct(vals[1])))
	case len(vals) == 1 && (vals[0] < 0 || vals[0] > 100):
		p.problem(fmt.Sprintf("进度 %s%% 超出 0–100", rpPct(vals[0])))
	case len(vals) == 1:
		v := vals[0]
		in.Percent = &v
	}
}

func (p *reportParser) readDone(in *Intent) {
	for i := range p.toks {
		if t := &p.toks[i]; t.kind == rpDone {
			t.used, in.Done = true, true
		}
	}
}

// finish sets the Problem and cuts the Note.
func (p *reportParser) finish(in Intent) Intent {
	if len(p.problems) > 0 {
		in.Problem = p.problems[0]
	}
	in.Note = p.note()
	return in
}

// note is the text outside the used tokens, as written. Each remaining
// piece is trimmed of spaces, and of the punctuation that joined it to a
// removed token ("进度60%，已签约" → "已签约"); pieces are joined by a space.
func (p *reportParser) note() string {
	n := len(p.rs)
	used := make([]bool, n)
	cut := false
	for i := range p.toks {
		t := &p.toks[i]
		if t.used || t.kind == rpMention {
			for k := t.start; k < t.end && k < n; k++ {
				used[k] = true
			}
			cut = true
		}
	}
	if p.hasSubject {
		for k := p.subject[0]; k < p.subject[1]; k++ {
			used[k] = true
		}
		cut = true
	}
	if !cut {
		return strings.TrimSpace(p.text)
	}
	var b strings.Builder
	for i := 0; i < n; {
		if used[i] {
			i++
			continue
		}
		j := i
		for j < n && !used[j] {
			j++
		}
		a, z := i, j
		for {
			for a < z && unicode.IsSpace(p.rs[a]) {
				a++
			}
			for z > a && unicode.IsSpace(p.rs[z-1]) {
				z--
			}
			trimmed := false
			if i > 0 && a < z && rpIsJoiner(p.rs[a]) {
				a++
				trimmed = true
			}
			if j < n && z > a && rpIsJoiner(p.rs[z-1]) {
				z--
				trimmed = true
			}
			if !trimmed {
				break
			}
		}
		if a < z && !rpAllPunct(p.rs[a:z]) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(p.text[p.off[a]:p.off[z]])
		}
		i = j
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// The word index of a plan, for fuzzy matching.
//
// Every item is a document (title, description) and so is every indicator
// (its name and aliases count as title). A document and a query are cut into
// grams: single Han characters and pairs of adjacent ones, after stop words
// (的、和、推进、工作、进度、完成 …) and everything not Han have been taken
// out as breaks. A gram g found in document d scores
//
//	idf(g) × field × size,  idf(g) = ln(1 + N/df(g))
//
// where N is the number of documents, df(g) how many contain g, field is 3
// in the title and 1 only in the description, and size 2 for a pair, 1 for a
// character. A document's score is the sum over the query's distinct grams.
// It fits only with evidence — a pair it shares with the query, or a title
// character found in at most two documents (蟹, 烟) — and a score of at
// least rpMinScore. An amount in the unit of an item's target doubles that
// item's score. The best fitting document wins when it scores at least
// rpClearRatio times every other; otherwise those within that ratio of it
// are the candidates.

type rpIndex struct {
	plan       *planbot.Plan
	nItems     int
	nInds      int
	first      *planbot.Item
	firstInd   *planbot.Indicator
	codes      map[string]int
	indicators map[string]int
	names      []rpAlias
	nameFirst  map[rune][]int
	docs       []rpDoc
	post       map[uint64][]rpPosting
}

type rpAlias struct {
	rs  []rune
	ind int
}

type rpDoc struct {
	base string // base unit of the item's target or the indicator's unit
}

type rpPosting struct {
	doc    int32
	weight float64
	pair   bool // a two-character gram: always evidence
	title  bool // found in the title (or an indicator's name or alias)
	rare   bool // a title character in at most two documents: evidence with a figure
}

var rpCache atomic.Pointer[rpIndex]

func rpIndexFor(plan *planbot.Plan) *rpIndex {
	if ix := rpCache.Load(); ix != nil && ix.matches(plan) {
		return ix
	}
	ix := rpBuildIndex(plan)
	rpCache.Store(ix)
	return ix
}

func (ix *rpIndex) matches(plan *planbot.Plan) bool {
	if ix.plan != plan {
		return false
	}
	if plan == nil {
		return true
	}
	if len(plan.Items) != ix.nItems || len(plan.Indicators) != ix.nInds {
		return false
	}
	if len(plan.Items) > 0 && &plan.Items[0] != ix.first {
		return false
	}
	return len(plan.Indicators) == 0 || &plan.Indicators[0] == ix.firstInd
}

func rpBuildIndex(plan *planbot.Plan) *rpIndex {
	ix := &rpIndex{plan: plan, codes: map[string]int{}, indicators: map[string]int{}, nameFirst: map[rune][]int{}, post: map[uint64][]rpPosting{}}
	if plan == nil {
		return ix
	}
	ix.nItems, ix.nInds = len(plan.Items), len(plan.Indicators)
	if ix.nItems > 0 {
		ix.first = &plan.Items[0]
	}
	if ix.nInds > 0 {
		ix.firstInd = &plan.Indicators[0]
	}
	type field struct{ title, desc map[uint64]bool }
	var fields []field
	grams := func(s string) map[uint64]bool {
		m := map[uint64]bool{}
		rpGrams([]rune(s), func(g uint64) { m[g] = true })
		return m
	}
	for i, it := range plan.Items {
		if _, dup := ix.codes[it.Code]; !dup {
			ix.codes[it.Code] = i
		}
		base := ""
		if it.Target != nil {
			base = it.Target.Unit
		}
		ix.docs = append(ix.docs, rpDoc{base: base})
		fields = append(fields, field{grams(it.Title), grams(it.Description)})
	}
	for i, ind := range plan.Indicators {
		if _, dup := ix.indicators[ind.Key]; !dup {
			ix.indicators[ind.Key] = i
		}
		base := ""
		if u, ok := planbot.LookupUnit(ind.Unit); ok {
			base = u.Base
		}
		ix.docs = append(ix.docs, rpDoc{base: base})
		title := map[uint64]bool{}
		for _, s := range append([]string{ind.Name}, ind.Aliases...) {
			for g := range grams(s) {
				title[g] = true
			}
			if rs := []rune(strings.TrimSpace(s)); len(rs) > 0 {
				ix.names = append(ix.names, rpAlias{rs: rs, ind: i})
			}
		}
		fields = append(fields, field{title, map[uint64]bool{}})
	}
	slices.SortStableFunc(ix.names, func(a, b rpAlias) int { return len(b.rs) - len(a.rs) })
	for k, nm := range ix.names {
		ix.nameFirst[nm.rs[0]] = append(ix.nameFirst[nm.rs[0]], k)
	}
	df := map[uint64]int{}
	for _, f := range fields {
		for g := range f.title {
			df[g]++
		}
		for g := range f.desc {
			if !f.title[g] {
				df[g]++
			}
		}
	}
	n := float64(len(fields))
	for d, f := range fields {
		add := func(g uint64, w float64, inTitle bool) {
			bigram := g>>32 != 0
			size := 1.0
			if bigram {
				size = rpBigramWeight
			}
			idf := math.Log(1 + n/float64(df[g]))
			rare := !bigram && inTitle && df[g] <= 2 && !strings.ContainsRune(rpCommonChars, rune(g))
			ix.post[g] = append(ix.post[g], rpPosting{doc: int32(d), weight: idf * w * size, pair: bigram, title: inTitle, rare: rare})
		}
		for g := range f.title {
			add(g, rpTitleWeight, true)
		}
		for g := range f.desc {
			if !f.title[g] {
				add(g, rpDescWeight, false)
			}
		}
	}
	return ix
}

// rpCommonChars are everyday characters that, alone, never show which item
// a message is about (你好 is not 办好招商推介).
const rpCommonChars = "好大小上下中人新年月日天一不多少做要会能去来说看想到出入开后前里外时地得着过用分所以发生成可心手点最很再高行现事家面主本请问谢吃走访次号投放建设办加提增改"

// score adds each document's score for the query q to scores, and marks
// the documents with evidence: a shared pair of characters, or (when rare
// is true: the message carries a figure) a rare title character.
func (ix *rpIndex) score(q []rune, scores []float64, evidence []bool, rare bool) {
	seen := map[uint64]bool{}
	rpGrams(q, func(g uint64) {
		if seen[g] {
			return
		}
		seen[g] = true
		for _, ps := range ix.post[g] {
			scores[ps.doc] += ps.weight
			if ps.pair || (rare && ps.rare) {
				evidence[ps.doc] = true
			}
		}
	})
}

// Stop words carry no meaning for matching: particles, and the verbs every
// plan item shares.
var rpStopWords = func() map[rune][][]rune {
	words := []string{
		"进一步", "推进", "推动", "工作", "进度", "完成", "开展", "情况", "目前", "已经", "正在",
		"全部", "累计", "汇报", "今天", "本周", "本月", "我们", "积极", "不断", "切实", "加强",
		"加大", "做好", "抓好", "深入", "持续", "努力", "争取", "尽快", "方面", "相关", "有关",
		"进行", "一个",
		"的", "和", "与", "及", "了", "已", "在", "是", "有", "对", "为", "等", "并", "把", "将",
		"也", "还", "都", "又", "就", "于", "之", "或", "从", "向", "被", "让", "给", "各", "这",
		"那", "我", "你", "他", "她", "它", "啊", "吗", "呢", "吧", "哦", "嗯", "个",
	}
	m := map[rune][][]rune{}
	for _, w := range words {
		rs := []rune(w)
		m[rs[0]] = append(m[rs[0]], rs)
	}
	for _, list := range m {
		slices.SortFunc(list, func(a, b []rune) int { return len(b) - len(a) })
	}
	return m
}()

// rpGrams calls emit for every gram of rs: each Han character and each pair
// of adjacent Han characters, stop words and non-Han runes breaking runs. A
// character is r; a pair is r1<<32 | r2.
func rpGrams(rs []rune, emit func(uint64)) {
	rpGramsAt(rs, func(g uint64, _ int) { emit(g) })
}

// rpGramsAt is rpGrams telling where each gram ends: a character at i is
// emitted with i, a pair ending at i too (it starts at i-1).
func rpGramsAt(rs []rune, emit func(g uint64, i int)) {
	prev := rune(-1)
	for i := 0; i < len(rs); {
		r := rs[i]
		if !unicode.Is(unicode.Han, r) {
			prev = -1
			i++
			continue
		}
		if stop := rpStopAt(rs, i); stop > 0 {
			prev = -1
			i += stop
			continue
		}
		emit(uint64(r), i)
		if prev >= 0 {
			emit(uint64(prev)<<32|uint64(r), i)
		}
		prev = r
		i++
	}
}

// coverage is the share of the meaningful characters of rs (Han, not in a
// stop word) found in doc's title (as a character or a pair): how much of a
// phrase is just the name of the document.
func (ix *rpIndex) coverage(rs []rune, doc int) float64 {
	covered := make([]bool, len(rs))
	total := 0
	rpGramsAt(rs, func(g uint64, i int) {
		pair := g>>32 != 0
		if !pair {
			total++
		}
		for _, ps := range ix.post[g] {
			if int(ps.doc) != doc || !ps.title {
				continue
			}
			covered[i] = true
			if pair {
				covered[i-1] = true
			}
		}
	})
	if total == 0 {
		return 0
	}
	n := 0
	for _, c := range covered {
		if c {
			n++
		}
	}
	return float64(n) / float64(total)
}

func rpStopAt(rs []rune, i int) int {
	for _, w := range rpStopWords[rs[i]] {
		if i+len(w) <= len(rs) && slices.Equal(rs[i:i+len(w)], w) {
			return len(w)
		}
	}
	return 0
}

// ---------------------------------------------------------------------------
// Small helpers

func rpIsDigit(r rune) bool  { return r >= '0' && r <= '9' }
func rpIsLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// rpIsNumeral reports whether r may be part of a Chinese numeral.
func rpIsNumeral(r rune) bool {
	return strings.ContainsRune("零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟萬億", r)
}

func rpIsDigitNumeral(r rune) bool {
	return strings.ContainsRune("零〇一二三四五六七八九壹贰叁肆伍陆柒捌玖", r)
}

// rpIsSep reports whether r separates words: space, punctuation, symbols.
func rpIsSep(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
}

// rpIsJoiner reports whether r is punctuation that only joined a removed
// token to the text around it.
func rpIsJoiner(r rune) bool {
	return strings.ContainsRune(",，:：;；、.。!！?？【】[]()（）", r)
}

func rpAllPunct(rs []rune) bool {
	for _, r := range rs {
		if !unicode.IsPunct(r) && !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// rpPct formats a percentage without trailing zeros: 60, 60.5.
func rpPct(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func rpUnitName(u string) string {
	if u == "" {
		return "纯数字"
	}
	return u
}

// rpClip shortens user text quoted in a Problem.
func rpClip(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if r := []rune(s); len(r) > 20 {
		return string(r[:20]) + "…"
	}
	return s
}
