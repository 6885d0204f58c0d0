package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
)

// Outbox is the storage side of delivery. ClaimBatch claims up to n
// messages in one transaction, each the head of its chat's lane (callback
// answers aside): with a thousand chats waiting, reading the queue is most
// of a claim's cost, and a batch reads it once.
type Outbox interface {
	ClaimBatch(ctx context.Context, now time.Time, n int, skip func(chatID int64) bool) ([]planbot.OutboxMessage, error)
	NextDue(ctx context.Context) (time.Time, bool, error)
	MarkSent(ctx context.Context, id int64, telegramMessageID int, now time.Time) error
	MarkRetry(ctx context.Context, id int64, nextAttempt time.Time, errText string) error
	MarkFailed(ctx context.Context, id int64, errText string, now time.Time) error
	FailChat(ctx context.Context, chatID int64, errText string, now time.Time) (int, error)
	RetargetChat(ctx context.Context, oldChatID, newChatID int64) (int, error)
	RequeueInFlight(ctx context.Context) (int, error)
}

// CommitWatcher is an Outbox that can tell when another process committed
// to it (storage.DB can): WatchCommits calls changed, until ctx ends, for
// commits it notices, checking every interval.
type CommitWatcher interface {
	WatchCommits(ctx context.Context, interval time.Duration, changed func()) error
}

// watchInterval is how often the sender looks for messages another
// process queued (planbot fire): without a look, it would find them at its
// next due message or idle wake-up, up to a minute later.
const watchInterval = time.Second

// Sender drains the outbox under Telegram's limits. Delivery is at least
// once: a message is marked sent only after the API answered with its id; a
// request that failed without an answer (timeout, dropped connection) may
// have been delivered and is sent again, since a rare duplicate is better
// than a lost reminder.
//
// Run's goroutine claims messages and starts their requests, each at least
// Gap after the previous one and after its chat's pause; a worker awaits
// Telegram's answer and records the outcome. A message is in flight from
// its request's start until its outcome is recorded, and up to MaxInFlight
// (default 1: one at a time) are, each to a different chat (the outbox
// hands out one message per chat at a time). A process killed mid-way
// sends those again at its next start: at most MaxInFlight duplicates.
//
// It claims, in one transaction, what it can send in the
// next batchHorizon (4 messages at Telegram's 30/s, 1 over a slow link); a
// message queued meanwhile, even a reply, waits for that batch to go.
type Sender struct {
	API    *tgbotapi.BotAPI
	Outbox Outbox
	Log    *slog.Logger
	Now    func() time.Time
	// PerChat is the least time between two messages to one private chat,
	// PerGroup to one group, counted from Telegram's answer to the first;
	// Gap is the least time between the starts of any two requests (30/s
	// overall). Callback answers count for Gap only.
	PerChat, PerGroup, Gap time.Duration
	// A message that failed without an answer from Telegram, or with a
	// 5xx, is given up as failed once it failed MaxAttempts times and is
	// older than GiveUpAfter: an outage of a few hours delays reminders but
	// loses none.
	MaxAttempts int
	GiveUpAfter time.Duration
	// MaxInFlight is how many messages may be in flight at once (0 is 1):
	// more than one helps only over a slow link, where a request's round
	// trip is longer than Gap.
	MaxInFlight int
	// Backoff is the wait before sending again a message that failed n
	// times without an answer or with a 5xx; nil is 1 s doubling to 60 s,
	// with jitter. The same wait after n such failures in a row pauses all
	// sending: during an outage the sender knocks once per wait instead of
	// trying every queued message in turn.
	Backoff func(n int) time.Duration
	// OnReachable, if set, is told when Telegram answers again after
	// failures (the poll loop then stops waiting out its own backoff).
	OnReachable func()

	wake chan struct{}

	mu        sync.Mutex          // guards the fields up to unsettled: workers write them while claims read
	lastSent  map[int64]time.Time // when a chat was last sent to
	until     map[int64]time.Time // a chat's 429 cooldown
	service   time.Duration       // a moving average of a message's time in flight; 0 until one was sent
	down      int                 // failures without an answer or with a 5xx in a row
	downUntil time.Time           // no request starts before this, after such a failure
	unsettled []outcome           // outcomes the database did not take; recorded again before claiming

	// Run's goroutine only:
	lastAny       time.Time               // when the last request started
	held          []planbot.OutboxMessage // claimed, not yet sent
	claimFailures int                     // claims that failed in a row
}

// outcome is the recording of a delivery's result, kept to be tried again
// when the database did not take it (disk full): until it is recorded the
// message stays in flight and its chat's queue waits behind it.
type outcome struct {
	what   string
	record func(ctx context.Context) error
	log    *slog.Logger
}

// batchHorizon is how far ahead a batch claim reaches: it claims what
// goes in that time, one message every Gap or, over a slow link, every
// time a message takes in flight (over MaxInFlight): 4 at 30/s over a fast
// link, 450 at 3,000/s, 1 over a link with a 300 ms round trip.
const batchHorizon = 150 * time.Millisecond

// maxBatch caps a batch claim.
const maxBatch = 512

// NewSender returns a sender with Telegram's documented limits.
func NewSender(api *tgbotapi.BotAPI, outbox Outbox, log *slog.Logger, now func() time.Time) *Sender {
	return &Sender{API: api, Outbox: outbox, Log: log, Now: now, PerChat: time.Second, PerGroup: 3 * time.Second,
		Gap: time.Second / 30, MaxAttempts: 20, GiveUpAfter: 24 * time.Hour, MaxInFlight: 1, wake: make(chan struct{}, 1),
		lastSent: map[int64]time.Time{}, until: map[int64]time.Time{}}
}

// Wake tells the sender there is something new to send.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// readyAt is when chat may next receive a message. Hold s.mu.
func (s *Sender) readyAt(chat int64) time.Time {
	gap := s.PerChat
	if chat < 0 {
		gap = s.PerGroup
	}
	t := s.lastSent[chat].Add(gap)
	if u := s.until[chat]; u.After(t) {
		t = u
	}
	return t
}

func (s *Sender) backoff(n int) time.Duration {
	if s.Backoff != nil {
		return s.Backoff(n)
	}
	return planbot.BackoffJitter(n + 1)
}

// Run sends until ctx is done. Requests in flight are finished and their
// outcomes recorded; messages claimed but not yet sent are put back.
func (s *Sender) Run(ctx context.Context) error {
	if n, err := s.Outbox.RequeueInFlight(ctx); err != nil {
		return fmt.Errorf("requeue messages in flight at the last stop: %w", err)
	} else if n > 0 {
		// Claimed in a batch is not yet sent: only the requests that were
		// in flight (at most MaxInFlight) may have reached Telegram.
		s.Log.Warn("messages claimed but not confirmed at the last stop are sent again", "count", n,
			"may_arrive_twice", min(n, max(1, s.MaxInFlight)))
	}
	if w, ok := s.Outbox.(CommitWatcher); ok {
		watchCtx, stopWatch := context.WithCancel(ctx)
		watched := make(chan struct{})
		defer func() { stopWatch(); <-watched }()
		go func() {
			defer close(watched)
			if err := w.WatchCommits(watchCtx, watchInterval, s.Wake); err != nil {
				s.Log.Warn("not watching the database for messages other processes queue; they go at the next wake-up", "err", err)
			}
		}()
	}
	// A slot is held from a request's start until its outcome is
	// recorded: a message counts as in flight until then.
	slots := make(chan struct{}, max(1, s.MaxInFlight))
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		if !s.resettle(context.Background()) {
			s.mu.Lock()
			n := len(s.unsettled)
			s.mu.Unlock()
			s.Log.Error("delivery outcomes not recorded at the stop; those messages are sent again at the next start (may duplicate)", "count", n)
		}
		s.putBack()
	}()
	for ctx.Err() == nil {
		if !s.resettle(ctx) {
			s.wait(ctx, s.backoff(0))
			continue
		}
		if len(s.held) == 0 {
			if !s.outagePause(ctx) {
				return nil
			}
			if !s.claim(ctx) {
				continue
			}
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		// With the slot taken, the outcome of the request before is known
		// (one in flight): if it failed, this one waits out the pause too.
		if !s.outagePause(ctx) || !s.pause(ctx, s.lastAny.Add(s.Gap)) {
			<-slots
			return nil
		}
		msg := s.held[0]
		s.held = s.held[1:]
		s.lastAny = s.Now()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			s.deliver(context.WithoutCancel(ctx), msg)
		}()
	}
	return nil
}

// claim fills s.held with messages that may go now, and reports whether
// it did; if not, it first waits for the next due message, the end of a
// chat's pause, or Wake.
func (s *Sender) claim(ctx context.Context) bool {
	now := s.Now()
	var earliest time.Time
	skip := func(chat int64) bool {
		s.mu.Lock()
		at := s.readyAt(chat)
		s.mu.Unlock()
		if at.After(now) {
			if earliest.IsZero() || at.Before(earliest) {
				earliest = at
			}
			return true
		}
		return false
	}
	var err error
	s.held, err = s.Outbox.ClaimBatch(ctx, now, s.batchSize(), skip)
	switch {
	case err != nil && ctx.Err() != nil:
		return false
	case err != nil:
		s.claimFailures++
		wait := s.backoff(s.claimFailures - 1)
		s.Log.Error("claim next message", "err", err, "retry_in", wait)
		s.wait(ctx, wait)
		return false
	case len(s.held) == 0:
		s.claimFailures = 0
		s.idle(ctx, now, earliest)
		return false
	}
	s.claimFailures = 0
	return true
}

// outagePause waits while sending is paused after failures without an
// answer or with a 5xx. The pause is read again after every wake: a later
// failure lengthens it, and a success (each outcome wakes the sender) ends
// it at once. False means ctx ended.
func (s *Sender) outagePause(ctx context.Context) bool {
	for {
		d := s.pausedUntil().Sub(s.Now())
		if d <= 0 {
			return ctx.Err() == nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-s.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// pausedUntil is the end of the pause after failures without an answer
// or with a 5xx (zero when not paused).
func (s *Sender) pausedUntil() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.downUntil
}

// answered notes how a request ended: unanswered (no answer, or a 5xx)
// pauses all sending for the backoff of the failures in a row so far; any
// other answer ends the pause.
func (s *Sender) answered(ok bool, log *slog.Logger) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok {
		if s.down > 0 {
			log.Info("the Bot API answers again; sending resumes", "after_failures", s.down)
			if s.OnReachable != nil {
				go s.OnReachable()
			}
		}
		s.down, s.downUntil = 0, time.Time{}
		return
	}
	s.down++
	wait := s.backoff(s.down)
	s.downUntil = s.Now().Add(wait)
	if s.down == 3 {
		log.Warn("the Bot API is unreachable; sending pauses and retries with backoff", "pause", wait)
	}
}

// Reachable tells the sender that Telegram answered another request (a
// poll): a pause after failures ends now rather than at its timer.
func (s *Sender) Reachable() {
	s.mu.Lock()
	paused := !s.downUntil.IsZero()
	s.downUntil = time.Time{}
	s.mu.Unlock()
	if paused {
		s.Wake()
	}
}

// keepTrying says whether a message that failed without an answer or with
// a 5xx is sent again (see GiveUpAfter).
func (s *Sender) keepTrying(msg planbot.OutboxMessage) bool {
	return msg.Attempts < s.MaxAttempts || s.Now().Sub(msg.CreatedAt) < s.GiveUpAfter
}

// resettle records again the outcomes the database did not take; false
// while some are still not recorded (then claiming would fail too).
func (s *Sender) resettle(ctx context.Context) bool {
	s.mu.Lock()
	pending := s.unsettled
	s.unsettled = nil
	s.mu.Unlock()
	if len(pending) == 0 {
		return true
	}
	var left []outcome
	for _, o := range pending {
		if err := o.record(ctx); err != nil {
			left = append(left, o)
		} else {
			o.log.Info("delivery outcome recorded after all", "outcome", o.what)
		}
	}
	s.mu.Lock()
	s.unsettled = append(left, s.unsettled...)
	s.mu.Unlock()
	return len(left) == 0
}

// batchSize is how many messages to claim at once (see batchHorizon): one
// until a message was sent and the time one takes in flight is known.
func (s *Sender) batchSize() int {
	s.mu.Lock()
	service := s.service
	s.mu.Unlock()
	if service == 0 {
		return 1
	}
	period := max(s.Gap, service/time.Duration(max(1, s.MaxInFlight)), time.Microsecond)
	return int(max(1, min(batchHorizon/period, maxBatch)))
}

// putBack returns the messages claimed but not sent at the stop to the
// queue, in their place (their attempt count keeps the claim's increment).
func (s *Sender) putBack() {
	ctx := context.Background()
	for _, msg := range s.held {
		if err := s.Outbox.MarkRetry(ctx, msg.ID, msg.NextAttemptAt, msg.LastError); err != nil {
			s.Log.Error("could not put an unsent message back in the queue; it goes at the next start",
				"outbox_id", msg.ID, "err", err)
		}
	}
	s.held = nil
}

// pause waits until t by the sender's clock; false means ctx ended. The
// runtime's timers wake an idle process no sooner than a millisecond, so
// a wait under a millisecond (a Gap of limits scaled up, as in tests and
// benchmarks) yields the processor until t instead of sleeping: a 333 µs
// Gap would otherwise become 1.1 ms.
func (s *Sender) pause(ctx context.Context, t time.Time) bool {
	for {
		d := t.Sub(s.Now())
		switch {
		case ctx.Err() != nil:
			return false
		case d <= 0:
			return true
		case d > time.Millisecond:
			if !planbot.Sleep(ctx, d) {
				return false
			}
		default:
			runtime.Gosched()
		}
	}
}

// idle waits for the next due message, the end of a chat's pause
// (earliest, zero if no due message was passed over), or Wake.
func (s *Sender) idle(ctx context.Context, now, earliest time.Time) {
	wait := time.Minute
	if due, ok, err := s.Outbox.NextDue(ctx); err == nil && ok {
		switch d := due.Sub(now); {
		case d > 0:
			wait = min(wait, d)
		case earliest.IsZero():
			// Due, yet not claimed: queued since the claim (Wake will
			// come too). Look again soon.
			wait = 10 * time.Millisecond
		}
		// Otherwise what is due was passed over for its chat's pause,
		// which ends at earliest: polling before then finds nothing.
	}
	if !earliest.IsZero() {
		wait = min(wait, max(earliest.Sub(now), 0))
	}
	if wait <= 0 {
		wait = 10 * time.Millisecond
	}
	s.wait(ctx, wait)
}

func (s *Sender) wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-s.wake:
	case <-t.C:
	}
}

// deliver sends msg and records the outcome.
func (s *Sender) deliver(ctx context.Context, msg planbot.OutboxMessage) {
	log := s.Log.With("outbox_id", msg.ID, "chat_id", msg.ChatID, "method", string(msg.Method), "attempt", msg.Attempts)
	start := s.Now()
	id, err := s.send(msg)
	if msg.Method != planbot.MethodAnswer {
		// The chat's pause runs from the answer, which came after the
		// request reached Telegram: it then holds on Telegram's clock too.
		s.mu.Lock()
		s.lastSent[msg.ChatID] = s.Now()
		s.mu.Unlock()
	}
	defer func() {
		// Once the outcome is recorded: learn how long a message stays in
		// flight (see batchSize), and tell Run, which may have found
		// nothing to send meanwhile, that this chat's next message can go.
		d := s.Now().Sub(start)
		s.mu.Lock()
		if s.service == 0 {
			s.service = d
		} else {
			s.service += (d - s.service) / 8
		}
		s.mu.Unlock()
		s.Wake()
	}()
	err = Redact(err, s.API.Token)
	var apiErr *tgbotapi.Error
	isAPIErr := errors.As(err, &apiErr)
	s.answered(err == nil || (isAPIErr && apiErr.Code < 500), log)
	now := s.Now()
	switch {
	case err == nil:
		s.settle(ctx, log, "sent", func(ctx context.Context) error { return s.Outbox.MarkSent(ctx, msg.ID, id, now) })
	case isAPIErr:
		s.onAPIError(ctx, log, msg, apiErr)
	case !s.keepTrying(msg):
		log.Error("giving up after repeated network errors", "err", err)
		s.settle(ctx, log, "failed", func(ctx context.Context) error { return s.Outbox.MarkFailed(ctx, msg.ID, err.Error(), now) })
	default:
		// No answer: maybe delivered, maybe not. Send again (see Sender).
		wait := s.backoff(msg.Attempts)
		log.Warn("send failed without an answer; will retry", "err", err, "retry_in", wait)
		s.settle(ctx, log, "retry", func(ctx context.Context) error { return s.Outbox.MarkRetry(ctx, msg.ID, now.Add(wait), err.Error()) })
	}
}

func (s *Sender) onAPIError(ctx context.Context, log *slog.Logger, msg planbot.OutboxMessage, e *tgbotapi.Error) {
	now := s.Now()
	desc := fmt.Sprintf("%d %s", e.Code, e.Message)
	switch {
	case e.RetryAfter > 0:
		until := now.Add(time.Duration(e.RetryAfter) * time.Second)
		s.mu.Lock()
		s.until[msg.ChatID] = until
		s.mu.Unlock()
		log.Warn("rate limited by Telegram", "retry_after", e.RetryAfter)
		s.settle(ctx, log, "retry", func(ctx context.Context) error { return s.Outbox.MarkRetry(ctx, msg.ID, until, desc) })
	case e.MigrateToChatID != 0:
		log.Info("group became a supergroup; messages follow it", "new_chat_id", e.MigrateToChatID)
		// The message in hand is still in flight: settle it, or its lane
		// (now the supergroup's) stays blocked until a restart. A send
		// moved with the rest and goes again at once; an edit cannot
		// follow (the message it edits stayed in the old group). Moving
		// is idempotent, so a failed recording is simply done again.
		s.settle(ctx, log, "retarget", func(ctx context.Context) error {
			n, err := s.Outbox.RetargetChat(ctx, msg.ChatID, e.MigrateToChatID)
			if err != nil {
				return err
			}
			log.Info("messages moved to the supergroup", "moved", n)
			if msg.Method == planbot.MethodEdit {
				return s.Outbox.MarkFailed(ctx, msg.ID, desc, now)
			}
			return s.Outbox.MarkRetry(ctx, msg.ID, now, desc)
		})
	case e.Code == http.StatusForbidden || (e.Code == http.StatusBadRequest && strings.Contains(e.Message, "chat not found")):
		s.settle(ctx, log, "fail chat", func(ctx context.Context) error {
			n, err := s.Outbox.FailChat(ctx, msg.ChatID, desc, now)
			if err == nil {
				log.Warn("chat unreachable (blocked, kicked or gone); its messages are failed", "err", desc, "failed", n)
			}
			return err
		})
	case e.Code == http.StatusBadRequest && strings.Contains(e.Message, "message is not modified"):
		s.settle(ctx, log, "sent", func(ctx context.Context) error { return s.Outbox.MarkSent(ctx, msg.ID, msg.EditMessageID, now) })
	case e.Code >= 500 && s.keepTrying(msg):
		wait := s.backoff(msg.Attempts)
		log.Warn("Bot API server error; will retry", "err", desc, "retry_in", wait)
		s.settle(ctx, log, "retry", func(ctx context.Context) error { return s.Outbox.MarkRetry(ctx, msg.ID, now.Add(wait), desc) })
	default:
		log.Error("Telegram refused the message", "err", desc)
		s.settle(ctx, log, "failed", func(ctx context.Context) error { return s.Outbox.MarkFailed(ctx, msg.ID, desc, now) })
	}
}

// settle records a delivery's outcome. One the database does not take
// (disk full) is kept and recorded again before the next claim: until
// then the message stays in flight, so it is neither lost nor sent twice.
func (s *Sender) settle(ctx context.Context, log *slog.Logger, what string, record func(ctx context.Context) error) {
	if err := record(ctx); err != nil {
		log.Error("could not record delivery outcome; will record it again", "outcome", what, "err", err)
		s.mu.Lock()
		s.unsettled = append(s.unsettled, outcome{what: what, record: record, log: log})
		s.mu.Unlock()
	}
}

// send makes the Bot API call for one outbox row and returns Telegram's
// message id.
func (s *Sender) send(msg planbot.OutboxMessage) (int, error) {
	var markup *tgbotapi.InlineKeyboardMarkup
	if msg.ReplyMarkup != "" {
		markup = &tgbotapi.InlineKeyboardMarkup{}
		if err := json.Unmarshal([]byte(msg.ReplyMarkup), markup); err != nil {
			return 0, &tgbotapi.Error{Code: http.StatusBadRequest, Message: "stored keyboard is not valid JSON: " + err.Error()}
		}
	}
	var c tgbotapi.Chattable
	switch msg.Method {
	case planbot.MethodAnswer:
		_, err := s.API.Request(tgbotapi.NewCallback(msg.CallbackQueryID, msg.Text))
		return 0, err
	case planbot.MethodEdit:
		e := tgbotapi.NewEditMessageText(msg.ChatID, msg.EditMessageID, msg.Text)
		e.ParseMode, e.ReplyMarkup = msg.ParseMode, markup
		c = e
	default:
		switch {
		case msg.Photo != "":
			p := tgbotapi.NewPhoto(msg.ChatID, fileOf(msg.Photo, msg))
			p.Caption, p.ParseMode = msg.Text, msg.ParseMode
			if markup != nil {
				p.ReplyMarkup = markup
			}
			c = p
		case msg.Document != "":
			d := tgbotapi.NewDocument(msg.ChatID, fileOf(msg.Document, msg))
			d.Caption, d.ParseMode = msg.Text, msg.ParseMode
			if markup != nil {
				d.ReplyMarkup = markup
			}
			c = d
		default:
			m := tgbotapi.NewMessage(msg.ChatID, msg.Text)
			m.ParseMode = msg.ParseMode
			m.DisableWebPagePreview = true
			if markup != nil {
				m.ReplyMarkup = markup
			}
			c = m
		}
	}
	sent, err := s.API.Send(c)
	return sent.MessageID, err
}

func fileOf(ref string, msg planbot.OutboxMessage) tgbotapi.RequestFileData {
	if len(msg.FileData) > 0 {
		return tgbotapi.FileBytes{Name: msg.FileName, Bytes: msg.FileData}
	}
	return tgbotapi.FileID(ref)
}
