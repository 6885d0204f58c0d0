package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
	"planbot/delivery"
	"planbot/telegram/telegramtest"
)

// The keyboard goes out in the form the Bot API library wrote before the
// scheduler and the conversation shared one encoder, and that the outbox
// stored (moved here from the root's InlineKeyboardJSON test).
func TestInlineKeyboardJSON(t *testing.T) {
	markup := func(k planbot.Keyboard) string {
		m := inlineKeyboard(k)
		if m == nil {
			return ""
		}
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	k := planbot.Keyboard{{{Text: "确认", Data: "p:7:ok"}, {Text: "<改>", Data: "p:7:edit"}}, {{Text: "取消", Data: ""}}}
	want := `{"inline_keyboard":[[{"text":"确认","callback_data":"p:7:ok"},{"text":"\u003c改\u003e","callback_data":"p:7:edit"}],[{"text":"取消","callback_data":""}]]}`
	if got := markup(k); got != want {
		t.Errorf("inline keyboard =\n%s\nwant\n%s", got, want)
	}
	if got := markup(nil); got != "" {
		t.Errorf("no buttons: %q, want none", got)
	}
	col := markup(planbot.Column([]planbot.Button{{Text: "a", Data: "r:1"}, {Text: "b", Data: "r:2"}}))
	if want := `{"inline_keyboard":[[{"text":"a","callback_data":"r:1"}],[{"text":"b","callback_data":"r:2"}]]}`; col != want {
		t.Errorf("Column = %s, want %s", col, want)
	}
	if got, want := markup(planbot.Keyboard{{}, {{Text: "a", Data: "r:1"}}}), `{"inline_keyboard":[null,[{"text":"a","callback_data":"r:1"}]]}`; got != want {
		t.Errorf("an empty row = %s, want %s", got, want)
	}
}

// fakeAPI answers every call with err, and keeps the requests.
type fakeAPI struct {
	err  error
	id   int
	reqs []tgbotapi.Chattable
}

func (f *fakeAPI) GetUpdates(tgbotapi.UpdateConfig) ([]tgbotapi.Update, error) { return nil, f.err }

func (f *fakeAPI) Request(c tgbotapi.Chattable) (*tgbotapi.APIResponse, error) {
	f.reqs = append(f.reqs, c)
	if f.err != nil {
		return &tgbotapi.APIResponse{}, f.err
	}
	// What the Bot API answers a send or an edit with: the message.
	return &tgbotapi.APIResponse{Ok: true, Result: json.RawMessage(fmt.Sprintf(`{"message_id":%d,"chat":{"id":42}}`, f.id))}, nil
}

func (f *fakeAPI) Send(c tgbotapi.Chattable) (tgbotapi.Message, error) {
	f.reqs = append(f.reqs, c)
	if f.err != nil {
		return tgbotapi.Message{}, f.err
	}
	return tgbotapi.Message{MessageID: f.id}, nil
}

// TestChannelClassifiesAnswers: Telegram's answers in delivery's terms,
// as the sender read them before delivery was a pipeline.
func TestChannelClassifiesAnswers(t *testing.T) {
	const token = "123456:SECRET"
	apiErr := func(code int, desc string, p tgbotapi.ResponseParameters) error {
		return &tgbotapi.Error{Code: code, Message: desc, ResponseParameters: p}
	}
	send := planbot.OutboxMessage{ID: 1, ChatID: ChatID(42), Text: "hi"}
	edit := planbot.OutboxMessage{ID: 2, ChatID: ChatID(42), Method: planbot.MethodEdit, EditMessageID: 9, Text: "hi"}
	dropped := &url.Error{Op: "Post", URL: "https://api.telegram.org/bot" + token + "/sendMessage", Err: errors.New("EOF")}
	for _, c := range []struct {
		name    string
		msg     planbot.OutboxMessage
		err     error
		id      int
		retry   bool
		want    any // the error's type, nil for none
		errText string
	}{
		{"sent", send, nil, 77, false, nil, ""},
		{"no answer: retry, token redacted", send, dropped, 0, true, &url.Error{}, "bot<token>/sendMessage"},
		{"a wrapped 429", send, Redact(apiErr(429, "Too Many Requests: retry after 3", tgbotapi.ResponseParameters{RetryAfter: 3}), token),
			0, false, &delivery.RetryAfterError{}, "429 Too Many Requests: retry after 3"},
		{"blocked", send, apiErr(403, "Forbidden: bot was blocked by the user", tgbotapi.ResponseParameters{}),
			0, false, &delivery.ChatGoneError{}, "403 Forbidden: bot was blocked by the user"},
		{"chat not found", send, apiErr(400, "Bad Request: chat not found", tgbotapi.ResponseParameters{}),
			0, false, &delivery.ChatGoneError{}, "400 Bad Request: chat not found"},
		{"upgraded to a supergroup", send, apiErr(400, "Bad Request: group chat was upgraded to a supergroup chat",
			tgbotapi.ResponseParameters{MigrateToChatID: -1001}), 0, false, &delivery.ChatMovedError{}, "upgraded"},
		{"edit not modified: sent, as the message it edits", edit, apiErr(400, "Bad Request: message is not modified", tgbotapi.ResponseParameters{}),
			9, false, nil, ""},
		{"server error: retry", send, apiErr(502, "Bad Gateway", tgbotapi.ResponseParameters{}), 0, true, apiError{}, "502 Bad Gateway"},
		{"refused", send, apiErr(400, "Bad Request: can't parse entities", tgbotapi.ResponseParameters{}), 0, false, apiError{}, "400 Bad Request: can't parse entities"},
	} {
		t.Run(c.name, func(t *testing.T) {
			api := &fakeAPI{err: c.err, id: 77}
			id, retry, err := NewChannel(api, token).Send(context.Background(), c.msg)
			if id != c.id || retry != c.retry {
				t.Errorf("Send = (%d, %v, %v), want (%d, %v, …)", id, retry, err, c.id, c.retry)
			}
			switch w := c.want.(type) {
			case nil:
				if err != nil {
					t.Errorf("error %v, want none", err)
				}
			case *delivery.RetryAfterError:
				if !errors.As(err, &w) || w.After != 3*time.Second {
					t.Errorf("error %#v, want a RetryAfterError of 3 s", err)
				}
			case *delivery.ChatMovedError:
				if !errors.As(err, &w) || w.To != ChatID(-1001) {
					t.Errorf("error %#v, want a move to the supergroup", err)
				}
			case *delivery.ChatGoneError:
				if !errors.As(err, &w) {
					t.Errorf("error %#v, want ChatGoneError", err)
				}
			}
			if err != nil && (!strings.Contains(err.Error(), c.errText) || strings.Contains(err.Error(), "SECRET")) {
				t.Errorf("error text %q, want it to hold %q and no token", err, c.errText)
			}
		})
	}
}

func TestChannelRefusesWhatCannotGo(t *testing.T) {
	api := &fakeAPI{}
	ch := NewChannel(api, "")
	for name, m := range map[string]planbot.OutboxMessage{
		"another platform's chat": {ChatID: "console:1", Text: "hi"},
		"a picture without data":  {ChatID: ChatID(42), Attachment: planbot.AttachPicture, FileName: "a.png"},
	} {
		if _, retry, err := ch.Send(context.Background(), m); err == nil || retry {
			t.Errorf("%s: (retry %v, %v), want refused", name, retry, err)
		}
	}
	if len(api.reqs) != 0 {
		t.Errorf("%d requests made for messages that cannot go", len(api.reqs))
	}
}

// TestChannelRequests: what each kind of outbox row becomes.
func TestChannelRequests(t *testing.T) {
	kb := planbot.Keyboard{{{Text: "填报", Data: "r:2.3"}}}
	for _, c := range []struct {
		name  string
		msg   planbot.OutboxMessage
		check func(tgbotapi.Chattable) bool
	}{
		{"text", planbot.OutboxMessage{ChatID: ChatID(42), Text: "<b>hi</b>", Buttons: kb}, func(c tgbotapi.Chattable) bool {
			m := c.(tgbotapi.MessageConfig)
			return m.ChatID == 42 && m.ParseMode == "HTML" && m.DisableWebPagePreview && m.ReplyMarkup.(*tgbotapi.InlineKeyboardMarkup) != nil
		}},
		{"text without buttons", planbot.OutboxMessage{ChatID: ChatID(42), Text: "hi"}, func(c tgbotapi.Chattable) bool {
			return c.(tgbotapi.MessageConfig).ReplyMarkup.(*tgbotapi.InlineKeyboardMarkup) == nil
		}},
		{"edit", planbot.OutboxMessage{Method: planbot.MethodEdit, ChatID: ChatID(-5), EditMessageID: 3, Text: "x", Buttons: kb}, func(c tgbotapi.Chattable) bool {
			e := c.(tgbotapi.EditMessageTextConfig)
			return e.ChatID == -5 && e.MessageID == 3 && e.ParseMode == "HTML" && e.ReplyMarkup != nil
		}},
		{"picture", planbot.OutboxMessage{ChatID: ChatID(42), Text: "周报图", Attachment: planbot.AttachPicture, FileName: "d.png", FileData: []byte("png")},
			func(c tgbotapi.Chattable) bool {
				p := c.(tgbotapi.PhotoConfig)
				f, ok := p.File.(tgbotapi.FileBytes)
				return ok && f.Name == "d.png" && p.Caption == "周报图" && p.ParseMode == "HTML"
			}},
		{"file", planbot.OutboxMessage{ChatID: ChatID(42), Text: "台账", Attachment: planbot.AttachFile, FileName: "l.xlsx", FileData: []byte("x")},
			func(c tgbotapi.Chattable) bool {
				d := c.(tgbotapi.DocumentConfig)
				f, ok := d.File.(tgbotapi.FileBytes)
				return ok && f.Name == "l.xlsx" && d.Caption == "台账" && d.ParseMode == "HTML"
			}},
		{"answer", planbot.OutboxMessage{Method: planbot.MethodAnswer, ChatID: ChatID(42), PressID: "cq1", Text: "收到"}, func(c tgbotapi.Chattable) bool {
			a := c.(tgbotapi.CallbackConfig)
			return a.CallbackQueryID == "cq1" && a.Text == "收到"
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			api := &fakeAPI{id: 5}
			if _, _, err := NewChannel(api, "").Send(context.Background(), c.msg); err != nil {
				t.Fatal(err)
			}
			if len(api.reqs) != 1 {
				t.Fatalf("%d requests", len(api.reqs))
			}
			if !c.check(api.reqs[0]) {
				t.Errorf("request %#v", api.reqs[0])
			}
		})
	}
}

// TestChannelUploads: a picture and a file go as uploads, with their
// caption in HTML and the buttons under them, and Telegram takes them.
func TestChannelUploads(t *testing.T) {
	srv := telegramtest.New(t)
	api, err := tgbotapi.NewBotAPIWithClient(srv.Token(), srv.Endpoint(), &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(Redact(err, srv.Token()))
	}
	ch := NewChannel(api, srv.Token())
	kb := planbot.Keyboard{{{Text: "查看", Data: "v:1"}}}
	for _, m := range []planbot.OutboxMessage{
		{ChatID: ChatID(42), Text: "<b>周报图</b>", Buttons: kb, Attachment: planbot.AttachPicture, FileName: "digest.png", FileData: []byte("\x89PNG")},
		{ChatID: ChatID(42), Text: "台账 &amp; 附件", Attachment: planbot.AttachFile, FileName: "ledger.xlsx", FileData: []byte("PK")},
	} {
		if id, retry, err := ch.Send(context.Background(), m); err != nil || retry || id == 0 {
			t.Fatalf("Send(%s) = (%d, %v, %v)", m.FileName, id, retry, err)
		}
	}
	photo, doc := srv.CallsTo("sendPhoto"), srv.CallsTo("sendDocument")
	if len(photo) != 1 || !photo[0].OK || photo[0].FileName != "digest.png" || string(photo[0].File) != "\x89PNG" ||
		photo[0].Caption != "<b>周报图</b>" || photo[0].ParseMode != "HTML" || photo[0].Markup == nil {
		t.Errorf("sendPhoto:\n%s", telegramtest.Describe(photo))
	}
	if len(doc) != 1 || !doc[0].OK || doc[0].FileName != "ledger.xlsx" || doc[0].Caption != "台账 &amp; 附件" || doc[0].Markup != nil {
		t.Errorf("sendDocument:\n%s", telegramtest.Describe(doc))
	}
}
