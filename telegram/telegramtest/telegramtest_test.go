package telegramtest_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot/telegram/telegramtest"
)

// wait bounds every blocking step; nothing here sleeps.
const wait = 5 * time.Second

var (
	alice = telegramtest.User{ID: 1001, FirstName: "Alice", Username: "alice"}
	bob   = telegramtest.User{ID: 1002, FirstName: "Bob"}
	group = telegramtest.GroupChat(-4001, "Township work plan")
)

func newClient(t *testing.T, opts ...telegramtest.Option) (*telegramtest.Server, *tgbotapi.BotAPI) {
	t.Helper()
	srv := telegramtest.New(t, opts...)
	api, err := tgbotapi.NewBotAPIWithAPIEndpoint(srv.Token(), srv.Endpoint())
	if err != nil {
		t.Fatalf("NewBotAPIWithAPIEndpoint: %v", err)
	}
	return srv, api
}

// apiError extracts the *tgbotapi.Error (errors.As needs the pointer).
func apiError(t *testing.T, err error) *tgbotapi.Error {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	var tgErr *tgbotapi.Error
	if !errors.As(err, &tgErr) {
		t.Fatalf("error %T %v is not a *tgbotapi.Error", err, err)
	}
	return tgErr
}

func TestGetMe(t *testing.T) {
	srv, api := newClient(t)
	if api.Self.ID != 123456 || !api.Self.IsBot || api.Self.UserName != srv.BotUser().Username || api.Self.UserName == "" {
		t.Errorf("Self = %+v", api.Self)
	}
	calls := srv.Calls()
	if len(calls) != 1 || calls[0].Method != "getMe" || calls[0].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}
}

func TestWrongTokenAndUnknownMethod(t *testing.T) {
	srv, api := newClient(t)
	if _, err := tgbotapi.NewBotAPIWithAPIEndpoint("123456:wrong", srv.Endpoint()); err == nil {
		t.Error("wrong token accepted")
	} else if e := apiError(t, err); e.Code != 401 || e.Message != "Unauthorized" {
		t.Errorf("wrong token: %+v", e)
	}
	_, err := api.MakeRequest("sendTelepathy", nil)
	if e := apiError(t, err); e.Code != 404 || e.Message != "Not Found" {
		t.Errorf("unknown method: %+v", e)
	}
	// Method names are case-insensitive, as in Telegram.
	if _, err := api.MakeRequest("getme", nil); err != nil {
		t.Errorf("getme: %v", err)
	}
}

func TestLongPollReturnsWhenUpdatePushed(t *testing.T) {
	srv, api := newClient(t)
	type result struct {
		ups []tgbotapi.Update
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		ups, err := api.GetUpdates(tgbotapi.UpdateConfig{Timeout: 50})
		done <- result{ups, err}
	}()
	srv.WaitPolling(t, wait) // the request is being held

	var id int
	pushed := make(chan struct{})
	go func() { // from another goroutine, as a real user would
		id = srv.SendText(alice, telegramtest.PrivateChat(alice), "/start hello")
		close(pushed)
	}()
	select {
	case r := <-done:
		<-pushed
		if r.err != nil {
			t.Fatal(r.err)
		}
		if len(r.ups) != 1 || r.ups[0].UpdateID != id || id != telegramtest.DefaultFirstUpdateID {
			t.Fatalf("updates = %+v, want id %d", r.ups, id)
		}
		m := r.ups[0].Message
		if m.Text != "/start hello" || m.From.ID != alice.ID || m.Chat.ID != alice.ID || m.Chat.Type != "private" || m.MessageID != 1 {
			t.Errorf("message = %+v", m)
		}
		if !m.IsCommand() || m.Command() != "start" || m.CommandArguments() != "hello" {
			t.Errorf("command entity missing: %+v", m.Entities)
		}
	case <-time.After(wait):
		t.Fatal("long poll did not return after SendText")
	}
	if d := time.Since(start); d > wait {
		t.Errorf("took %v", d)
	}
}

func TestOffsetConfirmsAndDrops(t *testing.T) {
	srv, api := newClient(t)
	chat := telegramtest.PrivateChat(alice)
	id1 := srv.SendText(alice, chat, "one")
	id2 := srv.SendText(alice, chat, "two")
	id3 := srv.SendText(alice, chat, "three")
	if id2 != id1+1 || id3 != id2+1 {
		t.Fatalf("ids %d %d %d", id1, id2, id3)
	}

	ups, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(ups) != 3 {
		t.Fatalf("first poll: %v %d updates", err, len(ups))
	}
	if srv.Pending() != 3 || srv.Offset() != 0 {
		t.Errorf("without offset nothing is confirmed: pending %d offset %d", srv.Pending(), srv.Offset())
	}
	ups, err = api.GetUpdates(tgbotapi.UpdateConfig{Offset: id2 + 1, Limit: 10})
	if err != nil || len(ups) != 1 || ups[0].UpdateID != id3 {
		t.Fatalf("after offset: %v %+v", err, ups)
	}
	if srv.Pending() != 1 || srv.Offset() != id2+1 {
		t.Errorf("pending %d offset %d", srv.Pending(), srv.Offset())
	}
	ups, err = api.GetUpdates(tgbotapi.UpdateConfig{Offset: id3 + 1})
	if err != nil || len(ups) != 0 || srv.Pending() != 0 {
		t.Errorf("all confirmed: %v %d updates, %d pending", err, len(ups), srv.Pending())
	}
	// limit
	for i := range 5 {
		srv.SendText(bob, telegramtest.PrivateChat(bob), fmt.Sprint(i))
	}
	ups, _ = api.GetUpdates(tgbotapi.UpdateConfig{Offset: id3 + 1, Limit: 2})
	if len(ups) != 2 || ups[0].Message.Text != "0" {
		t.Errorf("limit 2: %+v", ups)
	}
}

func TestInlineKeyboardRoundTrip(t *testing.T) {
	srv, api := newClient(t)
	chat := telegramtest.PrivateChat(alice)
	msg := tgbotapi.NewMessage(alice.ID, "<b>确认</b> 报告？")
	msg.ParseMode = tgbotapi.ModeHTML
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(
		tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData("是", "confirm:7"),
			tgbotapi.NewInlineKeyboardButtonData("否", "cancel:7"),
		),
		tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonURL("说明", "https://example.org/help")),
	)
	sent, err := api.Send(msg)
	if err != nil {
		t.Fatal(err)
	}
	if sent.MessageID != 1 || sent.Chat.ID != alice.ID || sent.Text != "确认 报告？" || sent.From.ID != 123456 {
		t.Errorf("sent = %+v", sent)
	}
	if len(sent.Entities) != 1 || sent.Entities[0].Type != "bold" || sent.Entities[0].Length != 2 {
		t.Errorf("entities = %+v", sent.Entities)
	}
	if sent.ReplyMarkup == nil || len(sent.ReplyMarkup.InlineKeyboard) != 2 {
		t.Errorf("reply markup = %+v", sent.ReplyMarkup)
	}

	calls := srv.Sent(alice.ID)
	if len(calls) != 1 {
		t.Fatalf("sent = %+v", calls)
	}
	c := calls[0]
	if c.Text != "<b>确认</b> 报告？" || c.ParseMode != "HTML" || c.MessageID != 1 || !c.OK {
		t.Errorf("call = %+v", c)
	}
	want := []telegramtest.Button{{Text: "是", CallbackData: "confirm:7"}, {Text: "否", CallbackData: "cancel:7"}, {Text: "说明", URL: "https://example.org/help"}}
	if got := c.Markup.Buttons(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("buttons = %+v", got)
	}

	// The user presses a button; the query carries the message.
	uid := srv.PressButtonText(alice, chat, sent.MessageID, "是")
	ups, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(ups) != 1 || ups[0].UpdateID != uid {
		t.Fatalf("press: %v %+v", err, ups)
	}
	q := ups[0].CallbackQuery
	if q == nil || q.Data != "confirm:7" || q.From.ID != alice.ID || q.Message.MessageID != 1 || q.ID != telegramtest.CallbackQueryID(uid) || q.Message.ReplyMarkup == nil {
		t.Fatalf("callback = %+v", q)
	}
	if _, err := api.Request(tgbotapi.NewCallback(q.ID, "已确认")); err != nil {
		t.Fatalf("answer: %v", err)
	}
	if _, err := api.Request(tgbotapi.NewCallback(q.ID, "again")); err == nil {
		t.Error("a query answered twice is accepted")
	}
	if a := srv.CallsTo("answerCallbackQuery")[0]; a.CallbackID != q.ID || a.Text != "已确认" || a.ChatID != alice.ID || !a.OK {
		t.Errorf("answer call = %+v", a)
	}

	// Editing the text without a markup removes the keyboard.
	if _, err := api.Send(tgbotapi.NewEditMessageText(alice.ID, sent.MessageID, "已确认")); err != nil {
		t.Fatal(err)
	}
	m, _ := srv.Message(alice.ID, sent.MessageID)
	if m.Plain != "已确认" || m.Markup != nil || m.Edits != 1 {
		t.Errorf("after edit: %+v", m)
	}
	_, err = api.Send(tgbotapi.NewEditMessageText(alice.ID, sent.MessageID, "已确认"))
	if e := apiError(t, err); e.Code != 400 || !strings.Contains(e.Message, "message is not modified") {
		t.Errorf("same edit: %+v", e)
	}
	_, err = api.Send(tgbotapi.NewEditMessageText(alice.ID, 99, "x"))
	if e := apiError(t, err); e.Message != "Bad Request: message to edit not found" {
		t.Errorf("missing message: %+v", e)
	}
	if n := len(srv.Sent(alice.ID)); n != 2 {
		t.Errorf("Sent has %d calls, want send + one edit", n)
	}
}

func TestCallbackDataLimit(t *testing.T) {
	_, api := newClient(t)
	msg := tgbotapi.NewMessage(alice.ID, "pick")
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("x", strings.Repeat("数", 22)))) // 66 bytes
	_, err := api.Send(msg)
	if e := apiError(t, err); e.Message != "Bad Request: BUTTON_DATA_INVALID" {
		t.Errorf("got %+v", e)
	}
}

func TestTooManyRequests(t *testing.T) {
	srv, api := newClient(t)
	srv.FailNext("sendMessage", 1, telegramtest.Fault{RetryAfter: 5})
	_, err := api.Send(tgbotapi.NewMessage(alice.ID, "hi"))
	e := apiError(t, err)
	if e.Code != 429 || e.RetryAfter != 5 || e.Message != "Too Many Requests: retry after 5" {
		t.Errorf("got %+v", e)
	}
	// A value type assertion never matches: the library returns a pointer.
	if _, isValue := err.(tgbotapi.Error); isValue {
		t.Error("error is a value")
	}
	if _, err := api.Send(tgbotapi.NewMessage(alice.ID, "hi")); err != nil {
		t.Errorf("the fault should apply once: %v", err)
	}
	calls := srv.CallsTo("sendMessage")
	if len(calls) != 2 || calls[0].Status != 429 || calls[0].OK || calls[0].RetryAfter != 5 || !calls[1].OK {
		t.Errorf("calls = %+v", calls)
	}
	if got := len(srv.Sent(alice.ID)); got != 1 {
		t.Errorf("Sent = %d", got)
	}
	if got := len(srv.SendTimes(alice.ID)); got != 2 {
		t.Errorf("SendTimes counts attempts: %d", got)
	}
}

func TestFaultOnlyForChat(t *testing.T) {
	srv, api := newClient(t)
	srv.FailNext("sendMessage", 1, telegramtest.Fault{Status: 500, ChatID: bob.ID})
	if _, err := api.Send(tgbotapi.NewMessage(alice.ID, "a")); err != nil {
		t.Errorf("alice: %v", err)
	}
	_, err := api.Send(tgbotapi.NewMessage(bob.ID, "b"))
	if e := apiError(t, err); e.Code != 500 || e.Message != "Internal Server Error" {
		t.Errorf("bob: %+v", e)
	}
}

func TestHTMLChecks(t *testing.T) {
	_, api := newClient(t)
	send := func(text string) error {
		m := tgbotapi.NewMessage(alice.ID, text)
		m.ParseMode = tgbotapi.ModeHTML
		_, err := api.Send(m)
		return err
	}
	for _, text := range []string{"完成率 < 50%", "R&D 报告", "<b>unclosed", "<script>x</script>", "<b><i>x</b></i>"} {
		err := send(text)
		if e := apiError(t, err); e.Code != 400 || !strings.HasPrefix(e.Message, "Bad Request: can't parse entities: ") {
			t.Errorf("%q: %+v", text, e)
		}
	}
	if e := apiError(t, send("a < b")); e.Message != `Bad Request: can't parse entities: Unsupported start tag "" at byte offset 2` {
		t.Errorf("message = %q", e.Message)
	}
	for _, text := range []string{"完成率 &lt; 50%", "R&amp;D &#39;x&#39;", `<a href="https://e.org/?a=1&amp;b=2">link</a>`, "<pre><code class=\"language-go\">x</code></pre>", `<span class="tg-spoiler">s</span>`} {
		if err := send(text); err != nil {
			t.Errorf("%q: %v", text, err)
		}
	}
	// Plain text is not parsed: < and & are fine.
	if _, err := api.Send(tgbotapi.NewMessage(alice.ID, "a < b & c")); err != nil {
		t.Errorf("plain: %v", err)
	}
}

func TestTextLimits(t *testing.T) {
	_, api := newClient(t)
	send := func(text, mode string) error {
		m := tgbotapi.NewMessage(alice.ID, text)
		m.ParseMode = mode
		_, err := api.Send(m)
		return err
	}
	if e := apiError(t, send(strings.Repeat("a", 4097), "")); e.Code != 400 || e.Message != "Bad Request: message is too long" {
		t.Errorf("4097: %+v", e)
	}
	for _, ok := range []struct{ text, mode string }{
		{strings.Repeat("a", 4096), ""},
		{strings.Repeat("工", 4096), ""},                      // one UTF-16 unit each
		{"<b>" + strings.Repeat("a", 4096) + "</b>", "HTML"}, // tags do not count
		{strings.Repeat("&lt;", 4096), "HTML"},               // entities count once
	} {
		if err := send(ok.text, ok.mode); err != nil {
			t.Errorf("%d bytes %s: %v", len(ok.text), ok.mode, err)
		}
	}
	if err := send(strings.Repeat("😀", 2049), ""); err == nil {
		t.Error("2049 emoji (4098 UTF-16 units) accepted")
	}
	if e := apiError(t, send("   ", "")); e.Message != "Bad Request: message text is empty" {
		t.Errorf("blank: %+v", e)
	}
	if e := apiError(t, send("<b></b>", "HTML")); e.Message != "Bad Request: message text is empty" {
		t.Errorf("empty after parsing: %+v", e)
	}
	if e := apiError(t, send("半个字\xe5\xb7", "")); e.Message != "Bad Request: text must be encoded in UTF-8" {
		t.Errorf("split rune: %+v", e)
	}
}

func TestBlockedAndMigratedChats(t *testing.T) {
	srv, api := newClient(t)
	srv.BlockChat(alice.ID)
	_, err := api.Send(tgbotapi.NewMessage(alice.ID, "hi"))
	if e := apiError(t, err); e.Code != 403 || e.Message != "Forbidden: bot was blocked by the user" {
		t.Errorf("blocked: %+v", e)
	}
	srv.KnownChat(group)
	srv.BlockChat(group.ID)
	_, err = api.Send(tgbotapi.NewMessage(group.ID, "hi"))
	if e := apiError(t, err); e.Code != 403 || e.Message != "Forbidden: bot was kicked from the group chat" {
		t.Errorf("kicked: %+v", e)
	}
	srv.UnblockChat(group.ID)
	srv.MigrateChat(group.ID, -1001234567890)
	_, err = api.Send(tgbotapi.NewMessage(group.ID, "hi"))
	if e := apiError(t, err); e.Code != 400 || e.MigrateToChatID != -1001234567890 {
		t.Errorf("migrated: %+v", e)
	}
	sent, err := api.Send(tgbotapi.NewMessage(-1001234567890, "hi"))
	if err != nil || sent.Chat.Type != "supergroup" || sent.Chat.Title != group.Title {
		t.Errorf("resend: %v %+v", err, sent.Chat)
	}
}

func TestSendPhotoMultipart(t *testing.T) {
	srv, api := newClient(t)
	data := []byte("\x89PNG\r\n\x1a\n chart bytes")
	p := tgbotapi.NewPhoto(group.ID, tgbotapi.FileBytes{Name: "chart.png", Bytes: data})
	p.Caption = "<b>本周</b>进度"
	p.ParseMode = tgbotapi.ModeHTML
	sent, err := api.Send(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent.Photo) == 0 || sent.Caption != "本周进度" || len(sent.CaptionEntities) != 1 {
		t.Fatalf("sent = %+v", sent)
	}
	c := srv.Sent(group.ID)[0]
	if c.Method != "sendPhoto" || string(c.File) != string(data) || c.FileName != "chart.png" || c.Caption != p.Caption || c.FileID == "" || c.FileID != sent.Photo[0].FileID {
		t.Errorf("call = %+v", c)
	}

	// The file can be fetched back.
	f, err := api.GetFile(tgbotapi.FileConfig{FileID: sent.Photo[0].FileID})
	if err != nil || f.FilePath == "" {
		t.Fatalf("getFile: %v %+v", err, f)
	}
	resp, err := http.Get(fmt.Sprintf(srv.FileEndpoint(), srv.Token(), f.FilePath))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != string(data) {
		t.Errorf("downloaded %q", got)
	}

	// By file_id (no upload): a form-encoded request.
	doc := tgbotapi.NewDocument(group.ID, tgbotapi.FileID(sent.Photo[0].FileID))
	if _, err := api.Send(doc); err != nil {
		t.Errorf("by file id: %v", err)
	}
	if _, err := api.Send(tgbotapi.NewDocument(group.ID, tgbotapi.FileID("no-such-file"))); err == nil {
		t.Error("unknown file id accepted")
	}

	// Upload errors: tgbotapi v5.5.1 leaves Error.Code 0 for multipart requests.
	p.Caption = strings.Repeat("字", 1025)
	p.ParseMode = ""
	_, err = api.Send(p)
	if e := apiError(t, err); e.Message != "Bad Request: message caption is too long" || e.Code != 0 {
		t.Errorf("long caption: %+v", e)
	}
}

func TestInboundPhotoAndRawUpdates(t *testing.T) {
	srv, api := newClient(t)
	srv.SendPhoto(alice, group, "现场照片", "small-id", "big-id")
	srv.SendAnonymous(group, "/status")
	srv.PushRaw(`{"message":{"message_id":50,"date":1700000000,"chat":{"id":-4001,"type":"group"},"from":{"id":1001,"is_bot":false,"first_name":"A"},"text":"bad ` + "\xff" + ` byte"}}`)
	ups, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(ups) != 3 {
		t.Fatalf("%v %d", err, len(ups))
	}
	ph := ups[0].Message
	if len(ph.Photo) != 2 || ph.Photo[1].FileID != "big-id" || ph.Caption != "现场照片" {
		t.Errorf("photo = %+v", ph)
	}
	an := ups[1].Message
	if an.From.ID != telegramtest.AnonymousAdminID || an.SenderChat == nil || an.SenderChat.ID != group.ID {
		t.Errorf("anonymous = %+v", an)
	}
	if ups[2].UpdateID != ups[1].UpdateID+1 || !strings.Contains(ups[2].Message.Text, "\uFFFD") {
		t.Errorf("raw = %d %q", ups[2].UpdateID, ups[2].Message.Text)
	}
	// The user's photo can be resent by id.
	if _, err := api.Send(tgbotapi.NewPhoto(alice.ID, tgbotapi.FileID("big-id"))); err != nil {
		t.Errorf("resend photo: %v", err)
	}
}

func TestCloseReleasesLongPoll(t *testing.T) {
	srv, api := newClient(t)
	done := make(chan error, 1)
	go func() {
		_, err := api.GetUpdates(tgbotapi.UpdateConfig{Timeout: 50})
		done <- err
	}()
	srv.WaitPolling(t, wait)
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("released poll: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Close did not release the long poll")
	}
	select {
	case <-closed:
	case <-time.After(wait):
		t.Fatal("Close blocked")
	}
	if _, err := api.GetMe(); err == nil {
		t.Error("request after Close succeeded")
	}
}

func TestOutages(t *testing.T) {
	srv, api := newClient(t)
	srv.SetDown(telegramtest.Refuse)
	_, err := api.Send(tgbotapi.NewMessage(alice.ID, "x"))
	var uerr *url.Error
	if !errors.As(err, &uerr) {
		t.Errorf("refused: %T %v", err, err)
	}
	srv.SetDown(telegramtest.Status502)
	if _, err := api.Send(tgbotapi.NewMessage(alice.ID, "x")); err == nil {
		t.Error("502 accepted")
	}
	srv.SetDown(telegramtest.Up)
	if _, err := api.Send(tgbotapi.NewMessage(alice.ID, "x")); err != nil {
		t.Errorf("after outage: %v", err)
	}
	calls := srv.CallsTo("sendMessage")
	if len(calls) != 3 || calls[0].Status != 0 || calls[1].Status != 502 || calls[2].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}

	// An outage starting during a long poll ends it.
	done := make(chan error, 1)
	go func() {
		_, err := api.GetUpdates(tgbotapi.UpdateConfig{Timeout: 50})
		done <- err
	}()
	srv.WaitPolling(t, wait)
	srv.SetDown(telegramtest.Refuse)
	select {
	case err := <-done:
		if err == nil {
			t.Error("poll during outage succeeded")
		}
	case <-time.After(wait):
		t.Fatal("outage did not end the poll")
	}
}

func TestDeliveredThenDropped(t *testing.T) {
	srv, api := newClient(t)
	srv.FailNext("sendMessage", 1, telegramtest.Fault{Drop: true, Delivered: true})
	if _, err := api.Send(tgbotapi.NewMessage(alice.ID, "once")); err == nil {
		t.Fatal("dropped call returned no error")
	}
	sent := srv.Sent(alice.ID)
	if len(sent) != 1 || sent[0].Status != 0 || sent[0].MessageID != 1 {
		t.Errorf("the message was delivered: %+v", sent)
	}
}

func TestDelayTripsClientTimeout(t *testing.T) {
	srv := telegramtest.New(t)
	api, err := tgbotapi.NewBotAPIWithClient(srv.Token(), srv.Endpoint(), &http.Client{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv.FailNext("sendMessage", 1, telegramtest.Fault{Delay: time.Minute})
	if _, err := api.Send(tgbotapi.NewMessage(alice.ID, "slow")); err == nil {
		t.Fatal("no timeout")
	}
	// The server notices the client gave up and records the call.
	srv.WaitFor(t, wait, func(calls []telegramtest.Call) bool {
		c := telegramtest.Filter(calls, func(c telegramtest.Call) bool { return c.Method == "sendMessage" })
		return len(c) == 1 && c[0].Status == 0 && !c[0].OK
	})
}

func TestConflicts(t *testing.T) {
	srv, api := newClient(t)
	srv.Conflict(1)
	_, err := api.GetUpdates(tgbotapi.UpdateConfig{})
	if e := apiError(t, err); e.Code != 409 || !strings.HasPrefix(e.Message, "Conflict: terminated by other getUpdates request") {
		t.Errorf("conflict: %+v", e)
	}

	// A second poller ends the first with 409.
	done := make(chan error, 1)
	go func() {
		_, err := api.GetUpdates(tgbotapi.UpdateConfig{Timeout: 50})
		done <- err
	}()
	srv.WaitPolling(t, wait)
	if _, err := api.GetUpdates(tgbotapi.UpdateConfig{}); err != nil {
		t.Errorf("second poller: %v", err)
	}
	select {
	case err := <-done:
		if e := apiError(t, err); e.Code != 409 {
			t.Errorf("first poller: %+v", e)
		}
	case <-time.After(wait):
		t.Fatal("first poller not terminated")
	}

	// A webhook blocks getUpdates until deleteWebhook.
	srv.SetWebhook("https://example.org/hook")
	srv.SendText(alice, telegramtest.PrivateChat(alice), "x")
	if _, err := api.GetUpdates(tgbotapi.UpdateConfig{}); err == nil {
		t.Error("getUpdates with a webhook set")
	}
	if _, err := api.Request(tgbotapi.DeleteWebhookConfig{DropPendingUpdates: true}); err != nil {
		t.Fatal(err)
	}
	if ups, err := api.GetUpdates(tgbotapi.UpdateConfig{}); err != nil || len(ups) != 0 || srv.Pending() != 0 {
		t.Errorf("after deleteWebhook(drop): %v %d", err, len(ups))
	}
}

func TestSetMyCommands(t *testing.T) {
	srv, api := newClient(t)
	cmds := tgbotapi.NewSetMyCommands(
		tgbotapi.BotCommand{Command: "report", Description: "报告进度"},
		tgbotapi.BotCommand{Command: "status", Description: "查看状态"},
	)
	if _, err := api.Request(cmds); err != nil {
		t.Fatal(err)
	}
	if got := srv.Commands(); len(got) != 2 || got[0].Command != "report" {
		t.Errorf("commands = %+v", got)
	}
	if c := srv.CallsTo("setMyCommands")[0]; len(c.Commands) != 2 {
		t.Errorf("call = %+v", c)
	}
	if _, err := api.Request(tgbotapi.NewSetMyCommands(tgbotapi.BotCommand{Command: "Report", Description: "x"})); err == nil {
		t.Error("upper-case command accepted")
	}
}

func TestAllowedUpdates(t *testing.T) {
	srv, api := newClient(t)
	chat := telegramtest.PrivateChat(alice)
	srv.SendText(alice, chat, "text")
	want := srv.PressButton(alice, chat, 1, "data")
	ups, err := api.GetUpdates(tgbotapi.UpdateConfig{AllowedUpdates: []string{"callback_query"}})
	if err != nil || len(ups) != 1 || ups[0].UpdateID != want {
		t.Errorf("%v %+v", err, ups)
	}
}

func TestClockAndWaitFor(t *testing.T) {
	monday := time.Date(2025, 3, 3, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	var mu sync.Mutex
	now := monday
	srv, api := newClient(t, telegramtest.WithClock(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}))
	go func() {
		for i := range 3 {
			_, _ = api.Send(tgbotapi.NewMessage(group.ID, fmt.Sprint("msg ", i)))
		}
	}()
	sent := srv.WaitSent(t, group.ID, 3, wait)
	times := srv.SendTimes(group.ID)
	if len(sent) != 3 || len(times) != 3 {
		t.Fatalf("sent %d, times %d", len(sent), len(times))
	}
	for i := 1; i < 3; i++ {
		if d := times[i].Sub(times[i-1]); d != time.Second {
			t.Errorf("gap %d = %v", i, d)
		}
	}
	if !sent[0].At.After(monday) || sent[0].At.Sub(monday) > time.Minute {
		t.Errorf("At = %v", sent[0].At)
	}
}

// fatalTB records Fatalf and stops the goroutine, like testing.T.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestWaitForFailsOnTimeout(t *testing.T) {
	srv, api := newClient(t)
	if _, err := api.Send(tgbotapi.NewMessage(alice.ID, "the only message")); err != nil {
		t.Fatal(err)
	}
	ftb := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.WaitFor(ftb, 50*time.Millisecond, func(calls []telegramtest.Call) bool { return len(calls) > 10 })
	}()
	<-done
	if !strings.Contains(ftb.msg, "condition not met") || !strings.Contains(ftb.msg, "the only message") {
		t.Errorf("failure message = %q", ftb.msg)
	}
}

func TestOptions(t *testing.T) {
	srv, api := newClient(t, telegramtest.WithMaxPollWait(10*time.Millisecond), telegramtest.WithStrictChats(), telegramtest.WithFirstUpdateID(7))
	ups, err := api.GetUpdates(tgbotapi.UpdateConfig{Timeout: 50}) // capped: returns empty at once
	if err != nil || len(ups) != 0 {
		t.Fatalf("%v %+v", err, ups)
	}
	_, err = api.Send(tgbotapi.NewMessage(bob.ID, "hi"))
	if e := apiError(t, err); e.Message != "Bad Request: chat not found" {
		t.Errorf("strict: %+v", e)
	}
	if id := srv.SendText(bob, telegramtest.PrivateChat(bob), "hello"); id != 7 {
		t.Errorf("first update id %d", id)
	}
	reply := tgbotapi.NewMessage(bob.ID, "hi")
	reply.ReplyToMessageID = 1
	if _, err := api.Send(reply); err != nil {
		t.Errorf("known chat: %v", err)
	}
	msgs := srv.Messages(bob.ID)
	if len(msgs) != 2 || msgs[0].FromBot || !msgs[1].FromBot || msgs[1].ID != 2 {
		t.Errorf("messages = %+v", msgs)
	}
	if c := srv.Sent(bob.ID)[0]; c.ReplyTo != 1 {
		t.Errorf("reply_to = %d", c.ReplyTo)
	}
}
