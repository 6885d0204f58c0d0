package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"planbot"
	"planbot/bot"
	"planbot/config"
	"planbot/scheduler"
)

func chatCommand() command {
	return command{
		name:    "chat",
		summary: "talk to the bot in this terminal, as a person of the plan (no Telegram needed)",
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			path := configFlag(fs)
			as := fs.String("as", "", "person `key` to act as (default: the first admin)")
			dbFlag := dbPathFlag(fs)
			return func(ctx context.Context, e *env) int {
				cfg := loadConfig(e, *path)
				if cfg == nil {
					return exitFail
				}
				person, ok := chooseSpeaker(cfg.Plan, *as)
				if !ok {
					var keys []string
					for _, p := range cfg.Plan.People {
						keys = append(keys, p.Key)
					}
					fmt.Fprintf(e.stderr, "planbot chat: no person %q in the config; choose one of: %s\n", *as, strings.Join(keys, ", "))
					return exitUsage
				}
				db := openCommandDB(ctx, e, "chat", cfg, *dbFlag)
				if db == nil {
					return exitFail
				}
				defer db.Close()
				e.warnIfNoRenderer(e.log)
				b := bot.New(botConfig(e, cfg, *path))
				// Files go beside the database: the terminal cannot show them.
				con := &bot.Console{Bot: b, Sessions: db, Person: person.Key, UserID: consoleUser(person), Now: e.now,
					SaveDir: filepath.Dir(db.Path())}
				stdin := e.stdin
				if stdin == nil {
					stdin = os.Stdin
				}
				if err := con.Run(ctx, stdin, e.stdout); err != nil {
					fmt.Fprintln(e.stderr, "planbot chat:", err)
					return exitFail
				}
				return exitOK
			}
		},
	}
}

// chooseSpeaker picks the console's person: the one asked for, else the
// first admin (who may report for anyone), else the first person.
func chooseSpeaker(plan *planbot.Plan, key string) (planbot.Person, bool) {
	if key != "" {
		return plan.Person(key)
	}
	if i := slices.IndexFunc(plan.People, func(p planbot.Person) bool { return p.Has(planbot.RoleAdmin) }); i >= 0 {
		return plan.People[i], true
	}
	if len(plan.People) > 0 {
		return plan.People[0], true
	}
	return planbot.Person{}, false
}

// botConfig is the conversation's settings; /reload re-reads path (or
// the built-in example when path is "").
func botConfig(e *env, cfg *config.Config, path string) bot.Config {
	return bot.Config{
		Plan:       cfg.Plan,
		Now:        e.now,
		UndoWindow: cfg.Bot.UndoWindow,
		JumpShare:  cfg.Bot.JumpShare,
		AdminChat:  cfg.Bot.AdminChat,
		Digest:     digestIn(e),
		Export:     exportIn(e),
		Log:        e.log,
		LoadPlan: func(context.Context) (*planbot.Plan, error) {
			var next *config.Config
			var err error
			if path == "" {
				next, err = config.Parse(planbot.ExampleConfigName, planbot.ExampleConfig)
			} else {
				next, err = config.Load(path)
			}
			if err != nil {
				return nil, err
			}
			return next.Plan, nil
		},
	}
}

// digestIn is /digest: the scheduler's digest, read in the chat command's
// own transaction (the storage session the bot hands its handlers), with
// the picture the weekly job sends ahead of it.
func digestIn(e *env) func(ctx context.Context, s bot.Store, plan *planbot.Plan, at time.Time) (string, []byte, error) {
	return func(ctx context.Context, s bot.Store, plan *planbot.Plan, at time.Time) (string, []byte, error) {
		text, ov, err := scheduler.DigestIn(ctx, s, plan, at)
		if err != nil {
			return "", nil, err
		}
		picture, err := e.digestChart(ctx, ov, plan, e.log)
		if err != nil {
			e.log.Error("digest chart not drawn; /digest goes as text", "err", err)
			return text, nil, nil
		}
		return text, picture, nil
	}
}

// consoleUser is who the console speaks as: the person's first account,
// so that questions and records look as theirs do from their phone, or a
// console account when the YAML gives none.
func consoleUser(p planbot.Person) planbot.UserID {
	if len(p.Accounts) > 0 {
		return p.Accounts[0]
	}
	return planbot.NewUserID("console", p.Key)
}
