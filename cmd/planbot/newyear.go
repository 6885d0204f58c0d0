package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"planbot/storage"
)

// newYearCommand starts the database of a new year's plan. Items are
// matched by code, so next year's "2.3" must not share this year's file
// (SyncPlan refuses it); the old file stays as the year's record. What
// the people did once and should not do again, binding their Telegram
// account with an invite code, is carried over.
func newYearCommand() command {
	return command{
		name:    "newyear",
		summary: "start the database of a new year's plan, carrying over last year's invite-code bindings",
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			path := configFlag(fs)
			fromFlag := fs.String("from", "", "last year's database `file`, e.g. planbot-2027.db (read, not changed)")
			return func(ctx context.Context, e *env) int {
				fail := func(code int, err any) int {
					fmt.Fprintln(e.stderr, "planbot newyear:", err)
					return code
				}
				if *fromFlag == "" {
					return fail(exitUsage, "which database holds last year? -from planbot-2027.db")
				}
				cfg := loadConfig(e, *path)
				if cfg == nil {
					return exitFail
				}
				oldAbs, _ := filepath.Abs(*fromFlag)
				newAbs, _ := filepath.Abs(cfg.Database)
				if oldAbs == newAbs {
					suggest := fmt.Sprintf("planbot-%d.db", cfg.Plan.Year)
					if filepath.Base(oldAbs) == suggest {
						suggest = fmt.Sprintf("planbot-%d.db", cfg.Plan.Year+1)
					}
					return fail(exitUsage, fmt.Sprintf("the config's database: is the file given to -from (%s): give the new year's plan (year:) its own file, e.g. database: %s", *fromFlag, suggest))
				}
				if _, err := os.Stat(cfg.Database); err == nil {
					return fail(exitFail, fmt.Sprintf("%s already exists: newyear makes a new database", cfg.Database))
				} else if !errors.Is(err, os.ErrNotExist) {
					return fail(exitFail, err)
				}
				if _, err := os.Stat(*fromFlag); err != nil {
					return fail(exitFail, fmt.Errorf("last year's database: %w", err))
				}
				old, err := storage.Open(ctx, *fromFlag, e.storageOptions()...)
				if err != nil {
					return fail(exitFail, err)
				}
				bindings, err := old.Bindings(ctx)
				old.Close()
				if err != nil {
					return fail(exitFail, err)
				}
				db := openCommandDB(ctx, e, "newyear", cfg, "")
				if db == nil {
					return exitFail
				}
				defer db.Close()
				made, err := db.CarryBindings(ctx, bindings)
				if err != nil {
					return fail(exitFail, err)
				}
				var names []string
				for _, b := range made {
					if p, ok := cfg.Plan.Person(b.PersonKey); ok {
						names = append(names, p.Name)
					}
				}
				p := cfg.Plan
				fmt.Fprintf(e.stdout, "已建立 %d 年的数据库 %s：%d 个事项、%d 项指标、%d 人。\n", p.Year, cfg.Database, len(p.Items), len(p.Indicators), len(p.People))
				fmt.Fprintf(e.stdout, "从 %s 带过来 %d 个邀请码绑定", *fromFlag, len(made))
				if len(names) > 0 {
					fmt.Fprintf(e.stdout, "（%s）", strings.Join(names, "、"))
				}
				if left := len(bindings) - len(made); left > 0 {
					fmt.Fprintf(e.stdout, "；另有 %d 个的人不在新计划中或已另行绑定，没有带", left)
				}
				fmt.Fprintf(e.stdout, "。\n%s 没有改动，留作上一年的档案。\n", *fromFlag)
				return exitOK
			}
		},
	}
}
