package scheduler

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"planbot"
)

func amount(t testing.TB, s string) planbot.Amount {
	t.Helper()
	a, err := planbot.ParseAmount(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// digestSnapshot: Monday Jul 12, 08:30, the previous digest on Apr 26.
//   - 2.3 was 30% (behind) at the last digest, reported done last week;
//   - 2.1 moved from nothing to 40% last week, behind its milestones;
//   - 3.2 was due Apr 30 and nobody reported: newly overdue;
//   - 固定资产投资 2亿 of 6.5亿 at 52.7% of the year: behind;
//     工商税收 2300万 of 4120万: in step.
func digestSnapshot(t testing.TB) (Snapshot, time.Time) {
	s := snapshot(t,
		progress("2.3", "ma_jingfa", at27(3, 2, 10, 0), 30),
		done("2.3", "ma_jingfa", at27(7, 6, 15, 0)),
		progress("2.1", "ma_jingfa", at27(7, 7, 9, 0), 40),
	)
	s.PreviousDigest = at27(4, 26, 8, 30)
	s.Latest["fixed_asset_investment"] = planbot.Observation{ID: 1, Indicator: "fixed_asset_investment", At: at27(7, 10, 9, 0), Value: amount(t, "2亿元")}
	s.Latest["tax_revenue"] = planbot.Observation{ID: 2, Indicator: "tax_revenue", At: at27(7, 10, 9, 0), Value: amount(t, "2300万元")}
	at := at27(7, 12, 8, 30)
	if at.Weekday() != time.Monday {
		t.Fatal(at.Weekday())
	}
	return s, at
}

func TestDigestContent(t *testing.T) {
	s, at := digestSnapshot(t)
	d := Digest(s, at)
	checkPart(t, d)
	t.Log("\n" + d)
	for _, want := range []string{
		"<b>📊 2027 年工作计划周报</b>\n7月12日 周一 08:30 · 时间进度 52.7%\n",
		"共 22 项：🔴逾期 1 🟡有风险 1 🔕未汇报 19 ✅已完成 1\n",
		"【2】谋发展、求突破，全…　🟡1 🔕4 ✅1\n",
		// A Monday digest reviews the week just ended.
		"<b>📈 上周进展</b>（7月5日 周一 以来）\n收到汇报 2 条，涉及 2 项\n进度提升 2 项 · 新完成 1 项：2.3 协调推进XX项目开…\n",
		"<b>🎯 重点指标</b>（时间进度 52.7%，落后 1 项）\n",
		"🔴 <b>固定资产投资</b> 完成 30.8%（2亿元/6.5亿元）· 落后于时序 · 同比 -27.0%（估）\n",
		"🟢 <b>工商税收</b> 完成 55.8%（2300万元/4120万元）· 基本同步 · 同比 +13.4%（估）\n",
		"⚪ <b>外贸出口额</b> 暂无数据（目标 2600万元）\n",
		"<b>🔴 逾期 1 项</b>\n<b>3.2</b> 扩充直播队伍 · 73 天 · 许某某\n",
		"<b>🔕 14 天以上无汇报 19 项</b>\n",
		"<b>🙋 上周未汇报 6 人</b>\n赵某某、钱某某、孙某某、许某某、吕某某、韩某某\n",
		"<b>🔄 上次周报以来</b>（4月26日 周一 08:30 起）\n",
		"✅ 新完成 1 项：2.3 协调推进XX项目开…\n",
		"🔴 新逾期 1 项：3.2 扩充直播队伍\n",
		"🟡 新增风险 1 项：2.1 落实全员招商责任制…\n",
	} {
		if !strings.Contains(d, want) {
			t.Errorf("digest lacks %q", want)
		}
	}
	if strings.Contains(d, "发送失败") {
		t.Error("failures in the digest for everyone")
	}
	// Silent items exclude the overdue one (listed above) and the ones
	// recently reported.
	silent := d[strings.Index(d, "🔕 14 天"):strings.Index(d, "🙋")]
	for _, code := range []string{"3.2", "2.3", "2.1"} {
		if strings.Contains(silent, "<b>"+code+"</b>") {
			t.Errorf("%s listed as silent", code)
		}
	}
}

func TestDigestWeekdayWindowAndNoPrevious(t *testing.T) {
	s, _ := digestSnapshot(t)
	s.PreviousDigest = time.Time{}
	d := Digest(s, at27(7, 8, 17, 0)) // Thursday
	for _, want := range []string{"<b>📈 本周进展</b>（7月5日 周一 以来）", "收到汇报 2 条", "<b>🙋 本周未汇报 6 人</b>"} {
		if !strings.Contains(d, want) {
			t.Errorf("digest lacks %q", want)
		}
	}
	if strings.Contains(d, "上次周报以来") {
		t.Error("no previous digest: nothing to compare with")
	}
	// Before anything starts: no reports, nobody owes one.
	s = snapshot(t)
	d = Digest(s, at27(1, 2, 9, 0))
	if !strings.Contains(d, "没有收到汇报") || strings.Contains(d, "🙋") {
		t.Errorf("before the start:\n%s", d)
	}
	// Everyone with an open item reported: said in one line.
	var rs []planbot.Report
	thu := at27(1, 7, 17, 0)
	for _, it := range s.Plan.Items {
		if it.Start.Start(shanghai).Before(thu) {
			for _, o := range it.Owners {
				rs = append(rs, progress(it.Code, o, at27(1, 5, 9, 0), 5))
			}
		}
	}
	s = snapshot(t, rs...)
	if d = Digest(s, thu); !strings.Contains(d, "✅ 本周责任人都已汇报") || strings.Contains(d, "🙋") {
		t.Errorf("all reported:\n%s", d)
	}
}

func TestDigestChangedNothing(t *testing.T) {
	s, at := digestSnapshot(t)
	s.PreviousDigest = at.Add(-time.Minute)
	if d := Digest(s, at); !strings.Contains(d, "各事项状态没有变化") {
		t.Errorf("a minute ago nothing changed:\n%s", d)
	}
}

func TestDigestFailuresOnlyToAdmins(t *testing.T) {
	s, at := digestSnapshot(t)
	s.Failed = []planbot.OutboxMessage{{ChatID: chatZhaoCun}, {ChatID: chatZhaoCun}, {ChatID: tg(-100777)}}
	const notice = "⚠️ 3 条消息发送失败（如对方屏蔽了机器人）：赵某某×2、chat:telegram:-100777"
	if got := FailureNotice(s); got != notice {
		t.Errorf("FailureNotice %q", got)
	}
	if d := AdminDigest(s, at); !strings.Contains(d, "时间进度 52.7%\n"+notice+"\n共 22 项") {
		t.Errorf("admin digest:\n%s", d)
	}
	if strings.Contains(Digest(s, at), "发送失败") {
		t.Error("Digest carries failures")
	}

	// The example sends the digest to role:leader, and the admin is no
	// leader: the admin is told apart.
	r := reminder(t, s.Plan, "weekly_digest")
	msgs, _ := Compose(r, s, at)
	text, _ := byChat(t, msgs)
	for _, c := range []planbot.ChatID{chatZhangShuji, chatLiuZhenzhang, chatLiWeiyuan, chatChenFuzhen, chatZhouFuzhen, chatWuWeiyuan} {
		x := text[c]
		if !strings.Contains(x, "共 22 项") || strings.Contains(x, "发送失败") {
			t.Errorf("leader %s:\n%s", c, x)
		}
	}
	if x := text[chatZhengDzb]; !strings.Contains(x, notice) || strings.Contains(x, "共 22 项") {
		t.Errorf("admin should get the notice alone:\n%s", x)
	}
	if len(text) != 7 {
		t.Errorf("%d chats", len(text))
	}

	// With the admin among the recipients, the notice rides in the digest.
	r.To = []string{"role:leader", "zheng_dzb", "chat:telegram:-100555"}
	msgs, _ = Compose(r, s, at)
	text, _ = byChat(t, msgs)
	if x := text[chatZhengDzb]; !strings.Contains(x, notice) || !strings.Contains(x, "共 22 项") {
		t.Errorf("admin's digest:\n%s", x)
	}
	if x := text[tg(-100555)]; strings.Contains(x, "发送失败") || !strings.Contains(x, "共 22 项") {
		t.Errorf("group's digest:\n%s", x)
	}

	// Nothing failed: no notice anywhere, no extra message.
	s.Failed = nil
	r = reminder(t, s.Plan, "weekly_digest")
	msgs, _ = Compose(r, s, at)
	text, _ = byChat(t, msgs)
	if _, ok := text[chatZhengDzb]; ok || len(text) != 6 {
		t.Errorf("chats %v", chats(text))
	}
	if FailureNotice(s) != "" || AdminDigest(s, at) != Digest(s, at) {
		t.Error("no failures, yet a notice")
	}
}

func TestDigestDefaultsToLeaders(t *testing.T) {
	s, at := digestSnapshot(t)
	msgs, _ := Compose(planbot.Reminder{Name: "d", Kind: planbot.ReminderDigest}, s, at)
	text, _ := byChat(t, msgs)
	if len(text) != 6 {
		t.Errorf("chats %v", chats(text))
	}
}

func TestDigestEscapes(t *testing.T) {
	s, at := digestSnapshot(t)
	s.Plan.Items[0].Title = "<script>&"
	s.Plan.Sections[0].Title = "A&B<i>"
	s.Plan.Indicators[0].Name = "R&D<投资>"
	s.Plan.People[len(s.Plan.People)-1].Name = "韩&<>"
	d := Digest(s, at)
	checkPart(t, d)
	for _, want := range []string{"&lt;script&gt;&amp;", "A&amp;B&lt;i&gt;", "R&amp;D&lt;投资&gt;", "韩&amp;&lt;&gt;"} {
		if !strings.Contains(d, want) {
			t.Errorf("lacks %q", want)
		}
	}
	if strings.Contains(d, "<script>") {
		t.Error("unescaped")
	}
}

// bigSnapshot is a synthetic plan: items in 40 sections, people of whom
// p000–p009 are leaders (p000, p001 principal), p010 the admin and the
// rest cadres owning two items each in turn, reports spread over the items
// and the year, titles full of characters that need escaping.
func bigSnapshot(t testing.TB, items, people, reports int) Snapshot {
	loc := shanghai
	p := &planbot.Plan{Year: 2027, Location: loc, Rules: planbot.DefaultRules}
	s := Snapshot{Plan: p, Reports: map[string][]planbot.Report{}, Latest: map[string]planbot.Observation{}, ChatOf: map[string]planbot.ChatID{}}
	for i := 0; i < people; i++ {
		x := planbot.Person{Key: fmt.Sprintf("p%03d", i), Name: fmt.Sprintf("干部%03d号", i), Unit: fmt.Sprintf("第%d村", i%30), Roles: []planbot.Role{planbot.RoleCadre}}
		switch {
		case i < 10:
			x.Roles = []planbot.Role{planbot.RoleLeader}
			x.Principal = i < 2
		case i == 10:
			x.Roles = []planbot.Role{planbot.RoleAdmin}
		}
		p.People = append(p.People, x)
		s.ChatOf[x.Key] = tg(int64(1000 + i))
	}
	const sections = 40
	for i := 0; i < sections; i++ {
		p.Sections = append(p.Sections, planbot.Section{Code: fmt.Sprint(i + 1), Title: fmt.Sprintf("第%d部分 R&D <攻坚> 全力推进重点工作", i+1), Leader: fmt.Sprintf("p%03d", i%10)})
	}
	cadres := people - 11
	for i := 0; i < items; i++ {
		sec := i % sections
		due := planbot.Date{Year: 2027, Month: time.Month(1 + i%12), Day: 28}
		it := planbot.Item{
			Code:    fmt.Sprintf("%d.%d", sec+1, i/sections+1),
			Section: fmt.Sprint(sec + 1),
			Title:   fmt.Sprintf("事项%d：<b>推进</b> A&B 项目建设并完成验收工作", i),
			Owners:  []string{fmt.Sprintf("p%03d", 11+(2*i)%cadres), fmt.Sprintf("p%03d", 11+(2*i+1)%cadres)},
			Leader:  fmt.Sprintf("p%03d", sec%10),
			Start:   planbot.Date{Year: 2027, Month: time.January, Day: 4},
			Due:     due,
		}
		p.Items = append(p.Items, it)
	}
	for i := 0; i < reports && items > 0; i++ {
		it := p.Items[i%items]
		at := time.Date(2027, 1, 5, 9, 0, 0, 0, loc).Add(time.Duration(i) * (349 * 24 * time.Hour / time.Duration(max(reports, 1))))
		// Each item climbs to 90% over its reports; one in seven finishes.
		round, rounds := i/items, max(1, (reports+items-1)/items)
		pct := 90 * float64(round+1) / float64(rounds)
		if i%items%7 == 0 && round == rounds-1 {
			pct = 100
		}
		r := planbot.Report{ID: int64(i + 1), ItemCode: it.Code, Reporter: it.Owners[i%2], At: at, Percent: &pct, Note: "进展 & 说明"}
		s.Reports[it.Code] = append(s.Reports[it.Code], r)
	}
	for _, ind := range []struct{ key, name, unit, target, last string }{
		{"fai", "固定资产投资", "亿元", "6.5亿元", "5.2亿元"},
		{"tax", "工商税收", "万元", "4120万元", "3850万元"},
		{"exp", "外贸出口额", "万元", "2600万元", ""},
	} {
		x := planbot.Indicator{Key: ind.key, Name: ind.name, Unit: ind.unit, Target: amount(t, ind.target), Accumulate: planbot.AccumulateYTD}
		if ind.last != "" {
			a := amount(t, ind.last)
			x.LastYear = &a
		}
		p.Indicators = append(p.Indicators, x)
	}
	s.Latest["fai"] = planbot.Observation{ID: 1, Indicator: "fai", At: time.Date(2027, 11, 30, 9, 0, 0, 0, loc), Value: amount(t, "3.1亿元")}
	s.Latest["tax"] = planbot.Observation{ID: 2, Indicator: "tax", At: time.Date(2027, 11, 30, 9, 0, 0, 0, loc), Value: amount(t, "4000万元")}
	s.PreviousDigest = time.Date(2027, 12, 13, 8, 30, 0, 0, loc)
	s.Failed = []planbot.OutboxMessage{{ChatID: tg(1020)}, {ChatID: tg(-100999)}}
	return s
}

func TestDigestSplitsCleanly(t *testing.T) {
	s := bigSnapshot(t, 400, 150, 4000)
	at := time.Date(2027, 12, 20, 8, 30, 0, 0, shanghai)
	d := AdminDigest(s, at)
	parts := planbot.SplitMessage(d, telegramLimit)
	if len(parts) < 2 {
		t.Fatalf("a 400-item digest in %d part", len(parts))
	}
	var lines []string
	for _, p := range parts {
		checkPart(t, p)
		if n := planbot.UTF16Len(p); n > telegramLimit {
			t.Errorf("part of %d", n)
		}
		lines = append(lines, strings.Split(p, "\n")...)
	}
	// Cut only between lines: every line of the digest is in some part,
	// whole and in order.
	var want []string
	for _, l := range strings.Split(d, "\n") {
		if l != "" {
			want = append(want, l)
		}
	}
	var got []string
	for _, l := range lines {
		if l != "" {
			got = append(got, l)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Error("split lost or cut lines")
	}
	for _, want := range []string{"共 400 项", "……另有", "⚠️ 2 条消息发送失败", "干部020号", "chat:telegram:-100999", "🔴 <b>固定资产投资</b>"} {
		if !strings.Contains(d, want) {
			t.Errorf("lacks %q", want)
		}
	}

	// Through Compose: each leader gets the parts, the admin the notice.
	msgs, unreachable := Compose(planbot.Reminder{Name: "d", Kind: planbot.ReminderDigest, To: []string{"role:leader", "role:admin"}}, s, at)
	if len(unreachable) != 0 {
		t.Error(unreachable)
	}
	text, _ := byChat(t, msgs)
	if len(text) != 11 || !strings.Contains(text[tg(1010)], "发送失败") || strings.Contains(text[tg(1000)], "发送失败") {
		t.Errorf("%d chats", len(text))
	}
}

func TestDigestNilPlan(t *testing.T) {
	if Digest(Snapshot{}, time.Time{}) != "" || AdminDigest(Snapshot{}, time.Time{}) != "" {
		t.Error("nil plan")
	}
	if FailureNotice(Snapshot{Failed: []planbot.OutboxMessage{{ChatID: tg(5)}}}) != "⚠️ 1 条消息发送失败（如对方屏蔽了机器人）：chat:telegram:5" {
		t.Error(FailureNotice(Snapshot{Failed: []planbot.OutboxMessage{{ChatID: tg(5)}}}))
	}
}

func BenchmarkDigest(b *testing.B) {
	s := bigSnapshot(b, 400, 150, 60000)
	at := time.Date(2027, 12, 20, 8, 30, 0, 0, shanghai)
	b.ReportAllocs()
	for b.Loop() {
		if Digest(s, at) == "" {
			b.Fatal("empty")
		}
	}
}

func BenchmarkComposeDigest(b *testing.B) {
	s := bigSnapshot(b, 400, 150, 60000)
	at := time.Date(2027, 12, 20, 8, 30, 0, 0, shanghai)
	r := planbot.Reminder{Name: "d", Kind: planbot.ReminderDigest, To: []string{"role:leader", "role:admin"}}
	b.ReportAllocs()
	for b.Loop() {
		Compose(r, s, at)
	}
}

func BenchmarkComposeEscalate(b *testing.B) {
	s := bigSnapshot(b, 400, 150, 60000)
	at := time.Date(2027, 12, 20, 10, 0, 0, 0, shanghai)
	r := planbot.Reminder{Name: "e", Kind: planbot.ReminderEscalate, WithinDays: 3, LeaderAfterDays: 3, PrincipalAfterDays: 10}
	b.ReportAllocs()
	for b.Loop() {
		Compose(r, s, at)
	}
}
