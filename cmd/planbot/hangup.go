package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"planbot/bot"
	"planbot/storage"
)

// A burst of SIGHUPs (a deploy script, an editor hook, a loop) is one
// reload: it runs once the signals have been quiet for hangupSettle, or
// hangupMaxWait after the first, and those arriving during a reload make
// one more. A notice identical to the last one sent within
// noticeRepeatWindow is logged, not sent again: 30 SIGHUPs in 1.5 s once
// queued 30 reloads' notices to every admin.
const (
	hangupSettle       = 500 * time.Millisecond
	hangupMaxWait      = 3 * time.Second
	noticeRepeatWindow = time.Minute
)

// reloadOnHangup reloads the YAML on SIGHUP (`systemctl reload planbot`,
// `kill -HUP`), as an admin's /reload does, and tells the admins the
// outcome through the outbox: what changed, or the first problems of a
// broken file while the running plan stays in force. The returned func
// stops it, waiting for a reload in progress: the database closes after it.
func reloadOnHangup(ctx context.Context, e *env, b *bot.Bot, db *storage.DB, wake func()) func() {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		var lastNotice string
		var lastAt time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case <-done:
				return
			case <-hup:
			}
			if !settleHangups(ctx, done, hup) {
				return
			}
			now := e.now()
			var text string
			var reloaded, repeated bool
			err := db.InSession(ctx, func(s bot.Store) error {
				var err error
				if text, reloaded, err = b.Reload(ctx, s, now); err != nil {
					return err
				}
				if repeated = text == lastNotice && now.Sub(lastAt) < noticeRepeatWindow; repeated {
					return nil
				}
				var replies []bot.Reply
				for _, chat := range b.AdminChats() {
					replies = append(replies, bot.Reply{ChatID: chat, Text: "🔄 服务器上重新读取了配置（SIGHUP）\n" + text})
				}
				return s.Enqueue(ctx, bot.ToOutbox(replies)...)
			})
			if err == nil && !repeated {
				lastNotice, lastAt = text, now
			}
			switch {
			case err != nil:
				e.log.Error("reload on SIGHUP failed", "err", err)
			case reloaded:
				e.log.Info("configuration reloaded on SIGHUP", "result", bot.PlainText(text))
			default:
				e.log.Error("configuration not reloaded on SIGHUP: the file has errors; the running plan stays", "errors", bot.PlainText(text))
			}
			if repeated {
				e.log.Info("SIGHUP notice not sent again: the admins were told the same within the last minute")
			}
			wake()
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
		<-finished
	}
}

// settleHangups waits until SIGHUPs stop coming (or hangupMaxWait passes);
// false if planbot is stopping meanwhile.
func settleHangups(ctx context.Context, done <-chan struct{}, hup <-chan os.Signal) bool {
	quiet := time.NewTimer(hangupSettle)
	defer quiet.Stop()
	limit := time.NewTimer(hangupMaxWait)
	defer limit.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-done:
			return false
		case <-hup:
			quiet.Reset(hangupSettle)
		case <-quiet.C:
			return true
		case <-limit.C:
			return true
		}
	}
}
