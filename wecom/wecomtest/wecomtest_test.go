package wecomtest_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"planbot/wecom/wecomtest"
)

func TestSubscribeAndPing(t *testing.T) {
	srv := wecomtest.New(t)
	c := dial(t, srv)
	if f := c.call(wecomtest.CmdPing, nil); f.code() != wecomtest.ErrNotSubscribed {
		t.Errorf("ping before subscribe: %+v", f)
	}
	a := c.subscribe(srv)
	if a.code() != 0 || a.Errmsg != "ok" || a.Cmd != "" {
		t.Fatalf("subscribe ack %+v", a)
	}
	srv.WaitSubscribed(t, 1, wait)
	if !srv.Live() {
		t.Error("not live after subscribe")
	}
	if f := c.call(wecomtest.CmdPing, nil); f.code() != 0 {
		t.Errorf("ping ack %+v", f)
	}
	if srv.Pings() != 2 || srv.Dials() != 1 || srv.Open() != 1 {
		t.Errorf("pings %d dials %d open %d", srv.Pings(), srv.Dials(), srv.Open())
	}
}

func TestSubscribeRefused(t *testing.T) {
	srv := wecomtest.New(t, wecomtest.WithBot("aibX", "s3cret", "助手"))
	c := dial(t, srv)
	f := c.call(wecomtest.CmdSubscribe, map[string]string{"bot_id": "aibX", "secret": "wrong"})
	if f.code() != wecomtest.ErrBadCredentials || !strings.HasPrefix(f.Errmsg, "invalid bot_id or secret, hint: [") {
		t.Errorf("wrong secret: %+v", f)
	}
	// The socket stays open, as on the real server: the next frame is answered.
	srv.RefuseSubscribe(1)
	if f := c.subscribe(srv); f.code() != wecomtest.ErrBadCredentials {
		t.Errorf("RefuseSubscribe: %+v", f)
	}
	if f := c.subscribe(srv); f.code() != 0 {
		t.Errorf("third subscribe: %+v", f)
	}
	srv.FailNext(wecomtest.CmdSubscribe, wecomtest.ErrRateLimit)
	if f := c.subscribe(srv); f.code() != wecomtest.ErrRateLimit {
		t.Errorf("FailNext subscribe: %+v", f)
	}
	if srv.Subscribed() != 1 || srv.Violations() != 0 {
		t.Errorf("subscribed %d, violations %d", srv.Subscribed(), srv.Violations())
	}
}

func TestBadFrame(t *testing.T) {
	srv := wecomtest.New(t)
	c := connect(t, srv)
	c.sendRaw([]byte("not json"))
	if f := c.ack(""); f.code() != wecomtest.ErrBadJSON {
		t.Errorf("bad frame: %+v", f)
	}
	if f := c.call("aibot_teleport", map[string]any{}); f.code() != wecomtest.ErrInvalidParam {
		t.Errorf("unknown cmd: %+v", f)
	}
}

func TestTextCallbackAndStreamReply(t *testing.T) {
	clk := newClock()
	srv := wecomtest.New(t, wecomtest.WithClock(clk.Now))
	c := connect(t, srv)
	msgid := srv.SendText("zhangsan", "2.3 60% 已签约")
	p := c.push()
	b := p.body(t)
	if p.Cmd != wecomtest.CmdMsgCallback || p.Headers.ReqID == "" || b["msgid"] != msgid || b["chattype"] != "single" ||
		b["msgtype"] != "text" || b["aibotid"] != srv.BotID() || b["response_url"] == nil {
		t.Fatalf("callback %s %s", p.Cmd, p.Body)
	}
	if _, ok := b["chatid"]; ok {
		t.Error("single chat callback has a chatid")
	}
	if b["from"].(map[string]any)["userid"] != "zhangsan" || b["text"].(map[string]any)["content"] != "2.3 60% 已签约" {
		t.Errorf("callback body %s", p.Body)
	}
	req := p.Headers.ReqID
	if f := c.reply(wecomtest.CmdRespond, req, streamReply("s1", "收到", false)); f.code() != 0 {
		t.Fatalf("first frame: %+v", f)
	}
	clk.Add(5 * time.Minute) // within the idle time of the last update
	if f := c.reply(wecomtest.CmdRespond, req, streamReply("s1", "收到，已记录", true)); f.code() != 0 {
		t.Fatalf("finish frame: %+v", f)
	}
	if content, finished, ok := srv.Bubble("s1"); !ok || !finished || content != "收到，已记录" {
		t.Errorf("bubble %q %v %v", content, finished, ok)
	}
	sent := srv.WaitSent(t, func(s []wecomtest.Sent) bool { return len(s) == 2 }, wait)
	if s := sent[1]; s.Cmd != wecomtest.CmdRespond || s.ReplyTo != req || s.ChatID != "zhangsan" || s.ChatType != "single" ||
		s.MsgType != "stream" || s.StreamID != "s1" || !s.Finish || s.Content != "收到，已记录" || !s.At.Equal(clk.Now()) {
		t.Errorf("sent %+v", s)
	}

	if f := c.reply(wecomtest.CmdRespond, "made_up", streamReply("s2", "x", true)); f.code() != wecomtest.ErrInvalidReqID {
		t.Errorf("unknown req_id: %+v", f)
	}
	if f := c.reply(wecomtest.CmdRespond, req, markdown("", "x")); f.code() != wecomtest.ErrInvalidMsgType {
		t.Errorf("markdown reply: %+v", f)
	}
	big := strings.Repeat("进", wecomtest.MaxStreamBytes/3+1)
	if f := c.reply(wecomtest.CmdRespond, req, streamReply("s2", big, true)); f.code() != wecomtest.ErrInvalidParam {
		t.Errorf("oversized stream: %+v", f)
	}
	clk.Add(6*time.Minute + time.Second)
	if f := c.reply(wecomtest.CmdRespond, req, streamReply("s1", "late", true)); f.code() != wecomtest.ErrStreamExpired {
		t.Errorf("idle stream: %+v", f)
	}
	// Several streams may answer one callback.
	if f := c.reply(wecomtest.CmdRespond, req, streamReply("s3", "again", true)); f.code() != 0 {
		t.Errorf("second stream: %+v", f)
	}
	if n := len(srv.Sent()); n != 3 {
		t.Errorf("%d accepted frames, want 3", n)
	}
}

func TestGroupText(t *testing.T) {
	srv := wecomtest.New(t)
	c := connect(t, srv)
	srv.SendGroupText("wrkgrp1", "lisi", "1.2 完成")
	p := c.push()
	b := p.body(t)
	if b["chatid"] != "wrkgrp1" || b["chattype"] != "group" || b["text"].(map[string]any)["content"] != "@planbot助手 1.2 完成" {
		t.Fatalf("group callback %s", p.Body)
	}
	if f := c.reply(wecomtest.CmdRespond, p.Headers.ReqID, streamReply("g1", "好", true)); f.code() != 0 {
		t.Fatal(f)
	}
	push := markdown("wrkgrp1", "**提醒**")
	push["chat_type"] = 2
	if f := c.call(wecomtest.CmdSend, push); f.code() != 0 {
		t.Fatalf("push to group: %+v", f)
	}
	push["chat_type"] = 1
	if f := c.call(wecomtest.CmdSend, push); f.code() != wecomtest.ErrInvalidParam {
		t.Errorf("chat_type 1 for a group: %+v", f)
	}
	sent := srv.Sent()
	if len(sent) != 2 || sent[0].ChatID != "wrkgrp1" || sent[0].ChatType != "group" || sent[1].MsgType != "markdown" ||
		sent[1].Content != "**提醒**" || sent[1].ReplyTo != "" {
		t.Errorf("sent %+v", sent)
	}
}

func TestPushOnlyToChatsThatWrote(t *testing.T) {
	srv := wecomtest.New(t)
	c := connect(t, srv)
	if f := c.call(wecomtest.CmdSend, markdown("wangwu", "hi")); f.code() != wecomtest.ErrChatNotWritten {
		t.Errorf("push to a fresh chat: %+v", f)
	}
	srv.SendText("wangwu", "你好")
	c.push()
	if f := c.call(wecomtest.CmdSend, markdown("wangwu", "hi")); f.code() != 0 {
		t.Errorf("push after a message: %+v", f)
	}
	srv.KnownChat("zhaoliu", false)
	if f := c.call(wecomtest.CmdSend, markdown("zhaoliu", "hi")); f.code() != 0 {
		t.Errorf("push to KnownChat: %+v", f)
	}
	long := strings.Repeat("a", wecomtest.MaxPushMarkdownBytes+1)
	if f := c.call(wecomtest.CmdSend, markdown("zhaoliu", long)); f.code() != wecomtest.ErrInvalidParam {
		t.Errorf("long markdown: %+v", f)
	}
	if f := c.call(wecomtest.CmdSend, markdown("zhaoliu", "")); f.code() != wecomtest.ErrEmptyContent {
		t.Errorf("empty markdown: %+v", f)
	}
	srv.FailNext(wecomtest.CmdSend, wecomtest.ErrStreamExpired)
	if f := c.call(wecomtest.CmdSend, markdown("zhaoliu", "hi")); f.code() != wecomtest.ErrStreamExpired {
		t.Errorf("FailNext: %+v", f)
	}
	if f := c.call(wecomtest.CmdSend, markdown("zhaoliu", "hi")); f.code() != 0 {
		t.Errorf("after FailNext: %+v", f)
	}
}

func TestChatLimit(t *testing.T) {
	clk := newClock()
	srv := wecomtest.New(t, wecomtest.WithClock(clk.Now), wecomtest.WithChatLimit(3, 5))
	c := connect(t, srv)
	srv.KnownChat("bob", false)
	srv.KnownChat("amy", false)
	codes := func(chat string, n int) []int {
		var out []int
		for range n {
			out = append(out, c.call(wecomtest.CmdSend, markdown(chat, "m")).code())
		}
		return out
	}
	if got := codes("bob", 4); got[2] != 0 || got[3] != wecomtest.ErrRateLimit {
		t.Errorf("first minute: %v", got)
	}
	if got := codes("amy", 1); got[0] != 0 {
		t.Errorf("another chat: %v", got)
	}
	clk.Add(time.Minute)
	if got := codes("bob", 3); got[0] != 0 || got[1] != 0 || got[2] != wecomtest.ErrRateLimit {
		t.Errorf("second minute, 5/hour: %v", got)
	}
	if srv.Violations() != 2 {
		t.Errorf("violations %d", srv.Violations())
	}
}

func TestResendIsADuplicate(t *testing.T) {
	srv := wecomtest.New(t)
	c := connect(t, srv)
	msgid := srv.SendText("zhangsan", "完成")
	first := c.push()
	req := srv.Resend(msgid)
	second := c.push()
	if second.Headers.ReqID != req || req == first.Headers.ReqID || !bytes.Equal(first.Body, second.Body) {
		t.Errorf("resend %s %s vs %s %s", first.Headers.ReqID, first.Body, second.Headers.ReqID, second.Body)
	}
	if second.body(t)["msgid"] != msgid {
		t.Errorf("msgid %v", second.body(t)["msgid"])
	}
	for _, r := range []string{first.Headers.ReqID, second.Headers.ReqID} {
		if f := c.reply(wecomtest.CmdRespond, r, streamReply("x"+r, "ok", true)); f.code() != 0 {
			t.Errorf("reply to %s: %+v", r, f)
		}
	}
}

func TestTakeoverBySecondSubscriber(t *testing.T) {
	srv := wecomtest.New(t)
	old := connect(t, srv)
	srv.WaitSubscribed(t, 1, wait)
	fresh := connect(t, srv)
	srv.WaitSubscribed(t, 2, wait)
	p := old.push()
	if ev := p.body(t)["event"].(map[string]any); p.Cmd != wecomtest.CmdEvtCallback || ev["eventtype"] != "disconnected_event" {
		t.Fatalf("old connection got %s %s", p.Cmd, p.Body)
	}
	if err := old.ended(); websocket.CloseStatus(err) != -1 {
		t.Errorf("old connection ended with %v, want no close frame", err)
	}
	srv.SendText("zhangsan", "hi")
	if p := fresh.push(); p.Cmd != wecomtest.CmdMsgCallback {
		t.Errorf("new connection got %s", p.Cmd)
	}
	_ = old.ws.CloseNow()
	srv.WaitFor(t, wait, func() bool { return srv.Open() == 1 })
}

func TestTakeoverDropAndMute(t *testing.T) {
	srv := wecomtest.New(t)
	c := connect(t, srv)
	srv.WaitSubscribed(t, 1, wait)
	srv.Takeover()
	if p := c.push(); !strings.Contains(string(p.Body), "disconnected_event") {
		t.Errorf("Takeover pushed %s", p.Body)
	}
	if err := c.ended(); websocket.CloseStatus(err) != -1 {
		t.Errorf("Takeover ended with %v", err)
	}
	if srv.Live() {
		t.Error("live after Takeover")
	}

	c = connect(t, srv)
	srv.WaitSubscribed(t, 2, wait)
	srv.Drop()
	if err := c.ended(); websocket.CloseStatus(err) != -1 || len(c.pushes) != 0 {
		t.Errorf("Drop ended with %v, %d pushes", err, len(c.pushes))
	}

	c = connect(t, srv)
	srv.WaitSubscribed(t, 3, wait)
	srv.Mute()
	c.send(wecomtest.CmdPing, "ping_muted", nil)
	srv.WaitFor(t, wait, func() bool {
		f := srv.Frames()
		return f[len(f)-1].ReqID == "ping_muted" && f[len(f)-1].Unanswered
	})
	srv.Drop()
	c.ended()
	if len(c.acks) != 0 {
		t.Errorf("a muted connection was answered: %d acks", len(c.acks))
	}
}

func TestAckDelay(t *testing.T) {
	srv := wecomtest.New(t, wecomtest.WithAckDelay(50*time.Millisecond))
	c := connect(t, srv)
	start := time.Now()
	c.call(wecomtest.CmdPing, nil)
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("ack after %v", d)
	}
	srv.SetAckDelay(0)
	c.call(wecomtest.CmdPing, nil)
}

func TestCardsAndClicks(t *testing.T) {
	clk := newClock()
	srv := wecomtest.New(t, wecomtest.WithClock(clk.Now))
	c := connect(t, srv)
	srv.SendText("zhangsan", "hi")
	c.push()
	send := func(card map[string]any) frame {
		return c.call(wecomtest.CmdSend, map[string]any{"chatid": "zhangsan", "msgtype": "template_card", "template_card": card})
	}
	if f := send(buttonCard("rem_42", "done:42", "later:42")); f.code() != 0 {
		t.Fatalf("card: %+v", f)
	}
	for name, card := range map[string]map[string]any{
		"reused task_id":  buttonCard("rem_42", "a"),
		"bad task_id":     buttonCard("rem 42!", "a"),
		"seven buttons":   buttonCard("t7", "1", "2", "3", "4", "5", "6", "7"),
		"no buttons":      buttonCard("t0"),
		"long key":        buttonCard("tk", strings.Repeat("k", 1025)),
		"repeated key":    buttonCard("tr", "a", "a"),
		"no title":        {"card_type": "button_interaction", "task_id": "tt", "button_list": []map[string]any{{"text": "a", "key": "a"}}},
		"unknown type":    {"card_type": "fancy", "task_id": "tu", "main_title": map[string]string{"title": "x"}},
		"button sin text": {"card_type": "button_interaction", "task_id": "tx", "main_title": map[string]string{"title": "x"}, "button_list": []map[string]any{{"key": "a"}}},
	} {
		if f := send(card); f.code() != wecomtest.ErrInvalidParam {
			t.Errorf("%s: %+v", name, f)
		}
	}
	sent := srv.Sent()
	if len(sent) != 1 || sent[0].Card == nil || sent[0].Card.TaskID != "rem_42" || sent[0].Card.Title != "提醒" ||
		len(sent[0].Card.Buttons) != 2 || sent[0].Card.Buttons[1].Key != "later:42" {
		t.Fatalf("sent %+v", sent)
	}

	srv.Click("zhangsan", "rem_42", "done:42")
	p := c.push()
	ev := p.body(t)["event"].(map[string]any)
	tce := ev["template_card_event"].(map[string]any)
	if p.Cmd != wecomtest.CmdEvtCallback || ev["eventtype"] != "template_card_event" || tce["event_key"] != "done:42" ||
		tce["task_id"] != "rem_42" || tce["card_type"] != "button_interaction" {
		t.Fatalf("click %s", p.Body)
	}
	update := map[string]any{"response_type": "update_template_card", "template_card": buttonCard("rem_42", "undo:42")}
	if f := c.reply(wecomtest.CmdRespond, p.Headers.ReqID, streamReply("s", "x", true)); f.code() != wecomtest.ErrInvalidReqID {
		t.Errorf("stream reply to a card event: %+v", f)
	}
	if f := c.reply(wecomtest.CmdUpdate, p.Headers.ReqID, update); f.code() != 0 {
		t.Errorf("update: %+v", f)
	}
	if card, _ := srv.Card("rem_42"); len(card.Buttons) != 1 || card.Buttons[0].Key != "undo:42" {
		t.Errorf("card after update %+v", card)
	}
	clk.Add(6 * time.Second)
	if f := c.reply(wecomtest.CmdUpdate, p.Headers.ReqID, update); f.code() != wecomtest.ErrInvalidReqID {
		t.Errorf("late update: %+v", f)
	}
}

func TestWelcome(t *testing.T) {
	srv := wecomtest.New(t)
	c := connect(t, srv)
	srv.EnterChat("zhangsan")
	p := c.push()
	if f := c.reply(wecomtest.CmdRespond, p.Headers.ReqID, streamReply("w", "hi", true)); f.code() != wecomtest.ErrInvalidReqID {
		t.Errorf("respond_msg to enter_chat: %+v", f)
	}
	welcome := map[string]any{"msgtype": "text", "text": map[string]string{"content": "欢迎"}}
	if f := c.reply(wecomtest.CmdWelcome, p.Headers.ReqID, welcome); f.code() != 0 {
		t.Errorf("welcome: %+v", f)
	}
	if f := c.call(wecomtest.CmdSend, markdown("zhangsan", "hi")); f.code() != wecomtest.ErrChatNotWritten {
		t.Errorf("push after enter_chat only: %+v", f)
	}
}

// upload sends data through aibot_upload_media_* in chunks of chunk bytes
// and returns the finish ack.
func upload(t *testing.T, c *client, typ, name string, data []byte, chunk int, md5hex string) frame {
	t.Helper()
	n := (len(data) + chunk - 1) / chunk
	init := c.call(wecomtest.CmdUploadInit, map[string]any{"type": typ, "filename": name, "total_size": len(data), "total_chunks": n, "md5": md5hex})
	if init.code() != 0 {
		return init
	}
	id := init.body(t)["upload_id"]
	for i := n - 1; i >= 0; i-- { // out of order, as allowed
		part := data[i*chunk : min(len(data), (i+1)*chunk)]
		f := c.call(wecomtest.CmdUploadChunk, map[string]any{"upload_id": id, "chunk_index": i, "base64_data": base64.StdEncoding.EncodeToString(part)})
		if f.code() != 0 {
			return f
		}
	}
	return c.call(wecomtest.CmdUploadFinish, map[string]any{"upload_id": id})
}

func TestUploadMediaAndSendFile(t *testing.T) {
	srv := wecomtest.New(t)
	c := connect(t, srv)
	srv.SendText("zhangsan", "hi")
	c.push()
	data := bytes.Repeat([]byte("进度表"), 200_000) // 1.8 MB: 4 chunks
	sum := md5.Sum(data)
	fin := upload(t, c, "file", "进度表.xlsx", data, wecomtest.MaxChunkBytes, hex.EncodeToString(sum[:]))
	b := fin.body(t)
	if fin.code() != 0 || b["media_id"] == "" || b["type"] != "file" {
		t.Fatalf("finish %+v", fin)
	}
	if f := c.call(wecomtest.CmdSend, map[string]any{"chatid": "zhangsan", "msgtype": "file", "file": map[string]any{"media_id": b["media_id"]}}); f.code() != 0 {
		t.Fatalf("send file: %+v", f)
	}
	s := srv.Sent()[0]
	if s.Media == nil || s.Media.Name != "进度表.xlsx" || s.Media.Type != "file" || !bytes.Equal(s.Media.Data, data) {
		t.Errorf("sent media %+v", s.Media)
	}
	if f := c.call(wecomtest.CmdSend, map[string]any{"chatid": "zhangsan", "msgtype": "image", "image": map[string]any{"media_id": b["media_id"]}}); f.code() != wecomtest.ErrInvalidMediaID {
		t.Errorf("file sent as image: %+v", f)
	}
	if f := upload(t, c, "image", "a.png", []byte("0123456789"), 4, "00112233445566778899aabbccddeeff"); f.code() != wecomtest.ErrMD5Mismatch {
		t.Errorf("md5 mismatch: %+v", f)
	}
	if f := upload(t, c, "file", "big", make([]byte, wecomtest.MaxChunkBytes+1), wecomtest.MaxChunkBytes+1, ""); f.code() != wecomtest.ErrInvalidParam {
		t.Errorf("oversized chunk: %+v", f)
	}
	if f := upload(t, c, "file", "tiny", []byte("abc"), 4, ""); f.code() != wecomtest.ErrMediaSize {
		t.Errorf("tiny file: %+v", f)
	}
	if f := c.call(wecomtest.CmdSend, map[string]any{"chatid": "zhangsan", "msgtype": "file", "file": map[string]any{"media_id": "nope"}}); f.code() != wecomtest.ErrInvalidMediaID {
		t.Errorf("unknown media_id: %+v", f)
	}
}

func TestKickDelay(t *testing.T) {
	srv := wecomtest.New(t, wecomtest.WithKickDelay(30*time.Millisecond))
	old := connect(t, srv)
	connect(t, srv)
	srv.WaitSubscribed(t, 2, wait)
	if p := old.push(); !strings.Contains(string(p.Body), "disconnected_event") {
		t.Fatalf("old connection got %s", p.Body)
	}
	// Until the delayed drop the old socket is read but not answered.
	old.send(wecomtest.CmdPing, "ping_after_kick", nil)
	if err := old.ended(); websocket.CloseStatus(err) != -1 || len(old.acks) != 0 {
		t.Errorf("ended with %v, %d acks", err, len(old.acks))
	}
}

func TestPushRaw(t *testing.T) {
	srv := wecomtest.New(t)
	c := connect(t, srv)
	req := srv.PushRaw(wecomtest.CmdMsgCallback, `{"msgid":"m1","aibotid":"aibtest","chattype":"single","from":{"userid":"zhangsan"},
		"msgtype":"mixed","mixed":{"msg_item":[{"msgtype":"text","text":{"content":"看图"}}]}}`)
	p := c.push()
	if p.Headers.ReqID != req || !strings.Contains(string(p.Body), `"mixed"`) {
		t.Fatalf("pushed %s %s", p.Headers.ReqID, p.Body)
	}
	if f := c.reply(wecomtest.CmdRespond, req, streamReply("r", "好", true)); f.code() != 0 {
		t.Errorf("reply to a raw message: %+v", f)
	}
	if f := c.call(wecomtest.CmdSend, markdown("zhangsan", "hi")); f.code() != 0 {
		t.Errorf("push after a raw message: %+v", f)
	}
	if s := srv.Sent()[0]; s.ChatID != "zhangsan" || s.ChatType != "single" {
		t.Errorf("sent %+v", s)
	}
}
