package wecom

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"planbot"
)

func TestEventPayloadRoundTrip(t *testing.T) {
	e := event{Cmd: cmdMsgCallback, ReqID: "req1", Body: json.RawMessage(`{"msgid":"m1",
		"msgtype":"mixed"}`), Media: []media{
		{Kind: kindImage, Size: 3, Data: []byte{1, 2, 3}},
		{Kind: kindImage, Err: "expired"},
		{Kind: kindFile, Name: "台账.xlsx", Size: 2, Data: []byte("ok")},
	}}
	got, err := decodeEvent(e.encode())
	if err != nil {
		t.Fatal(err)
	}
	if got.Cmd != e.Cmd || got.ReqID != e.ReqID || len(got.Media) != 3 ||
		!bytes.Equal(got.Media[0].Data, []byte{1, 2, 3}) || got.Media[1].Err != "expired" || got.Media[1].Data != nil ||
		got.Media[2].Name != "台账.xlsx" || string(got.Media[2].Data) != "ok" {
		t.Errorf("round trip: %+v", got)
	}
	var body map[string]any
	if err := json.Unmarshal(got.Body, &body); err != nil || body["msgid"] != "m1" {
		t.Errorf("body %s: %v", got.Body, err)
	}
	for _, bad := range [][]byte{nil, {0xff}, e.encode()[:20], e.encode()[:len(e.encode())-1]} {
		if _, err := decodeEvent(bad); err == nil {
			t.Errorf("decodeEvent(%d bytes) read a damaged payload", len(bad))
		}
	}
}

func TestToMessage(t *testing.T) {
	received := time.Date(2026, 5, 12, 9, 0, 0, 0, time.UTC)
	img := []media{{Kind: kindImage, Size: 1, Data: []byte{1}}}
	for _, tc := range []struct {
		name  string
		cmd   string
		body  string
		media []media
		want  planbot.Message
		ok    bool
	}{
		{"private text", cmdMsgCallback,
			`{"msgid":"m1","chattype":"single","from":{"userid":"zhangsan"},"create_time":1778576400,"msgtype":"text","text":{"content":"2.3 进度60%"}}`,
			nil, planbot.Message{ChatID: "wecom:zhangsan", Chat: planbot.ChatPrivate, UserID: "wecom:zhangsan",
				Text: "2.3 进度60%", At: time.Unix(1778576400, 0), EventRef: "req"}, true},
		{"group text keeps the mention", cmdMsgCallback,
			`{"msgid":"m2","chatid":"wrG","chattype":"group","from":{"userid":"lisi"},"msgtype":"text","text":{"content":"@planbot /targets"}}`,
			nil, planbot.Message{ChatID: "wecom:group:wrG", Chat: planbot.ChatGroup, UserID: "wecom:lisi",
				Text: "@planbot /targets", At: received, EventRef: "req"}, true},
		{"image", cmdMsgCallback,
			`{"msgid":"m3","chattype":"single","from":{"userid":"z"},"msgtype":"image","image":{"url":"u","aeskey":"k"}}`,
			img, planbot.Message{ChatID: "wecom:z", Chat: planbot.ChatPrivate, UserID: "wecom:z",
				PhotoIDs: []string{"wecom:m3"}, At: received, EventRef: "req"}, true},
		{"file", cmdMsgCallback,
			`{"msgid":"m4","chattype":"single","from":{"userid":"z"},"msgtype":"file","file":{"url":"u","aeskey":"k"}}`,
			[]media{{Kind: kindFile, Name: "a.pdf", Size: 1, Data: []byte{1}}},
			planbot.Message{ChatID: "wecom:z", Chat: planbot.ChatPrivate, UserID: "wecom:z",
				PhotoIDs: []string{planbot.DocumentEvidence("wecom:m4")}, At: received, EventRef: "req"}, true},
		{"file not fetched", cmdMsgCallback,
			`{"msgid":"m5","chattype":"single","from":{"userid":"z"},"msgtype":"file","file":{"url":"u","aeskey":"k"}}`,
			[]media{{Kind: kindFile, Err: "expired"}},
			planbot.Message{ChatID: "wecom:z", Chat: planbot.ChatPrivate, UserID: "wecom:z",
				Unsupported: true, At: received, EventRef: "req"}, true},
		{"mixed with a quote", cmdMsgCallback,
			`{"msgid":"m6","chattype":"single","from":{"userid":"z"},"msgtype":"mixed","mixed":{"msg_item":[
				{"msgtype":"text","text":{"content":"现场照片"}},{"msgtype":"image","image":{"url":"a","aeskey":"k"}},
				{"msgtype":"image","image":{"url":"b","aeskey":"k"}}]},
			  "quote":{"msgtype":"text","text":{"content":"【提醒】2.3 村道"}}}`,
			[]media{img[0], img[0]}, planbot.Message{ChatID: "wecom:z", Chat: planbot.ChatPrivate, UserID: "wecom:z",
				Text: "现场照片", PhotoIDs: []string{"wecom:m6", "wecom:m6/2"}, ReplyText: "【提醒】2.3 村道",
				At: received, EventRef: "req"}, true},
		{"voice is its transcript", cmdMsgCallback,
			`{"msgid":"m7","chattype":"single","from":{"userid":"z"},"msgtype":"voice","voice":{"content":"进度百分之六十"}}`,
			nil, planbot.Message{ChatID: "wecom:z", Chat: planbot.ChatPrivate, UserID: "wecom:z",
				Text: "进度百分之六十", At: received, EventRef: "req"}, true},
		{"unknown kind", cmdMsgCallback,
			`{"msgid":"m8","chattype":"single","from":{"userid":"z"},"msgtype":"location"}`,
			nil, planbot.Message{ChatID: "wecom:z", Chat: planbot.ChatPrivate, UserID: "wecom:z",
				Unsupported: true, At: received, EventRef: "req"}, true},
		{"button press", cmdEventCallback,
			`{"msgid":"e1","chattype":"single","from":{"userid":"z"},"msgtype":"event","event":{"eventtype":"template_card_event",
			  "template_card_event":{"card_type":"button_interaction","event_key":"done:42","task_id":"pb7"}}}`,
			nil, planbot.Message{ChatID: "wecom:z", Chat: planbot.ChatPrivate, UserID: "wecom:z", At: received,
				Callback: &planbot.Callback{ID: "req", Data: "done:42"}}, true},
		{"button press in a group", cmdEventCallback,
			`{"msgid":"e2","chatid":"wrG","chattype":"group","from":{"userid":"z"},"msgtype":"event","event":{"eventtype":"template_card_event",
			  "template_card_event":{"event_key":"k"}}}`,
			nil, planbot.Message{ChatID: "wecom:group:wrG", Chat: planbot.ChatGroup, UserID: "wecom:z", At: received,
				Callback: &planbot.Callback{ID: "req", Data: "k"}}, true},
		{"enter_chat", cmdEventCallback,
			`{"msgid":"e3","chattype":"single","from":{"userid":"z"},"msgtype":"event","event":{"eventtype":"enter_chat"}}`,
			nil, planbot.Message{}, false},
		{"no sender", cmdMsgCallback, `{"msgid":"m9","msgtype":"text","text":{"content":"x"}}`, nil, planbot.Message{}, false},
	} {
		var b callbackBody
		_ = json.Unmarshal([]byte(tc.body), &b)
		id := eventID(Frame{ReqID: "req"}, &b)
		m, ok, err := toMessage(id, event{Cmd: tc.cmd, ReqID: "req", Body: json.RawMessage(tc.body), Media: tc.media}, received)
		if err != nil || ok != tc.ok || !reflect.DeepEqual(m, tc.want) {
			t.Errorf("%s: got %+v, %v, %v\nwant %+v, %v", tc.name, m, ok, err, tc.want, tc.ok)
		}
	}
	if _, _, err := toMessage("x", event{Cmd: cmdMsgCallback, Body: json.RawMessage(`[`)}, received); err == nil {
		t.Error("a broken body was read")
	}
}

func TestAttachments(t *testing.T) {
	var b callbackBody
	_ = json.Unmarshal([]byte(`{"msgtype":"mixed","mixed":{"msg_item":[{"msgtype":"text","text":{"content":"x"}},
		{"msgtype":"image","image":{"url":"a","aeskey":"k1"}},{"msgtype":"image","image":{"url":""}}]}}`), &b)
	if got := b.attachments(); len(got) != 1 || got[0].kind != kindImage || got[0].ref.AESKey != "k1" {
		t.Errorf("mixed attachments %+v", got)
	}
	_ = json.Unmarshal([]byte(`{"msgtype":"video","video":{"url":"v","aeskey":"k"}}`), &b)
	if got := b.attachments(); len(got) != 1 || got[0].kind != kindVideo {
		t.Errorf("video attachments %+v", got)
	}
	if got := evidenceID(kindVideo, evidenceRef("m", 0)); got != planbot.VideoEvidence("wecom:m") {
		t.Errorf("video evidence %q", got)
	}
}

func TestAsReplies(t *testing.T) {
	m := planbot.Message{ChatID: "wecom:z", EventRef: "req"}
	msgs := asReplies(m, []planbot.OutboxMessage{
		{ChatID: "wecom:z", Text: "a"},
		{ChatID: "wecom:admin", Text: "b"},
		{ChatID: "wecom:z", Method: planbot.MethodAnswer, PressID: "p"},
		{ChatID: "wecom:z", ReplyRef: "other"},
	})
	if msgs[0].ReplyRef != "req" || msgs[1].ReplyRef != "" || msgs[2].ReplyRef != "" || msgs[3].ReplyRef != "other" {
		t.Errorf("asReplies %+v", msgs)
	}
	if got := asReplies(planbot.Message{ChatID: "wecom:z"}, []planbot.OutboxMessage{{ChatID: "wecom:z"}}); got[0].ReplyRef != "" {
		t.Error("a message without EventRef made a reply")
	}
}

// A group message reaches the bot only when it @s the bot: whatever name
// leads it, the conversation reads it as addressed to the bot's name.
func TestAddressed(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"@督办助手 2.3 进度60%", "@督办助手 2.3 进度60%"},
		{"@小督 /targets", "@督办助手 /targets"},
		{"@督办助手\u2005/plan 2", "@督办助手 /plan 2"},
		{"  @督办助手", "@督办助手 "},
		{"/help", "@督办助手 /help"},
	} {
		if got := addressed(c.in, "督办助手"); got != c.want {
			t.Errorf("addressed(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A press answered by a message in its chat loses its toast (WeCom would
// push it as a second message saying the same); a press answered by the
// toast alone keeps it.
func TestQuietToasts(t *testing.T) {
	chat := UserChat("ma")
	press := planbot.Message{ChatID: chat, Callback: &planbot.Callback{ID: "req", Data: "p:1:70"}}
	answered := quietToasts(press, []planbot.OutboxMessage{
		{Method: planbot.MethodAnswer, ChatID: chat, PressID: "req", Text: "已记录"},
		{ChatID: chat, Text: "✅ 已记录 2.5"},
	})
	if answered[0].Text != "" || answered[1].Text != "✅ 已记录 2.5" {
		t.Errorf("a press answered in its chat: %+v", answered)
	}
	alone := quietToasts(press, []planbot.OutboxMessage{{Method: planbot.MethodAnswer, ChatID: chat, PressID: "req", Text: "已过期"}})
	if alone[0].Text != "已过期" {
		t.Errorf("a toast alone was dropped: %+v", alone)
	}
	text := planbot.Message{ChatID: chat, Text: "hi"}
	if got := quietToasts(text, []planbot.OutboxMessage{{Method: planbot.MethodAnswer, ChatID: chat, Text: "x"}, {ChatID: chat}}); got[0].Text != "x" {
		t.Errorf("a message that is no press lost an answer's text: %+v", got)
	}
}
