package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"planbot"
	"planbot/intake"
)

// pendingTTL is how long a question stays answerable: a keyboard from
// yesterday must not record a report today.
const pendingTTL = 12 * time.Hour

// noteWindow is how long after a walk-through the next plain message is
// taken as the report's note.
const noteWindow = 30 * time.Minute

// onButton handles a press on a button under one of the bot's messages.
func (b *Bot) onButton(c *call) error {
	data := c.m.Callback.Data
	switch {
	case strings.HasPrefix(data, "plan:"):
		c.answerButton("", "")
		return b.planCmd(c, strings.TrimPrefix(data, "plan:"))
	case strings.HasPrefix(data, "pg:"):
		return b.turnPage(c, data)
	case strings.HasPrefix(data, "uo:"):
		key, id, _ := strings.Cut(strings.TrimPrefix(data, "uo:"), ":")
		n, _ := strconv.ParseInt(id, 10, 64)
		return b.undoObservation(c, key, n)
	case strings.HasPrefix(data, "u:") && strings.Contains(data, ","):
		var ids []int64
		for _, f := range strings.Split(strings.TrimPrefix(data, "u:"), ",") {
			if n, err := strconv.ParseInt(f, 10, 64); err == nil && len(ids) < intake.MaxCandidates*2 {
				ids = append(ids, n)
			}
		}
		return b.undoReports(c, ids)
	case strings.HasPrefix(data, "u:"):
		n, _ := strconv.ParseInt(strings.TrimPrefix(data, "u:"), 10, 64)
		return b.undoReport(c, n)
	case strings.HasPrefix(data, planbot.ReportButtonPrefix):
		// A reminder's button: report on that item, step by step.
		it, ok := c.plan.Item(strings.TrimPrefix(data, planbot.ReportButtonPrefix))
		if !ok {
			c.answerButton("这个事项已不在计划中", "")
			return nil
		}
		if _, ok := c.mayReport(it); !ok {
			c.answerButton("不是您负责的事项", "")
			return nil
		}
		c.replies = append(c.replies, Reply{ChatID: c.m.ChatID, CallbackID: c.m.Callback.ID})
		c.m.Callback = nil // ask in a new message: the reminder stays as it was
		return b.askPercent(c, it, draft{Items: []string{it.Code}, Step: "percent"})
	case strings.HasPrefix(data, "p:"):
		id, choice, _ := strings.Cut(strings.TrimPrefix(data, "p:"), ":")
		n, _ := strconv.ParseInt(id, 10, 64)
		return b.answerPending(c, n, choice)
	}
	c.answerButton("这个按钮已失效", "")
	return nil
}

func (b *Bot) answerPending(c *call, id int64, choice string) error {
	p, ok, err := c.s.LoadPending(c.ctx, id)
	if err != nil {
		return err
	}
	switch {
	case ok && p.UserID != c.m.UserID:
		// Someone else's question, in a group: it stays open for its owner.
		owner, _, err := b.whoIs(c.ctx, c.s, c.plan, p.UserID)
		if err != nil {
			return err
		}
		c.notYours(owner.Key, "问题", "回答")
		return nil
	case !ok && c.m.Chat != ChatPrivate:
		// Answered or expired, and whose it was is gone with it: in a
		// group the message may be anyone's, so it is left as it is.
		c.answerButton("这个问题已过期，请重新发送", "")
		return nil
	case !ok || c.now.Sub(p.CreatedAt) > pendingTTL:
		c.answerButton("这个问题已过期，请重新发送", "⌛ 已过期。请重新发送汇报。")
		return nil
	}
	var d draft
	if err := json.Unmarshal([]byte(p.Payload), &d); err != nil {
		return fmt.Errorf("decode pending %d: %w", id, err)
	}
	if err := c.s.DeletePending(c.ctx, id); err != nil {
		return err
	}
	if choice == "x" {
		c.answerButton("已取消", "已取消，没有记录。")
		return nil
	}
	switch p.Kind {
	case pendingConfirm:
		if d.Indicator == "" && len(d.Items) == 1 {
			if choice == "edit" {
				it, _ := c.plan.Item(d.Items[0])
				c.answerButton("", fmt.Sprintf("好的，请问 <b>%s</b> %s 正确的进度是多少？直接回复这条消息即可，如 <code>进度60%%</code>", esc(it.Code), esc(clip(it.Title, 20))))
				return nil
			}
			d.Confirmed = true
			return b.recordItem(c, d.Items[0], d)
		}
		if choice == "edit" {
			c.answerButton("", "好的，请重新发送正确的数值，例如：<code>固定资产投资 累计3.2亿</code>")
			return nil
		}
		return b.recordIndicator(c, d.Indicator, d, true)
	case pendingNote:
		c.answerButton("好的", "✅ 已记录，不加说明。")
		return nil
	case pendingPick:
		if strings.HasPrefix(choice, "i") {
			i, err := strconv.Atoi(choice[1:])
			if err != nil || i < 0 || i >= len(d.Indicators) {
				c.answerButton("无效的选择", "")
				return nil
			}
			key := d.Indicators[i]
			r, problem := c.resolve(d, intake.IntentIndicatorValue, key)
			if problem != "" {
				c.answerButton("", "⚠️ "+esc(problem)+"\n请改正后重发。")
				return nil
			}
			return b.recordIndicator(c, key, r, false)
		}
		i, err := strconv.Atoi(choice)
		if err != nil || i < 0 || i >= len(d.Items) {
			c.answerButton("无效的选择", "")
			return nil
		}
		code := d.Items[i]
		r, problem := c.resolve(d, intake.IntentItemReport, code)
		if problem != "" {
			c.answerButton("", "⚠️ "+esc(problem)+"\n请改正后重发。")
			return nil
		}
		return b.recordItem(c, code, r)
	case pendingWalk:
		return b.walkStep(c, d, choice)
	}
	c.answerButton("这个按钮已失效", "")
	return nil
}

// walkStep advances /report: the item was chosen, or the percent.
func (b *Bot) walkStep(c *call, d draft, choice string) error {
	if d.Step == "item" {
		i, err := strconv.Atoi(choice)
		if err != nil || i < 0 || i >= len(d.Items) {
			c.answerButton("无效的选择", "")
			return nil
		}
		it, _ := c.plan.Item(d.Items[i])
		return b.askPercent(c, it, draft{Items: []string{it.Code}, Step: "percent"})
	}
	if len(d.Items) != 1 {
		c.answerButton("无效的选择", "")
		return nil
	}
	it, ok := c.plan.Item(d.Items[0])
	if !ok {
		c.answerButton("事项已不在计划中", "这个事项已从计划中移除。")
		return nil
	}
	if choice == "done" {
		d.Done = true
	} else {
		p, err := strconv.Atoi(choice)
		if err != nil || p < 0 || p > 100 {
			c.answerButton("无效的选择", "")
			return nil
		}
		f := float64(p)
		d.Percent = &f
	}
	d.MessageID = 0
	if err := b.recordItem(c, it.Code, d); err != nil {
		return err
	}
	// Offer the note step: the next plain message becomes the report's note.
	last := c.replies[len(c.replies)-1]
	id, err := c.lastReportID(it.Code)
	if err != nil || id == 0 {
		return err
	}
	payload, _ := json.Marshal(draft{Items: []string{it.Code}, ReportID: id, Percent: d.Percent, Done: d.Done})
	pid, err := c.s.SavePending(c.ctx, planbot.Pending{ChatID: c.m.ChatID, UserID: c.m.UserID, Kind: pendingNote, Payload: string(payload), CreatedAt: c.now})
	if err != nil {
		return err
	}
	c.replies = c.replies[:len(c.replies)-1]
	c.replies = append(c.replies, Reply{ChatID: last.ChatID, EditMessageID: last.EditMessageID,
		Text:     last.Text + "\n\n如需补充说明（进展、困难），直接回复一句话即可。",
		Keyboard: [][]Button{{{Text: "不用了", Data: pickData(pid, "skip")}, {Text: "撤回这条", Data: fmt.Sprintf("u:%d", id)}}}})
	return nil
}

func (c *call) lastReportID(code string) (int64, error) {
	r, ok, err := c.s.LastReportBy(c.ctx, c.me.Key)
	if err != nil || !ok || r.ItemCode != code {
		return 0, err
	}
	return r.ID, nil
}

// noteForPending takes a plain message as the note a walk-through offered
// to record, when one is open and the message is not itself a report.
func (b *Bot) noteForPending(c *call) (bool, error) {
	if len(c.m.PhotoIDs) > 0 {
		return false, nil
	}
	p, ok, err := c.s.PendingFor(c.ctx, c.m.ChatID, c.m.UserID)
	if err != nil || !ok || p.Kind != pendingNote || c.now.Sub(p.CreatedAt) > noteWindow {
		return false, err
	}
	if in := intake.Read(c.m.Text, c.plan, c.ownedOpen(), c.today()); newReport(in, c.m.Text) {
		return false, nil // a new report, not a note
	}
	var d draft
	if err := json.Unmarshal([]byte(p.Payload), &d); err != nil {
		return false, fmt.Errorf("decode pending %d: %w", p.ID, err)
	}
	if err := c.s.DeletePending(c.ctx, p.ID); err != nil {
		return false, err
	}
	it, ok := c.plan.Item(d.Items[0])
	if !ok {
		return false, nil
	}
	// The note completes the same report: a correction that repeats its
	// figures and adds the words, so history shows both rows.
	r := planbot.Report{ItemCode: it.Code, Reporter: c.me.Key, At: c.reportTime(),
		Percent: d.Percent, Done: d.Done, Note: c.m.Text, ChatID: c.m.ChatID, MessageID: c.m.MessageID, Supersedes: d.ReportID}
	saved, err := c.s.AddReport(c.ctx, r)
	if errors.Is(err, planbot.ErrConflict) || errors.Is(err, planbot.ErrInvalid) {
		// The report was withdrawn or corrected meanwhile: keep the words
		// as a report of their own rather than lose them.
		r.Supersedes = 0
		saved, err = c.s.AddReport(c.ctx, r)
	}
	if err != nil {
		return false, err
	}
	return true, b.echoReport(c, it, saved, nil, nil)
}

// newReport says whether a message sent while a note is awaited is a
// report of its own: it carries a figure, a done mark or a date, names an
// indicator, or names an item by its code. Words that only recall item
// titles are the note asked for: "已签约" fits 2.5 and 2.6 by their titles,
// but after a walk-through on 2.3 it is 2.3's note.
func newReport(in intake.Intent, text string) bool {
	switch {
	case in.Kind == intake.IntentUnknown:
		return false
	case in.Kind == intake.IntentIndicatorValue, in.Problem != "",
		in.Percent != nil, in.Amount != nil, in.Done, in.Date != nil:
		return true
	}
	return slices.ContainsFunc(in.Items, func(code string) bool { return strings.Contains(text, code) })
}

func (b *Bot) undo(c *call, args string) error {
	if code := strings.TrimSpace(args); code != "" {
		return b.undoCode(c, code)
	}
	r, rok, err := c.s.LastReportBy(c.ctx, c.me.Key)
	if err != nil {
		return err
	}
	o, ook, err := c.s.LastObservationBy(c.ctx, c.me.Key)
	if err != nil {
		return err
	}
	// Newest by when each was received: a late figure (@11月1日) names an
	// earlier day but was sent now, and a report's At is its receipt.
	switch {
	case rok && (!ook || !r.At.Before(received(o))):
		return b.undoMessage(c, r)
	case ook:
		return b.undoObservation(c, o.Indicator, o.ID)
	}
	c.say("没有可以撤回的汇报。")
	return nil
}

func (b *Bot) undoReport(c *call, id int64) error {
	last, ok, err := c.s.LastReportBy(c.ctx, c.me.Key)
	if err != nil {
		return err
	}
	var target planbot.Report
	found := ok && last.ID == id
	if found {
		target = last
	} else {
		// An older report of mine, or one completed since (the rest of its
		// album, a note): find it as it stands in its item's history.
		r, exists, err := c.s.Report(c.ctx, id)
		if err != nil {
			return err
		}
		switch {
		case !exists:
			// No such report: a forged button. Whose message it sits on is
			// unknown, so it is left as it is.
			c.answerButton("已撤回或不能撤回", "")
			return nil
		case r.Reporter != c.me.Key:
			c.notYours(r.Reporter, "汇报", "撤回")
			return nil
		}
		history, err := c.s.ItemReports(c.ctx, r.ItemCode)
		if err != nil {
			return err
		}
		target, found = standing(history, id, c.me.Key)
	}
	if !found {
		c.answerButton("已撤回或不能撤回", "这条汇报已经撤回或被更正，不能再撤回。")
		return nil
	}
	if c.now.Sub(target.At) > b.cfg.UndoWindow {
		c.answerButton("超过撤回时限", fmt.Sprintf("这条汇报已超过 %s 的撤回时限。如需更正，请直接发送正确的进度。", humanDuration(b.cfg.UndoWindow)))
		return nil
	}
	_, err = c.s.AddReport(c.ctx, planbot.Report{ItemCode: target.ItemCode, Reporter: c.me.Key, At: c.now,
		Supersedes: target.ID, Withdrawn: true, ChatID: c.m.ChatID, MessageID: c.m.MessageID})
	if errors.Is(err, planbot.ErrConflict) || errors.Is(err, planbot.ErrInvalid) {
		// Someone reported on the item since: withdrawing an older row
		// would fork its history. A new report corrects it instead.
		c.answerButton("不能撤回", fmt.Sprintf("%s 之后已有新的汇报，这条不能再撤回。如需更正，请直接发送正确的进度。", esc(target.ItemCode)))
		return nil
	} else if err != nil {
		return err
	}
	it, _ := c.plan.Item(target.ItemCode)
	st, _, err := c.itemStatus(it)
	if err != nil {
		return err
	}
	c.answerButton("已撤回", fmt.Sprintf("↩️ 已撤回 %s 的汇报（#%d），记录仍保留在历史中。\n当前：%s %s 进度 %s",
		esc(target.ItemCode), target.ID, st.Status.Mark(), statusPhrase(st), pct(st.Percent)))
	return nil
}

func (b *Bot) undoObservation(c *call, key string, id int64) error {
	obs, err := c.s.IndicatorObservations(c.ctx, key)
	if err != nil {
		return err
	}
	replaced := map[int64]bool{}
	for _, o := range obs {
		if o.Supersedes != 0 {
			replaced[o.Supersedes] = true
		}
	}
	var target *planbot.Observation
	exists := false
	for i := range obs {
		if obs[i].ID != id {
			continue
		}
		exists = true
		if obs[i].Reporter != c.me.Key {
			c.notYours(obs[i].Reporter, "填报", "撤回")
			return nil
		}
		if !obs[i].Withdrawn && !replaced[id] {
			target = &obs[i]
		}
	}
	if !exists {
		c.answerButton("已撤回或不能撤回", "") // a forged button: leave its message alone
		return nil
	}
	if target == nil {
		c.answerButton("已撤回或不能撤回", "这条填报已经撤回或被更正，不能再撤回。")
		return nil
	}
	// The window runs from receipt, not from the day a late figure names.
	if c.now.Sub(received(*target)) > b.cfg.UndoWindow {
		c.answerButton("超过撤回时限", fmt.Sprintf("这条填报已超过 %s 的撤回时限。如需更正，请直接发送正确的数值。", humanDuration(b.cfg.UndoWindow)))
		return nil
	}
	_, err = c.s.AddObservation(c.ctx, planbot.Observation{Indicator: key, At: c.now, Value: target.Value, Reporter: c.me.Key,
		Supersedes: target.ID, Withdrawn: true})
	if err != nil {
		return err
	}
	ind, _ := indicator(c.plan, key)
	c.answerButton("已撤回", fmt.Sprintf("↩️ 已撤回 %s 的填报 %s，记录仍保留在历史中。", esc(ind.Name), esc(amountIn(target.Value, ind.Unit))))
	return nil
}

// notYours answers a press on a button of a message that answered someone
// else (a group shares its messages): a toast to the presser alone. The
// message stays as its owner sees it, and nothing is recorded, withdrawn
// or closed.
func (c *call) notYours(owner, what, verb string) {
	name := "别人"
	if p, ok := c.plan.Person(owner); ok && p.Name != "" {
		name = p.Name
	}
	c.answerButton(fmt.Sprintf("这是%s的%s，只有本人可以%s。", name, what, verb), "")
}

// received is when the bot received an observation: Received, or At for
// a figure no person sent.
func received(o planbot.Observation) time.Time {
	if o.Received.IsZero() {
		return o.At
	}
	return o.Received
}

func humanDuration(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d 天", d/(24*time.Hour))
	}
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d 小时", d/time.Hour)
	}
	return fmt.Sprintf("%d 分钟", d/time.Minute)
}

// standing is report id of reporter as it stands in its item's history
// rs: the report itself, or the newest of the corrections by the same
// reporter that completed it (photos of its album, a note). found is false
// when id is not there, is someone else's, or was withdrawn or corrected
// by someone else.
func standing(rs []planbot.Report, id int64, reporter string) (planbot.Report, bool) {
	next := make(map[int64]planbot.Report, len(rs))
	var cur planbot.Report
	found := false
	for _, r := range rs {
		if r.Supersedes != 0 {
			next[r.Supersedes] = r
		}
		if r.ID == id {
			cur, found = r, true
		}
	}
	if !found || cur.Reporter != reporter || cur.Withdrawn {
		return planbot.Report{}, false
	}
	for {
		n, ok := next[cur.ID]
		if !ok {
			return cur, true
		}
		if n.Withdrawn || n.Reporter != reporter {
			return planbot.Report{}, false
		}
		cur = n
	}
}
