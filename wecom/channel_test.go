package wecom

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"planbot"
	"planbot/delivery"
	"planbot/wecom/wecomtest"
)

// connected is a connection to a fresh fake WeCom made with opts, up.
func connected(t *testing.T, opts ...wecomtest.Option) (*wecomtest.Server, *Conn) {
	t.Helper()
	srv := wecomtest.New(t, opts...)
	c := newConn(srv, newFakeClock(), &syncBuffer{})
	up := upSignal(c)
	runConn(t, c)
	waitUp(t, up)
	return srv, c
}

// callbackReqID pushes a text from userid and returns the req_id the
// client received it under.
func callbackReqID(t *testing.T, srv *wecomtest.Server, c *Conn, userid string) string {
	t.Helper()
	srv.SendText(userid, "hi")
	select {
	case f := <-c.Callbacks():
		return f.ReqID
	case <-time.After(guard):
		t.Fatal("no callback")
		return ""
	}
}

func send(t *testing.T, ch delivery.Channel, m planbot.OutboxMessage) (bool, error) {
	t.Helper()
	id, retry, err := ch.Send(context.Background(), m)
	if id != 0 {
		t.Errorf("sent message id %d: WeCom numbers none", id)
	}
	return retry, err
}

func last(s []wecomtest.Sent) wecomtest.Sent { return s[len(s)-1] }

// TestChannelRepliesAndPushes: a row answering a callback goes as a
// reply through its req_id, and as a push when the reply's stream expired
// (846608) or the req_id takes no reply (846605); other rows are pushed,
// to a group with chat_type 2.
func TestChannelRepliesAndPushes(t *testing.T) {
	srv, c := connected(t)
	ch := NewChannel(c)
	req := callbackReqID(t, srv, c, "zhangsan")
	chat := UserChat("zhangsan")

	if _, err := send(t, ch, planbot.OutboxMessage{ID: 1, ChatID: chat, Text: "<b>收到</b>", ReplyRef: req}); err != nil {
		t.Fatal(err)
	}
	if s := last(srv.Sent()); s.Cmd != wecomtest.CmdRespond || s.ReplyTo != req || s.StreamID != "pb1" || !s.Finish || s.Content != "**收到**" {
		t.Errorf("reply %+v", s)
	}
	// Sent again (its ack lost): the same bubble, not a second one.
	if _, err := send(t, ch, planbot.OutboxMessage{ID: 1, ChatID: chat, Text: "<b>收到</b>", ReplyRef: req}); err != nil {
		t.Fatal(err)
	}
	if content, finished, ok := srv.Bubble("pb1"); !ok || !finished || content != "**收到**" {
		t.Errorf("bubble pb1: %q %v %v", content, finished, ok)
	}

	for _, code := range []int{wecomtest.ErrStreamExpired, wecomtest.ErrInvalidReqID} {
		srv.FailNext(wecomtest.CmdRespond, code)
		if _, err := send(t, ch, planbot.OutboxMessage{ID: 2, ChatID: chat, Text: "later", ReplyRef: req}); err != nil {
			t.Fatalf("after %d: %v", code, err)
		}
		if s := last(srv.Sent()); s.Cmd != wecomtest.CmdSend || s.ChatID != "zhangsan" || s.ChatType != "single" ||
			s.MsgType != "markdown" || s.Content != "later" {
			t.Errorf("after %d, pushed %+v", code, s)
		}
	}

	srv.KnownChat("wrG", true)
	if _, err := send(t, ch, planbot.OutboxMessage{ChatID: GroupChat("wrG"), Text: "周报 &amp; 进度", Method: planbot.MethodEdit,
		EditMessageID: 3}); err != nil {
		t.Fatal(err)
	}
	if s := last(srv.Sent()); s.Cmd != wecomtest.CmdSend || s.ChatID != "wrG" || s.ChatType != "group" || s.Content != "周报 & 进度" {
		t.Errorf("group push %+v", s)
	}

	n := len(srv.Sent())
	if _, err := send(t, ch, planbot.OutboxMessage{Method: planbot.MethodAnswer, PressID: "p", ChatID: chat}); err != nil {
		t.Fatal(err)
	}
	if len(srv.Sent()) != n {
		t.Error("an answer without a toast sent something")
	}
	if _, err := send(t, ch, planbot.OutboxMessage{Method: planbot.MethodAnswer, PressID: "p", ChatID: chat, Text: "已记录"}); err != nil {
		t.Fatal(err)
	}
	if s := last(srv.Sent()); s.Cmd != wecomtest.CmdSend || s.Content != "已记录" {
		t.Errorf("toast %+v", s)
	}
	if v := srv.Violations(); v != 0 {
		t.Errorf("%d violations", v)
	}
}

// TestChannelButtons: buttons go as button_interaction cards pushed after
// the text, six at most each, keyed by the buttons' Data; a press comes
// back with it.
func TestChannelButtons(t *testing.T) {
	srv, c := connected(t)
	ch := NewChannel(c)
	srv.KnownChat("zhangsan", false)
	var row []planbot.Button
	for _, d := range []string{"a", "b", "c", "d", "e", "f", "g", "a", ""} {
		row = append(row, planbot.Button{Text: "选项" + d + "很长很长很长的名字", Data: d})
	}
	m := planbot.OutboxMessage{ID: 9, Attempts: 1, ChatID: UserChat("zhangsan"), Text: "<b>请选择</b> 事项\n第二行", Buttons: planbot.Keyboard{row[:4], row[4:]}}
	if _, err := send(t, ch, m); err != nil {
		t.Fatal(err)
	}
	sent := srv.Sent()
	if len(sent) != 3 || sent[0].MsgType != "markdown" || sent[1].Card == nil || sent[2].Card == nil {
		t.Fatalf("sent %+v, want the text then two cards", sent)
	}
	c1, c2 := sent[1].Card, sent[2].Card
	if c1.TaskID != "pb9" || c2.TaskID != "pb9_2" || len(c1.Buttons) != 6 || len(c2.Buttons) != 1 ||
		c1.Title != "请选择 事项" || c1.Buttons[0].Key != "a" || c2.Buttons[0].Key != "g" {
		t.Errorf("cards %+v %+v", c1, c2)
	}
	if got := []rune(c1.Buttons[0].Text); len(got) != maxButtonText {
		t.Errorf("button text %q not clipped to %d", c1.Buttons[0].Text, maxButtonText)
	}
	// Tried again (the card failed after the text went): only the card
	// goes, under a new task_id.
	req := callbackReqID(t, srv, c, "zhangsan")
	m = planbot.OutboxMessage{ID: 10, Attempts: 1, ChatID: UserChat("zhangsan"), Text: "好吗", ReplyRef: req,
		Buttons: planbot.Keyboard{{{Text: "好", Data: "ok"}}}}
	srv.FailNext(wecomtest.CmdSend, -1) // the card's push: the reply goes
	retry, err := send(t, ch, m)
	if !retry || errCode(err) != -1 {
		t.Fatalf("a busy server: %v, %v; want retry", retry, err)
	}
	n := len(srv.Sent())
	m.Attempts = 2
	if _, err := send(t, ch, m); err != nil {
		t.Fatal(err)
	}
	sent = srv.Sent()
	if len(sent) != n+1 || sent[n].Card == nil || sent[n].Card.TaskID != "pb10_r2" || sent[n-1].Content != "好吗" {
		t.Errorf("after the retry %+v, want only the card, task pb10_r2", sent[n-1:])
	}
}

// TestChannelMedia: a picture is uploaded and pushed as an image, a file
// (in several chunks) as a file, after the caption.
func TestChannelMedia(t *testing.T) {
	srv, c := connected(t)
	ch := NewChannel(c)
	srv.KnownChat("zhangsan", false)
	chart := []byte("\x89PNG chart")
	ledger := bytes.Repeat([]byte("台账"), 200_000) // 1.2 MB: three chunks
	for _, m := range []planbot.OutboxMessage{
		{ID: 1, ChatID: UserChat("zhangsan"), Text: "本周进度", Attachment: planbot.AttachPicture, FileName: "chart.png", FileData: chart},
		{ID: 2, ChatID: UserChat("zhangsan"), Attachment: planbot.AttachFile, FileName: "台账.xlsx", FileData: ledger},
	} {
		if _, err := send(t, ch, m); err != nil {
			t.Fatalf("%s: %v", m.FileName, err)
		}
	}
	sent := srv.Sent()
	if len(sent) != 3 || sent[0].Content != "本周进度" || sent[1].MsgType != "image" || sent[2].MsgType != "file" {
		t.Fatalf("sent %+v", sent)
	}
	if m := sent[1].Media; m == nil || !bytes.Equal(m.Data, chart) {
		t.Errorf("image %+v", m)
	}
	if m := sent[2].Media; m == nil || m.Name != "台账.xlsx" || !bytes.Equal(m.Data, ledger) {
		t.Errorf("file %v", m != nil && bytes.Equal(m.Data, ledger))
	}
	if _, err := send(t, ch, planbot.OutboxMessage{ChatID: UserChat("zhangsan"), Attachment: planbot.AttachFile, FileName: "x"}); err == nil {
		t.Error("a file without data was sent")
	}
}

// TestChannelErrors: WeCom's answers as delivery reads them.
func TestChannelErrors(t *testing.T) {
	srv, c := connected(t, wecomtest.WithChatLimit(2, 1000))
	ch := NewChannel(c)
	srv.KnownChat("zhangsan", false)
	row := planbot.OutboxMessage{ChatID: UserChat("zhangsan"), Text: "x"}

	// The chat's limit: the third message in the minute is refused, and
	// the chat waits the minute WeCom blocks it for.
	for i := range 3 {
		retry, err := send(t, ch, row)
		var after *delivery.RetryAfterError
		switch {
		case i < 2 && err != nil:
			t.Fatalf("message %d: %v", i, err)
		case i == 2 && (retry || !errors.As(err, &after) || after.After != time.Minute):
			t.Errorf("over the limit: %v, %v; want a minute's RetryAfterError", retry, err)
		}
	}
	if srv.Violations() != 1 {
		t.Errorf("%d violations", srv.Violations())
	}

	var gone *delivery.ChatGoneError
	if retry, err := send(t, ch, planbot.OutboxMessage{ChatID: UserChat("nobody"), Text: "x"}); retry || !errors.As(err, &gone) {
		t.Errorf("a chat that never wrote: %v, %v; want ChatGoneError", retry, err)
	}
	srv.FailNext(wecomtest.CmdSend, wecomtest.ErrInvalidParam)
	if retry, err := send(t, ch, planbot.OutboxMessage{ChatID: UserChat("lisi"), Text: "x"}); retry || errCode(err) != codeTooLong {
		t.Errorf("refused: %v, %v", retry, err)
	}
	if _, err := send(t, ch, planbot.OutboxMessage{ChatID: "telegram:7", Text: "x"}); err == nil {
		t.Error("a Telegram chat was sent to")
	}
	if _, err := send(t, ch, planbot.OutboxMessage{ChatID: UserChat("zhangsan")}); err == nil {
		t.Error("an empty row was sent")
	}

	down := NewChannel(NewConn(srv.URL(), "b", "s", nil)) // never run
	if retry, err := send(t, down, row); !retry || !errors.Is(err, ErrNotConnected) {
		t.Errorf("not connected: %v, %v; want retry", retry, err)
	}
}
