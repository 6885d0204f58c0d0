package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// OutboxStatus is where a message is on its way to Telegram.
type OutboxStatus string

const (
	OutboxPending   OutboxStatus = "pending"   // waiting for NextAttemptAt
	OutboxSending   OutboxStatus = "sending"   // handed to the Bot API, no answer yet
	OutboxSent      OutboxStatus = "sent"      // Telegram answered with a message id
	OutboxFailed    OutboxStatus = "failed"    // given up (403, 400 …)
	OutboxUncertain OutboxStatus = "uncertain" // the request may or may not have been delivered
)

// OutboxMessage is one message to send. Exactly one of Text (alone), Photo or
// Document is the payload; with Photo or Document, Text is the caption.
type OutboxMessage struct {
	ID          int64
	ChatID      int64
	Text        string
	ParseMode   string // "HTML" or ""
	ReplyMarkup string // JSON of the inline keyboard, "" for none
	Photo       string // Telegram file id, URL or local path; "" for none
	Document    string // likewise
	// Priority: higher is sent first (replies to a person before digests).
	Priority int
	// Job and ScheduledAt name the job run that produced the message; empty
	// and zero otherwise. A message that names a run needs the run claimed.
	Job         string
	ScheduledAt time.Time

	Status            OutboxStatus
	Attempts          int
	NextAttemptAt     time.Time // not sent before; defaults to CreatedAt
	TelegramMessageID int
	LastError         string
	CreatedAt         time.Time // defaults to the time of Enqueue
	SentAt            time.Time
}

// Enqueue adds messages to the outbox as pending, all or none. ID, Status,
// Attempts, TelegramMessageID, LastError and SentAt are ignored. A zero
// CreatedAt is the current time; a zero NextAttemptAt is CreatedAt.
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
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO outbox (chat_id, text, parse_mode, reply_markup, photo, document, priority,
				job, scheduled_at, status, next_attempt_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ChatID, m.Text, m.ParseMode, m.ReplyMarkup, m.Photo, m.Document, m.Priority,
			job, scheduled, OutboxPending, ceilUnix(next), unix(created)); err != nil {
			return fmt.Errorf("message %d to chat %d: %w", i+1, m.ChatID, err)
		}
	}
	return nil
}

func checkMessage(m OutboxMessage) error {
	switch {
	case m.ChatID == 0:
		return errorf(ErrInvalid, "no chat id")
	case m.Text == "" && m.Photo == "" && m.Document == "":
		return errorf(ErrInvalid, "nothing to send")
	case m.Photo != "" && m.Document != "":
		return errorf(ErrInvalid, "both a photo and a document")
	case m.ReplyMarkup != "" && !json.Valid([]byte(m.ReplyMarkup)):
		return errorf(ErrInvalid, "reply markup is not JSON")
	case (m.Job == "") != m.ScheduledAt.IsZero():
		return errorf(ErrInvalid, "a job run needs both a job name and a scheduled time")
	}
	return nil
}

// PendingMessages lists up to limit pending messages due at now (their
// NextAttemptAt is not after now; it is kept rounded up to the second), in drain order: highest priority first,
// then oldest first, which keeps each chat's messages in the order they
// were enqueued within a priority.
func (db *DB) PendingMessages(ctx context.Context, now time.Time, limit int) ([]OutboxMessage, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list pending messages: %w", errorf(ErrInvalid, "limit %d is not positive", limit))
	}
	var rows []struct {
		ID                int64          `db:"id"`
		ChatID            int64          `db:"chat_id"`
		Text              string         `db:"text"`
		ParseMode         string         `db:"parse_mode"`
		ReplyMarkup       string         `db:"reply_markup"`
		Photo             string         `db:"photo"`
		Document          string         `db:"document"`
		Priority          int            `db:"priority"`
		Job               sql.NullString `db:"job"`
		ScheduledAt       sql.NullInt64  `db:"scheduled_at"`
		Status            OutboxStatus   `db:"status"`
		Attempts          int            `db:"attempts"`
		NextAttemptAt     int64          `db:"next_attempt_at"`
		TelegramMessageID sql.NullInt64  `db:"telegram_message_id"`
		LastError         string         `db:"last_error"`
		CreatedAt         int64          `db:"created_at"`
		SentAt            sql.NullInt64  `db:"sent_at"`
	}
	if err := db.read.SelectContext(ctx, &rows, `
		SELECT id, chat_id, text, parse_mode, reply_markup, photo, document, priority, job, scheduled_at,
			status, attempts, next_attempt_at, telegram_message_id, last_error, created_at, sent_at
		FROM outbox
		WHERE status = 'pending' AND next_attempt_at <= ?
		ORDER BY priority DESC, id
		LIMIT ?`, unix(now), limit); err != nil {
		return nil, fmt.Errorf("list pending messages: %w", classify(err))
	}
	out := make([]OutboxMessage, len(rows))
	for i, r := range rows {
		out[i] = OutboxMessage{
			ID:                r.ID,
			ChatID:            r.ChatID,
			Text:              r.Text,
			ParseMode:         r.ParseMode,
			ReplyMarkup:       r.ReplyMarkup,
			Photo:             r.Photo,
			Document:          r.Document,
			Priority:          r.Priority,
			Job:               r.Job.String,
			ScheduledAt:       fromNullUnix(r.ScheduledAt),
			Status:            r.Status,
			Attempts:          r.Attempts,
			NextAttemptAt:     fromUnix(r.NextAttemptAt),
			TelegramMessageID: int(r.TelegramMessageID.Int64),
			LastError:         r.LastError,
			CreatedAt:         fromUnix(r.CreatedAt),
			SentAt:            fromNullUnix(r.SentAt),
		}
	}
	return out, nil
}
