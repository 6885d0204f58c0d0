package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"planbot"
)

// The outbox types live in the root package, shared with the sender.
type (
	OutboxStatus  = planbot.OutboxStatus
	OutboxMethod  = planbot.OutboxMethod
	OutboxMessage = planbot.OutboxMessage
)

const (
	OutboxPending   = planbot.OutboxPending
	OutboxSending   = planbot.OutboxSending
	OutboxSent      = planbot.OutboxSent
	OutboxFailed    = planbot.OutboxFailed
	OutboxUncertain = planbot.OutboxUncertain
	MethodSend      = planbot.MethodSend
	MethodEdit      = planbot.MethodEdit
	MethodAnswer    = planbot.MethodAnswer
)

// Upload limits of the Bot API.
const (
	maxPhotoUpload    = 10 << 20
	maxDocumentUpload = 50 << 20
)

// Enqueue adds messages to the outbox as pending, all or none. ID, Status,
// Attempts, TelegramMessageID, LastError, SentAt and GivenUpAt are ignored.
// A zero CreatedAt is the current time; a zero NextAttemptAt is CreatedAt.
// It fails with ErrInvalid for a message the sender could not send.
func (db *DB) Enqueue(ctx context.Context, msgs ...OutboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		return enqueue(ctx, tx, time.Now(), msgs)
	})
	if err != nil {
		return fmt.Errorf("enqueue %d messages: %w", len(msgs), err)
	}
	return nil
}

func enqueue(ctx context.Context, tx *sqlx.Tx, now time.Time, msgs []OutboxMessage) error {
	for i, m := range msgs {
		if m.Method == "" {
			m.Method = MethodSend
		}
		if err := checkMessage(m); err != nil {
			return fmt.Errorf("message %d to chat %d: %w", i+1, m.ChatID, err)
		}
		created := m.CreatedAt
		if created.IsZero() {
			created = now
		}
		next := m.NextAttemptAt
		if next.IsZero() {
			next = created
		}
		var job sql.NullString
		var scheduled sql.NullInt64
		if m.Job != "" {
			job = sql.NullString{String: m.Job, Valid: true}
			scheduled = sql.NullInt64{Int64: unix(m.ScheduledAt), Valid: true}
		}
		var data []byte // NULL unless an upload
		if len(m.FileData) > 0 {
			data = m.FileData
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO outbox (method, chat_id, text, parse_mode, reply_markup, photo, document,
				edit_message_id, callback_query_id, file_name, file_data, priority,
				job, scheduled_at, held, status, next_attempt_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.Method, m.ChatID, m.Text, m.ParseMode, m.ReplyMarkup, m.Photo, m.Document,
			nullInt(int64(m.EditMessageID)), nullString(m.CallbackQueryID), nullString(m.FileName), data, m.Priority,
			job, scheduled, m.Held, OutboxPending, ceilUnix(next), unix(created)); err != nil {
			return fmt.Errorf("message %d to chat %d: %w", i+1, m.ChatID, err)
		}
	}
	return nil
}

// checkMessage refuses what the sender could not send. m.Method is set.
func checkMessage(m OutboxMessage) error {
	switch {
	case m.ReplyMarkup != "" && !json.Valid([]byte(m.ReplyMarkup)):
		return errorf(ErrInvalid, "reply markup is not JSON")
	case (m.Job == "") != m.ScheduledAt.IsZero():
		return errorf(ErrInvalid, "a job run needs both a job name and a scheduled time")
	case m.Held && (m.Job == "" || m.Method == MethodAnswer):
		return errorf(ErrInvalid, "only a job run's message can be held")
	case (m.FileName != "" || len(m.FileData) > 0) && m.Method != MethodSend:
		return errorf(ErrInvalid, "only a sent message can carry a file")
	case m.Method != MethodEdit && m.EditMessageID != 0:
		return errorf(ErrInvalid, "a message id to edit in a %s", m.Method)
	case m.Method != MethodAnswer && m.CallbackQueryID != "":
		return errorf(ErrInvalid, "a callback query id in a %s", m.Method)
	}
	switch m.Method {
	case MethodSend:
		switch {
		case m.ChatID == 0:
			return errorf(ErrInvalid, "no chat id")
		case m.Text == "" && m.Photo == "" && m.Document == "":
			return errorf(ErrInvalid, "nothing to send")
		case m.Photo != "" && m.Document != "":
			return errorf(ErrInvalid, "both a photo and a document")
		case len(m.FileData) > 0 && m.FileName == "":
			return errorf(ErrInvalid, "an upload without a file name")
		case m.FileName != "" && len(m.FileData) == 0:
			return errorf(ErrInvalid, "a file name without file data")
		case len(m.FileData) > 0 && m.Photo == "" && m.Document == "":
			return errorf(ErrInvalid, "an upload that is neither a photo nor a document")
		case m.Photo != "" && len(m.FileData) > maxPhotoUpload:
			return errorf(ErrInvalid, "photo upload of %d bytes is over Telegram's 10 MiB", len(m.FileData))
		case len(m.FileData) > maxDocumentUpload:
			return errorf(ErrInvalid, "upload of %d bytes is over Telegram's 50 MiB", len(m.FileData))
		}
	case MethodEdit:
		switch {
		case m.ChatID == 0:
			return errorf(ErrInvalid, "no chat id")
		case m.EditMessageID <= 0:
			return errorf(ErrInvalid, "an edit without a message id")
		case m.Text == "":
			return errorf(ErrInvalid, "an edit without text")
		case m.Photo != "" || m.Document != "":
			return errorf(ErrInvalid, "an edit cannot change a photo or document")
		}
	case MethodAnswer:
		switch {
		case m.CallbackQueryID == "":
			return errorf(ErrInvalid, "an answer without a callback query id")
		case m.Photo != "" || m.Document != "" || m.ReplyMarkup != "":
			return errorf(ErrInvalid, "an answer carries only a text")
		}
	default:
		return errorf(ErrInvalid, "unknown method %q", m.Method)
	}
	return nil
}

// outboxColumns are what listings read: every column but file_data.
const outboxColumns = `id, method, chat_id, text, parse_mode, reply_markup, photo, document,
	edit_message_id, callback_query_id, file_name, priority, job, scheduled_at, held,
	status, attempts, next_attempt_at, telegram_message_id, last_error, created_at, sent_at, given_up_at`

type outboxRow struct {
	ID                int64          `db:"id"`
	Method            OutboxMethod   `db:"method"`
	ChatID            int64          `db:"chat_id"`
	Text              string         `db:"text"`
	ParseMode         string         `db:"parse_mode"`
	ReplyMarkup       string         `db:"reply_markup"`
	Photo             string         `db:"photo"`
	Document          string         `db:"document"`
	EditMessageID     sql.NullInt64  `db:"edit_message_id"`
	CallbackQueryID   sql.NullString `db:"callback_query_id"`
	FileName          sql.NullString `db:"file_name"`
	FileData          []byte         `db:"file_data"`
	Priority          int            `db:"priority"`
	Job               sql.NullString `db:"job"`
	ScheduledAt       sql.NullInt64  `db:"scheduled_at"`
	Held              bool           `db:"held"`
	Status            OutboxStatus   `db:"status"`
	Attempts          int            `db:"attempts"`
	NextAttemptAt     int64          `db:"next_attempt_at"`
	TelegramMessageID sql.NullInt64  `db:"telegram_message_id"`
	LastError         string         `db:"last_error"`
	CreatedAt         int64          `db:"created_at"`
	SentAt            sql.NullInt64  `db:"sent_at"`
	GivenUpAt         sql.NullInt64  `db:"given_up_at"`
}

func (r *outboxRow) message() OutboxMessage {
	return OutboxMessage{
		ID:                r.ID,
		Method:            r.Method,
		ChatID:            r.ChatID,
		Text:              r.Text,
		ParseMode:         r.ParseMode,
		ReplyMarkup:       r.ReplyMarkup,
		Photo:             r.Photo,
		Document:          r.Document,
		EditMessageID:     int(r.EditMessageID.Int64),
		CallbackQueryID:   r.CallbackQueryID.String,
		FileName:          r.FileName.String,
		FileData:          r.FileData,
		Priority:          r.Priority,
		Job:               r.Job.String,
		ScheduledAt:       fromNullUnix(r.ScheduledAt),
		Held:              r.Held,
		Status:            r.Status,
		Attempts:          r.Attempts,
		NextAttemptAt:     fromUnix(r.NextAttemptAt),
		TelegramMessageID: int(r.TelegramMessageID.Int64),
		LastError:         r.LastError,
		CreatedAt:         fromUnix(r.CreatedAt),
		SentAt:            fromNullUnix(r.SentAt),
		GivenUpAt:         fromNullUnix(r.GivenUpAt),
	}
}

func messages(rows []outboxRow) []OutboxMessage {
	out := make([]OutboxMessage, len(rows))
	for i := range rows {
		out[i] = rows[i].message()
	}
	return out
}

// PendingMessages lists up to limit pending messages due at now (their
// NextAttemptAt is not after now; it is kept rounded up to the second), in
// drain order: highest priority first, then oldest first. It is a view for
// people and tests: it ignores the per-chat order ClaimBatch keeps, and
// leaves FileData out. The sender uses ClaimBatch.
func (db *DB) PendingMessages(ctx context.Context, now time.Time, limit int) ([]OutboxMessage, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list pending messages: %w", errorf(ErrInvalid, "limit %d is not positive", limit))
	}
	var rows []outboxRow
	if err := db.read.SelectContext(ctx, &rows, `
		SELECT `+outboxColumns+`
		FROM outbox
		WHERE status = 'pending' AND next_attempt_at <= ?
		ORDER BY priority DESC, id
		LIMIT ?`, unix(now), limit); err != nil {
		return nil, fmt.Errorf("list pending messages: %w", classify(err))
	}
	return messages(rows), nil
}

// HeldRun is a job run's reminders held for quiet hours and due for
// release (ReleaseHeld).
type HeldRun = planbot.HeldRun

// NextHeldRelease is when the earliest held reminder is due for release;
// ok is false when none is held. It may be in the past (one is due now).
func (db *DB) NextHeldRelease(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	if err := db.read.GetContext(ctx, &next, `
		SELECT MIN(next_attempt_at) FROM outbox WHERE held = 1 AND status = 'pending'`); err != nil {
		return time.Time{}, false, fmt.Errorf("next held reminder: %w", classify(err))
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return fromUnix(next.Int64), true, nil
}

// ReleaseHeld releases the reminders held until now or earlier, in one
// transaction, and returns how many runs it released. The held rows of
// those runs are deleted; then, run by run in the order they were queued,
// fn is called with a session of the run (as in RunJob: LastRunAt looks
// before the run, RemindersQueuedSince counts what the runs released
// before it queued) and the messages it returns are queued, stamped with
// the run, created at now: what the run has to say to its chats now. fn
// returns none to drop them, and may hold them again (Held). If fn fails,
// nothing is released and its error is returned.
//
// Held rows a chat failed meanwhile (FailChat) are not pending and are not
// released: their chat is unreachable.
func (db *DB) ReleaseHeld(ctx context.Context, now time.Time, fn func(planbot.Tx, HeldRun) ([]OutboxMessage, error)) (int, error) {
	var released int
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		released = 0
		var rows []struct {
			ID          int64  `db:"id"`
			ChatID      int64  `db:"chat_id"`
			Job         string `db:"job"`
			ScheduledAt int64  `db:"scheduled_at"`
		}
		if err := tx.SelectContext(ctx, &rows, `
			SELECT id, chat_id, job, scheduled_at FROM outbox
			WHERE held = 1 AND status = 'pending' AND next_attempt_at <= ?
			ORDER BY id`, unix(now)); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		type key struct {
			job string
			at  int64
		}
		var runs []*HeldRun
		byKey := map[key]*HeldRun{}
		seen := map[key]map[int64]bool{}
		var ids []int64
		for _, r := range rows {
			ids = append(ids, r.ID)
			k := key{r.Job, r.ScheduledAt}
			run := byKey[k]
			if run == nil {
				run = &HeldRun{Job: r.Job, ScheduledAt: fromUnix(r.ScheduledAt)}
				byKey[k], seen[k] = run, map[int64]bool{}
				runs = append(runs, run)
			}
			if !seen[k][r.ChatID] {
				seen[k][r.ChatID] = true
				run.Chats = append(run.Chats, r.ChatID)
			}
		}
		for chunk := range slices.Chunk(ids, 500) {
			query, args, err := sqlx.In(`DELETE FROM outbox WHERE id IN (?)`, chunk)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, query, args...); err != nil {
				return fmt.Errorf("delete held rows: %w", err)
			}
		}
		for _, run := range runs {
			s := &Session{tx: tx, db: db, now: now, job: run.Job, scheduledAt: run.ScheduledAt}
			msgs, err := fn(s, *run)
			if err != nil {
				return fmt.Errorf("compose %s at %s again: %w", run.Job, runTime(run.ScheduledAt), err)
			}
			if err := enqueue(ctx, tx, now, s.stamp(msgs)); err != nil {
				return fmt.Errorf("queue the messages of %s at %s: %w", run.Job, runTime(run.ScheduledAt), err)
			}
			released++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("release held reminders: %w", err)
	}
	return released, nil
}
