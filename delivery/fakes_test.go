package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"planbot"
)

// fakeOutbox is an Outbox in memory that logs each call as a line
// ("MarkSent 7 42"). ClaimBatch hands out queue, asking skip about each
// message's chat; it ignores n unless batch is set (then it honours it).
type fakeOutbox struct {
	mu     sync.Mutex
	queue  []planbot.OutboxMessage
	calls  []string
	claimN []int
	files  map[int64][]byte // attachments, read by FileData
	// recordOnly counts the writes that recorded delivered messages
	// without claiming (ClaimBatchAfter with n 0).
	recordOnly int
	fail       int // writes (Mark*, FailChat, RetargetChat) still to fail
	nextDue    time.Time
	honourN    bool
	wrote      chan string // if set, told each write taken
}

var errDiskFull = errors.New("disk full")

func (o *fakeOutbox) log(format string, args ...any) {
	o.calls = append(o.calls, fmt.Sprintf(format, args...))
}

func (o *fakeOutbox) write(format string, args ...any) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail > 0 {
		o.fail--
		o.log("refused "+format, args...)
		return errDiskFull
	}
	o.log(format, args...)
	if o.wrote != nil {
		o.wrote <- fmt.Sprintf(format, args...)
	}
	return nil
}

func (o *fakeOutbox) Calls() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.calls...)
}

// ClaimBatchAfter logs each delivered message as "MarkSent id sentID",
// all refused (and nothing claimed) while writes are to fail, as one
// transaction would be; with n 0 it only records.
func (o *fakeOutbox) ClaimBatchAfter(_ context.Context, platform string, _ time.Time, n, perLane int, skip func(planbot.ChatID) bool, delivered []planbot.Delivered) ([]planbot.OutboxMessage, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(delivered) > 0 && o.fail > 0 {
		o.fail--
		for _, d := range delivered {
			o.log("refused MarkSent %d %d", d.ID, d.SentMessageID)
		}
		return nil, errDiskFull
	}
	for _, d := range delivered {
		o.log("MarkSent %d %d", d.ID, d.SentMessageID)
		if o.wrote != nil {
			o.wrote <- fmt.Sprintf("MarkSent %d %d", d.ID, d.SentMessageID)
		}
	}
	if n == 0 {
		o.recordOnly++
		return nil, nil
	}
	o.claimN = append(o.claimN, n)
	var out, left []planbot.OutboxMessage
	for _, m := range o.queue {
		if m.ChatID.Platform() != platform || skip(m.ChatID) || (o.honourN && len(out) == n) {
			left = append(left, m)
			continue
		}
		m.Attempts++
		out = append(out, m)
	}
	o.queue = left
	return out, nil
}

// FileData finds the attachment in files, keyed by message id.
func (o *fakeOutbox) FileData(_ context.Context, id int64) ([]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.log("FileData %d", id)
	return o.files[id], nil
}

func (o *fakeOutbox) NextDue(context.Context, string) (time.Time, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.nextDue, !o.nextDue.IsZero(), nil
}

// FoldSent has nothing to fold: ClaimBatchAfter records at once.
func (o *fakeOutbox) FoldSent(context.Context) error { return nil }

func (o *fakeOutbox) Unclaim(_ context.Context, ids []int64) error {
	return o.write("Unclaim %v", ids)
}

func (o *fakeOutbox) MarkRetry(_ context.Context, id int64, next time.Time, errText string) error {
	return o.write("MarkRetry %d %s %q", id, next.Format("15:04:05.000"), errText)
}

func (o *fakeOutbox) MarkFailed(_ context.Context, id int64, errText string, _ time.Time) error {
	return o.write("MarkFailed %d %q", id, errText)
}

func (o *fakeOutbox) FailChat(_ context.Context, chat planbot.ChatID, errText string, _ time.Time) (int, error) {
	return 3, o.write("FailChat %s %q", chat, errText)
}

func (o *fakeOutbox) RetargetChat(_ context.Context, from, to planbot.ChatID) (int, error) {
	return 2, o.write("RetargetChat %s %s", from, to)
}

func (o *fakeOutbox) RequeueInFlight(_ context.Context, platform string) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.log("RequeueInFlight %s", platform)
	return 0, nil
}

// answer is what a fakeChannel says to a send.
type answer struct {
	sentID int
	retry  bool
	err    error
}

// fakeChannel answers each message with answers[msg.ID] (sent as 100+ID
// by default), after block is closed if it is set for that ID.
type fakeChannel struct {
	mu      sync.Mutex
	answers map[int64]answer
	block   map[int64]chan struct{}
	sent    []int64
	started chan int64 // if set, told each message's ID as it starts
}

func (c *fakeChannel) Send(_ context.Context, m planbot.OutboxMessage) (int, bool, error) {
	c.mu.Lock()
	a, ok := c.answers[m.ID]
	wait := c.block[m.ID]
	c.sent = append(c.sent, m.ID)
	started := c.started
	c.mu.Unlock()
	if started != nil {
		started <- m.ID
	}
	if wait != nil {
		<-wait
	}
	if !ok {
		return 100 + int(m.ID), false, nil
	}
	return a.sentID, a.retry, a.err
}

// fixedClock is a clock that moves only when told.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fixedClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var t0 = time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)

// testLog is a logger into a buffer safe for concurrent writes.
type testLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *testLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *testLog) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// chat is a chat of the test platform "p".
func chat(id string) planbot.ChatID { return planbot.NewChatID("p", id) }

// groups: a chat whose id starts with "g" is a group.
func groups(c planbot.ChatID) bool { return len(c.Local()) > 0 && c.Local()[0] == 'g' }
