package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// txn is a transaction on one connection of a pool, begun and ended in SQL
// (BEGIN … COMMIT or ROLLBACK) rather than with database/sql's Tx.
//
// database/sql's Tx starts a goroutine for every transaction, and another
// for every query in it, to watch the transaction's context; go-sqlite3
// starts one more per statement whose context can be cancelled. With the
// bot on one processor that was a tenth of its CPU per message (issue 15,
// docs/BENCHMARKS.md). A txn's statements run on a context that cannot be
// cancelled, so none of them starts a goroutine: each statement is short,
// and SQLite's busy timeout bounds a wait for the lock. The caller's
// context is looked at when the transaction begins.
type txn struct {
	conn *sqlx.Conn
}

// beginTxn takes a connection of pool and begins a transaction on it with
// begin ("BEGIN" to read, "BEGIN IMMEDIATE" to write). End it with end.
func beginTxn(ctx context.Context, pool *sqlx.DB, begin string) (*txn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	conn, err := pool.Connx(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(context.Background(), begin); err != nil {
		conn.Close()
		return nil, err
	}
	return &txn{conn: conn}, nil
}

// end commits the transaction (commit true) or rolls it back, and gives
// the connection back to its pool, never inside a transaction: a failed
// COMMIT (a full disk) is rolled back.
func (t *txn) end(commit bool) error {
	ctx := context.Background()
	var err error
	if commit {
		if _, err = t.conn.ExecContext(ctx, "COMMIT"); err != nil {
			err = fmt.Errorf("commit: %w", err)
		}
	}
	if !commit || err != nil {
		// After a failed COMMIT SQLite may have rolled back already:
		// "no transaction is active" is then no news.
		if _, rbErr := t.conn.ExecContext(ctx, "ROLLBACK"); rbErr != nil && !commit {
			err = fmt.Errorf("roll back: %w", rbErr)
		}
	}
	if closeErr := t.conn.Close(); err == nil && closeErr != nil && !errors.Is(closeErr, sql.ErrConnDone) {
		err = closeErr
	}
	return err
}

// The statements of a txn: those of sqlx's Tx that storage uses, on a
// context without cancellation.

func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.conn.ExecContext(context.WithoutCancel(ctx), query, args...)
}

func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.conn.QueryContext(context.WithoutCancel(ctx), query, args...)
}

func (t *txn) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	return t.conn.QueryxContext(context.WithoutCancel(ctx), query, args...)
}

func (t *txn) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	return t.conn.QueryRowxContext(context.WithoutCancel(ctx), query, args...)
}

func (t *txn) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	return sqlx.SelectContext(context.WithoutCancel(ctx), t.conn, dest, query, args...)
}

func (t *txn) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	return sqlx.GetContext(context.WithoutCancel(ctx), t.conn, dest, query, args...)
}
