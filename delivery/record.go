package delivery

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"planbot"
)

// recorder writes delivery outcomes to the outbox. One the database does
// not take (disk full) is kept and written again before the next claim:
// until then the message stays in flight, and its chat's lane waits
// behind it, so it is neither lost nor sent twice.
type recorder struct {
	mu        sync.Mutex
	unsettled []pendingWrite
}

// pendingWrite is an outcome not yet written.
type pendingWrite struct {
	what  string
	write func(ctx context.Context) error
	log   *slog.Logger
}

// settle writes an outcome, or keeps it to write again (resettle).
func (r *recorder) settle(ctx context.Context, log *slog.Logger, what string, write func(ctx context.Context) error) {
	if err := write(ctx); err != nil {
		log.Error("could not record delivery outcome; will record it again", slog.String("outcome", what), errAttr(err))
		r.mu.Lock()
		r.unsettled = append(r.unsettled, pendingWrite{what: what, write: write, log: log})
		r.mu.Unlock()
	}
}

// resettle writes again the outcomes the database did not take; false
// while some are still not written (then a claim would fail too).
func (r *recorder) resettle(ctx context.Context) bool {
	r.mu.Lock()
	pending := r.unsettled
	r.unsettled = nil
	r.mu.Unlock()
	if len(pending) == 0 {
		return true
	}
	var left []pendingWrite
	for _, p := range pending {
		if err := p.write(ctx); err != nil {
			left = append(left, p)
		} else {
			p.log.Info("delivery outcome recorded after all", slog.String("outcome", p.what))
		}
	}
	r.mu.Lock()
	// Workers may have added outcomes meanwhile: the older go first.
	r.unsettled = append(left, r.unsettled...)
	r.mu.Unlock()
	return len(left) == 0
}

// left is how many outcomes are not written.
func (r *recorder) left() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.unsettled)
}

// recording logs a classified answer to msg and returns the outbox
// writes it makes.
func (s *Sender) recording(msg planbot.OutboxMessage, res result, now time.Time, log *slog.Logger) func(ctx context.Context) error {
	o := s.outbox
	var errText string
	if res.err != nil {
		errText = res.err.Error()
	}
	switch res.verdict {
	case verdictSent:
		// deliver leaves this one to Run (see Sender); recorded alone, it
		// is the same write.
		sent := []planbot.Delivered{{ID: msg.ID, SentMessageID: res.sentID, At: now}}
		return func(ctx context.Context) error { return s.recordSent(ctx, now, sent) }
	case verdictCool:
		until := now.Add(res.after)
		log.Warn("rate limited by the platform; this chat waits", slog.Duration("retry_after", res.after))
		return func(ctx context.Context) error { return o.MarkRetry(ctx, msg.ID, until, errText) }
	case verdictRetarget:
		log.Info("the chat moved; its messages follow it", slog.String("new_chat_id", string(res.to)))
		// The message in hand is still in flight: settle it, or its lane
		// (now the new chat's) stays blocked until a restart. A send moved
		// with the rest and goes again at once; an edit cannot follow (the
		// message it edits stayed behind). Moving is idempotent, so a
		// failed write is simply done again whole.
		return func(ctx context.Context) error {
			n, err := o.RetargetChat(ctx, msg.ChatID, res.to)
			if err != nil {
				return err
			}
			log.Info("messages moved to the chat's new address", slog.Int("moved", n))
			if msg.Method == planbot.MethodEdit {
				return o.MarkFailed(ctx, msg.ID, errText, now)
			}
			return o.MarkRetry(ctx, msg.ID, now, errText)
		}
	case verdictFailChat:
		return func(ctx context.Context) error {
			n, err := o.FailChat(ctx, msg.ChatID, errText, now)
			if err == nil {
				log.Warn("the platform says the chat cannot be reached (blocked, left, or never wrote to the bot: see err); its messages are failed",
					slog.String("err", errText), slog.Int("failed", n))
			}
			return err
		}
	case verdictRetry:
		// No answer: maybe delivered, maybe not. Send again (see Channel).
		wait := s.backoff(msg.Attempts)
		log.Warn("send failed without an answer; will retry", errAttr(res.err), slog.Duration("retry_in", wait))
		return func(ctx context.Context) error { return o.MarkRetry(ctx, msg.ID, now.Add(wait), errText) }
	case verdictGiveUp:
		log.Error("giving up after repeated failures without an answer", errAttr(res.err))
	default:
		log.Error("the platform refused the message", errAttr(res.err))
	}
	return func(ctx context.Context) error { return o.MarkFailed(ctx, msg.ID, errText, now) }
}

func errAttr(err error) slog.Attr { return slog.Any("err", err) }
