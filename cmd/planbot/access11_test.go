package main

// Issue 11, access (defects 1, 2 and 4), end to end: the real tgbotapi
// client against the fake Bot API, the bot's own poll loop and sender on a
// SQLite file. Each test plays the users and the admin and asserts what
// each of them sees and what the database holds.

import (
	"context"
	"database/sql"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"planbot/bot"
	"planbot/telegram/telegramtest"
)

// editConfig replaces old by new in the test's config file (the admin
// editing the YAML before /reload).
func (h *e2e) editConfig(old, new string) {
	h.t.Helper()
	data, err := os.ReadFile(h.cfgPath)
	if err != nil {
		h.t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		h.t.Fatalf("the config has no %q", old)
	}
	if err := os.WriteFile(h.cfgPath, []byte(strings.Replace(string(data), old, new, 1)), 0o600); err != nil {
		h.t.Fatal(err)
	}
}

// sunReports counts 1.3's reports sent as sun_cun.
func (h *e2e) sunReports() int {
	h.t.Helper()
	n := 0
	for _, r := range h.reports("1.3") {
		if r.Reporter == "sun_cun" {
			n++
		}
	}
	return n
}

// Defect 1: a stranger who used sun_cun's invite is sun_cun no more once
// the admin writes sun_cun's real telegram_id in the YAML and reloads; the
// real sun_cun is; `planbot people` shows the impostor's account as void.
func TestAccess11ImpostorVoidedWhenTelegramIDWritten(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()

	wants(t, "the impostor's binding", one(t, h.say(uStranger, "/start "+sunInvite)).Text, "绑定成功", "孙某某")
	wants(t, "the impostor's report", one(t, h.say(uStranger, "1.3 新增入股农户12户")).Text, "✅")
	if n := h.sunReports(); n != 1 {
		t.Fatalf("the impostor's report as sun_cun: %d rows, want 1", n)
	}

	h.editConfig("invite: NL7Q4K9M2X", "telegram_id: 700000001")
	wants(t, "/reload", one(t, h.say(uZheng, "/reload")).Text, "✅ 配置已重载")

	wants(t, "the impostor after the reload", one(t, h.say(uStranger, "/mine")).Text, "还不是本系统的登记用户", "555000111")
	if calls := h.say(uStranger, "1.3 新增入股农户30户"); len(calls) != 0 {
		t.Errorf("the impostor's second message was answered (one refusal an hour): %s", telegramtest.Describe(calls))
	}
	if n := h.sunReports(); n != 1 {
		t.Errorf("after the reload the impostor still reports as sun_cun: %d rows, want 1", n)
	}
	if key, ok, err := h.db.Binding(h.ctx, tgAccount(uStranger.ID)); err != nil || ok {
		t.Errorf("the impostor's binding still authorises: %q %v %v", key, ok, err)
	}
	wants(t, "the real sun_cun", one(t, h.say(uSun, "/mine")).Text, "孙某某")
	wants(t, "the real sun_cun's report", one(t, h.say(uSun, "1.3 新增入股农户20户")).Text, "✅")
	if n := h.sunReports(); n != 2 {
		t.Errorf("sun_cun's reports: %d, want the impostor's and his own", n)
	}

	h.inst.stop()
	h.db.Close()
	h.db = nil
	r := runCmd(t, "people", "-config", h.cfgPath)
	if r.code != exitOK {
		t.Fatalf("people = %d\n%s", r.code, r.stderr)
	}
	for _, re := range []string{
		`(?m)^sun_cun +孙某某 +干部 +南岭村 +700000001（配置中） ⚠️ 有作废的绑定`,
		`(?m)^sun_cun +孙某某 +555000111 +\d{4}-\d\d-\d\d \d\d:\d\d +作废：配置已写入 telegram_id`,
		`1 个账号的绑定已作废`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("planbot people does not show %s:\n%s", re, r.stdout)
		}
	}
}

// Defect 1, the other change of identity: a new invite code for sun_cun
// voids the old binding; the new code binds the real sun_cun, and `planbot
// people` lists both accounts.
func TestAccess11ImpostorVoidedWhenInviteChanged(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()
	wants(t, "the impostor's binding", one(t, h.say(uStranger, "/start "+sunInvite)).Text, "绑定成功")

	h.editConfig("invite: NL7Q4K9M2X", "invite: R8T5W2Z6Q3")
	wants(t, "/reload", one(t, h.say(uZheng, "/reload")).Text, "✅ 配置已重载")
	wants(t, "the impostor after the reload", one(t, h.say(uStranger, "/mine")).Text, "还不是本系统的登记用户")
	wants(t, "sun_cun's new code", one(t, h.say(uSun, "/start R8T5W2Z6Q3")).Text, "绑定成功", "孙某某")
	wants(t, "the real sun_cun", one(t, h.say(uSun, "/mine")).Text, "孙某某")

	h.inst.stop()
	h.db.Close()
	h.db = nil
	r := runCmd(t, "people", "-config", h.cfgPath)
	for _, re := range []string{
		`(?m)^sun_cun +孙某某 +干部 +南岭村 +700000001（已用邀请码绑定） ⚠️ 有作废的绑定`,
		`(?m)^sun_cun +孙某某 +555000111 +\S+ \S+ +作废：邀请码已更换`,
		`(?m)^sun_cun +孙某某 +700000001 +\S+ \S+ +有效`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("planbot people does not show %s:\n%s", re, r.stdout)
		}
	}
}

// Defect 2: an invite code posted in a group is spent there, whoever posts
// it; the group is told; nobody binds with it privately afterwards.
func TestAccess11InviteExposedInGroup(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()
	group := telegramtest.SupergroupChat(-1001234567890, "镇干部群")

	r := one(t, h.sayIn(uStranger, group, "/start "+sunInvite))
	wants(t, "the group", r.Text, "邀请码在群里公开了，现已作废", "党政办")
	if r.ChatID != group.ID {
		t.Errorf("the notice went to chat %d", r.ChatID)
	}
	member := telegramtest.User{ID: 555000222, FirstName: "Mallory"}
	wants(t, "another member, privately", one(t, h.say(member, "/start "+sunInvite)).Text, "已作废")
	wants(t, "sun_cun himself", one(t, h.say(uSun, "/start "+sunInvite)).Text, "已作废")
	for _, u := range []int64{member.ID, uSun.ID, uStranger.ID} {
		if key, ok, err := h.db.Binding(h.ctx, tgAccount(u)); err != nil || ok {
			t.Errorf("user %d bound to %q with the exposed code (%v)", u, key, err)
		}
	}
	var how string
	var by string
	if err := sqlDB(t, h.path).QueryRow(`SELECT how, user_id FROM spent_invites WHERE invite = ?`, sunInvite).Scan(&how, &by); err != nil || how != "exposed" || by != string(tgAccount(uStranger.ID)) {
		t.Errorf("spent_invites: %q by %q (%v), want exposed by the poster", how, by, err)
	}
	if !h.audited(uStranger.ID, "invite_exposed") {
		t.Error("the exposure left no audit row")
	}

	// A registered cadre writing the code in plain chatter spends it too
	// (the admin's new code, after a reload).
	h.editConfig("invite: NL7Q4K9M2X", "invite: R8T5W2Z6Q3")
	wants(t, "/reload", one(t, h.say(uZheng, "/reload")).Text, "✅ 配置已重载")
	wants(t, "chatter with a code", one(t, h.sayIn(uMa, group, "孙书记，你的新邀请码是 r8t5w2z6q3")).Text, "已作废")
	wants(t, "sun_cun with the new code", one(t, h.say(uSun, "/start R8T5W2Z6Q3")).Text, "已作废")
}

func sqlDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Defect 2: guessing. 100 wrong codes and then the right one: five wrong
// answers, one "wait an hour", silence after, and no binding.
func TestAccess11InviteGuessing(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()
	var texts []string
	for i := range 100 {
		for _, c := range h.say(uStranger, "/start GUESS"+strings.Repeat("X", i%7)+string(rune('A'+i%26))+"00") {
			texts = append(texts, c.Text)
		}
	}
	for _, c := range h.say(uStranger, "/start "+sunInvite) {
		texts = append(texts, c.Text)
	}
	if len(texts) != 6 {
		t.Fatalf("%d replies to 101 guesses, want 5 wrong-code answers and one lock-out:\n%s", len(texts), strings.Join(texts, "\n"))
	}
	for i, text := range texts[:5] {
		wants(t, "wrong code", text, "邀请码不正确")
		if i < 4 && !strings.Contains(text, "还可再试") {
			t.Errorf("wrong code %d does not say how many tries are left: %s", i+1, text)
		}
	}
	wants(t, "lock-out", texts[5], "错误次数太多", "1 小时后再试")
	if key, ok, err := h.db.Binding(h.ctx, tgAccount(uStranger.ID)); err != nil || ok {
		t.Errorf("the guesser was bound to %q (%v)", key, err)
	}
	var bad, locked int
	db := sqlDB(t, h.path)
	db.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE user_id = ? AND action = 'bad_invite'`, tgAccount(uStranger.ID)).Scan(&bad)
	db.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE user_id = ? AND action = 'invite_locked'`, tgAccount(uStranger.ID)).Scan(&locked)
	if bad != 5 || locked != 96 {
		t.Errorf("audit: %d bad_invite, %d invite_locked; want 5 and 96", bad, locked)
	}
	var spent int
	db.QueryRow(`SELECT COUNT(*) FROM spent_invites`).Scan(&spent)
	if spent != 0 {
		t.Errorf("%d invites spent by the guesser", spent)
	}
}

// The lock-out ends an hour after the wrong codes (the clock moves here,
// which the end-to-end harness's fixed clock does not).
func TestAccess11InviteLockExpires(t *testing.T) {
	t.Parallel()
	w := newAccessWorld(t)
	db, _ := w.fresh(t)
	defer db.Close()
	now := accessNow
	b := bot.New(bot.Config{Plan: w.plan, Now: func() time.Time { return now }})
	send := func(text string) string {
		t.Helper()
		m := bot.Message{ChatID: tgChat(accessStrangerID), Chat: bot.ChatPrivate, UserID: tgAccount(accessStrangerID), Text: text, At: now}
		replies, err := accessHandle(context.Background(), db, b, m)
		if err != nil {
			t.Fatal(err)
		}
		var sb strings.Builder
		for _, r := range replies {
			sb.WriteString(r.Text)
		}
		return sb.String()
	}
	for range 5 {
		send("/start WRONG12345")
		now = now.Add(time.Minute)
	}
	if got := send("/start " + accessInvite); !strings.Contains(got, "错误次数太多") {
		t.Fatalf("the right code while locked: %q", got)
	}
	now = accessNow.Add(time.Hour + time.Minute)
	if got := send("/start " + accessInvite); !strings.Contains(got, "绑定成功") {
		t.Errorf("the right code an hour later: %q", got)
	}
}

// Defect 4: in a group the bot answers what is addressed to it and
// nothing else; a report addressed to it gets a hint; in private a
// sentence that starts with a command word is not that command.
func TestAccess11GroupAddressing(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()
	group := telegramtest.SupergroupChat(-1001234567890, "镇干部群")
	me := h.srv.BotUser().Username
	before := len(h.reports("2.3"))

	for _, text := range []string{"/help@some_other_bot", "/mine@SomeOtherBot", "/start@SomeOtherBot " + sunInvite[:3],
		"计划 下周再讨论吧", "完成", "我的", "汇报 2.3 60%", "@" + me + " 谢谢"} {
		if calls := h.sayIn(uMa, group, text); len(calls) != 0 {
			t.Errorf("%q in the group was answered: %s", text, telegramtest.Describe(calls))
		}
	}
	if calls := h.sayIn(uStranger, group, "/help@some_other_bot"); len(calls) != 0 {
		t.Errorf("a stranger's command to another bot was answered: %s", telegramtest.Describe(calls))
	}
	if h.audited(uStranger.ID, "refused") {
		t.Error("a command to another bot was audited as a refusal")
	}

	mine := one(t, h.sayIn(uMa, group, "/mine@"+me))
	wants(t, "/mine@ThisBot", mine.Text, "马某某的事项")
	wants(t, "/overdue@THISBOT", one(t, h.sayIn(uMa, group, "/overdue@"+strings.ToUpper(me))).Text, "您名下没有逾期事项")
	wants(t, "bare /overdue", one(t, h.sayIn(uMa, group, "/overdue")).Text, "您名下没有逾期事项")

	hint := "群里的汇报不记录。请私聊 @" + me
	r := one(t, h.do(func() int { return h.srv.ReplyText(uMa, group, mine.MessageID, "2.3 进度70% 已签约") }))
	wants(t, "a report replying to the bot", r.Text, hint)
	if strings.Count(r.Text, "\n") != 0 {
		t.Errorf("the hint is more than one line: %q", r.Text)
	}
	wants(t, "a report mentioning the bot", one(t, h.sayIn(uMa, group, "@"+me+" 2.3 进度70%")).Text, hint)
	if n := len(h.reports("2.3")); n != before {
		t.Errorf("a report in the group was recorded: %d rows, want %d", n, before)
	}
	// A stranger addressing the bot is told how to register, once.
	wants(t, "a stranger's reply to the bot", one(t, h.do(func() int {
		return h.srv.ReplyText(uStranger, group, mine.MessageID, "2.3 进度70%")
	})).Text, "请私聊本机器人了解如何登记")

	// In private, a sentence starting with a command word is not the
	// command; the command word with its arguments is.
	if r := one(t, h.say(uMa, "计划 下周再讨论吧")); strings.Contains(r.Text, "年度工作计划") {
		t.Errorf("计划 下周再讨论吧 ran /plan:\n%s", r.Text)
	}
	wants(t, "计划 2", one(t, h.say(uMa, "计划 2")).Text, "【2】")
	wants(t, "我的", one(t, h.say(uMa, "我的")).Text, "马某某的事项")
	if r := one(t, h.say(uMa, "我的 电脑坏了")); strings.Contains(r.Text, "马某某的事项") {
		t.Errorf("我的 电脑坏了 ran /mine:\n%s", r.Text)
	}
	wants(t, "汇报 2.3 60%", one(t, h.say(uMa, "汇报 2.3 60%")).Text, "✅ 已记录 <b>2.3</b>")
	if n := len(h.reports("2.3")); n != before+1 {
		t.Errorf("2.3 has %d reports, want %d", n, before+1)
	}
}
