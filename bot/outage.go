package bot

import (
	"context"
	"fmt"
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
	unwritableAdminFmt   = "⚠️ planbot 无法写入数据库：%s\n\n干部和领导发来的消息暂存在 Telegram（最多保留 24 小时），恢复后按顺序自动处理；提醒暂停发送。请检查服务器磁盘空间和数据库文件的权限。"
	writableAdminFmt     = "✅ planbot 数据库已恢复写入（中断约 %s），积压的消息正在处理。"
)

// writeOutage is a period during which updates could not be recorded.
type writeOutage struct {
	since    time.Time
	failures int
	told     map[int64]bool // users told their message waits
}

// bindingReader finds people bound by invite code; the UpdateLog given to
// Telegram has it when it is the real database.
type bindingReader interface {
	TelegramBinding(ctx context.Context, telegramID int64) (string, bool, error)
}

// AdminChats is where the bot's own alarms go: bot.admin_chat when set,
// else every admin's private chat known from the YAML.
func (b *Bot) AdminChats() []int64 {
	if b.cfg.AdminChat != 0 {
		return []int64{b.cfg.AdminChat}
	}
	var chats []int64
	for _, p := range b.Plan().People {
		if p.Has(planbot.RoleAdmin) && p.TelegramID != 0 {
			chats = append(chats, p.TelegramID)
		}
	}
	return chats
}

// knownUser reports whether userID is on the list (in the YAML, or bound
// by invite code): only they hear anything but a refusal.
func (t *Telegram) knownUser(ctx context.Context, userID int64) bool {
	br, ok := t.Updates.(bindingReader)
	if userID == 0 || !ok {
		return false
	}
	// Reads still work on a full disk.
	_, known, err := t.Bot.whoIs(ctx, br, t.Bot.Plan(), userID)
	return err == nil && known
}

// unwritable handles an update that could not be recorded because the
// database cannot be written, and returns how long to wait before asking
// Telegram for it again.
func (t *Telegram) unwritable(ctx context.Context, u tgbotapi.Update, err error) time.Duration {
	o := t.outage
	if o == nil {
		o = &writeOutage{since: t.Now(), told: map[int64]bool{}}
		t.outage = o
		t.Log.Error("the database cannot be written: updates stay at Telegram and are handled once it can",
			"err", err, "update_id", u.UpdateID)
		for _, chat := range t.Bot.AdminChats() {
			t.notify(chat, fmt.Sprintf(unwritableAdminFmt, err))
		}
	}
	o.failures++
	if m, ok := FromUpdate(u); ok && m.Chat == ChatPrivate && !o.told[m.UserID] && t.knownUser(ctx, m.UserID) {
		o.told[m.UserID] = true
		t.notify(m.ChatID, unwritableUserNotice)
	}
	wait := backoff(o.failures - 1)
	t.Log.Warn("update held until the database can be written", "update_id", u.UpdateID, "retry_in", wait, "err", err)
	return wait
}

// writable ends an outage, if there was one.
func (t *Telegram) writable() {
	o := t.outage
	if o == nil {
		return
	}
	t.outage = nil
	down := t.Now().Sub(o.since).Round(time.Second)
	t.Log.Info("the database can be written again; held updates are being handled", "down_for", down)
	for _, chat := range t.Bot.AdminChats() {
		t.notify(chat, fmt.Sprintf(writableAdminFmt, aboutDuration(down)))
	}
}

// aboutDuration says how long, roughly, in Chinese: "不到 1 分钟",
// "25 分钟", "3 小时 10 分钟", "2 天 4 小时".
func aboutDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "不到 1 分钟"
	case d < time.Hour:
		return fmt.Sprintf("%d 分钟", d/time.Minute)
	case d < 24*time.Hour:
		return fmt.Sprintf("%d 小时 %d 分钟", d/time.Hour, d%time.Hour/time.Minute)
	}
	return fmt.Sprintf("%d 天 %d 小时", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}

// notify sends a plain text straight through the Bot API, best effort.
func (t *Telegram) notify(chatID int64, text string) {
	if _, err := t.api.Send(tgbotapi.NewMessage(chatID, text)); err != nil {
		t.Log.Warn("could not send a notice about the database", "chat_id", chatID, "err", Redact(err, t.api.Token))
	}
}
