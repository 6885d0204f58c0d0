package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"planbot/bot"
	"planbot/storage"
)

// reloadOnHangup reloads the YAML on SIGHUP (`systemctl reload planbot`,
// `kill -HUP`), as an admin's /reload does, and tells the admins the
// outcome through the outbox: what changed, or every problem of a broken
// file while the running plan stays in force. The returned func stops it,
// waiting for a reload in progress: the database closes after it.
func reloadOnHangup(ctx context.Context, e *env, b *bot.Bot, db *storage.DB, sender *bot.Sender) func() {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-ctx.Done():
				return
			case <-done:
				return
			case <-hup:
			}
			now := e.now()
			var text string
			var reloaded bool
			err := db.InSession(ctx, func(s *storage.Session) error {
				var err error
				if text, reloaded, err = b.Reload(ctx, s, now); err != nil {
					return err
				}
				var replies []bot.Reply
				for _, chat := range b.AdminChats() {
					replies = append(replies, bot.Reply{ChatID: chat, Text: "🔄 服务器上重新读取了配置（SIGHUP）\n" + text})
				}
				return s.Enqueue(ctx, bot.ToOutbox(replies)...)
			})
			switch {
			case err != nil:
				e.log.Error("reload on SIGHUP failed", "err", err)
			case reloaded:
				e.log.Info("configuration reloaded on SIGHUP", "result", bot.PlainText(text))
			default:
				e.log.Error("configuration not reloaded on SIGHUP: the file has errors; the running plan stays", "errors", bot.PlainText(text))
			}
			sender.Wake()
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
		<-finished
	}
}
