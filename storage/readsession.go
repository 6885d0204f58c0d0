package storage

import (
	"context"
	"fmt"
	"time"

	"planbot"
)

// ReadSession is one read transaction on the read pool: a snapshot of
// what was committed when its first read ran, seen as a planbot.ReadTx
// (the reads a scheduled job makes). It writes nothing and takes no lock,
// so a preview (planbot fire -dry-run, planbot digest) neither waits for
// the running bot's writes nor holds them up. Its connection refuses
// writes (query_only), and Read hands it out as a ReadTx only.
//
// Like a Session, it is not safe for concurrent use and is dead once the
// function given to Read returns.
type ReadSession struct {
	*Session
}

// Read runs fn in a read transaction, as a run of a job scheduled at
// scheduledAt would see the database (LastRunAt answers with the latest
// run before it; zero: the latest of all), and returns fn's error.
func (db *DB) Read(ctx context.Context, scheduledAt time.Time, fn func(planbot.ReadTx) error) error {
	tx, err := beginTxn(ctx, db.read, "BEGIN")
	if err != nil {
		return fmt.Errorf("begin read transaction: %w", classify(err))
	}
	defer tx.end(false)
	return fn(&ReadSession{&Session{tx: tx, db: db, scheduledAt: scheduledAt}})
}
