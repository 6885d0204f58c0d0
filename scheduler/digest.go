package scheduler

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"planbot"
)

// Digest is the weekly digest at at, in HTML, for anyone: leaders, groups,
// `planbot digest -at`. It never mentions delivery failures, which concern
// admins only (see AdminDigest). It is one text, however long: the
// store's Enqueue splits it for its chat's platform with
// planbot.SplitMessage, which cuts it cleanly between lines (every tag
// opens and closes on one line, and every line is short). A nil plan gives
// "".
//
// What it says, in this order, each part a few short lines:
//   - header: plan year, date and time, 时间进度 (share of the year elapsed);
//   - counts by status with their marks;
//   - what needs the reader (digestFocus): the at-risk and the
//     never-reported-behind-pace items of the sections they lead (all of
//     them for a principal, a group or anyone else), FocusMax at most;
//   - one line per section;
//   - the week's progress: reports received (withdrawals not counted) since
//     00:00 of the latest Monday strictly before at's day — this week's
//     Monday, or on a Monday the previous one, so a Monday-morning digest
//     reviews the week just ended ("上周") — how many items they touched,
//     how many moved up and which are newly done;
//   - indicators against the annual target and against time elapsed
//     (时间过半、任务过半), behind ones 🔴, with year-on-year growth;
//   - overdue items with days and owners, most overdue first;
//   - items not overdue that have been silent for at least Rules.SilentDays,
//     longest silent first (each list shows at most DigestListMax items and
//     then how many more);
//   - owners of open items (started, not done) who have not reported on any
//     of them in the same window as the week's progress;
//   - what changed since s.PreviousDigest (omitted when zero): each item's
//     status then — derived from the reports stamped at or before it — set
//     against its status now, grouped as 新完成, 新逾期, 新增风险 ….
func Digest(s Snapshot, at time.Time) string {
	if s.Plan == nil {
		return ""
	}
	j := newJob(s, at)
	return j.digest().textFor("", j.digestFocus(""))
}

// DigestListMax caps the digest's lists of overdue and of silent items,
// longest first: a leader reads thirty lines, not three hundred.
const DigestListMax = 30

// AdminDigest is Digest with FailureNotice under its header when s.Failed
// is not empty: the copy for admins, who can do something about a person
// who blocked the bot. Equal to Digest when nothing failed.
func AdminDigest(s Snapshot, at time.Time) string {
	if s.Plan == nil {
		return ""
	}
	j := newJob(s, at)
	return j.digest().textFor(FailureNotice(s), j.digestFocus(""))
}

// FailureNotice is the one line about s.Failed, "" when it is empty:
// "⚠️ N 条消息发送失败（如对方屏蔽了机器人）：张三×2、chat:telegram:-100…".
// Each chat is named by the person it belongs to when s.ChatOf or
// s.ChatsOf knows it (a message may have failed on the platform a person
// has since left), else as a reminder's To names a group: "chat:" and its
// address.
func FailureNotice(s Snapshot) string {
	if len(s.Failed) == 0 {
		return ""
	}
	owner := map[planbot.ChatID]string{} // chat → name of its person
	if s.Plan != nil {
		for _, p := range s.Plan.People {
			for _, id := range append([]planbot.ChatID{s.ChatOf[p.Key]}, s.ChatsOf[p.Key]...) {
				if _, dup := owner[id]; !dup && id != "" {
					owner[id] = cmp.Or(p.Name, p.Key)
				}
			}
		}
	}
	count := map[planbot.ChatID]int{}
	var chats []planbot.ChatID
	for _, m := range s.Failed {
		if count[m.ChatID] == 0 {
			chats = append(chats, m.ChatID)
		}
		count[m.ChatID]++
	}
	const shown = 20
	var who []string
	for i, c := range chats {
		if i == shown {
			who = append(who, fmt.Sprintf("等 %d 处", len(chats)))
			break
		}
		name := "chat:" + planbot.Escape(string(c))
		if n, ok := owner[c]; ok {
			name = planbot.Escape(planbot.ClipLine(n, 12))
		}
		if n := count[c]; n > 1 {
			name += fmt.Sprintf("×%d", n)
		}
		who = append(who, name)
	}
	return fmt.Sprintf("⚠️ %d 条消息发送失败（如对方屏蔽了机器人）：%s", len(s.Failed), strings.Join(who, "、"))
}

// digestText keeps the header apart, so the admin copy can carry the
// failures right under it, where they are seen; and the counts apart from
// the rest, so each leader's own list (focus) comes right after them.
type digestText struct{ head, top, body string }

func (d digestText) text(notice string) string { return d.textFor(notice, "") }

func (d digestText) textFor(notice, focus string) string {
	if notice != "" {
		notice += "\n"
	}
	return d.head + notice + d.top + focus + d.body
}

// FocusMax caps the digest's list of what needs a leader: a screenful.
const FocusMax = 10

// digestFocus names the items that need leader key (any when "", or when
// key leads none or is a principal): at risk, or never reported and behind
// pace, not overdue (the overdue list has those), the furthest behind
// first, with the owners and how far behind; then the count of the rest
// and the command that lists them.
func (j *job) digestFocus(key string) string {
	mineOnly := false
	if p, ok := j.people[key]; ok && !p.Principal {
		for _, v := range j.views {
			mineOnly = mineOnly || v.Item.Leader == key
		}
	}
	var vs []planbot.ItemView
	for _, v := range j.views {
		st := v.Status.Status
		if st == planbot.StatusDone || st == planbot.StatusOverdue || (mineOnly && v.Item.Leader != key) {
			continue
		}
		if st == planbot.StatusAtRisk || j.untouched(v) {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return ""
	}
	slices.SortStableFunc(vs, func(a, b planbot.ItemView) int {
		return cmp.Or(cmp.Compare(gap(b), gap(a)), a.Item.Due.Compare(b.Item.Due), cmp.Compare(a.Item.Code, b.Item.Code))
	})
	var sb strings.Builder
	who := "需要关注"
	if mineOnly {
		who = "您分管的事项中需要关注"
	}
	fmt.Fprintf(&sb, "\n<b>🟡 %s %d 项</b>（进度落后于时间要求）\n", who, len(vs))
	for _, v := range vs[:min(len(vs), FocusMax)] {
		st := v.Status
		how := fmt.Sprintf("进度 %s，应达 %s", pct(st.Percent), pct(st.Expected))
		if st.Last == nil {
			how = fmt.Sprintf("未汇报，应达 %s", pct(st.Expected))
		}
		fmt.Fprintf(&sb, "<b>%s</b> %s · %s · %s，落后 %s 个百分点\n", planbot.Escape(v.Item.Code), planbot.Escape(planbot.ClipLine(v.Item.Title, 14)),
			j.ownerNames(v.Item.Owners[:min(len(v.Item.Owners), 3)]), how, strings.TrimSuffix(pct(gap(v)), "%"))
	}
	if rest := vs[min(len(vs), FocusMax):]; len(rest) > 0 {
		cmd := "/plan"
		if sec := rest[0].Item.Section; !slices.ContainsFunc(rest, func(v planbot.ItemView) bool { return v.Item.Section != sec }) {
			cmd = "/plan " + planbot.Escape(sec)
		}
		fmt.Fprintf(&sb, "另有 %d 项，发送 %s 查看\n", len(rest), cmd)
	}
	return sb.String()
}

// deriveAt is an item's status as it was at t: from the reports stamped
// before t, or at t too when incl.
func (j *job) deriveAt(it planbot.Item, t time.Time, incl bool) planbot.ItemStatus {
	upTo := t
	if incl {
		upTo = t.Add(time.Nanosecond)
	}
	return planbot.DeriveStatus(it, planbot.ReportsBefore(j.s.Reports[it.Code], upTo), t, j.loc, j.plan.Rules)
}

func (j *job) digest() digestText {
	p := j.plan
	elapsed := planbot.Indicator{}.StandingAt(nil, p.Year, j.at, j.loc, p.Rules).Elapsed
	var d digestText
	d.head = fmt.Sprintf("<b>📊 %d 年工作计划周报</b>\n%s · 时间进度 %s\n", p.Year, j.when(j.at), pct(100*elapsed))

	var sb strings.Builder
	counts := map[planbot.Status]int{}
	for _, v := range j.views {
		counts[v.Status.Status]++
	}
	fmt.Fprintf(&sb, "共 %d 项：%s\n", len(j.views), countsLine(counts, true))
	d.top = sb.String()
	sb.Reset()

	if len(p.Sections) > 0 {
		sb.WriteString("\n<b>分板块</b>\n")
		bySection := map[string]map[planbot.Status]int{}
		for _, v := range j.views {
			m := bySection[v.Item.Section]
			if m == nil {
				m = map[planbot.Status]int{}
				bySection[v.Item.Section] = m
			}
			m[v.Status.Status]++
		}
		for _, s := range p.Sections {
			fmt.Fprintf(&sb, "【%s】%s　%s\n", planbot.Escape(planbot.ClipLine(s.Code, 8)), planbot.Escape(planbot.ClipLine(s.Title, 10)), countsLine(bySection[s.Code], false))
		}
	}

	j.digestWeek(&sb)
	j.digestIndicators(&sb, elapsed)
	j.digestOverdue(&sb)
	j.digestSilent(&sb)
	j.digestUnreported(&sb)
	j.digestChanges(&sb)
	d.body = sb.String()
	return d
}

// weekSince is the start of the digest's week and what to call it.
func (j *job) weekSince() (time.Time, string) {
	since := j.sinceWeekday(time.Monday)
	if j.at.Weekday() == time.Monday {
		return since, "上周"
	}
	return since, "本周"
}

func (j *job) digestWeek(sb *strings.Builder) {
	since, label := j.weekSince()
	reports, touched, moved := 0, 0, 0
	var done []planbot.ItemView
	for _, v := range j.views {
		n := 0
		rs := j.s.Reports[v.Item.Code]
		for i := range rs { // by index: a Report is too big to copy per step
			if r := &rs[i]; !r.Withdrawn && !r.At.Before(since) {
				n++
			}
		}
		if n == 0 {
			continue
		}
		reports += n
		touched++
		before := j.deriveAt(v.Item, since, false)
		if v.Status.Percent > before.Percent {
			moved++
		}
		if v.Status.Status == planbot.StatusDone && before.Status != planbot.StatusDone {
			done = append(done, v)
		}
	}
	fmt.Fprintf(sb, "\n<b>📈 %s进展</b>（%s 以来）\n", label, j.dayWeek(planbot.DateOf(since)))
	if reports == 0 {
		sb.WriteString("没有收到汇报。\n")
		return
	}
	fmt.Fprintf(sb, "收到汇报 %d 条，涉及 %d 项\n进度提升 %d 项 · 新完成 %d 项", reports, touched, moved, len(done))
	if len(done) > 0 {
		sb.WriteString("：" + j.itemList(done, 8))
	}
	sb.WriteString("\n")
}

// itemList is "2.3 协调推进…、3.2 扩充直播队伍", at most n of them.
func (j *job) itemList(vs []planbot.ItemView, n int) string {
	out := make([]string, 0, min(len(vs), n))
	for i, v := range vs {
		if i == n {
			break
		}
		out = append(out, planbot.Escape(v.Item.Code)+" "+planbot.Escape(planbot.ClipLine(v.Item.Title, 10)))
	}
	s := strings.Join(out, "、")
	if len(vs) > n {
		s += fmt.Sprintf(" 等 %d 项", len(vs))
	}
	return s
}

func (j *job) digestIndicators(sb *strings.Builder, elapsed float64) {
	p := j.plan
	if len(p.Indicators) == 0 {
		return
	}
	var lines []string
	behind := 0
	for _, ind := range p.Indicators {
		var obs *planbot.Observation
		if o, ok := j.s.Latest[ind.Key]; ok {
			obs = &o
		}
		s := ind.StandingAt(obs, p.Year, j.at, j.loc, p.Rules)
		name := planbot.Escape(planbot.ClipLine(ind.Name, 12))
		if !s.HasValue {
			lines = append(lines, fmt.Sprintf("⚪ <b>%s</b> 暂无数据（目标 %s）", name, planbot.Escape(planbot.AmountIn(ind.Target, ind.Unit))))
			continue
		}
		m := "🟢"
		switch {
		case s.Completion >= 1:
			m = "✅"
		case s.Behind:
			m = "🔴"
			behind++
		}
		line := fmt.Sprintf("%s <b>%s</b> 完成 %s（%s/%s）· %s", m, name, pct(100*s.Completion),
			planbot.Escape(planbot.AmountIn(s.Value, ind.Unit)), planbot.Escape(planbot.AmountIn(ind.Target, ind.Unit)), planbot.Escape(s.Verdict()))
		if s.YoY != nil {
			line += fmt.Sprintf(" · 同比 %+.1f%%", 100**s.YoY)
			if s.YoYEstimated {
				line += "（估）"
			}
		}
		lines = append(lines, line)
	}
	fmt.Fprintf(sb, "\n<b>🎯 重点指标</b>（时间进度 %s", pct(100*elapsed))
	if behind > 0 {
		fmt.Fprintf(sb, "，落后 %d 项", behind)
	}
	sb.WriteString("）\n")
	for _, l := range lines {
		sb.WriteString(l + "\n")
	}
}

// owners names at most three owners of it, those on leave marked.
func (j *job) owners(it planbot.Item) string {
	if len(it.Owners) <= 3 {
		return j.ownerNames(it.Owners)
	}
	return j.ownerNames(it.Owners[:3]) + fmt.Sprintf("等 %d 人", len(it.Owners))
}

func (j *job) digestOverdue(sb *strings.Builder) {
	var late []planbot.ItemView
	for _, v := range j.views {
		if v.Status.Status == planbot.StatusOverdue {
			late = append(late, v)
		}
	}
	if len(late) == 0 {
		sb.WriteString("\n✅ 没有逾期事项\n")
		return
	}
	planbot.ByUrgency(late)
	fmt.Fprintf(sb, "\n<b>🔴 逾期 %d 项</b>\n", len(late))
	for i, v := range late {
		if i == DigestListMax {
			fmt.Fprintf(sb, "……另有 %d 项，发送 /overdue 查看全部\n", len(late)-i)
			break
		}
		fmt.Fprintf(sb, "<b>%s</b> %s · %d 天 · %s\n", planbot.Escape(v.Item.Code), planbot.Escape(planbot.ClipLine(v.Item.Title, 14)), v.Status.DaysOverdue, j.owners(v.Item))
	}
}

func (j *job) digestSilent(sb *strings.Builder) {
	n := j.plan.Rules.SilentDays
	if n <= 0 {
		return
	}
	var quiet []planbot.ItemView
	for _, v := range j.views {
		st := v.Status.Status
		if st != planbot.StatusDone && st != planbot.StatusOverdue && v.Status.DaysSilent >= n && j.started(v.Item) {
			quiet = append(quiet, v)
		}
	}
	if len(quiet) == 0 {
		return
	}
	slices.SortStableFunc(quiet, func(a, b planbot.ItemView) int {
		return cmp.Or(cmp.Compare(b.Status.DaysSilent, a.Status.DaysSilent), cmp.Compare(a.Item.Code, b.Item.Code))
	})
	fmt.Fprintf(sb, "\n<b>🔕 %d 天以上无汇报 %d 项</b>\n", n, len(quiet))
	for i, v := range quiet {
		if i == DigestListMax {
			fmt.Fprintf(sb, "……另有 %d 项\n", len(quiet)-i)
			break
		}
		fmt.Fprintf(sb, "<b>%s</b> %s · %d 天 · %s\n", planbot.Escape(v.Item.Code), planbot.Escape(planbot.ClipLine(v.Item.Title, 14)), v.Status.DaysSilent, j.owners(v.Item))
	}
}

func (j *job) digestUnreported(sb *strings.Builder) {
	since, label := j.weekSince()
	var open []planbot.ItemView
	owners := map[string]bool{}
	for _, v := range j.views {
		if j.open(v) {
			open = append(open, v)
			for _, o := range v.Item.Owners {
				owners[o] = true
			}
		}
	}
	reported := j.reportedSince(open, since)
	var who []string
	for _, p := range j.plan.People {
		if owners[p.Key] && !reported[p.Key] {
			who = append(who, planbot.Escape(planbot.ClipLine(p.Name, 10))+j.leaveMark(p.Key))
		}
	}
	if len(owners) == 0 {
		return
	}
	if len(who) == 0 {
		fmt.Fprintf(sb, "\n✅ %s责任人都已汇报\n", label)
		return
	}
	fmt.Fprintf(sb, "\n<b>🙋 %s未汇报 %d 人</b>\n", label, len(who))
	for len(who) > 0 {
		k := min(len(who), 10)
		sb.WriteString(strings.Join(who[:k], "、") + "\n")
		who = who[k:]
	}
}

// changeLabels names a move into each status, in the order shown.
var changeLabels = []struct {
	to    planbot.Status
	label string
}{
	{planbot.StatusDone, "新完成"},
	{planbot.StatusOverdue, "新逾期"},
	{planbot.StatusAtRisk, "新增风险"},
	{planbot.StatusNoReport, "新转未汇报"},
	{planbot.StatusOnTrack, "转为正常推进"},
	{planbot.StatusNotStarted, "转为未开始"},
}

func (j *job) digestChanges(sb *strings.Builder) {
	prev := j.s.PreviousDigest
	if prev.IsZero() || !prev.Before(j.at) {
		return
	}
	changed := map[planbot.Status][]planbot.ItemView{}
	n := 0
	for _, v := range j.views {
		before := j.deriveAt(v.Item, prev, true)
		if before.Status != v.Status.Status {
			changed[v.Status.Status] = append(changed[v.Status.Status], v)
			n++
		}
	}
	fmt.Fprintf(sb, "\n<b>🔄 上次周报以来</b>（%s 起）\n", j.when(prev))
	if n == 0 {
		sb.WriteString("各事项状态没有变化。\n")
		return
	}
	for _, c := range changeLabels {
		vs := changed[c.to]
		if len(vs) == 0 {
			continue
		}
		planbot.ByUrgency(vs)
		fmt.Fprintf(sb, "%s %s %d 项：%s\n", c.to.Mark(), c.label, len(vs), j.itemList(vs, 8))
	}
}

// countsLine is "🔴逾期 2 🟡有风险 3 …" (labels) or "🔴2 🟡3 …".
func countsLine(counts map[planbot.Status]int, labels bool) string {
	var parts []string
	for _, s := range planbot.Statuses {
		if n := counts[s]; n > 0 {
			if labels {
				parts = append(parts, fmt.Sprintf("%s%s %d", s.Mark(), s.Label(), n))
			} else {
				parts = append(parts, fmt.Sprintf("%s%d", s.Mark(), n))
			}
		}
	}
	if len(parts) == 0 {
		return "无事项"
	}
	return strings.Join(parts, " ")
}
