package main

import (
	"bytes"
	"planbot"
	"slices"
	"strings"
	"testing"
	"time"

	"planbot/telegram/telegramtest"
	"planbot/wecom"
	"planbot/wecom/wecomtest"
)

// wc14Pushes are the frames among sent pushed to chat (aibot_send_msg,
// not replies) that carry words.
func wc14Pushes(sent []wecomtest.Sent, chat string) []wecomtest.Sent {
	var out []wecomtest.Sent
	for _, s := range wc14Texts(wecomtest.SentTo(sent, chat)) {
		if s.Cmd == wecomtest.CmdSend {
			out = append(out, s)
		}
	}
	return out
}

// wc14Saying counts the frames among sent whose words hold sub.
func wc14Saying(sent []wecomtest.Sent, sub string) int {
	n := 0
	for _, s := range sent {
		if strings.Contains(s.Content, sub) {
			n++
		}
	}
	return n
}

// With only wecom: configured, reminders and the digest fired through
// the app's Scheduler: the overdue reminder reaches a cadre who is on
// WeCom only, pushed to the private chat they wrote from; the weekly
// digest reaches the leaders' group robot (robot:leaders in its to) as
// the chart (an image whose md5 the webhook checked) and then the text
// (markdown), and a leader last seen on WeCom gets both over the AI bot.
func TestWeCom14RemindersAndDigest(t *testing.T) {
	t.Parallel()
	h := newWC14E2E(t, false)
	h.start()

	// A cadre who never wrote cannot be pushed to on WeCom (846607): xu
	// writes once, as a cadre does when the office hands out the bot.
	wants(t, "xu's /mine", wc14OneText(t, h.say(wcXu, "/mine")).Content, "许某某的事项", "3.2")
	wants(t, "zhang's /targets", wc14OneText(t, h.say(wcZhang, "/targets")).Content, "重点指标")

	// 1. The overdue reminder: 3.2 is xu_nongye's, overdue since 4月30日.
	base := len(h.fake.Sent())
	msgs := h.runJob("overdue_daily", "2027-06-15 09:00")
	if got := wc14Chats(msgs); len(got) != 1 || got[wecom.UserChat(wcXu)] != 1 {
		t.Fatalf("overdue_daily queued %v; want one message to %s", got, wecom.UserChat(wcXu))
	}
	h.waitFor("the reminder sent", h.drained)
	sent := h.fake.Sent()[base:]
	pushed := wc14Pushes(sent, wcXu)
	if len(pushed) != 1 || len(wc14Texts(sent)) != 1 {
		t.Fatalf("the reminder reached WeCom as:\n%s", wc14Describe(sent))
	}
	wants(t, "the reminder", pushed[0].Content, "⏰ 逾期提醒", "许某某，您负责的 1 项工作已逾期", "🔴 **3.2** 扩充直播队伍", "逾期 46 天")
	if pushed[0].ChatType != "single" || pushed[0].MsgType != "markdown" {
		t.Errorf("the reminder went as %s to a %s chat", pushed[0].MsgType, pushed[0].ChatType)
	}
	// Its buttons (fill in step by step) are a card in the same chat.
	if b := wc14Buttons(sent); len(b) == 0 || wecomtest.SentTo(sent, wcXu)[len(wecomtest.SentTo(sent, wcXu))-1].Card == nil {
		t.Errorf("the reminder's buttons did not follow it as a card:\n%s", wc14Describe(sent))
	}
	// Answering the reminder works as on Telegram.
	wants(t, "reply to the reminder", wc14OneText(t, h.say(wcXu, "3.2 完成 直播队伍已扩充到20人")).Content, "✅", "3.2", "已完成")

	// 2. A cadre the office knows only by an invite code binds his WeCom
	// account by writing the code to the bot once; Thursday's nudge then
	// reaches him there, as it reaches the WeCom-only cadres who wrote.
	r := wc14OneText(t, h.say(wcSun, "/start "+sunInvite))
	wants(t, "binding on WeCom", r.Content, "绑定成功", "孙某某")
	if key, ok, err := h.db.Binding(h.ctx, wecom.User(wcSun)); err != nil || !ok || key != "sun_cun" {
		t.Errorf("binding of %s = %q, %v, %v; want sun_cun", wcSun, key, ok, err)
	}
	wants(t, "ma's /mine", wc14OneText(t, h.say(wcMa, "/mine")).Content, "马某某的事项")
	// Qian and Zhao are on Telegram too, which this office does not serve:
	// their reminders come on WeCom (even Zhao's, who prefers Telegram),
	// once they have written to the bot there.
	wants(t, "qian's /mine", wc14OneText(t, h.say(wcQian, "/mine")).Content, "的事项")
	wants(t, "zhao's /mine", wc14OneText(t, h.say(wcZhao, "/mine")).Content, "的事项")
	base = len(h.fake.Sent())
	msgs = h.runJob("thursday_report_nudge", "2027-06-17 16:00")
	if got := wc14Chats(msgs); got[planbot.NewChatID("telegram", "100000008")]+got[planbot.NewChatID("telegram", "100000009")] != 0 {
		t.Errorf("thursday_report_nudge queued rows to Telegram, which is not served: %v", got)
	}
	for _, who := range []string{wcSun, wcMa} {
		if n := wc14Chats(msgs)[wecom.UserChat(who)]; n != 1 {
			t.Errorf("thursday_report_nudge queued %d rows to %s; want 1 (rows: %v)", n, who, wc14Chats(msgs))
		}
	}
	h.waitFor("the nudges sent", h.drained)
	sent = h.fake.Sent()[base:]
	for _, who := range []string{wcSun, wcMa} {
		if n := wc14Saying(wc14Pushes(sent, who), "📝 汇报提醒"); n != 1 {
			t.Errorf("%s got %d nudges on WeCom, want 1:\n%s", who, n, wc14Describe(wecomtest.SentTo(sent, who)))
		}
	}

	// 3. The weekly digest, Monday 08:30: robot:leaders gets the chart
	// and the text through the webhook.
	base, hooks := len(h.fake.Sent()), len(h.fake.Hooks())
	msgs = h.runJob("weekly_digest", "2027-06-21 08:30")
	robot := wecom.RobotChat("leaders")
	if n := wc14Chats(msgs)[robot]; n < 2 {
		t.Fatalf("weekly_digest queued %d rows to %s (%v); want the chart and the text", n, robot, wc14Chats(msgs))
	}
	h.waitFor("the digest sent", h.drained)
	// WeCom's images carry no caption: the chart's caption goes first as
	// a markdown of its own, then the image, then the digest's text (as
	// many messages as it takes).
	got := h.fake.Hooks()[hooks:]
	var kinds []string
	var img wecomtest.Hook
	var text strings.Builder
	for _, k := range got {
		kinds = append(kinds, k.MsgType)
		if k.Errcode != 0 || k.Key != wcRobotKey {
			t.Errorf("the robot's %s message: key %q, errcode %d %s", k.MsgType, k.Key, k.Errcode, k.Errmsg)
		}
		switch k.MsgType {
		case "image":
			img = k
		case "markdown":
			text.WriteString(k.Content + "\n")
		}
	}
	if len(kinds) < 3 || kinds[0] != "markdown" || kinds[1] != "image" || slices.Contains(kinds[2:], "image") {
		t.Fatalf("the robot got %v; want the chart's caption, the chart, then the digest", kinds)
	}
	if !bytes.HasPrefix(img.Image, []byte("\x89PNG")) || len(img.Image) < 1000 {
		t.Errorf("the robot's image is not the chart (a PNG whose md5 the webhook checked): %d bytes", len(img.Image))
	}
	wants(t, "the chart's caption", got[0].Content, "2027年工作计划", "6月21日 周报图")
	wants(t, "the digest in the group", text.String(), "📊 2027 年工作计划周报", "6月21日 周一 08:30", "重点指标")
	if i := strings.Index(text.String(), "📊"); i < 0 || strings.Index(text.String(), "周报图") > i {
		t.Errorf("the digest's text came before its chart")
	}
	if strings.ContainsAny(text.String(), "<>") {
		t.Errorf("the group's digest carries HTML:\n%s", text.String())
	}
	// A leader last seen on WeCom gets the digest there: the chart
	// uploaded and pushed as an image, then the text.
	sent = wecomtest.SentTo(h.fake.Sent()[base:], wcZhang)
	var pics, digests int
	for _, s := range sent {
		if s.MsgType == "image" && s.Media != nil && bytes.Equal(s.Media.Data, img.Image) {
			pics++
		}
		if strings.Contains(s.Content, "📊 2027 年工作计划周报") {
			digests++
		}
	}
	if pics != 1 || digests != 1 {
		t.Errorf("zhang_shuji got %d charts and %d digests on WeCom, want 1 and 1:\n%s", pics, digests, wc14Describe(sent))
	}
	// 许某某 is no leader: the digest is not his.
	if n := len(wecomtest.SentTo(h.fake.Sent()[base:], wcXu)); n != 0 {
		t.Errorf("a cadre got %d frames of the leaders' digest", n)
	}
}

// With both platforms configured, a person bound on both gets each
// reminder once: where they wrote last, or with prefer: telegram on
// Telegram whatever they used last.
func TestWeCom14BothPlatformsRemindOnce(t *testing.T) {
	t.Parallel()
	h := newWC14E2E(t, true)
	// Two cadres on WeCom only never write to the bot here: WeCom refuses
	// pushes to them, and their reminders fail (checked below).
	h.refusals[wecomtest.ErrChatNotWritten], h.failing = true, true
	in := h.start()
	if in.app.Telegram == nil {
		t.Fatal("Telegram not served with its token")
	}
	uQianTG := telegramtest.User{ID: 100000009, FirstName: "钱", LastName: "书记"}
	uZhaoTG := telegramtest.User{ID: 100000008, FirstName: "赵", LastName: "书记"}
	tgSay := func(u telegramtest.User, text string) {
		t.Helper()
		n := len(h.tg.Sent(u.ID))
		h.tg.SendText(u, telegramtest.PrivateChat(u), text)
		h.waitFor("the Telegram reply", func() bool { return len(h.tg.Sent(u.ID)) > n && h.drained() })
	}

	// qian_cun writes on Telegram, then a minute later on WeCom; zhao_cun
	// (prefer: telegram) writes only on WeCom.
	tgSay(uQianTG, "/mine")
	h.advance(time.Minute)
	wants(t, "qian on WeCom", wc14OneText(t, h.say(wcQian, "/mine")).Content, "钱某某的事项")
	wants(t, "zhao on WeCom", wc14OneText(t, h.say(wcZhao, "/mine")).Content, "赵某某的事项")

	nudge := "📝 汇报提醒"
	fire := func(at string) (wc []wecomtest.Sent, tg map[int64]int) {
		t.Helper()
		base, tgBase := len(h.fake.Sent()), len(h.tg.Calls())
		msgs := h.runJob("thursday_report_nudge", at)
		seen := map[string]int{}
		for _, m := range msgs {
			for _, p := range h.cfg.Plan.People {
				for _, a := range p.Accounts {
					if a.Chat() == m.ChatID && strings.Contains(m.Text, "汇报提醒") {
						seen[p.Key]++
					}
				}
			}
		}
		for _, key := range []string{"qian_cun", "zhao_cun"} {
			if seen[key] != 1 {
				t.Errorf("%s: %d reminders queued at %s, want 1 (rows: %v)", key, seen[key], at, wc14Chats(msgs))
			}
		}
		h.waitFor("the reminders sent", h.drained)
		tg = map[int64]int{}
		for _, c := range h.tg.Calls()[tgBase:] {
			if c.Method == "sendMessage" && c.OK && strings.Contains(c.Text, "汇报提醒") {
				tg[c.ChatID]++
			}
		}
		return h.fake.Sent()[base:], tg
	}

	// Thursday: qian on WeCom (used last), zhao on Telegram (preferred).
	wc, tg := fire("2027-06-17 16:00")
	if n, m := wc14Saying(wc14Pushes(wc, wcQian), nudge), tg[uQianTG.ID]; n != 1 || m != 0 {
		t.Errorf("qian_cun, last on WeCom: %d reminders on WeCom, %d on Telegram; want 1 and 0", n, m)
	}
	if n, m := wc14Saying(wc14Pushes(wc, wcZhao), nudge), tg[uZhaoTG.ID]; n != 0 || m != 1 {
		t.Errorf("zhao_cun, prefer: telegram: %d reminders on WeCom, %d on Telegram; want 0 and 1", n, m)
	}
	// ma_jingfa and xu_nongye are on WeCom only and never wrote to the
	// bot: WeCom refuses a push to them (846607), their reminder fails
	// and goes nowhere else.
	if n := wc14Saying(wecomtest.SentTo(wc, wcMa), nudge) + wc14Saying(wecomtest.SentTo(wc, wcXu), nudge); n != 0 {
		t.Errorf("a push reached a WeCom user who never wrote: %d", n)
	}

	// qian_cun then writes on Telegram: the next Thursday's goes there.
	h.advance(time.Minute)
	tgSay(uQianTG, "/mine")
	wc, tg = fire("2027-06-24 16:00")
	if n, m := wc14Saying(wc14Pushes(wc, wcQian), nudge), tg[uQianTG.ID]; n != 0 || m != 1 {
		t.Errorf("qian_cun, last on Telegram: %d reminders on WeCom, %d on Telegram; want 0 and 1", n, m)
	}
	if n, m := wc14Saying(wc14Pushes(wc, wcZhao), nudge), tg[uZhaoTG.ID]; n != 0 || m != 1 {
		t.Errorf("zhao_cun, prefer: telegram: %d reminders on WeCom, %d on Telegram; want 0 and 1", n, m)
	}
	var failed []string
	h.probeRows(&failed, `SELECT chat_id FROM outbox WHERE status = 'failed' ORDER BY id`)
	if strings.Join(failed, " ") != "wecom:xunongye wecom:MaJingFa wecom:xunongye wecom:MaJingFa" {
		t.Errorf("failed rows to %v; want the two reminders each to the two WeCom users who never wrote", failed)
	}
}
