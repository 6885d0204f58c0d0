package wecom

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"planbot"
)

// While the database cannot be written (disk full, read-only file,
// locked by another program) the receiver holds the events in memory, in
// order, and tries the first again after a backoff: each is stored and
// handled, once, when the database takes writes again. Unlike Telegram,
// WeCom keeps nothing for us: what is held is lost if planbot stops
// meanwhile (those not stored at a graceful stop are logged). The WeCom
// admins are told when the outage starts and when it ends, and each known
// person whose private message waits is told once that it is kept. The
// notices go straight over the connection: the outbox is in the database
// that cannot be written.

const (
	unwritableUserNotice = "⚠️ 服务器暂时无法保存数据。您这条消息已暂存，恢复后会自动处理并回复您，请不要重发。"
	unwritableAdminFmt   = "⚠️ planbot 无法写入数据库：%s\n\n企业微信发来的消息暂存在 planbot 的内存里（planbot 若在此期间重启，这些消息会丢失），恢复后按顺序自动处理；提醒暂停发送。%s"
	writableAdminFmt     = "✅ planbot 数据库已恢复写入（中断约 %s），暂存的企业微信消息正在处理。"
	droppedNotice        = "⚠️ 抱歉，您刚才的消息没能保存下来，请稍后再发一次。"
)

// unwritable handles an event that could not be stored or handled, and
// returns how long to wait before trying it again; done means it was
// found to fail by itself while the database takes writes, and was given
// up (with an apology): the loop goes on past it.
func (r *Receiver) unwritable(ctx context.Context, it *item, err error) (wait time.Duration, done bool) {
	o := r.outage
	if o == nil {
		o = planbot.NewWriteOutage(r.clock().Now())
		r.outage = o
		r.log().Error("the database cannot be written: WeCom messages wait in memory and are handled once it can",
			errAttr(err), slog.String("event_id", it.id))
		r.notifyAdmins(ctx, fmt.Sprintf(unwritableAdminFmt, err, planbot.OutageHint(err)))
	}
	wait, poison := o.Failed(it.id, func() error {
		return r.Inbox.ProbeWrite(context.WithoutCancel(ctx), r.clock().Now())
	})
	if poison {
		r.log().Error("the WeCom event fails though the database takes writes: given up with an apology",
			slog.String("event_id", it.id), slog.Int("tries", o.Tries()), errAttr(err))
		if r.giveUp(ctx, it) {
			return 0, true
		}
	}
	r.log().Warn("WeCom event held until the database can be written", slog.String("event_id", it.id),
		slog.Duration("retry_in", wait), errAttr(err))
	return wait, false
}

// giveUp ends a poison event: a stored one is recorded with the apology;
// one that cannot even be stored is dropped, its sender told directly.
func (r *Receiver) giveUp(ctx context.Context, it *item) bool {
	m, ok, _ := toMessage(it.id, it.ev, it.received)
	if !it.stored {
		it.dup = true // dropped: the loop passes it
		if ok {
			r.say(ctx, m.ChatID, m.EventRef, droppedNotice)
		}
		return true
	}
	var msgs []planbot.OutboxMessage
	if ok {
		msgs = asReplies(m, r.Conv.ApologyFor(m))
	}
	err := r.recordFailed(context.WithoutCancel(ctx), it.id, r.clock().Now().Truncate(time.Second), msgs)
	if err != nil {
		r.log().Error("record the given-up WeCom event", slog.String("event_id", it.id), errAttr(err))
		return false
	}
	return true
}

// tellWaiting tells each known person whose private message waits in the
// queue, once per outage, that it is kept: as a reply to it.
func (r *Receiver) tellWaiting(ctx context.Context, q *queue) {
	o := r.outage
	if o == nil {
		return
	}
	for _, it := range q.snapshot() {
		if !isReady(it) || it.dup || it.corrupt != nil {
			continue
		}
		m, ok, _ := toMessage(it.id, it.ev, it.received)
		if !ok || m.Chat != planbot.ChatPrivate || o.Told(m.UserID) || !r.known(ctx, m.UserID) || !o.Tell(m.UserID) {
			continue
		}
		r.say(ctx, m.ChatID, m.EventRef, unwritableUserNotice)
	}
}

// known reports whether u is on the list. Reads still work on a full disk.
func (r *Receiver) known(ctx context.Context, u planbot.UserID) bool {
	b := r.Bindings
	if b == nil {
		b, _ = r.Inbox.(planbot.BindingReader)
	}
	return b != nil && r.Conv.Known(ctx, b, u)
}

// writable ends an outage, if there was one.
func (r *Receiver) writable() {
	o := r.outage
	if o == nil {
		return
	}
	r.outage = nil
	down := r.clock().Now().Sub(o.Since).Round(time.Second)
	r.log().Info("the database can be written again; held WeCom messages are being handled", slog.Duration("down_for", down))
	r.notifyAdmins(context.Background(), fmt.Sprintf(writableAdminFmt, planbot.AboutDuration(down)))
}

// notifyAdmins tells the admins' WeCom chats text, straight over the
// connection, best effort; other platforms' admins hear from their own
// adapter.
func (r *Receiver) notifyAdmins(ctx context.Context, text string) {
	for _, chat := range r.Conv.AdminChats() {
		if chat.Platform() == Platform {
			r.say(ctx, chat, "", text)
		}
	}
}

// say sends plain text to chat straight over the connection (as a reply
// to replyRef if given), bypassing the outbox; a failure is logged.
func (r *Receiver) say(ctx context.Context, chat planbot.ChatID, replyRef, text string) {
	msg := planbot.OutboxMessage{ChatID: chat, Text: planbot.Escape(text), ReplyRef: replyRef}
	if _, _, err := NewChannel(r.Conn).Send(context.WithoutCancel(ctx), msg); err != nil {
		r.log().Warn("could not send a notice over WeCom", slog.String("chat_id", string(chat)), errAttr(err))
	}
}
