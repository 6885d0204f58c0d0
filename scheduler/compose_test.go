package scheduler

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"planbot"
	"planbot/config"
	"planbot/telegram/telegramtest"
)

// Chats of the example config's people: the private chats of their YAML
// telegram_id. sun_cun has only an invite code: unreachable until bound.
const (
	chatZhangShuji   planbot.ChatID = "telegram:100000001" // principal
	chatLiuZhenzhang planbot.ChatID = "telegram:100000002" // principal, leader of 2.3
	chatLiWeiyuan    planbot.ChatID = "telegram:100000003" // leader of section 1
	chatChenFuzhen   planbot.ChatID = "telegram:100000004" // leader of section 2
	chatZhouFuzhen   planbot.ChatID = "telegram:100000005" // leader of section 3 and of 4.3
	chatWuWeiyuan    planbot.ChatID = "telegram:100000006" // leader of section 4
	chatZhengDzb     planbot.ChatID = "telegram:100000007" // admin
	chatZhaoCun      planbot.ChatID = "telegram:100000008"
	chatQianCun      planbot.ChatID = "telegram:100000009"
	chatMaJingfa     planbot.ChatID = "telegram:100000010"
	chatXuNongye     planbot.ChatID = "telegram:100000011"
	chatLvAnquan     planbot.ChatID = "telegram:100000012"
	chatHanZongzhi   planbot.ChatID = "telegram:100000013"
)

// chatGroup is a Telegram group named in tests' To as "chat:" and its address.
const chatGroup planbot.ChatID = "telegram:-1001234"

// tg is Telegram chat n's address, as the Telegram adapter writes it.
func tg(n int64) planbot.ChatID { return planbot.NewChatID("telegram", strconv.FormatInt(n, 10)) }

// telegramLimit is the most text a Telegram message takes, in UTF-16
// units: the store's Enqueue splits there (storage.DefaultTextLimit), so
// the tests check the parts a Telegram chat is sent.
const telegramLimit = 4096

// queued is msgs as the store queues them for Telegram's chats: each split
// under telegramLimit, the buttons on the last part.
func queued(msgs []planbot.OutboxMessage) []planbot.OutboxMessage {
	var out []planbot.OutboxMessage
	for _, m := range msgs {
		out = append(out, planbot.SplitOutbox(m, telegramLimit)...)
	}
	return out
}

func examplePlan(t testing.TB) *planbot.Plan {
	t.Helper()
	cfg, err := config.Load("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Plan
}

// snapshot is the example plan with everyone's YAML account's chat.
func snapshot(t testing.TB, reports ...planbot.Report) Snapshot {
	t.Helper()
	p := examplePlan(t)
	s := Snapshot{Plan: p, Reports: map[string][]planbot.Report{}, Latest: map[string]planbot.Observation{}, ChatOf: map[string]planbot.ChatID{}}
	for _, x := range p.People {
		if c := x.Chat(); c != "" {
			s.ChatOf[x.Key] = c
		}
	}
	for i, r := range reports {
		if r.ID == 0 {
			r.ID = int64(i + 1)
		}
		s.Reports[r.ItemCode] = append(s.Reports[r.ItemCode], r)
	}
	return s
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at27 is a moment of 2027 in the plan's zone.
func at27(month time.Month, day, hour, min int) time.Time {
	return time.Date(2027, month, day, hour, min, 0, 0, shanghai)
}

func progress(code, who string, at time.Time, pct float64) planbot.Report {
	return planbot.Report{ItemCode: code, Reporter: who, At: at, Percent: &pct}
}

func done(code, who string, at time.Time) planbot.Report {
	return planbot.Report{ItemCode: code, Reporter: who, At: at, Done: true}
}

func reminder(t testing.TB, p *planbot.Plan, name string) planbot.Reminder {
	t.Helper()
	for _, r := range p.Reminders {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no reminder %s in the example", name)
	return planbot.Reminder{}
}

// byChat joins each chat's parts, as queued for Telegram, and checks every
// message on the way: HTML that Telegram's parser accepts, under the
// length limit, priority 0, plain text (no attachment), a keyboard of at
// most MaxButtons "r:" buttons one to a row and only on the last part,
// and one message per chat.
func byChat(t *testing.T, msgs []planbot.OutboxMessage) (map[planbot.ChatID]string, map[planbot.ChatID][]string) {
	t.Helper()
	text := map[planbot.ChatID]string{}
	buttons := map[planbot.ChatID][]string{}
	var order []planbot.ChatID
	for i, m := range queued(msgs) {
		checkPart(t, m.Text)
		if m.Priority != planbot.PriorityReminder || m.Job != "" || m.Method != "" || m.Attachment != planbot.AttachNone {
			t.Errorf("message %d: priority %d, job %q, method %q, attachment %q", i, m.Priority, m.Job, m.Method, m.Attachment)
		}
		if _, seen := text[m.ChatID]; seen && (len(order) == 0 || order[len(order)-1] != m.ChatID) {
			t.Errorf("chat %s gets two separate messages", m.ChatID)
		}
		if _, seen := buttons[m.ChatID]; seen {
			t.Errorf("chat %s: keyboard on a part that is not the last", m.ChatID)
		}
		if len(order) == 0 || order[len(order)-1] != m.ChatID {
			order = append(order, m.ChatID)
		}
		text[m.ChatID] += m.Text + "\n"
		if m.Buttons != nil {
			if len(m.Buttons) == 0 || len(m.Buttons) > MaxButtons {
				t.Errorf("chat %s: %d buttons", m.ChatID, len(m.Buttons))
			}
			var data []string
			for _, row := range m.Buttons {
				if len(row) != 1 {
					t.Errorf("chat %s: a row of %d buttons, want one to a row", m.ChatID, len(row))
				}
				for _, b := range row {
					if !strings.HasPrefix(b.Data, "r:") || len(b.Data) > planbot.MaxButtonData || b.Text == "" {
						t.Errorf("button %+v", b)
					}
					data = append(data, b.Data)
				}
			}
			buttons[m.ChatID] = data
		}
	}
	return text, buttons
}

func checkPart(t *testing.T, text string) {
	t.Helper()
	if n := planbot.UTF16Len(text); n > telegramLimit {
		t.Errorf("part of %d UTF-16 units", n)
	}
	if strings.TrimSpace(text) == "" {
		t.Error("empty part")
	}
	if _, _, err := telegramtest.ParseHTML(text); err != nil {
		t.Errorf("Telegram would refuse this HTML: %v\n%s", err, text)
	}
}

func chats(m map[planbot.ChatID]string) []planbot.ChatID {
	var out []planbot.ChatID
	for c := range m {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

func TestOverdueOneMessagePerOwnerMostOverdueFirst(t *testing.T) {
	s := snapshot(t,
		progress("2.3", "ma_jingfa", at27(3, 2, 10, 0), 30),
		done("1.5", "xu_nongye", at27(9, 29, 18, 0)), // done before its due: drops out
		progress("4.2", "lv_anquan", at27(8, 20, 9, 0), 70),
	)
	at := at27(10, 5, 9, 0) // Tuesday
	msgs, unreachable := Compose(reminder(t, s.Plan, "overdue_daily"), s, at)
	text, buttons := byChat(t, msgs)
	if len(unreachable) != 0 {
		t.Errorf("unreachable %v", unreachable)
	}
	// Overdue on Oct 5: 3.2 (due Apr 30), 2.3 (Jun 30), 2.5 and 4.2 (Sep 30).
	want := []planbot.ChatID{chatZhaoCun, chatMaJingfa, chatXuNongye, chatLvAnquan}
	if got := chats(text); !slices.Equal(got, want) {
		t.Fatalf("chats %v, want %v", got, want)
	}
	ma := text[chatMaJingfa]
	golden := `<b>⏰ 逾期提醒</b>（10月5日 周二）
马某某，您负责的 2 项工作已逾期：

🔴 <b>2.3</b> 协调推进XX项目开工建设
　逾期 97 天 · 进度 30% · 最近汇报 3月2日
🔴 <b>2.5</b> 对接XX项目，争取签约落地
　逾期 5 天 · 进度 0% · 暂无汇报

汇报进展，直接回复：<code>2.3 进度60% 说明</code>
或点下面的按钮逐步填写。
`
	if ma != golden {
		t.Errorf("马某某's message:\n%s\nwant:\n%s", ma, golden)
	}
	if !slices.Equal(buttons[chatMaJingfa], []string{"r:2.3", "r:2.5"}) {
		t.Errorf("buttons %v", buttons[chatMaJingfa])
	}
	if x := text[chatXuNongye]; !strings.Contains(x, "<b>3.2</b>") || strings.Contains(x, "<b>1.5</b>") {
		t.Errorf("许某某: 3.2 overdue, 1.5 done:\n%s", x)
	}
	if z := text[chatZhaoCun]; !strings.Contains(z, "<b>4.2</b>") || !strings.Contains(z, "最近汇报 8月20日") {
		t.Errorf("赵某某 co-owns 4.2:\n%s", z)
	}
}

func TestOverdueUnreachableOwner(t *testing.T) {
	s := snapshot(t)
	at := at27(11, 2, 9, 0) // 3.3 (赵、孙、许) due Oct 29
	r := reminder(t, s.Plan, "overdue_daily")
	msgs, unreachable := Compose(r, s, at)
	if !slices.Equal(unreachable, []string{"sun_cun"}) {
		t.Errorf("unreachable %v, want [sun_cun]", unreachable)
	}
	text, _ := byChat(t, msgs)
	if !strings.Contains(text[chatZhaoCun], "<b>3.3</b>") || !strings.Contains(text[chatXuNongye], "<b>3.3</b>") {
		t.Error("the reachable owners of 3.3 are not told")
	}

	// Once 孙某某 binds his account, he is reached like anyone.
	s.ChatOf["sun_cun"] = tg(555)
	msgs, unreachable = Compose(r, s, at)
	text, _ = byChat(t, msgs)
	if len(unreachable) != 0 || !strings.Contains(text[tg(555)], "<b>3.3</b>") {
		t.Errorf("bound: unreachable %v, text %q", unreachable, text[tg(555)])
	}
}

func TestDueSoonHorizon(t *testing.T) {
	// 1.5 (许某某 alone) is due Thu Sep 30; within_days is 3.
	tests := []struct {
		at   time.Time
		want bool
		text string
	}{
		{at27(9, 26, 9, 0), false, ""},        // 4 days: beyond the horizon
		{at27(9, 27, 9, 0), true, "（还有 3 天）"}, // exactly within_days
		{at27(9, 29, 9, 0), true, "明天到期"},     // 1 day
		{at27(9, 30, 23, 59), true, "今天到期"},   // due today, still on time
		{at27(10, 1, 0, 0), false, ""},        // overdue now: the overdue job's business
	}
	for _, tt := range tests {
		s := snapshot(t)
		r := reminder(t, s.Plan, "due_soon_check")
		if r.WithinDays != 3 {
			t.Fatalf("within_days %d", r.WithinDays)
		}
		msgs, _ := Compose(r, s, tt.at)
		text, buttons := byChat(t, msgs)
		x := text[chatXuNongye]
		if got := strings.Contains(x, "<b>1.5</b>"); got != tt.want {
			t.Errorf("%s: 1.5 listed %v, want %v:\n%s", tt.at, got, tt.want, x)
			continue
		}
		if tt.want && (!strings.Contains(x, tt.text) || !slices.Contains(buttons[chatXuNongye], "r:1.5")) {
			t.Errorf("%s: want %q and a button:\n%s", tt.at, tt.text, x)
		}
	}

	// Done items are not due.
	s := snapshot(t, done("1.5", "xu_nongye", at27(9, 20, 9, 0)))
	msgs, _ := Compose(reminder(t, s.Plan, "due_soon_check"), s, at27(9, 27, 9, 0))
	text, _ := byChat(t, msgs)
	if strings.Contains(text[chatXuNongye], "<b>1.5</b>") {
		t.Error("a done item is reminded as due soon")
	}
}

// itemIn reports which chats' messages list item code.
func itemIn(text map[planbot.ChatID]string, code string) []planbot.ChatID {
	var out []planbot.ChatID
	for _, c := range chats(text) {
		if strings.Contains(text[c], "<b>"+code+"</b>") {
			out = append(out, c)
		}
	}
	return out
}

func TestEscalationLadder(t *testing.T) {
	// 2.5: owner 马某某, leader 陈某某 (section 2), due Thu Sep 30. The
	// ladder: within 3 days → owner; overdue ≥ 3 → + leader; ≥ 10 → +
	// principals 张某某 and 刘某某.
	base := []planbot.Report{
		done("2.3", "ma_jingfa", at27(6, 1, 9, 0)), // keep 2.3 off the ladder
		done("3.2", "xu_nongye", at27(4, 1, 9, 0)),
		// On pace before its due day: a never-reported 2.5 would be on
		// the yellow step already (behind pace), see ladder12_test.go.
		progress("2.5", "ma_jingfa", at27(9, 20, 9, 0), 95),
	}
	owner := []planbot.ChatID{chatMaJingfa}
	leader := []planbot.ChatID{chatChenFuzhen, chatMaJingfa}
	all := []planbot.ChatID{chatZhangShuji, chatLiuZhenzhang, chatChenFuzhen, chatMaJingfa}
	tests := []struct {
		name  string
		at    time.Time
		extra []planbot.Report
		want  []planbot.ChatID
		mark  string
	}{
		{"4 days before: nothing yet", at27(9, 26, 10, 0), nil, nil, ""},
		{"3 days before: blue, owner", at27(9, 27, 10, 0), nil, owner, "🔵"},
		{"due today: blue", at27(9, 30, 10, 0), nil, owner, "🔵"},
		{"overdue 2 days: still the owner only", at27(10, 2, 10, 0), nil, owner, "🔵"},
		{"overdue 3 days = leader_after_days: leader too", at27(10, 3, 10, 0), nil, leader, "🟡"},
		{"overdue 9 days: no principal yet", at27(10, 9, 10, 0), nil, leader, "🟡"},
		{"overdue 10 days = principal_after_days: principals too", at27(10, 10, 10, 0), nil, all, "🔴"},
		{"reported done: drops out", at27(10, 12, 10, 0), []planbot.Report{done("2.5", "ma_jingfa", at27(10, 11, 17, 0))}, nil, ""},
		{"done reported after the scheduled time (caught-up run): drops out", at27(10, 12, 10, 0),
			[]planbot.Report{done("2.5", "ma_jingfa", at27(10, 12, 11, 0))}, nil, ""},
		{"a correction back below 100%: back on the ladder", at27(10, 12, 10, 0), []planbot.Report{
			{ID: 50, ItemCode: "2.5", Reporter: "ma_jingfa", At: at27(10, 11, 17, 0), Done: true},
			{ID: 51, ItemCode: "2.5", Reporter: "ma_jingfa", At: at27(10, 11, 18, 0), Percent: new(90.0), Supersedes: 50},
		}, all, "🔴"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := snapshot(t, append(slices.Clone(base), tt.extra...)...)
			r := reminder(t, s.Plan, "escalate_ladder")
			msgs, _ := Compose(r, s, tt.at)
			text, buttons := byChat(t, msgs)
			got := itemIn(text, "2.5")
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("2.5 reaches %v, want %v", got, want)
			}
			if tt.mark == "" {
				return
			}
			ma := text[chatMaJingfa]
			if i, j := strings.Index(ma, tt.mark), strings.Index(ma, "<b>2.5</b>"); i < 0 || i > j {
				t.Errorf("2.5 not under %s:\n%s", tt.mark, ma)
			}
			if !slices.Contains(buttons[chatMaJingfa], "r:2.5") {
				t.Error("the owner gets no button")
			}
			for _, c := range want {
				if c != chatMaJingfa && (!strings.Contains(text[c], "马某某") || len(buttons[c]) != 0) {
					t.Errorf("chat %s: a leader's message names the owner and offers no report button:\n%s", c, text[c])
				}
			}
		})
	}
}

func TestEscalateAtRiskIsYellow(t *testing.T) {
	// 2.1 is 50% due by Jun 30; 5% in mid-July is far behind.
	s := snapshot(t, progress("2.1", "ma_jingfa", at27(7, 10, 9, 0), 5))
	msgs, _ := Compose(reminder(t, s.Plan, "escalate_ladder"), s, at27(7, 14, 10, 0))
	text, _ := byChat(t, msgs)
	if got := itemIn(text, "2.1"); !slices.Equal(got, []planbot.ChatID{chatChenFuzhen, chatMaJingfa}) {
		t.Errorf("2.1 at risk reaches %v", got)
	}
	if x := text[chatChenFuzhen]; !strings.Contains(x, "🟡") || !strings.Contains(x, "有风险") {
		t.Errorf("leader's message:\n%s", x)
	}
}

func TestDedupOwnerWhoIsLeader(t *testing.T) {
	s := snapshot(t)
	// 陈某某 leads section 2 and also takes 2.5 on himself.
	for i := range s.Plan.Items {
		if s.Plan.Items[i].Code == "2.5" {
			s.Plan.Items[i].Owners = append(s.Plan.Items[i].Owners, "chen_fuzhen")
		}
	}
	at := at27(10, 5, 10, 0) // 2.5 overdue 5 days: yellow, owners and leader
	msgs, _ := Compose(reminder(t, s.Plan, "escalate_ladder"), s, at)
	text, buttons := byChat(t, msgs)
	chen := text[chatChenFuzhen]
	if strings.Count(chen, "<b>2.5</b>") != 1 {
		t.Errorf("2.5 listed %d times for 陈某某:\n%s", strings.Count(chen, "<b>2.5</b>"), chen)
	}
	if !slices.Contains(buttons[chatChenFuzhen], "r:2.5") {
		t.Error("陈某某 owns 2.5 and should get its button")
	}

	// The same person through owners, leader, a role and by key: one message.
	r := planbot.Reminder{Name: "x", Kind: planbot.ReminderOverdue, To: []string{"owners", "leader", "role:leader", "chen_fuzhen"}}
	msgs, _ = Compose(r, s, at)
	n := 0
	for _, m := range msgs {
		if m.ChatID == chatChenFuzhen {
			n++
		}
	}
	if n != 1 {
		t.Errorf("陈某某 gets %d messages", n)
	}
	text, _ = byChat(t, msgs)
	if strings.Count(text[chatChenFuzhen], "<b>2.5</b>") != 1 {
		t.Errorf("2.5 twice:\n%s", text[chatChenFuzhen])
	}
}

func TestRoleAndChatRecipients(t *testing.T) {
	s := snapshot(t, done("3.2", "xu_nongye", at27(4, 1, 9, 0)), done("1.5", "xu_nongye", at27(9, 1, 9, 0)))
	at := at27(10, 5, 9, 0) // overdue: 2.3 (97 days), 2.5 and 4.2 (5 days)
	r := planbot.Reminder{Name: "x", Kind: planbot.ReminderOverdue, To: []string{"role:admin", "chat:" + string(chatGroup)}}
	msgs, unreachable := Compose(r, s, at)
	text, buttons := byChat(t, msgs)
	if got := chats(text); !slices.Equal(got, []planbot.ChatID{chatGroup, chatZhengDzb}) {
		t.Fatalf("chats %v: only the admin and the group", got)
	}
	if len(unreachable) != 0 {
		t.Errorf("unreachable %v", unreachable)
	}
	for _, c := range []planbot.ChatID{chatGroup, chatZhengDzb} {
		x := text[c]
		for _, want := range []string{"<b>2.3</b>", "<b>2.5</b>", "<b>4.2</b>", "马某某", "吕某某、赵某某", "3 项工作已逾期"} {
			if !strings.Contains(x, want) {
				t.Errorf("chat %s lacks %q:\n%s", c, want, x)
			}
		}
		if len(buttons[c]) != 0 || strings.Contains(x, "汇报进展") {
			t.Errorf("chat %s owns nothing: no buttons, no how-to", c)
		}
	}

	// escalate: chat: receives the red list only.
	r = reminder(t, s.Plan, "escalate_ladder")
	r.To = append(r.To, "chat:"+string(chatGroup))
	msgs, _ = Compose(r, s, at)
	text, _ = byChat(t, msgs)
	g := text[chatGroup]
	if !strings.Contains(g, "<b>2.3</b>") || strings.Contains(g, "<b>2.5</b>") || strings.Contains(g, "<b>4.2</b>") {
		t.Errorf("group should see only the red 2.3:\n%s", g)
	}

	// A person key that is not in the plan and has no chat is unreachable.
	r = planbot.Reminder{Name: "x", Kind: planbot.ReminderOverdue, To: []string{"nobody"}}
	if _, un := Compose(r, s, at); !slices.Equal(un, []string{"nobody"}) {
		t.Errorf("unreachable %v", un)
	}
}

func TestReportRequestSinceBoundary(t *testing.T) {
	// 吕某某 owns 4.1 and 4.2, both open. The nudge runs Thursday 16:00,
	// since Monday.
	thu := at27(9, 16, 16, 0)
	if thu.Weekday() != time.Thursday {
		t.Fatal(thu.Weekday())
	}
	mon0 := at27(9, 13, 0, 0)
	tests := []struct {
		name   string
		at     time.Time
		report planbot.Report
		nudged bool
	}{
		{"nothing at all", thu, planbot.Report{}, true},
		{"reported Monday 00:00 exactly", thu, progress("4.1", "lv_anquan", mon0, 60), false},
		{"reported Sunday 23:59:59", thu, progress("4.1", "lv_anquan", mon0.Add(-time.Second), 60), true},
		{"reported for him by someone else", thu, planbot.Report{ItemCode: "4.2", Reporter: "zheng_dzb", OnBehalfOf: "lv_anquan", At: at27(9, 14, 9, 0), Note: "代报"}, false},
		{"a withdrawal is not a report", thu, planbot.Report{ItemCode: "4.2", Reporter: "lv_anquan", At: at27(9, 14, 9, 0), Supersedes: 99, Withdrawn: true}, true},
		{"a co-owner's report is not his", thu, progress("4.2", "zhao_cun", at27(9, 14, 9, 0), 50), true},
		{"reported after the scheduled time (caught up late)", thu, progress("4.1", "lv_anquan", thu.Add(time.Hour), 60), false},
		// Run on the Since weekday itself: the previous Monday, a week back.
		{"Monday run: last week's Monday counts", at27(9, 13, 16, 0), progress("4.1", "lv_anquan", at27(9, 6, 0, 0), 60), false},
		{"Monday run: this Monday's morning counts too", at27(9, 13, 16, 0), progress("4.1", "lv_anquan", at27(9, 13, 9, 0), 60), false},
		{"Monday run: before last Monday does not", at27(9, 13, 16, 0), progress("4.1", "lv_anquan", at27(9, 5, 23, 0), 60), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rs []planbot.Report
			if tt.report.ItemCode != "" {
				rs = append(rs, tt.report)
			}
			s := snapshot(t, rs...)
			r := reminder(t, s.Plan, "thursday_report_nudge")
			if r.Since != time.Monday {
				t.Fatal(r.Since)
			}
			msgs, unreachable := Compose(r, s, tt.at)
			text, buttons := byChat(t, msgs)
			x, got := text[chatLvAnquan]
			if got != tt.nudged {
				t.Fatalf("nudged %v, want %v:\n%s", got, tt.nudged, x)
			}
			if !slices.Contains(unreachable, "sun_cun") {
				t.Errorf("孙某某 has open items, no report and no chat: unreachable %v", unreachable)
			}
			if !got {
				return
			}
			if !slices.Equal(buttons[chatLvAnquan], []string{"r:4.2", "r:4.1"}) && !slices.Equal(buttons[chatLvAnquan], []string{"r:4.1", "r:4.2"}) {
				t.Errorf("buttons %v", buttons[chatLvAnquan])
			}
			since := "9月13日 周一"
			if tt.at.Weekday() == time.Monday {
				since = "9月6日 周一"
			}
			if !strings.Contains(x, "自 "+since+" 以来") {
				t.Errorf("want since %s:\n%s", since, x)
			}
		})
	}
}

func TestReportRequestNotStartedOrDone(t *testing.T) {
	// 3.5 starts Apr 1: before that 许某某 is not asked about it; a done
	// item is never asked about.
	s := snapshot(t, done("3.2", "xu_nongye", at27(3, 1, 9, 0)))
	msgs, _ := Compose(reminder(t, s.Plan, "thursday_report_nudge"), s, at27(3, 18, 16, 0))
	text, _ := byChat(t, msgs)
	x := text[chatXuNongye]
	if strings.Contains(x, "<b>3.5</b>") || strings.Contains(x, "<b>3.2</b>") || !strings.Contains(x, "<b>3.1</b>") {
		t.Errorf("许某某:\n%s", x)
	}
}

func TestReportRequestToLeaders(t *testing.T) {
	s := snapshot(t, progress("4.1", "lv_anquan", at27(9, 14, 9, 0), 60))
	r := reminder(t, s.Plan, "thursday_report_nudge")
	r.To = []string{"leader"}
	msgs, _ := Compose(r, s, at27(9, 16, 16, 0))
	text, buttons := byChat(t, msgs)
	if _, ok := text[chatLvAnquan]; ok {
		t.Error("owners are not in To")
	}
	wu := text[chatWuWeiyuan] // section 4
	if strings.Contains(wu, "吕某某") || !strings.Contains(wu, "韩某某（综治中心）：4.4、4.5") || len(buttons[chatWuWeiyuan]) != 0 {
		t.Errorf("section 4's leader:\n%s", wu)
	}
}

func TestEscaping(t *testing.T) {
	s := snapshot(t)
	for i := range s.Plan.Items {
		if s.Plan.Items[i].Code == "2.5" {
			s.Plan.Items[i].Title = "<script>&alert(1)</script>"
		}
	}
	for i := range s.Plan.People {
		if s.Plan.People[i].Key == "ma_jingfa" {
			s.Plan.People[i].Name = "马<b>&amp"
		}
	}
	at := at27(10, 12, 10, 0)
	for _, r := range s.Plan.Reminders {
		msgs, _ := Compose(r, s, at)
		text, _ := byChat(t, msgs) // checks the HTML parses
		for c, x := range text {
			if strings.Contains(x, "<script>") || strings.Contains(x, "马<b>") {
				t.Errorf("%s to %s: unescaped user text:\n%s", r.Name, c, x)
			}
		}
	}
	msgs, _ := Compose(reminder(t, s.Plan, "overdue_daily"), s, at)
	text, _ := byChat(t, msgs)
	if x := text[chatMaJingfa]; !strings.Contains(x, "&lt;script&gt;&amp;alert(1)") || !strings.Contains(x, "马&lt;b&gt;&amp;amp") {
		t.Errorf("escaped title and name missing:\n%s", x)
	}
}

func TestComposeNilPlanAndUnknownKind(t *testing.T) {
	if msgs, un := Compose(planbot.Reminder{Kind: planbot.ReminderOverdue}, Snapshot{}, at27(1, 5, 9, 0)); msgs != nil || un != nil {
		t.Error("nil plan")
	}
	s := snapshot(t)
	if msgs, _ := Compose(planbot.Reminder{Kind: "nope"}, s, at27(10, 5, 9, 0)); msgs != nil {
		t.Error("unknown kind sends")
	}
}

func TestSinceWeekday(t *testing.T) {
	s := snapshot(t)
	tests := []struct {
		at   time.Time
		wd   time.Weekday
		want time.Time
	}{
		{at27(9, 16, 16, 0), time.Monday, at27(9, 13, 0, 0)},  // Thu → this Monday
		{at27(9, 13, 16, 0), time.Monday, at27(9, 6, 0, 0)},   // Mon → last Monday
		{at27(9, 13, 0, 0), time.Monday, at27(9, 6, 0, 0)},    // Mon 00:00 → last Monday
		{at27(9, 14, 0, 0), time.Monday, at27(9, 13, 0, 0)},   // Tue 00:00 → yesterday
		{at27(9, 16, 16, 0), time.Thursday, at27(9, 9, 0, 0)}, // on the weekday: a week back
		{at27(9, 16, 16, 0), time.Sunday, at27(9, 12, 0, 0)},
		// An instant given in another zone is read in the plan's zone:
		// Sun 20:00 UTC is already Monday in Shanghai.
		{time.Date(2027, 9, 12, 20, 0, 0, 0, time.UTC), time.Monday, at27(9, 6, 0, 0)},
	}
	for _, tt := range tests {
		if got := newJob(s, tt.at).sinceWeekday(tt.wd); !got.Equal(tt.want) {
			t.Errorf("%s since %s: %s, want %s", tt.at, tt.wd, got, tt.want)
		}
	}
}

func TestOverdueManyItemsSplitsWithKeyboardLast(t *testing.T) {
	s := bigSnapshot(t, 400, 150, 0)
	// Give one person a hundred items, most of them overdue.
	for i := 0; i < 100; i++ {
		s.Plan.Items[i].Owners = []string{"p000"}
	}
	at := time.Date(2027, 12, 20, 9, 0, 0, 0, s.Plan.Location)
	msgs, _ := Compose(planbot.Reminder{Name: "o", Kind: planbot.ReminderOverdue}, s, at)
	parts := 0
	for _, m := range queued(msgs) {
		if m.ChatID == s.ChatOf["p000"] {
			parts++
		}
	}
	// The list is cut at ListMax, worst first, with the count of the
	// rest: one message, not a hundred items over several.
	if parts != 1 {
		t.Errorf("a hundred items in %d part(s)", parts)
	}
	if text, _ := byChat(t, msgs); !strings.Contains(text[s.ChatOf["p000"]], "另有 ") {
		t.Errorf("no count of the rest:\n%s", text[s.ChatOf["p000"]])
	}
	_, buttons := byChat(t, msgs)
	if n := len(buttons[s.ChatOf["p000"]]); n != MaxButtons {
		t.Errorf("%d buttons", n)
	}
}
