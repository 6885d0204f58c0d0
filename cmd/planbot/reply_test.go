package main

import (
	"testing"

	"planbot/telegram/telegramtest"
)

// 4e. A cadre answering one of the bot's messages about an item (a
// reminder, an echo) with a bare "进度70%" reports on that item; the same
// words on their own ask which item.
func TestE2EReplyNamesTheItem(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()
	chat := telegramtest.PrivateChat(uMa)
	echo := one(t, h.say(uMa, "2.3 进度60%"))
	wants(t, "alone", one(t, h.say(uMa, "进度70%")).Text, "您说的是哪个事项？")
	reply := one(t, h.do(func() int { return h.srv.ReplyText(uMa, chat, echo.MessageID, "进度70% 已开工") }))
	wants(t, "a reply to the echo of 2.3", reply.Text, "✅ 已记录 <b>2.3</b>", "进度 70%", "说明：已开工")
	if rs := h.reports("2.3"); len(rs) != 2 || percentOf(rs[1]) != 70 {
		t.Errorf("2.3 after the reply: %+v", rs)
	}
}
