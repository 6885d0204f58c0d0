package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"planbot"
)

// The Telegram poll loop handles an update with HandleUpdate (which records
// it in the same transaction), and only then asks for more: after a crash
// it resumes from Offset, and HandleUpdate skips any update already
// recorded, so each update is handled once. RecordUpdate records an update
// without handling it. The inbox (inbox.go) does the same for platforms
// that push each event once: both go through handleOnce and recordOnce.

// handledLog is where an inbound event is recorded as handled, so that it
// is applied once: Telegram's update log with its poll offset
// (telegramUpdate), or the inbox (inboundEvent).
type handledLog interface {
	// handled reports whether the event was recorded already.
	handled(ctx context.Context, tx *txn) (bool, error)
	// record records it as handled at now; recording it again is harmless.
	record(ctx context.Context, tx *txn, now time.Time) error
}

// handleOnce is HandleUpdate's and HandleInbound's transaction. In one
// write transaction it checks whether ev was recorded; if so it returns
// true without calling fn (recording ev again, which moves a lagging
// Telegram offset forward). Otherwise it calls fn with a Session, queues
// the messages fn returns (now stamps them), records ev and commits: the
// event's effects, its replies and its being handled are written together
// or not at all. An error from fn, from the queue or from the commit
// leaves nothing written and ev unhandled; inTx classifies it (ErrLocked,
// ErrUnwritable), so the caller can tell an outage from a poison event.
func (db *DB) handleOnce(ctx context.Context, ev handledLog, now time.Time,
	fn func(planbot.Tx) ([]OutboxMessage, error)) (bool, error) {
	var already bool
	err := db.inTx(ctx, func(tx *txn) error {
		already = false
		handled, err := ev.handled(ctx, tx)
		if err != nil {
			return fmt.Errorf("check whether handled: %w", err)
		}
		if handled {
			already = true
			return ev.record(ctx, tx, now)
		}
		msgs, err := fn(&Session{tx: tx, db: db, now: now})
		if err != nil {
			return err
		}
		if err := db.enqueue(ctx, tx, now, msgs); err != nil {
			return fmt.Errorf("queue replies: %w", err)
		}
		return ev.record(ctx, tx, now)
	})
	if err != nil {
		return false, err
	}
	return already, nil
}

// recordOnce is RecordUpdate's and RecordInbound's transaction: it records
// ev as handled and, unless ev was recorded already, queues msgs (now
// stamps them), together or not at all.
func (db *DB) recordOnce(ctx context.Context, ev handledLog, now time.Time, msgs []OutboxMessage) error {
	return db.inTx(ctx, func(tx *txn) error {
		handled, err := ev.handled(ctx, tx)
		if err != nil {
			return fmt.Errorf("check whether handled: %w", err)
		}
		if !handled {
			if err := db.enqueue(ctx, tx, now, msgs); err != nil {
				return fmt.Errorf("queue messages: %w", err)
			}
		}
		return ev.record(ctx, tx, now)
	})
}

// telegramUpdate is a Telegram update in the update log, and the poll
// offset to store with it.
type telegramUpdate struct{ id, nextOffset int }

func (u telegramUpdate) handled(ctx context.Context, tx *txn) (bool, error) {
	return updateHandled(ctx, tx, u.id)
}

func (u telegramUpdate) record(ctx context.Context, tx *txn, now time.Time) error {
	return recordUpdate(ctx, tx, u.id, u.nextOffset, now)
}

const offsetKey = "telegram_offset"

// UpdateHandled reports whether the Telegram update was already recorded.
func (db *DB) UpdateHandled(ctx context.Context, updateID int) (bool, error) {
	h, err := updateHandled(ctx, db.read, updateID)
	if err != nil {
		return false, fmt.Errorf("check update %d: %w", updateID, classify(err))
	}
	return h, nil
}

func updateHandled(ctx context.Context, q sqlx.QueryerContext, updateID int) (bool, error) {
	var n int
	err := sqlx.GetContext(ctx, q, &n, `SELECT COUNT(*) FROM telegram_updates WHERE update_id = ?`, updateID)
	return n > 0, err
}

// RecordUpdate marks the update handled and stores the poll offset to ask
// for next, and queues msgs (say, an apology for an update whose handling
// failed; see Enqueue, now stamps them), in one transaction. Recording an
// update twice is harmless (msgs are then not queued again), and the
// stored offset never moves backwards. HandleUpdate does the same in the
// transaction that applies the update.
func (db *DB) RecordUpdate(ctx context.Context, updateID int, nextOffset int, now time.Time, msgs ...OutboxMessage) error {
	if err := db.recordOnce(ctx, telegramUpdate{updateID, nextOffset}, now, msgs); err != nil {
		return fmt.Errorf("record update %d: %w", updateID, err)
	}
	return nil
}

func recordUpdate(ctx context.Context, tx *txn, updateID int, nextOffset int, now time.Time) error {
	if err := markHandled(ctx, tx, updateID, now); err != nil {
		return err
	}
	return storeOffset(ctx, tx, nextOffset, now)
}

const markHandledSQL = `INSERT INTO telegram_updates (update_id, handled_at) VALUES (?, ?)
	ON CONFLICT (update_id) DO NOTHING`

// markHandled records the update as handled (again is harmless).
func markHandled(ctx context.Context, tx *txn, updateID int, now time.Time) error {
	if _, err := tx.ExecContext(ctx, markHandledSQL, updateID, unix(now)); err != nil {
		return fmt.Errorf("mark handled: %w", err)
	}
	return nil
}

// storeOffset stores the poll offset to ask for next, never backwards.
func storeOffset(ctx context.Context, tx *txn, nextOffset int, now time.Time) error {
	cur, err := offset(ctx, tx)
	if err != nil {
		return err
	}
	if nextOffset <= cur {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO bot_state (name, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		offsetKey, strconv.Itoa(nextOffset), unix(now)); err != nil {
		return fmt.Errorf("store offset %d: %w", nextOffset, err)
	}
	return nil
}

// Offset is the poll offset to resume from; 0 before the first update.
func (db *DB) Offset(ctx context.Context) (int, error) {
	n, err := offset(ctx, db.read)
	if err != nil {
		return 0, classify(err)
	}
	return n, nil
}

func offset(ctx context.Context, q sqlx.QueryerContext) (int, error) {
	var s string
	err := sqlx.GetContext(ctx, q, &s, `SELECT value FROM bot_state WHERE name = ?`, offsetKey)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read poll offset: %w", err)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("read poll offset: stored value %q is not a number", s)
	}
	return n, nil
}

// ProbeWrite commits one small write (the time of the probe in
// bot_state): nil when the database takes writes now. The poll loop asks
// it to tell a database outage from an update that fails by itself.
func (db *DB) ProbeWrite(ctx context.Context, now time.Time) error {
	err := db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO bot_state (name, value, updated_at) VALUES ('write_probe', ?, ?)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			strconv.FormatInt(unix(now), 10), unix(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("probe a write: %w", err)
	}
	return nil
}

// HandleUpdates handles a batch of polled updates in one write transaction:
// each update as HandleUpdate would, inside a savepoint of its own, so that
// one whose Serve fails (or whose replies the outbox refuses) is rolled
// back alone and recorded with its apology, as RecordUpdate would. Updates
// recorded before are skipped (recorded again, which moves a lagging
// offset on). The batch commits as a whole: an outage (ErrUnwritable,
// ErrLocked, ErrVanished), from any update or from the commit, leaves
// nothing written, and the caller handles the updates one by one to learn
// which it is.
func (db *DB) HandleUpdates(ctx context.Context, batch []planbot.PolledUpdate) ([]planbot.PolledOutcome, error) {
	var out []planbot.PolledOutcome
	err := db.inTx(ctx, func(tx *txn) error {
		out = make([]planbot.PolledOutcome, len(batch))
		next := 0
		var now time.Time
		for i, u := range batch {
			if err := db.handlePolled(ctx, tx, u, &out[i]); err != nil {
				return fmt.Errorf("update %d: %w", u.ID, err)
			}
			next, now = max(next, u.NextOffset), u.Now
		}
		// The offset once for the batch, not once an update.
		return storeOffset(ctx, tx, next, now)
	})
	if err != nil {
		return nil, fmt.Errorf("handle %d updates: %w", len(batch), err)
	}
	return out, nil
}

// handlePolled is one update of HandleUpdates. Its error ends the batch.
func (db *DB) handlePolled(ctx context.Context, tx *txn, u planbot.PolledUpdate, out *planbot.PolledOutcome) error {
	// Marked handled first: one statement that also says whether it was
	// handled before. The batch's transaction holds both, so a batch that
	// is not committed leaves the update unhandled, as before.
	res, err := tx.ExecContext(ctx, markHandledSQL, u.ID, unix(u.Now))
	if err != nil {
		return fmt.Errorf("mark handled: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		out.Already = err == nil
		return err
	}
	if u.Serve != nil {
		err := inSavepoint(ctx, tx, func() error {
			msgs, err := u.Serve(&Session{tx: tx, db: db, now: u.Now})
			if err != nil {
				return err
			}
			if err := db.enqueue(ctx, tx, u.Now, msgs); err != nil {
				return fmt.Errorf("queue replies: %w", err)
			}
			return nil
		})
		if endsBatch(err) {
			return classify(err)
		}
		if out.Failed = err; err != nil && u.Apology != nil {
			if msgs := u.Apology(); len(msgs) > 0 {
				err := inSavepoint(ctx, tx, func() error { return db.enqueue(ctx, tx, u.Now, msgs) })
				if endsBatch(err) {
					return classify(err)
				}
				out.ApologyRefused = err
			}
		}
	}
	return nil
}

// endsBatch reports whether err from one update ends the whole batch: an
// outage, or a savepoint that could not be rolled back to (SQLite may roll
// the whole transaction back by itself when a statement is interrupted,
// as a handler past its deadline is: what follows would then run outside
// any transaction).
func endsBatch(err error) bool {
	return errors.Is(classify(err), planbot.ErrUnwritable) || errors.Is(err, errSavepoint)
}

var errSavepoint = errors.New("the update's savepoint failed")

// inSavepoint runs fn inside a savepoint of tx: when fn fails, what it
// wrote is rolled back and the transaction goes on without it.
func inSavepoint(ctx context.Context, tx *txn, fn func() error) error {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT polled_update`); err != nil {
		return fmt.Errorf("%w: %w", errSavepoint, classify(err))
	}
	ferr := fn()
	if ferr != nil {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO polled_update`); err != nil {
			return fmt.Errorf("%w: roll back after %v: %w", errSavepoint, ferr, classify(err))
		}
	}
	if _, err := tx.ExecContext(ctx, `RELEASE polled_update`); err != nil {
		return fmt.Errorf("%w: release: %w", errSavepoint, classify(err))
	}
	return ferr
}
