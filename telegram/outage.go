package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
)

// While the database cannot be written (disk full, read-only file, failing
// disk) the poll loop holds its offset: Telegram keeps the updates (for a
// day) and sends them again, and each is handled, once, when the database
// takes writes again. Nobody is left wondering meanwhile. The admins are
// told when the outage starts and when it ends, and each known person whose
// message waits is told once that it is kept. These notices go straight to
// the Bot API: the outbox is in the database that cannot be written.

const (
	unwritableUserNotice = "⚠️ 服务器暂时无法保存数据。您这条消息没有丢，系统恢复后会自动处理并回复您，请不要重发。"
	unwritableAdminFmt   = "⚠️ planbot 无法写入数据库：%s\n\n干部和领导发来的消息暂存在 Telegram（最多保留 24 小时），恢复后按顺序自动处理；提醒暂停发送。%s"
	writableAdminFmt     = "✅ planbot 数据库已恢复写入（中断约 %s），积压的消息正在处理。"
)

// known reports whether u is on the list (in the YAML, or bound by invite
// code): only they hear anything but a refusal. Reads still work on a
// full disk.
func (p *Poller) known(ctx context.Context, u planbot.UserID) bool {
	r := p.Bindings
	if r == nil {
		r, _ = p.Updates.(planbot.BindingReader)
	}
	return u != "" && r != nil && p.Conv.Known(ctx, r, u)
}

// unwritable handles an update that could not be recorded because the
// database cannot be written, and returns how long to wait before asking
// Telegram for it again. skipped means the update was found to fail by
// itself while the database takes writes: it has been recorded with an
// apology, and the poll goes on past it.
func (p *Poller) unwritable(ctx context.Context, u tgbotapi.Update, next int, err error) (wait time.Duration, skipped bool) {
	o := p.outage
	if o == nil {
		o = planbot.NewWriteOutage(p.Now())
		p.outage = o
		p.Log.Error("the database cannot be written: updates stay at Telegram and are handled once it can",
			errAttr(err), slog.Int("update_id", u.UpdateID))
		p.notifyAll(p.Conv.AdminChats(), OutageNotice(err))
	}
	m, ok := FromUpdate(u)
	wait, poison := o.Failed(strconv.Itoa(u.UpdateID), func() error {
		return p.Updates.ProbeWrite(context.WithoutCancel(ctx), p.Now())
	})
	if poison {
		p.Log.Error("the update fails though the database takes writes: given up with an apology",
			slog.Int("update_id", u.UpdateID), slog.Int("tries", o.Tries()), errAttr(err))
		var msgs []planbot.OutboxMessage
		if ok {
			msgs = p.Conv.ApologyFor(m)
		}
		rerr := p.recordFailed(context.WithoutCancel(ctx), u.UpdateID, next, p.Now().Truncate(time.Second), msgs)
		if rerr == nil {
			return 0, true
		}
		p.Log.Error("record the given-up update", slog.Int("update_id", u.UpdateID), errAttr(rerr))
	}
	if ok && m.Chat == planbot.ChatPrivate && !o.Told(m.UserID) && p.known(ctx, m.UserID) && o.Tell(m.UserID) {
		p.notifyAll([]planbot.ChatID{m.ChatID}, unwritableUserNotice)
	}
	p.Log.Warn("update held until the database can be written", slog.Int("update_id", u.UpdateID),
		slog.Duration("retry_in", wait), errAttr(err))
	return wait, false
}

// OutageNotice is the admins' alarm about an outage, for one that began
// before the bot could poll (a full disk at start); RecoveredNotice ends
// it.
func OutageNotice(err error) string {
	return fmt.Sprintf(unwritableAdminFmt, err, planbot.OutageHint(err))
}

// RecoveredNotice says the database takes writes again after down.
func RecoveredNotice(down time.Duration) string {
	return fmt.Sprintf(writableAdminFmt, planbot.AboutDuration(down.Round(time.Second)))
}

// writable ends an outage, if there was one.
func (p *Poller) writable() {
	o := p.outage
	if o == nil {
		return
	}
	p.outage = nil
	down := p.Now().Sub(o.Since).Round(time.Second)
	p.Log.Info("the database can be written again; held updates are being handled", slog.Duration("down_for", down))
	p.notifyAll(p.Conv.AdminChats(), RecoveredNotice(down))
}

// Notify sends a plain text (no markup: an error in it may hold "<")
// straight through the Bot API to each of chats on Telegram, best effort:
// the outbox is in the database that cannot be written. Chats on other
// platforms are not Telegram's to reach and are passed over. The error
// names each chat that was not told; the caller redacts the token.
func Notify(api API, chats []planbot.ChatID, text string) error {
	var errs []error
	for _, chat := range chats {
		n, ok := ChatNumber(chat)
		if !ok {
			continue
		}
		if _, err := api.Send(tgbotapi.NewMessage(n, text)); err != nil {
			errs = append(errs, fmt.Errorf("tell %s: %w", chat, err))
		}
	}
	return errors.Join(errs...)
}

// notifyAll is Notify, its failure logged.
func (p *Poller) notifyAll(chats []planbot.ChatID, text string) {
	if err := Notify(p.API, chats, text); err != nil {
		p.Log.Warn("could not send a notice about the database", errAttr(Redact(err, p.Token)))
	}
}
