package main

import (
	"context"
	"flag"
	"fmt"

	"planbot/config"
	"planbot/storage"
)

// dbPathFlag is the -db of the commands that open the database.
func dbPathFlag(fs *flag.FlagSet) *string {
	return fs.String("db", "", "SQLite database `path` (default: database: in the config)")
}

// dbPathOf is the database a command opens: -db if given, else database:
// in the config.
func dbPathOf(cfg *config.Config, override string) string {
	if override != "" {
		return override
	}
	return cfg.Database
}

// openCommandDB opens a command's database synced with the plan; on a
// failure it says why on stderr as "planbot <name>: …" and returns nil.
// The caller closes it.
func openCommandDB(ctx context.Context, e *env, name string, cfg *config.Config, override string) *storage.DB {
	db, err := openSynced(ctx, e, cfg, override)
	if err != nil {
		fmt.Fprintf(e.stderr, "planbot %s: %v\n", name, err)
		return nil
	}
	return db
}

// openSynced opens the database and loads the plan into it, so what is
// shown is what the bot would see.
func openSynced(ctx context.Context, e *env, cfg *config.Config, override string) (*storage.DB, error) {
	path := dbPathOf(cfg, override)
	db, err := storage.Open(ctx, path, e.storageOptions()...)
	if err != nil {
		return nil, err
	}
	if err := syncPlan(ctx, e, cfg, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// syncPlan puts cfg's plan in force in db, logging what it changed.
func syncPlan(ctx context.Context, e *env, cfg *config.Config, db *storage.DB) error {
	rep, err := db.SyncPlan(ctx, cfg.Plan, e.now())
	if err != nil {
		return err
	}
	if rep.Changed() {
		e.log.Info("plan loaded into database", "db", db.Path(),
			"added", len(rep.Added), "updated", len(rep.Updated), "archived", len(rep.Archived), "restored", len(rep.Restored))
	}
	return nil
}
