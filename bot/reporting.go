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

// Kinds of pending questions.
const (
	pendingPick    = "pick"    // several items or indicators fit a report
	pendingWalk    = "walk"    // /report alone: item → percent → note
	pendingNote    = "note"    // waiting for an optional note to a report
	pendingConfirm = "confirm" // an indicator value that needs 确认/修改
)

// draft is a report not yet recorded: what the parser understood plus the
// evidence photos. It travels through pending questions as JSON.
type draft struct {
	Items      []string        `json:"items,omitempty"`
	Indicator  string          `json:"indicator,omitempty"`
	Indicators []string        `json:"indicators,omitempty"`
	Percent    *float64        `json:"percent,omitempty"`
	Amount     *planbot.Amount `json:"amount,omitempty"`
	Done       bool            `json:"done,omitempty"`
	Note       string          `json:"note,omitempty"`
	AsOf       *planbot.Date   `json:"as_of,omitempty"`
	Photos     []string        `json:"photos,omitempty"`
	Text       string          `json:"text,omitempty"` // the original message, re-read once the target is chosen
	MessageID  int             `json:"message_id,omitempty"`
	ReportID   int64           `json:"report_id,omitempty"`
	Step       string          `json:"step,omitempty"`
	MediaGroup string          `json:"media_group,omitempty"` // the album the photos came in
	Corrects   int64           `json:"corrects,omitempty"`    // the report an edit of its message corrects
	Increment  bool            `json:"increment,omitempty"`   // Amount is added to the last total
	Confirmed  bool            `json:"confirmed,omitempty"`   // a fall was confirmed, or needs no confirming (a correction)
}

func draftOf(in intake.Intent, m Message) draft {
	return draft{Items: in.Items, Indicator: in.Indicator, Indicators: in.Indicators, Percent: in.Percent,
		Amount: in.Amount, Done: in.Done, Note: in.Note, AsOf: in.Date, Photos: m.PhotoIDs, MessageID: m.MessageID, Text: m.Text, MediaGroup: m.MediaGroup,
		Increment: in.Increment}
}

// resolve re-reads an ambiguous draft's words once the user chose what it
// is about: the amount's unit and the note depend on the target.
func (c *call) resolve(d draft, kind intake.IntentKind, key string) (draft, string) {
	in := intake.ReadAs(d.Text, c.plan, kind, key, c.today())
	if in.Problem != "" {
		return d, in.Problem
	}
	out := draft{Percent: in.Percent, Amount: in.Amount, Done: in.Done || d.Done, Note: in.Note, AsOf: in.Date,
		Photos: d.Photos, MessageID: d.MessageID, Text: d.Text, MediaGroup: d.MediaGroup, Increment: in.Increment}
	if d.Done && out.Percent == nil {
		out.Done = true
	}
	return out, ""
}

func (c *call) ask(kind string, d draft, text string, buttons func(id int64) [][]Button) error {
	payload, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode pending %s: %w", kind, err)
	}
	id, err := c.s.SavePending(c.ctx, planbot.Pending{ChatID: c.m.ChatID, UserID: c.m.UserID, Kind: kind, Payload: string(payload), CreatedAt: c.now})
	if err != nil {
		return err
	}
	kb := buttons(id)
	if c.m.Callback != nil {
		c.answerButton("", text, kb...)
	} else {
		c.say(text, kb...)
	}
	return nil
}

func pickData(id int64, choice string) string { return fmt.Sprintf("p:%d:%s", id, choice) }

// freeText handles a message that is not a command: a report in words,
// a question, a correction, or an acknowledgement.
func (b *Bot) freeText(c *call) error {
	in := intake.Understand(c.m.Text, intake.Context{Plan: c.plan, Owned: c.ownedOpen(), Today: c.today(), ReplyText: c.m.ReplyText})
	if len(c.m.PhotoIDs) > 0 && (in.Kind == intake.IntentAck || in.Kind == intake.IntentQuestion) {
		in = intake.Read(c.m.Text, c.plan, c.ownedOpen(), c.today()) // evidence is never dropped
	}
	switch {
	case in.Kind == intake.IntentAck:
		return b.acknowledge(c, in)
	case in.Kind == intake.IntentQuestion:
		return b.answer(c, in)
	case in.Correction && in.Problem == "":
		return b.correct(c, in)
	case len(in.Parts) > 0:
		return b.recordSeveral(c, in)
	}
	return b.act(c, in)
}

// act records what the parser understood, or asks what it could not decide.
func (b *Bot) act(c *call, in intake.Intent) error {
	if in.Problem != "" {
		c.say("⚠️ " + esc(in.Problem) + "\n请改正后重发，例如：<code>2.3 进度60% 已签约</code>")
		return nil
	}
	d := draftOf(in, c.m)
	switch in.Kind {
	case intake.IntentItemReport:
		return b.recordItem(c, in.Items[0], d)
	case intake.IntentIndicatorValue:
		return b.recordIndicator(c, in.Indicator, d, false)
	case intake.IntentAmbiguous:
		return b.askWhich(c, d)
	}
	if len(c.m.PhotoIDs) > 0 {
		// A photo without a readable caption: ask which item it is evidence for.
		d.Items = c.ownedOpen()
		if len(d.Items) == 0 {
			c.say("收到佐证材料，但没看出是哪个事项。请重新发送，并在说明里写上事项编号和进度，如：2.3 进度60%")
			return nil
		}
		return b.askWhich(c, d)
	}
	c.say("没看懂这条消息。汇报进度请写事项编号和进度，例如：\n<code>2.3 进度60% 已与XX酒店签约</code>\n<code>2.3 完成</code>\n<code>固定资产投资 累计3.2亿</code>\n发送 /mine 查看您的事项，/help 查看全部用法。")
	return nil
}

// ownedOpen lists the items the sender reports on, in plan order: their
// own, then (with rules.unit_reports) their unit's.
func (c *call) ownedOpen() []string {
	var out, unit []string
	for _, it := range c.plan.Items {
		switch {
		case slices.Contains(it.Owners, c.me.Key):
			out = append(out, it.Code)
		case c.ofMyUnit(it):
			unit = append(unit, it.Code)
		}
	}
	return append(out, unit...)
}

// ofMyUnit says whether the sender, a cadre, may report on it as one of
// its unit (rules.unit_reports).
func (c *call) ofMyUnit(it planbot.Item) bool {
	return c.plan.Rules.UnitReports && it.Unit != "" && it.Unit == c.me.Unit && c.me.Has(planbot.RoleCadre)
}

func (b *Bot) askWhich(c *call, d draft) error {
	if len(d.Items) > intake.MaxCandidates {
		d.Items = d.Items[:intake.MaxCandidates]
	}
	text := "您说的是哪一项？"
	switch {
	case len(d.Items) == 0:
		text = "您说的是哪个指标？"
	case len(d.Indicators) == 0:
		text = "您说的是哪个事项？"
	}
	if len(d.Photos) > 0 && d.Percent == nil && !d.Done && d.Amount == nil {
		text = planbot.EvidenceNoun(d.Photos[0]) + "是哪个事项的佐证材料？"
	}
	return c.ask(pendingPick, d, text, func(id int64) [][]Button {
		var kb [][]Button
		for i, code := range d.Items {
			it, _ := c.plan.Item(code)
			kb = append(kb, []Button{{Text: code + " " + clip(it.Title, 16), Data: pickData(id, strconv.Itoa(i))}})
		}
		for i, key := range d.Indicators {
			if ind, ok := indicator(c.plan, key); ok {
				kb = append(kb, []Button{{Text: "指标：" + ind.Name, Data: pickData(id, "i"+strconv.Itoa(i))}})
			}
		}
		return append(kb, []Button{{Text: "取消", Data: pickData(id, "x")}})
	})
}

func indicator(p *planbot.Plan, key string) (planbot.Indicator, bool) {
	for _, ind := range p.Indicators {
		if ind.Key == key {
			return ind, true
		}
	}
	return planbot.Indicator{}, false
}

// mayReport says whether the sender may report on an item, and for whom.
func (c *call) mayReport(it planbot.Item) (onBehalfOf string, ok bool) {
	if slices.Contains(it.Owners, c.me.Key) {
		return "", true
	}
	if c.me.Has(planbot.RoleLeader) || c.me.Has(planbot.RoleAdmin) || c.ofMyUnit(it) {
		return it.Owners[0], true
	}
	return "", false
}

// reportTime is when the report was sent: the message's own time, unless it
// is missing or claims the future.
func (c *call) reportTime() time.Time {
	if !c.m.At.IsZero() && !c.m.At.After(c.now) && c.m.Callback == nil {
		return c.m.At
	}
	return c.now
}

// reportable is the item code names and for whom the sender reports on
// it; when there is none or it is not theirs, they are told (refused
// ends the refusal) and ok is false.
func (c *call) reportable(code, refused string) (it planbot.Item, onBehalf string, ok bool, err error) {
	if it, ok = c.plan.Item(code); !ok {
		c.say(fmt.Sprintf("没有编号为 %s 的事项。", esc(code)))
		return it, "", false, nil
	}
	if onBehalf, ok = c.mayReport(it); !ok {
		c.say(fmt.Sprintf("%s 不是您负责的事项（责任人：%s）。%s", esc(it.Code), names(c.plan, it.Owners), refused))
		return it, "", false, c.audit("report_refused", it.Code)
	}
	return it, onBehalf, true, nil
}

func (b *Bot) recordItem(c *call, code string, d draft) error {
	it, onBehalf, ok, err := c.reportable(code, "如需代报，请联系分管领导。")
	if !ok {
		return err
	}
	if d.Percent == nil && !d.Done && d.Amount == nil && d.Note == "" && len(d.Photos) == 0 {
		d.Items = []string{code}
		d.Step = "percent"
		return b.askPercent(c, it, d)
	}
	// What the item's status derives from is read once: for the running
	// total an increment adds to, for whether the figure falls, and for
	// the echo's status.
	history, err := c.statusReports(it, d.Corrects)
	if err != nil {
		return err
	}
	r, added, problem := c.itemReport(it, onBehalf, d, history)
	if problem != "" {
		c.say(problem)
		return nil
	}
	if !d.Confirmed {
		if why := c.falls(it, r, history); why != "" {
			d.Items = []string{it.Code}
			return c.ask(pendingConfirm, d, "⚠️ "+why+"\n数值没错吗？", func(id int64) [][]Button {
				return [][]Button{{{Text: "确认", Data: pickData(id, "ok")}, {Text: "修改", Data: pickData(id, "edit")}}}
			})
		}
	}
	saved, err := c.s.AddReport(c.ctx, r)
	if errors.Is(err, planbot.ErrArchived) {
		c.say(fmt.Sprintf("%s 已从计划中移除，不能再汇报。", esc(it.Code)))
		return nil
	} else if d.Corrects != 0 && (errors.Is(err, planbot.ErrConflict) || errors.Is(err, planbot.ErrInvalid)) {
		c.say(fmt.Sprintf("%s 在这条汇报之后已有新的汇报，这次更正没有记录。如需更正，请直接发送正确的进度。", esc(it.Code)))
		return nil
	} else if err != nil {
		return err
	}
	if len(saved.PhotoIDs) > 0 {
		if err := c.rememberAlbum(d.MediaGroup, saved); err != nil {
			return err
		}
	}
	return b.echoReport(c, it, saved, added, append(history, saved))
}

// statusReports is the part of an item's history its status derives from
// (planbot.Needed), to which the report about to be added can be appended;
// the whole history when that report corrects another (corrects != 0): the
// item's standing before the corrected report, and without it, may rest on
// reports the part does not hold.
func (c *call) statusReports(it planbot.Item, corrects int64) ([]planbot.Report, error) {
	if corrects != 0 {
		return c.s.ItemReports(c.ctx, it.Code)
	}
	hs, err := c.s.Histories(c.ctx, []planbot.Item{it}, planbot.HistoryNeed{})
	return hs[it.Code], err
}

// itemReport is the report a draft makes on an item, or a question to put
// to the sender instead (problem): the unit does not fit the target, a
// village-share item got a percent, a leader did not say whose share.
// An increment (新增10户) becomes the running total it makes; added is
// the increment, for the echo.
func (c *call) itemReport(it planbot.Item, onBehalf string, d draft, history []planbot.Report) (r planbot.Report, added *planbot.Amount, problem string) {
	r = planbot.Report{ItemCode: it.Code, Reporter: c.me.Key, OnBehalfOf: onBehalf, At: c.reportTime(), AsOf: d.AsOf,
		Percent: d.Percent, Done: d.Done, Note: d.Note, PhotoIDs: d.Photos, ChatID: c.m.ChatID, MessageID: d.MessageID,
		Supersedes: d.Corrects, Words: intake.WordsAbout(d.Text, it.Code, c.plan)}
	if it.Tally == planbot.TallyPerOwner {
		unit := it.Target.Unit
		if d.Amount == nil && (d.Percent != nil || d.Done) {
			return r, nil, fmt.Sprintf("<b>%s</b> 按各村（各责任人）分别统计%s，全项是各村之和。请问您这边累计多少%s？如：<code>%s 累计30%s</code>",
				esc(it.Code), esc(unit), esc(unit), esc(it.Code), esc(unit))
		}
		if !slices.Contains(it.Owners, c.me.Key) {
			owner, ok := c.shareOwner(it, d.Text)
			if !ok {
				return r, nil, fmt.Sprintf("<b>%s</b> 由各村分别汇报，请问这是哪个村的数？请写明村名，如：<code>%s %s新增30%s</code>",
					esc(it.Code), esc(it.Code), esc(c.unitOf(it.Owners[0])), esc(unit))
			}
			r.OnBehalfOf = owner
		}
	}
	if d.Amount == nil {
		return r, nil, ""
	}
	v := *d.Amount
	if it.Target != nil && v.Unit == "" {
		v.Unit = it.Target.Unit // "15万" toward a target of 30万只 means 只
	}
	if it.Target != nil && v.Unit != it.Target.Unit {
		return r, nil, fmt.Sprintf("⚠️ %s 的目标是 %s，单位和 %s 对不上。请改正后重发。", esc(it.Code), esc(it.Target.String()), esc(v.String()))
	}
	r.Value = &v
	if !d.Increment {
		return r, nil, ""
	}
	base, ok := c.totalBefore(it, planbot.ShareOwner(r), d.Corrects, history)
	if !ok {
		return r, nil, fmt.Sprintf("<b>%s</b> 上次报的是百分比，没有%s数。请问现在累计多少%s？如：<code>%s 累计%s</code>",
			esc(it.Code), esc(v.Unit), esc(v.Unit), esc(it.Code), esc(friendly(v)))
	}
	inc := v
	total := planbot.Amount{Value: base.Value + v.Value, Unit: v.Unit}
	r.Value = &total
	return r, &inc, ""
}

// totalBefore is the running total an increment adds to: the owner's
// share on a per_owner item, the item's figure otherwise, as it stood
// before report `before` (0: now). ok is false when the item stands at a
// percent with no figure to add to.
func (c *call) totalBefore(it planbot.Item, owner string, before int64, rs []planbot.Report) (planbot.Amount, bool) {
	if before != 0 {
		rs = slices.DeleteFunc(slices.Clone(rs), func(r planbot.Report) bool { return r.ID >= before })
	}
	zero := planbot.Amount{Unit: it.Target.Unit}
	if it.Tally == planbot.TallyPerOwner {
		for _, sh := range planbot.ItemShares(it, rs) {
			if sh.Owner == owner && sh.Value != nil {
				return *sh.Value, true
			}
		}
		return zero, true
	}
	st := planbot.DeriveStatus(it, rs, c.now, c.plan.Location, c.plan.Rules)
	switch {
	case st.Value != nil:
		return *st.Value, true
	case st.Percent > 0:
		return zero, false
	}
	return zero, true
}

// falls says why a report needs confirming: its figure is lower than the
// item's (the owner's share's, on a per_owner item), or less than done.
func (c *call) falls(it planbot.Item, r planbot.Report, rs []planbot.Report) string {
	if r.Withdrawn || (r.Percent == nil && r.Value == nil && !r.Done) {
		return ""
	}
	st := planbot.DeriveStatus(it, rs, c.now, c.plan.Location, c.plan.Rules)
	if st.Last == nil {
		return ""
	}
	if it.Tally == planbot.TallyPerOwner {
		owner := planbot.ShareOwner(r)
		for _, sh := range planbot.ItemShares(it, rs) {
			if sh.Owner == owner && sh.Value != nil && r.Value != nil && r.Value.Value < sh.Value.Value {
				return fmt.Sprintf("%s %s上次报的是 %s，这次 %s，比上次少。", it.Code, c.unitOf(owner), friendly(*sh.Value), friendly(*r.Value))
			}
		}
		return ""
	}
	var now float64
	switch {
	case r.Done:
		now = 100
	case r.Percent != nil:
		now = *r.Percent
	case it.Target != nil && it.Target.Value > 0:
		now = 100 * r.Value.Value.Float64() / it.Target.Value.Float64()
	default:
		return ""
	}
	if now >= st.Percent-1e-9 {
		return ""
	}
	was := "进度 " + pct(st.Percent)
	switch {
	case st.Percent >= 100 && st.Last.Done:
		was = "已完成"
	case st.Value != nil:
		was = friendly(*st.Value)
	}
	is := "进度 " + pct(now)
	if r.Value != nil && r.Percent == nil {
		is = friendly(*r.Value)
	}
	return fmt.Sprintf("%s 上次报的是%s，这次%s，比上次低。", it.Code, was, is)
}

// shareOwner is whose share of a per_owner item a report by someone not
// its owner is: the unit cadre's own village, else the owner whose
// village (or name) the text names.
func (c *call) shareOwner(it planbot.Item, text string) (string, bool) {
	if text == "" {
		text = c.m.Text
	}
	for _, o := range it.Owners {
		p, ok := c.plan.Person(o)
		if !ok {
			continue
		}
		if c.ofMyUnit(it) && p.Unit == c.me.Unit {
			return o, true
		}
		if (p.Unit != "" && strings.Contains(text, p.Unit)) || (p.Name != "" && strings.Contains(text, p.Name)) {
			return o, true
		}
	}
	return "", false
}

// unitOf is a person's village or office, else their name.
func (c *call) unitOf(key string) string {
	p, ok := c.plan.Person(key)
	switch {
	case !ok:
		return key
	case p.Unit != "":
		return p.Unit
	}
	return p.Name
}

// what says what a report recorded, for an echo: 已完成, 进度 60%,
// 新增10户，累计40户 / 目标 150户, or 说明（进度未变）.
func (c *call) what(it planbot.Item, r planbot.Report, added *planbot.Amount) string {
	var what []string
	switch {
	case r.Done:
		what = append(what, "已完成")
	case r.Percent != nil:
		what = append(what, "进度 "+pct(*r.Percent))
	}
	if r.Value != nil {
		v := friendly(*r.Value)
		if added != nil {
			v = "新增" + friendly(*added) + "，累计" + v
		}
		if it.Target != nil && it.Tally != planbot.TallyPerOwner {
			v += " / 目标 " + friendly(*it.Target)
		}
		what = append(what, esc(v))
	}
	if len(what) == 0 {
		return "说明（进度未变）"
	}
	return strings.Join(what, "，")
}

// echoReport says exactly what was recorded and how the item now stands,
// with an undo button: the cadre sees at once if the bot misunderstood.
// history is the item's reports with r, or nil to read them.
func (b *Bot) echoReport(c *call, it planbot.Item, r planbot.Report, added *planbot.Amount, history []planbot.Report) error {
	if history == nil {
		var err error
		if history, err = c.statusReports(it, 0); err != nil {
			return err
		}
	}
	st := planbot.DeriveStatus(it, history, c.now, c.plan.Location, c.plan.Rules)
	var sb strings.Builder
	verb := "✅ 已记录"
	switch {
	case c.m.Edited:
		verb = "✏️ 已按您的修改更正"
	case c.correcting:
		verb = "✏️ 已更正"
	}
	fmt.Fprintf(&sb, "%s <b>%s</b> %s：%s\n", verb, esc(it.Code), esc(clip(it.Title, 20)), c.what(it, r, added))
	if r.Note != "" {
		fmt.Fprintf(&sb, "说明：%s\n", esc(clip(r.Note, 200)))
	}
	if len(r.PhotoIDs) > 0 {
		sb.WriteString(evidenceSaved(r.PhotoIDs, c.m.MediaGroup != "") + "\n")
	}
	if r.AsOf != nil {
		fmt.Fprintf(&sb, "⏱ 补报 %s 的进度（%s 收到，已标注为迟报）\n", day(*r.AsOf, c.plan.Year), when(r.At, c.plan.Location, c.plan.Year))
	}
	if r.OnBehalfOf != "" {
		if p, ok := c.plan.Person(r.OnBehalfOf); ok {
			fmt.Fprintf(&sb, "代 %s 汇报\n", esc(p.Name))
		}
	}
	if it.Tally == planbot.TallyPerOwner && st.Value != nil {
		fmt.Fprintf(&sb, "全项合计：%s / 目标 %s\n", esc(friendly(*st.Value)), esc(friendly(*it.Target)))
	}
	fmt.Fprintf(&sb, "当前：%s %s", st.Status.Mark(), c.phrase(st))
	if st.Early {
		fmt.Fprintf(&sb, "（%s开始，届时计入进度）", day(it.Start, c.plan.Year))
	}
	undo := []Button{{Text: "撤回这条", Data: fmt.Sprintf("u:%d", r.ID)}}
	if c.m.Callback != nil {
		c.answerButton("已记录", sb.String(), undo)
	} else {
		c.say(sb.String(), undo)
	}
	return nil
}

// phrase is statusPhrase, saying 年度未开始 for an early report made
// before the plan year, the case a township meets in December.
func (c *call) phrase(st planbot.ItemStatus) string {
	if from, _ := c.plan.YearSpan(); st.Early && c.now.Before(from) {
		return "年度未开始，已提前汇报"
	}
	return statusPhrase(st)
}

func (b *Bot) askPercent(c *call, it planbot.Item, d draft) error {
	if it.Tally == planbot.TallyPerOwner {
		// A percent of one village's part cannot be added to the others':
		// ask for the figure, which a reply to this message records.
		u := it.Target.Unit
		c.answerButton("", fmt.Sprintf("<b>%s</b> %s\n按各村分别统计%s。您这边累计多少%s了？直接回复这条消息，如 <code>累计30%s</code>",
			esc(it.Code), esc(clip(it.Title, 24)), esc(u), esc(u), esc(u)))
		return nil
	}
	text := fmt.Sprintf("<b>%s</b> %s\n进度到多少了？", esc(it.Code), esc(clip(it.Title, 24)))
	return c.ask(pendingWalk, d, text, func(id int64) [][]Button {
		row := func(ps ...int) []Button {
			var r []Button
			for _, p := range ps {
				r = append(r, Button{Text: strconv.Itoa(p) + "%", Data: pickData(id, strconv.Itoa(p))})
			}
			return r
		}
		return [][]Button{row(10, 20, 30, 40, 50), row(60, 70, 80, 90), {{Text: "✅ 已完成", Data: pickData(id, "done")}, {Text: "取消", Data: pickData(id, "x")}}}
	})
}

func (b *Bot) report(c *call, args string) error {
	if strings.TrimSpace(args) == "" {
		return b.walkStart(c)
	}
	in := intake.Read(args, c.plan, c.ownedOpen(), c.today())
	if in.Kind == intake.IntentUnknown && in.Problem == "" {
		c.say("格式：/report 编号 进度% 说明，例如 <code>/report 2.3 60% 已签约</code>")
		return nil
	}
	return b.act(c, in)
}

func (b *Bot) walkStart(c *call) error {
	owned := c.ownedOpen()
	if len(owned) == 0 {
		c.say("您名下没有事项。领导代报请写编号，如 /report 2.3 60%")
		return nil
	}
	if len(owned) == 1 {
		it, _ := c.plan.Item(owned[0])
		return b.askPercent(c, it, draft{Items: owned, Step: "percent"})
	}
	return c.ask(pendingWalk, draft{Items: owned, Step: "item"}, "汇报哪个事项？", func(id int64) [][]Button {
		var kb [][]Button
		for i, code := range owned {
			it, _ := c.plan.Item(code)
			kb = append(kb, []Button{{Text: code + " " + clip(it.Title, 16), Data: pickData(id, strconv.Itoa(i))}})
		}
		return append(kb, []Button{{Text: "取消", Data: pickData(id, "x")}})
	})
}

func (b *Bot) done(c *call, args string) error {
	if strings.TrimSpace(args) == "" {
		c.say("请写上完成的事项编号，例如 /done 2.3")
		return nil
	}
	in := intake.Read(args, c.plan, c.ownedOpen(), c.today())
	if in.Kind == intake.IntentUnknown {
		if it, ok := c.findItem(strings.Fields(args)[0]); ok {
			in = intake.Intent{Kind: intake.IntentItemReport, Items: []string{it.Code}}
		} else {
			c.say(fmt.Sprintf("没有找到事项 %s。发送 /mine 查看您的事项。", esc(clip(args, 20))))
			return nil
		}
	}
	in.Done, in.Percent = true, nil
	return b.act(c, in)
}

func (b *Bot) value(c *call, args string) error {
	if strings.TrimSpace(args) == "" {
		c.say("格式：/value 指标 数值，例如 <code>/value 固定资产投资 3.2亿</code>")
		return nil
	}
	in := intake.Read(args, c.plan, nil, c.today())
	if in.Kind != intake.IntentIndicatorValue && !(in.Kind == intake.IntentAmbiguous && len(in.Indicators) > 0) && in.Problem == "" {
		c.say("没看出是哪个指标。格式：<code>/value 固定资产投资 3.2亿</code>；发送 /targets 查看指标名称。")
		return nil
	}
	return b.act(c, in)
}

// latestObservation is the newest effective observation of an indicator in
// the plan year, if any.
func (c *call) latestObservation(key string) (*planbot.Observation, error) {
	obs, err := c.s.IndicatorObservations(c.ctx, key)
	if err != nil {
		return nil, err
	}
	replaced := map[int64]bool{}
	for _, o := range obs {
		if o.Supersedes != 0 {
			replaced[o.Supersedes] = true
		}
	}
	from, to := c.plan.YearSpan()
	var latest *planbot.Observation
	for i := range obs {
		o := obs[i]
		if o.Withdrawn || replaced[o.ID] || o.At.Before(from) || !o.At.Before(to) {
			continue
		}
		if latest == nil || !o.At.Before(latest.At) {
			latest = &o
		}
	}
	return latest, nil
}

func (b *Bot) recordIndicator(c *call, key string, d draft, confirmed bool) error {
	ind, ok := indicator(c.plan, key)
	if !ok {
		c.say("没有这个指标。发送 /targets 查看指标名称。")
		return nil
	}
	if !c.me.Has(planbot.RoleLeader) && !c.me.Has(planbot.RoleAdmin) {
		c.say(fmt.Sprintf("指标“%s”由党政办或分管领导填报。您的事项进度请用 /mine 查看后汇报。", esc(ind.Name)))
		return c.audit("value_refused", ind.Key)
	}
	if d.Amount == nil {
		c.say(fmt.Sprintf("请写上%s的数值，例如：<code>%s 累计%s</code>", esc(ind.Name), esc(ind.Name), esc(amountIn(ind.Target, ind.Unit))))
		return nil
	}
	v := *d.Amount
	if v.Unit == "" {
		v.Unit = ind.Target.Unit
	}
	if v.Unit != ind.Target.Unit {
		c.say(fmt.Sprintf("⚠️ %s 的单位是 %s，%s 对不上。", esc(ind.Name), esc(ind.Unit), esc(v.String())))
		return nil
	}
	// Before the plan year, a figure is accepted as an early report, as an
	// item report is: it is the year's figure as of its first day, so it
	// is dated then (Received keeps when it came) and counts from 1 January.
	yearStart, _ := c.plan.YearSpan()
	early := c.now.Before(yearStart)
	if !confirmed {
		prev, err := c.latestObservation(ind.Key)
		if err != nil {
			return err
		}
		var why string
		if prev != nil && ind.Accumulate != planbot.AccumulateLevel && v.Value < prev.Value.Value {
			why = fmt.Sprintf("%s是年度累计数，这次 %s 比上次 %s 还少。", ind.Name, amountIn(v, ind.Unit), amountIn(prev.Value, ind.Unit))
		} else if base := prevValue(prev); ind.Target.Value > 0 && float64(v.Value-base) > b.cfg.JumpShare*float64(ind.Target.Value) {
			why = fmt.Sprintf("这次 %s 比上次多出全年目标 %s 的 %.0f%% 以上。", amountIn(v, ind.Unit), amountIn(ind.Target, ind.Unit), 100*b.cfg.JumpShare)
			if prev == nil { // nothing to compare with: say what the figure is
				why = fmt.Sprintf("这是%s今年第一次填报，%s 已超过全年目标 %s 的 %.0f%%。", ind.Name, amountIn(v, ind.Unit), amountIn(ind.Target, ind.Unit), 100*b.cfg.JumpShare)
			}
		}
		if why != "" {
			d.Indicator, d.Amount = ind.Key, &v
			return c.ask(pendingConfirm, d, "⚠️ "+esc(why)+"\n数值没错吗？", func(id int64) [][]Button {
				return [][]Button{{{Text: "确认", Data: pickData(id, "ok")}, {Text: "修改", Data: pickData(id, "edit")}}}
			})
		}
	}
	received := c.reportTime()
	at := received
	if d.AsOf != nil && d.AsOf.Before(planbot.DateOf(at.In(c.plan.Location))) {
		at = d.AsOf.End(c.plan.Location).Add(-time.Second) // the figure describes that day
	}
	if at.Before(yearStart) {
		at = yearStart
	}
	saved, err := c.s.AddObservation(c.ctx, planbot.Observation{Indicator: ind.Key, At: at, Received: received, Value: v, Reporter: c.me.Key, Note: d.Note})
	if err != nil {
		return err
	}
	st := ind.StandingAt(&saved, c.plan.Year, c.now, c.plan.Location, c.plan.Rules)
	var text string
	if early {
		text = fmt.Sprintf("✅ 已提前记录 <b>%s</b>：%s（全年目标 %s）\n%d 年度未开始，已提前汇报：此数按 1月1日 计入，届时对照时间进度。",
			esc(ind.Name), esc(amountIn(v, ind.Unit)), esc(amountIn(ind.Target, ind.Unit)), c.plan.Year)
	} else {
		text = fmt.Sprintf("✅ 已记录 <b>%s</b>：%s（全年目标 %s，完成 %s，时间进度 %s）\n%s",
			esc(ind.Name), esc(amountIn(v, ind.Unit)), esc(amountIn(ind.Target, ind.Unit)), pct(100*st.Completion), pct(100*st.Elapsed), esc(st.Verdict()))
	}
	undo := []Button{{Text: "撤回这条", Data: fmt.Sprintf("uo:%s:%d", ind.Key, saved.ID)}}
	if c.m.Callback != nil {
		c.answerButton("已记录", text, undo)
	} else {
		c.say(text, undo)
	}
	return nil
}

func prevValue(o *planbot.Observation) planbot.Decimal {
	if o == nil {
		return 0
	}
	return o.Value.Value
}

// evidenceSaved tells what evidence a report keeps; inAlbum adds that the
// rest of the album will join it.
func evidenceSaved(ids []string, inAlbum bool) string {
	onlyPhotos := !slices.ContainsFunc(ids, func(id string) bool { k, _ := planbot.KindOf(id); return k != planbot.EvidencePhoto })
	text, rest := "佐证材料已保存："+planbot.EvidenceSummary(ids), "材料"
	if onlyPhotos {
		text, rest = fmt.Sprintf("佐证照片 %d 张已保存", len(ids)), "照片"
	}
	if inAlbum {
		text += "，同一组的其他" + rest + "会自动附上"
	}
	return text
}
