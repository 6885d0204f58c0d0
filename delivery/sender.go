package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"planbot"
)

// Sender drains one platform's share of the outbox through its Channel,
// under its Limits.
//
// Run's goroutine claims messages and starts their requests, each at least
// Gap after the previous one and after its chat's pause; a worker awaits
// the platform's answer and records the outcome, except a message the
// platform took: Run records that one before its next request, in the
// claim's transaction when it claims. A message is in flight from its
// request's start until its outcome is recorded, and up to MaxInFlight
// (default 1: one at a time) are, each to a different chat: with more
// than one, the outbox hands out one message per chat at a time; with one,
// a chat's next messages may come behind its head (perLane) and go one
// after the other. A process killed mid-way sends those in flight again at
// its next start: at most MaxInFlight duplicates.
type Sender struct {
	// A message that failed without an answer (see Channel) is given up
	// as failed once it failed MaxAttempts times and is older than
	// GiveUpAfter: an outage of a few hours delays reminders but loses
	// none.
	MaxAttempts int
	GiveUpAfter time.Duration
	// MaxInFlight is how many messages may be in flight at once (0 is 1):
	// more than one helps only over a slow link, where a request's round
	// trip is longer than Gap.
	MaxInFlight int
	// Backoff is the wait before sending again a message that failed n
	// times without an answer; nil is planbot.BackoffJitter(n+1): 1 s
	// doubling to a minute, spread. The same wait after n such failures in
	// a row pauses all sending.
	Backoff func(n int) time.Duration
	// OnReachable, if set, is told when the platform answers again after
	// failures (the poll loop then stops waiting out its own backoff).
	OnReachable func()

	platform string
	ch       Channel
	outbox   Outbox
	log      *slog.Logger
	now      func() time.Time
	wake     chan struct{}

	pace    *pacer
	down    outage
	service serviceTime
	rec     recorder

	// Run's goroutine only:
	held          []planbot.OutboxMessage // claimed, not yet sent
	claimFailures int                     // claims that failed in a row

	sentMu sync.Mutex
	sent   []planbot.Delivered // taken by the platform, not yet recorded
	// sentRefused: recording s.sent failed, and has not worked since (Run's
	// goroutine only).
	sentRefused bool
}

// New returns a sender of platform's messages in outbox through ch, paced
// by lim, that gives a message up after 20 attempts over a day at least.
func New(platform string, ch Channel, outbox Outbox, lim Limits, log *slog.Logger, now func() time.Time) *Sender {
	return &Sender{MaxAttempts: 20, GiveUpAfter: 24 * time.Hour, MaxInFlight: 1,
		platform: platform, ch: ch, outbox: outbox, log: log.With(slog.String("platform", platform)), now: now,
		wake: make(chan struct{}, 1), pace: newPacer(lim)}
}

// Wake tells the sender there is something new to send.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Reachable tells the sender that the platform answered another request
// (a poll): a pause after failures ends now rather than at its timer.
func (s *Sender) Reachable() {
	if s.down.lift() {
		s.Wake()
	}
}

func (s *Sender) backoff(n int) time.Duration {
	if s.Backoff != nil {
		return s.Backoff(n)
	}
	return planbot.BackoffJitter(n + 1)
}

// keepTrying says whether a message that failed without an answer is
// sent again (see GiveUpAfter).
func (s *Sender) keepTrying(msg planbot.OutboxMessage) bool {
	return msg.Attempts < s.MaxAttempts || s.now().Sub(msg.CreatedAt) < s.GiveUpAfter
}

// Run sends until ctx is done. Requests in flight are finished and their
// outcomes recorded; messages claimed but not yet sent are put back.
func (s *Sender) Run(ctx context.Context) error {
	if n, err := s.outbox.RequeueInFlight(ctx, s.platform); err != nil {
		return fmt.Errorf("requeue messages in flight at the last stop: %w", err)
	} else if n > 0 {
		// Claimed in a batch is not yet sent: only the requests that were
		// in flight (at most MaxInFlight) may have reached the platform.
		s.log.Warn("messages claimed but not confirmed at the last stop are sent again", slog.Int("count", n),
			slog.Int("may_arrive_twice", min(n, max(1, s.MaxInFlight))))
	}
	defer s.watchCommits(ctx)()
	// A slot is held from a request's start until its outcome is
	// recorded: a message counts as in flight until then.
	slots := make(chan struct{}, max(1, s.MaxInFlight))
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		s.recordSentAtStop()
		if !s.rec.resettle(context.Background()) {
			s.log.Error("delivery outcomes not recorded at the stop; those messages are sent again at the next start (may duplicate)",
				slog.Int("count", s.rec.left()))
		}
		s.putBack()
		if err := s.outbox.FoldSent(context.Background()); err != nil {
			s.log.Warn("delivered messages are written down at the next start", errAttr(err))
		}
	}()
	for ctx.Err() == nil {
		if !s.rec.resettle(ctx) {
			s.wait(ctx, s.backoff(0))
			continue
		}
		// The slot first: with it taken, every request but MaxInFlight-1
		// has finished, and what the platform took is recorded before
		// the next one starts (in the claim's commit when claiming, else
		// in the outbox's sent log).
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		if !s.ready(ctx) {
			<-slots
			continue
		}
		// If the request before failed, this one waits out the pause too.
		if !s.outagePause(ctx) || !s.pauseUntil(ctx, s.pace.nextStart()) {
			<-slots
			return nil
		}
		i, ok := s.nextReady(ctx)
		if !ok {
			<-slots
			continue
		}
		msg := s.held[i]
		if i == 0 {
			s.held = s.held[1:] // the usual case: no copy of the rest
		} else {
			s.held = slices.Delete(s.held, i, i+1)
		}
		s.pace.started(s.now())
		if cap(slots) == 1 {
			// One in flight: Run would only wait for the slot, so the
			// request is made here, without a goroutine and two hand-offs
			// per message (issue 15).
			if !s.deliver(context.WithoutCancel(ctx), msg) {
				s.giveBack(msg.ChatID)
			}
			<-slots
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			s.deliver(context.WithoutCancel(ctx), msg)
		}()
	}
	return nil
}

// ready records the messages the platform took since the last call and
// has a message to send in s.held: claimed with that record in one
// transaction when none is held. False means nothing is to be sent now
// (ctx ended, the outbox failed or had nothing due: claim waited).
func (s *Sender) ready(ctx context.Context) bool {
	delivered := s.takeSent()
	if len(s.held) > 0 {
		if len(delivered) == 0 {
			return true
		}
		err := s.recordSent(context.WithoutCancel(ctx), s.now(), delivered)
		s.sentRecorded(ctx, delivered, err)
		if err != nil {
			s.wait(ctx, s.backoff(0))
			return false
		}
		return true
	}
	if !s.outagePause(ctx) {
		s.keepSent(delivered)
		return false
	}
	return s.claim(ctx, delivered)
}

// sentRecorded notes how recording delivered went (err from the outbox):
// refused, they are kept for the next try, which must come before any
// other request.
func (s *Sender) sentRecorded(ctx context.Context, delivered []planbot.Delivered, err error) {
	switch {
	case len(delivered) == 0:
	case err != nil && ctx.Err() != nil:
		s.keepSent(delivered) // the stop records them (recordSentAtStop)
	case err != nil:
		s.keepSent(delivered)
		s.sentRefused = true
		s.log.Error("could not record delivered messages; will record them again before the next send",
			slog.Int("count", len(delivered)), errAttr(err))
	case s.sentRefused:
		s.sentRefused = false
		s.log.Info("delivered messages recorded after all", slog.Int("count", len(delivered)))
	}
}

// takeSent takes the messages the platform took, to be recorded.
func (s *Sender) takeSent() []planbot.Delivered {
	s.sentMu.Lock()
	defer s.sentMu.Unlock()
	out := s.sent
	s.sent = nil
	return out
}

// keepSent puts back messages taken but not recorded, ahead of any since.
func (s *Sender) keepSent(d []planbot.Delivered) {
	if len(d) == 0 {
		return
	}
	s.sentMu.Lock()
	defer s.sentMu.Unlock()
	s.sent = append(d, s.sent...)
}

// recordSent records delivered as sent: a claim of nothing after them.
func (s *Sender) recordSent(ctx context.Context, now time.Time, delivered []planbot.Delivered) error {
	_, err := s.outbox.ClaimBatchAfter(ctx, s.platform, now, 0, 0, nil, delivered)
	return err
}

// recordSentAtStop records what the platform took before the stop.
func (s *Sender) recordSentAtStop() {
	delivered := s.takeSent()
	if len(delivered) == 0 {
		return
	}
	if err := s.recordSent(context.Background(), s.now(), delivered); err != nil {
		s.log.Error("delivered messages not recorded at the stop; they are sent again at the next start (may duplicate)",
			slog.Int("count", len(delivered)), errAttr(err))
	}
}

// watchCommits wakes the sender for commits of other processes, if the
// outbox can tell of them; the returned func stops watching.
func (s *Sender) watchCommits(ctx context.Context) (stop func()) {
	w, ok := s.outbox.(CommitWatcher)
	if !ok {
		return func() {}
	}
	watchCtx, cancel := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		if err := w.WatchCommits(watchCtx, watchInterval, s.Wake); err != nil {
			s.log.Warn("not watching the database for messages other processes queue; they go at the next wake-up", errAttr(err))
		}
	}()
	return func() { cancel(); <-watched }
}

// deliver sends msg and records the outcome; it says whether the
// platform took msg.
func (s *Sender) deliver(ctx context.Context, msg planbot.OutboxMessage) (sent bool) {
	start := s.now()
	if msg.Attachment != planbot.AttachNone && msg.FileData == nil {
		data, err := s.outbox.FileData(ctx, msg.ID)
		if err != nil {
			log := s.msgLog(msg)
			// Nothing was sent: the message waits its turn again.
			log.Error("could not read the message's attachment; it is sent later", errAttr(err))
			s.rec.settle(ctx, log, "retry", func(ctx context.Context) error {
				return s.outbox.MarkRetry(ctx, msg.ID, start.Add(s.backoff(0)), err.Error())
			})
			s.Wake()
			return false
		}
		msg.FileData = data
	}
	sentID, retry, err := s.ch.Send(ctx, msg)
	now := s.now()
	if msg.Method != planbot.MethodAnswer {
		s.pace.answered(msg.ChatID, now)
	}
	defer func() {
		// Once the outcome is recorded: learn how long a message stays in
		// flight (see batchSize), and tell Run, which may have found
		// nothing to send meanwhile, that this chat's next message can go.
		s.service.observe(s.now().Sub(start))
		s.Wake()
	}()
	res := classify(sentID, retry, err, s.keepTrying(msg))
	s.noteAnswer(res, func() *slog.Logger { return s.msgLog(msg) })
	if res.verdict == verdictCool {
		s.pace.cool(msg.ChatID, now.Add(res.after))
	}
	if res.verdict == verdictSent {
		s.sentMu.Lock()
		s.sent = append(s.sent, planbot.Delivered{ID: msg.ID, SentMessageID: res.sentID, At: now})
		s.sentMu.Unlock()
		return true
	}
	log := s.msgLog(msg)
	s.rec.settle(ctx, log, res.verdict.String(), s.recording(msg, res, now, log))
	return false
}

// msgLog is the sender's logger with msg's attributes. Built when there
// is something to say: formatting them for every message sent was a cost
// of its own (issue 15).
func (s *Sender) msgLog(msg planbot.OutboxMessage) *slog.Logger {
	return s.log.With(slog.Int64("outbox_id", msg.ID), slog.String("chat_id", string(msg.ChatID)),
		slog.String("method", string(msg.Method)), slog.Int("attempt", msg.Attempts))
}

// noteAnswer pauses all sending after a request without an answer, or
// ends the pause after one with an answer; log makes the logger to say so.
func (s *Sender) noteAnswer(res result, log func() *slog.Logger) {
	if res.unanswered {
		down, pause := s.down.failed(s.now(), s.backoff)
		if down == 3 {
			log().Warn("the platform is unreachable; sending pauses and retries with backoff", slog.Duration("pause", pause))
		}
		return
	}
	if ended := s.down.answered(); ended > 0 {
		log().Info("the platform answers again; sending resumes", slog.Int("after_failures", ended))
		if s.OnReachable != nil {
			go s.OnReachable()
		}
	}
}

// outagePause waits while sending is paused after failures without an
// answer. The pause is read again after every wake: a later failure
// lengthens it, and an answer (each outcome wakes the sender) ends it at
// once. False means ctx ended.
func (s *Sender) outagePause(ctx context.Context) bool {
	for {
		d := s.down.pausedUntil().Sub(s.now())
		if d <= 0 {
			return ctx.Err() == nil
		}
		if !s.wait(ctx, d) {
			return false
		}
	}
}

// putBack returns the messages claimed but not sent at the stop to the
// queue, in their place, as they were before the claim.
func (s *Sender) putBack() {
	s.unclaim(s.held, "could not put unsent messages back in the queue; they go at the next start")
	s.held = nil
}

// giveBack returns to the queue the messages held for chat (a lane's
// next messages, claimed behind its head: see perLane) once one of chat's
// was not sent: they go after it, or not at all if the chat was given up.
func (s *Sender) giveBack(chat planbot.ChatID) {
	var back []planbot.OutboxMessage
	kept := s.held[:0]
	for _, m := range s.held {
		if m.ChatID == chat && m.Method != planbot.MethodAnswer {
			back = append(back, m)
		} else {
			kept = append(kept, m)
		}
	}
	s.held = kept
	s.unclaim(back, "could not put a chat's next messages back in the queue; they go at the next start")
}

// unclaim gives msgs back to the queue (Unclaim), logging failure as
// failure: until the next start their chats get nothing.
func (s *Sender) unclaim(msgs []planbot.OutboxMessage, failure string) {
	if len(msgs) == 0 {
		return
	}
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	if err := s.outbox.Unclaim(context.Background(), ids); err != nil {
		s.log.Error(failure, slog.Int("count", len(ids)), errAttr(err))
	}
}

// nextReady is the index in s.held of the message to send next: the
// first whose chat may be sent to now. Messages claimed behind their
// lane's head wait for the pause after it; none of a chat goes before an
// earlier one of the same chat, as they share the chat's pause. When no
// held message's chat is ready it waits for the first to be, if that is
// within the batch's horizon; the chats that must wait longer (the
// platform asked one to wait, a group's pause) go back to the queue, and
// claims pass them over until they are ready. False: nothing to send now
// (or ctx ended).
func (s *Sender) nextReady(ctx context.Context) (int, bool) {
	for {
		now := s.now()
		var soonest time.Time
		var late []planbot.ChatID
		for i, m := range s.held {
			if m.Method == planbot.MethodAnswer {
				return i, true
			}
			switch at := s.pace.readyAt(m.ChatID); {
			case !at.After(now):
				return i, true
			case at.Sub(now) > batchHorizon:
				if !slices.Contains(late, m.ChatID) {
					late = append(late, m.ChatID)
				}
			case soonest.IsZero() || at.Before(soonest):
				soonest = at
			}
		}
		for _, chat := range late {
			s.giveBack(chat)
		}
		if soonest.IsZero() || !s.pauseUntil(ctx, soonest) {
			return 0, false
		}
	}
}

// pauseUntil waits until t by the sender's clock; false means ctx ended.
// The runtime's timers wake an idle process up to about a millisecond
// late (0.7 ms measured here for waits of 1.5–4.5 ms), so the last
// millisecond of a wait is spent yielding the processor instead of
// sleeping: a 333 µs Gap would otherwise become 1.1 ms, and a 2 ms one
// 2.7 ms (0.75 of the limit; see docs/BENCHMARKS.md, WeCom fan-out).
func (s *Sender) pauseUntil(ctx context.Context, t time.Time) bool {
	for {
		d := t.Sub(s.now())
		switch {
		case ctx.Err() != nil:
			return false
		case d <= 0:
			return true
		case d > time.Millisecond:
			if !planbot.Sleep(ctx, d-time.Millisecond) {
				return false
			}
		default:
			runtime.Gosched()
		}
	}
}

// wait waits d, or until Wake or ctx ends; false means ctx ended.
func (s *Sender) wait(ctx context.Context, d time.Duration) bool {
	return planbot.SleepOrWake(ctx, d, s.wake)
}
