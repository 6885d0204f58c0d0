package intake

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"planbot"
)

// ---------------------------------------------------------------------------
// Tokens

type tokKind uint8

const (
	tokCode    tokKind = iota + 1
	tokFigure          // a number, with its unit and the keyword before it
	tokDate            // @3月15日 …
	tokDone            // 完成, ✅ …
	tokMention         // @botname at the start
	tokName            // an indicator name or alias
)

type token struct {
	kind       tokKind
	start, end int // runes of the normalised text, keyword and markers included
	used       bool

	// tokCode
	code   string
	strong bool // at the start of the message, or marked (第…项, 事项…, …号, 【…】)

	// tokFigure (and a code's reading as a number, for indicators)
	fig      int            // where the number starts (after the keyword)
	text     string         // the figure as written, normalised: "15万只"
	amt      planbot.Amount // planbot.ParseAmount(text)
	num      bool           // tokCode: text/amt hold its reading as a bare number
	err      error          // looked like a figure but is not a valid one
	unitText bool           // a unit, multiplier, % or 成 follows the digits
	progress bool           // after 进度/完成率: a bare number is a percentage
	cumul    bool           // after 累计/共计/合计: a running total
	rate     bool           // 同比增长5%: a rate, not progress
	alone    bool           // a bare number with nothing glued to it

	// tokDate
	date    planbot.Date
	problem string

	// tokName
	ind int
}

func (t *token) isPercent() bool {
	return t.kind == tokFigure && t.err == nil && !t.rate &&
		(t.amt.Unit == "%" || (t.progress && !t.unitText))
}

// percent is the value of a percentage token.
func (t *token) percent() float64 { return t.amt.Value.Float64() }

type reader struct {
	text  string
	rs    []rune // normalised
	off   []int  // off[i] is the byte offset in text of rs[i]; off[len(rs)] == len(text)
	taken []bool // rune belongs to a token
	toks  []token

	plan    *planbot.Plan
	ix      *wordIndex
	today   planbot.Date
	year    int
	badCode string // a code-shaped first token that is no item's code
	content int    // index of the first digit or Han character outside a mention

	subject    [2]int // phrase that named a fuzzily matched target
	hasSubject bool
	problems   []string
}

func newReader(text string, plan *planbot.Plan, today planbot.Date) *reader {
	p := &reader{text: text, plan: plan, ix: indexFor(plan), today: today}
	p.year = today.Year
	if plan != nil && plan.Year != 0 {
		p.year = plan.Year
	}
	p.rs, p.off = normalize(text)
	p.codeStops()
	p.taken = make([]bool, len(p.rs)+1)
	p.tokenize()
	return p
}

// normalize folds what a phone keyboard in Chinese mode produces to the
// ASCII the scanner looks for, one rune for one rune, remembering where each
// rune came from. Invalid bytes become U+FFFD of width 1.
func normalize(s string) ([]rune, []int) {
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
func (p *reader) codeStops() {
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

func (p *reader) add(t token) {
	for i := t.start; i < t.end; i++ {
		p.taken[i] = true
	}
	p.toks = append(p.toks, t)
}

func (p *reader) free(i, j int) bool {
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
func (p *reader) at(i int, w string) bool {
	for _, r := range w {
		if i >= len(p.rs) || p.rs[i] != r || p.taken[i] {
			return false
		}
		i++
	}
	return true
}

// endsAt returns where w starts if rs has w ending right before j, none of it taken.
func (p *reader) endsAt(j int, w string) (int, bool) {
	i := j - utf8.RuneCountInString(w)
	if i < 0 || !p.at(i, w) {
		return 0, false
	}
	return i, true
}

func (p *reader) skipSpace(i int) int {
	for i < len(p.rs) && unicode.IsSpace(p.rs[i]) && !p.taken[i] {
		i++
	}
	return i
}

// boundaryBefore reports whether nothing word-like is glued before i.
func (p *reader) boundaryBefore(i int) bool {
	return i <= 0 || isSep(p.rs[i-1]) || p.taken[i-1]
}

// boundaryAfter reports whether nothing word-like is glued at j.
func (p *reader) boundaryAfter(j int) bool {
	return j >= len(p.rs) || isSep(p.rs[j]) || p.taken[j]
}

func (p *reader) tokenize() {
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
	} else if first < n && isDigit(p.rs[first]) {
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
		if (isDigit(r) || unicode.Is(unicode.Han, r)) && !p.taken[k] {
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
		case isDigit(r):
			i = p.number(i)
		case isLetter(r):
			i = p.word(i)
		case p.at(i, "百分之"):
			i = p.chinesePercent(i)
		case isNumeral(r):
			i = p.chineseNumber(i)
		case r == '✅' || r == '✔' || r == '☑' || r == '✓':
			j := i + 1
			if j < n && p.rs[j] == 0xFE0F {
				j++
			}
			p.add(token{kind: tokDone, start: i, end: j})
			i = j
		default:
			i++
		}
	}
	p.attachKeywords()
	p.findDoneWords()
	for k := range p.toks {
		t := &p.toks[k]
		if t.kind == tokFigure && !t.unitText && t.fig == t.start {
			t.alone = p.boundaryBefore(t.start) && p.boundaryAfter(t.end)
		}
	}
	slices.SortFunc(p.toks, func(a, b token) int { return a.start - b.start })
}

// findNames marks every indicator name and alias, longest first.
func (p *reader) findNames() {
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
			p.add(token{kind: tokName, start: i, end: j, ind: nm.ind})
			i = j - 1
			break
		}
	}
}

// mention drops a leading @username (the bot addressed in a group).
func (p *reader) mention(i int) {
	j := i + 1
	if j >= len(p.rs) || !isLetter(p.rs[j]) {
		return
	}
	for j < len(p.rs) && (isLetter(p.rs[j]) || isDigit(p.rs[j]) || p.rs[j] == '_') {
		j++
	}
	if j-i-1 >= 5 && p.free(i, j) {
		p.add(token{kind: tokMention, start: i, end: j})
	}
}

// isStart reports whether a code at i is the first thing in the message:
// before it only spaces, punctuation, ASCII letters (HTML tags, "Item") and
// a leading mention.
func (p *reader) isStart(i int) bool { return i <= p.content }

// codeRun is the extent of a code-shaped run at i: letters, digits, '.',
// '-', '_', with trailing punctuation left out.
func (p *reader) codeRun(i int) int {
	j := i
	for j < len(p.rs) && j-i < maxCode && !p.taken[j] && (isDigit(p.rs[j]) || isLetter(p.rs[j]) || p.rs[j] == '.' || p.rs[j] == '-' || p.rs[j] == '_') {
		j++
	}
	for j > i && (p.rs[j-1] == '.' || p.rs[j-1] == '-' || p.rs[j-1] == '_') {
		j--
	}
	return j
}

// maxCode bounds a code-shaped run: "1-1-1-…" is read in linear time.
const maxCode = 32

// tryCode takes rs[i:j] as an item code when it is one and no unit follows.
func (p *reader) tryCode(i, j int) bool {
	if j-i >= maxCode {
		return false
	}
	code := string(p.rs[i:j])
	if _, ok := p.ix.codes[code]; !ok {
		return false
	}
	if k, _, ok, _ := p.longest(i, j); ok && k > j && p.rs[j] != '号' && p.rs[j] != '项' {
		return false // 3.2亿, 2.3万元: a figure
	}
	t := token{kind: tokCode, start: i, end: j, code: code}
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
	if !t.strong && allDigits(code) {
		return false // a plain number is a code only at the start or marked: 进度60
	}
	p.add(t)
	return true
}

func allDigits(s string) bool {
	for _, r := range s {
		if !isDigit(r) {
			return false
		}
	}
	return s != ""
}

// skipBack steps back over spaces before i.
func (p *reader) skipBack(i int) int {
	for i > 0 && unicode.IsSpace(p.rs[i-1]) && !p.taken[i-1] {
		i--
	}
	return i
}

// word reads an ASCII word: an item code ("A1"), "done", or text.
func (p *reader) word(i int) int {
	j := p.codeRun(i)
	if j == i {
		return i + 1
	}
	if p.tryCode(i, j) {
		return j
	}
	end := i
	for end < len(p.rs) && isLetter(p.rs[end]) {
		end++
	}
	if strings.EqualFold(string(p.rs[i:end]), "done") && p.boundaryBefore(i) && p.boundaryAfter(end) {
		p.add(token{kind: tokDone, start: i, end: end})
	}
	return max(j, end)
}

// Keywords a figure takes from before it (longest first where one is the
// end of another).
var figureKeywords = []string{
	"进度达到", "进度为", "进度达", "进度是", "进度",
	"完成率为", "完成率", "完成比例",
	"累计完成", "累计达到", "累计达", "累计", "共计", "合计",
	"已完成", "完成了", "完成", "已达到", "已达", "达到",
}

// Words before a percentage that make it a rate, not progress.
var rateWords = []string{"增长", "增幅", "增速", "同比", "环比", "下降", "降低", "减少", "增加", "提高", "占比", "比重", "高于", "低于"}

func (p *reader) attachKeywords() {
	for k := range p.toks {
		t := &p.toks[k]
		if t.kind != tokFigure && !(t.kind == tokCode && t.num) {
			continue
		}
		j := p.skipBack(t.start)
		if j > 0 && p.rs[j-1] == ':' && !p.taken[j-1] {
			j = p.skipBack(j - 1)
		}
		for _, w := range figureKeywords {
			s, ok := p.endsAt(j, w)
			if !ok {
				continue
			}
			if t.kind == tokCode {
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
		if t.kind == tokFigure && t.amt.Unit == "%" && !t.progress {
			from := max(0, t.start-6)
			window := string(p.rs[from:t.start])
			for _, w := range rateWords {
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
func (p *reader) findDoneWords() {
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
		p.add(token{kind: tokDone, start: left, end: right})
		i = right - 1
	}
}
