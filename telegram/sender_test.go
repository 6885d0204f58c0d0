package telegram_test

// Tests of delivery.Sender and telegram.Channel together, against the real
// go-telegram-bot-api client, the fake Bot API over HTTP
// (telegram/telegramtest) and a real SQLite outbox, with
// Telegram's limits scaled down (PerChat 20 ms, PerGroup 40 ms, Gap 1 ms)
// so each test takes about a second. The outbox keeps retry times in whole
// seconds, so a retry waits until the next second at least.
//
// Timing is asserted on the fake's arrival times (its clock is the real
// one, as is the sender's), and only as lower bounds that hold whatever the
// machine's load:
//
//   - a chat's next request starts no sooner than PerChat after the answer
//     to its previous one, which came after that request arrived, so two
//     arrivals to one chat are at least PerChat apart;
//   - with one request in flight (the default), request k+2 starts after
//     the answer to k+1 and at least Gap after k+1 started, which was after
//     k arrived: arrivals k and k+2 are at least Gap apart.
//
// No test sleeps: each waits on the fake's signals (WaitFor), with a timeout
// only as a failure guard.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
	"planbot/delivery"
	"planbot/storage"
	"planbot/telegram"
	"planbot/telegram/telegramtest"
)

// The database is what the pipeline and the poll loop are wired to.
var (
	_ delivery.Outbox        = (*storage.DB)(nil)
	_ delivery.CommitWatcher = (*storage.DB)(nil)
	_ telegram.UpdateLog     = (*storage.DB)(nil)
	_ planbot.BindingReader  = (*storage.DB)(nil) // the Poller's Bindings, by default
)

// senderGuard bounds every wait; a healthy run needs a second or two.
const senderGuard = 20 * time.Second

// The scaled limits.
const (
	testPerChat  = 20 * time.Millisecond
	testPerGroup = 40 * time.Millisecond
	testGap      = time.Millisecond
)

// senderLog collects log output from several goroutines.
type senderLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *senderLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *senderLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// senderEnv is one fake Telegram and one outbox database.
type senderEnv struct {
	t    *testing.T
	ctx  context.Context
	srv  *telegramtest.Server
	db   *storage.DB
	logs *senderLog
	log  *slog.Logger
	seq  atomic.Int64
}

func newSenderEnv(t *testing.T) *senderEnv {
	t.Helper()
	logs := &senderLog{}
	e := &senderEnv{t: t, ctx: context.Background(), srv: telegramtest.New(t), logs: logs,
		log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	db, err := storage.Open(e.ctx, filepath.Join(t.TempDir(), "outbox.db"))
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	e.db = db
	t.Cleanup(func() {
		db.Close()
		token := e.srv.Token()
		secret := token[strings.IndexByte(token, ':')+1:]
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, secret) {
				t.Errorf("a log line holds the bot token: %s", line)
			}
		}
		if t.Failed() {
			t.Logf("sender log:\n%s", logs.String())
		}
	})
	return e
}

// newSender makes a Telegram sender on outbox (the database if nil) with
// the scaled limits, changed by adjust, and a 10 ms backoff.
func (e *senderEnv) newSender(outbox delivery.Outbox, adjust ...func(*delivery.Limits)) *delivery.Sender {
	e.t.Helper()
	if outbox == nil {
		outbox = e.db
	}
	api, err := tgbotapi.NewBotAPIWithClient(e.srv.Token(), e.srv.Endpoint(), &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		e.t.Fatalf("client: %v", telegram.Redact(err, e.srv.Token()))
	}
	lim := telegram.Limits(30, 1, 20) // Telegram's, for which chats are groups
	lim.PerChat, lim.PerGroup, lim.Gap = testPerChat, testPerGroup, testGap
	for _, f := range adjust {
		f(&lim)
	}
	s := delivery.New(telegram.Platform, telegram.NewChannel(api, e.srv.Token()), outbox, lim, e.log, time.Now)
	s.Backoff = func(int) time.Duration { return 10 * time.Millisecond }
	return s
}

// run starts s; the returned func stops it and waits until Run returned
// (its requests in flight finished and recorded). The test's cleanup
// stops it too.
func (e *senderEnv) run(s *delivery.Sender) (stop func()) {
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					e.t.Errorf("Run: %v", err)
				}
			case <-time.After(senderGuard):
				e.t.Errorf("Run did not return within %v of its context ending", senderGuard)
			}
		})
	}
	e.t.Cleanup(stop)
	return stop
}

// text is the text of message n to chat.
func text(chat int64, n int) string { return fmt.Sprintf("chat %d #%d", chat, n) }

// number is n of a text made by text ("" or another text: 0).
func number(s string) int {
	i := strings.LastIndexByte(s, '#')
	if i < 0 {
		return 0
	}
	n, _ := strconv.Atoi(s[i+1:])
	return n
}

// enqueue queues n messages to each chat, numbered from 1 in order (see
// text), due at once.
func (e *senderEnv) enqueue(n int, chats ...int64) {
	e.t.Helper()
	past := time.Now().Add(-time.Minute)
	var msgs []planbot.OutboxMessage
	for _, c := range chats {
		for i := 1; i <= n; i++ {
			msgs = append(msgs, planbot.OutboxMessage{ChatID: telegram.ChatID(c), Text: text(c, i), CreatedAt: past})
		}
	}
	if err := e.db.Enqueue(e.ctx, msgs...); err != nil {
		e.t.Fatalf("enqueue: %v", err)
	}
}

func (e *senderEnv) counts() map[planbot.OutboxStatus]int {
	e.t.Helper()
	c, err := e.db.OutboxCounts(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// requests are the sendMessage calls to chat, whatever their outcome.
func requests(calls []telegramtest.Call, chat int64) []telegramtest.Call {
	return telegramtest.Filter(calls, func(c telegramtest.Call) bool { return c.Method == "sendMessage" && c.ChatID == chat })
}

// numbers are the message numbers of calls.
func numbers(calls []telegramtest.Call) []int {
	var out []int
	for _, c := range calls {
		out = append(out, number(c.Text))
	}
	return out
}

// checkChatSpacing checks that the requests to chat arrived at least gap
// apart.
func checkChatSpacing(t *testing.T, srv *telegramtest.Server, chat int64, gap time.Duration) {
	t.Helper()
	ts := srv.SendTimes(chat)
	for i := 1; i < len(ts); i++ {
		if d := ts[i].Sub(ts[i-1]); d < gap {
			t.Errorf("chat %d: requests %d and %d arrived %v apart, want at least %v", chat, i, i+1, d, gap)
		}
	}
}

// checkGlobalSpacing checks, for a sender with one request in flight, that
// requests k and k+2 arrived at least gap apart.
func checkGlobalSpacing(t *testing.T, srv *telegramtest.Server, gap time.Duration) {
	t.Helper()
	var ts []time.Time
	for _, c := range srv.CallsTo("sendMessage") {
		ts = append(ts, c.At)
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	for k := 0; k+2 < len(ts); k++ {
		if d := ts[k+2].Sub(ts[k]); d < gap {
			t.Errorf("requests %d and %d arrived %v apart, want at least %v", k+1, k+3, d, gap)
		}
	}
}

func TestSenderRetryAfterHoldsOnlyItsChat(t *testing.T) {
	t.Parallel()
	e := newSenderEnv(t)
	const limited = 410001
	e.srv.FailNext("sendMessage", 1, telegramtest.Fault{RetryAfter: 1, ChatID: limited})
	e.enqueue(2, limited)
	others := []int64{410002, 410003, 410004, 410005, 410006}
	e.enqueue(1, others...)
	s := e.newSender(nil)
	e.run(s)

	e.srv.WaitFor(t, senderGuard, func(calls []telegramtest.Call) bool {
		return slices.ContainsFunc(requests(calls, limited), func(c telegramtest.Call) bool { return c.Status == http.StatusTooManyRequests })
	})
	// Queued during the pause: other chats still get theirs at once.
	const late = 410099
	e.enqueue(1, late)
	s.Wake()
	e.srv.WaitSent(t, late, 1, senderGuard)
	sent := e.srv.WaitSent(t, limited, 2, senderGuard)

	ts := e.srv.SendTimes(limited)
	if len(ts) != 3 {
		t.Fatalf("chat %d: %d requests, want 3 (the 429, then #1 and #2):\n%s", limited, len(ts), telegramtest.Describe(requests(e.srv.Calls(), limited)))
	}
	if d := ts[1].Sub(ts[0]); d < time.Second {
		t.Errorf("retried %v after the 429, before its retry_after of 1 s", d)
	}
	if got := numbers(sent); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("chat %d received %v, want [1 2]", limited, got)
	}
	for _, c := range append(others, late) {
		if at := e.srv.SendTimes(c); len(at) != 1 || !at[0].Before(ts[1]) {
			t.Errorf("chat %d: requests at %v, want one before the retry at %v", c, at, ts[1])
		}
	}
	checkChatSpacing(t, e.srv, limited, testPerChat)
}

func TestSenderServerErrorBacksOff(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			e := newSenderEnv(t)
			const chat = 420001
			e.srv.FailNext("sendMessage", 1, telegramtest.Fault{Status: status, ChatID: chat})
			e.enqueue(1, chat)
			s := e.newSender(nil)
			const wait = 300 * time.Millisecond
			var mu sync.Mutex
			var asked []int
			s.Backoff = func(n int) time.Duration {
				mu.Lock()
				defer mu.Unlock()
				asked = append(asked, n)
				return wait
			}
			stop := e.run(s)
			e.srv.WaitSent(t, chat, 1, senderGuard)
			stop()

			ts := e.srv.SendTimes(chat)
			if len(ts) != 2 {
				t.Fatalf("%d requests, want 2:\n%s", len(ts), telegramtest.Describe(e.srv.Calls()))
			}
			if d := ts[1].Sub(ts[0]); d < wait {
				t.Errorf("retried %v after the %d, before the backoff of %v", d, status, wait)
			}
			mu.Lock()
			defer mu.Unlock()
			// Once for the message (its first failure), once for the
			// pause of all sending (the first failure in a row).
			if !slices.Equal(asked, []int{1, 1}) {
				t.Errorf("backoff asked for %v failures, want [1 1]", asked)
			}
			if n := len(e.srv.Sent(chat)); n != 1 {
				t.Errorf("delivered %d times, want once", n)
			}
			if c := e.counts(); c[planbot.OutboxSent] != 1 {
				t.Errorf("outbox: %v", c)
			}
		})
	}
}

func TestSenderRidesOutRefusedConnections(t *testing.T) {
	t.Parallel()
	e := newSenderEnv(t)
	chats := []int64{430001, 430002, 430003, 430004, 430005}
	e.enqueue(1, chats...)
	s := e.newSender(nil) // its getMe goes before the outage
	e.srv.SetDown(telegramtest.Refuse)
	stop := e.run(s)
	// Every message refused twice: retried while the outage lasts.
	e.srv.WaitFor(t, senderGuard, func(calls []telegramtest.Call) bool {
		return len(telegramtest.Filter(calls, func(c telegramtest.Call) bool { return c.Method == "sendMessage" && c.Status == 0 })) >= 2*len(chats)
	})
	e.srv.SetDown(telegramtest.Up)
	for _, c := range chats {
		e.srv.WaitSent(t, c, 1, senderGuard)
	}
	stop()
	for _, c := range chats {
		if n := len(e.srv.Sent(c)); n != 1 {
			t.Errorf("chat %d received %d messages, want 1", c, n)
		}
	}
	if c := e.counts(); c[planbot.OutboxSent] != len(chats) {
		t.Errorf("outbox: %v", c)
	}
	if !strings.Contains(e.logs.String(), "send failed without an answer") {
		t.Errorf("the outage was not logged:\n%s", e.logs.String())
	}
}

func TestSenderBlockedChatFailsWithoutRetrying(t *testing.T) {
	t.Parallel()
	e := newSenderEnv(t)
	const blocked, other = 440001, 440002
	start := time.Now()
	e.srv.BlockChat(blocked)
	e.enqueue(3, blocked)
	e.enqueue(2, other)
	stop := e.run(e.newSender(nil))
	e.srv.WaitFor(t, senderGuard, func(calls []telegramtest.Call) bool {
		return len(requests(calls, blocked)) > 0 && len(telegramtest.SentTo(calls, other)) == 2
	})
	stop() // its outcomes are recorded once Run returned

	if got := requests(e.srv.Calls(), blocked); len(got) != 1 || got[0].Status != http.StatusForbidden {
		t.Errorf("requests to the blocked chat, want one 403:\n%s", telegramtest.Describe(got))
	}
	if got := numbers(e.srv.Sent(other)); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("the other chat received %v, want [1 2]", got)
	}
	if c := e.counts(); c[planbot.OutboxFailed] != 3 || c[planbot.OutboxSent] != 2 || c[planbot.OutboxPending] != 0 || c[planbot.OutboxSending] != 0 {
		t.Errorf("outbox: %v", c)
	}
	failed, err := e.db.FailedMessages(e.ctx, start.Add(-time.Second), 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, m := range failed {
		if m.ChatID != telegram.ChatID(blocked) || !strings.Contains(m.LastError, "403") || !strings.Contains(m.LastError, "blocked") {
			t.Errorf("failed message %+v", m)
		}
		got = append(got, number(m.Text))
	}
	slices.Sort(got)
	if !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("failed messages %v, want the blocked chat's 1, 2, 3", got)
	}

	// Later messages to the chat are tried again (the person may have
	// unblocked the bot): once each, not in a loop.
	e.enqueue(1, blocked)
	stop = e.run(e.newSender(nil))
	e.srv.WaitFor(t, senderGuard, func(calls []telegramtest.Call) bool { return len(requests(calls, blocked)) == 2 })
	stop()
	if n := len(e.srv.SendTimes(blocked)); n != 2 {
		t.Errorf("%d requests to the blocked chat, want 2", n)
	}
	if c := e.counts(); c[planbot.OutboxFailed] != 4 {
		t.Errorf("outbox: %v", c)
	}
}

func TestSenderFollowsMigratedGroup(t *testing.T) {
	t.Parallel()
	e := newSenderEnv(t)
	const group, supergroup, other = -4401, -1004401000001, 450001
	e.srv.MigrateChat(group, supergroup)
	e.enqueue(3, group)
	e.enqueue(1, other)
	stop := e.run(e.newSender(nil))
	sent := e.srv.WaitSent(t, supergroup, 3, senderGuard)
	e.srv.WaitSent(t, other, 1, senderGuard)
	stop()

	if got := requests(e.srv.Calls(), group); len(got) != 1 || got[0].Status != http.StatusBadRequest {
		t.Errorf("requests to the old group, want the one answered with migrate_to_chat_id:\n%s", telegramtest.Describe(got))
	}
	var texts []string
	for _, c := range sent {
		texts = append(texts, c.Text)
	}
	if want := []string{text(group, 1), text(group, 2), text(group, 3)}; !slices.Equal(texts, want) {
		t.Errorf("the supergroup received %q, want %q", texts, want)
	}
	if n := len(e.srv.SendTimes(supergroup)); n != 3 {
		t.Errorf("%d requests to the supergroup, want 3", n)
	}
	checkChatSpacing(t, e.srv, supergroup, testPerGroup)
	if c := e.counts(); c[planbot.OutboxSent] != 4 {
		t.Errorf("outbox: %v", c)
	}
}

func TestSenderKeepsEachChatsOrder(t *testing.T) {
	t.Parallel()
	for _, inFlight := range []int{1, 4} {
		t.Run(fmt.Sprintf("in_flight=%d", inFlight), func(t *testing.T) {
			t.Parallel()
			e := newSenderEnv(t)
			faults := map[int64]telegramtest.Fault{
				460001: {Status: http.StatusInternalServerError},
				460002: {RetryAfter: 1},
				460003: {Drop: true},                  // no answer: maybe delivered, sent again
				460004: {Drop: true, Delivered: true}, // delivered, then no answer: a duplicate
				460005: {},                            // no fault
			}
			var chats []int64
			for c, f := range faults {
				chats = append(chats, c)
				if f != (telegramtest.Fault{}) {
					f.ChatID = c
					e.srv.FailNext("sendMessage", 1, f)
				}
			}
			slices.Sort(chats)
			const n = 5
			e.enqueue(n, chats...)
			s := e.newSender(e.db)
			s.MaxInFlight = inFlight
			stop := e.run(s)
			for _, c := range chats {
				e.srv.WaitFor(t, senderGuard, func(calls []telegramtest.Call) bool {
					sent := telegramtest.SentTo(calls, c)
					return len(sent) > 0 && number(sent[len(sent)-1].Text) == n
				})
			}
			stop()

			for _, c := range chats {
				// Every request, failed or not, in order: a retried message
				// is never overtaken by a later one of its chat.
				got := numbers(requests(e.srv.Calls(), c))
				if !slices.IsSorted(got) {
					t.Errorf("chat %d: requests for messages %v, out of order", c, got)
				}
				delivered := slices.Compact(numbers(e.srv.Sent(c)))
				if !slices.Equal(delivered, []int{1, 2, 3, 4, 5}) {
					t.Errorf("chat %d: delivered %v, want 1 to 5 in order", c, numbers(e.srv.Sent(c)))
				}
				checkChatSpacing(t, e.srv, c, testPerChat)
			}
			if got := numbers(e.srv.Sent(460004)); len(got) != n+1 || got[0] != 1 || got[1] != 1 {
				t.Errorf("the chat whose first message was delivered without an answer received %v, want 1 twice, then the rest", got)
			}
			if inFlight == 1 {
				checkGlobalSpacing(t, e.srv, testGap)
			}
			if c := e.counts(); c[planbot.OutboxSent] != n*len(chats) {
				t.Errorf("outbox: %v", c)
			}
		})
	}
}

// crashingOutbox records nothing more once it was asked to record the
// crashAt-th message delivered: it drops that outcome and every later one, as if
// the process died right after the request, and stops the sender.
type crashingOutbox struct {
	*storage.DB
	crashAt int64
	stop    context.CancelFunc
	marks   atomic.Int64
	crashed atomic.Bool
	mu      sync.Mutex
	lost    map[int64]bool // messages sent whose outcome was not recorded
}

// dropped is how many sent messages' outcomes were lost (the sender may
// try to record one again before it stops: it is lost once).
func (o *crashingOutbox) dropped() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.lost)
}

var errCrashed = errors.New("crashed")

func (o *crashingOutbox) ClaimBatchAfter(ctx context.Context, platform string, now time.Time, n, perLane int, skip func(planbot.ChatID) bool, delivered []planbot.Delivered) ([]planbot.OutboxMessage, error) {
	if len(delivered) > 0 && o.marks.Add(int64(len(delivered))) >= o.crashAt && !o.crashed.Swap(true) {
		o.stop()
	}
	if o.crashed.Load() {
		o.mu.Lock()
		if o.lost == nil {
			o.lost = map[int64]bool{}
		}
		for _, d := range delivered {
			o.lost[d.ID] = true
		}
		o.mu.Unlock()
		return nil, errCrashed
	}
	return o.DB.ClaimBatchAfter(ctx, platform, now, n, perLane, skip, delivered)
}

func (o *crashingOutbox) FoldSent(ctx context.Context) error {
	if o.crashed.Load() {
		return errCrashed // a dead process folds nothing: the next start does
	}
	return o.DB.FoldSent(ctx)
}

func (o *crashingOutbox) Unclaim(ctx context.Context, ids []int64) error {
	if o.crashed.Load() {
		return errCrashed // what the stop would put back
	}
	return o.DB.Unclaim(ctx, ids)
}

func (o *crashingOutbox) MarkRetry(ctx context.Context, id int64, next time.Time, errText string) error {
	if o.crashed.Load() {
		return errCrashed // also what putBack would return to the queue
	}
	return o.DB.MarkRetry(ctx, id, next, errText)
}

func TestSenderRestartMidFanOut(t *testing.T) {
	t.Parallel()
	const chats, stopAfter = 200, 80
	for _, crash := range []bool{false, true} {
		t.Run(map[bool]string{false: "stopped", true: "crashed"}[crash], func(t *testing.T) {
			t.Parallel()
			e := newSenderEnv(t)
			var ids []int64
			for i := range chats {
				ids = append(ids, int64(470001+i))
			}
			e.enqueue(1, ids...)
			delivered := func(calls []telegramtest.Call) int {
				return len(telegramtest.Filter(calls, func(c telegramtest.Call) bool { return c.Method == "sendMessage" && c.OK }))
			}

			var crashing *crashingOutbox
			var stop func()
			if crash {
				ctx, cancel := context.WithCancel(e.ctx)
				t.Cleanup(cancel)
				crashing = &crashingOutbox{DB: e.db, crashAt: stopAfter, stop: cancel}
				first := e.newSender(crashing)
				done := make(chan error, 1)
				go func() { done <- first.Run(ctx) }()
				stop = func() {
					select {
					case <-done:
					case <-time.After(senderGuard):
						t.Fatal("the crashed sender did not stop")
					}
				}
				e.srv.WaitFor(t, senderGuard, func(calls []telegramtest.Call) bool { return delivered(calls) >= stopAfter })
			} else {
				stop = e.run(e.newSender(nil))
				e.srv.WaitFor(t, senderGuard, func(calls []telegramtest.Call) bool { return delivered(calls) >= stopAfter })
			}
			stop()
			atStop := delivered(e.srv.Calls())
			c := e.counts()
			inFlight := c[planbot.OutboxSending]
			t.Logf("at the stop: %d delivered, outbox %v", atStop, c)
			if !crash && inFlight != 0 {
				t.Errorf("%d messages left in flight by a sender that stopped", inFlight)
			}
			if c[planbot.OutboxSent]+c[planbot.OutboxPending]+c[planbot.OutboxSending] != chats {
				t.Errorf("outbox at the stop: %v", c)
			}

			stop = e.run(e.newSender(nil))
			e.srv.WaitFor(t, senderGuard, func(calls []telegramtest.Call) bool {
				for _, id := range ids {
					if len(telegramtest.SentTo(calls, id)) == 0 {
						return false
					}
				}
				return true
			})
			stop()
			calls := e.srv.Calls()
			dups := delivered(calls) - chats
			var lost int
			if crash {
				lost = crashing.dropped()
			}
			t.Logf("%d duplicates; %d outcomes lost in the crash", dups, lost)
			// One request in flight at a time: a stop loses no outcome, a
			// crash at most the one in flight, and only those are sent twice.
			if dups != lost || lost > 1 {
				t.Errorf("%d duplicates, %d outcomes lost: want as many duplicates as lost outcomes, at most 1", dups, lost)
			}
			if c := e.counts(); c[planbot.OutboxSent] != chats {
				t.Errorf("outbox after the restart: %v", c)
			}
		})
	}
}

// TestSenderAnswerDoesNotPauseItsChat: answering a button press is not a
// message to the chat, so the reply that follows it is not held back by
// the chat's pause.
func TestSenderAnswerDoesNotPauseItsChat(t *testing.T) {
	t.Parallel()
	e := newSenderEnv(t)
	u := telegramtest.User{ID: 480001, FirstName: "马"}
	chat := telegramtest.PrivateChat(u)
	query := telegramtest.CallbackQueryID(e.srv.PressButton(u, chat, 1, "r:2.3"))
	now := time.Now()
	// The reply is due a second later: claimed well after the answer went.
	if err := e.db.Enqueue(e.ctx,
		planbot.OutboxMessage{Method: planbot.MethodAnswer, PressID: query, ChatID: telegram.ChatID(chat.ID), Text: "收到",
			Priority: planbot.PriorityReply, CreatedAt: now.Add(-time.Minute)},
		planbot.OutboxMessage{ChatID: telegram.ChatID(chat.ID), Text: "✅ 已记录", Priority: planbot.PriorityReply,
			CreatedAt: now.Add(-time.Minute), NextAttemptAt: now.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	s := e.newSender(nil, func(l *delivery.Limits) { l.PerChat = time.Hour })
	stop := e.run(s)
	e.srv.WaitSent(t, chat.ID, 1, senderGuard)
	stop()
	if got := e.srv.CallsTo("answerCallbackQuery"); len(got) != 1 || !got[0].OK || !got[0].At.Before(e.srv.SendTimes(chat.ID)[0]) {
		t.Errorf("answers, want one before the reply:\n%s", telegramtest.Describe(got))
	}
}

func TestSenderNotModifiedEditCountsAsSent(t *testing.T) {
	t.Parallel()
	e := newSenderEnv(t)
	const chat = 490001
	e.enqueue(1, chat)
	s := e.newSender(nil)
	stop := e.run(s)
	sent := e.srv.WaitSent(t, chat, 1, senderGuard)[0]
	if err := e.db.Enqueue(e.ctx, planbot.OutboxMessage{Method: planbot.MethodEdit, ChatID: telegram.ChatID(chat),
		EditMessageID: sent.MessageID, Text: sent.Text, CreatedAt: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	s.Wake() // as the poll loop does after queuing replies
	e.srv.WaitFor(t, senderGuard, func(calls []telegramtest.Call) bool {
		return slices.ContainsFunc(calls, func(c telegramtest.Call) bool { return c.Method == "editMessageText" })
	})
	stop()
	edits := e.srv.CallsTo("editMessageText")
	if len(edits) != 1 || edits[0].Status != http.StatusBadRequest || !strings.Contains(edits[0].Description, "not modified") {
		t.Errorf("edits, want one answered \"message is not modified\":\n%s", telegramtest.Describe(edits))
	}
	if c := e.counts(); c[planbot.OutboxSent] != 2 || c[planbot.OutboxFailed] != 0 {
		t.Errorf("outbox: %v", c)
	}
}

// countingOutbox counts claims (not the writes that only record what
// was delivered).
type countingOutbox struct {
	*storage.DB
	claims atomic.Int64
}

func (o *countingOutbox) ClaimBatchAfter(ctx context.Context, platform string, now time.Time, n, perLane int, skip func(planbot.ChatID) bool, delivered []planbot.Delivered) ([]planbot.OutboxMessage, error) {
	if n > 0 {
		o.claims.Add(1)
	}
	return o.DB.ClaimBatchAfter(ctx, platform, now, n, perLane, skip, delivered)
}

// TestSenderWaitsOutAChatsPause: while the only message due waits for its
// chat's pause, the sender sleeps until the pause ends instead of asking
// the database again every few milliseconds.
func TestSenderWaitsOutAChatsPause(t *testing.T) {
	t.Parallel()
	e := newSenderEnv(t)
	const chat = 495001
	e.enqueue(2, chat)
	outbox := &countingOutbox{DB: e.db}
	const perChat = 500 * time.Millisecond
	s := e.newSender(outbox, func(l *delivery.Limits) { l.PerChat = perChat })
	stop := e.run(s)
	e.srv.WaitSent(t, chat, 2, senderGuard)
	stop()
	checkChatSpacing(t, e.srv, chat, perChat)
	// Claim #1, nothing while #1 is in flight, nothing while the pause
	// runs, #2, nothing: five or so; polling every 10 ms would be fifty.
	if n := outbox.claims.Load(); n < 2 || n > 12 {
		t.Errorf("%d claims for two messages to one chat", n)
	}
}

func TestSenderStopPutsBackWhatItClaimed(t *testing.T) {
	t.Parallel()
	e := newSenderEnv(t)
	var ids []int64
	for i := range 50 {
		ids = append(ids, int64(496001+i))
	}
	e.enqueue(1, ids...)
	s := e.newSender(nil, func(l *delivery.Limits) { l.Gap = 20 * time.Millisecond }) // a batch of 150 ms / 20 ms = 7
	stop := e.run(s)
	e.srv.WaitFor(t, senderGuard, func(calls []telegramtest.Call) bool {
		return len(telegramtest.Filter(calls, func(c telegramtest.Call) bool { return c.Method == "sendMessage" })) >= 2
	})
	stop()
	c := e.counts()
	if c[planbot.OutboxSending] != 0 || c[planbot.OutboxSent]+c[planbot.OutboxPending] != len(ids) || c[planbot.OutboxPending] == 0 {
		t.Errorf("outbox after the stop: %v", c)
	}
	if n := len(e.srv.CallsTo("sendMessage")); n != c[planbot.OutboxSent] {
		t.Errorf("%d requests, %d recorded sent", n, c[planbot.OutboxSent])
	}
}

// TestSenderBatchFitsTheLink: over a slow link (each request answered
// after 60 ms) the sender claims only what it can send soon, so a reply
// queued during a fan-out overtakes the reminders not yet claimed.
func TestSenderBatchFitsTheLink(t *testing.T) {
	t.Parallel()
	e := newSenderEnv(t)
	e.srv.FailNext("sendMessage", 1000, telegramtest.Fault{Delay: 60 * time.Millisecond})
	s := e.newSender(nil) // Gap 1 ms: 150 messages in the horizon over a fast link
	stop := e.run(s)
	const warmUp = 497000
	e.enqueue(1, warmUp)
	s.Wake()
	e.srv.WaitSent(t, warmUp, 1, senderGuard)
	var fanOut []int64
	for i := range 30 {
		fanOut = append(fanOut, int64(497001+i))
	}
	e.enqueue(1, fanOut...)
	s.Wake()
	e.srv.WaitFor(t, senderGuard, func(calls []telegramtest.Call) bool { return len(requests(calls, fanOut[0])) > 0 })
	const reply = 497999
	if err := e.db.Enqueue(e.ctx, planbot.OutboxMessage{ChatID: telegram.ChatID(reply), Text: "✅ 已记录", Priority: planbot.PriorityReply,
		CreatedAt: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	s.Wake()
	at := e.srv.WaitSent(t, reply, 1, senderGuard)[0].At
	stop()
	before := 0
	for _, c := range fanOut {
		if ts := e.srv.SendTimes(c); len(ts) > 0 && ts[0].Before(at) {
			before++
		}
	}
	// The batch in hand (2 or 3) and the one claimed before the reply was
	// queued; claiming 150 would have sent all 30 first.
	if before > 10 {
		t.Errorf("%d of the %d reminders went before the reply queued after the first", before, len(fanOut))
	}
}

// TestSenderClaimsAChatsBacklogAtOnce: without a per-chat pause a claim
// takes a chat's next messages behind its head, so two chats with twenty
// replies each cost a few claims, not one per reply. When one of a chat's
// messages is not sent (a 429), what the sender holds of that chat goes
// back to the queue and follows it, in order, once it is sent; the other
// chat's go on meanwhile.
func TestSenderClaimsAChatsBacklogAtOnce(t *testing.T) {
	t.Parallel()
	e := newSenderEnv(t)
	const limited, other = 497001, 497002
	e.srv.FailNext("sendMessage", 1, telegramtest.Fault{RetryAfter: 1, ChatID: limited})
	e.enqueue(20, limited, other)
	outbox := &countingOutbox{DB: e.db}
	s := e.newSender(outbox, func(l *delivery.Limits) { l.PerChat, l.PerGroup = 0, 0 })
	stop := e.run(s)
	got := e.srv.WaitSent(t, other, 20, senderGuard)
	if n := numbers(got); !slices.Equal(n, numbersUpTo(20)) {
		t.Errorf("chat %d received %v", other, n)
	}
	got = e.srv.WaitSent(t, limited, 20, senderGuard)
	stop()
	if n := numbers(got); !slices.Equal(n, numbersUpTo(20)) {
		t.Errorf("chat %d received %v", limited, n)
	}
	ts := e.srv.SendTimes(limited)
	if len(ts) != 21 || ts[1].Sub(ts[0]) < time.Second {
		t.Errorf("chat %d: %d requests, the second %v after the 429; want 21, a second after", limited, len(ts), ts[1].Sub(ts[0]))
	}
	if last := e.srv.SendTimes(other)[19]; !last.Before(ts[1]) {
		t.Errorf("chat %d waited for chat %d's retry", other, limited)
	}
	if n := outbox.claims.Load(); n > 12 {
		t.Errorf("%d claims for 40 messages in two chats", n)
	}
	if c := e.counts(); c[planbot.OutboxSent] != 40 || c[planbot.OutboxSending] != 0 {
		t.Errorf("outbox: %v", c)
	}
}

// numbersUpTo is 1, 2, … n.
func numbersUpTo(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}
