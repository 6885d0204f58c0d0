package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"planbot"
)

// overview derives the whole plan's standing now, from the session's view of
// the reports (which includes what this message just recorded).
func (c *call) overview() (planbot.Overview, error) {
	reports, err := c.s.Histories(c.ctx, c.plan.Items, planbot.HistoryNeed{})
	if err != nil {
		return planbot.Overview{}, err
	}
	latest, err := c.latest()
	if err != nil {
		return planbot.Overview{}, err
	}
	return c.plan.Overview(reports, latest, c.now), nil
}

// latest is each indicator's newest observation of the plan year so far.
func (c *call) latest() (map[string]planbot.Observation, error) {
	from, to := c.plan.ObservedBy(c.now)
	return c.s.LatestObservations(c.ctx, from, to)
}

func (c *call) itemStatus(it planbot.Item) (planbot.ItemStatus, []planbot.Report, error) {
	reports, err := c.s.ItemReports(c.ctx, it.Code)
	if err != nil {
		return planbot.ItemStatus{}, nil, err
	}
	return planbot.DeriveStatus(it, reports, c.now, c.plan.Location, c.plan.Rules), reports, nil
}

// lastWords is how much of the last report a list line shows, in runes:
// a sentence, so a phone line or two.
const lastWords = 40

// itemLine is one item in a list: mark, code, title, then how it stands.
func (c *call) itemLine(iv planbot.ItemView, withOwners bool) string {
	st := iv.Status
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s <b>%s</b> %s\n", st.Status.Mark(), esc(iv.Item.Code), esc(clip(iv.Item.Title, 24)))
	fmt.Fprintf(&sb, "　%s · 进度 %s · 截止 %s", statusPhrase(st), pct(st.Percent), day(iv.Item.Due, c.plan.Year))
	if withOwners {
		fmt.Fprintf(&sb, " · %s", names(c.plan, iv.Item.Owners))
	}
	sb.WriteString("\n")
	if st.Last != nil {
		fmt.Fprintf(&sb, "　最近汇报 %s", day(planbot.DateOf(st.Last.At.In(c.plan.Location)), c.plan.Year))
		// A bare figure is on the line above already.
		if w := planbot.ReportWords(*st.Last, lastWords); w != "" && (st.Last.Words != "" || st.Last.Note != "") {
			fmt.Fprintf(&sb, "：%s", note(w, lastWords))
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

func (b *Bot) mine(c *call, _ string) error {
	v, empty, err := b.mineList(c)
	if err != nil {
		return err
	}
	if empty != "" {
		c.say(empty)
		return nil
	}
	c.show(v, page{-1, 0})
	return nil
}

// mineList is /mine: the sender's items (and their unit's), worst first;
// a leader who owns none gets what they lead, an admin what needs
// attention anywhere.
func (b *Bot) mineList(c *call) (listView, string, error) {
	ov, err := c.overview()
	if err != nil {
		return listView{}, "", err
	}
	var mineItems []planbot.ItemView
	withUnit := false
	for _, sv := range ov.Sections {
		for _, iv := range sv.Items {
			own := slices.Contains(iv.Item.Owners, c.me.Key)
			if own || c.ofMyUnit(iv.Item) {
				mineItems = append(mineItems, iv)
				withUnit = withUnit || !own
			}
		}
	}
	title := "的事项"
	if withUnit {
		title = "及" + c.me.Unit + "的事项"
	}
	if len(mineItems) == 0 && (c.me.Has(planbot.RoleLeader) || c.me.Has(planbot.RoleAdmin)) {
		// A leader owns nothing but answers for what they lead; an admin
		// answers for what needs attention anywhere.
		for _, sv := range ov.Sections {
			for _, iv := range sv.Items {
				st := iv.Status.Status
				if iv.Item.Leader == c.me.Key || (c.me.Has(planbot.RoleAdmin) && (st == planbot.StatusOverdue || st == planbot.StatusAtRisk || st == planbot.StatusNoReport)) {
					mineItems = append(mineItems, iv)
				}
			}
		}
		title = "分管的事项"
		if !c.me.Has(planbot.RoleLeader) {
			title = "：需要关注的事项"
		}
	}
	if len(mineItems) == 0 {
		return listView{}, fmt.Sprintf("%s，您名下没有事项，目前也没有需要关注的事项。发送 /plan 查看全镇计划。", esc(c.me.Name)), nil
	}
	planbot.ByUrgency(mineItems)
	leave, err := c.leaveLine()
	if err != nil {
		return listView{}, "", err
	}
	head := leave + fmt.Sprintf("<b>%s%s</b>（%d 项，截至 %s）\n\n", esc(c.me.Name), esc(title), len(mineItems), when(c.now, c.plan.Location, c.plan.Year))
	v := c.itemList("m", "", "您的事项", head, mineItems, title != "的事项")
	v.foot = "\n汇报示例：<code>" + esc(mineItems[0].Item.Code) + " 进度60% 已签约</code>"
	return v, "", nil
}

func (b *Bot) planCmd(c *call, args string) error {
	ov, err := c.overview()
	if err != nil {
		return err
	}
	if idx, named, ok := c.sectionArg(args); !ok {
		c.say(fmt.Sprintf("没有板块 %s。发送 /plan 查看全部板块。", esc(clip(strings.TrimSpace(args), 20))))
		return nil
	} else if named {
		v, _, err := b.sectionList(c, idx)
		if err != nil {
			return err
		}
		c.show(v, page{0, 0})
		return nil
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "<b>%d 年度工作计划</b>（截至 %s）\n共 %d 项：%s\n\n", c.plan.Year, when(c.now, c.plan.Location, c.plan.Year), len(c.plan.Items), countsLine(ov.Counts))
	var kb [][]Button
	for _, sv := range ov.Sections {
		fmt.Fprintf(&sb, "<b>【%s】</b>%s\n　%s\n", esc(sv.Section.Code), esc(clip(sv.Section.Title, 20)), countsLine(sv.Counts))
		kb = append(kb, []Button{{Text: "【" + sv.Section.Code + "】" + clip(sv.Section.Title, 12), Data: "plan:" + sv.Section.Code}})
	}
	sb.WriteString("\n点下面的按钮，或发送 /plan 板块编号，查看其中事项。")
	c.say(sb.String(), kb...)
	return nil
}

// sectionList is /plan 2: section idx's items, worst first, a page at a
// time when they are many.
func (b *Bot) sectionList(c *call, idx int) (listView, string, error) {
	ov, err := c.overview()
	if err != nil {
		return listView{}, "", err
	}
	for _, sv := range ov.Sections {
		if sv.Section.Code != c.plan.Sections[idx].Code {
			continue
		}
		leader, _ := c.plan.Person(sv.Section.Leader)
		head := fmt.Sprintf("<b>【%s】%s</b>\n分管：%s · %s\n\n", esc(sv.Section.Code), esc(sv.Section.Title), esc(leader.Name), countsLine(sv.Counts))
		items := slices.Clone(sv.Items)
		planbot.ByUrgency(items)
		v := c.itemList("p", "", "事项", head, items, true)
		v.only = true
		if len(v.secs) == 0 {
			v.secs = []listSection{{idx: idx, sec: sv.Section}}
		}
		return v, "", nil
	}
	return listView{}, "这个板块已不在计划中。", nil
}

func countsLine(counts map[planbot.Status]int) string {
	var parts []string
	for _, s := range planbot.Statuses {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s%s %d", s.Mark(), s.Label(), n))
		}
	}
	if len(parts) == 0 {
		return "无事项"
	}
	return strings.Join(parts, " ")
}

func (b *Bot) item(c *call, args string) error {
	code := strings.TrimSpace(args)
	if code == "" {
		c.say("请写上事项编号，例如 /item 2.3")
		return nil
	}
	it, ok := c.findItem(code)
	if !ok {
		c.say(fmt.Sprintf("没有编号为 %s 的事项。发送 /plan 查看全部事项。", esc(clip(code, 20))))
		return nil
	}
	st, reports, err := c.itemStatus(it)
	if err != nil {
		return err
	}
	y := c.plan.Year
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s <b>%s %s</b>\n", st.Status.Mark(), esc(it.Code), esc(it.Title))
	if it.Description != "" {
		fmt.Fprintf(&sb, "<i>%s</i>\n", esc(clip(it.Description, 200)))
	}
	leader, _ := c.plan.Person(it.Leader)
	fmt.Fprintf(&sb, "责任人：%s · 分管：%s\n", names(c.plan, it.Owners), esc(leader.Name))
	fmt.Fprintf(&sb, "时间：%s — %s\n", day(it.Start, y), day(it.Due, y))
	phrase := c.phrase(st)
	if st.Status == planbot.StatusAtRisk {
		phrase = st.Status.Label() // the expected figure follows on this line
	}
	if st.Early { // nothing is expected before the start: no "应达 0%"
		fmt.Fprintf(&sb, "状态：%s · 进度 %s（%s开始）\n", phrase, pct(st.Percent), day(it.Start, y))
	} else {
		fmt.Fprintf(&sb, "状态：%s · 进度 %s（应达 %s）\n", phrase, pct(st.Percent), pct(st.Expected))
	}
	if it.Target != nil {
		if st.Value != nil {
			fmt.Fprintf(&sb, "目标：%s · 当前 %s\n", esc(friendly(*it.Target)), esc(friendly(*st.Value)))
		} else {
			fmt.Fprintf(&sb, "目标：%s\n", esc(friendly(*it.Target)))
		}
	}
	if shares := planbot.ItemShares(it, reports); len(shares) > 0 {
		var parts []string
		for _, sh := range shares {
			v := "未报"
			if sh.Value != nil {
				v = friendly(*sh.Value)
			}
			parts = append(parts, c.unitOf(sh.Owner)+" "+v)
		}
		fmt.Fprintf(&sb, "各村：%s\n", esc(strings.Join(parts, " · ")))
	}
	for _, ms := range it.Milestones {
		fmt.Fprintf(&sb, "节点：%s 前达到 %s\n", day(ms.Date, y), pct(ms.Percent))
	}
	sb.WriteString("\n<b>汇报记录</b>\n")
	if len(reports) == 0 {
		sb.WriteString("暂无汇报。\n")
	}
	replaced := map[int64]bool{}
	for _, r := range reports {
		if r.Supersedes != 0 {
			replaced[r.Supersedes] = true
		}
	}
	const shown = 15
	if len(reports) > shown {
		fmt.Fprintf(&sb, "（共 %d 条，只列最近 %d 条）\n", len(reports), shown)
	}
	for _, r := range reports[max(0, len(reports)-shown):] {
		sb.WriteString(c.reportLine(r, replaced[r.ID], it) + "\n")
	}
	c.say(sb.String())
	return nil
}

// reportLine is one row of an item's history; superseded rows are struck
// through, so the audit trail shows what was corrected.
func (c *call) reportLine(r planbot.Report, superseded bool, it planbot.Item) string {
	who := r.Reporter
	if p, ok := c.plan.Person(r.Reporter); ok {
		who = p.Name
	}
	var what string
	switch {
	case r.Withdrawn:
		what = fmt.Sprintf("撤回了第 %d 条", r.Supersedes)
	case r.Done:
		what = "完成"
	case r.Percent != nil:
		what = "进度 " + pct(*r.Percent)
	case r.Value != nil:
		what = r.Value.String()
	default:
		what = "说明"
	}
	line := fmt.Sprintf("#%d %s %s %s", r.ID, when(r.At, c.plan.Location, c.plan.Year), esc(who), esc(what))
	if r.OnBehalfOf != "" {
		line += "（代报）"
	}
	if r.AsOf != nil {
		line += fmt.Sprintf("（补报 %s）", day(*r.AsOf, c.plan.Year))
	}
	if r.Note != "" {
		line += "：" + note(r.Note, 60)
	}
	if n := len(r.PhotoIDs); n > 0 {
		line += fmt.Sprintf(" 📎%d", n)
	}
	if superseded {
		line = "<s>" + line + "</s>"
	}
	return line
}

func (c *call) findItem(code string) (planbot.Item, bool) {
	code = strings.Trim(code, "【】[]#号第项 ")
	return c.plan.Item(code)
}

func (b *Bot) targets(c *call, _ string) error {
	latest, err := c.latest()
	if err != nil {
		return err
	}
	views := c.plan.IndicatorViews(latest, c.now) // no item history needed
	if len(views) == 0 {
		c.say("配置中没有指标。")
		return nil
	}
	var sb strings.Builder
	elapsed := views[0].Standing.Elapsed
	fmt.Fprintf(&sb, "<b>重点指标</b>（截至 %s）\n时间进度 %s\n\n", when(c.now, c.plan.Location, c.plan.Year), pct(100*elapsed))
	for _, iv := range views {
		s, ind := iv.Standing, iv.Indicator
		m := "⚪"
		switch {
		case !s.HasValue:
		case s.Completion >= 1:
			m = "✅"
		case s.Behind:
			m = "🔴"
		default:
			m = "🟢"
		}
		fmt.Fprintf(&sb, "%s <b>%s</b>\n", m, esc(ind.Name))
		if !s.HasValue {
			fmt.Fprintf(&sb, "　暂无数据 · 全年目标 %s\n", esc(amountIn(ind.Target, ind.Unit)))
			continue
		}
		fmt.Fprintf(&sb, "　%s / %s，完成 %s（时间进度 %s）· %s\n", esc(amountIn(s.Value, ind.Unit)), esc(amountIn(ind.Target, ind.Unit)),
			pct(100*s.Completion), pct(100*s.Elapsed), esc(s.Verdict()))
		var extra []string
		if s.YoY != nil {
			y := fmt.Sprintf("同比 %+.1f%%", 100**s.YoY)
			if s.YoYEstimated {
				y += "（估）"
			}
			extra = append(extra, y)
		}
		if s.MonthsLeft > 0 && !s.Remaining.IsZero() {
			extra = append(extra, fmt.Sprintf("余下每月需 %s", esc(amountIn(s.PerMonth, ind.Unit))))
		}
		extra = append(extra, "数据日期 "+day(planbot.DateOf(s.At.In(c.plan.Location)), c.plan.Year))
		fmt.Fprintf(&sb, "　%s\n", strings.Join(extra, " · "))
	}
	c.say(sb.String())
	return nil
}

func (b *Bot) overdue(c *call, args string) error {
	return b.listStatus(c, planbot.StatusOverdue, "逾期事项", "逾期事项", args)
}

// weekStart is Monday 00:00 of the current week in the plan's zone.
func (c *call) weekStart() time.Time {
	d := c.today()
	offset := (int(c.now.Weekday()) + 6) % 7
	return d.AddDays(-offset).Start(c.plan.Location)
}

func (b *Bot) unreported(c *call, args string) error {
	idx, named, ok := c.sectionArg(args)
	if !ok {
		c.say(fmt.Sprintf("没有板块 %s。发送 /unreported 查看全部。", esc(clip(strings.TrimSpace(args), 20))))
		return nil
	}
	v, empty, err := b.unreportedList(c)
	if err != nil {
		return err
	}
	c.showList(v, empty, named, idx)
	return nil
}

// unreportedList is /unreported: who owns open items and has not reported
// this week, those with the most open items first; by section, each
// person with their open items there.
func (b *Bot) unreportedList(c *call) (listView, string, error) {
	ov, err := c.overview()
	if err != nil {
		return listView{}, "", err
	}
	since := c.weekStart()
	reports, err := c.s.Histories(c.ctx, c.plan.Items, planbot.HistoryNeed{Since: since})
	if err != nil {
		return listView{}, "", err
	}
	reportedBy := map[string]bool{}
	for _, rs := range reports {
		for _, r := range rs {
			if !r.At.Before(since) {
				reportedBy[r.Reporter] = true
				if r.OnBehalfOf != "" {
					reportedBy[r.OnBehalfOf] = true
				}
			}
		}
	}
	open := map[string][]string{}                              // person → open item codes
	bySec := make([]map[string][]string, len(c.plan.Sections)) // section → person → codes
	secAt := map[string]int{}
	for i, s := range c.plan.Sections {
		secAt[s.Code] = i
		bySec[i] = map[string][]string{}
	}
	for _, sv := range ov.Sections {
		for _, iv := range sv.Items {
			st := iv.Status.Status
			if st == planbot.StatusDone || c.now.Before(iv.Item.Start.Start(c.plan.Location)) {
				continue
			}
			for _, o := range iv.Item.Owners {
				open[o] = append(open[o], iv.Item.Code)
				if i, ok := secAt[iv.Item.Section]; ok {
					bySec[i][o] = append(bySec[i][o], iv.Item.Code)
				}
			}
		}
	}
	var silent []planbot.Person
	for _, p := range c.plan.People {
		if len(open[p.Key]) > 0 && !reportedBy[p.Key] {
			silent = append(silent, p)
		}
	}
	if len(silent) == 0 {
		return listView{}, "本周所有责任人都已汇报。✅", nil
	}
	slices.SortStableFunc(silent, func(a, b planbot.Person) int { return len(open[b.Key]) - len(open[a.Key]) })
	line := func(p planbot.Person, codes []string) string {
		return fmt.Sprintf("• %s（%s）：%s\n", esc(p.Name), esc(p.Unit), esc(strings.Join(codes, "、")))
	}
	v := listView{kind: "u", cmd: "/unreported", what: "未汇报的人", noun: "人", total: len(silent),
		head: fmt.Sprintf("<b>本周未汇报</b>（自 %s 起）\n\n", day(planbot.DateOf(since), c.plan.Year)),
		foot: fmt.Sprintf("\n共 %d 人。", len(silent))}
	for _, p := range silent {
		v.all = append(v.all, line(p, open[p.Key]))
	}
	for i, sec := range c.plan.Sections {
		ls := listSection{idx: i, sec: sec}
		for _, p := range silent {
			if codes := bySec[i][p.Key]; len(codes) > 0 {
				ls.entries = append(ls.entries, line(p, codes))
			}
		}
		if len(ls.entries) > 0 {
			v.secs = append(v.secs, ls)
		}
	}
	slices.SortStableFunc(v.secs, func(a, b listSection) int { return len(b.entries) - len(a.entries) })
	return v, "", nil
}

func (b *Bot) reload(c *call, _ string) error {
	if b.cfg.LoadPlan == nil {
		c.say("这个运行方式不支持重载配置。")
		return nil
	}
	text, _, err := b.Reload(c.ctx, c.s, c.now)
	if err != nil {
		return err
	}
	c.say(text)
	return nil
}

// Reload re-reads the YAML (Config.LoadPlan) and, if it is valid, loads
// it into the database within s and puts it in force (ok). It returns what
// the admin reads: every problem of a broken file (the running plan then
// stays in force), or what changed. err is for the database only.
func (b *Bot) Reload(ctx context.Context, s Store, now time.Time) (text string, ok bool, err error) {
	plan, err := b.cfg.LoadPlan(ctx)
	if err != nil {
		return problemList(strings.Split(err.Error(), "\n")), false, nil
	}
	rep, err := s.SyncPlan(ctx, plan, now)
	if errors.Is(err, planbot.ErrConflict) {
		// The file is valid but cannot go into this database (a new
		// year's plan over last year's reports): the admin must act.
		return "❌ 配置没有重载，<b>仍按原配置运行</b>：" + esc(innermost(err).Error()) + "。", false, nil
	} else if err != nil {
		return "", false, err
	}
	b.SetPlan(plan)
	if b.cfg.Reloaded != nil {
		b.cfg.Reloaded(plan)
	}
	return fmt.Sprintf("✅ 配置已重载：%d 个事项、%d 项指标、%d 人。新增 %d，修改 %d，归档 %d，恢复 %d。",
		len(plan.Items), len(plan.Indicators), len(plan.People), len(rep.Added), len(rep.Updated), len(rep.Archived), len(rep.Restored)), true, nil
}

// Caps on the problems a failed reload lists: the first ones fit one
// message (3,000 characters, under every platform's limit), the rest are
// for `planbot check` on the server. A file with 24,000 problems once
// queued 479 messages.
const (
	problemsShown   = 20
	problemsRunes   = 3000
	problemRunesMax = 200
)

// problemList is what the admin reads about a file that was not loaded.
func problemList(lines []string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "❌ 配置有错误，<b>仍按原配置运行</b>。共 %d 处：\n", len(lines))
	shown, runes := 0, 0
	for _, l := range lines {
		l = clip(l, problemRunesMax)
		if shown == problemsShown || runes+len([]rune(l)) > problemsRunes {
			break
		}
		sb.WriteString("• " + esc(l) + "\n")
		shown++
		runes += len([]rune(l))
	}
	if rest := len(lines) - shown; rest > 0 {
		fmt.Fprintf(&sb, "……另有 %d 处问题，请在服务器上运行 planbot check 查看全部。\n", rest)
	}
	return sb.String()
}

// digest shows the weekly digest now, as leaders get it on Monday.
func (b *Bot) digest(c *call, _ string) error {
	if b.cfg.Digest == nil {
		c.say("这个运行方式不支持周报。")
		return nil
	}
	text, picture, err := b.cfg.Digest(c.ctx, c.s, c.plan, c.now)
	if err != nil {
		return err
	}
	if picture != nil {
		// Leaders would rather look than read: the picture first.
		name, caption := planbot.DigestPicture(c.plan.Year, c.now)
		c.replies = append(c.replies, Reply{ChatID: c.m.ChatID, Photo: &File{Name: name, Data: picture, Caption: caption}})
	}
	c.say(text)
	return nil
}

// innermost is the error at the end of err's chain: the one written for
// the user, without the wrapping that says where it came from.
func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// export sends the ledger (台账) as an Excel file.
func (b *Bot) export(c *call, _ string) error {
	if c.m.Chat != ChatPrivate {
		// Every report with its reporter, for whoever is in the group.
		c.say("台账含全部汇报记录，请私聊本机器人发送 /export 导出。")
		return nil
	}
	if b.cfg.Export == nil {
		c.say("暂时不能导出台账：服务器上缺少导出程序，请联系管理员。")
		return nil
	}
	name, data, err := b.cfg.Export(c.ctx, c.s, c.plan, c.now)
	if err != nil {
		return err
	}
	c.replies = append(c.replies, Reply{ChatID: c.m.ChatID, Document: &File{Name: name, Data: data,
		Caption: fmt.Sprintf("📊 %d 年度工作台账（截至 %s）：事项、指标、汇报记录", c.plan.Year, when(c.now, c.plan.Location, c.plan.Year))}})
	return nil
}

// Long lists (a county's 86 overdue items were 14,306 characters in four
// messages) are shown a page at a time: a summary first (counts by
// section, the worst few), then one section per page, worst first, with
// 上一页/下一页 buttons that only the person who asked can press. A page
// holds at most planbot.PageBudget UTF-16 units, under every platform's
// limit with room for its last lines, so it is never split into several
// messages.

// worstShown is how many entries a summary page lists.
const worstShown = 8

// listView is a list view that may need pages.
type listView struct {
	kind  string   // in the buttons' data: o overdue, a at risk, m mine, u unreported, p one section of /plan
	cmd   string   // the command that takes a section code ("/overdue"), or ""
	what  string   // what is listed, for an empty section: 逾期事项
	head  string   // the title, on every page
	noun  string   // 项 or 人
	all   []string // every entry, worst first: the whole list when it fits
	foot  string   // after the whole list
	secs  []listSection
	only  bool // one section (/plan 2): its pages, no summary
	total int
}

// listSection is a section's entries, worst first.
type listSection struct {
	idx     int // in plan.Sections: the buttons carry it
	sec     planbot.Section
	entries []string
}

// page is one page of a listView: sec -1 is the summary, else a position
// in secs and the k-th page of that section.
type page struct{ sec, k int }

// itemList is a listView of items ordered worst first.
func (c *call) itemList(kind, cmd, what, head string, items []planbot.ItemView, withOwners bool) listView {
	v := listView{kind: kind, cmd: cmd, what: what, head: head, noun: "项", total: len(items)}
	at := map[string]int{}
	for _, iv := range items {
		line := c.itemLine(iv, withOwners)
		v.all = append(v.all, line)
		i, ok := at[iv.Item.Section]
		if !ok {
			i = len(v.secs)
			at[iv.Item.Section] = i
			idx := slices.IndexFunc(c.plan.Sections, func(s planbot.Section) bool { return s.Code == iv.Item.Section })
			sec, _ := c.plan.Section(iv.Item.Section)
			v.secs = append(v.secs, listSection{idx: idx, sec: sec})
		}
		v.secs[i].entries = append(v.secs[i].entries, line)
	}
	return v
}

// chunks cuts a section's entries into pages that fit after head.
func chunks(head string, entries []string) [][]string {
	var out [][]string
	var cur []string
	n := planbot.UTF16Len(head)
	for _, e := range entries {
		if len(cur) > 0 && n+planbot.UTF16Len(e) > planbot.PageBudget {
			out = append(out, cur)
			cur, n = nil, planbot.UTF16Len(head)
		}
		cur = append(cur, e)
		n += planbot.UTF16Len(e)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func (v listView) secHead(ls listSection) string {
	if v.only {
		return v.head
	}
	return v.head + fmt.Sprintf("<b>【%s】%s</b> %d %s\n\n", esc(ls.sec.Code), esc(clip(ls.sec.Title, 20)), len(ls.entries), v.noun)
}

// pages lists v's pages in reading order.
func (v listView) pages() []page {
	var out []page
	if !v.only {
		out = append(out, page{-1, 0})
	}
	for i, ls := range v.secs {
		for k := range chunks(v.secHead(ls), ls.entries) {
			out = append(out, page{i, k})
		}
	}
	return out
}

// fits says whether the whole list is one message.
func (v listView) fits() bool {
	if v.only {
		return len(v.secs) == 0 || len(chunks(v.secHead(v.secs[0]), v.secs[0].entries)) == 1
	}
	return planbot.UTF16Len(v.head+strings.Join(v.all, "")+v.foot) <= planbot.PageBudget
}

// show sends page p of v (the summary, or the whole list when it fits).
func (c *call) show(v listView, p page) { c.showPage(v, p, false) }

// showList answers a list command: what to say when the list is empty,
// section idx when one was named (/overdue 2), else the list from its
// summary.
func (c *call) showList(v listView, empty string, named bool, idx int) {
	switch {
	case empty != "":
		c.say(empty)
	case named:
		c.showSection(v, idx)
	default:
		c.show(v, page{-1, 0})
	}
}

// showPage shows page p of v; turn: in place of the message whose 上一页
// or 下一页 was pressed, so paging does not fill the chat.
func (c *call) showPage(v listView, p page, turn bool) {
	var text string
	var kb [][]Button
	switch {
	case p.sec < 0 && v.fits() && !v.only:
		text = v.head + strings.Join(v.all, "") + v.foot
	case p.sec < 0 && !v.only:
		text = c.summary(v)
	default:
		if p.sec < 0 {
			p.sec = 0
		}
		if p.sec >= len(v.secs) {
			c.answerButton("列表已更新", "这一页已没有内容。请重新发送命令查看。")
			return
		}
		ls := v.secs[p.sec]
		head := v.secHead(ls)
		pp := chunks(head, ls.entries)
		p.k = min(max(p.k, 0), len(pp)-1)
		if len(pp) > 1 {
			head = strings.TrimRight(head, "\n") + fmt.Sprintf("（第 %d/%d 页）\n\n", p.k+1, len(pp))
		}
		text = head + strings.Join(pp[p.k], "")
		if v.only && len(pp) == 1 {
			text += v.foot
		}
	}
	if !v.fits() || (p.sec >= 0 && !v.only) {
		all := v.pages()
		i := slices.Index(all, p)
		var row []Button
		if i > 0 {
			row = append(row, Button{Text: "◀ 上一页", Data: c.pageData(v, all[i-1])})
		}
		if i >= 0 && i+1 < len(all) {
			row = append(row, Button{Text: "下一页 ▶", Data: c.pageData(v, all[i+1])})
		}
		if len(row) > 0 {
			kb = append(kb, row)
		}
	}
	if turn {
		c.answerButton("", text, kb...)
		return
	}
	c.say(text, kb...)
}

// summary is the first page of a long list: counts by section, worst
// section first, then the worst entries.
func (c *call) summary(v listView) string {
	var sb strings.Builder
	sb.WriteString(v.head)
	fmt.Fprintf(&sb, "按板块（%d 个）：\n", len(v.secs))
	rest := 0
	for i, ls := range v.secs {
		line := fmt.Sprintf("【%s】%s %d %s\n", esc(ls.sec.Code), esc(clip(ls.sec.Title, 12)), len(ls.entries), v.noun)
		if planbot.UTF16Len(sb.String()+line) > planbot.PageBudget/2 {
			rest = len(v.secs) - i
			break
		}
		sb.WriteString(line)
	}
	if rest > 0 {
		fmt.Fprintf(&sb, "……另有 %d 个板块\n", rest)
	}
	hint := "\n点「下一页」逐个板块查看。"
	if v.cmd != "" {
		hint = fmt.Sprintf("\n点「下一页」逐个板块查看，或发送 <code>%s 板块编号</code>。", v.cmd)
	}
	var worst strings.Builder
	n := 0
	for _, e := range v.all {
		if n == worstShown || planbot.UTF16Len(sb.String()+worst.String()+e+hint)+40 > planbot.PageBudget {
			break
		}
		worst.WriteString(e)
		n++
	}
	fmt.Fprintf(&sb, "\n<b>最需关注的 %d %s</b>（共 %d %s）\n", n, v.noun, v.total, v.noun)
	sb.WriteString(worst.String())
	sb.WriteString(hint)
	return sb.String()
}

// pageData is a page button's data: pg:kind:section:k:user. The user is
// who asked: in a group, only they may turn the pages of their answer.
// The button is pressed on the platform it was sent on, so it carries the
// account's id there alone (pageOwner puts the platform back): the data
// stays within planbot.MaxButtonData, and the buttons sent before accounts
// had addresses still work.
func (c *call) pageData(v listView, p page) string {
	sec := -1
	if p.sec >= 0 {
		sec = v.secs[p.sec].idx
	}
	return fmt.Sprintf("pg:%s:%d:%d:%s", v.kind, sec, p.k, c.m.UserID.Local())
}

// pageOwner is the account a page button's user field names: an account
// on the platform the button is pressed on.
func (c *call) pageOwner(local string) planbot.UserID {
	return planbot.NewUserID(c.m.UserID.Platform(), local)
}

// sectionArg finds the section a list command names (/overdue 2): its
// code or a word of its title. ok is false when args name none.
func (c *call) sectionArg(args string) (idx int, named, ok bool) {
	code := strings.Trim(strings.TrimSpace(args), "【】[]（）()")
	if code == "" {
		return -1, false, true
	}
	for i, s := range c.plan.Sections {
		if s.Code == code {
			return i, true, true
		}
	}
	for i, s := range c.plan.Sections {
		if strings.Contains(s.Title, code) {
			return i, true, true
		}
	}
	return -1, true, false
}

// showSection shows the first page of plan section idx in v, or says it
// has nothing to list.
func (c *call) showSection(v listView, idx int) {
	for i, ls := range v.secs {
		if ls.idx == idx {
			c.show(v, page{i, 0})
			return
		}
	}
	sec := c.plan.Sections[idx]
	c.say(fmt.Sprintf("【%s】%s：没有%s。✅", esc(sec.Code), esc(clip(sec.Title, 20)), v.what))
}

// turnPage answers a press on 上一页/下一页 (pg:kind:section:k:user).
func (b *Bot) turnPage(c *call, data string) error {
	// The user field is last and may hold a colon on some platform.
	f := strings.SplitN(strings.TrimPrefix(data, "pg:"), ":", 4)
	if len(f) != 4 || f[3] == "" {
		c.answerButton("这个按钮已失效", "")
		return nil
	}
	sec, err1 := strconv.Atoi(f[1])
	k, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil || sec < -1 || sec >= len(c.plan.Sections) {
		c.answerButton("这个按钮已失效", "")
		return nil
	}
	if uid := c.pageOwner(f[3]); uid != c.m.UserID {
		owner, _, err := b.whoIs(c.ctx, c.s, c.plan, uid)
		if err != nil {
			return err
		}
		c.notYours(owner.Key, "列表", "翻页")
		return nil
	}
	v, empty, err := b.listByKind(c, f[0], sec)
	if err != nil {
		return err
	}
	if empty != "" {
		c.answerButton("", empty)
		return nil
	}
	p := page{-1, 0}
	if sec >= 0 {
		i := slices.IndexFunc(v.secs, func(ls listSection) bool { return ls.idx == sec })
		if i < 0 {
			c.answerButton("列表已更新", "这个板块已没有要列的内容。请重新发送命令查看。")
			return nil
		}
		p = page{i, k}
	}
	c.showPage(v, p, true)
	return nil
}

// listByKind rebuilds the list a page button belongs to, as it stands now.
func (b *Bot) listByKind(c *call, kind string, sec int) (listView, string, error) {
	switch kind {
	case "o":
		return b.statusList(c, planbot.StatusOverdue, "逾期事项", "逾期事项")
	case "a":
		return b.statusList(c, planbot.StatusAtRisk, "有风险的事项", "有风险的事项")
	case "m":
		return b.mineList(c)
	case "u":
		if !c.me.Has(planbot.RoleLeader) && !c.me.Has(planbot.RoleAdmin) {
			return listView{}, "未汇报名单只限领导和党政办查看。", nil
		}
		return b.unreportedList(c)
	case "p":
		if sec < 0 {
			break
		}
		return b.sectionList(c, sec)
	}
	return listView{}, "这个按钮已失效。", nil
}
