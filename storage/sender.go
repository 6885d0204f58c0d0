package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
)

// The sender's side of the outbox.
//
// Each chat has two lanes: its replies (messages of no job run: answers to
// what a person wrote, alerts) and its reminders (messages of job runs),
// each in id (enqueue) order. Only the lowest unsent (pending or sending)
// message of a lane, its head, may be handed out: a message waiting for a
// retry, or one in flight, holds back every later message of its lane,
// whatever their priority, so the parts of a long message and the replies
// to a conversation never arrive out of order. The lanes of a chat are
// independent in order (a reminder waiting for a retry never holds back a
// reply), but not in time: while one of a chat's messages is in flight,
// nothing else of that chat is handed out, so a chat never gets two at
// once and the sender's per-chat pacing holds. Across lanes, the highest
// priority goes first, then the oldest. Callback answers are in no lane:
// each goes as soon as it is due (a button press must be answered within
// seconds, even while its chat has a backlog). Reminders held for quiet
// hours (Held) are in no lane and are never handed out: the scheduler
// replaces them when they are due (ReleaseHeld).

// claimable lists what ClaimNext may hand out (before the due-time check):
// the pending heads of all lanes of chats with nothing in flight, and
// pending answers. Each lane kind's heads are found by a loose index scan
// of its partial index (outbox_lane_reply, outbox_lane_job: chat_id, id):
// the first entry after the previous head's chat is the next chat's head,
// so it is one index seek and one row lookup per chat and lane, never a
// scan of the queue. The plan (TestClaimQueryPlan keeps it so), for each
// of the two lanes:
//
//	SCAN outbox USING INDEX outbox_lane_reply        -- the first head (LIMIT 1: one entry)
//	RECURSIVE STEP: SCAN h
//	  SEARCH o USING INTEGER PRIMARY KEY (rowid=?)   -- the head's row
//	  CORRELATED SCALAR SUBQUERY:
//	    SEARCH n USING INDEX outbox_lane_reply (chat_id>?) -- the next chat's head: one seek
//	SCAN outbox USING INDEX outbox_answer            -- partial: pending answers only
//
// INDEXED BY, because the planner would otherwise take outbox_job_run
// (job, scheduled_at) for "job IS NULL", a scan of every reply ever sent.
// The heads are materialized once: the candidates read them twice (the
// pending heads, and the chats with a head in flight).
//
// BenchmarkClaimNext measures it with 10,000 queued messages in 50 chats.
// The status, method, job and held terms must stay word for word those of
// the partial indexes' WHERE, or SQLite cannot use them.
const claimable = `
	WITH RECURSIVE replies(id, chat_id, method, status, priority, next_attempt_at) AS (
		SELECT * FROM (
			SELECT id, chat_id, method, status, priority, next_attempt_at FROM outbox INDEXED BY outbox_lane_reply
			WHERE status IN ('pending', 'sending') AND method <> 'answer' AND job IS NULL
			ORDER BY chat_id, id LIMIT 1)
	UNION ALL
		SELECT o.id, o.chat_id, o.method, o.status, o.priority, o.next_attempt_at
		FROM replies h JOIN outbox o ON o.id = (
			SELECT n.id FROM outbox n INDEXED BY outbox_lane_reply
			WHERE n.status IN ('pending', 'sending') AND n.method <> 'answer' AND n.job IS NULL AND n.chat_id > h.chat_id
			ORDER BY n.chat_id, n.id LIMIT 1)
	), reminders(id, chat_id, method, status, priority, next_attempt_at) AS (
		SELECT * FROM (
			SELECT id, chat_id, method, status, priority, next_attempt_at FROM outbox INDEXED BY outbox_lane_job
			WHERE status IN ('pending', 'sending') AND method <> 'answer' AND job IS NOT NULL AND held = 0
			ORDER BY chat_id, id LIMIT 1)
	UNION ALL
		SELECT o.id, o.chat_id, o.method, o.status, o.priority, o.next_attempt_at
		FROM reminders h JOIN outbox o ON o.id = (
			SELECT n.id FROM outbox n INDEXED BY outbox_lane_job
			WHERE n.status IN ('pending', 'sending') AND n.method <> 'answer' AND n.job IS NOT NULL AND n.held = 0 AND n.chat_id > h.chat_id
			ORDER BY n.chat_id, n.id LIMIT 1)
	), heads AS MATERIALIZED (
		SELECT * FROM replies UNION ALL SELECT * FROM reminders
	), candidates AS (
		SELECT id, chat_id, method, priority, next_attempt_at FROM heads
		WHERE status = 'pending' AND chat_id NOT IN (SELECT chat_id FROM heads WHERE status = 'sending')
	UNION ALL
		SELECT id, chat_id, method, priority, next_attempt_at FROM outbox
		WHERE status = 'pending' AND method = 'answer'
	)`

// ClaimNext hands out the next message to send at now and marks it
// sending (attempts + 1), in one transaction; ok is false when nothing can
// go now. The message is the first, by priority (higher first) then id, of
// those due (NextAttemptAt not after now) that are the oldest unsent
// message of their chat's lane (replies or reminders) in a chat with
// nothing in flight, or callback answers. It carries FileData.
//
// skip, if not nil, is asked about each candidate's chat in that order
// (never about answers) and returning true passes over it: the sender's
// per-chat rate limit. It runs inside the write transaction: keep it
// quick, and don't touch the database from it.
//
// Every claimed message must be settled with MarkSent, MarkRetry,
// MarkFailed or MarkUncertain: until then its chat gets nothing else. Two
// senders may claim concurrently; they never get the same chat's messages
// at once.
func (db *DB) ClaimNext(ctx context.Context, now time.Time, skip func(chatID int64) bool) (OutboxMessage, bool, error) {
	var out OutboxMessage
	found := false
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var cands []struct {
			ID     int64        `db:"id"`
			ChatID int64        `db:"chat_id"`
			Method OutboxMethod `db:"method"`
		}
		if err := tx.SelectContext(ctx, &cands, claimable+`
			SELECT id, chat_id, method FROM candidates
			WHERE next_attempt_at <= ?
			ORDER BY priority DESC, id`, unix(now)); err != nil {
			return err
		}
		for _, c := range cands {
			if skip != nil && c.Method != MethodAnswer && skip(c.ChatID) {
				continue
			}
			var row outboxRow
			if err := tx.GetContext(ctx, &row, `
				UPDATE outbox SET status = 'sending', attempts = attempts + 1
				WHERE id = ? AND status = 'pending'
				RETURNING `+outboxColumns+`, file_data`, c.ID); err != nil {
				return err
			}
			out, found = row.message(), true
			return nil
		}
		return nil
	})
	if err != nil {
		return OutboxMessage{}, false, fmt.Errorf("claim next message: %w", err)
	}
	return out, found, nil
}

// NextDue is when ClaimNext will next have something to hand out, as far
// as the queue knows: the earliest NextAttemptAt of the lanes' pending
// heads and of pending answers. It may be in the past (something is due
// now). ok is false when nothing is waiting; a lane whose head is in
// flight counts for nothing until that head is settled, so call NextDue
// again after every Mark… and Enqueue. It ignores ClaimNext's skip.
func (db *DB) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	if err := db.read.GetContext(ctx, &next, claimable+`
		SELECT MIN(next_attempt_at) FROM candidates`); err != nil {
		return time.Time{}, false, fmt.Errorf("next due message: %w", classify(err))
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return fromUnix(next.Int64), true, nil
}

// maxErrorText caps the stored error of a message.
const maxErrorText = 1024

// settle moves claimed message id (status sending) on with set, the SET
// clause of an UPDATE, and its args. It fails with ErrNotFound for an
// unknown id and ErrConflict for a message that is not in flight.
func (db *DB) settle(ctx context.Context, what string, id int64, set string, args ...any) error {
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
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

// MarkSent records that Telegram accepted claimed message id, as its
// message telegramMessageID (0 for an answer or when unknown), and drops
// its FileData. The next message of its chat becomes claimable.
func (db *DB) MarkSent(ctx context.Context, id int64, telegramMessageID int, now time.Time) error {
	return db.settle(ctx, "mark sent", id,
		`status = 'sent', telegram_message_id = ?, sent_at = ?, file_data = NULL`,
		nullInt(int64(telegramMessageID)), unix(now))
}

// MarkRetry puts claimed message id back to pending, not to be sent before
// nextAttempt (rounded up to the second), with errText as its last error.
// It keeps its place: its chat's later messages wait for it.
func (db *DB) MarkRetry(ctx context.Context, id int64, nextAttempt time.Time, errText string) error {
	return db.settle(ctx, "retry", id,
		`status = 'pending', next_attempt_at = ?, last_error = ?`,
		ceilUnix(nextAttempt), truncate(errText, maxErrorText))
}

// MarkFailed gives up on claimed message id (e.g. 400 Bad Request, 403
// blocked; see also FailChat) and drops its FileData. The next message of
// its chat becomes claimable.
func (db *DB) MarkFailed(ctx context.Context, id int64, errText string, now time.Time) error {
	return db.settle(ctx, "mark failed", id,
		`status = 'failed', last_error = ?, given_up_at = ?, file_data = NULL`,
		truncate(errText, maxErrorText), unix(now))
}

// MarkUncertain gives up on claimed message id without knowing whether
// Telegram delivered it, and drops its FileData; FailedMessages lists it.
func (db *DB) MarkUncertain(ctx context.Context, id int64, errText string, now time.Time) error {
	return db.settle(ctx, "mark uncertain", id,
		`status = 'uncertain', last_error = ?, given_up_at = ?, file_data = NULL`,
		truncate(errText, maxErrorText), unix(now))
}

// FailChat gives up on every unsent send and edit of a chat, pending or in
// flight (the sender need not MarkFailed the one it holds), and returns
// how many: for a chat that blocked or removed the bot (403). Answers and
// messages enqueued later are not affected.
func (db *DB) FailChat(ctx context.Context, chatID int64, errText string, now time.Time) (int, error) {
	n, err := db.update(ctx, `
		UPDATE outbox SET status = 'failed', last_error = ?, given_up_at = ?, file_data = NULL
		WHERE chat_id = ? AND status IN ('pending', 'sending') AND method <> 'answer'`,
		truncate(errText, maxErrorText), unix(now), chatID)
	if err != nil {
		return 0, fmt.Errorf("fail messages to chat %d: %w", chatID, err)
	}
	return n, nil
}

// RequeueInFlight puts every message left sending back to pending and
// returns how many: at start, before any sender runs (hold the instance
// lock), those are messages the previous process was sending when it died.
// Each may have been delivered already: sending it again risks a duplicate,
// which we prefer to losing it. Attempts keeps the interrupted try.
func (db *DB) RequeueInFlight(ctx context.Context) (int, error) {
	n, err := db.update(ctx, `
		UPDATE outbox SET status = 'pending',
			last_error = 'interrupted: planbot stopped while sending it; sent again, possibly twice'
		WHERE status = 'sending'`)
	if err != nil {
		return 0, fmt.Errorf("requeue messages in flight: %w", err)
	}
	return n, nil
}

// RetargetChat moves the unsent messages of a group that Telegram migrated
// to a supergroup (400 with migrate_to_chat_id) to the new chat id, keeping
// their order, and returns how many it moved. Sends, pending or in flight,
// move: the sender then calls MarkRetry on the message it holds to resend
// it at once. Pending edits cannot follow (the supergroup numbers its
// messages anew) and are marked failed. Answers and sent history are not
// touched, nor chat ids stored outside the outbox (the plan, pending
// questions): the caller updates those.
func (db *DB) RetargetChat(ctx context.Context, oldChatID, newChatID int64) (int, error) {
	if oldChatID == 0 || newChatID == 0 || oldChatID == newChatID {
		return 0, fmt.Errorf("retarget chat %d to %d: %w", oldChatID, newChatID,
			errorf(ErrInvalid, "need two different chat ids"))
	}
	var moved int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `
			UPDATE outbox SET status = 'failed', last_error = ?, given_up_at = ?
			WHERE chat_id = ? AND status IN ('pending', 'sending') AND method <> 'answer'
				AND status = 'pending' AND method = 'edit'`,
			"chat migrated to supergroup "+strconv.FormatInt(newChatID, 10)+": the message to edit stayed in the old group",
			unix(time.Now()), oldChatID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE outbox SET chat_id = ?
			WHERE chat_id = ? AND status IN ('pending', 'sending') AND method <> 'answer'
				AND method = 'send'`, newChatID, oldChatID)
		if err != nil {
			return err
		}
		moved, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("retarget chat %d to %d: %w", oldChatID, newChatID, err)
	}
	return int(moved), nil
}

// update runs one UPDATE in a write transaction and returns the rows it
// changed.
func (db *DB) update(ctx context.Context, query string, args ...any) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
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
	return messages(rows), nil
}

// remindersQueued is RemindersQueuedSince's query. Its terms must stay
// those of outbox_job_created's WHERE for SQLite to use the index. A run's
// rows to one chat share its job and created_at: a reminder split into
// parts counts once.
const remindersQueued = `
	SELECT chat_id, COUNT(DISTINCT job || '@' || created_at) AS n FROM outbox
	WHERE job IS NOT NULL AND created_at >= ? AND status <> 'failed'
	GROUP BY chat_id`

func remindersQueuedSince(ctx context.Context, q sqlx.QueryerContext, since time.Time) (map[int64]int, error) {
	var rows []struct {
		ChatID int64 `db:"chat_id"`
		N      int   `db:"n"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, remindersQueued, ceilUnix(since)); err != nil {
		return nil, fmt.Errorf("count reminders queued since %s: %w", runTime(since), classify(err))
	}
	out := make(map[int64]int, len(rows))
	for _, r := range rows {
		out[r.ChatID] = r.N
	}
	return out, nil
}

// OutboxSummary is what an operator looks at (planbot outbox): up to limit
// pending messages in drain order (highest priority first, then oldest;
// due now or waiting for a retry alike, and ignoring the per-chat order
// ClaimNext keeps), and up to limit messages given up on (failed or
// uncertain), newest first. Messages in flight are in neither list
// (OutboxCounts counts them). Both lists come from one snapshot and leave
// FileData out.
func (db *DB) OutboxSummary(ctx context.Context, limit int) (pending, failed []OutboxMessage, err error) {
	if limit <= 0 {
		return nil, nil, fmt.Errorf("summarise outbox: %w", errorf(ErrInvalid, "limit %d is not positive", limit))
	}
	tx, err := db.read.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, fmt.Errorf("summarise outbox: %w", classify(err))
	}
	defer tx.Rollback()
	var rows []outboxRow
	if err := tx.SelectContext(ctx, &rows, `
		SELECT `+outboxColumns+` FROM outbox
		WHERE status = 'pending'
		ORDER BY priority DESC, id
		LIMIT ?`, limit); err != nil {
		return nil, nil, fmt.Errorf("summarise outbox: pending messages: %w", classify(err))
	}
	pending = messages(rows)
	rows = nil
	if err := tx.SelectContext(ctx, &rows, `
		SELECT `+outboxColumns+` FROM outbox
		WHERE status IN ('failed', 'uncertain')
		ORDER BY given_up_at DESC, id DESC
		LIMIT ?`, limit); err != nil {
		return nil, nil, fmt.Errorf("summarise outbox: failed messages: %w", classify(err))
	}
	return pending, messages(rows), nil
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
