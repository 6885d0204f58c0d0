package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
)

// UpdateLog is the storage side of exactly-once handling (storage.DB is
// one): an update's effects, its replies and the next offset commit
// together.
type UpdateLog interface {
	Offset(ctx context.Context) (int, error)
	// HandleUpdate runs fn in one transaction with recording the update,
	// unless it was already handled (then it returns true and skips fn).
	HandleUpdate(ctx context.Context, updateID, nextOffset int, now time.Time, fn func(planbot.Tx) ([]planbot.OutboxMessage, error)) (bool, error)
	// HandleUpdates handles a batch of updates in one transaction, each as
	// HandleUpdate would and, when its handling fails, as RecordUpdate
	// would with its apology; an error (an outage) leaves nothing written.
	HandleUpdates(ctx context.Context, batch []planbot.PolledUpdate) ([]planbot.PolledOutcome, error)
	// RecordUpdate marks an update handled whose handling failed, queuing
	// msgs (the apology) in the same transaction.
	RecordUpdate(ctx context.Context, updateID, nextOffset int, now time.Time, msgs ...planbot.OutboxMessage) error
	// ProbeWrite commits a small write: nil when the database takes
	// writes. It tells an update that fails by itself from a database
	// that fails every update.
	ProbeWrite(ctx context.Context, now time.Time) error
}

// Poller serves the conversation over the Bot API with long polling: it
// fetches updates and hands each to the conversation, exactly once, before
// asking for more (tgbotapi's GetUpdatesChan confirms updates before they
// are handled, so a crash would lose them).
type Poller struct {
	Conv    planbot.Conversation
	Updates UpdateLog
	// Bindings tells whether a person whose message waits out an outage
	// is on the list (see outage.go); nil: Updates, if it reads bindings
	// (storage.DB does).
	Bindings planbot.BindingReader
	API      API
	// Token is redacted from every error logged.
	Token string
	// Commands is the command menu Start registers.
	Commands []Command
	Log      *slog.Logger
	Now      func() time.Time
	// PollTimeout is the long-poll wait; Telegram ends polls near 50 s.
	PollTimeout time.Duration
	// MaxConflicts is how many 409 Conflict answers in a row mean another
	// instance is polling with the same token: then Poll gives up.
	MaxConflicts int
	// HandlerTimeout bounds one update's handling (default 30 s).
	HandlerTimeout time.Duration
	// OnHandled, if set, is told after a batch of updates was handled:
	// their replies are queued (the sender's Wake).
	OnHandled func()
	// OnReachable, if set, is told when a poll succeeds after failures:
	// Telegram answers again, so will it the sender, which may be pausing
	// after failures of its own (the sender's Reachable).
	OnReachable func()

	outage   *planbot.WriteOutage // Poll's goroutine only
	wake     chan struct{}        // Reachable: a poll backing off after failures tries now
	wakeOnce sync.Once
}

// ErrConflict means another bot instance (or a webhook) holds the token.
var ErrConflict = errors.New("another planbot instance or a webhook is using this bot token (409 Conflict): stop the other one, or delete its webhook")

// Start prepares the bot's account, self (getMe's answer, asked when the
// client was made): no webhook (it would make getUpdates fail with 409)
// and the command menu.
func (p *Poller) Start(self tgbotapi.User) error {
	if p.Conv != nil {
		p.Conv.SetSelf(UserID(self.ID), self.UserName)
	}
	if _, err := p.API.Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
		return Redact(fmt.Errorf("delete webhook: %w", err), p.Token)
	}
	cmds := make([]tgbotapi.BotCommand, len(p.Commands))
	for i, c := range p.Commands {
		cmds[i] = tgbotapi.BotCommand{Command: c.Command, Description: c.Description}
	}
	if _, err := p.API.Request(tgbotapi.NewSetMyCommands(cmds...)); err != nil {
		// The menu is a convenience; the bot works without it.
		p.Log.Warn("could not register the command menu", errAttr(Redact(err, p.Token)))
	}
	return nil
}

func (p *Poller) defaults() {
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.PollTimeout == 0 {
		p.PollTimeout = 50 * time.Second
	}
	if p.MaxConflicts == 0 {
		p.MaxConflicts = 5
	}
	if p.HandlerTimeout <= 0 {
		p.HandlerTimeout = 30 * time.Second
	}
}

// Poll fetches updates and handles each before asking for more, until ctx
// is done. The update in hand when ctx ends is finished (its handling runs
// on a context of its own). It returns ErrConflict after MaxConflicts 409s.
func (p *Poller) Poll(ctx context.Context) error {
	p.defaults()
	offset, err := p.Updates.Offset(ctx)
	if err != nil {
		return fmt.Errorf("read poll offset: %w", err)
	}
	conflicts, failures := 0, 0
	for ctx.Err() == nil {
		updates, err := p.API.GetUpdates(tgbotapi.UpdateConfig{Offset: offset, Limit: 100, Timeout: int(p.PollTimeout / time.Second),
			AllowedUpdates: []string{"message", "edited_message", "callback_query"}})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			wait, err := p.pollFailed(Redact(err, p.Token), &conflicts, &failures)
			if err != nil {
				return err
			}
			if !p.backOff(ctx, wait) {
				return nil
			}
			continue
		}
		if failures > 0 && p.OnReachable != nil {
			p.OnReachable()
		}
		conflicts, failures = 0, 0
		var hold time.Duration
		oneByOne := updates
		if next, ok := p.handleBatch(ctx, updates); ok {
			offset = max(offset, next)
			oneByOne = nil
		}
		for _, u := range oneByOne {
			next := u.UpdateID + 1
			if err := p.handle(context.WithoutCancel(ctx), u, next); err != nil {
				// Not recorded: the offset stays before it, so Telegram
				// sends it (and those after it) again, unless it turns out
				// to fail by itself (then it was recorded with an apology).
				var skipped bool
				if hold, skipped = p.unwritable(ctx, u, next, err); !skipped {
					break
				}
				hold = 0
			}
			p.writable()
			offset = max(offset, next) // a re-delivered old update must not move it back
			if ctx.Err() != nil {
				return nil
			}
		}
		if len(updates) > 0 && p.OnHandled != nil {
			p.OnHandled()
		}
		if hold > 0 && !planbot.Sleep(ctx, hold) {
			return nil
		}
	}
	return nil
}

// pollFailed counts a failed getUpdates and says how long to wait before
// the next; an error means polling must stop (ErrConflict).
func (p *Poller) pollFailed(err error, conflicts, failures *int) (time.Duration, error) {
	var apiErr *tgbotapi.Error
	wait := planbot.BackoffJitter(*failures + 1)
	switch {
	case errors.As(err, &apiErr) && apiErr.Code == http.StatusConflict:
		*conflicts++
		p.Log.Warn("getUpdates conflict: another instance may be polling", slog.Int("count", *conflicts))
		if *conflicts >= p.MaxConflicts {
			return 0, ErrConflict
		}
	case errors.As(err, &apiErr) && apiErr.RetryAfter > 0:
		wait = time.Duration(apiErr.RetryAfter) * time.Second
		p.Log.Warn("getUpdates rate limited", slog.Duration("retry_after", wait))
	default:
		*failures++
		p.Log.Warn("getUpdates failed", errAttr(err), slog.Duration("retry_in", wait))
	}
	return wait, nil
}

// handle runs one update exactly once. A handler that fails, panics or
// runs past its deadline rolls back its effects; the update is then
// recorded with an apology, so a poison message cannot block the queue or
// be applied twice. The error is for an update that could not be recorded
// at all (the database cannot be written, is locked by another program or
// vanished): it must be asked for again, not skipped.
func (p *Poller) handle(ctx context.Context, u tgbotapi.Update, next int) error {
	m, ok := FromUpdate(u)
	// The outbox keeps whole seconds and makes a message due at the first
	// whole second at or after its stamp: a fractional now would hold
	// every reply back until the next second ticks.
	now := p.Now().Truncate(time.Second)
	log := p.updateLog(u.UpdateID, m)
	if !ok {
		if err := p.Updates.RecordUpdate(ctx, u.UpdateID, next, now); err != nil {
			log.Error("record ignored update", errAttr(err))
			return err
		}
		return nil
	}
	done, err := p.Updates.HandleUpdate(ctx, u.UpdateID, next, now, func(tx planbot.Tx) ([]planbot.OutboxMessage, error) {
		return p.serve(ctx, tx, m)
	})
	switch {
	case done:
		log.Info("update already handled, skipped")
	case errors.Is(err, planbot.ErrUnwritable):
		// Not the message's fault: it is handled again once the database
		// takes writes, instead of being recorded with an apology.
		return err
	case err != nil:
		log.Error("handling failed; apologising", errAttr(err))
		// ctx, not the handler's: that one may have expired, and the
		// failure must be recorded all the same.
		if err := p.recordFailed(ctx, u.UpdateID, next, now, p.Conv.ApologyFor(m)); err != nil {
			log.Error("record failed update", errAttr(err))
			return err
		}
	}
	return nil
}

// handleBatch handles the updates of one getUpdates answer in one
// transaction (HandleUpdates): a commit per update was most of what an
// update cost. It returns the offset after them, or false when the batch
// could not be written: the loop then handles them one by one, which tells
// an outage from an update that fails by itself and waits it out.
func (p *Poller) handleBatch(ctx context.Context, updates []tgbotapi.Update) (int, bool) {
	if len(updates) == 0 {
		return 0, false
	}
	hctx := context.WithoutCancel(ctx)
	batch := make([]planbot.PolledUpdate, len(updates))
	msgs := make([]planbot.Message, len(updates))
	next := 0
	for i, u := range updates {
		m, ok := FromUpdate(u)
		msgs[i] = m
		next = max(next, u.UpdateID+1)
		// Whole seconds: see handle.
		batch[i] = planbot.PolledUpdate{ID: u.UpdateID, NextOffset: u.UpdateID + 1, Now: p.Now().Truncate(time.Second)}
		if ok {
			batch[i].Serve = func(tx planbot.Tx) ([]planbot.OutboxMessage, error) { return p.serve(hctx, tx, m) }
			batch[i].Apology = func() []planbot.OutboxMessage { return p.Conv.ApologyFor(m) }
		}
	}
	outcomes, err := p.Updates.HandleUpdates(hctx, batch)
	if err != nil {
		p.Log.Info("a batch of updates could not be written; handling them one by one", slog.Int("updates", len(updates)), errAttr(err))
		return 0, false
	}
	for i, o := range outcomes {
		if !o.Already && o.Failed == nil && o.ApologyRefused == nil {
			continue // the common case: nothing to say, no logger to build
		}
		log := p.updateLog(updates[i].UpdateID, msgs[i])
		switch {
		case o.Already:
			log.Info("update already handled, skipped")
		case o.Failed != nil:
			log.Error("handling failed; apologising", errAttr(o.Failed))
		}
		if o.ApologyRefused != nil {
			log.Error("the apology could not be queued; the update is recorded without it", errAttr(o.ApologyRefused))
		}
	}
	p.writable()
	return next, true
}

// updateLog is the log of one update, naming it, its chat and its sender.
func (p *Poller) updateLog(updateID int, m planbot.Message) *slog.Logger {
	return p.Log.With(slog.Int("update_id", updateID), slog.String("chat_id", string(m.ChatID)), slog.String("user_id", string(m.UserID)))
}

// recordFailed records an update whose handling failed, with msgs (the
// apology). An apology the outbox refuses is a bug, not an outage: the
// update is then recorded without it, so that one bad reply cannot hold
// every later update back.
func (p *Poller) recordFailed(ctx context.Context, updateID, next int, now time.Time, msgs []planbot.OutboxMessage) error {
	err := p.Updates.RecordUpdate(ctx, updateID, next, now, msgs...)
	if err == nil || len(msgs) == 0 || errors.Is(err, planbot.ErrUnwritable) {
		return err
	}
	p.Log.Error("the apology could not be queued; the update is recorded without it", slog.Int("update_id", updateID), errAttr(err))
	return p.Updates.RecordUpdate(ctx, updateID, next, now)
}

// serve runs the conversation on m within the handler's limit
// (planbot.ServeWithin): a panic or a late end is an error, and the
// transaction then rolls back.
func (p *Poller) serve(ctx context.Context, tx planbot.Tx, m planbot.Message) ([]planbot.OutboxMessage, error) {
	return planbot.ServeWithin(ctx, p.HandlerTimeout, func(ctx context.Context) ([]planbot.OutboxMessage, error) {
		return p.Conv.Serve(ctx, tx, m)
	})
}

// Reachable tells a poll loop waiting out failures that Telegram answers
// again (the sender got through): it polls at once.
func (p *Poller) Reachable() {
	select {
	case p.wakeCh() <- struct{}{}:
	default:
	}
}

func (p *Poller) wakeCh() chan struct{} {
	p.wakeOnce.Do(func() { p.wake = make(chan struct{}, 1) })
	return p.wake
}

// backOff waits d after a failed poll, or until Reachable; false means ctx
// ended.
func (p *Poller) backOff(ctx context.Context, d time.Duration) bool {
	return planbot.SleepOrWake(ctx, d, p.wakeCh())
}

func errAttr(err error) slog.Attr { return slog.Any("err", err) }
