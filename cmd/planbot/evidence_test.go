package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"planbot"
	"planbot/telegram/telegramtest"
)

// 4d. A document (a scan, a PDF) or a video is evidence as a photo is:
// with a caption it is a report, without one the bot asks which item. A
// voice message or a sticker is answered with what the bot can read, in a
// private chat, and nothing is recorded.
func TestE2EDocumentsAndUnreadableMedia(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()
	chat := telegramtest.PrivateChat(uMa)

	echo := one(t, h.do(func() int {
		return h.srv.SendFile(uMa, chat, "2.3 进度70% 施工合同扫描件", "施工合同.pdf")
	}))
	wants(t, "a document with a caption", echo.Text, "✅ 已记录 <b>2.3</b>", "进度 70%", "佐证材料已保存：文件 1 份")
	rs := h.reports("2.3")
	if len(rs) != 1 || len(rs[0].PhotoIDs) != 1 {
		t.Fatalf("2.3 after the document: %+v", rs)
	}
	if k, id := planbot.KindOf(rs[0].PhotoIDs[0]); k != planbot.EvidenceDocument || !strings.HasPrefix(id, "telegram:fake-document-") {
		t.Errorf("stored evidence %q: kind %v, file id %q", rs[0].PhotoIDs[0], k, id)
	}

	ask := one(t, h.do(func() int { return h.srv.SendFile(uMa, chat, "", "验收单.jpg") }))
	wants(t, "a document without a caption", ask.Text, "这份文件是哪个事项的佐证材料？")

	from, _ := json.Marshal(uMa)
	where, _ := json.Marshal(chat)
	for _, media := range []string{
		`"voice":{"file_id":"AwACAgUAAxk","file_unique_id":"v1","duration":3}`,
		`"sticker":{"file_id":"CAACAgUAAxk","file_unique_id":"s1","type":"regular","width":512,"height":512,"is_animated":false,"is_video":false}`,
	} {
		reply := one(t, h.do(func() int {
			return h.srv.PushRaw(fmt.Sprintf(`{"message":{"message_id":%d,"from":%s,"chat":%s,"date":%d,%s}}`,
				900+len(media), from, where, fixedNow.Unix(), media))
		}))
		wants(t, "an unreadable message", reply.Text, "暂时只能看懂文字、照片、文件和视频")
	}
	if n := h.allReports(); n != 1 {
		t.Errorf("%d reports, want the document's only", n)
	}
}
