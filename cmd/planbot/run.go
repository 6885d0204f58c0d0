package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"planbot/config"
	"planbot/storage"
)

func runCommand() command {
	return command{
		name:    "run",
		summary: "serve the bot on Telegram and/or WeCom (企业微信); tokens and secrets come from the environment",
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
				secrets, ok := platformSecrets(e, cfg)
				if !ok {
					return exitFail
				}
				// First: a test's own options (a shorter timeout) still win.
				e.dbOptions = append([]storage.Option{storage.WithBusyTimeout(*busy)}, e.dbOptions...)
				a := &app{env: e, Config: cfg, ConfigPath: *path, DBPath: dbPathOf(cfg, *dbFlag), Token: secrets.token,
					WeComSecret: secrets.wecom, WeComRobotKeys: secrets.robots,
					PollTimeout: *poll, HandlerTimeout: *handlerTimeout, NewDB: *newDB}
				defer a.Close()
				err := a.Open(ctx)
				if err == nil {
					err = a.Run(ctx)
				}
				switch {
				case errors.Is(err, errStopped):
					return exitOK
				case err != nil:
					fmt.Fprintln(e.stderr, "planbot run:", err)
					return exitFail
				}
				e.log.Info("planbot stopped")
				return exitOK
			}
		},
	}
}

// servedBefore refuses a database path whose file is missing or empty
// where run served one before (the sign of an rm or a restore gone wrong,
// which must not silently become an empty year), and says whether an
// identity was recorded beside it: then the opened database must carry it
// (storage.DB.CheckIdentity) before the plan is synced into it.
func servedBefore(dbPath string) (bool, error) {
	if err := storage.CheckPresent(dbPath); err != nil {
		return false, err
	}
	want, err := storage.RecordedIdentity(dbPath)
	return want != "", err
}

// recordServed records beside the database which one it is, for the next
// start's servedBefore. Best effort: on a full disk the bot still starts
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

// secrets are the platforms' credentials, read from the environment
// variables the configuration names.
type secrets struct {
	token  string            // Telegram's; "" serves no Telegram
	wecom  string            // the WeCom AI bot's
	robots map[string]string // group robot name → webhook key
}

// platformSecrets reads the credentials of every platform configured. A
// configuration without wecom: needs the Telegram token, as before; with
// wecom:, Telegram is served only if its token is set, and the AI bot's
// secret and every robot's key must be. What is missing is named, with
// the variable to set; false means run cannot start.
func platformSecrets(e *env, cfg *config.Config) (secrets, bool) {
	s := secrets{token: e.getenv(cfg.Bot.TokenEnv)}
	w := cfg.WeCom
	if w == nil {
		if s.token == "" {
			fmt.Fprintf(e.stderr, "planbot run: the bot token is not set: export %s=<token from @BotFather>\n"+
				"To try the bot without Telegram, run: planbot chat\n", cfg.Bot.TokenEnv)
			return s, false
		}
		return s, true
	}
	ok := true
	if s.wecom = e.getenv(w.SecretEnv); s.wecom == "" {
		fmt.Fprintf(e.stderr, "planbot run: the WeCom AI bot's secret is not set: export %s=<Secret of bot %s from the WeCom admin console>\n", w.SecretEnv, w.BotID)
		ok = false
	}
	for _, r := range w.Robots {
		key := e.getenv(r.KeyEnv)
		if key == "" {
			fmt.Fprintf(e.stderr, "planbot run: the key of group robot %s is not set: export %s=<the key= part of its webhook address>\n", r.Name, r.KeyEnv)
			ok = false
			continue
		}
		if s.robots == nil {
			s.robots = map[string]string{}
		}
		s.robots[r.Name] = key
	}
	if ok && s.token == "" {
		e.log.Info("Telegram is not served: its token is not set", "token_env", cfg.Bot.TokenEnv)
	}
	return s, ok
}
