package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
	"planbot/bot"
	"planbot/scheduler"
	"planbot/storage"
)

func runCommand() command {
	return command{
		name:    "run",
		summary: "serve the bot on Telegram (long polling); the token comes from the environment",
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			path := configFlag(fs)
			dbFlag := fs.String("db", "", "SQLite database `path` (default: database: in the config)")
			poll := fs.Duration("poll", 50*time.Second, "long-poll `timeout` (Telegram ends polls near 50s)")
			return func(ctx context.Context, e *env) int {
				cfg := loadConfig(e, *path)
				if cfg == nil {
					return exitFail
				}
				token := e.getenv(cfg.Bot.TokenEnv)
				if token == "" {
					fmt.Fprintf(e.stderr, "planbot run: the bot token is not set: export %s=<token from @BotFather>\n"+
						"To try the bot without Telegram, run: planbot chat\n", cfg.Bot.TokenEnv)
					return exitFail
				}
				dbPath := cfg.Database
				if *dbFlag != "" {
					dbPath = *dbFlag
				}
				release, err := storage.AcquireInstanceLock(dbPath)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot run:", err)
					return exitFail
				}
				defer release()
				db, err := openSynced(ctx, e, cfg, *dbFlag)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot run:", err)
					return exitFail
				}
				defer db.Close()

				// A server that boots before its network is up keeps trying;
				// a wrong token fails at once.
				var poller, senderAPI *tgbotapi.BotAPI
				err = untilReachable(ctx, e.log, "connect", func() (err error) {
					poller, err = bot.Connect(ctx, token, cfg.Bot.APIEndpoint, *poll)
					if err != nil {
						return err
					}
					// The sender's requests are not tied to ctx: a message in
					// flight at shutdown is finished, not abandoned.
					senderAPI, err = tgbotapi.NewBotAPIWithClient(token, endpointOr(cfg.Bot.APIEndpoint), &http.Client{Timeout: 30 * time.Second, Transport: bot.CapBodies(http.DefaultTransport)})
					return bot.Redact(err, token)
				})
				if ctx.Err() != nil {
					e.log.Info("planbot stopped before it could reach Telegram")
					return exitOK
				} else if err != nil {
					fmt.Fprintln(e.stderr, "planbot run:", err)
					return exitFail
				}
				bc := botConfig(e, cfg, *path)
				var sch *scheduler.Scheduler
				bc.Reloaded = func(*planbot.Plan) {
					// Not inline: a running job may be waiting for the
					// database the reloading message holds.
					go func() {
						if err := sch.Restart(ctx); err != nil {
							e.log.Error("reminders not restarted after reload", "err", err)
						}
					}()
				}
				b := bot.New(bc)
				sender := bot.NewSender(senderAPI, db, e.log, e.now)
				// Rounded up: rounding down would let 31 requests into a second at 30/s.
				sender.Gap = time.Duration(math.Ceil(float64(time.Second) / cfg.Bot.PerSecond))
				sender.PerChat = time.Duration(cfg.Bot.PerChatSeconds * float64(time.Second))
				sender.PerGroup = time.Duration(float64(time.Minute) / cfg.Bot.PerGroupPerMinute)
				sch = newScheduler(e, db, b.Plan, e.log)
				sch.Queued = sender.Wake
				tg := &bot.Telegram{Bot: b, Updates: storeAdapter{db}, Sender: sender, Log: e.log, Now: e.now, PollTimeout: *poll}
				sender.OnReachable = tg.Reachable
				if err := untilReachable(ctx, e.log, "delete webhook", func() error { return tg.Start(poller) }); ctx.Err() != nil {
					e.log.Info("planbot stopped before it could reach Telegram")
					return exitOK
				} else if err != nil {
					fmt.Fprintln(e.stderr, "planbot run:", err)
					return exitFail
				}
				e.log.Info("planbot is running", "bot", poller.Self.UserName, "db", dbPath, "items", len(cfg.Plan.Items))

				// Shutdown order: stop polling (the update in hand is
				// finished), then the reminders (running jobs finish), then
				// the sender (the message in flight is finished), then the
				// database and the lock (deferred).
				senderCtx, stopSender := context.WithCancel(context.WithoutCancel(ctx))
				var wg sync.WaitGroup
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := sender.Run(senderCtx); err != nil {
						e.log.Error("sender stopped", "err", err)
					}
				}()
				if err := sch.CatchUp(ctx); err != nil {
					e.log.Error("catching up missed reminders failed", "err", err)
				}
				if err := sch.Start(); err != nil {
					fmt.Fprintln(e.stderr, "planbot run:", err)
					stopSender()
					wg.Wait()
					return exitFail
				}
				stopHangup := reloadOnHangup(ctx, e, b, db, sender)
				defer stopHangup()
				pollErr := tg.Poll(ctx)
				stopCtx, cancelStop := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
				sch.Stop(stopCtx) // running reminder jobs finish first
				cancelStop()
				stopSender()
				wg.Wait()
				if errors.Is(pollErr, bot.ErrConflict) {
					fmt.Fprintln(e.stderr, "planbot run:", pollErr)
					return exitFail
				} else if pollErr != nil {
					fmt.Fprintln(e.stderr, "planbot run:", bot.Redact(pollErr, token))
					return exitFail
				}
				e.log.Info("planbot stopped")
				return exitOK
			}
		},
	}
}

func endpointOr(ep string) string {
	if ep == "" {
		return tgbotapi.APIEndpoint
	}
	return ep
}

// untilReachable runs step until it succeeds, Telegram refuses it for
// good (a 4xx: a wrong token …), or ctx ends; network errors and 5xx are
// waited out, 1 s doubling to a minute.
func untilReachable(ctx context.Context, log *slog.Logger, step string, f func() error) error {
	for n := 0; ; n++ {
		err := f()
		var apiErr *tgbotapi.Error
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &apiErr) && apiErr.Code < 500 && apiErr.RetryAfter == 0:
			return err
		}
		wait := min(time.Second<<min(n, 6), time.Minute)
		if apiErr != nil && apiErr.RetryAfter > 0 {
			wait = time.Duration(apiErr.RetryAfter) * time.Second
		}
		log.Warn("Telegram is not reachable yet; trying again", "step", step, "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
