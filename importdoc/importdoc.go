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
	"regexp"
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
	// Target is a suggestion (LastYear × (1+Growth)), "" when there is no basis.
	Target     string
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
	ErrNoPlan  = errors.New("没有找到计划部分：文中应有“明年工作打算”“下一步工作打算”或“20XX年工作计划”这样的标题")
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

	if len(paras) > 0 && paras[0].level == 0 && runeLen(paras[0].text) <= 40 {
		d.Title = strings.TrimRight(paras[0].text, "。.")
	}
	if m := reSummaryYear.FindStringSubmatch(text); m != nil {
		d.SummaryYear, _ = strconv.Atoi(m[1])
	}

	planIdx := -1
	for i, p := range paras {
		if i == 0 && d.Title != "" {
			continue
		}
		if isPlanHeading(p) {
			planIdx = i
			break
		}
	}
	var plan, summary []para
	switch {
	case planIdx >= 0:
		d.PlanHeading = headingOf(paras[planIdx])
		d.PlanLine = paras[planIdx].line
		end := len(paras)
		if lv := paras[planIdx].level; lv != 0 {
			for j := planIdx + 1; j < len(paras); j++ {
				if paras[j].level == lv {
					end = j
					break
				}
			}
		}
		plan = paras[planIdx+1 : end]
		summary = paras[:planIdx]
		if d.Title != "" {
			summary = summary[1:]
		}
	case d.Title != "" && isPlanHeading(paras[0]):
		// The whole document is a plan (2027年工作要点).
		d.PlanHeading = d.Title
		plan = paras[1:]
	default:
		return nil, ErrNoPlan
	}

	d.Year, d.YearFrom = planYear(opt, d)
	d.Sections = sections(plan, d.PlanHeading, d.Year)
	n := 0
	for _, s := range d.Sections {
		n += len(s.Items)
	}
	if n == 0 {
		return nil, ErrNoItems
	}
	d.Indicators = indicators(summary)
	return d, nil
}

var (
	reSummaryYear = regexp.MustCompile(`(20\d\d)\s*年度?[^，。,;；\n]{0,8}?工作总结`)
	reYear        = regexp.MustCompile(`(20\d\d)\s*年`)
)

func planYear(opt Options, d *Document) (int, string) {
	if opt.Year != 0 {
		return opt.Year, "由 -year 指定"
	}
	if m := reYear.FindStringSubmatch(d.PlanHeading); m != nil {
		y, _ := strconv.Atoi(m[1])
		return y, fmt.Sprintf("取自计划标题“%s”", d.PlanHeading)
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
			b.WriteRune(r)
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
	reMarker  = regexp.MustCompile(`##[^#\n]{0,60}##`)
	reTag     = regexp.MustCompile(`<!--.*?-->|</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>`)
	reMDHead  = regexp.MustCompile(`^#{1,6}\s+`)
	rePageNum = regexp.MustCompile(`^(?:[-—–－_~\s]*\d{1,4}[-—–－_~\s]*|第\s*\d{1,4}\s*页(?:\s*[,，/／]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*[/／]\s*\d{1,4}|(?i:page)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?)$`)
	entities  = strings.NewReplacer("&nbsp;", " ", "&ensp;", " ", "&emsp;", " ", "&lt;", "<", "&gt;", ">", "&quot;", "\"", "&#39;", "'", "&ldquo;", "“", "&rdquo;", "”", "&amp;", "&")
)

// cleanLine strips markup and reports whether anything readable is left.
func cleanLine(s string) string {
	s = reMarker.ReplaceAllString(s, "")
	s = reTag.ReplaceAllString(s, "")
	s = entities.Replace(s)
	s = strings.TrimSpace(s)
	s = reMDHead.ReplaceAllString(s, "")
	s = strings.NewReplacer("**", "", "__", "").Replace(s)
	s = strings.TrimSpace(s)
	if rePageNum.MatchString(s) {
		return ""
	}
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		return "" // rules, bullets, stray punctuation
	}
	return s
}

// paragraphs splits the text into paragraphs. A blank line ends one; a line
// of markup or a page number is dropped without ending one, so that a
// sentence wrapped across a page break is joined again.
func paragraphs(text string) []para {
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
	for i, raw := range strings.Split(text, "\n") {
		if strings.TrimSpace(raw) == "" {
			flush()
			continue
		}
		s := cleanLine(raw)
		if s == "" {
			continue
		}
		lv, num, rest := numbering(s)
		if cur != nil && lv == 0 && continues(*cur, lastLine) && !isPlanHeading(para{text: s}) {
			joined = append(joined, s)
			lastLine = s
			continue
		}
		flush()
		cur = &para{level: lv, num: num, text: rest, line: i + 1}
		lastLine = s
	}
	flush()
	return out
}

// continues reports whether a paragraph whose last line was last goes on
// with the next line: the line stops mid-sentence (a comma) or is long and
// stops without a full stop, as lines of a wrapped paragraph do.
func continues(p para, last string) bool {
	r, _ := utf8.DecodeLastRuneInString(strings.TrimRight(last, "”’」』）)"))
	if strings.ContainsRune("。！？；!?;：:", r) || r == '.' {
		return false
	}
	if p.level != 0 && !hasBody(p.text) {
		return false // a heading on its own line
	}
	return strings.ContainsRune("，,、", r) || runeLen(last) >= 28
}

var (
	reNumA = regexp.MustCompile(`^([一二三四五六七八九十]{1,3})\s*[、.，,]\s*`)
	reNumB = regexp.MustCompile(`^[（(]\s*([一二三四五六七八九十]{1,3})\s*[）)]\s*[、.]?\s*`)
	reNumC = regexp.MustCompile(`^(\d{1,2})\s*[.、，,]\s*`)
	reNumD = regexp.MustCompile(`^[（(]\s*(\d{1,2})\s*[）)]\s*[、.]?\s*`)
	reNumE = regexp.MustCompile(`^[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]\s*`)
)

// numbering recognises a heading's numbering: 一、(1) （一）(2) 1.(3)
// （1）(4) ①(5). It returns level 0 and s unchanged when there is none.
func numbering(s string) (level int, num, rest string) {
	for i, re := range []*regexp.Regexp{reNumA, reNumB, reNumC, reNumD, reNumE} {
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

var (
	rePlanWhen = regexp.MustCompile(`明年|来年|下一?年|下一?步|今后|新的一年|次年|20\d\d\s*年`)
	rePlanWhat = regexp.MustCompile(`打算|计划|安排|思路|要点|举措|目标任务|工作重点|重点工作`)
	rePlanNot  = regexp.MustCompile(`总结|回顾|完成情况|成效|做法|以来`)
)

// isPlanHeading: 二、明年工作打算, 下一步工作打算, 2027年工作计划 … as a
// heading or a line of its own, not a sentence that mentions 明年.
func isPlanHeading(p para) bool {
	t := headingOf(p)
	if p.level == 0 && (hasBody(p.text) || runeLen(p.text) > 30) {
		return false
	}
	if runeLen(t) > 30 {
		return false
	}
	return rePlanWhen.MatchString(t) && rePlanWhat.MatchString(t) && !rePlanNot.MatchString(t)
}

// sections reads the plan part: its first level of headings are the
// sections; lower headings (1. （1）) are items; other paragraphs are split
// into sentences, each an item.
func sections(plan []para, planHeading string, year int) []Section {
	secLevel := 0
	for _, p := range plan {
		if p.level != 0 {
			secLevel = p.level
			break
		}
	}
	var out []Section
	var cur *Section
	add := func(title string, line int, num string) {
		out = append(out, Section{Code: strconv.Itoa(len(out) + 1), Title: title, Num: num, Line: line})
		cur = &out[len(out)-1]
	}
	if secLevel == 0 && len(plan) > 0 {
		add(cmpOr(planHeading, "工作计划"), plan[0].line, "")
	}
	for i, p := range plan {
		switch {
		case p.level == secLevel && secLevel != 0:
			title, body := splitHeading(p.text)
			title = strings.TrimRight(title, "，,、；;。.！!？? ")
			if title == "" {
				title = "第" + strconv.Itoa(len(out)+1) + "部分"
			}
			add(title, p.line, p.num)
			addSentences(cur, body, p.line, year)
		case cur == nil:
			// the plan's opening words, before its first heading
		case p.level != 0:
			title, body := splitHeading(p.text)
			// 1.抓好重点项目。 followed by （1）（2）: a label, not an item.
			if body == "" && i+1 < len(plan) && plan[i+1].level > p.level && plan[i+1].level != secLevel {
				continue
			}
			addItem(cur, p.text, title, p.line, year)
		default:
			addSentences(cur, p.text, p.line, year)
		}
	}
	return out
}

// addSentences makes an item of each sentence and ；-clause of text.
func addSentences(s *Section, text string, line, year int) {
	for _, sent := range sentences(text) {
		addItem(s, sent, sent, line, year)
	}
}

func addItem(s *Section, desc, titleFrom string, line, year int) {
	desc = strings.TrimSpace(desc)
	if desc == "" {
		return
	}
	it := Item{Description: desc, Line: line}
	it.Title = Title(titleFrom)
	if it.Title == "" {
		return
	}
	dates := Dates(desc, year)
	it.Start, it.Due, it.StartPhrase, it.DuePhrase, it.Earlier = dates.Start, dates.Due, dates.StartPhrase, dates.DuePhrase, dates.Earlier
	it.Target, it.TargetHidden, it.TargetContext = Target(desc)
	it.Code = s.Code + "." + strconv.Itoa(len(s.Items)+1)
	s.Items = append(s.Items, it)
}

// sentences splits text at full stops and semicolons. Lead-ins (……如下：)
// and fragments too short to be a task are left out.
func sentences(text string) []string {
	var out []string
	rs := []rune(text)
	emit := func(s string, semicolon bool) {
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		if last, _ := utf8.DecodeLastRuneInString(s); last == '：' || last == ':' {
			return
		}
		if semicolon {
			s = strings.TrimRight(s, "；;") + "。"
		}
		if letters(s) < 5 {
			return
		}
		out = append(out, s)
	}
	start := 0
	for i := 0; i < len(rs); i++ {
		switch {
		case rs[i] == '；' || rs[i] == ';':
			emit(string(rs[start:i+1]), true)
			start = i + 1
		case isStop(rs, i):
			// keep closing quotes with their sentence: ……。”
			for i+1 < len(rs) && strings.ContainsRune("”’」』", rs[i+1]) {
				i++
			}
			emit(string(rs[start:i+1]), false)
			start = i + 1
		}
	}
	if start < len(rs) {
		emit(string(rs[start:]), false)
	}
	return out
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
