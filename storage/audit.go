package storage

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"planbot"
)

// maxAuditDetail caps what one audit entry keeps of an unknown user's
// message, so that nobody can fill the disk through the audit log.
const maxAuditDetail = 1024

func audit(ctx context.Context, tx *txn, e planbot.AuditEntry, now time.Time) error {
	if e.Action == "" {
		return errorf(ErrInvalid, "audit entry has no action")
	}
	at := e.At
	if at.IsZero() {
		at = now
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO audit_log (at, user_id, chat_id, action, detail) VALUES (?, ?, ?, ?, ?)`,
		unix(at), e.UserID, e.ChatID, e.Action, truncate(e.Detail, maxAuditDetail))
	return err
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut
// with "…".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// AuditEntries returns the newest limit entries of the audit log, newest
// first.
func (db *DB) AuditEntries(ctx context.Context, limit int) ([]planbot.AuditEntry, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("audit entries: %w", errorf(ErrInvalid, "limit %d is not positive", limit))
	}
	var rows []struct {
		At     int64          `db:"at"`
		UserID planbot.UserID `db:"user_id"`
		ChatID planbot.ChatID `db:"chat_id"`
		Action string         `db:"action"`
		Detail string         `db:"detail"`
	}
	if err := db.read.SelectContext(ctx, &rows, `
		SELECT at, user_id, chat_id, action, detail FROM audit_log
		ORDER BY id DESC LIMIT ?`, limit); err != nil {
		return nil, fmt.Errorf("audit entries: %w", classify(err))
	}
	out := make([]planbot.AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = planbot.AuditEntry{At: fromUnix(r.At), UserID: r.UserID, ChatID: r.ChatID,
			Action: r.Action, Detail: r.Detail}
	}
	return out, nil
}
