package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"planbot"
)

// AddLeave records a leave said in chat (planbot.LeaveFromChat); it
// returns its id.
func (s *Session) AddLeave(ctx context.Context, l planbot.Leave) (int64, error) {
	if l.Person == "" || l.From.IsZero() || l.To.IsZero() || l.To.Before(l.From) {
		return 0, errorf(ErrInvalid, "leave of %q from %v to %v is not a span", l.Person, l.From, l.To)
	}
	at := l.At
	if at.IsZero() {
		at = s.now
	}
	var id int64
	err := s.tx.GetContext(ctx, &id, `
		INSERT INTO leaves (person_key, from_day, to_day, note, created_at) VALUES (?, ?, ?, ?, ?)
		RETURNING id`, l.Person, l.From.String(), l.To.String(), l.Note, unix(at))
	if err != nil {
		return 0, fmt.Errorf("record leave of %s: %w", l.Person, classify(err))
	}
	return id, nil
}

// EndLeave ends person's chat leaves as of day (销假): one under way ends
// the day before, one not yet begun is cancelled. It returns how many it
// changed.
func (s *Session) EndLeave(ctx context.Context, person string, day planbot.Date) (int, error) {
	under, err := s.tx.ExecContext(ctx, `
		UPDATE leaves SET to_day = ?
		WHERE person_key = ? AND cancelled = 0 AND from_day < ? AND to_day >= ?`,
		day.AddDays(-1).String(), person, day.String(), day.String())
	if err != nil {
		return 0, fmt.Errorf("end leave of %s: %w", person, classify(err))
	}
	ahead, err := s.tx.ExecContext(ctx, `
		UPDATE leaves SET cancelled = 1 WHERE person_key = ? AND cancelled = 0 AND from_day >= ?`,
		person, day.String())
	if err != nil {
		return 0, fmt.Errorf("cancel leave of %s: %w", person, classify(err))
	}
	a, _ := under.RowsAffected()
	b, _ := ahead.RowsAffected()
	return int(a + b), nil
}

// Leaves are the leaves said in chat (planbot.LeaveFromChat), oldest first.
func (s *Session) Leaves(ctx context.Context) ([]planbot.Leave, error) { return leaves(ctx, s.tx) }

// Leaves are the leaves said in chat, oldest first.
func (db *DB) Leaves(ctx context.Context) ([]planbot.Leave, error) { return leaves(ctx, db.read) }

func leaves(ctx context.Context, q sqlx.QueryerContext) ([]planbot.Leave, error) {
	var rows []struct {
		Person    string `db:"person_key"`
		From      string `db:"from_day"`
		To        string `db:"to_day"`
		Note      string `db:"note"`
		CreatedAt int64  `db:"created_at"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT person_key, from_day, to_day, note, created_at FROM leaves WHERE cancelled = 0 ORDER BY id`); err != nil {
		return nil, fmt.Errorf("read leaves: %w", err)
	}
	out := make([]planbot.Leave, 0, len(rows))
	for _, r := range rows {
		from, err1 := planbot.ParseDate(r.From)
		to, err2 := planbot.ParseDate(r.To)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("read leaves: a stored day is not a date: %q, %q", r.From, r.To)
		}
		out = append(out, planbot.Leave{Person: r.Person, From: from, To: to, Note: r.Note,
			Source: planbot.LeaveFromChat, At: time.Unix(r.CreatedAt, 0).UTC()})
	}
	return out, nil
}
