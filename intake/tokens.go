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
	ordinal  bool           // 第三场: the count reached, kept in the note
	keep     bool           // 过半, 一半多: read, but kept in the note as written
	incr     bool           // 新增, 又…: what was added, not the running total

	// tokDate
	date    planbot.Date
	problem string

	// tokName
	ind int

	// tokDone
	glued   bool // words glued before it: done only if they name the item
	subject int  // where those words start
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
	lettersInNumbers(p.rs)
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
		rs = append(rs, planbot.FoldRune(r)) // the same folding as amounts
		off = append(off, i)
	}
	off = append(off, len(s))
	return rs, off
}

// lettersInNumbers reads the letters a phone keyboard offers next to the
// digits as the digits they look like: O/o for 0 and l/I for 1, inside or
// right beside the digits of a number ("6O%", "1O0%", "2l万只", "l5万只").
// Only in a run of digits and those letters that has a digit and no other
// ASCII letter glued to it, so "OK", "XX" and "500ml" are left alone.
func lettersInNumbers(rs []rune) {
	look := func(r rune) bool { return r == 'O' || r == 'o' || r == 'l' || r == 'I' }
	for i := 0; i < len(rs); {
		if !isDigit(rs[i]) && !look(rs[i]) {
			i++
			continue
		}
		j, digits, letters := i, 0, 0
		for j < len(rs) && (isDigit(rs[j]) || look(rs[j]) || (rs[j] == '.' && j > i && j+1 < len(rs) && (isDigit(rs[j+1]) || look(rs[j+1])))) {
			switch {
			case isDigit(rs[j]):
				digits++
			case rs[j] != '.':
				letters++
			}
			j++
		}
		glued := (i > 0 && isLetter(rs[i-1])) || (j < len(rs) && isLetter(rs[j]))
		if digits > 0 && letters > 0 && letters <= 2 && !glued {
			for k := i; k < j; k++ {
				switch rs[k] {
				case 'O', 'o':
					rs[k] = '0'
				case 'l', 'I':
					rs[k] = '1'
				}
			}
		}
		i = j
	}
}

// codeStops reads "2。3", "2-3", "2—3", "二.3" as the item code 2.3: a
// phone in Chinese mode types 。 for the dot, some write a dash, and a
// section may be written as a Chinese numeral. Only where the digits around
// it make a code of the plan, so "进度60。3月开工" keeps its full stop; a
// dash only when the code leads or ends the message ("培训2-3场" is a range).
func (p *reader) codeStops() {
	digit := func(r rune) bool { return r >= '0' && r <= '9' }
	for i := 1; i+1 < len(p.rs); i++ {
		sep := p.rs[i]
		dash := sep == '-' || sep == '—' || sep == '–' || sep == '‐' || sep == '‑' || sep == '―'
		if (sep != '。' && sep != '.' && !dash) || !digit(p.rs[i+1]) {
			continue
		}
		a, b := i, i+2
		numeral := rune(0)
		switch prev := p.rs[i-1]; {
		case digit(prev):
			if sep == '.' {
				continue
			}
			for a > 0 && digit(p.rs[a-1]) {
				a--
			}
			if a > 0 && (p.rs[a-1] == '.' || isLetter(p.rs[a-1])) {
				continue
			}
		case strings.ContainsRune("一二三四五六七八九", prev):
			a = i - 1
			if a > 0 && (isNumeral(p.rs[a-1]) || p.rs[a-1] == '.') {
				continue
			}
			numeral = '1' + rune(strings.IndexRune("一二三四五六七八九", prev)/len("一"))
		default:
			continue
		}
		for b < len(p.rs) && digit(p.rs[b]) {
			b++
		}
		if b < len(p.rs) && (p.rs[b] == '.' || p.rs[b] == sep) {
			continue // 2-3-1, 二.3.1
		}
		head := string(p.rs[a:i])
		if numeral != 0 {
			head = string(numeral)
		}
		if _, ok := p.ix.codes[head+"."+string(p.rs[i+1:b])]; !ok {
			continue
		}
		if dash && !p.onlyPunct(0, a) && !p.onlyPunct(b, len(p.rs)) {
			continue
		}
		p.rs[i] = '.'
		if numeral != 0 {
			p.rs[a] = numeral
		}
	}
}

// onlyPunct reports whether rs[i:j] holds no digit, letter or Han character.
func (p *reader) onlyPunct(i, j int) bool {
	for _, r := range p.rs[i:j] {
		if isDigit(r) || isLetter(r) || unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return true
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
	if i >= len(p.rs) {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(w); p.rs[i] != r {
		return false // the common case, cheaply
	}
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
	if r, _ := utf8.DecodeLastRuneInString(w); j < 1 || j > len(p.rs) || p.rs[j-1] != r {
		return 0, false // the common case, cheaply
	}
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
		case r == '截':
			if j, ok := p.asOf(i); ok {
				i = j
			} else {
				i++
			}
		case halfFirst(r) && p.halfAt(i):
			if j, ok := p.half(i); ok {
				i = j
			} else {
				i++ // 大半年: a word of its own
			}
		case isNumeral(r):
			i = p.chineseNumber(i)
		case r == '✅' || r == '✔' || r == '☑' || r == '✓':
			j := i + 1
			if j < n && p.rs[j] == 0xFE0F {
				j++
			}
			if k := len(p.toks) - 1; k >= 0 && p.toks[k].kind == tokFigure && p.toks[k].end == p.skipBack(i) {
				i = j // 680亩✅: a tick on the figure, not the item done
				continue
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
		if w == "项" && j+1 < len(p.rs) && p.rs[j+1] == '目' {
			continue // 2.3项目手续…: 项 belongs to 项目
		}
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
	"一共", "总共", "共有", "共", "目前已", "目前", "现有", "已有",
}

// cumulWords are the keywords that mark a running total.
var cumulWords = []string{"累计", "计", "共", "目前", "现有", "已有"}

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
			t.cumul = slices.ContainsFunc(cumulWords, func(c string) bool { return strings.Contains(w, c) })
			break
		}
		if t.kind == tokFigure && t.amt.Unit != "%" && !t.cumul && !t.progress && t.err == nil {
			p.increment(t)
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

// doneWords say the work is finished (完成, and what cadres say for it).
var doneWords = []string{"完成", "完工", "竣工", "搞完", "整完", "办完", "弄完", "做完", "干完", "弄好", "搞好", "搞定", "办妥"}

// Words that make a figure what was added (新增10户, 又检查企业12家), longest
// first where one is the end of another; and the times that may lead them.
var (
	incrementWords = []string{"又新增", "再新增", "又增加", "再增加", "又追加", "新增", "增加", "追加", "又", "再"}
	incrementTimes = []string{"本季度", "本周", "本月", "今天", "今日", "这周", "这个月", "近期", "今年"}
)

// increment marks figure t as an increment when an increment word leads
// its clause. Right before the figure, or with at most a short verb
// between (又投放5万只, 又开展了3场, 再增加香芋20亩), the words are the
// figure's keyword and leave the note; further back (本月又检查企业12家)
// they stay in it.
func (p *reader) increment(t *token) {
	j := p.skipBack(t.start)
	for extra := 0; extra <= 3; extra++ {
		pos := j - extra
		if pos < 0 || !p.free(pos, j) {
			return
		}
		if extra > 0 {
			r := p.rs[pos]
			if !unicode.Is(unicode.Han, r) || strings.ContainsRune("到至为达，。", r) || isNumeral(r) {
				break
			}
		}
		for _, w := range incrementWords {
			s, ok := p.endsAt(pos, w)
			if !ok {
				continue
			}
			if _, neg := p.endsAt(s, "不"); neg {
				return // 不再
			}
			for _, tw := range incrementTimes {
				if ts, ok := p.endsAt(s, tw); ok {
					s = ts
					break
				}
			}
			for x := s; x < t.start; x++ {
				p.taken[x] = true
			}
			t.start, t.incr = s, true
			return
		}
	}
	// Further back in the clause: still an increment, the words stay.
	for k := j - 1; k >= 0 && k >= j-12; k-- {
		r := p.rs[k]
		if unicode.IsSpace(r) && !p.taken[k] {
			continue // 本月 又 直播 5场
		}
		if p.taken[k] || isSep(r) || isDigit(r) || !unicode.Is(unicode.Han, r) {
			return
		}
		if r == '又' || r == '再' || (r == '增' && k > 0 && p.rs[k-1] == '新') || (r == '加' && k > 0 && p.rs[k-1] == '追') {
			if k > 0 && p.rs[k-1] == '不' {
				return
			}
			t.incr = true
			return
		}
	}
}

// doneFirst reports whether r may begin one of doneWords.
func doneFirst(r rune) bool {
	switch r {
	case '完', '竣', '搞', '整', '办', '弄', '做', '干':
		return true
	}
	return false
}

// findDoneWords marks a done word standing alone: "2.3 完成", "已完成",
// "全部完成了！", "弄好咯" but not "已完成手续办理", "未完成", "基本完成",
// "快完成了", or a 完成 taken by a figure. A done word glued to the words
// before it ("手续已全部办完", "移栽完成") is marked glued: it is done only
// when those words are the item's own title (finishItem decides).
func (p *reader) findDoneWords() {
	for i := 0; i+1 < len(p.rs); i++ {
		if !doneFirst(p.rs[i]) {
			continue
		}
		w := ""
		for _, d := range doneWords {
			if p.at(i, d) {
				w = d
				break
			}
		}
		if w == "" {
			continue
		}
		left, right := i, i+utf8.RuneCountInString(w)
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
		for _, w := range []string{"未", "没", "没有", "尚未", "不", "基本", "未能", "快", "快要", "即将", "将要", "接近", "还没", "待"} {
			if _, ok := p.endsAt(i, w); ok {
				negated = true
			}
			if _, ok := p.endsAt(left, w); ok {
				negated = true
			}
		}
		if right < len(p.rs) && strings.ContainsRune("了咯啦喽", p.rs[right]) && !p.taken[right] {
			right++
		}
		if right < len(p.rs) && strings.ContainsRune("了啦", p.rs[right]) && !p.taken[right] {
			right++ // 完成了啦
		}
		if negated || !p.boundaryAfter(right) {
			continue
		}
		t := token{kind: tokDone, start: left, end: right}
		if !p.boundaryBefore(left) {
			// The words glued before it: its subject.
			s := left
			for s > 0 && !p.taken[s-1] && unicode.Is(unicode.Han, p.rs[s-1]) {
				s--
			}
			if s == left {
				continue // 2.3a完成, ✅完成: nothing to judge by
			}
			t.glued, t.subject = true, s
		}
		p.add(t)
		i = right - 1
	}
}
