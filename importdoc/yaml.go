package importdoc

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Placeholder is what the draft writes where only the admin knows the
// answer; the config loader reports every value starting with it as 待填写.
const Placeholder = "TODO"

// YAML writes the draft: a commented planbot configuration in the layout of
// config.example.yaml. It returns the number of placeholders (TODO values)
// the admin must fill before `planbot check` passes.
func (d *Document) YAML() ([]byte, int) {
	w := &writer{}
	d.header(w)
	d.sections(w)
	d.items(w)
	d.indicators(w)
	reminders(w)
	people(w)
	out := w.buf.Bytes()
	return bytes.Replace(out, []byte(todoCountMark), []byte(strconv.Itoa(w.todo)), 1), w.todo
}

// todoCountMark is replaced by the number of placeholders once all are written.
const todoCountMark = "\x00TODO-COUNT\x00"

type writer struct {
	buf  bytes.Buffer
	todo int
}

func (w *writer) line(format string, args ...any) {
	fmt.Fprintf(&w.buf, format, args...)
	w.buf.WriteByte('\n')
}

func (w *writer) rule(title string, lines ...string) {
	w.line("")
	w.line("# ============================================================================")
	w.line("# %s", comment(title))
	for _, l := range lines {
		w.line("#   %s", comment(l))
	}
	w.line("# ============================================================================")
}

// field writes "indent key: value", with a trailing comment aligned when
// there is one. value is written as is: quote it with scalar first.
func (w *writer) field(indent, key, value, note string) {
	s := indent + key + ": " + value
	if note != "" {
		s += strings.Repeat(" ", max(2, 28-width(s))) + "# " + comment(note)
	}
	w.line("%s", s)
}

// placeholder writes a value the admin must fill.
func (w *writer) placeholder(indent, key, value, note string) {
	w.todo++
	w.field(indent, key, value, note)
}

func (d *Document) header(w *writer) {
	src := cmpOr(d.Source, "原文")
	w.line("# ============================================================================")
	w.line("# planbot 计划草稿 —— 由 planbot import-doc 从 %s 生成", comment(src))
	if d.Title != "" {
		w.line("# 原文标题：%s", comment(d.Title))
	}
	where := "全文"
	if d.PlanLine > 0 {
		where = fmt.Sprintf("原文第 %d 行起", d.PlanLine)
	}
	w.line("# 计划部分：“%s”（%s）：找到 %d 个部分、%d 个事项；指标 %d 项 —— 请对照原文核对",
		comment(d.PlanHeading), where, len(d.Sections), d.Items(), len(d.Indicators))
	d.skippedLines(w)
	w.line("# 计划年度：%d —— %s。", d.Year, comment(d.YearFrom))
	w.line("#   年度不对：重新生成（planbot import-doc -year %d 原文.txt），或改 year 和下面所有日期。", d.Year+1)
	w.line("#")
	w.line("# 这是草稿，还不能直接使用。请按顺序补全：")
	w.line("#   1. 在文末 people 里添加用机器人的人（领导、党政办、负责事项的干部）。")
	w.line("#   2. 把每个 TODO 换成实际内容，共 %s 处：", todoCountMark)
	w.line("#        sections 的 leader    —— 分管领导的 key")
	w.line("#        items 的 owners       —— 责任人的 key，可写多人，如 [zhao_cun, qian_cun]")
	w.line("#        indicators 的 target  —— 全年目标（只写数字，单位同 unit）")
	w.line("#   3. 核对每个事项：title 是从原文句子自动截取的，可改短、改准；")
	w.line("#      start/due 按原文的时间说法推算（见行尾注释），原文没写时间的暂定全年；")
	w.line("#      target 是原文中的数量。一句话里有几件事的，可以拆成几个事项（编号不要重复）。")
	w.line("#   4. 检查：planbot check -config plan.yaml")
	w.line("#      没填的 TODO 会逐条列出（文件名:行号: … 待填写）；没有报错就可以用了。")
	w.line("# 其他设置（机器人、判定规则、免打扰等）不写就用默认值，说明见 config.example.yaml。")
	w.line("# ============================================================================")
	w.line("")
	w.field("", "year", strconv.Itoa(d.Year), "计划年度")
	w.field("", "timezone", "Asia/Shanghai", "")
	w.field("", "database", "planbot.db", "汇报记录存在这个文件里，请定期备份")
}

// skippedLines lists what of the plan part did not become an item, so that
// a task the reader missed is found by comparing with the document.
func (d *Document) skippedLines(w *writer) {
	if len(d.Skipped) == 0 {
		return
	}
	const most = 30
	w.line("# 计划部分中没有作为事项的段落和句子（引导语、结束语、目标、落款等）：")
	for i, s := range d.Skipped {
		if i == most {
			w.line("#   …… 另有 %d 处", len(d.Skipped)-most)
			break
		}
		w.line("#   第 %d 行（%s）：%s……", s.Line, comment(s.Why), comment(s.Text))
	}
}

func (d *Document) sections(w *writer) {
	w.rule(fmt.Sprintf("sections：计划的几个部分（原文“%s”的各个小标题）", d.PlanHeading),
		"leader 写分管领导的 key（people 中 roles 含 leader 的人）。")
	w.line("sections:")
	for _, s := range d.Sections {
		w.field("  ", "- code", strconv.Quote(s.Code), fmt.Sprintf("原文第 %d 行 %s", s.Line, s.Num))
		w.field("    ", "title", text(s.Title), "")
		w.placeholder("    ", "leader", Placeholder, "分管领导的 key")
		w.line("")
	}
}

func (d *Document) items(w *writer) {
	w.rule("items：具体事项（原文的每一句、每个分号隔开的分句、每个编号小点各成一项）",
		"owners 写责任人的 key；start 开始日期，due 完成期限；",
		"target 是可量化的目标（数字加单位），原文没有就不写。")
	w.line("items:")
	for _, s := range d.Sections {
		w.line("  # ---------------- %s%s ----------------", comment(s.Num), comment(s.Title))
		for _, it := range s.Items {
			w.field("  ", "- code", strconv.Quote(it.Code), "")
			w.field("    ", "section", strconv.Quote(s.Code), "")
			w.field("    ", "title", text(it.Title), "")
			w.field("    ", "description", text(it.Description), "")
			w.placeholder("    ", "owners", "["+Placeholder+"]", "责任人的 key")
			startNote := ""
			if it.StartPhrase != "" {
				startNote = "原文“" + it.StartPhrase + "”"
			}
			w.field("    ", "start", it.Start.String(), startNote)
			dueNote := "原文没写完成时间，暂定年底"
			if it.DuePhrase != "" {
				dueNote = "原文“" + it.DuePhrase + "”"
			}
			w.field("    ", "due", it.Due.String(), dueNote)
			if len(it.Earlier) > 0 {
				w.line("    # 原文还有较早的期限：%s——需要时可写成 milestones（阶段节点）", comment(strings.Join(it.Earlier, "、")))
			}
			switch {
			case it.Target != "":
				w.field("    ", "target", scalar(it.Target), "原文“"+it.TargetContext+"”")
			case it.TargetHidden != "":
				w.placeholder("    ", "target", Placeholder, "原文“"+it.TargetContext+"”数字被隐去：请填写（数字加单位），不需要就删掉这一行")
			}
			w.line("")
		}
	}
}

func (d *Document) indicators(w *writer) {
	last := d.Year - 1
	w.rule("indicators：主要经济指标（取自原文总结部分的数字）",
		fmt.Sprintf("target 是 %d 年全年目标；last_year 是上年（%d 年）实际数，用来算同比。", d.Year, last),
		"只写数字，单位同 unit。aliases 是汇报、查询时可能用的简称。")
	if len(d.Indicators) == 0 {
		w.line("# 原文总结部分没有找到指标数字（如“实现固定资产投资5.2亿元，同比增长24％”）；")
		w.line("# 需要时照 config.example.yaml 的写法添加。")
		w.line("indicators: []")
		return
	}
	w.line("indicators:")
	for _, ind := range d.Indicators {
		w.line("  # 原文（第 %d 行）：%s", ind.Line, comment(ind.Source))
		w.field("  ", "- key", ind.Key, "")
		w.field("    ", "name", text(ind.Name), "")
		if len(ind.Aliases) > 0 {
			as := make([]string, len(ind.Aliases))
			for i, a := range ind.Aliases {
				as[i] = flowScalar(a)
			}
			w.field("    ", "aliases", "["+strings.Join(as, ", ")+"]", "")
		}
		unit := ind.Unit
		if unit == "" {
			w.placeholder("    ", "unit", Placeholder, "原文单位“"+ind.WrittenUnit+"”planbot 不认识：请换算成 万元 或 亿元")
			unit = ind.WrittenUnit
		} else {
			w.field("    ", "unit", scalar(unit), "")
		}
		change := ""
		switch {
		case strings.HasPrefix(ind.Growth, "-"):
			change = "上年同比下降 " + ind.Growth[1:] + "%"
		case ind.Growth != "":
			change = "上年同比增长 " + ind.Growth + "%"
		case ind.Share != "":
			change = "上年完成全年任务目标的 " + ind.Share + "%"
			if ind.LastYear != "" {
				l, _ := strconv.ParseFloat(ind.LastYear, 64)
				s, _ := strconv.ParseFloat(ind.Share, 64)
				if t := round3(l / s * 100); s > 0 && t != "" {
					change += "（上年任务约 " + t + unit + "）"
				}
			}
		}
		if ind.LastYear == "" && ind.Value != "" {
			w.line("    # 原文数字：%s%s（今年以来累计，不是上年数）", ind.Value, unit)
		}
		switch {
		case ind.LastYear != "" && ind.Unit != "":
			w.field("    ", "last_year", ind.LastYear, fmt.Sprintf("%d 年实际数（原文）", last))
		case ind.Hidden:
			w.field("    ", "# last_year", Placeholder, fmt.Sprintf("选填：%d 年实际数，原文写作“X%s”；填好后去掉行首的“# ”", last, unit))
		case ind.LastYear != "":
			w.field("    ", "# last_year", ind.LastYear, fmt.Sprintf("%d 年实际数（原文，单位 %s）：换算成上面的 unit 后去掉行首的“# ”", last, unit))
		}
		if ind.Target != "" {
			w.field("    ", "target", ind.Target, targetNote(ind))
		} else {
			note := fmt.Sprintf("%d 年全年目标（%s）", d.Year, unit)
			if ind.Goal != "" {
				note += "；原文：" + ind.Goal
			}
			if change != "" {
				note += "；" + change
			}
			w.placeholder("    ", "target", Placeholder, note)
		}
		acc := "ytd"
		accNote := "填报年初以来的累计数"
		if ind.Accumulate == "level" {
			acc, accNote = "level", "填报某一时点的水平（比率）"
		}
		w.field("    ", "accumulate", acc, accNote)
		w.line("")
	}
}

// targetNote says where a target came from, for the admin to check.
func targetNote(ind Indicator) string {
	switch ind.TargetFrom {
	case "goal", "plan":
		return "原文目标：" + ind.Goal
	case "share":
		return fmt.Sprintf("按原文推算：已完成 %s，占全年任务的 %s%%", ind.Value, ind.Share)
	}
	return fmt.Sprintf("建议值：%s × (1 + %s%%) ≈ %s，按上年增速推算；请按县里下达的任务核定", ind.LastYear, ind.Growth, ind.Target)
}

func reminders(w *writer) {
	w.rule("reminders：定时提醒（常用的三条，可按需增删；写法见 config.example.yaml）")
	w.line(`reminders:
  # 逐级催办，每个工作日 10:00：到期前 3 天提醒责任人；逾期满 3 天同时通知
  # 分管领导；满 10 天再通知主要领导（people 中 principal: true 的人）。
  - name: escalate_ladder
    kind: escalate
    cron: "0 10 * * *"
    to: [owners]
    workdays_only: true
    within_days: 3
    leader_after_days: 3
    principal_after_days: 10

  # 每周四 16:00，本周一以来还没汇报过的责任人收到催报。
  - name: thursday_report_nudge
    kind: report_request
    cron: "0 16 * * 4"
    to: [owners]
    workdays_only: true
    since: monday

  # 每周一 8:30，给所有领导发周报。
  - name: weekly_digest
    kind: digest
    cron: "30 8 * * 1"
    to: ["role:leader"]`)
}

func people(w *writer) {
	w.rule("people：所有会用到机器人的人 —— 草稿里还没有，请添加",
		"去掉下面示例各行开头的“# ”，照样子每人写一项。上面 leader、owners 里写的",
		"key 都必须在这里有；负责事项的干部要有 telegram_id 或 invite。")
	w.line(`#   key          英文代号（字母、数字、下划线，建议用拼音），不能重复
#   name         姓名
#   telegram_id  Telegram 数字用户 ID；不知道就不写这一行，改写 invite
#   invite       一次性邀请码（至少 6 位）：本人私聊机器人发送“/start 邀请码”绑定
#   roles        admin（党政办）、leader（领导）、cadre（干部），可写多个，如 [admin, cadre]
#   unit         所在单位，如 东村、党政办
#   principal    主要领导（党委书记、镇长）写 true，其他人不写
#
# people:
#   - key: zhang_shuji
#     name: 张某某
#     telegram_id: 100000001
#     roles: [leader]
#     unit: 镇党委
#     principal: true
#   - key: li_fuzhen
#     name: 李某某
#     telegram_id: 100000002
#     roles: [leader]
#     unit: 镇政府
#   - key: zheng_dzb
#     name: 郑某某
#     telegram_id: 100000003
#     roles: [admin]
#     unit: 党政办
#   - key: zhao_cun
#     name: 赵某某
#     invite: NL7Q4K9M2X
#     roles: [cadre]
#     unit: 东村`)
}

// text writes words taken from the document. Only the draft's own
// placeholders may start with TODO: the loader reports those as 待填写.
func text(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, Placeholder) {
		s = strings.ToLower(Placeholder) + s[len(Placeholder):]
	}
	return scalar(s)
}

// scalar writes s as a YAML scalar in block context: plain, as admins
// write Chinese text, when YAML reads it back as exactly s; else
// double-quoted with escapes.
func scalar(s string) string {
	if plainOK(s) {
		return s
	}
	return strconv.Quote(s)
}

// flowScalar is scalar for an item of a [a, b] list, where commas and
// brackets end the item: only letters and digits stay plain.
func flowScalar(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) && plainOK(s) {
		return s
	}
	return strconv.Quote(s)
}

func plainOK(s string) bool {
	if s == "" || strings.TrimSpace(s) != s || !utf8.ValidString(s) ||
		strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) || r == '\uFEFF' }) {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(s); r < utf8.RuneSelf && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
		return false // YAML's indicators (- ? : , [ ] { } # & * ! | > ' " % @ `) are all ASCII
	}
	if strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":") {
		return false
	}
	var doc struct {
		V yaml.Node `yaml:"v"`
	}
	if err := yaml.Unmarshal([]byte("v: "+s+"\n"), &doc); err != nil {
		return false
	}
	return doc.V.Kind == yaml.ScalarNode && doc.V.Tag == "!!str" && doc.V.Style == 0 && doc.V.Value == s
}

// comment makes text safe for a comment: one line.
func comment(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, s)
}

// width is the display width: CJK characters take two columns.
func width(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 && (unicode.Is(unicode.Han, r) || r >= 0x3000 && r <= 0x303F || r >= 0xFF00 && r <= 0xFFEF || r >= 0x2E80 && r <= 0x2FDF) {
			n += 2
		} else {
			n++
		}
	}
	return n
}
