package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"planbot/storage"
)

func backupCommand() command {
	return command{
		name:    "backup",
		summary: "copy the database to a new file while the bot runs, and check the copy",
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			path := configFlag(fs)
			dbFlag := fs.String("db", "", "SQLite database `path` (default: database: in the config)")
			outFlag := fs.String("o", "", "the backup `file` to create, e.g. backup/planbot-2027-06-15.db (never overwritten)")
			return func(ctx context.Context, e *env) int {
				fail := func(code int, err any) int {
					fmt.Fprintln(e.stderr, "planbot backup:", err)
					return code
				}
				if *outFlag == "" {
					return fail(exitUsage, "which file? -o backup/planbot-2027-06-15.db")
				}
				dbPath := *dbFlag
				if dbPath == "" {
					cfg := loadConfig(e, *path)
					if cfg == nil {
						return exitFail
					}
					dbPath = cfg.Database
				}
				if _, err := os.Stat(dbPath); err != nil {
					return fail(exitFail, fmt.Errorf("no database to back up: %w", err))
				}
				db, err := storage.Open(ctx, dbPath, e.storageOptions()...)
				if err != nil {
					return fail(exitFail, err)
				}
				defer db.Close()
				if err := db.Backup(ctx, *outFlag); err != nil {
					return fail(exitFail, err)
				}
				// A backup is only as good as the check that it opens.
				copyDB, err := storage.Open(ctx, *outFlag, e.storageOptions()...)
				if err != nil {
					return fail(exitFail, fmt.Errorf("the backup %s does not open: %w", *outFlag, err))
				}
				defer copyDB.Close()
				if err := copyDB.IntegrityCheck(ctx); err != nil {
					return fail(exitFail, err)
				}
				info, err := os.Stat(*outFlag)
				if err != nil {
					return fail(exitFail, err)
				}
				fmt.Fprintf(e.stdout, "备份完成：%s（%.1f MB），完整性检查通过。\n", *outFlag, float64(info.Size())/(1<<20))
				return exitOK
			}
		},
	}
}
