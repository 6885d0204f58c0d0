package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"planbot"
)

// A person with accounts on several platforms is reminded on the one
// they wrote from last (planbot.ReminderChat): the conversation notes
// each known account's messages (AccountSeen), the jobs read them all
// (AccountsSeen).

// AccountSeen notes that the account user wrote at at (zero: the
// session's time). Only the latest time is kept: an earlier one (an
// event handled late, after a restart) changes nothing, and writes
// nothing. It fails with ErrInvalid for a user that is no platform's
// account.
func (s *Session) AccountSeen(ctx context.Context, user planbot.UserID, at time.Time) error {
	if user.Platform() == "" || user.Local() == "" {
		return fmt.Errorf("note account seen: %w", errorf(ErrInvalid, "%q is not a platform's account", user))
	}
	if at.IsZero() {
		at = s.now
	}
	if _, err := s.tx.ExecContext(ctx, `
		INSERT INTO account_seen (user_id, seen_at) VALUES (?, ?)
		ON CONFLICT (user_id) DO UPDATE SET seen_at = excluded.seen_at
		WHERE excluded.seen_at > account_seen.seen_at`, user, unix(at)); err != nil {
		return fmt.Errorf("note account %q seen: %w", user, classify(err))
	}
	return nil
}

// AccountsSeen is DB.AccountsSeen inside the session (and, through it,
// in a ReadSession's snapshot).
func (s *Session) AccountsSeen(ctx context.Context) (map[planbot.UserID]time.Time, error) {
	return accountsSeen(ctx, s.tx)
}

// AccountsSeen maps every account noted by AccountSeen to the last time
// it wrote (to the second, UTC).
func (db *DB) AccountsSeen(ctx context.Context) (map[planbot.UserID]time.Time, error) {
	return accountsSeen(ctx, db.read)
}

func accountsSeen(ctx context.Context, q sqlx.QueryerContext) (map[planbot.UserID]time.Time, error) {
	var rows []struct {
		User   planbot.UserID `db:"user_id"`
		SeenAt int64          `db:"seen_at"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT user_id, seen_at FROM account_seen`); err != nil {
		return nil, fmt.Errorf("read when accounts were seen: %w", classify(err))
	}
	out := make(map[planbot.UserID]time.Time, len(rows))
	for _, r := range rows {
		out[r.User] = fromUnix(r.SeenAt)
	}
	return out, nil
}
