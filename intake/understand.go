package intake

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"planbot"
)

// Understand reads a chat message as a whole, before Read looks for one
// report in it: an acknowledgement or greeting (好的，马上落实; 在吗), a
// question (2.3现在什么进度？; 哪些逾期了), a correction of an earlier report
// (更正：2.3 进度应为50%，不是60%), reports on several items (2.3、2.5都完成了),
// or else what Read makes of it.
//
// The order is the users' safety: a question that holds a figure (2.3是60%吗)
// must never be stored, and an acknowledgement that holds title words
// (明白，确保安全生产) must never become a note on an item.
func Understand(text string, cx Context) Intent {
	in := understand(text, cx.Plan, cx.Owned, cx.Today)
	if cx.ReplyText != "" {
		in = byReply(in, text, cx)
	}
	return in
}

// Context is what a message is read against besides its words.
type Context struct {
	Plan *planbot.Plan
	// Owned lists the item codes the sender reports on, in plan order:
	// a figure that names no item is theirs.
	Owned []string
	// Today is the sender's date in the plan's zone.
	Today planbot.Date
	// ReplyText is the plain text of the bot's message this one replies
	// to, if any: "又招了3人" in reply to the echo of 3.2 is about 3.2.
	ReplyText string
}

func understand(text string, plan *planbot.Plan, owned []string, today planbot.Date) Intent {
	if in, long := tooLong(text); long {
		return in
	}
	folded := fold(text)
	if greeting, ok := acknowledgement(folded); ok {
		in := Intent{Kind: IntentAck}
		if greeting {
			in.Topic = TopicGreeting
		}
		return in
	}
	if laughter(folded) || maybeForwarded(folded) && forwarded.MatchString(folded) {
		return Intent{Kind: IntentUnknown, Topic: TopicChatter, Note: strings.TrimSpace(text)}
	}
	if isQuestion(folded) || strings.HasPrefix(folded, "我") && ownList.MatchString(folded) {
		return question(text, folded, plan, today)
	}
	if in, ok := readLeave(folded, planYear(plan), today); ok {
		return in
	}
	if rest, ok := correction(text); ok {
		return corrected(rest, plan, owned, today)
	}
	if in, ok := several(text, plan, today); ok {
		return in
	}
	in := Read(text, plan, owned, today)
	if in.Kind == IntentUnknown && in.Problem == "" && len(owned) > 0 && workStatement.MatchString(text) {
		// "工作正在推进" is about work, but whose: ask among the sender's
		// items rather than guess one or say it was not understood.
		in.Kind, in.Items = IntentAmbiguous, owned[:min(len(owned), MaxCandidates)]
	}
	return in
}

// workStatement marks a message as a statement about work, even when it names
// no item.
var workStatement = regexp.MustCompile(`推进|办理|收集|落实|开展|进展|顺利|签约|开工|完工|对接|整改|排查|验收|实施|启动|筹备|施工|建设`)

// TopicGreeting marks an acknowledgement that is a greeting (你好, 在吗):
// the reply says how to report instead of "收到".
const TopicGreeting Topic = "greeting"

// TopicChatter marks an unknown message that is chatter (哈哈): not even a
// reply to an echo makes it a note.
const TopicChatter Topic = "chatter"

// forwarded is a notice passed on, not progress: "转发：关于做好汛期安全
// 防范工作的通知", a document title in 《》.
var forwarded = regexp.MustCompile(`^(转发|转自|【转】|\[转\])|^《[^》]*》$|^关于.{2,60}的(通知|意见|方案|函|报告)$`)

// maybeForwarded is a cheap test before the regexp: every message passes here.
func maybeForwarded(t string) bool {
	return strings.HasPrefix(t, "转") || strings.HasPrefix(t, "【") || strings.HasPrefix(t, "[") || strings.HasPrefix(t, "《") || strings.HasPrefix(t, "关于")
}

// ownList is a request for one's own list without a question word: 我的事项.
var ownList = regexp.MustCompile(`^(我的|我负责的)(事项|任务|工作|清单)$`)

// laughter says whether t is only laughter or interjections: 哈哈, 呵呵, 嘿嘿.
func laughter(t string) bool {
	t = strings.TrimRightFunc(t, func(r rune) bool { return unicode.IsPunct(r) || r == '~' || r == '～' })
	return t != "" && strings.Trim(t, "哈呵嘿嘻哦噢啊呀哇嗷hHaA ") == ""
}

// TopicAtRisk asks which items are at risk (哪些有风险).
const TopicAtRisk Topic = "atrisk"

// fold is the text as the scanner sees it (full-width ASCII folded, odd
// spaces made plain), trimmed: for classifying, not for notes.
func fold(text string) string {
	rs, _ := normalize(text)
	return strings.TrimSpace(string(rs))
}

// assents are whole acknowledgements, and the heads of longer ones
// ("收到，全力推进").
var assents = []string{
	"好的", "好滴", "好嘞", "好哒", "好", "行", "可以", "收到", "收到收到", "明白", "明白了", "知道了", "了解", "晓得了",
	"ok", "okay", "嗯", "嗯嗯", "是", "是的", "对", "遵命", "已阅", "阅", "已收到", "好的收到", "收到了",
}

// thanks and greetings stand alone.
var thanks = []string{"谢谢", "谢谢你", "谢谢您", "多谢", "感谢", "辛苦了", "辛苦", "辛苦啦", "不客气"}

var greetings = []string{"你好", "您好", "在吗", "在不在", "在么", "早上好", "早", "早安", "上午好", "中午好", "下午好", "晚上好", "hello", "hi"}

// compliance opens a clause that promises action, not progress: "马上落实",
// "按要求落实", "确保安全生产". It holds no figure (checked by the caller).
var compliance = []string{"马上", "立即", "立刻", "抓紧", "全力", "确保", "继续", "按要求", "按照要求", "尽快", "一定", "坚决", "保证", "争取"}

// acknowledgement says whether t is an acknowledgement or a greeting, and
// which.
func acknowledgement(t string) (greeting, ok bool) {
	t = strings.ToLower(strings.TrimRightFunc(t, func(r rune) bool { return unicode.IsPunct(r) || r == '~' || r == '～' || unicode.IsSpace(r) }))
	if t == "" {
		return false, false
	}
	if onlySymbols(t) {
		return false, true // 👍, 🙏
	}
	if slices.Contains(greetings, t) {
		return true, true
	}
	if strings.ContainsFunc(t, func(r rune) bool { return unicode.IsDigit(r) || r == '%' }) {
		return false, false
	}
	clauses := strings.FieldsFunc(t, func(r rune) bool {
		return strings.ContainsRune("，,、。！!；; ~～", r) || unicode.Is(unicode.So, r) || r == 0xFE0F
	}) // "收到👌" is 收到
	for i, c := range clauses {
		// "领导早上好", "马书记好": the greeting after whom it greets.
		for _, title := range addressees {
			if rest, ok := strings.CutPrefix(c, title); ok && rest != "" && (slices.Contains(greetings, rest) || rest == "好") {
				clauses[i] = rest
				greeting = true
			}
		}
		if slices.Contains(greetings, clauses[i]) {
			greeting = true
		}
	}
	for i, c := range clauses {
		switch {
		case slices.Contains(assents, c), slices.Contains(thanks, c):
		case slices.ContainsFunc(compliance, func(w string) bool { return strings.HasPrefix(c, w) }):
		case i == 0 && c == "马上办":
		case slices.Contains(greetings, c), c == "好" && greeting:
		default:
			return false, false
		}
	}
	return greeting, len(clauses) > 0
}

// addressees are whom a greeting is to: 领导早上好.
var addressees = []string{"各位领导", "领导", "书记", "镇长", "主任", "老师", "大家"}

func onlySymbols(t string) bool {
	for _, r := range t {
		if !unicode.Is(unicode.So, r) && !unicode.Is(unicode.Sk, r) && r != 0xFE0F && r != 0x200D && !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// askWords mark a question without a question mark. 没什么 is "nothing"
// (没什么问题), not "what".
var askWords = []string{"多少", "什么", "啥", "怎么", "如何", "哪些", "哪个", "哪几", "哪一步", "哪里", "几场", "几家", "几户", "几个", "几人", "进展如何", "查一下", "查查", "谁还没", "有没有", "是不是", "对不对"}

// isQuestion says whether t asks: a question mark after some words, a
// final 吗/呢/没/没有, or a question word.
func isQuestion(t string) bool {
	body := strings.TrimRightFunc(t, func(r rune) bool { return r == '?' || r == '？' || unicode.IsSpace(r) })
	if !slices.ContainsFunc([]rune(body), func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		return false // ？？ is no question about anything
	}
	if body != t {
		return true
	}
	body = strings.TrimRight(body, "了啊呀。.!！~～")
	for _, end := range []string{"吗", "呢", "没", "没有", "么", "不"} {
		if strings.HasSuffix(body, end) && utf8.RuneCountInString(body) > utf8.RuneCountInString(end) {
			return true
		}
	}
	scrubbed := strings.ReplaceAll(t, "没什么", "")
	return slices.ContainsFunc(askWords, func(w string) bool { return strings.Contains(scrubbed, w) })
}

// question reads what a question is about.
func question(text, folded string, plan *planbot.Plan, today planbot.Date) Intent {
	in := Intent{Kind: IntentQuestion, Topic: TopicGeneral}
	has := func(ws ...string) bool {
		return slices.ContainsFunc(ws, func(w string) bool { return strings.Contains(folded, w) })
	}
	r := Read(text, plan, nil, today)
	switch {
	case r.Kind == IntentUnknown && r.Problem != "" && codeShaped(folded):
		return r // 2.9进度多少了？ on a plan without 2.9
	case r.Kind == IntentItemReport:
		in.Topic, in.Items = TopicItem, r.Items
	case r.Kind == IntentIndicatorValue:
		in.Topic, in.Indicator = TopicIndicator, r.Indicator
	case r.Kind == IntentAmbiguous && len(r.Items) == 0 && len(r.Indicators) == 1:
		in.Topic, in.Indicator = TopicIndicator, r.Indicators[0]
	}
	switch {
	case has("怎么报", "怎么汇报", "如何汇报", "怎么填", "怎么传", "怎么上传", "怎么发", "怎么改", "怎么更正", "怎么撤回", "怎么用", "如何使用", "怎么操作"):
		in.Topic = TopicHowTo
	case in.Topic != TopicGeneral:
	case has("逾期", "超期", "过期", "延期"):
		in.Topic = TopicOverdue
	case has("风险", "滞后", "落后"):
		in.Topic = TopicAtRisk
	case has("没汇报", "未汇报", "没报", "没有报", "没有汇报", "谁还没"):
		in.Topic = TopicUnreported
	case has("我的", "我有", "我还有", "我负责"):
		in.Topic = TopicMine
	}
	return in
}

// codeShaped says whether t starts like an item code (2.9, 第2.9项).
var codeStart = regexp.MustCompile(`^[第【(\[]?\s*[0-9]+\s*[.。．\-—]\s*[0-9]+`)

func codeShaped(t string) bool { return codeStart.MatchString(t) }

// correctionMarks open or carry a correction; they come out of the text
// before it is read, so they are neither figures nor note.
var correctionMarks = regexp.MustCompile(`更正为|更正|改为|改成|应为|应该是|应该为|报错了|写错了|打错了|搞错了|弄错了|填错了|发错了|说错了`)

// correctionFiller is what people write around a correction.
var correctionFiller = regexp.MustCompile(`不好意思|抱歉|对不起|刚才那条|刚才的|刚刚那条|刚才|刚刚|上一条|那条`)

// wrongFigure is the figure a correction says was wrong: "不是60%".
var wrongFigure = regexp.MustCompile(`不是\s*[0-9０-９.．]+\s*[^\s，,。；;：:、]*`)

// leadingShi is the 是 before a corrected figure.
var leadingShi = regexp.MustCompile(`(^|[\s，,：:])是`)

// correction says whether text corrects an earlier report, and returns
// it without the correction's words: "更正：2.3 进度应为50%，不是60%" →
// "2.3 进度 50%".
func correction(text string) (string, bool) {
	// Cheap tests first: every message passes here.
	marked := (strings.Contains(text, "错") || strings.Contains(text, "更正") || strings.Contains(text, "改") || strings.Contains(text, "应")) &&
		correctionMarks.MatchString(text)
	wrong := strings.Contains(text, "不是") && wrongFigure.MatchString(text)
	if !marked && !wrong {
		return "", false
	}
	rest := wrongFigure.ReplaceAllString(text, " ")
	rest = correctionMarks.ReplaceAllString(rest, " ")
	rest = correctionFiller.ReplaceAllString(rest, " ")
	// "不是60%，是50%" and "刚才是又新增8户" leave a 是 before the figure.
	rest = leadingShi.ReplaceAllString(rest, "$1 ")
	rest = strings.TrimFunc(rest, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune("，,：:。；;、", r) })
	return rest, true
}

// corrected reads the rest of a correction.
func corrected(rest string, plan *planbot.Plan, owned []string, today planbot.Date) Intent {
	in := Read(rest, plan, owned, today)
	in.Correction, in.Text = true, rest
	if in.Kind != IntentItemReport && in.Kind != IntentIndicatorValue {
		// It names no item (改成45%): the bot corrects the sender's newest
		// report, re-reading rest as a report on its item.
		in.Kind, in.Items, in.Problem = IntentItemReport, nil, ""
	}
	return in
}

// codeRef finds item-code candidates in a text: 2.3, 2。3, 2-3, 二.3.
var codeRef = regexp.MustCompile(`([0-9]+|[一二三四五六七八九十])\s*[.。．\-—－]\s*([0-9]+)`)

// several reads a message that reports on several items: each code, or
// group of codes joined by 、，和 及 or spaces, takes the words up to the
// next code as its report.
func several(text string, plan *planbot.Plan, today planbot.Date) (Intent, bool) {
	if plan == nil {
		return Intent{}, false
	}
	type ref = codeAt
	var refs []ref
	for _, r := range codeRefs(text, plan, codeRef) {
		if !slices.ContainsFunc(refs, func(x ref) bool { return x.code == r.code }) {
			refs = append(refs, r)
		}
	}
	if len(refs) < 2 {
		return Intent{}, false
	}
	// Group codes that only separators join: "2.3、2.5都完成了".
	var groups [][]ref
	for i, r := range refs {
		if i > 0 {
			between := text[refs[i-1].end:r.start]
			if strings.Trim(between, "、，,和及与跟 \t第项") == "" {
				groups[len(groups)-1] = append(groups[len(groups)-1], r)
				continue
			}
		}
		groups = append(groups, []ref{r})
	}
	if len(groups) == 1 && strings.TrimSpace(text[refs[len(refs)-1].end:]) == "" {
		return Intent{}, false
	}
	in := Intent{Kind: IntentItemReport}
	for g, group := range groups {
		end := len(text)
		if g+1 < len(groups) {
			end = groups[g+1][0].start
		}
		words := strings.TrimFunc(text[group[len(group)-1].end:end], func(r rune) bool {
			return unicode.IsSpace(r) || strings.ContainsRune("，,；;。、项", r)
		})
		for _, r := range group {
			part := ReadAs(words, plan, IntentItemReport, r.code, today)
			if bare, ok := strings.CutPrefix(words, "都"); ok && !part.Done && part.Percent == nil && part.Amount == nil {
				// "都完成了", "进度都是50%": the 都 joins the items, and
				// stands between the code and the done word.
				if again := ReadAs(bare, plan, IntentItemReport, r.code, today); again.Done || again.Percent != nil || again.Amount != nil {
					part = again
				}
			}
			if part.Problem != "" {
				part.Problem = r.code + "：" + part.Problem
				return part, true
			}
			in.Items = append(in.Items, r.code)
			in.Parts = append(in.Parts, part)
		}
	}
	return in, true
}

// replyCode finds item codes in the text of a bot's message.
var replyCode = regexp.MustCompile(`(?:^|[^0-9.])([0-9]+(?:\.[0-9]+)+)`)

// byReply settles what a message is about with the message it replies
// to: a cadre answering the echo of 3.2 with "又招了3人" means 3.2, even
// if the words also fit another item's title. A code written in the
// message outranks the reply; a reply to a message naming several items
// asks among them. Questions, acknowledgements, corrections, several items
// and chatter are what they are, whatever they reply to.
func byReply(in Intent, text string, cx Context) Intent {
	switch {
	case in.Kind == IntentAck, in.Kind == IntentQuestion, in.Kind == IntentIndicatorValue, in.Kind == IntentLeave, in.Kind == IntentLeaveEnd,
		in.Correction, len(in.Parts) > 0, in.Topic == TopicChatter, in.Problem != "" && in.Kind == IntentUnknown:
		return in
	case in.Kind == IntentItemReport && mentionsCode(text, in.Items[0]):
		return in
	}
	var named []string
	for _, m := range replyCode.FindAllStringSubmatch(cx.ReplyText, -1) {
		if _, ok := cx.Plan.Item(m[1]); ok && !slices.Contains(named, m[1]) {
			named = append(named, m[1])
		}
	}
	switch {
	case len(named) == 0:
		return in
	case len(named) == 1:
		return ReadAs(text, cx.Plan, IntentItemReport, named[0], cx.Today)
	case in.Kind == IntentUnknown && in.Percent == nil && in.Amount == nil && !in.Done:
		return in
	}
	out := in
	out.Kind, out.Items, out.Indicators = IntentAmbiguous, named, nil
	if len(out.Items) > MaxCandidates {
		out.Items = out.Items[:MaxCandidates]
	}
	return out
}

// mentionsCode says whether text names code itself (2.3, 2-3, 2。3).
func mentionsCode(text, code string) bool {
	t := codeRef.ReplaceAllStringFunc(text, func(m string) string {
		return strings.Map(func(r rune) rune {
			if strings.ContainsRune("。．-—－", r) {
				return '.'
			}
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, m)
	})
	for off := 0; ; {
		i := strings.Index(t[off:], code)
		if i < 0 {
			return false
		}
		i += off
		end := i + len(code)
		before := i == 0 || !strings.ContainsAny(t[i-1:i], "0123456789.")
		after := end == len(t) || !strings.ContainsAny(t[end:end+1], "0123456789")
		if before && after {
			return true
		}
		off = end
	}
}

// Choose reads a message sent in answer to "which item?" among
// candidates: a code ("是3.1的") or words that fit one candidate alone
// ("燃气" among 4.1 and 4.2). It is no answer when it carries figures of
// its own, names no candidate, or fits several.
func Choose(text string, candidates []string, cx Context) (string, bool) {
	var named []string
	for _, c := range candidates {
		if mentionsCode(text, c) {
			named = append(named, c)
		}
	}
	in := Read(text, cx.Plan, candidates, cx.Today)
	if in.Percent != nil || in.Amount != nil || in.Done || in.Date != nil {
		return "", false
	}
	if len(named) == 0 && in.Kind == IntentItemReport && slices.Contains(candidates, in.Items[0]) {
		named = in.Items
	}
	if len(named) != 1 {
		return "", false
	}
	return named[0], true
}

func planYear(p *planbot.Plan) int {
	if p == nil {
		return 0
	}
	return p.Year
}
