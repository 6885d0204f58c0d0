package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
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
			busy := fs.Duration("busy-timeout", storage.DefaultBusyTimeout,
				"how long a write waits for another program's lock on the database (a backup, a sqlite3 shell) before the bot holds its messages as in an outage")
			handlerTimeout := fs.Duration("handler-timeout", 30*time.Second,
				"how long one message may take; one that takes longer is answered with an apology and not retried")
			newDB := fs.Bool("new-db", false,
				"serve the database file that is there now even though it is missing, empty or another database than the one served here before (it is recorded in <db>.id); without it run refuses, so that a deleted database is restored, not silently replaced")
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
				// First: a test's own options (a shorter timeout) still win.
				e.dbOptions = append([]storage.Option{storage.WithBusyTimeout(*busy)}, e.dbOptions...)
				release, err := storage.AcquireInstanceLock(dbPath)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot run:", err)
					return exitFail
				}
				defer release()
				// Also the file itself, for its other names (hard links); one
				// not made yet has none, and is locked once Open made it.
				var unlockFile func() error
				if _, err := os.Stat(dbPath); err == nil {
					if unlockFile, err = storage.LockDatabaseFile(dbPath); err != nil {
						fmt.Fprintln(e.stderr, "planbot run:", err)
						return exitFail
					}
					defer unlockFile()
				}
				open := func() (*storage.DB, error) {
					if !*newDB {
						if err := servedHere(ctx, e, dbPath); err != nil {
							return nil, err
						}
					}
					return openSynced(ctx, e, cfg, *dbFlag)
				}
				db, err := open()
				if errors.Is(err, planbot.ErrUnwritable) {
					db, err = openWhenWritable(ctx, e, open, bot.New(botConfig(e, cfg, *path)).AdminChats(), token, cfg.Bot.APIEndpoint, err)
				}
				if ctx.Err() != nil && err != nil {
					e.log.Info("planbot stopped before the database could be opened")
					return exitOK
				} else if err != nil {
					fmt.Fprintln(e.stderr, "planbot run:", err)
					return exitFail
				}
				defer db.Close()
				if unlockFile == nil {
					if unlockFile, err = storage.LockDatabaseFile(dbPath); err != nil {
						fmt.Fprintln(e.stderr, "planbot run:", err)
						return exitFail
					}
					defer unlockFile()
				}
				recordServed(ctx, e, db)

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
				tg := &bot.Telegram{Bot: b, Updates: db, Sender: sender, Log: e.log, Now: e.now, PollTimeout: *poll,
					HandlerTimeout: *handlerTimeout}
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

// servedHere refuses a database file that is missing, empty or another
// database than the one this path held when run last served it: the sign
// of an rm or a restore gone wrong, which must not silently become an
// empty year. It opens the file only to read its identity, before the
// plan is synced into it.
func servedHere(ctx context.Context, e *env, dbPath string) error {
	if err := storage.CheckPresent(dbPath); err != nil {
		return err
	}
	if want, err := storage.RecordedIdentity(dbPath); err != nil || want == "" {
		return err
	}
	db, err := storage.Open(ctx, dbPath, e.dbOptions...)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.CheckIdentity(ctx)
}

// openWhenWritable waits out a database that cannot be opened for
// writing at start (a full disk: SQLite cannot even rebuild its shared
// memory file), as the poll loop waits out one that fills while serving:
// the admins are told straight through the Bot API when it starts and
// when it ends, the updates wait at Telegram meanwhile (nothing is polled,
// so nothing is confirmed), and opening is tried again, 1 s doubling to a
// minute, until it works or ctx ends.
func openWhenWritable(ctx context.Context, e *env, open func() (*storage.DB, error), admins []int64, token, endpoint string, cause error) (*storage.DB, error) {
	began := e.now()
	e.log.Error("the database cannot be written at start: waiting for room; updates stay at Telegram", "err", cause)
	api, err := tgbotapi.NewBotAPIWithClient(token, endpointOr(endpoint), &http.Client{Timeout: 30 * time.Second, Transport: bot.CapBodies(http.DefaultTransport)})
	notify := func(text string) {
		if err != nil {
			e.log.Warn("could not tell the admins about the database", "err", bot.Redact(err, token))
			return
		}
		for _, chat := range admins {
			if _, err := api.Send(tgbotapi.NewMessage(chat, text)); err != nil {
				e.log.Warn("could not tell an admin about the database", "chat_id", chat, "err", bot.Redact(err, token))
			}
		}
	}
	notify(bot.OutageNotice(cause))
	for n := 0; ; n++ {
		t := time.NewTimer(min(time.Second<<min(n, 6), time.Minute))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		db, err := open()
		switch {
		case err == nil:
			e.log.Info("the database can be written again", "down_for", e.now().Sub(began).Round(time.Second))
			notify(bot.RecoveredNotice(e.now().Sub(began)))
			return db, nil
		case !errors.Is(err, planbot.ErrUnwritable):
			return nil, err
		}
		e.log.Warn("the database still cannot be written", "err", err)
	}
}

// recordServed records beside the database which one it is, for the next
// start's servedHere. Best effort: on a full disk the bot still starts
// (and tells the admins at the first write it cannot make).
func recordServed(ctx context.Context, e *env, db *storage.DB) {
	id, err := db.Identity(ctx)
	if err == nil {
		var had string
		if had, err = storage.RecordedIdentity(db.Path()); err == nil && had != id {
			err = storage.RecordIdentity(db.Path(), id, e.now())
		}
	}
	if err != nil {
		e.log.Warn("could not record which database this is; a deleted database will not be noticed at the next start", "db", db.Path(), "err", err)
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
