package wecom

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

	"planbot"
	"planbot/storage"
	"planbot/wecom/wecomtest"
)

// storage.DB is the Inbox cmd/planbot wires.
var _ Inbox = (*storage.DB)(nil)

// guard bounds every wait on something the code under test does; no test
// waits for time to pass (the fake clock is stepped instead).
const guard = 10 * time.Second

// fakeClock is a Clock a test steps: After fires when Advance passes its
// deadline.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	set     int // timers set so far
	timers  []fakeTimer
	changed chan struct{} // closed and replaced when a timer is set
}

type fakeTimer struct {
	seq int // the order it was set in
	at  time.Time
	ch  chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 5, 12, 9, 0, 0, 0, time.UTC), changed: make(chan struct{})}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.set++
	c.timers = append(c.timers, fakeTimer{seq: c.set, at: c.now.Add(d), ch: ch})
	close(c.changed)
	c.changed = make(chan struct{})
	return ch
}

// Advance moves the clock on by d, firing the timers due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.ch <- c.now
	}
	c.timers = kept
}

// mark is the count of timers set so far, for waitTimerAfter.
func (c *fakeClock) mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.set
}

// waitTimer waits until a timer is set that fires between lo and hi from
// now, and returns how far off it is: the code under test is waiting.
func (c *fakeClock) waitTimer(t *testing.T, lo, hi time.Duration) time.Duration {
	t.Helper()
	return c.waitTimerAfter(t, 0, lo, hi)
}

// waitTimerAfter is waitTimer for the timers set after mark.
func (c *fakeClock) waitTimerAfter(t *testing.T, mark int, lo, hi time.Duration) time.Duration {
	t.Helper()
	deadline := time.After(guard)
	for {
		c.mu.Lock()
		ch := c.changed
		for _, tm := range c.timers {
			if d := tm.at.Sub(c.now); tm.seq > mark && d >= lo && d <= hi {
				c.mu.Unlock()
				return d
			}
		}
		c.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no timer between %v and %v was set", lo, hi)
		}
	}
}

// syncBuffer is a log sink for several goroutines.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed != nil {
		close(b.changed)
	}
	b.changed = make(chan struct{})
	return b.buf.Write(p)
}

// wait waits until n lines at level mention s.
func (b *syncBuffer) wait(t *testing.T, level, s string, n int) {
	t.Helper()
	deadline := time.After(guard)
	for {
		b.mu.Lock()
		if b.changed == nil {
			b.changed = make(chan struct{})
		}
		ch := b.changed
		b.mu.Unlock()
		if b.count(level, s) >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%d log lines at %s with %q, want %d:\n%s", b.count(level, s), level, s, n, b.String())
		}
	}
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// count is how many lines at level mention s.
func (b *syncBuffer) count(level, s string) int {
	n := 0
	for line := range strings.Lines(b.String()) {
		if strings.Contains(line, "level="+level) && strings.Contains(line, s) {
			n++
		}
	}
	return n
}

// memInbox is an Inbox in memory: what HandleInbound's transaction would
// commit, it keeps.
type memInbox struct {
	mu       sync.Mutex
	order    []string // event ids as stored
	payload  map[string][]byte
	received map[string]time.Time
	handled  map[string]bool
	queued   []planbot.OutboxMessage
	evidence map[string]string // ref → name + ":" + data
	// unwritable is how many writes still fail as on a full disk.
	unwritable int
	// failHandle: HandleInbound fails as on a full disk (storing works).
	failHandle bool
	// changed is closed and replaced on every commit.
	changed chan struct{}
}

var errFull = fmt.Errorf("commit: %w: database or disk is full", planbot.ErrUnwritable)

func newMemInbox() *memInbox {
	return &memInbox{payload: map[string][]byte{}, received: map[string]time.Time{}, handled: map[string]bool{},
		evidence: map[string]string{}, changed: make(chan struct{})}
}

func (in *memInbox) notify() {
	close(in.changed)
	in.changed = make(chan struct{})
}

func (in *memInbox) full() bool {
	if in.unwritable > 0 {
		in.unwritable--
		return true
	}
	return false
}

func (in *memInbox) StoreInbound(_ context.Context, platform, id string, payload []byte, now time.Time) (bool, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if platform != Platform || id == "" {
		return false, errors.New("bad inbound key")
	}
	if in.full() {
		return false, errFull
	}
	if _, ok := in.payload[id]; ok {
		return false, nil
	}
	in.order = append(in.order, id)
	in.payload[id], in.received[id] = payload, now
	in.notify()
	return true, nil
}

func (in *memInbox) PendingInbound(_ context.Context, platform string) ([]planbot.InboundEvent, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []planbot.InboundEvent
	for _, id := range in.order {
		if !in.handled[id] {
			out = append(out, planbot.InboundEvent{Platform: platform, EventID: id, Payload: in.payload[id], ReceivedAt: in.received[id]})
		}
	}
	return out, nil
}

func (in *memInbox) HandleInbound(_ context.Context, _, id string, _ time.Time, fn func(planbot.Tx) ([]planbot.OutboxMessage, error)) (bool, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.handled[id] {
		return true, nil
	}
	if in.full() || in.failHandle {
		return false, errFull
	}
	tx := &memTx{evidence: map[string]string{}}
	msgs, err := fn(tx)
	if err != nil {
		return false, err
	}
	maps := in.evidence
	for k, v := range tx.evidence {
		if _, ok := maps[k]; !ok {
			maps[k] = v
		}
	}
	in.commit(id, msgs)
	return false, nil
}

func (in *memInbox) RecordInbound(_ context.Context, _, id string, _ time.Time, msgs ...planbot.OutboxMessage) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, m := range msgs {
		if m.ChatID == "" {
			return errors.New("enqueue: invalid message: no chat id") // as the outbox refuses a malformed row
		}
	}
	if in.full() {
		return errFull
	}
	if !in.handled[id] {
		in.commit(id, msgs)
	}
	return nil
}

func (in *memInbox) ProbeWrite(context.Context, time.Time) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.unwritable > 0 {
		return errFull
	}
	return nil
}

func (in *memInbox) commit(id string, msgs []planbot.OutboxMessage) {
	in.handled[id] = true
	in.payload[id] = nil
	for _, m := range msgs {
		m.ID = int64(len(in.queued) + 1)
		in.queued = append(in.queued, m)
	}
	in.notify()
}

// Queued is the messages committed so far.
func (in *memInbox) Queued() []planbot.OutboxMessage {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.queued)
}

func (in *memInbox) Evidence(ref string) (string, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	v, ok := in.evidence[ref]
	return v, ok
}

// waitHandled waits until n events are handled.
func (in *memInbox) waitHandled(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(guard)
	for {
		in.mu.Lock()
		ch, got := in.changed, len(in.handled)
		in.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%d events handled, want %d", got, n)
		}
	}
}

// waitStored waits until n events are stored.
func (in *memInbox) waitStored(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(guard)
	for {
		in.mu.Lock()
		ch, got := in.changed, len(in.order)
		in.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%d events stored, want %d", got, n)
		}
	}
}

// memTx is the transaction HandleInbound hands the handler: evidence
// only (the fake conversation reads no store); the rest is not needed.
type memTx struct {
	planbot.Tx
	evidence map[string]string
}

func (tx *memTx) SaveEvidence(_ context.Context, ref, name string, data []byte) error {
	tx.evidence[ref] = name + ":" + string(data)
	return nil
}

// echo is a Conversation that echoes texts and presses, panics at
// "panic" and fails at "fail"; it keeps what it served.
type echo struct {
	mu     sync.Mutex
	self   planbot.UserID
	name   string
	served []planbot.Message
	admins []planbot.ChatID
}

func (e *echo) Serve(_ context.Context, _ planbot.Tx, m planbot.Message) ([]planbot.OutboxMessage, error) {
	e.mu.Lock()
	e.served = append(e.served, m)
	e.mu.Unlock()
	switch {
	case m.Callback != nil:
		return []planbot.OutboxMessage{{ChatID: m.ChatID, Text: "pressed " + m.Callback.Data}}, nil
	case m.Text == "panic":
		panic("poison")
	case m.Text == "fail", m.Text == "fail badly":
		return nil, errors.New("failed")
	}
	return []planbot.OutboxMessage{{ChatID: m.ChatID, Text: "echo <b>" + planbot.Escape(m.Text) + "</b>"}}, nil
}

func (e *echo) ApologyFor(m planbot.Message) []planbot.OutboxMessage {
	if m.Text == "fail badly" {
		return []planbot.OutboxMessage{{Text: "malformed sorry"}}
	}
	return []planbot.OutboxMessage{{ChatID: m.ChatID, Text: "sorry"}}
}

func (e *echo) AdminChats() []planbot.ChatID { return e.admins }

func (e *echo) Known(_ context.Context, _ planbot.BindingReader, u planbot.UserID) bool {
	return u != User("stranger")
}

func (e *echo) SetSelf(id planbot.UserID, name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.self, e.name = id, name
}

func (e *echo) Served() []planbot.Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.served)
}

// noBindings is a BindingReader with nobody bound by invite.
type noBindings struct{}

func (noBindings) Binding(context.Context, planbot.UserID) (string, bool, error) {
	return "", false, nil
}
func (noBindings) ChatBindings(context.Context) (map[string]planbot.ChatID, error) {
	return nil, nil
}

// newConn is a connection to srv on clock, logging to logs.
func newConn(srv *wecomtest.Server, clock Clock, logs *syncBuffer) *Conn {
	c := NewConn(srv.URL(), srv.BotID(), srv.Secret(), logs.logger())
	c.Clock, c.SecretEnv = clock, "PLANBOT_WECOM_SECRET"
	return c
}

// upSignal makes c tell each subscribe on the returned channel; set
// before Run.
func upSignal(c *Conn) <-chan struct{} {
	ch := make(chan struct{}, 64)
	c.OnUp = func() { ch <- struct{}{} }
	return ch
}

// waitUp waits for the next subscribe up tells.
func waitUp(t *testing.T, up <-chan struct{}) {
	t.Helper()
	select {
	case <-up:
	case <-time.After(guard):
		t.Fatal("the connection did not come up")
	}
}

// runConn runs c until the test ends.
func runConn(t *testing.T, c *Conn) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(guard):
			t.Error("Conn.Run did not return after its context ended")
		}
	})
}

// receiver is a Receiver over a fresh connection to srv with inbox and
// conv, on clock.
func newReceiver(srv *wecomtest.Server, inbox Inbox, conv planbot.Conversation, clock Clock, logs *syncBuffer) *Receiver {
	return &Receiver{Conv: conv, Inbox: inbox, Bindings: noBindings{}, Conn: newConn(srv, clock, logs),
		Name: srv.BotName(), Log: logs.logger(), Clock: clock}
}

// start runs r until the returned stop is called.
func start(t *testing.T, r *Receiver) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
				r.Close()
			case <-time.After(guard):
				t.Error("Receiver.Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}
