package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"planbot"
)

// What the sender records once a claimed message has its answer, and what
// an operator reads of the outbox. Claiming is in claim.go.

// maxErrorText caps the stored error of a message.
const maxErrorText = 1024

// settle moves claimed message id (status sending) on with set, the SET
// clause of an UPDATE, and its args. It fails with ErrNotFound for an
// unknown id and ErrConflict for a message that is not in flight.
func (db *DB) settle(ctx context.Context, what string, id int64, set string, args ...any) error {
	err := db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET `+set+` WHERE id = ? AND status = 'sending'`,
			append(args, id)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var st OutboxStatus
		err = tx.GetContext(ctx, &st, `SELECT status FROM outbox WHERE id = ?`, id)
		if errors.Is(err, sql.ErrNoRows) {
			return errorf(ErrNotFound, "no such message")
		}
		if err != nil {
			return err
		}
		return errorf(ErrConflict, "the message is %s, not in flight", st)
	})
	if err != nil {
		return fmt.Errorf("%s message %d: %w", what, id, err)
	}
	return nil
}

// MarkSent records that the platform took claimed message id, as its
// message sentMessageID (0 for an answer, or where the platform numbers
// no messages), and drops its FileData. The next message of its chat
// becomes claimable.
func (db *DB) MarkSent(ctx context.Context, id int64, sentMessageID int, now time.Time) error {
	return db.settle(ctx, "mark sent", id, markSent, nullInt(int64(sentMessageID)), unix(now))
}

// markSent is what recording a message sent sets (sent_message_id and
// sent_at are its arguments), here and in markDelivered.
const markSent = `status = 'sent', sent_message_id = ?, sent_at = ?, file_data = NULL`

// MarkRetry puts claimed message id back to pending, not to be sent before
// nextAttempt (rounded up to the second), with errText as its last error.
// It keeps its place: its chat's later messages wait for it.
func (db *DB) MarkRetry(ctx context.Context, id int64, nextAttempt time.Time, errText string) error {
	return db.settle(ctx, "retry", id,
		`status = 'pending', next_attempt_at = ?, last_error = ?`,
		ceilUnix(nextAttempt), truncate(errText, maxErrorText))
}

// MarkFailed gives up on claimed message id (the platform refused it;
// see also FailChat) and drops its FileData. The next message of
// its chat becomes claimable.
func (db *DB) MarkFailed(ctx context.Context, id int64, errText string, now time.Time) error {
	return db.settle(ctx, "mark failed", id,
		`status = 'failed', last_error = ?, given_up_at = ?, file_data = NULL`,
		truncate(errText, maxErrorText), unix(now))
}

// FailChat gives up on every unsent send and edit of a chat, pending or in
// flight (the sender need not MarkFailed the one it holds), and returns
// how many: for a chat that blocked or removed the bot. Answers and
// messages enqueued later are not affected.
func (db *DB) FailChat(ctx context.Context, chat planbot.ChatID, errText string, now time.Time) (int, error) {
	n, err := db.updateFolding(ctx, failChat,
		sql.Named("err", truncate(errText, maxErrorText)), sql.Named("now", unix(now)), sql.Named("chat", chat))
	if err != nil {
		return 0, fmt.Errorf("fail messages to chat %q: %w", chat, err)
	}
	return n, nil
}

// RequeueInFlight puts every message to a chat of platform left sending
// back to pending and returns how many: at start, before platform's
// sender runs (hold the instance lock), those are messages the previous
// process was sending when it died. Each may have been delivered already:
// sending it again risks a duplicate, which we prefer to losing it.
// Attempts keeps the interrupted try.
func (db *DB) RequeueInFlight(ctx context.Context, platform string) (int, error) {
	args, err := platformRange(platform)
	if err != nil {
		return 0, fmt.Errorf("requeue messages in flight: %w", err)
	}
	n, err := db.updateFolding(ctx, `
		UPDATE outbox SET status = 'pending',
			last_error = 'interrupted: planbot stopped while sending it; sent again, possibly twice'
		WHERE status = 'sending' AND chat_id >= :lo AND chat_id < :hi`, args...)
	if err != nil {
		return 0, fmt.Errorf("requeue messages in flight on %s: %w", platform, err)
	}
	return n, nil
}

// RetargetChat moves the unsent messages of a chat that moved to another
// address on its platform (a Telegram group upgraded to a supergroup) to
// the new address, keeping their order, and returns how many it moved.
// Sends, pending or in flight, move: the sender then calls MarkRetry on
// the message it holds to resend it at once. Pending edits cannot follow
// (the new chat numbers its messages anew) and are marked failed. Answers
// and sent history are not touched, nor chats stored outside the outbox
// (the plan, pending questions): the caller updates those. A chat does not
// move between platforms: that is ErrInvalid.
func (db *DB) RetargetChat(ctx context.Context, oldChat, newChat planbot.ChatID) (int, error) {
	switch {
	case oldChat == "" || newChat == "" || oldChat == newChat:
		return 0, fmt.Errorf("retarget chat %q to %q: %w", oldChat, newChat,
			errorf(ErrInvalid, "need two different chats"))
	case oldChat.Platform() != newChat.Platform():
		return 0, fmt.Errorf("retarget chat %q to %q: %w", oldChat, newChat,
			errorf(ErrInvalid, "a chat stays on its platform"))
	}
	var moved int64
	err := db.inTxFolding(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, failEditsOfChat,
			sql.Named("err", "chat migrated to "+string(newChat)+": the message to edit stayed in the old chat"),
			sql.Named("now", unix(time.Now())), sql.Named("chat", oldChat)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, moveSendsOfChat, sql.Named("new", newChat), sql.Named("chat", oldChat))
		if err != nil {
			return err
		}
		moved, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("retarget chat %q to %q: %w", oldChat, newChat, err)
	}
	return int(moved), nil
}

// unsentIDs is the ids of the messages not yet sent nor given up (pending
// or in flight), read from the partial indexes that hold exactly those
// rows: the two lane kinds, pending answers and held reminders (an answer
// in flight is in none; no query here wants one). Since 0015 nothing else
// indexes the outbox by status, so that a message written or sent updates
// as few indexes as it can (issue 15); a WHERE on status alone would read
// every message of the year. INDEXED BY: see claimable.
// TestUnsentQueriesReadIndexes keeps the queries below on these indexes.
const unsentIDs = `
	SELECT id FROM outbox INDEXED BY outbox_lane_reply
	WHERE status IN ('pending', 'sending') AND method <> 'answer' AND job IS NULL
	UNION ALL
	SELECT id FROM outbox INDEXED BY outbox_lane_job
	WHERE status IN ('pending', 'sending') AND method <> 'answer' AND job IS NOT NULL AND held = 0
	UNION ALL
	SELECT id FROM outbox INDEXED BY outbox_answer WHERE status = 'pending' AND method = 'answer'
	UNION ALL
	SELECT id FROM outbox INDEXED BY outbox_held WHERE held = 1 AND status = 'pending'`

// chatUnsent is the ids of chat :chat's sends and edits not yet sent nor
// given up, held reminders among them (FailChat, RetargetChat): a seek in
// each lane's index, and the few held ones.
const chatUnsent = `
	SELECT id FROM outbox INDEXED BY outbox_lane_reply
	WHERE status IN ('pending', 'sending') AND method <> 'answer' AND job IS NULL AND chat_id = :chat
	UNION ALL
	SELECT id FROM outbox INDEXED BY outbox_lane_job
	WHERE status IN ('pending', 'sending') AND method <> 'answer' AND job IS NOT NULL AND held = 0 AND chat_id = :chat
	UNION ALL
	SELECT id FROM outbox INDEXED BY outbox_held WHERE held = 1 AND status = 'pending' AND chat_id = :chat`

// FailChat's and RetargetChat's statements, on chat :chat.
const (
	failChat = `UPDATE outbox SET status = 'failed', last_error = :err, given_up_at = :now, file_data = NULL
		WHERE id IN (` + chatUnsent + `)`
	failEditsOfChat = `UPDATE outbox SET status = 'failed', last_error = :err, given_up_at = :now
		WHERE id IN (` + chatUnsent + `) AND status = 'pending' AND method = 'edit'`
	moveSendsOfChat = `UPDATE outbox SET chat_id = :new WHERE id IN (` + chatUnsent + `) AND method = 'send'`
)

// updateFolding runs one UPDATE in a write transaction after folding the
// sent log (inTxFolding: the sender's writes to messages that may be in
// flight) and returns the rows it changed.
func (db *DB) updateFolding(ctx context.Context, query string, args ...any) (int, error) {
	var n int64
	err := db.inTxFolding(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// OutboxCounts counts the outbox's messages by status; every status is in
// the map, zero or not.
func (db *DB) OutboxCounts(ctx context.Context) (map[OutboxStatus]int, error) {
	var rows []struct {
		Status OutboxStatus `db:"status"`
		N      int          `db:"n"`
	}
	if err := db.read.SelectContext(ctx, &rows, `SELECT status, COUNT(*) AS n FROM outbox GROUP BY status`); err != nil {
		return nil, fmt.Errorf("count outbox messages: %w", classify(err))
	}
	out := map[OutboxStatus]int{OutboxPending: 0, OutboxSending: 0, OutboxSent: 0, OutboxFailed: 0, OutboxUncertain: 0}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// FailedMessages lists up to limit messages given up on (failed or
// uncertain) at or after since, newest first, without FileData.
func (db *DB) FailedMessages(ctx context.Context, since time.Time, limit int) ([]OutboxMessage, error) {
	return failedMessages(ctx, db.read, since, limit)
}

func failedMessages(ctx context.Context, q sqlx.QueryerContext, since time.Time, limit int) ([]OutboxMessage, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list failed messages: %w", errorf(ErrInvalid, "limit %d is not positive", limit))
	}
	var rows []outboxRow
	if err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT `+outboxColumns+` FROM outbox
		WHERE status IN ('failed', 'uncertain') AND given_up_at >= ?
		ORDER BY given_up_at DESC, id DESC
		LIMIT ?`, ceilUnix(since), limit); err != nil {
		return nil, fmt.Errorf("list failed messages: %w", classify(err))
	}
	out, err := messages(rows)
	if err != nil {
		return nil, fmt.Errorf("list failed messages: %w", err)
	}
	return out, nil
}

// remindersQueued is RemindersQueuedSince's query. Its terms must stay
// those of outbox_job_created's WHERE for SQLite to use the index. A run's
// rows to one chat share its job and created_at: a reminder split into
// parts counts once.
const remindersQueued = `
	SELECT chat_id, COUNT(DISTINCT job || '@' || created_at) AS n FROM outbox
	WHERE job IS NOT NULL AND created_at >= ? AND status <> 'failed'
	GROUP BY chat_id`

func remindersQueuedSince(ctx context.Context, q sqlx.QueryerContext, since time.Time) (map[planbot.ChatID]int, error) {
	var rows []struct {
		ChatID planbot.ChatID `db:"chat_id"`
		N      int            `db:"n"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, remindersQueued, ceilUnix(since)); err != nil {
		return nil, fmt.Errorf("count reminders queued since %s: %w", runTime(since), classify(err))
	}
	out := make(map[planbot.ChatID]int, len(rows))
	for _, r := range rows {
		out[r.ChatID] = r.N
	}
	return out, nil
}

// outboxSummaryPending is OutboxSummary's pending list: limit.
const outboxSummaryPending = `
	SELECT ` + outboxColumns + ` FROM outbox
	WHERE id IN (` + unsentIDs + `) AND status = 'pending'
	ORDER BY priority DESC, id
	LIMIT ?`

// OutboxSummary is what an operator looks at (planbot outbox): up to limit
// pending messages in drain order (highest priority first, then oldest;
// due now or waiting for a retry alike, and ignoring the per-chat order
// ClaimBatch keeps), and up to limit messages given up on (failed or
// uncertain), newest first. Messages in flight are in neither list
// (OutboxCounts counts them). Both lists come from one snapshot and leave
// FileData out.
func (db *DB) OutboxSummary(ctx context.Context, limit int) (pending, failed []OutboxMessage, err error) {
	if limit <= 0 {
		return nil, nil, fmt.Errorf("summarise outbox: %w", errorf(ErrInvalid, "limit %d is not positive", limit))
	}
	tx, err := beginTxn(ctx, db.read, "BEGIN")
	if err != nil {
		return nil, nil, fmt.Errorf("summarise outbox: %w", classify(err))
	}
	defer tx.end(false)
	var rows []outboxRow
	if err := tx.SelectContext(ctx, &rows, outboxSummaryPending, limit); err != nil {
		return nil, nil, fmt.Errorf("summarise outbox: pending messages: %w", classify(err))
	}
	if pending, err = messages(rows); err != nil {
		return nil, nil, fmt.Errorf("summarise outbox: pending messages: %w", err)
	}
	rows = nil
	if err := tx.SelectContext(ctx, &rows, `
		SELECT `+outboxColumns+` FROM outbox
		WHERE status IN ('failed', 'uncertain')
		ORDER BY given_up_at DESC, id DESC
		LIMIT ?`, limit); err != nil {
		return nil, nil, fmt.Errorf("summarise outbox: failed messages: %w", classify(err))
	}
	if failed, err = messages(rows); err != nil {
		return nil, nil, fmt.Errorf("summarise outbox: failed messages: %w", err)
	}
	return pending, failed, nil
}

// WatchCommits calls changed, until ctx ends, each time it sees that the
// database was committed to by another connection than its own: another
// process (planbot fire queuing reminders), or this process's writer. It
// reads PRAGMA data_version every interval on a connection of its own:
// SQLite changes that number for every commit made by any other
// connection, never for the connection's own, so one read of the file
// header an interval (no busy loop, no table read) tells a sender asleep
// until its next due message that something new may be waiting. A failed
// read is tried again at the next interval. It returns nil when ctx ends,
// or why the connection could not be opened.
func (db *DB) WatchCommits(ctx context.Context, interval time.Duration, changed func()) error {
	conn, err := connect(ctx, db.path, dsn(db.path, DefaultBusyTimeout, true), 1)
	if err != nil {
		return fmt.Errorf("watch commits: %w", err)
	}
	defer conn.Close()
	var last int64
	known := false
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		var v int64
		if err := conn.GetContext(ctx, &v, `PRAGMA data_version`); err == nil {
			if known && v != last {
				changed()
			}
			last, known = v, true
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
