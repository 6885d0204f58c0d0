// Package importdoc turns the plan an admin already has as a document — the
// 明年工作打算 part of a township's 工作总结和明年工作打算, written the way
// township offices write them — into a draft planbot configuration, so that
// nobody retypes it into YAML.
//
// The draft keeps the document's structure: each （一） heading of the plan
// part becomes a section, each sentence or ；-clause under it (or each
// numbered point 1. /（1）) an item with a short title, the full sentence as
// its description, start and due dates read from phrases such as 6月底前 or
// 下半年, and a target where the clause has a number with a unit. Figures in
// the summary part (全镇实现固定资产投资X亿元，同比增长24％) become indicators.
//
// Who leads and who owns each item is not in the document, so the draft says
// TODO there, literally; the config loader reports every value starting with
// TODO as 待填写 at its line. The draft therefore fails `planbot check`, one
// message per placeholder, until each is filled, and then passes.
package importdoc

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"planbot"
)

// Options controls a conversion.
type Options struct {
	// Year is the plan year. 0 derives it: a year named in the plan heading
	// (2027年工作计划), else the year after the summary's (2023年工作总结和
	// 明年工作打算 → 2024), else the year after Now's.
	Year int
	// Now is the clock for the last fallback; nil is time.Now.
	Now func() time.Time
	// Source is the file name written into the draft's header comment.
	Source string
}

// Document is what was read from a work summary and plan.
type Document struct {
	Source      string
	Title       string // the first line when it reads like a title, e.g. 2023年工作总结和明年工作打算
	SummaryYear int    // the year of the summary (2023), 0 when the document does not say
	Year        int    // the plan year the draft is for
	YearFrom    string // why Year: a sentence for the draft's header
	PlanHeading string // e.g. 明年工作打算
	PlanLine    int    // line of the plan heading, 0 when the whole document is the plan
	Sections    []Section
	Indicators  []Indicator
	// Skipped are the paragraphs and sentences of the plan part that were
	// not made items (lead-ins, preambles, closing words), so that the
	// clerk can check them against the document.
	Skipped []Skip

	secondHalf bool // the plan is for the second half of Year
	reportYear int  // the year of a 政府工作报告, 0 if none
}

// Skip is a piece of the plan part left out of the draft.
type Skip struct {
	Line int
	Text string // its first words
	Why  string // 引导语, 结束语, 落款 …
}

// Section is one heading of the plan part.
type Section struct {
	Code  string // "1", "2" …
	Title string // the heading without its numbering, e.g. 强核心、固堡垒，全力打造党建工作新高度
	Num   string // the numbering as written, e.g. （一）
	Line  int
	Items []Item
}

// Item is one task: a sentence, a ；-clause or a numbered point.
type Item struct {
	Code        string // "1.1" …
	Title       string // short, at most TitleMax runes
	Description string // the sentence as written
	Line        int
	Start, Due  planbot.Date
	// StartPhrase and DuePhrase are the words Start and Due were read
	// from; "" when they are the defaults (1 January, 31 December).
	StartPhrase, DuePhrase string
	// Earlier are other, earlier deadlines in the same text ("6月底前 →
	// 2027-06-30"): candidates for milestones.
	Earlier []string
	// Target is a measurable target with its unit ("30万只"), "" if none.
	Target string
	// TargetHidden is the placeholder when the document hid the number
	// ("X亿元"); the draft then asks for it.
	TargetHidden string
	// TargetContext is the few words around the target, for a comment.
	TargetContext string
}

// Indicator is a key figure read from the summary part.
type Indicator struct {
	Key     string
	Name    string
	Aliases []string
	Unit    string // as written: 亿元, 万元, %; "" when planbot does not know the written unit
	// WrittenUnit is the unit as written when planbot does not know it (万美元).
	WrittenUnit string
	// LastYear is the summary's figure in Unit ("5.2"), "" when hidden.
	LastYear string
	Hidden   bool   // written as X
	Growth   string // year-on-year change in percent, "24" or "-3.5"; "" if not given
	Share    string // share of last year's target reached, "121.6"; "" if not given
	// Value is the figure as written, in Unit or WrittenUnit ("5.2"); for
	// an annual summary it is also LastYear.
	Value string
	// Target is this year's target: the document's own (Goal), or a
	// suggestion (LastYear × (1+Growth)); "" when there is no basis.
	Target string
	// TargetFrom says where Target came from: "goal" (the plan's 预期目标),
	// "plan" (a figure the plan part sets for it), "share" (a half-year
	// figure over its share of the year's task), "growth" (a suggestion).
	TargetFrom string
	// Goal is the document's own target as written ("增长6.5%左右").
	Goal       string
	Accumulate planbot.Accumulation
	Source     string // the clause it came from
	Line       int
}

// TitleMax is the longest item title the draft writes, in runes.
const TitleMax = 20

// MaxInput bounds the document size: a work plan is a few pages.
const MaxInput = 1 << 20

// Errors a conversion can end with.
var (
	ErrNoPlan  = errors.New("没有找到计划部分：文中应有“明年工作打算”“下一步工作打算”“20XX年工作计划”“工作要点”“今年工作安排”“工作思路”“工作目标和工作措施”这样的标题，或在开头写明“报告我镇20XX年度工作计划”")
	ErrNoItems = errors.New("计划部分里没有找到可以作为事项的句子")
)

// Draft reads a document and returns the commented YAML draft.
func Draft(src []byte, opt Options) ([]byte, *Document, error) {
	d, err := Parse(src, opt)
	if err != nil {
		return nil, nil, err
	}
	out, _ := d.YAML()
	return out, d, nil
}

// Parse reads a work summary and plan.
func Parse(src []byte, opt Options) (*Document, error) {
	text, err := decode(src)
	if err != nil {
		return nil, err
	}
	paras := paragraphs(text)
	d := &Document{Source: opt.Source}
	if len(paras) > 0 && titleLike(paras[0]) {
		d.Title = strings.TrimRight(paras[0].text, "。.")
	}
	if m := reSummaryYear.FindStringSubmatch(text); m != nil {
		d.SummaryYear, _ = strconv.Atoi(m[1])
	}
	if m := reReportYear.FindStringSubmatch(text); m != nil {
		d.reportYear, _ = strconv.Atoi(m[1])
	}
	plan, summary, ok := d.findPlan(paras)
	if !ok {
		return nil, ErrNoPlan
	}
	d.Year, d.YearFrom = planYear(opt, d)
	goals := d.readSections(plan)
	if d.Items() == 0 {
		return nil, ErrNoItems
	}
	for _, p := range summary {
		// a plan-only document's covering notice and signature
		if why := preambleWhy(p.text); why != "" {
			d.skip(p.line, p.num+p.text, why)
		}
	}
	slices.SortStableFunc(d.Skipped, func(a, b Skip) int { return a.Line - b.Line })
	d.Indicators = indicators(summary, d.Year == d.SummaryYear)
	d.Indicators = applyGoals(d.Indicators, goals, plan)
	assignKeys(d.Indicators)
	return d, nil
}

var (
	reSummaryYear = lazyCompile(`(20\d\d)\s*年度?[^，。,;；\n]{0,8}?(?:工作总结|工作回顾|工作开展情况|工作完成情况|主要工作完成情况)`)
	reReportYear  = lazyCompile(`(20\d\d)\s*年(?:[^，。\n]{0,12}人民)?政府工作报告`)
	reYear        = lazyCompile(`(20\d\d)\s*年`)
	// reOpening: a plan named only in the opening words of a document
	// that is nothing else (现向区委、区政府报告我镇2026年度工作计划).
	reOpening = lazyCompile(`(?:报告|汇报|印发|制定)[^。；]{0,16}?((?:20\d\d)\s*年度?(?:工作)?(?:计划|要点|安排|打算|思路))`)
)

// titleLike: a first line naming the document, not a sentence of it.
func titleLike(p para) bool {
	return p.level == 0 && runeLen(p.text) <= 40 && !hasBody(p.text) && !strings.ContainsAny(p.text, "，；")
}

// findPlan splits the paragraphs into the summary and the plan part.
func (d *Document) findPlan(paras []para) (plan, summary []para, ok bool) {
	for i, p := range paras {
		if i == 0 && d.Title != "" || !isPlanHeading(p) {
			continue
		}
		d.PlanHeading = headingOf(p)
		d.PlanLine = p.line
		end := len(paras)
		if lv := p.level; lv != 0 {
			for j := i + 1; j < len(paras); j++ {
				if paras[j].level != 0 && paras[j].level <= lv {
					end = j
					break
				}
			}
		}
		start := 0
		if d.Title != "" {
			start = 1
		}
		return paras[i+1 : end], paras[start:i], true
	}
	if d.Title != "" && isPlanHeading(paras[0]) {
		// The whole document is a plan (2027年工作要点).
		d.PlanHeading = d.Title
		return paras[1:], nil, true
	}
	// A plan named only in its opening words.
	for i, p := range paras[:min(len(paras), 6)] {
		if m := reOpening.FindStringSubmatch(p.text); m != nil {
			d.PlanHeading = m[1]
			return paras[i+1:], nil, true
		}
	}
	return nil, nil, false
}

func planYear(opt Options, d *Document) (int, string) {
	if opt.Year != 0 {
		return opt.Year, "由 -year 指定"
	}
	if m := reYear.FindStringSubmatch(d.PlanHeading); m != nil {
		y, _ := strconv.Atoi(m[1])
		return y, fmt.Sprintf("取自计划标题“%s”", d.PlanHeading)
	}
	if strings.Contains(d.PlanHeading, "下半年") && d.SummaryYear != 0 {
		d.secondHalf = true
		return d.SummaryYear, fmt.Sprintf("原文是 %d 年上半年的总结，下半年的安排仍在 %d 年", d.SummaryYear, d.SummaryYear)
	}
	if d.reportYear != 0 {
		return d.reportYear, fmt.Sprintf("原文是 %d 年的政府工作报告", d.reportYear)
	}
	if d.SummaryYear != 0 {
		return d.SummaryYear + 1, fmt.Sprintf("原文是 %d 年的工作总结，“明年”即 %d 年", d.SummaryYear, d.SummaryYear+1)
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	y := now().Year() + 1
	return y, fmt.Sprintf("原文没有写年份，按当前日期取下一年 %d", y)
}

// decode turns the file into clean text: UTF-8 (UTF-16 with a BOM is
// converted), one line per line, full-width digits and letters made ASCII,
// invisible characters removed.
func decode(src []byte) (string, error) {
	if len(src) > MaxInput {
		return "", fmt.Errorf("文件太大（%d 字节）：一份工作计划通常只有几页", len(src))
	}
	switch {
	case bytes.HasPrefix(src, []byte("PK\x03\x04")):
		return "", errors.New("这是 Word（.docx）或压缩文件，不是纯文本：请在 WPS/Word 里“另存为”纯文本（.txt），编码选 UTF-8")
	case bytes.HasPrefix(src, []byte("\xD0\xCF\x11\xE0")):
		return "", errors.New("这是旧版 Word（.doc）文件，不是纯文本：请在 WPS/Word 里“另存为”纯文本（.txt），编码选 UTF-8")
	case bytes.HasPrefix(src, []byte("%PDF")):
		return "", errors.New("这是 PDF 文件：请把文字复制到记事本，保存为 UTF-8 编码的 .txt")
	case bytes.HasPrefix(src, []byte("\xFF\xFE")), bytes.HasPrefix(src, []byte("\xFE\xFF")):
		le := src[0] == 0xFF
		body := src[2:]
		u := make([]uint16, len(body)/2)
		for i := range u {
			if le {
				u[i] = uint16(body[2*i]) | uint16(body[2*i+1])<<8
			} else {
				u[i] = uint16(body[2*i])<<8 | uint16(body[2*i+1])
			}
		}
		src = []byte(string(utf16.Decode(u)))
	}
	src = bytes.TrimPrefix(src, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(src) {
		return "", errors.New("文件不是 UTF-8 编码（可能是 GBK/ANSI）：请用记事本打开，“另存为”时编码选 UTF-8，再试一次")
	}
	var b strings.Builder
	b.Grow(len(src))
	s := strings.ReplaceAll(string(src), "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' || r == '\u0085':
			b.WriteByte('\n')
		case r == '\t' || r == '\u3000' || r == '\u00a0' || (r >= '\u2000' && r <= '\u200a') || r == '\u202f' || r == '\u205f':
			b.WriteByte(' ')
		case r >= '０' && r <= '９':
			b.WriteRune(r - '０' + '0')
		case r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ':
			b.WriteRune(r - 'Ａ' + 'A')
		case r == '％':
			b.WriteByte('%')
		case r == '．':
			b.WriteByte('.')
		case r == '～':
			b.WriteByte('~')
		case r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ':
			// control characters, zero-width spaces, BOMs, private use: dropped
		default:
			b.WriteRune(simplify(r))
		}
	}
	return b.String(), nil
}

// para is a paragraph: one line, or several when a line was wrapped.
type para struct {
	level int    // numbering level (see numbering), 0 for none
	num   string // the numbering as written, e.g. （一）
	text  string // the text after the numbering
	line  int    // 1-based line of its first line
}

var (
	reMarker  = lazyCompile(`##[^#\n]{0,60}##`)
	reTag     = lazyCompile(`<!--.*?-->|</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>`)
	reMDHead  = lazyCompile(`^#{1,6}\s+`)
	rePageNum = lazyCompile(`^(?:[-—–－_~\s]*\d{1,4}[-—–－_~\s]*|第\s*\d{1,4}\s*页(?:\s*[,，/／]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*[/／]\s*\d{1,4}|(?i:page)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?)$`)
	entities  = strings.NewReplacer("&nbsp;", " ", "&ensp;", " ", "&emsp;", " ", "&lt;", "<", "&gt;", ">", "&quot;", "\"", "&#39;", "'", "&ldquo;", "“", "&rdquo;", "”", "&amp;", "&")
)

// cleanLine strips markup and web-page furniture and reports what is left
// to read. In a copy with one token per line a bare number is a token, not
// a page number.
func cleanLine(s string, tokens bool) string {
	s = reMarker.ReplaceAllString(s, "")
	s = reTag.ReplaceAllString(s, "")
	s = entities.Replace(s)
	s = strings.TrimSpace(s)
	s = reMDHead.ReplaceAllString(s, "")
	s = strings.NewReplacer("**", "", "__", "").Replace(s)
	s = strings.TrimSpace(s)
	if rePageNum.MatchString(s) && !(tokens && reBareNum.MatchString(s)) || isChrome(s) {
		return ""
	}
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		return "" // rules, bullets, stray punctuation
	}
	return rePunctSpace.ReplaceAllString(fullPunct(s), "$1")
}

// rePunctSpace: the space typed after a half-width comma, gone with it.
var rePunctSpace = lazyCompile(`([，；：（）。])\s+`)

var reBareNum = lazyCompile(`^\d{1,4}$`)

// layout is how the lines of a copy were broken: tokens when a PDF's text
// layer put a few characters on each line, else the width at which a web
// page or a narrow column hard-wrapped its paragraphs.
type layout struct {
	tokens bool
	wrap   int
}

func lineLayout(lines []string) layout {
	var lens []int
	count := map[int]int{}
	for _, l := range lines {
		if n := runeLen(strings.TrimSpace(l)); n > 0 {
			lens = append(lens, n)
			if n >= 16 {
				count[n]++
			}
		}
	}
	if len(lens) >= 30 {
		slices.Sort(lens)
		if lens[len(lens)/2] <= 8 {
			return layout{tokens: true}
		}
	}
	wrap, best := 28, 0
	for n, c := range count {
		if c >= 4 && (c > best || c == best && n > wrap) {
			wrap, best = n, c
		}
	}
	return layout{wrap: min(wrap, 28)}
}

// paragraphs splits the text into paragraphs. A blank line ends one; a line
// of markup or a page number is dropped without ending one, so that a
// sentence wrapped across a page break is joined again.
func paragraphs(text string) []para {
	lines := strings.Split(text, "\n")
	lay := lineLayout(lines)
	indent := indentedParas(lines)
	var out []para
	var cur *para
	var lastLine string // the last physical line added to cur
	var joined []string // lines wrapped into cur after its first
	flush := func() {
		if cur != nil {
			cur.text += strings.Join(joined, "")
			out = append(out, *cur)
			cur, joined = nil, nil
		}
	}
	for i, raw := range lines {
		if strings.TrimSpace(raw) == "" {
			if !lay.tokens {
				flush()
			}
			continue
		}
		if cur != nil && punctOnly(raw) {
			joined = append(joined, strings.TrimSpace(raw))
			lastLine += strings.TrimSpace(raw)
			continue
		}
		s := cleanLine(raw, lay.tokens)
		if s == "" {
			continue
		}
		if cur != nil && indent && !lay.tokens {
			// a web copy whose paragraphs open indented: a line that does
			// not is the one before it wrapped, even after a full stop
			if !strings.HasPrefix(raw, "  ") {
				joined = append(joined, s)
				lastLine = s
				continue
			}
			flush()
		}
		lv, num, rest := numbering(s)
		if cur != nil && lv == 0 && !isPlanHeading(para{text: s}) {
			join := continues(*cur, lastLine, lay.wrap)
			if lay.tokens {
				// a PDF's text layer: every line goes on, except after the
				// document's title line
				join = len(out) > 0 || !titleLike(para{text: cur.text + strings.Join(joined, "")}) || !reYear.MatchString(cur.text)
			}
			if join {
				joined = append(joined, s)
				lastLine = s
				continue
			}
		}
		flush()
		cur = &para{level: lv, num: num, text: rest, line: i + 1}
		lastLine = s
	}
	flush()
	return out
}

// continues reports whether a paragraph whose last line was last goes on
// with the next line: the line stops mid-sentence (a comma) or is as long
// as the copy's wrapped lines and stops without a full stop.
func continues(p para, last string, wrap int) bool {
	r, _ := utf8.DecodeLastRuneInString(strings.TrimRight(last, "”’」』）)"))
	if strings.ContainsRune("。！？；!?;：:", r) || r == '.' {
		return false
	}
	if p.level != 0 && !hasBody(p.text) {
		return false // a heading on its own line
	}
	return strings.ContainsRune("，,、", r) || runeLen(last) >= wrap-1
}

var (
	reNumA = lazyCompile(`^([一二三四五六七八九十]{1,3})\s*[、.，,]\s*`)
	reNumB = lazyCompile(`^[（(]\s*([一二三四五六七八九十]{1,3})\s*[）)]\s*[、.]?\s*`)
	reNumC = lazyCompile(`^(\d{1,2})\s*[.、，,]\s*`)
	reNumD = lazyCompile(`^[（(]\s*(\d{1,2})\s*[）)]\s*[、.]?\s*`)
	reNumE = lazyCompile(`^[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]\s*`)
)

// numbering recognises a heading's numbering: 一、(1) （一）(2) 1.(3)
// （1）(4) ①(5). It returns level 0 and s unchanged when there is none.
func numbering(s string) (level int, num, rest string) {
	for i, re := range []*lazyRegexp{reNumA, reNumB, reNumC, reNumD, reNumE} {
		loc := re.FindStringIndex(s)
		if loc == nil {
			continue
		}
		rest = s[loc[1]:]
		if i == 2 {
			// 1.8亿元 and 3、5月 are numbers, not headings.
			if r, _ := utf8.DecodeRuneInString(rest); unicode.IsDigit(r) {
				continue
			}
		}
		if strings.TrimSpace(rest) == "" && i != 1 && i != 3 {
			continue
		}
		return i + 1, strings.TrimSpace(s[:loc[1]]), rest
	}
	return 0, "", s
}

// splitHeading splits a heading's text at its first full stop or colon:
// （一）强核心、固堡垒。注重… → 强核心、固堡垒 and 注重….
func splitHeading(s string) (title, body string) {
	rs := []rune(s)
	for i, r := range rs {
		if isStop(rs, i) || r == '：' || r == ':' {
			return strings.TrimSpace(string(rs[:i])), strings.TrimSpace(string(rs[i+1:]))
		}
	}
	return strings.TrimSpace(s), ""
}

func hasBody(s string) bool {
	_, body := splitHeading(s)
	return body != ""
}

// headingOf is a paragraph's heading text, trimmed of trailing punctuation.
func headingOf(p para) string {
	t, _ := splitHeading(p.text)
	return strings.TrimRight(t, "，,、；;。.！!？? ")
}

// isStop reports whether rs[i] ends a sentence. A half-width full stop
// between digits is a decimal point, not a stop.
func isStop(rs []rune, i int) bool {
	switch rs[i] {
	case '。', '！', '？', '!', '?':
		return true
	case '.':
		prevDigit := i > 0 && unicode.IsDigit(rs[i-1])
		nextDigit := i+1 < len(rs) && unicode.IsDigit(rs[i+1])
		return !(prevDigit && nextDigit)
	}
	return false
}

func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Placeholders counts the values the draft asks the admin to fill.
func (d *Document) Placeholders() int {
	_, n := d.YAML()
	return n
}

// Items counts the items of all sections.
func (d *Document) Items() int {
	n := 0
	for _, s := range d.Sections {
		n += len(s.Items)
	}
	return n
}

func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// indentedParas: a copy whose paragraphs open with an indent (two spaces
// or a full-width one, already made spaces) and whose wrapped lines do not.
func indentedParas(lines []string) bool {
	in, out := 0, 0
	for _, l := range lines {
		switch {
		case strings.TrimSpace(l) == "":
		case strings.HasPrefix(l, "  "):
			in++
		default:
			out++
		}
	}
	return in >= 5 && out >= in
}
