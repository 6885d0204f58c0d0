package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// anonymousAdminID is the user id Telegram shows for a group admin writing
// anonymously (GroupAnonymousBot): it is never a person.
const anonymousAdminID = 1087968824

// TelegramBinding returns the key of the person the Telegram user bound
// himself to with an invite code (BindTelegram). ok is false when there is
// no binding or the person was removed from the plan. Telegram ids written
// in the plan itself are not bindings: the caller looks those up in the
// plan.
func (db *DB) TelegramBinding(ctx context.Context, telegramID int64) (string, bool, error) {
	return telegramBinding(ctx, db.read, telegramID)
}

func telegramBinding(ctx context.Context, q sqlx.QueryerContext, telegramID int64) (string, bool, error) {
	var key string
	err := sqlx.GetContext(ctx, q, &key, `
		SELECT p.person_key FROM telegram_bindings b JOIN people p ON p.id = b.person_id
		WHERE b.telegram_id = ? AND p.archived_at IS NULL`, telegramID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("telegram binding of user %d: %w", telegramID, classify(err))
	}
	return key, true, nil
}

// ChatBindings maps the key of every person still in the plan who bound
// himself with an invite code (BindTelegram) to his Telegram user id, which
// is also the id of his private chat with the bot. Bindings of people
// removed from the plan are left out. Telegram ids written in the plan
// itself are not bindings: the caller merges those in (BindTelegram refuses
// a binding that contradicts the plan at the time it is made, but the plan
// may change later: let the plan win).
func (db *DB) ChatBindings(ctx context.Context) (map[string]int64, error) {
	return chatBindings(ctx, db.read)
}

func chatBindings(ctx context.Context, q sqlx.QueryerContext) (map[string]int64, error) {
	var rows []struct {
		Person     string `db:"person_key"`
		TelegramID int64  `db:"telegram_id"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT p.person_key, b.telegram_id FROM telegram_bindings b JOIN people p ON p.id = b.person_id
		WHERE p.archived_at IS NULL`); err != nil {
		return nil, fmt.Errorf("list telegram bindings: %w", classify(err))
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Person] = r.TelegramID
	}
	return out, nil
}

// bindTelegram spends invite and binds telegramID to person (see
// Session.BindTelegram). Either all of it is written or nothing.
func bindTelegram(ctx context.Context, tx *sqlx.Tx, person string, telegramID int64, invite string, now time.Time) error {
	switch {
	case person == "":
		return errorf(ErrInvalid, "no person")
	case telegramID <= 0 || telegramID == anonymousAdminID:
		return errorf(ErrInvalid, "telegram id %d is not a user", telegramID)
	case strings.TrimSpace(invite) == "":
		return errorf(ErrInvalid, "no invite code")
	}
	var p struct {
		ID       int64         `db:"id"`
		Archived sql.NullInt64 `db:"archived_at"`
	}
	err := tx.GetContext(ctx, &p, `SELECT id, archived_at FROM people WHERE person_key = ?`, person)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return errorf(ErrNotFound, "person %s not found", person)
	case err != nil:
		return fmt.Errorf("look up person %s: %w", person, err)
	case p.Archived.Valid:
		return errorf(ErrArchived, "person %s was removed from the plan", person)
	}
	// The invite itself is never put in a message: it is a secret.
	var spent int
	if err := tx.GetContext(ctx, &spent, `SELECT COUNT(*) FROM spent_invites WHERE invite = ?`, invite); err != nil {
		return fmt.Errorf("look up invite: %w", err)
	}
	if spent > 0 {
		return errorf(ErrConflict, "the invite code was already used")
	}
	var other string
	err = tx.GetContext(ctx, &other, `
		SELECT p.person_key FROM telegram_bindings b JOIN people p ON p.id = b.person_id
		WHERE b.telegram_id = ? AND b.person_id <> ? AND p.archived_at IS NULL`, telegramID, p.ID)
	switch {
	case err == nil:
		return errorf(ErrConflict, "telegram user %d is already bound to person %s", telegramID, other)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("look up binding of telegram user %d: %w", telegramID, err)
	}
	err = tx.GetContext(ctx, &other, `
		SELECT person_key FROM people
		WHERE telegram_id = ? AND id <> ? AND archived_at IS NULL
		LIMIT 1`, telegramID, p.ID)
	switch {
	case err == nil:
		return errorf(ErrConflict, "telegram user %d belongs to person %s in the plan", telegramID, other)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("look up telegram user %d in the plan: %w", telegramID, err)
	}
	return savepoint(ctx, tx, func() error {
		// The person's old binding, or the user's binding to a person
		// removed from the plan, gives way.
		if _, err := tx.ExecContext(ctx, `DELETE FROM telegram_bindings WHERE telegram_id = ? OR person_id = ?`,
			telegramID, p.ID); err != nil {
			return fmt.Errorf("replace old binding: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO telegram_bindings (telegram_id, person_id, invite, bound_at) VALUES (?, ?, ?, ?)`,
			telegramID, p.ID, invite, unix(now)); err != nil {
			return fmt.Errorf("bind: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO spent_invites (invite, person_id, telegram_id, spent_at) VALUES (?, ?, ?, ?)`,
			invite, p.ID, telegramID, unix(now)); err != nil {
			return fmt.Errorf("spend invite: %w", err)
		}
		return nil
	})
}

// Binding is a Telegram user bound to a person with an invite code.
type Binding struct {
	PersonKey  string    `db:"person_key"`
	TelegramID int64     `db:"telegram_id"`
	Invite     string    `db:"invite"`
	BoundAt    time.Time `db:"-"`
}

// Bindings lists every invite-code binding of a person still in the plan,
// by person key.
func (db *DB) Bindings(ctx context.Context) ([]Binding, error) {
	var rows []struct {
		Binding
		BoundAt int64 `db:"bound_at"`
	}
	if err := sqlx.SelectContext(ctx, db.read, &rows, `
		SELECT p.person_key, b.telegram_id, b.invite, b.bound_at
		FROM telegram_bindings b JOIN people p ON p.id = b.person_id
		WHERE p.archived_at IS NULL ORDER BY p.person_key`); err != nil {
		return nil, fmt.Errorf("list telegram bindings: %w", classify(err))
	}
	out := make([]Binding, len(rows))
	for i, r := range rows {
		out[i] = r.Binding
		out[i].BoundAt = fromUnix(r.BoundAt)
	}
	return out, nil
}

// CarryBindings makes, in one transaction, the bindings of another
// database (last year's) here, for the people of this plan who are not
// bound yet, keeping each invite spent and its time. It returns the
// bindings it made; the others' people are not in this plan, or bound.
func (db *DB) CarryBindings(ctx context.Context, from []Binding) ([]Binding, error) {
	var made []Binding
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, b := range from {
			var personID int64
			err := tx.GetContext(ctx, &personID, `
				SELECT p.id FROM people p WHERE p.person_key = ? AND p.archived_at IS NULL
				AND NOT EXISTS (SELECT 1 FROM telegram_bindings b WHERE b.person_id = p.id OR b.telegram_id = ?)`, b.PersonKey, b.TelegramID)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			} else if err != nil {
				return err
			}
			if err := bindTelegram(ctx, tx, b.PersonKey, b.TelegramID, b.Invite, b.BoundAt); errors.Is(err, ErrConflict) {
				continue // the new plan gives that Telegram id to someone, or the invite was spent here
			} else if err != nil {
				return fmt.Errorf("bind %s: %w", b.PersonKey, err)
			}
			made = append(made, b)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("carry bindings into %s: %w", db.path, err)
	}
	return made, nil
}
