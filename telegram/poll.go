package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
)

// UpdateLog is the storage side of exactly-once handling: an update's
// effects, its replies and the next offset commit together.
type UpdateLog interface {
	Offset(ctx context.Context) (int, error)
	// HandleUpdate runs fn in one transaction with recording the update,
	// unless it was already handled (then it returns true and skips fn).
	HandleUpdate(ctx context.Context, updateID, nextOffset int, now time.Time, fn func(Store) ([]planbot.OutboxMessage, error)) (bool, error)
	// RecordUpdate marks an update handled whose handling failed, queuing
	// msgs (the apology) in the same transaction.
	RecordUpdate(ctx context.Context, updateID, nextOffset int, now time.Time, msgs ...planbot.OutboxMessage) error
}

// The outbox priorities under the names the conversation's callers know; the
// order is decided in the root (reply.go).
const (
	PriorityReply    = planbot.PriorityReply
	PriorityReminder = planbot.PriorityReminder
	PriorityRefusal  = planbot.PriorityRefusal
)

// ToOutbox turns replies into outbox rows: long texts split under
// Telegram's limit, the keyboard on the last part.
func ToOutbox(replies []Reply) []planbot.OutboxMessage {
	var out []planbot.OutboxMessage
	for _, r := range replies {
		out = appendOutbox(out, r)
	}
	return out
}

// appendOutbox appends the rows of one reply.
func appendOutbox(out []planbot.OutboxMessage, r Reply) []planbot.OutboxMessage {
	priority := planbot.PriorityReply
	if r.Refusal {
		priority = planbot.PriorityRefusal
	}
	switch {
	case r.CallbackID != "":
		return append(out, planbot.OutboxMessage{Method: planbot.MethodAnswer, CallbackQueryID: r.CallbackID,
			Text: r.CallbackText, ChatID: r.ChatID, Priority: priority})
	case r.Photo != nil || r.Document != nil:
		m := planbot.OutboxMessage{ChatID: r.ChatID, ParseMode: "HTML", Priority: priority}
		f := r.Photo
		if f != nil {
			m.Photo = f.Name
		} else {
			f = r.Document
			m.Document = f.Name
		}
		m.FileName, m.FileData, m.Text = f.Name, f.Data, f.Caption
		out = append(out, m)
	}
	if r.Text == "" {
		return out
	}
	m := planbot.OutboxMessage{ChatID: r.ChatID, Text: r.Text, ParseMode: "HTML", Priority: priority,
		ReplyMarkup: planbot.InlineKeyboardJSON(r.Keyboard)}
	if r.EditMessageID != 0 {
		m.Method, m.EditMessageID = planbot.MethodEdit, r.EditMessageID
	}
	return append(out, planbot.SplitOutbox(m)...)
}

// Telegram serves the conversation over the Bot API with long polling.
type Telegram struct {
	Bot     *Bot
	Updates UpdateLog
	Sender  *Sender
	Log     *slog.Logger
	Now     func() time.Time
	// PollTimeout is the long-poll wait; Telegram ends polls near 50 s.
	PollTimeout time.Duration
	// MaxConflicts is how many 409 Conflict answers in a row mean another
	// instance is polling with the same token: then Poll gives up.
	MaxConflicts int
	// HandlerTimeout bounds one update's handling (default 30 s).
	HandlerTimeout time.Duration

	api      *tgbotapi.BotAPI
	outage   *writeOutage  // Poll's goroutine only
	wake     chan struct{} // Reachable: a poll backing off after failures tries now
	wakeOnce sync.Once
}

// ErrConflict means another bot instance (or a webhook) holds the token.
var ErrConflict = errors.New("another planbot instance or a webhook is using this bot token (409 Conflict): stop the other one, or delete its webhook")

// Connect makes the poller's client: its HTTP requests end when ctx is
// done, and never wait longer than the long poll plus a margin.
func Connect(ctx context.Context, token, endpoint string, pollTimeout time.Duration) (*tgbotapi.BotAPI, error) {
	if endpoint == "" {
		endpoint = tgbotapi.APIEndpoint
	}
	client := &http.Client{Timeout: pollTimeout + 15*time.Second, Transport: ctxTransport{ctx: ctx, base: CapBodies(http.DefaultTransport)}}
	api, err := tgbotapi.NewBotAPIWithClient(token, endpoint, client)
	if err != nil {
		return nil, Redact(fmt.Errorf("connect to the Bot API: %w", err), token)
	}
	return api, nil
}

// ctxTransport ties every request to a context, since tgbotapi takes none:
// on shutdown the long poll in flight is abandoned at once (Telegram keeps
// its updates, as the offset was not advanced).
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

// Redact removes the bot token from an error: tgbotapi's errors carry the
// request URL, which holds it.
func Redact(err error, token string) error {
	if err == nil || token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return redacted{msg: strings.ReplaceAll(err.Error(), token, "<token>"), err: err}
}

type redacted struct {
	msg string
	err error
}

func (r redacted) Error() string { return r.msg }

// Unwrap keeps errors.As working (for *tgbotapi.Error) without exposing the
// original message through Error.
func (r redacted) Unwrap() error { return r.err }

// Start prepares the bot's account: no webhook (it would make getUpdates
// fail with 409) and the command menu.
func (t *Telegram) Start(api *tgbotapi.BotAPI) error {
	t.api = api
	if t.Bot != nil {
		// getMe, asked when the client was made: in a group the bot
		// answers only what is addressed to it by this name.
		t.Bot.SetSelf(api.Self.ID, api.Self.UserName)
	}
	if _, err := api.Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
		return Redact(fmt.Errorf("delete webhook: %w", err), api.Token)
	}
	var cmds []tgbotapi.BotCommand
	for _, c := range Commands() {
		cmds = append(cmds, tgbotapi.BotCommand{Command: c.Command, Description: c.Description})
	}
	if _, err := api.Request(tgbotapi.NewSetMyCommands(cmds...)); err != nil {
		// The menu is a convenience; the bot works without it.
		t.Log.Warn("could not register the command menu", "err", Redact(err, api.Token))
	}
	return nil
}

// Poll fetches updates and handles each before asking for more, until ctx
// is done. The update in hand when ctx ends is finished (its handling runs
// on a context of its own). It returns ErrConflict after MaxConflicts 409s.
func (t *Telegram) Poll(ctx context.Context) error {
	if t.Now == nil {
		t.Now = time.Now
	}
	if t.PollTimeout == 0 {
		t.PollTimeout = 50 * time.Second
	}
	if t.MaxConflicts == 0 {
		t.MaxConflicts = 5
	}
	offset, err := t.Updates.Offset(ctx)
	if err != nil {
		return fmt.Errorf("read poll offset: %w", err)
	}
	conflicts, failures := 0, 0
	for ctx.Err() == nil {
		updates, err := t.api.GetUpdates(tgbotapi.UpdateConfig{Offset: offset, Limit: 100, Timeout: int(t.PollTimeout / time.Second),
			AllowedUpdates: []string{"message", "edited_message", "callback_query"}})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			err = Redact(err, t.api.Token)
			var apiErr *tgbotapi.Error
			wait := planbot.BackoffJitter(failures + 1)
			switch {
			case errors.As(err, &apiErr) && apiErr.Code == http.StatusConflict:
				conflicts++
				t.Log.Warn("getUpdates conflict: another instance may be polling", "count", conflicts)
				if conflicts >= t.MaxConflicts {
					return ErrConflict
				}
			case errors.As(err, &apiErr) && apiErr.RetryAfter > 0:
				wait = time.Duration(apiErr.RetryAfter) * time.Second
				t.Log.Warn("getUpdates rate limited", "retry_after", wait)
			default:
				failures++
				t.Log.Warn("getUpdates failed", "err", err, "retry_in", wait)
			}
			if !t.backOff(ctx, wait) {
				return nil
			}
			continue
		}
		if failures > 0 && t.Sender != nil {
			// Telegram answers again: so will it the sender, which may be
			// pausing after failures of its own.
			t.Sender.Reachable()
		}
		conflicts, failures = 0, 0
		var hold time.Duration
		for _, u := range updates {
			next := u.UpdateID + 1
			if err := t.handle(context.WithoutCancel(ctx), u, next); err != nil {
				// Not recorded: the offset stays before it, so Telegram
				// sends it (and those after it) again, unless it turns out
				// to fail by itself (then it was recorded with an apology).
				var skipped bool
				if hold, skipped = t.unwritable(ctx, u, next, err); !skipped {
					break
				}
				hold = 0
			}
			t.writable()
			offset = max(offset, next) // a re-delivered old update must not move it back
			if ctx.Err() != nil {
				return nil
			}
		}
		if len(updates) > 0 && t.Sender != nil {
			t.Sender.Wake()
		}
		if hold > 0 && !planbot.Sleep(ctx, hold) {
			return nil
		}
	}
	return nil
}

// handle runs one update exactly once. A handler that fails, panics or
// runs past its deadline rolls back its effects; the update is then
// recorded with an apology, so a poison message cannot block the queue or
// be applied twice. The error is for an update that could not be recorded
// at all (the database cannot be written, is locked by another program or
// vanished): it must be asked for again, not skipped.
func (t *Telegram) handle(ctx context.Context, u tgbotapi.Update, next int) error {
	m, ok := FromUpdate(u)
	// The outbox keeps whole seconds and makes a message due at the first
	// whole second at or after its stamp: a fractional now would hold
	// every reply back until the next second ticks.
	now := t.Now().Truncate(time.Second)
	log := t.Log.With("update_id", u.UpdateID, "chat_id", m.ChatID, "user_id", m.UserID)
	if !ok {
		if err := t.Updates.RecordUpdate(ctx, u.UpdateID, next, now); err != nil {
			log.Error("record ignored update", "err", err)
			return err
		}
		return nil
	}
	limit := t.HandlerTimeout
	if limit <= 0 {
		limit = 30 * time.Second
	}
	done, err := t.Updates.HandleUpdate(ctx, u.UpdateID, next, now, func(s Store) (msgs []planbot.OutboxMessage, err error) {
		// The deadline starts once the transaction is ours: waiting for a
		// lock another program holds is an outage (ErrUnwritable after the
		// busy timeout), not this message running late.
		hctx, cancel := context.WithTimeout(ctx, limit)
		defer cancel()
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("%w: panic: %v", ErrInternal, p)
			}
			if err != nil && hctx.Err() != nil && !errors.Is(err, planbot.ErrUnwritable) {
				err = fmt.Errorf("%w: the handler ran past its %v deadline: %w", ErrInternal, limit, err)
			}
		}()
		replies, err := t.Bot.Handle(hctx, s, m)
		if err != nil {
			return nil, err
		}
		return ToOutbox(replies), nil
	})
	switch {
	case done:
		log.Info("update already handled, skipped")
	case errors.Is(err, planbot.ErrUnwritable):
		// Not the message's fault: it is handled again once the database
		// takes writes, instead of being recorded with an apology.
		return err
	case err != nil:
		log.Error("handling failed; apologising", "err", err)
		// ctx, not the handler's: that one may have expired, and the
		// failure must be recorded all the same.
		if err := t.Updates.RecordUpdate(ctx, u.UpdateID, next, now, ToOutbox(Apology(m))...); err != nil {
			log.Error("record failed update", "err", err)
			return err
		}
	}
	return nil
}

// FromUpdate converts a Telegram update to our Message; ok is false for
// kinds the bot ignores (channel posts, members joining …).
func FromUpdate(u tgbotapi.Update) (Message, bool) {
	if q := u.CallbackQuery; q != nil {
		m := Message{UpdateID: u.UpdateID, Callback: &Callback{ID: q.ID, Data: q.Data}}
		if q.From != nil {
			m.UserID, m.UserName = q.From.ID, q.From.UserName
		}
		if q.Message != nil {
			m.ChatID, m.Chat, m.Callback.MessageID = q.Message.Chat.ID, chatKind(q.Message.Chat), q.Message.MessageID
		} else if q.From != nil {
			// A button on an inline-mode message carries no chat: answer the
			// person privately.
			m.ChatID, m.Chat = q.From.ID, ChatPrivate
		}
		return m, m.ChatID != 0 || m.UserID != 0
	}
	msg, edited := u.Message, false
	if msg == nil {
		msg, edited = u.EditedMessage, true
	}
	if msg == nil || msg.Chat == nil {
		return Message{}, false
	}
	m := Message{UpdateID: u.UpdateID, ChatID: msg.Chat.ID, Chat: chatKind(msg.Chat), MessageID: msg.MessageID,
		Text: msg.Text, At: time.Unix(int64(msg.Date), 0), Edited: edited}
	if msg.From != nil {
		m.UserID, m.UserName = msg.From.ID, msg.From.UserName
	}
	if msg.SenderChat != nil {
		m.ViaChat = true
	}
	switch {
	case len(msg.Photo) > 0:
		// Telegram sends every size of one photo; the last is the largest.
		m.PhotoIDs = []string{msg.Photo[len(msg.Photo)-1].FileID}
	case msg.Document != nil:
		// A scan, a Word or Excel file, a PDF: evidence too.
		m.PhotoIDs = []string{planbot.DocumentEvidence(msg.Document.FileID)}
	case msg.Video != nil:
		m.PhotoIDs = []string{planbot.VideoEvidence(msg.Video.FileID)}
	case msg.Text == "" && (msg.Voice != nil || msg.Audio != nil || msg.VideoNote != nil || msg.Sticker != nil ||
		msg.Location != nil || msg.Contact != nil || msg.Animation != nil):
		m.Unsupported = true
	}
	if len(m.PhotoIDs) > 0 {
		m.Text = msg.Caption
		m.MediaGroup = msg.MediaGroupID
	}
	if r := msg.ReplyToMessage; r != nil {
		m.ReplyTo = r.MessageID
		if r.From != nil {
			m.ReplyToUser = r.From.ID
		}
		m.ReplyText = r.Text + "\n" + r.Caption
	}
	return m, true
}

func chatKind(c *tgbotapi.Chat) ChatKind {
	switch {
	case c == nil:
		return ChatPrivate
	case c.IsPrivate():
		return ChatPrivate
	case c.IsChannel():
		return ChatChannel
	}
	return ChatGroup
}

// Reachable tells a poll loop waiting out failures that Telegram answers
// again (the sender got through): it polls at once.
func (t *Telegram) Reachable() {
	select {
	case t.wakeCh() <- struct{}{}:
	default:
	}
}

func (t *Telegram) wakeCh() chan struct{} {
	t.wakeOnce.Do(func() { t.wake = make(chan struct{}, 1) })
	return t.wake
}

// backOff waits d after a failed poll, or until Reachable; false means ctx
// ended.
func (t *Telegram) backOff(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.wakeCh():
		return true
	case <-timer.C:
		return true
	}
}
