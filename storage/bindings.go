package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"planbot"
)

// anonymousAdmin is the account Telegram shows for a group admin writing
// anonymously (GroupAnonymousBot): it is never a person, so no invite may
// bind it, whatever the caller thought.
const anonymousAdmin planbot.UserID = "telegram:1087968824"

// Binding returns the key of the person the account bound himself to with
// an invite code (Bind). ok is false when there is no binding or it is
// void (see liveBinding). Accounts written in the plan itself are not
// bindings: the caller looks those up in the plan.
func (db *DB) Binding(ctx context.Context, user planbot.UserID) (string, bool, error) {
	return accountBinding(ctx, db.read, user)
}

// liveBinding is the SQL condition (on account_bindings b joined with
// people p) of a binding that still authorises: not voided by a change of
// the person's identity in the YAML (plan sync voids it), and the person
// still in the plan.
const liveBinding = `b.void_at IS NULL AND p.archived_at IS NULL`

func accountBinding(ctx context.Context, q sqlx.QueryerContext, user planbot.UserID) (string, bool, error) {
	var key string
	err := sqlx.GetContext(ctx, q, &key, `
		SELECT p.person_key FROM account_bindings b JOIN people p ON p.id = b.person_id
		WHERE b.user_id = ? AND `+liveBinding, user)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("binding of account %q: %w", user, classify(err))
	}
	return key, true, nil
}

// ChatBindings maps the key of every person still in the plan who bound
// himself with an invite code (Bind) to his private chat with the bot,
// which has his account's address. Bindings of people removed from the
// plan are left out. Accounts written in the plan itself are not
// bindings: the caller merges those in (Bind refuses a binding that
// contradicts the plan at the time it is made, but the plan may change
// later: let the plan win).
func (db *DB) ChatBindings(ctx context.Context) (map[string]planbot.ChatID, error) {
	return chatBindings(ctx, db.read)
}

func chatBindings(ctx context.Context, q sqlx.QueryerContext) (map[string]planbot.ChatID, error) {
	var rows []struct {
		Person string         `db:"person_key"`
		User   planbot.UserID `db:"user_id"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT p.person_key, b.user_id FROM account_bindings b JOIN people p ON p.id = b.person_id
		WHERE `+liveBinding); err != nil {
		return nil, fmt.Errorf("list account bindings: %w", classify(err))
	}
	out := make(map[string]planbot.ChatID, len(rows))
	for _, r := range rows {
		out[r.Person] = r.User.Chat()
	}
	return out, nil
}

// checkAccount refuses what is not one person's account: no address, an
// address without a platform or an id, or the anonymous group admin.
func checkAccount(user planbot.UserID) error {
	switch {
	case user.Platform() == "" || user.Local() == "":
		return errorf(ErrInvalid, "%q is not an account", user)
	case user == anonymousAdmin:
		return errorf(ErrInvalid, "%q is an anonymous group admin, not a person", user)
	}
	return nil
}

// bindAccount spends invite and binds user to person (see Session.Bind).
// Either all of it is written or nothing.
func bindAccount(ctx context.Context, tx *txn, person string, user planbot.UserID, invite string, now time.Time) error {
	switch {
	case person == "":
		return errorf(ErrInvalid, "no person")
	case strings.TrimSpace(invite) == "":
		return errorf(ErrInvalid, "no invite code")
	}
	if err := checkAccount(user); err != nil {
		return err
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
	if err := checkBindable(ctx, tx, p.ID, user, invite); err != nil {
		return err
	}
	return savepoint(ctx, tx, func() error {
		// The person's old binding, or the account's binding to a person
		// removed from the plan, gives way.
		if _, err := tx.ExecContext(ctx, `DELETE FROM account_bindings WHERE user_id = ? OR person_id = ?`,
			user, p.ID); err != nil {
			return fmt.Errorf("replace old binding: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO account_bindings (user_id, person_id, invite, bound_at) VALUES (?, ?, ?, ?)`,
			user, p.ID, invite, unix(now)); err != nil {
			return fmt.Errorf("bind: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO spent_invites (invite, person_id, user_id, spent_at) VALUES (?, ?, ?, ?)`,
			invite, p.ID, user, unix(now)); err != nil {
			return fmt.Errorf("spend invite: %w", err)
		}
		return nil
	})
}

// checkBindable fails with ErrConflict when invite was spent, or user
// belongs to another person than personID: by a live binding, or in the
// plan.
func checkBindable(ctx context.Context, tx *txn, personID int64, user planbot.UserID, invite string) error {
	// The invite itself is never put in a message: it is a secret.
	var spent int
	if err := tx.GetContext(ctx, &spent, `SELECT COUNT(*) FROM spent_invites WHERE invite = ?`, invite); err != nil {
		return fmt.Errorf("look up invite: %w", err)
	}
	if spent > 0 {
		return errorf(ErrConflict, "the invite code was already used")
	}
	var other string
	err := tx.GetContext(ctx, &other, `
		SELECT p.person_key FROM account_bindings b JOIN people p ON p.id = b.person_id
		WHERE b.user_id = ? AND b.person_id <> ? AND `+liveBinding, user, personID)
	switch {
	case err == nil:
		return errorf(ErrConflict, "account %q is already bound to person %s", user, other)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("look up binding of account %q: %w", user, err)
	}
	err = tx.GetContext(ctx, &other, `
		SELECT p.person_key FROM person_accounts a JOIN people p ON p.id = a.person_id
		WHERE a.user_id = ? AND p.id <> ? AND p.archived_at IS NULL
		LIMIT 1`, user, personID)
	switch {
	case err == nil:
		return errorf(ErrConflict, "account %q belongs to person %s in the plan", user, other)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("look up account %q in the plan: %w", user, err)
	}
	return nil
}

// Binding is an account bound to a person with an invite code.
type Binding struct {
	PersonKey string         `db:"person_key"`
	User      planbot.UserID `db:"user_id"`
	Invite    string         `db:"invite"`
	BoundAt   time.Time      `db:"-"`
}

// Bindings lists every invite-code binding that still authorises (not void,
// the person still in the plan), by person key.
func (db *DB) Bindings(ctx context.Context) ([]Binding, error) {
	var rows []struct {
		Binding
		BoundAt int64 `db:"bound_at"`
	}
	if err := sqlx.SelectContext(ctx, db.read, &rows, `
		SELECT p.person_key, b.user_id, b.invite, b.bound_at
		FROM account_bindings b JOIN people p ON p.id = b.person_id
		WHERE `+liveBinding+` ORDER BY p.person_key`); err != nil {
		return nil, fmt.Errorf("list account bindings: %w", classify(err))
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
	err := db.inTx(ctx, func(tx *txn) error {
		for _, b := range from {
			var personID int64
			err := tx.GetContext(ctx, &personID, `
				SELECT p.id FROM people p WHERE p.person_key = ? AND p.archived_at IS NULL
				AND NOT EXISTS (SELECT 1 FROM account_bindings b WHERE b.person_id = p.id OR b.user_id = ?)`, b.PersonKey, b.User)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			} else if err != nil {
				return err
			}
			if err := bindAccount(ctx, tx, b.PersonKey, b.User, b.Invite, b.BoundAt); errors.Is(err, ErrConflict) {
				continue // the new plan gives that account to someone, or the invite was spent here
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

// Why a binding became void (account_bindings.void_reason).
const (
	VoidAccount = "account" // the YAML now names an account of the person's it did not
	VoidInvite  = "invite"  // the person's invite code was changed or cleared, or an account taken out
	VoidRemoved = "removed" // the person was removed from the plan
)

// voidBindings voids the live binding of person id (plan sync: the person's
// identity in the YAML changed).
func voidBindings(ctx context.Context, tx *txn, personID int64, reason string, now int64) error {
	return voidWhere(ctx, tx, reason, now, `person_id = ?`, personID)
}

// voidWhere voids the live bindings that match cond (with args), in the
// binding and, for good, in its spent invite's row. cond is our constant
// SQL, never user input.
func voidWhere(ctx context.Context, tx *txn, reason string, now int64, cond string, args ...any) error {
	if _, err := tx.ExecContext(ctx, `
		UPDATE spent_invites SET void_at = ?, void_reason = ?
		WHERE invite IN (SELECT invite FROM account_bindings WHERE void_at IS NULL AND `+cond+`)`,
		append([]any{now, reason}, args...)...); err != nil {
		return fmt.Errorf("void spent invites (%s): %w", reason, err)
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE account_bindings SET void_at = ?, void_reason = ? WHERE void_at IS NULL AND `+cond,
		append([]any{now, reason}, args...)...); err != nil {
		return fmt.Errorf("void bindings (%s): %w", reason, err)
	}
	return nil
}

// voidRemoved voids the bindings of people removed from the plan: coming
// back later does not bring back whoever had used their code.
func voidRemoved(ctx context.Context, tx *txn, now int64) error {
	return voidWhere(ctx, tx, VoidRemoved, now, `person_id IN (SELECT id FROM people WHERE archived_at IS NOT NULL)`)
}

// SpendExposedInvite spends person's invite because it was posted in a
// group (by the account user, "" if not a person): nobody can bind with it
// any more. It reports whether it was unspent until now.
func (s *Session) SpendExposedInvite(ctx context.Context, person string, user planbot.UserID, invite string, now time.Time) (bool, error) {
	if strings.TrimSpace(invite) == "" {
		return false, fmt.Errorf("spend exposed invite of %s: %w", person, errorf(ErrInvalid, "no invite code"))
	}
	res, err := s.tx.ExecContext(ctx, `
		INSERT INTO spent_invites (invite, person_id, user_id, spent_at, how)
		SELECT ?, id, ?, ?, 'exposed' FROM people WHERE person_key = ?
		ON CONFLICT (invite) DO NOTHING`, invite, user, unix(now), person)
	if err != nil {
		return false, fmt.Errorf("spend exposed invite of %s: %w", person, classify(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("spend exposed invite of %s: %w", person, classify(err))
	}
	return n > 0, nil
}

// AuditCount counts the audit rows of action by user at or after since
// (how many wrong invite codes a user sent in the last hour).
func (s *Session) AuditCount(ctx context.Context, user planbot.UserID, action string, since time.Time) (int, error) {
	var n int
	if err := s.tx.GetContext(ctx, &n, `
		SELECT COUNT(*) FROM audit_log WHERE user_id = ? AND action = ? AND at >= ?`,
		user, action, unix(since)); err != nil {
		return 0, fmt.Errorf("count audit %q of account %q: %w", action, user, classify(err))
	}
	return n, nil
}

// ClaimNotice reports whether a notice under scope may go out now: none
// went out within every before now. When it may, now is recorded as its
// time, so one caller in the window gets true.
func (s *Session) ClaimNotice(ctx context.Context, scope string, now time.Time, every time.Duration) (bool, error) {
	res, err := s.tx.ExecContext(ctx, `
		INSERT INTO refusal_notices (scope, sent_at) VALUES (?, ?)
		ON CONFLICT (scope) DO UPDATE SET sent_at = excluded.sent_at
		WHERE refusal_notices.sent_at <= ?`, scope, unix(now), unix(now.Add(-every)))
	if err != nil {
		return false, fmt.Errorf("claim notice %s: %w", scope, classify(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim notice %s: %w", scope, classify(err))
	}
	return n > 0, nil
}

// BoundAccount is one use of an invite code, live or not: who used whose
// code, when, and whether the binding still authorises.
type BoundAccount struct {
	PersonKey string
	User      planbot.UserID // "" when exposed by an anonymous admin
	SpentAt   time.Time
	// Exposed: the code was posted in a group and spent without binding.
	Exposed bool
	// Live: the binding still lets User act as the person.
	Live bool
	// Void says why a binding no longer authorises: VoidAccount,
	// VoidInvite, VoidRemoved, or "replaced" (the person or the account
	// bound again since); "" when Live or Exposed.
	Void   string
	VoidAt time.Time // zero when unknown (replaced) or live
}

// BoundAccounts lists every invite code ever spent, oldest first, with
// what became of the binding it made: the office sees every account that
// ever acted as a person, an impostor's too.
func (db *DB) BoundAccounts(ctx context.Context) ([]BoundAccount, error) {
	var rows []struct {
		Person   string         `db:"person_key"`
		User     planbot.UserID `db:"user_id"`
		SpentAt  int64          `db:"spent_at"`
		How      string         `db:"how"`
		Bound    sql.NullString `db:"bound"`
		VoidAt   sql.NullInt64  `db:"void_at"`
		Reason   string         `db:"void_reason"`
		Archived sql.NullInt64  `db:"archived_at"`
	}
	if err := sqlx.SelectContext(ctx, db.read, &rows, `
		SELECT p.person_key, s.user_id, s.spent_at, s.how,
			b.user_id AS bound, s.void_at, s.void_reason, p.archived_at
		FROM spent_invites s JOIN people p ON p.id = s.person_id
		LEFT JOIN account_bindings b ON b.invite = s.invite AND b.user_id = s.user_id AND b.person_id = s.person_id
		ORDER BY s.spent_at, s.rowid`); err != nil {
		return nil, fmt.Errorf("list bound accounts: %w", classify(err))
	}
	out := make([]BoundAccount, len(rows))
	for i, r := range rows {
		a := BoundAccount{PersonKey: r.Person, User: r.User, SpentAt: fromUnix(r.SpentAt), Exposed: r.How == "exposed"}
		switch {
		case a.Exposed:
		case r.VoidAt.Valid:
			a.Void, a.VoidAt = r.Reason, fromUnix(r.VoidAt.Int64)
		case !r.Bound.Valid:
			a.Void = "replaced"
		case r.Archived.Valid:
			a.Void = VoidRemoved
		default:
			a.Live = true
		}
		out[i] = a
	}
	return out, nil
}
