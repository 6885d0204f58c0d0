package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// servedKey is the bot_state row naming the chat platforms the serving
// process reaches: another process (planbot fire) queues reminders only
// to those, not to an account on a platform nobody sends to.
const servedKey = "served_platforms"

// RecordServed records the platforms `run` serves, at its start.
func (db *DB) RecordServed(ctx context.Context, platforms []string, now time.Time) error {
	return db.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO bot_state (name, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			servedKey, strings.Join(platforms, " "), unix(now)); err != nil {
			return fmt.Errorf("record the platforms served: %w", err)
		}
		return nil
	})
}

// Served returns the platforms the last `run` served; false when no run
// recorded them (a database never served).
func (db *DB) Served(ctx context.Context) ([]string, bool, error) {
	var v string
	err := db.read.GetContext(ctx, &v, `SELECT value FROM bot_state WHERE name = ?`, servedKey)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("read the platforms served: %w", classify(err))
	}
	return strings.Fields(v), true, nil
}
