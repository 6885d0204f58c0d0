package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"planbot"
)

// savePending stores p (see Session.SavePending); now stamps a zero
// CreatedAt.
func savePending(ctx context.Context, tx *txn, p planbot.Pending, now time.Time) (int64, error) {
	switch {
	case p.Kind == "":
		return 0, errorf(ErrInvalid, "pending question has no kind")
	case p.Payload != "" && !json.Valid([]byte(p.Payload)):
		return 0, errorf(ErrInvalid, "payload of pending question is not JSON")
	}
	created := p.CreatedAt
	if created.IsZero() {
		created = now
	}
	if p.ID == 0 {
		var id int64
		err := tx.GetContext(ctx, &id, `
			INSERT INTO pending_questions (chat_id, user_id, kind, payload, created_at)
			VALUES (?, ?, ?, ?, ?)
			RETURNING id`, p.ChatID, p.UserID, p.Kind, p.Payload, unix(created))
		return id, err
	}
	res, err := tx.ExecContext(ctx, `
		UPDATE pending_questions SET chat_id = ?, user_id = ?, kind = ?, payload = ?, created_at = ?
		WHERE id = ?`, p.ChatID, p.UserID, p.Kind, p.Payload, unix(created), p.ID)
	if err != nil {
		return 0, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = errorf(ErrNotFound, "pending question %d not found", p.ID)
		}
		return 0, err
	}
	return p.ID, nil
}

// LoadPending returns a pending question by ID; ok is false if it was
// deleted (answered) or purged.
func (db *DB) LoadPending(ctx context.Context, id int64) (planbot.Pending, bool, error) {
	return loadPending(ctx, db.read, id)
}

func loadPending(ctx context.Context, q sqlx.QueryerContext, id int64) (planbot.Pending, bool, error) {
	var row struct {
		ID        int64          `db:"id"`
		ChatID    planbot.ChatID `db:"chat_id"`
		UserID    planbot.UserID `db:"user_id"`
		Kind      string         `db:"kind"`
		Payload   string         `db:"payload"`
		CreatedAt int64          `db:"created_at"`
	}
	err := sqlx.GetContext(ctx, q, &row, `
		SELECT id, chat_id, user_id, kind, payload, created_at FROM pending_questions WHERE id = ?`, id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return planbot.Pending{}, false, nil
	case err != nil:
		return planbot.Pending{}, false, fmt.Errorf("load pending question %d: %w", id, classify(err))
	}
	return planbot.Pending{ID: row.ID, ChatID: row.ChatID, UserID: row.UserID, Kind: row.Kind,
		Payload: row.Payload, CreatedAt: fromUnix(row.CreatedAt)}, true, nil
}

// PendingFor returns the newest pending question to user in chat; ok is
// false if there is none.
func (db *DB) PendingFor(ctx context.Context, chat planbot.ChatID, user planbot.UserID) (planbot.Pending, bool, error) {
	return pendingFor(ctx, db.read, chat, user)
}

// pendingFor seeks pending_questions_user (chat_id, user_id, id) from its
// end: SEARCH pending_questions USING INDEX pending_questions_user
// (chat_id=? AND user_id=?).
func pendingFor(ctx context.Context, q sqlx.QueryerContext, chat planbot.ChatID, user planbot.UserID) (planbot.Pending, bool, error) {
	var id int64
	err := sqlx.GetContext(ctx, q, &id, `
		SELECT id FROM pending_questions WHERE chat_id = ? AND user_id = ?
		ORDER BY id DESC LIMIT 1`, chat, user)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return planbot.Pending{}, false, nil
	case err != nil:
		return planbot.Pending{}, false, fmt.Errorf("pending question to %q in chat %q: %w", user, chat, classify(err))
	}
	return loadPending(ctx, q, id)
}

func deletePending(ctx context.Context, tx *txn, id int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM pending_questions WHERE id = ?`, id)
	return err
}

// PurgePending deletes pending questions created before olderThan (nobody
// will answer them any more) and returns how many. A button of a purged
// question finds nothing: LoadPending says ok=false. The scheduler's daily
// housekeeping runs it.
func (db *DB) PurgePending(ctx context.Context, olderThan time.Time) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM pending_questions WHERE created_at < ?`, ceilUnix(olderThan))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge pending questions: %w", err)
	}
	return int(n), nil
}
