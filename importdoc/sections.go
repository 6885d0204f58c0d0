package importdoc

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"planbot"
)

var (
	rePlanWhen = lazyCompile(`明年|来年|今年|下一?年|新一年|新的一年|下一?步|下半年|今后|次年|年度|20\d\d\s*年`)
	rePlanWhat = lazyCompile(`打算|计划|安排|思路|要点|谋划|举措|目标和(?:工作)?措施|目标任务|工作重点|重点工作`)
	rePlanNot  = lazyCompile(`总结|回顾|完成情况|成效|做法|以来|印发|通知`)
	// rePreamble: headings of a plan that set out aims, not tasks.
	rePreamble = lazyCompile(`^(?:总体要求|指导思想|基本原则|总体思路|工作思路和目标|主要目标|预期目标|主要预期目标|发展目标|目标任务|保障措施|组织保障|工作要求|有关要求|工作保障)$`)
	reGoalHead = lazyCompile(`目标`)
	// reGoalLead: a paragraph that lists the plan's expected figures.
	reGoalLead = lazyCompile(`^(?:全[镇乡年]|今年|明年|\d{4}年)?(?:经济社会发展的?)?(?:主要)?(?:预期)?目标(?:任务)?(?:是|为)?[：:]`)
	// reGoalIn: the expected figures named inside a longer paragraph.
	reGoalIn = lazyCompile(`(?:主要)?预期目标(?:任务)?(?:是|为)[：:]?|(?:主要)?预期目标[：:]`)
	// reLabel: a section written as a label (党建工作：…).
	reLabel = lazyCompile(`^([\p{Han}、]{2,10})[：:]`)
	// reEnum: 一是 … 二是 … enumerations.
	reEnum = lazyCompile(`^[一二三四五六七八九十]{1,2}是`)
)

// isPlanHeading: 二、明年工作打算, 下一步工作打算, 2027年工作计划 … as a
// heading or a line of its own, not a sentence that mentions 明年.
func isPlanHeading(p para) bool {
	t := headingOf(p)
	if p.level == 0 && (hasBody(p.text) || runeLen(p.text) > 30) {
		return false
	}
	if runeLen(t) > 30 || rePlanNot.MatchString(t) || !rePlanWhat.MatchString(t) {
		return false
	}
	// 二、工作目标和工作措施 names no year, but as a main heading it is plain
	return rePlanWhen.MatchString(t) || p.level == 1
}

// block is a paragraph of the plan part cut to what the reader needs: a
// heading (title, body) or text.
type block struct {
	para
	heading bool
	title   string
	body    string
}

// readSections reads the plan part into sections and returns the text of
// its expected figures (主要目标) for the indicators.
func (d *Document) readSections(plan []para) (goals []para) {
	var blocks []block
	skipLevel := 0   // inside a preamble heading's part
	inGoals := false // … and that heading is 主要目标
	for _, p := range plan {
		if skipLevel != 0 && (p.level == 0 || p.level > skipLevel) {
			if inGoals {
				goals = append(goals, p)
			}
			d.skip(p.line, p.text, cmpOr(preambleWhy(p.text), "计划的总体要求、目标或保障措施"))
			continue
		}
		skipLevel, inGoals = 0, false
		if loc := reGoalIn.FindStringIndex(p.text); p.level == 0 && loc != nil && loc[0] > 0 {
			// 2026年是…之年。全镇…主要预期目标是：… inside a lead-in
			goals = append(goals, para{text: p.text[loc[0]:], line: p.line})
			d.skip(p.line, p.text, "引导语和预期目标（目标已用作指标目标）")
			continue
		}
		if p.level == 0 && reGoalLead.MatchString(p.text) {
			goals = append(goals, p)
			d.skip(p.line, p.text, "预期目标（已用作指标目标）")
			continue
		}
		if p.level != 0 {
			title, body := headingParts(p.text)
			if rePreamble.MatchString(strings.TrimSpace(title)) {
				skipLevel = p.level
				if inGoals = reGoalHead.MatchString(title); inGoals {
					goals = append(goals, para{text: body, line: p.line})
				}
				d.skip(p.line, p.text, "计划的总体要求、目标或保障措施")
				continue
			}
			blocks = append(blocks, block{para: p, heading: true, title: title, body: body})
			continue
		}
		blocks = append(blocks, block{para: p, body: p.text})
	}
	blocks = promoteHeadings(blocks)
	d.buildSections(blocks)
	return goals
}

// headingParts splits a heading into its title and the text on its line:
// at the first full stop or colon, or before a first numbered task written
// on the same line (一、做强产业 1.做大做强茶产业。).
func headingParts(s string) (title, body string) {
	if i := inlineMarkers(s); len(i) > 0 && i[0].at > 0 {
		t, _ := splitHeading(s[:i[0].at])
		if t != "" && !hasBody(s[:i[0].at]) {
			return strings.TrimRight(t, "，,、；;。.！!？? "), s[i[0].at:]
		}
	}
	t, b := splitHeading(s)
	return strings.TrimRight(t, "，,、；;。.！!？? "), b
}

// promoteHeadings decides which headings are the sections. Numbered
// headings: the outermost level, or （一） when 一、 only groups them. With
// no numbered heading, paragraphs opening with 一是/二是 or a label (党建
// 工作：) are the headings.
func promoteHeadings(blocks []block) []block {
	levels := map[int]bool{}
	for _, b := range blocks {
		if b.heading {
			levels[b.level] = true
		}
	}
	sec := 0
	for lv := 5; lv >= 1; lv-- {
		if levels[lv] {
			sec = lv
		}
	}
	if levels[1] && levels[2] {
		sec = 2
	}
	if sec != 0 {
		for i := range blocks {
			if blocks[i].heading && blocks[i].level < sec {
				blocks[i].level = -1 // a group of sections
			} else if blocks[i].heading && blocks[i].level == sec {
				blocks[i].level = 0
			}
		}
		return blocks
	}
	enum, label := 0, 0
	for _, b := range blocks {
		if reEnum.MatchString(b.body) {
			enum++
		}
		if m := reLabel.FindStringSubmatch(b.body); m != nil && !strings.HasSuffix(m[1], "是") && !strings.HasSuffix(m[1], "为") {
			label++
		}
	}
	for i, b := range blocks {
		switch {
		case enum >= 2 && reEnum.MatchString(b.body):
			t, rest := splitHeading(reEnum.ReplaceAllString(b.body, ""))
			blocks[i] = block{para: b.para, heading: true, title: t, body: rest}
		case enum < 2 && label >= 2 && reLabel.MatchString(b.body):
			m := reLabel.FindStringSubmatchIndex(b.body)
			blocks[i] = block{para: b.para, heading: true, title: b.body[m[2]:m[3]], body: b.body[m[1]:]}
		default:
			continue
		}
		blocks[i].level = 0
	}
	return blocks
}

// buildSections turns the blocks into sections and items.
func (d *Document) buildSections(blocks []block) {
	var cur *Section
	anyHeading := false
	for _, b := range blocks {
		if b.heading && b.level == 0 {
			anyHeading = true
		}
	}
	if !anyHeading && len(blocks) > 0 {
		d.Sections = append(d.Sections, Section{Code: "1", Title: cmpOr(d.PlanHeading, "工作计划"), Line: blocks[0].line})
		cur = &d.Sections[0]
	}
	for i, b := range blocks {
		switch {
		case b.heading && b.level == 0:
			title := b.title
			if title == "" {
				title = "第" + strconv.Itoa(len(d.Sections)+1) + "部分"
			}
			d.Sections = append(d.Sections, Section{Code: strconv.Itoa(len(d.Sections) + 1), Title: title, Num: b.num, Line: b.line})
			cur = &d.Sections[len(d.Sections)-1]
			d.addText(cur, b.body, b.line)
		case b.level == -1:
			// a heading grouping sections (三、重点任务)
		case cur == nil:
			d.skip(b.line, b.num+b.text, cmpOr(preambleWhy(b.text), "计划的引导语"))
		case b.heading:
			// 1.抓好重点项目。 followed by （1）（2）: a label, not an item.
			if b.body == "" && i+1 < len(blocks) && blocks[i+1].heading && blocks[i+1].level > b.level {
				continue
			}
			if marks := inlineMarkers(b.num + b.text); len(marks) >= 2 {
				d.addText(cur, b.num+b.text, b.line)
			} else {
				d.addPoint(cur, b.text, b.line)
			}
		case preambleWhy(b.body) != "":
			d.skip(b.line, b.text, preambleWhy(b.body)) // a web page's title repeated on its second page
		case themeLine(blocks, i):
			d.skip(b.line, b.text, "部分的主题句（小标题）")
		case reClosing.MatchString(b.body) && len(inlineMarkers(b.body)) == 0:
			d.skip(b.line, b.text, "结束语")
		default:
			d.addText(cur, b.body, b.line)
		}
	}
}

// themeLine: a short sentence alone on its line, followed by the numbered
// tasks it introduces (实施工业倍增计划。 then 1. 2. 3.): a sub-heading.
func themeLine(blocks []block, i int) bool {
	b := blocks[i]
	if b.heading || i+1 >= len(blocks) || !blocks[i+1].heading || blocks[i+1].level <= 0 {
		return false
	}
	ss := sentences(b.body)
	return len(ss) == 1 && runeLen(ss[0]) <= 16 && !strings.ContainsFunc(ss[0], unicode.IsDigit)
}

// preambleWhy says what a paragraph before or around a plan is when it is
// a known part of a published document: its covering notice, reference
// number, addressees, signature, attachment line or web-page data.
func preambleWhy(s string) string {
	t := strings.TrimRight(strings.TrimSpace(s), "。")
	switch {
	case reNotice.MatchString(t):
		return "印发通知"
	case reDocNo.MatchString(t):
		return "文号"
	case reAddressee.MatchString(t):
		return "主送单位"
	case reSignature.MatchString(t):
		return "落款（签署单位和日期）"
	case strings.HasPrefix(t, "附件"):
		return "附件"
	case reSiteInfo.MatchString(t):
		return "网页信息"
	}
	return ""
}

var (
	reNotice    = lazyCompile(`^关于印发.{0,40}(?:通知|意见)$|印发给你们|现印发给|请结合实际`)
	reDocNo     = lazyCompile(`^[\p{Han}]{1,8}〔20\d\d〕\d{1,4}号$|^索引号`)
	reAddressee = lazyCompile(`^各[\p{Han}（）()、]{2,40}[：:]$`)
	reSiteInfo  = lazyCompile(`主办单位|承办单位|网站标识码|ICP备|版权所有|技术支持`)
)

// addText makes items of a piece of text: one per numbered point or
// 一是/二是 when it has them, else one per sentence and ；-clause.
func (d *Document) addText(s *Section, text string, line int) {
	marks := inlineMarkers(text)
	if len(marks) == 0 {
		for _, sent := range sentences(text) {
			d.addTask(s, sent, sent, line)
		}
		return
	}
	if lead := strings.TrimSpace(text[:marks[0].at]); lead != "" {
		for _, sent := range sentences(lead) {
			d.addTask(s, sent, sent, line)
		}
	}
	for k, m := range marks {
		end := len(text)
		if k+1 < len(marks) {
			end = marks[k+1].at
		}
		d.addPoint(s, text[m.at+m.size:end], line)
	}
}

// addPoint makes one item of a numbered point; a short first sentence or
// label (1.发展设施农业。… （1）ZZ物流园项目：…) is its title.
func (d *Document) addPoint(s *Section, point string, line int) {
	point = strings.TrimSpace(point)
	first, rest := splitHeading(point)
	titleFrom := point
	if rest != "" && runeLen(first) <= TitleMax+4 {
		titleFrom = first
	}
	d.addTask(s, point, titleFrom, line)
}

// addTask adds an item unless the sentence is not a task.
func (d *Document) addTask(s *Section, desc, titleFrom string, line int) {
	desc = strings.TrimSpace(desc)
	if desc == "" {
		return
	}
	if why := notTask(desc); why != "" {
		d.skip(line, desc, why)
		return
	}
	it := Item{Description: desc, Line: line}
	it.Title = Title(titleFrom)
	if it.Title == "" {
		return
	}
	dates := taskDates(desc, d.Year)
	it.Start, it.Due, it.StartPhrase, it.DuePhrase, it.Earlier = dates.Start, dates.Due, dates.StartPhrase, dates.DuePhrase, dates.Earlier
	if d.secondHalf {
		// a 下半年 plan: its tasks start on 1 July, and a date before then
		// can only be a misreading
		july := planbot.Date{Year: d.Year, Month: 7, Day: 1}
		if it.Start.Before(july) {
			it.Start, it.StartPhrase = july, ""
		}
		if it.Due.Before(july) {
			it.Due, it.DuePhrase = planbot.Date{Year: d.Year, Month: 12, Day: 31}, ""
		}
	}
	it.Target, it.TargetHidden, it.TargetContext = Target(desc)
	it.Code = s.Code + "." + strconv.Itoa(len(s.Items)+1)
	s.Items = append(s.Items, it)
}

func (d *Document) skip(line int, text, why string) {
	if text = strings.TrimSpace(text); text != "" {
		d.Skipped = append(d.Skipped, Skip{Line: line, Text: head(text, 3*16), Why: why})
	}
}

var (
	// reClosing: the rhetoric a report ends with.
	reClosing = lazyCompile(`让我们|同志们|各位代表|努力奋斗|不懈奋斗|谱写.{0,16}篇章|团结在.{0,30}周围|奋力开创.{0,16}新局面[！!。]?$`)
	// reLeadIn: a plan's opening words (2026年是…之年；下半年，我镇将继续…).
	reLeadIn = lazyCompile(`^(?:20\d\d年|明年|今年|下半年|新的一年|新一年|下一步)[，,]?(?:我[镇乡区县]|全[镇乡]|[镇乡]党委|街道|我们)?(?:将|要)(?:继续|坚持|紧紧|紧扣|按照|围绕|以|深入)|^(?:20\d\d年|明年|今年)是.{0,24}(?:之年|一年)|以下.{0,6}(?:工作|方面|任务)|如下[：:]?$`)
	// reMeta: notes about the text, not in it.
	reMeta = lazyCompile(`新闻发布会|本文根据|来源[：:]|印发给你们|请结合实际|现将.{0,12}(?:报告|汇报)如下`)
	// reSignature: the issuing office and date under a document.
	reSignature = lazyCompile(`^(?:中共)?[\p{Han}\s]{0,20}(?:人民政府|委员会|办事处|党委|党工委)(?:\s*20\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)?$|^20\d\d\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$`)
)

// notTask says why a sentence of the plan is not a task, "" when it is one.
func notTask(s string) string {
	t := strings.TrimRight(strings.TrimSpace(s), "。！!")
	switch {
	case reClosing.MatchString(s):
		return "结束语"
	case reLeadIn.MatchString(t):
		return "引导语"
	case reMeta.MatchString(s):
		return "说明文字"
	case reSignature.MatchString(t):
		return "落款"
	case slogan(t):
		return "口号"
	}
	return ""
}

// slogan: two or more four-character clauses and nothing else (大道至简，
// 实干为要).
func slogan(s string) bool {
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("，,、；;", r) })
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if runeLen(p) != 4 || strings.ContainsFunc(p, unicode.IsDigit) {
			return false
		}
	}
	return true
}

// marker is an inline numbered point or enumeration inside a text.
type marker struct{ at, size int }

var reInline = lazyCompile(`[一二三四五六七八九十]{1,2}是|[（(]\d{1,2}[）)]|\d{1,2}[.、]|[①②③④⑤⑥⑦⑧⑨⑩]`)

// inlineMarkers finds the numbered points written inside a text: 1.…2.…,
// （1）…（2）…, ①…②…, 一是…二是…, counting from one at the start of the
// text or after a full stop, semicolon or space. A run that does not count
// up from one (3.8万亩, 1、2月) is no numbering.
func inlineMarkers(s string) []marker {
	var out []marker
	want := 1
	for _, loc := range reInline.FindAllStringIndex(s, -1) {
		lo, hi := loc[0], loc[1]
		if lo > 0 {
			prev, _ := utf8.DecodeLastRuneInString(s[:lo])
			if !strings.ContainsRune("。；;！？ .", prev) {
				continue
			}
		}
		next, _ := utf8.DecodeRuneInString(s[hi:])
		if !unicode.IsLetter(next) && next != '“' {
			continue
		}
		if markerNum(s[lo:hi]) != want {
			continue
		}
		out = append(out, marker{lo, hi - lo})
		want++
	}
	if len(out) < 2 && !(len(out) == 1 && out[0].at == 0) {
		return nil
	}
	return out
}

func markerNum(m string) int {
	m = strings.Trim(m, "（()）.、是")
	if r, _ := utf8.DecodeRuneInString(m); r >= '①' && r <= '⑩' {
		return int(r-'①') + 1
	}
	if n, err := strconv.Atoi(m); err == nil {
		return n
	}
	return cnAtoi(m)
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

// taskDates reads a task's dates from its own words: the first clause of
// its first sentence (after a short title sentence: 优化企业服务。深化…).
// A date in a later sentence (4月举办…) is a step of the task, listed as
// an earlier deadline, unless it is the task's only date and a deadline
// (…。10月份完成清理处置).
func taskDates(desc string, year int) DateInfo {
	whole := Dates(desc, year)
	ss := sentences(desc)
	if len(ss) < 2 {
		return whole
	}
	lead := ss[0]
	if runeLen(lead) <= TitleMax+4 && !strings.ContainsAny(lead, "，,；;") {
		lead += ss[1] // the title sentence and the first sentence of the task
	}
	if i := strings.IndexAny(lead, "；;"); i >= 0 {
		lead = lead[:i]
	}
	own := Dates(lead, year)
	if own.DuePhrase != "" || own.StartPhrase != "" {
		own.Earlier = laterSteps(own, whole)
		return own
	}
	if whole.StartPhrase == "" && whole.DuePhrase != "" && len(whole.Earlier) == 0 {
		return whole // the point's only date, a deadline
	}
	own.Earlier = laterSteps(own, whole)
	return own
}

// laterSteps lists the deadlines of the whole point before own's due date
// that own does not already list: candidates for milestones.
func laterSteps(own, whole DateInfo) []string {
	out := slices.Clone(own.Earlier)
	steps := slices.Clone(whole.Earlier)
	if whole.DuePhrase != "" && whole.Due.Before(own.Due) {
		steps = append(steps, whole.DuePhrase+"（"+whole.Due.String()+"）")
	}
	for _, e := range steps {
		if !slices.Contains(out, e) && !strings.Contains(e, "（"+own.Due.String()+"）") {
			out = append(out, e)
		}
	}
	return out
}
