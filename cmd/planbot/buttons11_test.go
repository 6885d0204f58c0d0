package main

// Issue 11, defects 3 and 10, over the real Telegram client against the
// fake Bot API: a press on someone else's button in a group, and the undo
// window and /undo of late figures.

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"planbot"
	"planbot/telegram/telegramtest"
)

// pressIn presses a button carrying data on message msgID in chat.
func (h *e2e) pressIn(u telegramtest.User, chat telegramtest.Chat, msgID int, data string) []telegramtest.Call {
	h.t.Helper()
	return h.do(func() int { return h.srv.PressButton(u, chat, msgID, data) })
}

// pressTextIn presses the button labelled label on message msgID in chat.
func (h *e2e) pressTextIn(u telegramtest.User, chat telegramtest.Chat, msgID int, label string) []telegramtest.Call {
	h.t.Helper()
	return h.do(func() int { return h.srv.PressButtonText(u, chat, msgID, label) })
}

// onlyToast fails unless calls are one answerCallbackQuery saying toast
// and nothing else: no edit of the shared message, no new message.
func onlyToast(tb testing.TB, what string, calls []telegramtest.Call, toast string) {
	tb.Helper()
	if len(calls) != 1 || calls[0].Method != "answerCallbackQuery" || calls[0].Text != toast {
		tb.Errorf("%s: want only the toast %q, got:\n%s", what, toast, telegramtest.Describe(calls))
	}
}

// unchanged fails if the bot edited message id in chat since it was sent,
// or its keyboard lost the button labelled label.
func (h *e2e) unchanged(what string, chat telegramtest.Chat, id int, label string) {
	h.t.Helper()
	m, ok := h.srv.Message(chat.ID, id)
	if !ok {
		h.t.Fatalf("%s: no message %d in chat %d", what, id, chat.ID)
	}
	if m.Edits != 0 {
		h.t.Errorf("%s: the shared message was edited %d times; it reads %q", what, m.Edits, m.Plain)
	}
	if _, ok := m.Markup.Find(label); !ok {
		h.t.Errorf("%s: the shared message lost its button %q: %v", what, label, m.Markup.Buttons())
	}
}

// Defect 3: in a group, a press on a button of a message that answered
// someone else is answered with a toast naming whose it is; the message
// stays as it was, the report still counts, the question stays open. The
// owner's own presses work as before.
func TestButtons11OthersPressesOnlyToast(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()
	group := telegramtest.GroupChat(-4011, "镇工作群")

	// ma_jingfa's report, echoed in the group with its undo button.
	echo := one(t, h.sayIn(uMa, group, "/report 2.3 进度60% 已签约"))
	wants(t, "echo", echo.Text, "✅ 已记录 <b>2.3</b>")
	if echo.ChatID != group.ID {
		t.Fatalf("echo went to chat %d", echo.ChatID)
	}
	undo := button(t, echo, "撤回这条")
	// Another cadre, the section's leader and the admin: buttons belong to
	// the person the message answered, whoever presses.
	for _, u := range []telegramtest.User{uXu, uChen, uZheng} {
		onlyToast(t, u.FirstName+" on ma's undo", h.pressIn(u, group, echo.MessageID, undo), "这是马某某的汇报，只有本人可以撤回。")
	}
	h.unchanged("ma's echo", group, echo.MessageID, "撤回这条")
	if rs := h.reports("2.3"); len(rs) != 1 || len(planbot.Effective(rs)) != 1 {
		t.Fatalf("2.3 after others pressed undo: %+v", rs)
	}

	// ma's /report question: item, then percent.
	ask := one(t, h.sayIn(uMa, group, "/report"))
	wants(t, "walk", ask.Text, "汇报哪个事项？")
	item := "2.3 协调推进XX项目开工建设"
	onlyToast(t, "xu on ma's question", h.pressTextIn(uXu, group, ask.MessageID, item), "这是马某某的问题，只有本人可以回答。")
	h.unchanged("ma's question", group, ask.MessageID, item)
	if p, ok, err := h.db.PendingFor(h.ctx, tgChat(group.ID), tgAccount(uMa.ID)); err != nil || !ok || p.Kind != "walk" {
		t.Fatalf("ma's question after xu pressed: %+v %v %v", p, ok, err)
	}
	step := one(t, h.pressTextIn(uMa, group, ask.MessageID, item))
	wants(t, "ma's own press", step.Text, "进度到多少了？")
	onlyToast(t, "chen on ma's percent", h.pressTextIn(uChen, group, ask.MessageID, "70%"), "这是马某某的问题，只有本人可以回答。")
	if rs := h.reports("2.3"); len(rs) != 1 {
		t.Fatalf("a leader's press on ma's percent recorded: %+v", rs)
	}
	done := one(t, h.pressTextIn(uMa, group, ask.MessageID, "70%"))
	wants(t, "ma's percent", done.Text, "✅ 已记录 <b>2.3</b>", "进度 70%")
	// The note step that follows is ma's too.
	onlyToast(t, "xu on ma's note step", h.pressTextIn(uXu, group, ask.MessageID, "不用了"), "这是马某某的问题，只有本人可以回答。")
	wants(t, "ma skips the note", one(t, h.pressTextIn(uMa, group, ask.MessageID, "不用了")).Text, "不加说明")
	// The question is answered and gone: whose it was is unknown now, and
	// a press on its old keyboard leaves the message as it is.
	m, _ := h.srv.Message(group.ID, ask.MessageID)
	onlyToast(t, "xu on the answered question", h.pressIn(uXu, group, ask.MessageID, button(t, done, "不用了")), "这个问题已过期，请重新发送")
	if after, _ := h.srv.Message(group.ID, ask.MessageID); after.Edits != m.Edits || after.Plain != m.Plain {
		t.Errorf("a press on the answered question rewrote it: %q", after.Plain)
	}
	if rs := h.reports("2.3"); len(rs) != 2 || percentOf(rs[1]) != 70 {
		t.Fatalf("2.3 after the walk: %+v", rs)
	}

	// A figure that falls asks 确认/修改 of its reporter only.
	ask = one(t, h.sayIn(uMa, group, "/report 2.3 进度40%"))
	wants(t, "fall", ask.Text, "数值没错吗？")
	for _, label := range []string{"确认", "修改"} {
		onlyToast(t, "zheng on ma's "+label, h.pressTextIn(uZheng, group, ask.MessageID, label), "这是马某某的问题，只有本人可以回答。")
	}
	h.unchanged("ma's 确认", group, ask.MessageID, "确认")
	if p, ok, err := h.db.PendingFor(h.ctx, tgChat(group.ID), tgAccount(uMa.ID)); err != nil || !ok || p.Kind != "confirm" {
		t.Fatalf("ma's 确认 after zheng pressed: %+v %v %v", p, ok, err)
	}
	if rs := h.reports("2.3"); len(rs) != 2 {
		t.Fatalf("2.3 after zheng pressed 确认: %+v", rs)
	}

	// Which item? — xu_nongye's question.
	ask = one(t, h.sayIn(uXu, group, "/report 直播 进度40%"))
	wants(t, "which", ask.Text, "您说的是哪个事项？")
	onlyToast(t, "ma on xu's pick", h.pressTextIn(uMa, group, ask.MessageID, "3.1 助农视频拍摄和直播带货"), "这是许某某的问题，只有本人可以回答。")
	onlyToast(t, "ma on xu's 取消", h.pressTextIn(uMa, group, ask.MessageID, "取消"), "这是许某某的问题，只有本人可以回答。")
	h.unchanged("xu's question", group, ask.MessageID, "取消")
	if n := len(h.reports("3.1")) + len(h.reports("3.2")); n != 0 {
		t.Fatalf("ma's press on xu's question recorded %d reports", n)
	}
	wants(t, "xu's own pick", one(t, h.pressTextIn(uXu, group, ask.MessageID, "3.1 助农视频拍摄和直播带货")).Text, "✅ 已记录 <b>3.1</b>")

	// An indicator figure: the principal may not withdraw his deputy's.
	echo = one(t, h.sayIn(uChen, group, "/value 固定资产投资 3.2亿"))
	wants(t, "value echo", echo.Text, "✅ 已记录 <b>固定资产投资</b>")
	onlyToast(t, "zhang on chen's figure", h.pressTextIn(uZhang, group, echo.MessageID, "撤回这条"), "这是陈某某的填报，只有本人可以撤回。")
	h.unchanged("chen's figure", group, echo.MessageID, "撤回这条")
	if obs, err := h.db.IndicatorObservations(h.ctx, "fixed_asset_investment"); err != nil || len(obs) != 1 {
		t.Fatalf("observations after zhang pressed: %+v %v", obs, err)
	}

	// One message on two items: 全部撤回 and each one's button.
	echo = one(t, h.do(func() int { return h.srv.SendPhoto(uMa, group, "2.4 进度50%，2.5 进度30%", "ph-two") }))
	wants(t, "two items", echo.Text, "✅ 已记录 2 项")
	for _, label := range []string{"全部撤回", "撤回 2.4", "撤回 2.5"} {
		onlyToast(t, "xu on "+label, h.pressTextIn(uXu, group, echo.MessageID, label), "这是马某某的汇报，只有本人可以撤回。")
	}
	h.unchanged("ma's two items", group, echo.MessageID, "全部撤回")
	if n := len(planbot.Effective(h.reports("2.4"))) + len(planbot.Effective(h.reports("2.5"))); n != 2 {
		t.Fatalf("xu's presses withdrew: %d of 2 reports still count", n)
	}
	// A forged button naming ma's two reports and nobody's: nothing.
	rs4, rs5 := h.reports("2.4"), h.reports("2.5")
	onlyToast(t, "xu's forged u:", h.pressIn(uXu, group, echo.MessageID, fmt.Sprintf("u:%d,%d,99999", rs4[0].ID, rs5[0].ID)), "这是马某某的汇报，只有本人可以撤回。")
	onlyToast(t, "a button of no report", h.pressIn(uXu, group, echo.MessageID, "u:99999"), "已撤回或不能撤回")
	h.unchanged("ma's two items after forgeries", group, echo.MessageID, "全部撤回")

	// The owner's own press still withdraws, in the group as in private.
	edit := one(t, h.pressTextIn(uMa, group, echo.MessageID, "全部撤回"))
	wants(t, "ma's 全部撤回", edit.Text, "↩️ 已撤回 2.4", "↩️ 已撤回 2.5")
	if n := len(planbot.Effective(h.reports("2.4"))) + len(planbot.Effective(h.reports("2.5"))); n != 0 {
		t.Errorf("ma's 全部撤回 left %d reports counting", n)
	}
}

// sentAt is a text message from u in u's private chat that Telegram dated
// at (delivered late, after an outage): the bot takes its date as when the
// record was received.
func (h *e2e) sentAt(u telegramtest.User, at time.Time, messageID int, text string) []telegramtest.Call {
	h.t.Helper()
	from, _ := json.Marshal(u)
	chat, _ := json.Marshal(telegramtest.PrivateChat(u))
	return h.do(func() int {
		return h.srv.PushRaw(fmt.Sprintf(`{"message":{"message_id":%d,"from":%s,"chat":%s,"date":%d,"text":%s}}`,
			messageID, from, chat, at.Unix(), jsonString(text)))
	})
}

// taxRows is the history of 工商税收 in the database.
func (h *e2e) taxRows() []planbot.Observation {
	h.t.Helper()
	obs, err := h.db.IndicatorObservations(h.ctx, "tax_revenue")
	if err != nil {
		h.t.Fatal(err)
	}
	return obs
}

// Defect 10: a late figure (@6月1日) is undone from when the bot received
// it, not from the day it describes; /undo withdraws the newest thing the
// sender sent by when it was received, report or figure. Late item reports
// (2.3 60% @6月1日) follow the same rule.
func TestButtons11LateFiguresUndo(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()

	// chen_fuzhen reported 2.1 on ma's behalf two hours ago.
	one(t, h.sentAt(uChen, fixedNow.Add(-2*time.Hour), 9001, "2.1 进度30% 电话了解"))
	if rs := h.reports("2.1"); len(rs) != 1 || rs[0].Reporter != "chen_fuzhen" {
		t.Fatalf("2.1 seeded: %+v", rs)
	}

	// A late figure, its undo button pressed at once.
	echo := one(t, h.say(uChen, "工商税收 累计2000万 @6月1日"))
	wants(t, "late figure", echo.Text, "✅ 已记录 <b>工商税收</b>：2000万元")
	obs := h.taxRows()
	if june1 := time.Date(2027, 6, 1, 23, 59, 59, 0, h.plan.Location); len(obs) != 1 || !obs[0].At.Equal(june1) {
		t.Fatalf("the late figure describes 6月1日: %+v", obs)
	}
	edit := one(t, h.pressText(uChen, echo.MessageID, "撤回这条"))
	wants(t, "undo at once", edit.Text, "↩️ 已撤回 工商税收 的填报 2000万元")
	if obs = h.taxRows(); len(obs) != 2 || !obs[1].Withdrawn || obs[1].Supersedes != obs[0].ID {
		t.Fatalf("工商税收 after the button: %+v", obs)
	}

	// Another late figure, then /undo: the figure goes, not the older
	// report of 2.1 (whose day is later than the figure's).
	one(t, h.say(uChen, "工商税收 累计1800万 @6月5日"))
	wants(t, "/undo after a late figure", one(t, h.say(uChen, "/undo")).Text, "↩️ 已撤回 工商税收 的填报 1800万元")
	if obs = h.taxRows(); len(obs) != 4 || !obs[3].Withdrawn || obs[3].Supersedes != obs[2].ID {
		t.Fatalf("工商税收 after /undo: %+v", obs)
	}
	if rs := h.reports("2.1"); len(rs) != 1 || len(planbot.Effective(rs)) != 1 {
		t.Fatalf("/undo of a late figure withdrew a report: %+v", rs)
	}

	// A figure received two days ago (Telegram delivered it late) is past
	// the window however recent the day it names.
	echo = one(t, h.sentAt(uChen, fixedNow.Add(-48*time.Hour), 9002, "工商税收 累计1500万 @6月10日"))
	wants(t, "old figure", echo.Text, "✅ 已记录 <b>工商税收</b>：1500万元")
	wants(t, "old figure's undo", one(t, h.pressText(uChen, echo.MessageID, "撤回这条")).Text, "超过 1 天 的撤回时限")
	// And /undo goes by receipt: the report of two hours ago is newer than
	// the figure of two days ago, though the figure's row came later.
	wants(t, "/undo by receipt", one(t, h.say(uChen, "/undo")).Text, "↩️ 已撤回 2.1 的汇报")
	if obs = h.taxRows(); len(obs) != 5 || obs[4].Withdrawn {
		t.Fatalf("工商税收 after the refused undo: %+v", obs)
	}
	if rs := h.reports("2.1"); len(rs) != 2 || !rs[1].Withdrawn {
		t.Fatalf("2.1 after /undo: %+v", rs)
	}

	// A late item report: its button and /undo run from receipt too.
	echo = one(t, h.say(uMa, "2.3 进度60% @6月1日"))
	wants(t, "late report", echo.Text, "补报 6月1日 的进度")
	wants(t, "late report's undo", one(t, h.pressText(uMa, echo.MessageID, "撤回这条")).Text, "↩️ 已撤回 2.3 的汇报")
	one(t, h.say(uMa, "2.3 进度50% @6月2日"))
	wants(t, "/undo of a late report", one(t, h.say(uMa, "/undo")).Text, "↩️ 已撤回 2.3 的汇报")
	if rs := h.reports("2.3"); len(rs) != 4 || len(planbot.Effective(rs)) != 0 {
		t.Fatalf("2.3 after undoing two late reports: %+v", rs)
	}
	one(t, h.sentAt(uMa, fixedNow.Add(-48*time.Hour), 9003, "2.3 进度40% @6月10日"))
	wants(t, "old late report", one(t, h.say(uMa, "/undo")).Text, "超过 1 天 的撤回时限")
}
