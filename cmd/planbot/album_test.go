package main

import (
	"strings"
	"testing"

	"planbot"
	"planbot/telegram/telegramtest"
)

// 4b. Photos sent as an album are one piece of evidence: with a caption,
// one report and one echo, the other photos joining it; without, one
// question for the whole album. The echo's undo button withdraws the
// report with all its photos.
func TestE2EAlbum(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()
	chat := telegramtest.PrivateChat(uMa)

	replies := h.do(func() int { ids := h.srv.SendAlbum(uMa, chat, "2.5 进度50% 现场照片", 3); return ids[2] })
	echo := one(t, replies)
	wants(t, "the album's echo", echo.Text, "✅ 已记录 <b>2.5</b>", "进度 50%", "说明：现场照片", "佐证照片 1 张已保存，同一组的其他照片会自动附上")
	rs := h.reports("2.5")
	eff := planbot.Effective(rs)
	if len(rs) != 3 || len(eff) != 1 || len(eff[0].PhotoIDs) != 3 || percentOf(eff[0]) != 50 || eff[0].Note != "现场照片" {
		t.Fatalf("2.5 after a captioned album of 3: %d rows, standing %+v; want one report with 3 photos", len(rs), eff)
	}
	for i := 1; i < len(rs); i++ {
		if rs[i].Supersedes != rs[i-1].ID {
			t.Errorf("row %d supersedes %d, want %d: the photos complete the same report", i, rs[i].Supersedes, rs[i-1].ID)
		}
	}

	undo, ok := echo.Markup.Find("撤回这条")
	if !ok {
		t.Fatalf("no undo button on the echo: %v", buttons(echo))
	}
	wants(t, "undo of the album's report", one(t, h.press(uMa, echo.MessageID, undo.CallbackData)).Text, "已撤回 2.5")
	if eff := planbot.Effective(h.reports("2.5")); len(eff) != 0 {
		t.Errorf("after the undo 2.5 still stands: %+v", eff)
	}

	// Without a caption: one question for the album, all photos recorded.
	replies = h.do(func() int { ids := h.srv.SendAlbum(uMa, chat, "", 2); return ids[1] })
	ask := one(t, replies)
	wants(t, "the album's question", ask.Text, "这张照片是哪个事项的佐证材料？")
	wants(t, "the pick", one(t, h.pressText(uMa, ask.MessageID, "2.4 保障2个在建项目稳步推进")).Text, "2.4", "佐证照片 2 张已保存")
	if rs := h.reports("2.4"); len(rs) != 1 || len(rs[0].PhotoIDs) != 2 {
		t.Errorf("2.4 after an album of 2 without caption: %+v, want one report with both photos", rs)
	}

	// A photo on its own, after the album: asked about on its own.
	ask = one(t, h.do(func() int { return h.srv.SendPhoto(uMa, chat, "", "ph-alone") }))
	wants(t, "a single photo's question", ask.Text, "这张照片是哪个事项的佐证材料？")
	if strings.Contains(ask.Text, "同一组") {
		t.Errorf("a single photo was taken for part of an album: %s", ask.Text)
	}
}
