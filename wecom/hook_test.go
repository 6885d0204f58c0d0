package wecom

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"planbot"
	"planbot/delivery"
	"planbot/wecom/wecomtest"
)

const robotKey = "KEY-leaders-7f3a"

func newHook(t *testing.T, opts ...wecomtest.Option) (*wecomtest.Server, *HookChannel) {
	srv := wecomtest.New(t, append([]wecomtest.Option{wecomtest.WithRobots(robotKey)}, opts...)...)
	return srv, NewHookChannel(srv.WebhookURL(), map[string]string{"leaders": robotKey, "old": "REMOVED-KEY"}, nil)
}

// TestHookChannelSends: the digest's text as markdown, its chart as an
// image (base64 and md5), the ledger uploaded and sent as a file; buttons
// left out, an answer sends nothing.
func TestHookChannelSends(t *testing.T) {
	srv, h := newHook(t)
	chart := []byte("\x89PNG chart")
	big := bytes.Repeat([]byte{7}, maxHookImage+1)
	ledger := []byte("PK\x03\x04 xlsx")
	for _, m := range []planbot.OutboxMessage{
		{ID: 1, ChatID: RobotChat("leaders"), Text: "<b>周报</b> 完成 3 项 &amp; 延期 1 项",
			Buttons: planbot.Keyboard{{{Text: "x", Data: "y"}}}},
		{ID: 2, ChatID: RobotChat("leaders"), Text: "进度图", Attachment: planbot.AttachPicture, FileName: "chart.png", FileData: chart},
		{ID: 3, ChatID: RobotChat("leaders"), Attachment: planbot.AttachFile, FileName: "台账.xlsx", FileData: ledger},
		{ID: 4, ChatID: RobotChat("leaders"), Attachment: planbot.AttachPicture, FileName: "big.png", FileData: big},
		{ID: 5, ChatID: RobotChat("leaders"), Method: planbot.MethodAnswer, PressID: "p", Text: "toast"},
	} {
		if _, retry, err := h.Send(t.Context(), m); err != nil {
			t.Fatalf("row %d: %v (retry %v)", m.ID, err, retry)
		}
	}
	hooks := srv.Hooks()
	if len(hooks) != 5 {
		t.Fatalf("%d webhook sends, want 5: %+v", len(hooks), hooks)
	}
	for _, hk := range hooks {
		if hk.Errcode != 0 || hk.Key != robotKey {
			t.Errorf("refused: %+v", hk)
		}
	}
	if hooks[0].MsgType != "markdown" || hooks[0].Content != "**周报** 完成 3 项 & 延期 1 项" {
		t.Errorf("text %+v", hooks[0])
	}
	if hooks[1].Content != "进度图" || hooks[2].MsgType != "image" || !bytes.Equal(hooks[2].Image, chart) {
		t.Errorf("picture %+v %+v", hooks[1], hooks[2])
	}
	if hooks[3].MsgType != "file" || hooks[3].FileName != "台账.xlsx" || !bytes.Equal(hooks[3].FileData, ledger) {
		t.Errorf("file %+v", hooks[3])
	}
	if hooks[4].MsgType != "file" || !bytes.Equal(hooks[4].FileData, big) {
		t.Errorf("a picture over 2 MiB went as %s", hooks[4].MsgType)
	}
}

// TestHookChannelErrors: the robot's answers as delivery reads them,
// and the key in none of them.
func TestHookChannelErrors(t *testing.T) {
	srv, h := newHook(t)
	row := planbot.OutboxMessage{ChatID: RobotChat("leaders"), Text: "x"}
	var after *delivery.RetryAfterError
	var gone *delivery.ChatGoneError
	for _, tc := range []struct {
		name          string
		status, code  int
		m             planbot.OutboxMessage
		retry         bool
		cool, chatErr bool
	}{
		{name: "rate limited", code: wecomtest.ErrRateLimit, m: row, cool: true},
		{name: "busy", code: -1, m: row, retry: true},
		{name: "a proxy's 502", status: http.StatusBadGateway, m: row, retry: true},
		{name: "a 404", status: http.StatusNotFound, m: row},
		{name: "too long", code: wecomtest.ErrInvalidParam, m: row},
		{name: "bad md5", code: wecomtest.ErrMD5Mismatch, m: row},
		{name: "removed key", m: planbot.OutboxMessage{ChatID: RobotChat("old"), Text: "x"}, chatErr: true},
		{name: "unknown robot", m: planbot.OutboxMessage{ChatID: RobotChat("nobody"), Text: "x"}, chatErr: true},
	} {
		if tc.status != 0 || tc.code != 0 {
			srv.FailNextHook(tc.status, tc.code)
		}
		_, retry, err := h.Send(t.Context(), tc.m)
		switch {
		case err == nil:
			t.Errorf("%s: sent", tc.name)
		case retry != tc.retry:
			t.Errorf("%s: retry %v (%v)", tc.name, retry, err)
		case tc.cool && (!errors.As(err, &after) || after.After != time.Minute):
			t.Errorf("%s: %v, want a minute's RetryAfterError", tc.name, err)
		case tc.chatErr != errors.As(err, &gone):
			t.Errorf("%s: %v, ChatGoneError %v", tc.name, err, tc.chatErr)
		case strings.Contains(err.Error(), robotKey) || strings.Contains(err.Error(), "REMOVED-KEY"):
			t.Errorf("%s: the key is in %v", tc.name, err)
		}
	}
	long := planbot.OutboxMessage{ChatID: RobotChat("leaders"), Text: strings.Repeat("字", 1366)}
	if _, retry, err := h.Send(t.Context(), long); retry || err == nil {
		t.Errorf("markdown over 4096 bytes: %v, %v", retry, err)
	}
	unreachable := NewHookChannel("http://127.0.0.1:1/cgi-bin/webhook", map[string]string{"leaders": robotKey}, nil)
	if _, retry, err := unreachable.Send(t.Context(), row); !retry || err == nil || strings.Contains(err.Error(), robotKey) {
		t.Errorf("no answer: %v, %v; want retry without the key", retry, err)
	}
}

// TestHookChannelRateLimit: over 20 a minute the robot refuses, and the
// chat is cooled for the minute.
func TestHookChannelRateLimit(t *testing.T) {
	srv, h := newHook(t)
	row := planbot.OutboxMessage{ChatID: RobotChat("leaders"), Text: "x"}
	for range wecomtest.HookPerMinute {
		if _, _, err := h.Send(t.Context(), row); err != nil {
			t.Fatal(err)
		}
	}
	var after *delivery.RetryAfterError
	if _, retry, err := h.Send(t.Context(), row); retry || !errors.As(err, &after) || after.After != time.Minute {
		t.Errorf("the 21st: %v, %v", retry, err)
	}
	if srv.Violations() != 1 {
		t.Errorf("%d violations", srv.Violations())
	}
}
