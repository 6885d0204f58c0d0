package wecom

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"planbot"
	"planbot/wecom/wecomtest"
)

// texts is what the conversation was handed, in order.
func texts(ms []planbot.Message) []string {
	var out []string
	for _, m := range ms {
		if m.Callback != nil {
			out = append(out, "press "+m.Callback.Data)
			continue
		}
		out = append(out, m.Text)
	}
	return out
}

func queuedTexts(msgs []planbot.OutboxMessage) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

// sendQueued sends the queued rows through a Channel over conn, as the
// delivery sender would.
func sendQueued(t *testing.T, conn *Conn, msgs []planbot.OutboxMessage) {
	t.Helper()
	ch := NewChannel(conn)
	for _, m := range msgs {
		if _, retry, err := ch.Send(context.Background(), m); err != nil {
			t.Fatalf("send %q: %v (retry %v)", m.Text, err, retry)
		}
	}
}

// TestReceiverHandlesEachEventOnce: every message is handled once, in
// order, though WeCom pushes one twice; one whose handling panics or fails
// is recorded with the apology; the replies go back through
// aibot_respond_msg with the callback's req_id.
func TestReceiverHandlesEachEventOnce(t *testing.T) {
	srv := wecomtest.New(t)
	inbox, conv, logs := newMemInbox(), &echo{}, &syncBuffer{}
	r := newReceiver(srv, inbox, conv, newFakeClock(), logs)
	up := upSignal(r.Conn)
	handled := make(chan struct{}, 16)
	r.OnHandled = func() { handled <- struct{}{} }
	start(t, r)
	waitUp(t, up)

	first := srv.SendText("zhangsan", "a")
	srv.Resend(first)
	for _, text := range []string{"panic", "b", "fail"} {
		srv.SendText("zhangsan", text)
	}
	srv.Resend(first)
	last := srv.SendText("zhangsan", "c")
	srv.Resend(last)
	inbox.waitHandled(t, 5)
	logs.wait(t, "INFO", "the duplicate is dropped", 3)

	if got, want := texts(conv.Served()), []string{"a", "panic", "b", "fail", "c"}; !slices.Equal(got, want) {
		t.Errorf("served %q, want %q", got, want)
	}
	queued := inbox.Queued()
	if got, want := queuedTexts(queued), []string{"echo <b>a</b>", "sorry", "echo <b>b</b>", "sorry", "echo <b>c</b>"}; !slices.Equal(got, want) {
		t.Errorf("queued %q, want %q", got, want)
	}
	if !strings.Contains(logs.String(), "the handler panicked: poison") {
		t.Errorf("the panic was not logged:\n%s", logs.String())
	}
	if conv.self != User(srv.BotID()) || conv.name != srv.BotName() {
		t.Errorf("SetSelf(%q, %q), want the bot's id and name", conv.self, conv.name)
	}

	// Each reply answers its own callback.
	served := conv.Served()
	for i, m := range queued {
		if m.ReplyRef == "" || m.ReplyRef != served[i].EventRef {
			t.Errorf("queued %q answers %q, want the callback's req_id %q", m.Text, m.ReplyRef, served[i].EventRef)
		}
	}
	sendQueued(t, r.Conn, queued)
	sent := srv.WaitSent(t, func(s []wecomtest.Sent) bool { return len(s) == 5 }, guard)
	for i, s := range sent {
		if s.Cmd != wecomtest.CmdRespond || s.ReplyTo != served[i].EventRef || s.MsgType != "stream" || !s.Finish ||
			s.ChatID != "zhangsan" {
			t.Errorf("reply %d: %+v, want a finished stream answering %q", i, s, served[i].EventRef)
		}
	}
	if sent[0].Content != "echo **a**" {
		t.Errorf("reply content %q, want WeCom markdown", sent[0].Content)
	}
	if len(handled) == 0 {
		t.Error("OnHandled was not called")
	}
}

// TestReceiverRecoversStoredEvents: an event stored but not handled when
// planbot stopped (the database failing meanwhile) is handled first at the
// next start, once, before the events that come later.
func TestReceiverRecoversStoredEvents(t *testing.T) {
	srv := wecomtest.New(t)
	inbox, logs := newMemInbox(), &syncBuffer{}
	conv1 := &echo{}
	r1 := newReceiver(srv, inbox, conv1, newFakeClock(), logs)
	up := upSignal(r1.Conn)
	stop := start(t, r1)
	waitUp(t, up)
	inbox.mu.Lock()
	inbox.failHandle = true // stored, then held: a crash now leaves it pending
	inbox.mu.Unlock()
	srv.SendText("zhangsan", "held")
	logs.wait(t, "WARN", "event held until", 1)
	stop()
	inbox.mu.Lock()
	inbox.failHandle = false
	inbox.mu.Unlock()
	if n := len(conv1.Served()); n != 0 {
		t.Fatalf("served %d before the stop", n)
	}
	if p, _ := inbox.PendingInbound(context.Background(), Platform); len(p) != 1 {
		t.Fatalf("%d events pending after the stop, want the held one", len(p))
	}

	conv2 := &echo{}
	r2 := newReceiver(srv, inbox, conv2, newFakeClock(), logs)
	up2 := upSignal(r2.Conn)
	start(t, r2)
	waitUp(t, up2)
	srv.SendText("zhangsan", "after")
	inbox.waitHandled(t, 2)
	if got, want := texts(conv2.Served()), []string{"held", "after"}; !slices.Equal(got, want) {
		t.Errorf("served %q after the restart, want %q", got, want)
	}
	if got := queuedTexts(inbox.Queued()); len(got) != 2 {
		t.Errorf("queued %q, want one reply each", got)
	}
}

// TestReceiverStoresAtStop: events received but not handled at a stop
// (held behind an unwritable database) are stored, to be handled at the
// next start.
func TestReceiverStoresAtStop(t *testing.T) {
	srv := wecomtest.New(t)
	inbox, logs, clock := newMemInbox(), &syncBuffer{}, newFakeClock()
	r := newReceiver(srv, inbox, &echo{}, clock, logs)
	up := upSignal(r.Conn)
	stop := start(t, r)
	waitUp(t, up)
	inbox.mu.Lock()
	inbox.unwritable = 1 // the first store fails: everything queues behind it
	inbox.mu.Unlock()
	one := srv.SendText("zhangsan", "one")
	logs.wait(t, "WARN", "event held until", 1)
	two := srv.SendText("zhangsan", "two")
	logs.wait(t, "DEBUG", "callback queued", 2)
	stop()
	p, _ := inbox.PendingInbound(context.Background(), Platform)
	if len(p) != 2 || p[0].EventID != one || p[1].EventID != two {
		t.Errorf("pending after the stop %+v, want %s and %s", p, one, two)
	}
	if !strings.Contains(logs.String(), "stored for the next start") {
		t.Errorf("not logged:\n%s", logs.String())
	}
}

// TestReceiverRidesOutAnUnwritableDatabase: an event the database cannot
// take waits in memory and is handled once it can; the WeCom admins hear
// when the outage starts and ends, the person whose message waits is told
// once, as a reply, straight over the connection.
func TestReceiverRidesOutAnUnwritableDatabase(t *testing.T) {
	srv := wecomtest.New(t)
	srv.KnownChat("admin", false)
	inbox, logs, clock := newMemInbox(), &syncBuffer{}, newFakeClock()
	conv := &echo{admins: []planbot.ChatID{UserChat("admin"), "telegram:7"}}
	r := newReceiver(srv, inbox, conv, clock, logs)
	up := upSignal(r.Conn)
	start(t, r)
	waitUp(t, up)
	inbox.mu.Lock()
	inbox.unwritable = 2 // the store, then the handle
	inbox.mu.Unlock()
	srv.SendText("zhangsan", "2.3 进度60%")
	for range 2 {
		clock.Advance(clock.waitTimer(t, 0, 2*time.Second))
	}
	inbox.waitHandled(t, 1)
	if got := queuedTexts(inbox.Queued()); !slices.Equal(got, []string{"echo <b>2.3 进度60%</b>"}) {
		t.Errorf("queued %q, want the reply once", got)
	}
	sent := srv.WaitSent(t, func(s []wecomtest.Sent) bool { return len(s) == 3 }, guard)
	var admin, user []wecomtest.Sent
	for _, s := range sent {
		switch s.ChatID {
		case "admin":
			admin = append(admin, s)
		case "zhangsan":
			user = append(user, s)
		}
	}
	if len(admin) != 2 || !strings.HasPrefix(admin[0].Content, "⚠️ planbot 无法写入数据库：") ||
		!strings.Contains(admin[0].Content, planbot.OutageDiskHint) || !strings.HasPrefix(admin[1].Content, "✅ planbot 数据库已恢复写入") {
		t.Errorf("the admin was told %+v", admin)
	}
	if len(user) != 1 || user[0].Content != unwritableUserNotice || user[0].Cmd != wecomtest.CmdRespond {
		t.Errorf("the person was told %+v, want the notice once as a reply", user)
	}
}

// TestReceiverGivesUpAPoisonEvent: an event that fails while the database
// takes writes is given up with an apology, and the queue goes on.
func TestReceiverGivesUpAPoisonEvent(t *testing.T) {
	srv := wecomtest.New(t)
	inbox, logs, clock := newMemInbox(), &syncBuffer{}, newFakeClock()
	conv := &echo{}
	r := newReceiver(srv, inbox, conv, clock, logs)
	r.Inbox = &poisonInbox{memInbox: inbox, poison: "poison"}
	up := upSignal(r.Conn)
	start(t, r)
	waitUp(t, up)
	srv.SendText("zhangsan", "poison")
	srv.SendText("zhangsan", "next")
	for range planbot.PoisonAfter - 1 { // the tries before the last
		clock.Advance(clock.waitTimer(t, 0, 4*time.Second))
	}
	inbox.waitHandled(t, 2)
	if got, want := queuedTexts(inbox.Queued()), []string{"sorry", "echo <b>next</b>"}; !slices.Equal(got, want) {
		t.Errorf("queued %q, want %q", got, want)
	}
	if !strings.Contains(logs.String(), "given up with an apology") {
		t.Errorf("not logged:\n%s", logs.String())
	}
}

// poisonInbox fails the handling of one text as a full disk would, while
// the database takes every other write.
type poisonInbox struct {
	*memInbox
	poison string
}

func (p *poisonInbox) HandleInbound(ctx context.Context, platform, id string, now time.Time, fn func(planbot.Tx) ([]planbot.OutboxMessage, error)) (bool, error) {
	p.mu.Lock()
	payload := p.payload[id]
	p.mu.Unlock()
	if ev, err := decodeEvent(payload); err == nil && strings.Contains(string(ev.Body), p.poison) {
		return false, errFull
	}
	return p.memInbox.HandleInbound(ctx, platform, id, now, fn)
}

// TestReceiverRecordsAnEventWhoseApologyIsRefused: an apology the outbox
// refuses does not hold the event (and every event after it) back: it is
// recorded without the apology.
func TestReceiverRecordsAnEventWhoseApologyIsRefused(t *testing.T) {
	srv := wecomtest.New(t)
	inbox, logs := newMemInbox(), &syncBuffer{}
	r := newReceiver(srv, inbox, &echo{}, newFakeClock(), logs)
	up := upSignal(r.Conn)
	start(t, r)
	waitUp(t, up)
	srv.SendText("zhangsan", "fail badly")
	srv.SendText("zhangsan", "after")
	inbox.waitHandled(t, 2)
	if got, want := queuedTexts(inbox.Queued()), []string{"echo <b>after</b>"}; !slices.Equal(got, want) {
		t.Errorf("queued %q, want %q", got, want)
	}
	if !strings.Contains(logs.String(), "the apology could not be queued") {
		t.Errorf("the refused apology was not logged:\n%s", logs.String())
	}
}

// TestReceiverEvidence: an image and a file are fetched, decrypted and
// saved under their evidence references with the message; a stranger's
// file is not kept.
func TestReceiverEvidence(t *testing.T) {
	srv := wecomtest.New(t)
	inbox, logs := newMemInbox(), &syncBuffer{}
	conv := &echo{}
	r := newReceiver(srv, inbox, conv, newFakeClock(), logs)
	up := upSignal(r.Conn)
	start(t, r)
	waitUp(t, up)
	img := srv.SendImage("zhangsan", []byte("\x89PNG photo"))
	doc := srv.SendFile("zhangsan", "验收单.pdf", []byte("%PDF-1.4 scan"))
	stranger := srv.SendImage("stranger", []byte("\x89PNG spam"))
	inbox.waitHandled(t, 3)
	served := conv.Served()
	if len(served) != 3 || !slices.Equal(served[0].PhotoIDs, []string{"wecom:" + img}) ||
		!slices.Equal(served[1].PhotoIDs, []string{planbot.DocumentEvidence("wecom:" + doc)}) {
		t.Fatalf("served %+v", served)
	}
	if got, ok := inbox.Evidence("wecom:" + img); !ok || got != ":\x89PNG photo" {
		t.Errorf("image evidence %q, %v", got, ok)
	}
	if got, ok := inbox.Evidence("wecom:" + doc); !ok || got != "验收单.pdf:%PDF-1.4 scan" {
		t.Errorf("file evidence %q, %v", got, ok)
	}
	if _, ok := inbox.Evidence("wecom:" + stranger); ok {
		t.Error("a stranger's image was kept")
	}
}

// TestReceiverGroupAndCardClick: a group text keeps its @mention; a press
// on a card the bot pushed comes back as a Callback with the button's
// Data, answered by a push (its req_id takes no reply).
func TestReceiverGroupAndCardClick(t *testing.T) {
	srv := wecomtest.New(t)
	inbox, logs := newMemInbox(), &syncBuffer{}
	conv := &echo{}
	r := newReceiver(srv, inbox, conv, newFakeClock(), logs)
	up := upSignal(r.Conn)
	start(t, r)
	waitUp(t, up)
	srv.SendGroupText("wrG1", "lisi", "/targets")
	srv.SendText("zhangsan", "hi")
	inbox.waitHandled(t, 2)
	row := planbot.OutboxMessage{ID: 7, ChatID: UserChat("zhangsan"), Text: "<b>2.3</b> 完成了吗？",
		Buttons: planbot.Keyboard{{{Text: "已完成", Data: "done:42"}, {Text: "延期", Data: "later:42"}}}}
	sendQueued(t, r.Conn, []planbot.OutboxMessage{row})
	srv.Click("zhangsan", "pb7", "done:42")
	inbox.waitHandled(t, 3)
	served := conv.Served()
	g := served[0]
	if g.ChatID != GroupChat("wrG1") || g.Chat != planbot.ChatGroup || g.UserID != User("lisi") ||
		g.Text != "@"+srv.BotName()+" /targets" || g.EventRef == "" {
		t.Errorf("group message %+v", g)
	}
	press := served[2]
	if press.Callback == nil || press.Callback.Data != "done:42" || press.Callback.ID == "" ||
		press.ChatID != UserChat("zhangsan") || press.EventRef != "" {
		t.Fatalf("press %+v", press)
	}
	q := inbox.Queued()
	answer := q[len(q)-1]
	if answer.ReplyRef != "" {
		t.Errorf("the answer to a press is marked a reply to %q", answer.ReplyRef)
	}
	sendQueued(t, r.Conn, []planbot.OutboxMessage{answer})
	srv.WaitSent(t, func(s []wecomtest.Sent) bool {
		l := s[len(s)-1]
		return l.Cmd == wecomtest.CmdSend && l.Content == "pressed done:42"
	}, guard)
}
