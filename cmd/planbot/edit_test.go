package main

import (
	"testing"

	"planbot"
	"planbot/telegram/telegramtest"
)

// 4c. A cadre fixes a report by editing the message: the report is
// corrected (a row that supersedes it), figures or words; an edit that
// names another item changes nothing; an edit of a message the bot did not
// understand is read as a new one; an edited command is not run again,
// and a stranger's edit gets no answer.
func TestE2EEditCorrects(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()
	edit := func(u telegramtest.User, msgID int, text string) []telegramtest.Call {
		t.Helper()
		return h.do(func() int { return h.srv.EditText(u, telegramtest.PrivateChat(u), msgID, text) })
	}

	wants(t, "the report", one(t, h.say(uMa, "2.3 进度60% 已签约")).Text, "✅ 已记录 <b>2.3</b>", "进度 60%")
	msgID := h.reports("2.3")[0].MessageID
	wants(t, "the edit's echo", one(t, edit(uMa, msgID, "2.3 进度65% 已签约")).Text,
		"✏️ 已按您的修改更正 <b>2.3</b>", "进度 65%", "说明：已签约")
	rs := h.reports("2.3")
	if len(rs) != 2 || rs[1].Supersedes != rs[0].ID || percentOf(rs[1]) != 65 || rs[1].Note != "已签约" {
		t.Fatalf("2.3 after the edit: %+v, want a row at 65%% superseding the first", rs)
	}

	// Words only: the note changes, the figures stay.
	wants(t, "a second edit, words only", one(t, edit(uMa, msgID, "2.3 已签约，下周开工")).Text, "✏️ 已按您的修改更正", "进度 65%", "说明：已签约，下周开工")
	if eff := planbot.Effective(h.reports("2.3")); len(eff) != 1 || percentOf(eff[0]) != 65 || eff[0].Note != "已签约，下周开工" {
		t.Errorf("2.3 after the words-only edit: %+v", eff)
	}

	wants(t, "an edit naming another item", one(t, edit(uMa, msgID, "2.4 进度65%")).Text, "不是原来的 2.3", "没有记录")
	if n, m := len(h.reports("2.3")), len(h.reports("2.4")); n != 3 || m != 0 {
		t.Errorf("after the edit naming 2.4: %d rows of 2.3 (want 3), %d of 2.4 (want 0)", n, m)
	}

	// Not understood, then fixed by an edit: read as a new message.
	wants(t, "not understood", one(t, h.say(uMa, "明天上午再说")).Text, "没看懂")
	var vague int
	for _, m := range h.srv.Messages(uMa.ID) {
		if !m.FromBot && m.Plain == "明天上午再说" {
			vague = m.ID
		}
	}
	wants(t, "the fixed message", one(t, edit(uMa, vague, "2.5 进度50%")).Text, "✅ 已记录 <b>2.5</b>", "进度 50%")

	// An edited command is not run again; a stranger's edit is not answered.
	one(t, h.say(uMa, "/mine"))
	var cmd int
	for _, m := range h.srv.Messages(uMa.ID) {
		if !m.FromBot && m.Plain == "/mine" {
			cmd = m.ID
		}
	}
	if got := edit(uMa, cmd, "/plan"); len(got) != 0 {
		t.Errorf("an edited command was answered:\n%s", telegramtest.Describe(got))
	}
	if got := edit(uStranger, 1, "2.3 进度99%"); len(got) != 0 {
		t.Errorf("a stranger's edit was answered:\n%s", telegramtest.Describe(got))
	}
	if n := len(h.reports("2.3")); n != 3 {
		t.Errorf("%d rows of 2.3 at the end, want 3", n)
	}
}
