package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"planbot/wecom"
	"planbot/wecom/wecomtest"
)

// wc14PNG is a small photo a cadre takes on site.
func wc14PNG(tb testing.TB) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// With only wecom: configured (no Telegram token), the README's quick
// start on WeCom: a cadre reports in a private chat and gets the echo as
// a reply to their message; a leader asks /targets; /plan @-ing the bot
// in a group is answered in the group; /report walks through cards whose
// buttons come back as presses; a photo after a report is kept as
// evidence; a stranger is refused once, politely; a msgid WeCom pushes
// twice is answered once.
func TestWeCom14Conversation(t *testing.T) {
	t.Parallel()
	h := newWC14E2E(t, false)
	in := h.start()
	if in.app.Telegram != nil || in.app.Sender != nil {
		t.Fatalf("Telegram served without a token: %v", in.app.platforms())
	}

	// 1. A cadre's report, answered as a reply (a finished stream) to the
	// callback's req_id.
	base := len(h.fake.Sent())
	reqID := h.pushText(wcMa, "msg-report-1", "2.3 进度60% 已与XX酒店签约")
	h.waitFor("the report handled and echoed", func() bool { return h.handled("msg-report-1") && h.drained() })
	echo := wc14OneText(t, h.fake.Sent()[base:])
	if echo.Cmd != wecomtest.CmdRespond || echo.MsgType != "stream" || echo.ReplyTo != reqID || !echo.Finish || echo.ChatID != wcMa {
		t.Errorf("the echo is not a finished stream reply to req_id %s in %s's chat:\n%s", reqID, wcMa, wc14Describe([]wecomtest.Sent{echo}))
	}
	wants(t, "echo", echo.Content, "✅ 已记录 **2.3** 协调推进XX项目开工建设：进度 60%", "说明：已与XX酒店签约", "当前：🟡 有风险")
	if strings.ContainsAny(echo.Content, "<>") {
		t.Errorf("the echo carries HTML into WeCom's markdown:\n%s", echo.Content)
	}
	rs := h.reports("2.3")
	if len(rs) != 1 || percentOf(rs[0]) != 60 || rs[0].Note != "已与XX酒店签约" || rs[0].Reporter != "ma_jingfa" ||
		rs[0].ChatID != wecom.UserChat(wcMa) {
		t.Fatalf("2.3 after the WeCom report: %+v", rs)
	}
	// The echo's undo button: a card after the text, pressed as a WeCom
	// card event.
	undo := wc14ButtonLabelled(t, h.fake.Sent()[base:], "撤回这条")

	// 2. A leader's /targets.
	r := wc14OneText(t, h.say(wcZhang, "/targets"))
	wants(t, "/targets", r.Content, "重点指标", "时间进度 45.3%", "固定资产投资", "暂无数据 · 全年目标 6.5亿元", "外贸出口额")
	if r.ChatID != wcZhang || r.Cmd != wecomtest.CmdRespond {
		t.Errorf("/targets answered by %s to %s", r.Cmd, r.ChatID)
	}

	// 3. /plan in a group, @-ing the bot: answered in the group.
	const group = "wrGroupLeaders01"
	sent := h.sayIn(group, wcZhang, "/plan")
	r = wc14OneText(t, sent)
	wants(t, "/plan in the group", r.Content, "2027 年度工作计划", "共 22 项", "【1】", "【4】")
	if r.ChatID != group || r.ChatType != "group" {
		t.Errorf("/plan in the group answered in %s (%s)", r.ChatID, r.ChatType)
	}
	if got := wc14ButtonTexts(sent); !strings.HasPrefix(got, "【1】") || !strings.Contains(got, " 【4】") || len(wc14Buttons(sent)) != 4 {
		t.Errorf("/plan's section buttons: %q", got)
	}
	// A section's button pressed in the group: answered there.
	r = wc14OneText(t, h.click(wcZhang, wc14ButtonLabelled(t, sent, "【2】")))
	wants(t, "section 2 in the group", r.Content, "【2】谋发展、求突破", "分管：陈某某", "2.1", "2.6")
	if r.ChatID != group {
		t.Errorf("the section pressed in the group went to %s", r.ChatID)
	}
	// Group chatter not addressed to the bot does not reach it at all on
	// WeCom; chatter @-ing it is not a report.
	if calls := h.sayIn(group, wcZhang, "今天下午三点开会"); len(calls) != 0 {
		t.Errorf("group chatter answered with %d messages:\n%s", len(calls), wc14Describe(calls))
	}

	// 4. /report walks through item → percent with card buttons.
	sent = h.say(wcMa, "/report")
	wants(t, "walk", wc14OneText(t, sent).Content, "汇报哪个事项？")
	// ma_jingfa's six items and 取消: two cards (WeCom takes six buttons
	// a card), keys unique.
	if got := wc14Buttons(sent); len(got) != 7 || got[6].Text != "取消" || got[0].TaskID == got[6].TaskID {
		t.Errorf("the item cards: %+v", got)
	}
	pick := wc14ButtonLabelled(t, sent, "2.5")
	sent = h.click(wcMa, pick)
	step := wc14OneText(t, sent)
	wants(t, "percent step", step.Content, "**2.5**", "进度到多少了？")
	if step.ChatID != wcMa {
		t.Errorf("the percent step went to %s", step.ChatID)
	}
	if got := wc14ButtonTexts(sent); got != "10% 20% 30% 40% 50% 60% 70% 80% 90% ✅ 已完成 取消" {
		t.Errorf("percent buttons: %s", got)
	}
	sent = h.click(wcMa, wc14ButtonLabelled(t, sent, "70%"))
	wants(t, "recorded", wc14AllText(sent), "✅ 已记录 **2.5**", "进度 70%")
	if rs := h.reports("2.5"); len(rs) != 1 || percentOf(rs[0]) != 70 || rs[0].Reporter != "ma_jingfa" {
		t.Fatalf("2.5 after the walk: %+v", rs)
	}
	// A press on a card already used (a double tap) records nothing.
	sent = h.click(wcMa, pick)
	wants(t, "second press", wc14AllText(sent), "已过期")
	if n := len(h.reports("2.5")); n != 1 {
		t.Errorf("a second press on the same card recorded again: %d reports", n)
	}

	// 5. A photo after a report: asked which item, kept as evidence.
	photo := wc14PNG(t)
	var photoID string
	sent = h.do(func() string { photoID = h.fake.SendImage(wcMa, photo); return photoID })
	wants(t, "photo question", wc14OneText(t, sent).Content, "这张照片是哪个事项的佐证材料？")
	sent = h.click(wcMa, wc14ButtonLabelled(t, sent, "2.3"))
	wants(t, "photo kept", wc14AllText(sent), "2.3", "佐证照片 1 张已保存")
	rs = h.reports("2.3")
	ref := "wecom:" + photoID
	if len(rs) != 2 || len(rs[1].PhotoIDs) != 1 || rs[1].PhotoIDs[0] != ref {
		t.Errorf("2.3 after the photo: %+v; want a report with evidence %s", rs, ref)
	}
	var kept []byte
	if err := h.probe.QueryRowContext(h.ctx, `SELECT data FROM evidence_files WHERE ref = ?`, ref).Scan(&kept); err != nil || !bytes.Equal(kept, photo) {
		t.Errorf("evidence file %s: %d bytes (%v); want the photo's %d bytes, decrypted", ref, len(kept), err, len(photo))
	}
	wants(t, "/item", wc14OneText(t, h.say(wcMa, "/item 2.3")).Content, "📎1")

	// 6. A stranger: one polite refusal, nothing recorded, no card.
	sent = h.say(wcStranger, "2.3 进度90% 我来帮忙汇报")
	r = wc14OneText(t, sent)
	wants(t, "refusal", r.Content, "还不是本系统的登记用户", wcStranger)
	if len(sent) != 1 || r.ChatID != wcStranger {
		t.Errorf("the stranger got:\n%s", wc14Describe(sent))
	}
	if again := h.say(wcStranger, "/mine"); len(again) != 0 {
		t.Errorf("a stranger was refused twice within the hour:\n%s", wc14Describe(again))
	}
	if n := len(h.reports("2.3")); n != 2 {
		t.Errorf("a stranger's message changed 2.3: %d reports", n)
	}

	// 7. The same msgid pushed twice: handled and answered once.
	before := len(h.reports("2.4"))
	first := ""
	sent = h.do(func() string { first = h.fake.SendText(wcMa, "2.4 进度40% 两个项目都在推进"); return first })
	wants(t, "2.4 echo", wc14OneText(t, sent).Content, "**2.4**", "进度 40%")
	base = len(h.fake.Sent())
	h.fake.Resend(first)
	// Events are handled in order: once the next message is answered,
	// the duplicate has been through the receiver.
	wants(t, "after the duplicate", wc14OneText(t, h.say(wcMa, "/help")).Content, "/mine")
	if got := wc14Texts(h.fake.Sent()[base:]); len(got) != 1 {
		t.Errorf("the duplicate msgid was answered again:\n%s", wc14Describe(got))
	}
	if n := len(h.reports("2.4")) - before; n != 1 {
		t.Errorf("the duplicate msgid recorded %d reports on 2.4, want 1", n)
	}
	if !strings.Contains(h.logs.String(), "the duplicate is dropped") {
		t.Error("the duplicate was not logged as dropped")
	}

	// The undo from step 1 still works, pressed last.
	wants(t, "undo", wc14AllText(h.click(wcMa, undo)), "撤回")
	if rs := h.reports("2.3"); len(rs) != 3 {
		t.Errorf("2.3 after the undo: %d rows, want the undo recorded as a third", len(rs))
	}
}

// wc14AllText is the words of every frame among sent, one per line: a
// press is answered by the message it changes or, when there is none, on
// WeCom by its toast pushed as a short message of its own.
func wc14AllText(sent []wecomtest.Sent) string {
	var b strings.Builder
	for _, s := range wc14Texts(sent) {
		b.WriteString(s.Content + "\n")
	}
	return b.String()
}
