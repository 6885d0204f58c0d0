package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"planbot"
)

// ReadSession is one read transaction on the read pool: a snapshot of
// what was committed when its first read ran, seen through the reads a
// scheduled job makes (they satisfy scheduler.Session). It writes nothing
// and takes no lock, so a preview (planbot fire -dry-run, planbot digest)
// neither waits for the running bot's writes nor holds them up.
//
// Like a Session, it is not safe for concurrent use and is dead once the
// function given to Read returns.
type ReadSession struct {
	s Session // tx on a read connection, which refuses writes (query_only)
}

// Read runs fn in a read transaction, as a run of a job scheduled at
// scheduledAt would see the database (LastRunAt answers with the latest
// run before it; zero: the latest of all), and returns fn's error.
func (db *DB) Read(ctx context.Context, scheduledAt time.Time, fn func(*ReadSession) error) error {
	tx, err := db.read.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read transaction: %w", classify(err))
	}
	defer tx.Rollback()
	return fn(&ReadSession{s: Session{tx: tx, db: db, scheduledAt: scheduledAt}})
}

// AllReports is DB.AllReports in the snapshot. The database's cache of
// committed reports catches up through the snapshot itself, so the answer
// is the snapshot's and no second read connection is needed.
func (r *ReadSession) AllReports(ctx context.Context) (map[string][]planbot.Report, error) {
	out, _, err := r.s.db.reports.view(ctx, r.s.tx)
	if err != nil {
		return nil, fmt.Errorf("all reports: %w", err)
	}
	return out, nil
}

// LatestObservations is DB.LatestObservations in the snapshot.
func (r *ReadSession) LatestObservations(ctx context.Context, from, to time.Time) (map[string]planbot.Observation, error) {
	return r.s.LatestObservations(ctx, from, to)
}

// ChatBindings is DB.ChatBindings in the snapshot.
func (r *ReadSession) ChatBindings(ctx context.Context) (map[string]int64, error) {
	return r.s.ChatBindings(ctx)
}

// RemindersQueuedSince is Session.RemindersQueuedSince in the snapshot.
func (r *ReadSession) RemindersQueuedSince(ctx context.Context, since time.Time) (map[int64]int, error) {
	return r.s.RemindersQueuedSince(ctx, since)
}

// FailedMessagesSince is Session.FailedMessagesSince in the snapshot.
func (r *ReadSession) FailedMessagesSince(ctx context.Context, since time.Time, limit int) ([]OutboxMessage, error) {
	return r.s.FailedMessagesSince(ctx, since, limit)
}

// LastRunAt is Session.LastRunAt in the snapshot: the latest done run of
// job scheduled before Read's scheduledAt (or the latest of all).
func (r *ReadSession) LastRunAt(ctx context.Context, job string) (time.Time, bool, error) {
	return r.s.LastRunAt(ctx, job)
}

// Leaves is Session.Leaves in the snapshot.
func (r *ReadSession) Leaves(ctx context.Context) ([]planbot.Leave, error) {
	return r.s.Leaves(ctx)
}
