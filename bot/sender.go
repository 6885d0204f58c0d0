package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
)

// Outbox is the storage side of delivery.
type Outbox interface {
	ClaimNext(ctx context.Context, now time.Time, skip func(chatID int64) bool) (planbot.OutboxMessage, bool, error)
	NextDue(ctx context.Context) (time.Time, bool, error)
	MarkSent(ctx context.Context, id int64, telegramMessageID int, now time.Time) error
	MarkRetry(ctx context.Context, id int64, nextAttempt time.Time, errText string) error
	MarkFailed(ctx context.Context, id int64, errText string, now time.Time) error
	FailChat(ctx context.Context, chatID int64, errText string, now time.Time) (int, error)
	RetargetChat(ctx context.Context, oldChatID, newChatID int64) (int, error)
	RequeueInFlight(ctx context.Context) (int, error)
}

// Sender drains the outbox under Telegram's limits. Delivery is at least
// once: a message is marked sent only after the API answered with its id; a
// request that failed without an answer (timeout, dropped connection) may
// have been delivered and is sent again, since a rare duplicate is better
// than a lost reminder.
type Sender struct {
	API    *tgbotapi.BotAPI
	Outbox Outbox
	Log    *slog.Logger
	Now    func() time.Time
	// PerChat is the least time between two messages to one private chat,
	// PerGroup to one group, Gap between any two messages (30/s overall).
	PerChat, PerGroup, Gap time.Duration
	// MaxAttempts: a message that failed this often without an answer from
	// Telegram is given up as failed.
	MaxAttempts int

	wake     chan struct{}
	lastSent map[int64]time.Time
	until    map[int64]time.Time // a chat's 429 cooldown
	lastAny  time.Time
}

// NewSender returns a sender with Telegram's documented limits.
func NewSender(api *tgbotapi.BotAPI, outbox Outbox, log *slog.Logger, now func() time.Time) *Sender {
	return &Sender{API: api, Outbox: outbox, Log: log, Now: now, PerChat: time.Second, PerGroup: 3 * time.Second,
		Gap: time.Second / 30, MaxAttempts: 20, wake: make(chan struct{}, 1),
		lastSent: map[int64]time.Time{}, until: map[int64]time.Time{}}
}

// Wake tells the sender there is something new to send.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// readyAt is when chat may next receive a message.
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

// Run sends until ctx is done; the message in flight is finished first.
func (s *Sender) Run(ctx context.Context) error {
	if n, err := s.Outbox.RequeueInFlight(ctx); err != nil {
		return fmt.Errorf("requeue messages in flight at the last stop: %w", err)
	} else if n > 0 {
		s.Log.Warn("messages in flight at the last stop are sent again (may duplicate)", "count", n)
	}
	for ctx.Err() == nil {
		now := s.Now()
		if wait := s.lastAny.Add(s.Gap).Sub(now); wait > 0 {
			s.wait(ctx, wait)
			continue
		}
		var earliest time.Time
		msg, ok, err := s.Outbox.ClaimNext(ctx, now, func(chat int64) bool {
			at := s.readyAt(chat)
			if at.After(now) {
				if earliest.IsZero() || at.Before(earliest) {
					earliest = at
				}
				return true
			}
			return false
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.Log.Error("claim next message", "err", err)
			s.wait(ctx, 5*time.Second)
			continue
		}
		if !ok {
			s.idle(ctx, now, earliest)
			continue
		}
		s.deliver(context.WithoutCancel(ctx), msg)
	}
	return nil
}

// idle waits for the next due message, the end of a chat's pause, or Wake.
func (s *Sender) idle(ctx context.Context, now, earliest time.Time) {
	wait := time.Minute
	if due, ok, err := s.Outbox.NextDue(ctx); err == nil && ok {
		wait = min(wait, max(due.Sub(now), 0))
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

func (s *Sender) deliver(ctx context.Context, msg planbot.OutboxMessage) {
	now := s.Now()
	s.lastAny = now
	if msg.ChatID != 0 {
		s.lastSent[msg.ChatID] = now
	}
	log := s.Log.With("outbox_id", msg.ID, "chat_id", msg.ChatID, "method", string(msg.Method), "attempt", msg.Attempts)
	id, err := s.send(msg)
	err = Redact(err, s.API.Token)
	var apiErr *tgbotapi.Error
	switch {
	case err == nil:
		s.settle(log, "sent", s.Outbox.MarkSent(ctx, msg.ID, id, s.Now()))
	case errors.As(err, &apiErr):
		s.onAPIError(ctx, log, msg, apiErr)
	case msg.Attempts >= s.MaxAttempts:
		log.Error("giving up after repeated network errors", "err", err)
		s.settle(log, "failed", s.Outbox.MarkFailed(ctx, msg.ID, err.Error(), s.Now()))
	default:
		// No answer: maybe delivered, maybe not. Send again (see Sender).
		wait := backoff(msg.Attempts)
		log.Warn("send failed without an answer; will retry", "err", err, "retry_in", wait)
		s.settle(log, "retry", s.Outbox.MarkRetry(ctx, msg.ID, s.Now().Add(wait), err.Error()))
	}
}

func (s *Sender) onAPIError(ctx context.Context, log *slog.Logger, msg planbot.OutboxMessage, e *tgbotapi.Error) {
	now := s.Now()
	desc := fmt.Sprintf("%d %s", e.Code, e.Message)
	switch {
	case e.RetryAfter > 0:
		until := now.Add(time.Duration(e.RetryAfter) * time.Second)
		s.until[msg.ChatID] = until
		log.Warn("rate limited by Telegram", "retry_after", e.RetryAfter)
		s.settle(log, "retry", s.Outbox.MarkRetry(ctx, msg.ID, until, desc))
	case e.MigrateToChatID != 0:
		n, err := s.Outbox.RetargetChat(ctx, msg.ChatID, e.MigrateToChatID)
		log.Info("group became a supergroup; messages follow it", "new_chat_id", e.MigrateToChatID, "moved", n)
		s.settle(log, "retarget", err)
		// The message in hand is still in flight: settle it, or its lane
		// (now the supergroup's) stays blocked until a restart. A send
		// moved with the rest and goes again at once; an edit cannot
		// follow (the message it edits stayed in the old group).
		switch {
		case msg.Method == planbot.MethodEdit:
			s.settle(log, "failed", s.Outbox.MarkFailed(ctx, msg.ID, desc, now))
		case err != nil:
			s.settle(log, "retry", s.Outbox.MarkRetry(ctx, msg.ID, now.Add(backoff(msg.Attempts)), desc))
		default:
			s.settle(log, "retry", s.Outbox.MarkRetry(ctx, msg.ID, now, desc))
		}
	case e.Code == http.StatusForbidden || (e.Code == http.StatusBadRequest && strings.Contains(e.Message, "chat not found")):
		n, err := s.Outbox.FailChat(ctx, msg.ChatID, desc, now)
		log.Warn("chat unreachable (blocked, kicked or gone); its messages are failed", "err", desc, "failed", n)
		s.settle(log, "fail chat", err)
	case e.Code == http.StatusBadRequest && strings.Contains(e.Message, "message is not modified"):
		s.settle(log, "sent", s.Outbox.MarkSent(ctx, msg.ID, msg.EditMessageID, now))
	case e.Code >= 500 && msg.Attempts < s.MaxAttempts:
		wait := backoff(msg.Attempts)
		log.Warn("Bot API server error; will retry", "err", desc, "retry_in", wait)
		s.settle(log, "retry", s.Outbox.MarkRetry(ctx, msg.ID, now.Add(wait), desc))
	default:
		log.Error("Telegram refused the message", "err", desc)
		s.settle(log, "failed", s.Outbox.MarkFailed(ctx, msg.ID, desc, now))
	}
}

func (s *Sender) settle(log *slog.Logger, what string, err error) {
	if err != nil {
		log.Error("could not record delivery outcome", "outcome", what, "err", err)
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
