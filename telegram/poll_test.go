package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
	"planbot/telegram/telegramtest"
)

const pollGuard = 10 * time.Second

// memLog is an UpdateLog in memory: what HandleUpdate's transaction
// would commit, it keeps.
type memLog struct {
	mu      sync.Mutex
	offset  int
	handled map[int]bool
	queued  []string // the texts queued, in order
	// unwritable is how many writes still fail as on a full disk.
	unwritable int
}

var errFull = fmt.Errorf("commit: %w: database or disk is full", planbot.ErrUnwritable)

func (l *memLog) Offset(context.Context) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.offset, nil
}

func (l *memLog) HandleUpdate(_ context.Context, id, next int, _ time.Time, fn func(planbot.Tx) ([]planbot.OutboxMessage, error)) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.handled[id] {
		l.offset = max(l.offset, next)
		return true, nil
	}
	if l.unwritable > 0 {
		l.unwritable--
		return false, errFull
	}
	msgs, err := fn(nil) // the fake conversation reads no store
	if err != nil {
		return false, err
	}
	l.commit(id, next, msgs)
	return false, nil
}

// HandleUpdates is HandleUpdate and RecordUpdate for a batch, all or
// nothing: while the log is unwritable the batch fails whole (without
// using up an unwritable write: the poller then goes one by one).
func (l *memLog) HandleUpdates(_ context.Context, batch []planbot.PolledUpdate) ([]planbot.PolledOutcome, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.unwritable > 0 {
		return nil, errFull
	}
	out := make([]planbot.PolledOutcome, len(batch))
	type staged struct {
		id, next int
		msgs     []planbot.OutboxMessage
	}
	var commits []staged
	for i, u := range batch {
		if l.handled[u.ID] {
			out[i].Already = true
			l.offset = max(l.offset, u.NextOffset)
			continue
		}
		var msgs []planbot.OutboxMessage
		if u.Serve != nil {
			var err error
			if msgs, err = u.Serve(nil); err != nil {
				out[i].Failed, msgs = err, u.Apology()
				if slices.ContainsFunc(msgs, func(m planbot.OutboxMessage) bool { return m.Text == refusedApology }) {
					out[i].ApologyRefused, msgs = errors.New("enqueue: invalid message: no chat id"), nil
				}
			}
		}
		commits = append(commits, staged{u.ID, u.NextOffset, msgs})
	}
	for _, c := range commits {
		l.commit(c.id, c.next, c.msgs)
	}
	return out, nil
}

func (l *memLog) RecordUpdate(_ context.Context, id, next int, _ time.Time, msgs ...planbot.OutboxMessage) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range msgs {
		if m.Text == refusedApology {
			return errors.New("enqueue: invalid message: no chat id") // as the outbox refuses a malformed row
		}
	}
	if !l.handled[id] {
		l.commit(id, next, msgs)
	}
	return nil
}

// refusedApology is an apology the outbox refuses (a bug in the reply).
const refusedApology = "malformed sorry"

func (l *memLog) commit(id, next int, msgs []planbot.OutboxMessage) {
	if l.handled == nil {
		l.handled = map[int]bool{}
	}
	l.handled[id] = true
	l.offset = max(l.offset, next)
	for _, m := range msgs {
		l.queued = append(l.queued, m.Text)
	}
}

func (l *memLog) ProbeWrite(context.Context, time.Time) error { return nil }

func (l *memLog) Queued() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.queued)
}

// echo is a Conversation that echoes texts, panics at "panic" and fails
// at "fail".
type echo struct {
	mu   sync.Mutex
	self planbot.UserID
	name string
}

func (e *echo) Serve(_ context.Context, _ planbot.Tx, m planbot.Message) ([]planbot.OutboxMessage, error) {
	switch m.Text {
	case "panic":
		panic("poison")
	case "fail", "fail badly":
		return nil, errors.New("failed")
	}
	return []planbot.OutboxMessage{{ChatID: m.ChatID, Text: "echo " + m.Text}}, nil
}

func (e *echo) ApologyFor(m planbot.Message) []planbot.OutboxMessage {
	if m.Text == "fail badly" {
		return []planbot.OutboxMessage{{Text: refusedApology}}
	}
	return []planbot.OutboxMessage{{ChatID: m.ChatID, Text: "sorry"}}
}

func (e *echo) AdminChats() []planbot.ChatID { return []planbot.ChatID{ChatID(7)} }

func (e *echo) Known(context.Context, planbot.BindingReader, planbot.UserID) bool { return true }

func (e *echo) SetSelf(id planbot.UserID, name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.self, e.name = id, name
}

// noBindings is a BindingReader with nobody bound by invite.
type noBindings struct{}

func (noBindings) Binding(context.Context, planbot.UserID) (string, bool, error) {
	return "", false, nil
}
func (noBindings) ChatBindings(context.Context) (map[string]planbot.ChatID, error) {
	return nil, nil
}

// syncBuffer is a log sink for several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newPoller is a Poller over srv with a memLog and an echo conversation;
// its requests end with ctx. self is the bot's account, as getMe told.
func newPoller(t *testing.T, ctx context.Context, srv *telegramtest.Server, logs *syncBuffer) (p *Poller, updates *memLog, conv *echo, self tgbotapi.User) {
	t.Helper()
	api, err := Connect(ctx, srv.Token(), srv.Endpoint(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	updates, conv = &memLog{}, &echo{}
	p = &Poller{Conv: conv, Updates: updates, API: api, Token: srv.Token(), Commands: []Command{{"report", "填报 · 报进度"}},
		Log: slog.New(slog.NewTextHandler(logs, nil)), PollTimeout: time.Second}
	return p, updates, conv, api.Self
}

// poll runs p.Poll until the returned stop is called, and returns its
// error.
func poll(t *testing.T, p *Poller, cancel context.CancelFunc, ctx context.Context) (stop func() error) {
	done := make(chan error, 1)
	go func() { done <- p.Poll(ctx) }()
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(pollGuard):
			t.Fatal("Poll did not return after its context ended")
			return nil
		}
	}
}

// TestPollerHandlesEachUpdateOnce: every update is handled once, in
// order; one whose handling panics or fails is recorded with the apology
// and does not hold up the rest; the account and the menu are set up.
func TestPollerHandlesEachUpdateOnce(t *testing.T) {
	srv := telegramtest.New(t, telegramtest.WithMaxPollWait(50*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	p, updates, conv, self := newPoller(t, ctx, srv, &logs)
	var woken sync.WaitGroup
	woken.Add(1)
	var once sync.Once
	p.OnHandled = func() { once.Do(woken.Done) }
	if err := p.Start(self); err != nil {
		t.Fatal(err)
	}
	u := telegramtest.User{ID: 42, FirstName: "马"}
	chat := telegramtest.PrivateChat(u)
	var last int
	for _, text := range []string{"a", "panic", "b", "fail", "c"} {
		last = srv.SendText(u, chat, text)
	}
	stop := poll(t, p, cancel, ctx)
	srv.WaitConfirmed(t, last, pollGuard)
	woken.Wait()
	if err := stop(); err != nil {
		t.Fatalf("Poll: %v", err)
	}

	if got, want := updates.Queued(), []string{"echo a", "sorry", "echo b", "sorry", "echo c"}; !slices.Equal(got, want) {
		t.Errorf("queued %q, want %q", got, want)
	}
	if n := len(updates.handled); n != 5 {
		t.Errorf("%d updates recorded, want 5", n)
	}
	if conv.self != UserID(self.ID) || conv.name != self.UserName {
		t.Errorf("the conversation was told it is %q (%q), want %q", conv.self, conv.name, UserID(self.ID))
	}
	if cmds := srv.Commands(); len(cmds) != 1 || cmds[0].Command != "report" {
		t.Errorf("menu %+v", cmds)
	}
	if n := strings.Count(logs.String(), "handling failed; apologising"); n != 2 {
		t.Errorf("%d failures logged, want 2:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "the handler panicked: poison") {
		t.Errorf("the panic was not logged:\n%s", logs.String())
	}

}

// TestPollerGivesUpOnConflicts: repeated 409s mean another instance
// polls with the token: Poll returns ErrConflict.
func TestPollerGivesUpOnConflicts(t *testing.T) {
	srv := telegramtest.New(t, telegramtest.WithMaxPollWait(50*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	p, _, _, _ := newPoller(t, ctx, srv, &logs)
	p.MaxConflicts = 1
	srv.Conflict(1)
	if err := p.Poll(ctx); !errors.Is(err, ErrConflict) {
		t.Errorf("Poll = %v, want ErrConflict", err)
	}
}

// TestPollerRidesOutAnUnwritableDatabase: an update the database cannot
// take stays at Telegram (the offset holds) and is handled once it can;
// the admins hear when the outage starts and ends, the person whose
// message waits is told once, straight through the Bot API.
func TestPollerRidesOutAnUnwritableDatabase(t *testing.T) {
	srv := telegramtest.New(t, telegramtest.WithMaxPollWait(50*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	p, updates, _, _ := newPoller(t, ctx, srv, &logs)
	p.Bindings = noBindings{}
	updates.unwritable = 1
	u := telegramtest.User{ID: 42, FirstName: "马"}
	id := srv.SendText(u, telegramtest.PrivateChat(u), "2.3 进度60%")
	stop := poll(t, p, cancel, ctx)
	srv.WaitConfirmed(t, id, pollGuard)
	if err := stop(); err != nil {
		t.Fatalf("Poll: %v", err)
	}
	if got := updates.Queued(); !slices.Equal(got, []string{"echo 2.3 进度60%"}) {
		t.Errorf("queued %q, want the reply once", got)
	}
	admin := srv.Sent(7)
	if len(admin) != 2 || !strings.HasPrefix(admin[0].Text, "⚠️ planbot 无法写入数据库：") ||
		!strings.Contains(admin[0].Text, planbot.OutageDiskHint) || !strings.HasPrefix(admin[1].Text, "✅ planbot 数据库已恢复写入") {
		t.Errorf("the admin was told:\n%s", telegramtest.Describe(admin))
	}
	if user := srv.Sent(42); len(user) != 1 || user[0].Text != unwritableUserNotice {
		t.Errorf("the person was told:\n%s", telegramtest.Describe(user))
	}
}

func TestNotify(t *testing.T) {
	const token = "123456:SECRET"
	api := &fakeAPI{}
	if err := Notify(api, []planbot.ChatID{ChatID(7), "console:1", ChatID(-5)}, "a < b"); err != nil {
		t.Fatal(err)
	}
	if len(api.reqs) != 2 {
		t.Fatalf("%d notices sent, want 2 (the console is not Telegram's)", len(api.reqs))
	}
	if m := api.reqs[0].(tgbotapi.MessageConfig); m.ChatID != 7 || m.Text != "a < b" || m.ParseMode != "" {
		t.Errorf("notice %+v, want plain text", m)
	}
	api.err = errors.New("Post https://api.telegram.org/bot" + token + "/sendMessage: EOF")
	err := Redact(Notify(api, []planbot.ChatID{ChatID(7)}, "x"), token)
	if err == nil || !strings.Contains(err.Error(), "telegram:7") || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("Notify's error %v, want the chat named and no token", err)
	}
}

func TestUntilReachable(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	wrongToken := &tgbotapi.Error{Code: 401, Message: "Unauthorized"}
	calls := 0
	err := UntilReachable(context.Background(), log, "connect", func() error { calls++; return wrongToken })
	if !errors.Is(err, wrongToken) || calls != 1 {
		t.Errorf("a 401: %v after %d calls, want it at once", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls = 0
	err = UntilReachable(ctx, log, "connect", func() error { calls++; cancel(); return errors.New("EOF") })
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("stopped while unreachable: %v after %d calls", err, calls)
	}
	if err := UntilReachable(context.Background(), log, "connect", func() error { return nil }); err != nil {
		t.Errorf("reachable: %v", err)
	}
}

// TestPollerRecordsAnUpdateWhoseApologyIsRefused: an apology the outbox
// refuses (a bug, not an outage) does not hold the update, and every
// update after it, back forever: it is recorded without the apology.
func TestPollerRecordsAnUpdateWhoseApologyIsRefused(t *testing.T) {
	srv := telegramtest.New(t, telegramtest.WithMaxPollWait(50*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	p, updates, _, self := newPoller(t, ctx, srv, &logs)
	if err := p.Start(self); err != nil {
		t.Fatal(err)
	}
	u := telegramtest.User{ID: 42, FirstName: "马"}
	chat := telegramtest.PrivateChat(u)
	srv.SendText(u, chat, "fail badly")
	last := srv.SendText(u, chat, "after")
	stop := poll(t, p, cancel, ctx)
	srv.WaitConfirmed(t, last, pollGuard)
	if err := stop(); err != nil {
		t.Fatalf("Poll: %v", err)
	}
	if got, want := updates.Queued(), []string{"echo after"}; !slices.Equal(got, want) {
		t.Errorf("queued %q, want %q", got, want)
	}
	if !strings.Contains(logs.String(), "the apology could not be queued") {
		t.Errorf("the refused apology was not logged:\n%s", logs.String())
	}
}
