package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"planbot"
	"planbot/ledger"
)

// overview derives the whole plan's standing now, from the session's view of
// the reports (which includes what this message just recorded).
func (c *call) overview() (planbot.Overview, error) {
	reports, err := c.s.AllReports(c.ctx)
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
		if st.Last.Note != "" {
			fmt.Fprintf(&sb, "：%s", esc(clip(st.Last.Note, 30)))
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

func (b *Bot) mine(c *call, _ string) error {
	ov, err := c.overview()
	if err != nil {
		return err
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
		c.say(fmt.Sprintf("%s，您名下没有事项，目前也没有需要关注的事项。发送 /plan 查看全镇计划。", esc(c.me.Name)))
		return nil
	}
	planbot.ByUrgency(mineItems)
	var sb strings.Builder
	leave, err := c.leaveLine()
	if err != nil {
		return err
	}
	sb.WriteString(leave)
	fmt.Fprintf(&sb, "<b>%s%s</b>（%d 项，截至 %s）\n\n", esc(c.me.Name), esc(title), len(mineItems), when(c.now, c.plan.Location, c.plan.Year))
	for _, iv := range mineItems {
		sb.WriteString(c.itemLine(iv, title != "的事项"))
	}
	sb.WriteString("\n汇报示例：<code>" + esc(mineItems[0].Item.Code) + " 进度60% 已签约</code>")
	c.say(sb.String())
	return nil
}

func (b *Bot) planCmd(c *call, args string) error {
	ov, err := c.overview()
	if err != nil {
		return err
	}
	code := strings.Trim(strings.TrimSpace(args), "【】[]（）()")
	if code != "" {
		for _, sv := range ov.Sections {
			if sv.Section.Code != code && !strings.Contains(sv.Section.Title, code) {
				continue
			}
			leader, _ := c.plan.Person(sv.Section.Leader)
			var sb strings.Builder
			fmt.Fprintf(&sb, "<b>【%s】%s</b>\n分管：%s · %s\n\n", esc(sv.Section.Code), esc(sv.Section.Title), esc(leader.Name), countsLine(sv.Counts))
			items := slices.Clone(sv.Items)
			planbot.ByUrgency(items)
			for _, iv := range items {
				sb.WriteString(c.itemLine(iv, true))
			}
			c.say(sb.String())
			return nil
		}
		c.say(fmt.Sprintf("没有板块 %s。发送 /plan 查看全部板块。", esc(clip(code, 20))))
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

func (b *Bot) overdue(c *call, _ string) error {
	return b.listStatus(c, planbot.StatusOverdue, "逾期事项", "逾期事项")
}

// weekStart is Monday 00:00 of the current week in the plan's zone.
func (c *call) weekStart() time.Time {
	d := c.today()
	offset := (int(c.now.Weekday()) + 6) % 7
	return d.AddDays(-offset).Start(c.plan.Location)
}

func (b *Bot) unreported(c *call, _ string) error {
	ov, err := c.overview()
	if err != nil {
		return err
	}
	reports, err := c.s.AllReports(c.ctx)
	if err != nil {
		return err
	}
	since := c.weekStart()
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
	open := map[string][]string{} // person → open item codes
	for _, sv := range ov.Sections {
		for _, iv := range sv.Items {
			st := iv.Status.Status
			if st == planbot.StatusDone || c.now.Before(iv.Item.Start.Start(c.plan.Location)) {
				continue
			}
			for _, o := range iv.Item.Owners {
				open[o] = append(open[o], iv.Item.Code)
			}
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "<b>本周未汇报</b>（自 %s 起）\n\n", day(planbot.DateOf(since), c.plan.Year))
	n := 0
	for _, p := range c.plan.People {
		codes := open[p.Key]
		if len(codes) == 0 || reportedBy[p.Key] {
			continue
		}
		n++
		fmt.Fprintf(&sb, "• %s（%s）：%s\n", esc(p.Name), esc(p.Unit), esc(strings.Join(codes, "、")))
	}
	if n == 0 {
		c.say("本周所有责任人都已汇报。✅")
		return nil
	}
	fmt.Fprintf(&sb, "\n共 %d 人。", n)
	c.say(sb.String())
	return nil
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
// message (Telegram's 4096 characters), the rest are for `planbot check` on
// the server. A file with 24,000 problems once queued 479 messages.
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
		c.replies = append(c.replies, Reply{ChatID: c.m.ChatID, Photo: &File{Name: "digest-" + c.now.Format("2006-01-02") + ".png", Data: picture,
			Caption: fmt.Sprintf("%d年工作计划 · %d月%d日 周报图", c.plan.Year, c.now.Month(), c.now.Day())}})
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
	data, err := ledger.Export(c.ctx, c.s, c.plan, c.now, false)
	if err != nil {
		return err
	}
	name := ledger.FileName(c.plan, c.now)
	c.replies = append(c.replies, Reply{ChatID: c.m.ChatID, Document: &File{Name: name, Data: data,
		Caption: fmt.Sprintf("📊 %d 年度工作台账（截至 %s）：事项、指标、汇报记录", c.plan.Year, when(c.now, c.plan.Location, c.plan.Year))}})
	return nil
}
