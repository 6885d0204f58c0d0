package bot

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"planbot"
	"planbot/intake"
)

// acknowledge answers 好的, 收到, 谢谢 with one short line, and a greeting
// with how to report: nothing is stored, and nothing is asked back.
func (b *Bot) acknowledge(c *call, in intake.Intent) error {
	if in.Topic == intake.TopicGreeting {
		c.say("您好！汇报请直接发事项编号和进度，如 <code>2.3 进度60%</code>")
		return nil
	}
	c.say("👌 收到。")
	return nil
}

// answer answers a question from the views: it never records anything,
// whatever figures the question holds (2.3是60%吗？).
func (b *Bot) answer(c *call, in intake.Intent) error {
	switch in.Topic {
	case intake.TopicHowTo:
		code := "2.3"
		if len(in.Items) > 0 {
			code = in.Items[0]
		}
		c.say(fmt.Sprintf("汇报 <b>%s</b> 直接发一句话即可：\n<code>%s 进度60%% 说明</code>，完成了发 <code>%s 完成</code>\n"+
			"照片、文件直接发，说明里写上编号 %s\n报错了：点回执上的「撤回这条」，或发 <code>更正 %s 进度50%%</code>",
			esc(code), esc(code), esc(code), esc(code), esc(code)))
		return nil
	case intake.TopicItem:
		return b.item(c, in.Items[0])
	case intake.TopicIndicator:
		return b.indicatorAnswer(c, in.Indicator)
	case intake.TopicMine:
		return b.mine(c, "")
	case intake.TopicOverdue:
		return b.overdue(c, "")
	case intake.TopicAtRisk:
		return b.listStatus(c, planbot.StatusAtRisk, "有风险的事项", "有风险的事项", "")
	case intake.TopicUnreported:
		if !c.me.Has(planbot.RoleLeader) && !c.me.Has(planbot.RoleAdmin) {
			c.say("未汇报名单只限领导和党政办查看。查看您自己的事项请发 /mine")
			return nil
		}
		return b.unreported(c, "")
	}
	c.say("没看出您问的是哪个事项。查进度请发编号，如 <code>2.3 进度？</code>；/mine 看我的事项，/help 看全部用法。")
	return nil
}

// indicatorAnswer says where one indicator stands.
func (b *Bot) indicatorAnswer(c *call, key string) error {
	ind, ok := indicator(c.plan, key)
	if !ok {
		c.say("没有这个指标。发送 /targets 查看指标名称。")
		return nil
	}
	latest, err := c.latestObservation(ind.Key)
	if err != nil {
		return err
	}
	if latest == nil {
		c.say(fmt.Sprintf("<b>%s</b>：今年还没有填报（全年目标 %s）。", esc(ind.Name), esc(amountIn(ind.Target, ind.Unit))))
		return nil
	}
	st := ind.StandingAt(latest, c.plan.Year, c.now, c.plan.Location, c.plan.Rules)
	c.say(fmt.Sprintf("<b>%s</b>：%s（截至 %s，全年目标 %s，完成 %s，时间进度 %s）\n%s",
		esc(ind.Name), esc(amountIn(latest.Value, ind.Unit)), when(latest.At, c.plan.Location, c.plan.Year),
		esc(amountIn(ind.Target, ind.Unit)), pct(100*st.Completion), pct(100*st.Elapsed), esc(st.Verdict())))
	return nil
}

// listStatus lists the items in one status: all of them for leaders and
// the office, a cadre's own otherwise; args may name a section.
func (b *Bot) listStatus(c *call, status planbot.Status, title, noun, args string) error {
	idx, named, ok := c.sectionArg(args)
	if !ok {
		c.say(fmt.Sprintf("没有板块 %s。发送 /plan 查看全部板块。", esc(clip(strings.TrimSpace(args), 20))))
		return nil
	}
	v, empty, err := b.statusList(c, status, title, noun)
	if err != nil {
		return err
	}
	c.showList(v, empty, named, idx)
	return nil
}

// statusList is the list listStatus shows, worst first.
func (b *Bot) statusList(c *call, status planbot.Status, title, noun string) (listView, string, error) {
	ov, err := c.overview()
	if err != nil {
		return listView{}, "", err
	}
	all := c.me.Has(planbot.RoleLeader) || c.me.Has(planbot.RoleAdmin)
	var list []planbot.ItemView
	for _, sv := range ov.Sections {
		for _, iv := range sv.Items {
			if iv.Status.Status == status && (all || slices.Contains(iv.Item.Owners, c.me.Key)) {
				list = append(list, iv)
			}
		}
	}
	if len(list) == 0 {
		if all {
			return listView{}, "目前没有" + noun + "。✅", nil
		}
		return listView{}, "您名下没有" + noun + "。✅", nil
	}
	planbot.ByUrgency(list)
	kind, cmd := "a", ""
	if status == planbot.StatusOverdue {
		kind, cmd = "o", "/overdue"
	}
	return c.itemList(kind, cmd, noun, fmt.Sprintf("<b>%s</b> %d 项\n\n", title, len(list)), list, true), "", nil
}

// recordSeveral records a message's reports on several items in one go:
// all or nothing (the message is one transaction), one echo listing each,
// and undo buttons for all and for each.
func (b *Bot) recordSeveral(c *call, in intake.Intent) error {
	type planned struct {
		it      planbot.Item
		r       planbot.Report
		added   *planbot.Amount
		history []planbot.Report
	}
	var rows []planned
	for i, code := range in.Items {
		it, onBehalf, ok, err := c.reportable(code, "这条消息没有记录，请只汇报您自己的事项。")
		if !ok {
			return err
		}
		d := draftOf(in.Parts[i], c.m)
		history, err := c.statusReports(it, 0)
		if err != nil {
			return err
		}
		r, added, problem := c.itemReport(it, onBehalf, d, history)
		if problem != "" {
			c.say(problem + "\n这条消息没有记录，请改正后重发。")
			return nil
		}
		rows = append(rows, planned{it, r, added, history})
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "✅ 已记录 %d 项：\n", len(rows))
	var ids []string
	var each []Button
	for _, row := range rows {
		saved, err := c.s.AddReport(c.ctx, row.r)
		if err != nil {
			// The whole message rolls back: a partial record of it would
			// be echoed as nothing, or wrongly.
			return fmt.Errorf("record %s of a message on several items: %w", row.it.Code, err)
		}
		st := planbot.DeriveStatus(row.it, append(row.history, saved), c.now, c.plan.Location, c.plan.Rules)
		fmt.Fprintf(&sb, "<b>%s</b> %s：%s · %s %s\n", esc(row.it.Code), esc(clip(row.it.Title, 14)), c.what(row.it, saved, row.added), st.Status.Mark(), statusPhrase(st))
		ids = append(ids, strconv.FormatInt(saved.ID, 10))
		each = append(each, Button{Text: "撤回 " + row.it.Code, Data: "u:" + strconv.FormatInt(saved.ID, 10)})
	}
	if note := in.Parts[0].Note; note != "" && !slices.ContainsFunc(in.Parts, func(p intake.Intent) bool { return p.Note != note }) {
		fmt.Fprintf(&sb, "说明：%s\n", esc(clip(note, 200)))
	}
	kb := [][]Button{{{Text: "全部撤回", Data: "u:" + strings.Join(ids, ",")}}}
	for i := 0; i < len(each); i += 3 {
		kb = append(kb, each[i:min(i+3, len(each))])
	}
	c.say(strings.TrimRight(sb.String(), "\n"), kb...)
	return nil
}

// correct records a correction in words: a new report that supersedes
// the sender's newest report on the item named (their newest report when
// none is named), within the undo window.
func (b *Bot) correct(c *call, in intake.Intent) error {
	var target planbot.Report
	var found bool
	if len(in.Items) == 1 {
		rs, err := c.s.ItemReports(c.ctx, in.Items[0])
		if err != nil {
			return err
		}
		target, found = newestStanding(rs, c.me.Key)
	} else {
		var err error
		if target, found, err = c.s.LastReportBy(c.ctx, c.me.Key); err != nil {
			return err
		}
	}
	example := "2.3 进度50%"
	if len(in.Items) == 1 {
		example = in.Items[0] + " 进度50%"
	}
	if !found {
		c.say(fmt.Sprintf("没有找到您可以更正的汇报。请问是要报新的进度吗？直接发送即可，如 <code>%s</code>", esc(example)))
		return nil
	}
	it, ok := c.plan.Item(target.ItemCode)
	if !ok {
		c.say(fmt.Sprintf("%s 已从计划中移除，不能再更正。", esc(target.ItemCode)))
		return nil
	}
	example = it.Code + " 进度50%"
	if c.now.Sub(target.At) > b.cfg.UndoWindow {
		c.say(fmt.Sprintf("您对 %s 的那条汇报已超过 %s 的更正时限，不能再改。请问是要报新的进度吗？直接发送即可，如 <code>%s</code>",
			esc(it.Code), humanDuration(b.cfg.UndoWindow), esc(example)))
		return nil
	}
	if len(in.Items) != 1 || in.Items[0] != it.Code {
		in = intake.ReadAs(in.Text, c.plan, intake.IntentItemReport, it.Code, c.today())
	}
	if in.Problem != "" {
		c.say("⚠️ " + esc(in.Problem) + "\n请改正后重发，例如：<code>更正 " + esc(example) + "</code>")
		return nil
	}
	if in.Percent == nil && in.Amount == nil && !in.Done {
		c.say(fmt.Sprintf("请问 <b>%s</b> %s 正确的进度是多少？直接回复即可，如 <code>%s</code>", esc(it.Code), esc(clip(it.Title, 20)), esc(example)))
		return nil
	}
	d := draftOf(in, c.m)
	d.Corrects, d.Confirmed, d.Photos = target.ID, true, target.PhotoIDs
	if d.Note == "" {
		d.Note = target.Note
	}
	if d.AsOf == nil {
		d.AsOf = target.AsOf
	}
	c.correcting = true
	return b.recordItem(c, it.Code, d)
}

// undoMessage withdraws what the sender's last message recorded: every
// report it made (one message may report on several items), or the last
// indicator figure.
func (b *Bot) undoMessage(c *call, last planbot.Report) error {
	made, err := c.s.MessageReports(c.ctx, last.ChatID, last.MessageID)
	if err != nil {
		return err
	}
	var ids []int64
	for _, r := range made {
		if r.Reporter != c.me.Key || r.Withdrawn || r.Supersedes != 0 {
			continue
		}
		history, err := c.s.ItemReports(c.ctx, r.ItemCode)
		if err != nil {
			return err
		}
		if cur, ok := standing(history, r.ID, c.me.Key); ok {
			ids = append(ids, cur.ID)
		}
	}
	if len(ids) <= 1 {
		return b.undoReport(c, last.ID)
	}
	return b.undoReports(c, ids)
}

// undoReports withdraws several reports, one reply for all.
func (b *Bot) undoReports(c *call, ids []int64) error {
	if c.m.Callback != nil {
		// One message's reports are one person's: a press by anyone else
		// withdraws none of them.
		for _, id := range ids {
			r, ok, err := c.s.Report(c.ctx, id)
			if err != nil {
				return err
			}
			if ok && r.Reporter != c.me.Key {
				c.notYours(r.Reporter, "汇报", "撤回")
				return nil
			}
		}
	}
	var lines []string
	var fail []string
	for _, id := range ids {
		sub := *c
		sub.replies = nil
		if err := b.undoReport(&sub, id); err != nil {
			return err
		}
		for _, r := range sub.replies {
			if r.Text != "" {
				if strings.HasPrefix(r.Text, "↩️") {
					lines = append(lines, r.Text)
				} else {
					fail = append(fail, r.Text)
				}
			}
		}
	}
	text := strings.Join(append(lines, fail...), "\n")
	toast := "已撤回"
	if len(lines) == 0 {
		toast = "不能撤回"
	}
	c.answerButton(toast, text)
	return nil
}

// undoCode withdraws the sender's newest report on one item: /undo 2.5.
func (b *Bot) undoCode(c *call, code string) error {
	it, ok := c.findItem(code)
	if !ok {
		c.say(fmt.Sprintf("没有编号为 %s 的事项。", esc(clip(code, 20))))
		return nil
	}
	rs, err := c.s.ItemReports(c.ctx, it.Code)
	if err != nil {
		return err
	}
	if cur, ok := newestStanding(rs, c.me.Key); ok {
		return b.undoReport(c, cur.ID)
	}
	c.say(fmt.Sprintf("您没有可以撤回的 %s 汇报。", esc(it.Code)))
	return nil
}

// answerByText takes a message as the answer to the bot's open question
// when it is one: "是3.1的" or "燃气" in reply to "您说的是哪个事项？"
// picks that item for the report asked about; "打错了，是1460万元" in reply
// to "数值没错吗？" is the right figure. A message that is a report of its
// own (a code with a figure, another item's words) is not an answer.
func (b *Bot) answerByText(c *call) (bool, error) {
	if c.m.ReplyText == "" || len(c.m.PhotoIDs) > 0 {
		return false, nil
	}
	p, ok, err := c.s.PendingFor(c.ctx, c.m.ChatID, c.m.UserID)
	if err != nil || !ok || c.now.Sub(p.CreatedAt) > pendingTTL || (p.Kind != pendingPick && p.Kind != pendingConfirm) {
		return false, err
	}
	var d draft
	if err := json.Unmarshal([]byte(p.Payload), &d); err != nil {
		return false, fmt.Errorf("decode pending %d: %w", p.ID, err)
	}
	cx := intake.Context{Plan: c.plan, Owned: c.ownedOpen(), Today: c.today()}
	switch {
	case p.Kind == pendingPick && len(d.Items) > 0:
		code, ok := intake.Choose(c.m.Text, d.Items, cx)
		if !ok {
			return false, nil
		}
		if err := c.s.DeletePending(c.ctx, p.ID); err != nil {
			return false, err
		}
		r, problem := c.resolve(d, intake.IntentItemReport, code)
		if problem != "" {
			c.say("⚠️ " + esc(problem) + "\n请改正后重发。")
			return true, nil
		}
		return true, b.recordItem(c, code, r)
	case p.Kind == pendingConfirm && d.Indicator != "":
		in := intake.Understand(c.m.Text, cx)
		if !in.Correction {
			in = intake.ReadAs(c.m.Text, c.plan, intake.IntentIndicatorValue, d.Indicator, c.today())
		} else {
			in = intake.ReadAs(in.Text, c.plan, intake.IntentIndicatorValue, d.Indicator, c.today())
		}
		if in.Amount == nil || in.Problem != "" {
			return false, nil
		}
		if err := c.s.DeletePending(c.ctx, p.ID); err != nil {
			return false, err
		}
		nd := draftOf(in, c.m)
		nd.MessageID = c.m.MessageID
		return true, b.recordIndicator(c, d.Indicator, nd, false)
	case p.Kind == pendingConfirm && len(d.Items) == 1:
		in := intake.Understand(c.m.Text, cx)
		text := c.m.Text
		if in.Correction {
			text = in.Text
		}
		in = intake.ReadAs(text, c.plan, intake.IntentItemReport, d.Items[0], c.today())
		if in.Problem != "" || (in.Percent == nil && in.Amount == nil && !in.Done) {
			return false, nil
		}
		if err := c.s.DeletePending(c.ctx, p.ID); err != nil {
			return false, err
		}
		return true, b.recordItem(c, d.Items[0], draftOf(in, c.m))
	}
	return false, nil
}

// newestStanding is reporter's newest report in an item's history rs that
// still stands (see standing), for /undo 2.5 and 更正 2.5.
func newestStanding(rs []planbot.Report, reporter string) (planbot.Report, bool) {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].Reporter == reporter && !rs[i].Withdrawn {
			if cur, ok := standing(rs, rs[i].ID, reporter); ok {
				return cur, true
			}
		}
	}
	return planbot.Report{}, false
}
