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

// Upload limits: the least of the platforms' (Telegram's), as
// planbot.OutboxMessage documents them.
const (
	maxPictureUpload = 10 << 20
	maxFileUpload    = 50 << 20
)

// Enqueue adds messages to the outbox as pending, all or none. ID, Status,
// Attempts, SentMessageID, LastError, SentAt and GivenUpAt are ignored.
// A zero CreatedAt is the current time; a zero NextAttemptAt is CreatedAt.
// A text longer than its chat's platform takes (WithTextLimit) is queued
// as several messages (planbot.SplitOutbox). It fails with ErrInvalid for
// a message the sender could not send.
func (db *DB) Enqueue(ctx context.Context, msgs ...OutboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	err := db.inTx(ctx, func(tx *txn) error {
		return db.enqueue(ctx, tx, time.Now(), msgs)
	})
	if err != nil {
		return fmt.Errorf("enqueue %d messages: %w", len(msgs), err)
	}
	return nil
}

// textLimit is the longest text one message to a chat of platform takes.
func (db *DB) textLimit(platform string) int {
	if n, ok := db.textLimits[platform]; ok {
		return n
	}
	return DefaultTextLimit
}

func (db *DB) enqueue(ctx context.Context, tx *txn, now time.Time, msgs []OutboxMessage) error {
	for i, whole := range msgs {
		for _, m := range planbot.SplitOutbox(whole, db.textLimit(whole.ChatID.Platform())) {
			if err := insertMessage(ctx, tx, now, m); err != nil {
				return fmt.Errorf("message %d to chat %q: %w", i+1, m.ChatID, err)
			}
		}
	}
	return nil
}

// insertMessage checks m and adds it to the outbox as pending.
func insertMessage(ctx context.Context, tx *txn, now time.Time, m OutboxMessage) error {
	if m.Method == "" {
		m.Method = MethodSend
	}
	if err := checkMessage(m); err != nil {
		return err
	}
	buttons, err := encodeButtons(m.Buttons)
	if err != nil {
		return err
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
	_, err = tx.ExecContext(ctx, `
		INSERT INTO outbox (method, chat_id, text, buttons, edit_message_id, press_id, reply_ref,
			attachment, file_name, file_data, priority,
			job, scheduled_at, held, status, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.Method, m.ChatID, m.Text, buttons, nullInt(int64(m.EditMessageID)), nullString(m.PressID), m.ReplyRef,
		m.Attachment, nullString(m.FileName), data, m.Priority,
		job, scheduled, m.Held, OutboxPending, ceilUnix(next), unix(created))
	return err
}

// checkMessage refuses what the sender could not send. m.Method is set.
func checkMessage(m OutboxMessage) error {
	switch {
	case m.ChatID == "":
		return errorf(ErrInvalid, "no chat id")
	case m.ChatID.Platform() == "" || m.ChatID.Local() == "":
		// No platform's sender would ever claim it, or find the chat.
		return errorf(ErrInvalid, "chat id %q is not a platform's chat", m.ChatID)
	case (m.Job == "") != m.ScheduledAt.IsZero():
		return errorf(ErrInvalid, "a job run needs both a job name and a scheduled time")
	case m.Held && (m.Job == "" || m.Method == MethodAnswer):
		return errorf(ErrInvalid, "only a job run's message can be held")
	case (m.Attachment != planbot.AttachNone || m.FileName != "" || len(m.FileData) > 0) && m.Method != MethodSend:
		return errorf(ErrInvalid, "only a sent message can carry a file")
	case m.Method != MethodEdit && m.EditMessageID != 0:
		return errorf(ErrInvalid, "a message id to edit in a %s", m.Method)
	case m.Method != MethodAnswer && m.PressID != "":
		return errorf(ErrInvalid, "a button press to answer in a %s", m.Method)
	}
	switch m.Method {
	case MethodSend:
		return checkSend(m)
	case MethodEdit:
		switch {
		case m.EditMessageID <= 0:
			return errorf(ErrInvalid, "an edit without a message id")
		case m.Text == "":
			return errorf(ErrInvalid, "an edit without text")
		}
	case MethodAnswer:
		switch {
		case m.PressID == "":
			return errorf(ErrInvalid, "an answer without a button press")
		case m.Buttons != nil:
			return errorf(ErrInvalid, "an answer carries only a text")
		}
	default:
		return errorf(ErrInvalid, "unknown method %q", m.Method)
	}
	return nil
}

// checkSend refuses a send the sender could not make: the bot uploads
// every file it sends (it never sends one again by a platform's id), so an
// attachment comes with its data and name.
func checkSend(m OutboxMessage) error {
	switch m.Attachment {
	case planbot.AttachNone:
		switch {
		case m.Text == "":
			return errorf(ErrInvalid, "nothing to send")
		case len(m.FileData) > 0 || m.FileName != "":
			return errorf(ErrInvalid, "an upload that is neither a picture nor a file")
		}
		return nil
	case planbot.AttachPicture, planbot.AttachFile:
	default:
		return errorf(ErrInvalid, "unknown attachment %q", m.Attachment)
	}
	switch {
	case len(m.FileData) == 0:
		return errorf(ErrInvalid, "a %s without file data", m.Attachment)
	case m.FileName == "":
		return errorf(ErrInvalid, "an upload without a file name")
	case m.Attachment == planbot.AttachPicture && len(m.FileData) > maxPictureUpload:
		return errorf(ErrInvalid, "picture upload of %d bytes is over 10 MiB", len(m.FileData))
	case len(m.FileData) > maxFileUpload:
		return errorf(ErrInvalid, "upload of %d bytes is over 50 MiB", len(m.FileData))
	}
	return nil
}

// button is a planbot.Button as the outbox stores it, in JSON of our own
// (not any platform's markup), so that a row reads the same whichever
// adapter draws it.
type button struct {
	Text string `json:"text"`
	Data string `json:"data"`
}

// encodeButtons is k as the outbox's buttons column: [[{"text","data"}]],
// row by row; "" for no buttons (nil or no rows).
func encodeButtons(k planbot.Keyboard) (string, error) {
	if len(k) == 0 {
		return "", nil
	}
	rows := make([][]button, len(k))
	for i, row := range k {
		rows[i] = make([]button, len(row)) // an empty row is [], not null
		for j, b := range row {
			rows[i][j] = button(b)
		}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return "", fmt.Errorf("encode buttons: %w", err)
	}
	return string(b), nil
}

// decodeButtons reads the buttons column back; "" is nil.
func decodeButtons(s string) (planbot.Keyboard, error) {
	if s == "" {
		return nil, nil
	}
	var rows [][]button
	if err := json.Unmarshal([]byte(s), &rows); err != nil {
		return nil, fmt.Errorf("decode buttons: %w", err)
	}
	k := make(planbot.Keyboard, len(rows))
	for i, row := range rows {
		k[i] = make([]planbot.Button, len(row))
		for j, b := range row {
			k[i][j] = planbot.Button(b)
		}
	}
	return k, nil
}

// outboxColumns are what listings read: every column but file_data.
const outboxColumns = `id, method, chat_id, text, buttons, edit_message_id, press_id, reply_ref,
	attachment, file_name, priority, job, scheduled_at, held,
	status, attempts, next_attempt_at, sent_message_id, last_error, created_at, sent_at, given_up_at`

type outboxRow struct {
	ID            int64              `db:"id"`
	Method        OutboxMethod       `db:"method"`
	ChatID        planbot.ChatID     `db:"chat_id"`
	Text          string             `db:"text"`
	Buttons       string             `db:"buttons"`
	EditMessageID sql.NullInt64      `db:"edit_message_id"`
	PressID       sql.NullString     `db:"press_id"`
	ReplyRef      string             `db:"reply_ref"`
	Attachment    planbot.Attachment `db:"attachment"`
	FileName      sql.NullString     `db:"file_name"`
	FileData      []byte             `db:"file_data"`
	Priority      int                `db:"priority"`
	Job           sql.NullString     `db:"job"`
	ScheduledAt   sql.NullInt64      `db:"scheduled_at"`
	Held          bool               `db:"held"`
	Status        OutboxStatus       `db:"status"`
	Attempts      int                `db:"attempts"`
	NextAttemptAt int64              `db:"next_attempt_at"`
	SentMessageID sql.NullInt64      `db:"sent_message_id"`
	LastError     string             `db:"last_error"`
	CreatedAt     int64              `db:"created_at"`
	SentAt        sql.NullInt64      `db:"sent_at"`
	GivenUpAt     sql.NullInt64      `db:"given_up_at"`
}

func (r *outboxRow) message() (OutboxMessage, error) {
	buttons, err := decodeButtons(r.Buttons)
	if err != nil {
		return OutboxMessage{}, fmt.Errorf("message %d: %w", r.ID, err)
	}
	return OutboxMessage{
		ID:            r.ID,
		Method:        r.Method,
		ChatID:        r.ChatID,
		Text:          r.Text,
		Buttons:       buttons,
		EditMessageID: int(r.EditMessageID.Int64),
		PressID:       r.PressID.String,
		ReplyRef:      r.ReplyRef,
		Attachment:    r.Attachment,
		FileName:      r.FileName.String,
		FileData:      r.FileData,
		Priority:      r.Priority,
		Job:           r.Job.String,
		ScheduledAt:   fromNullUnix(r.ScheduledAt),
		Held:          r.Held,
		Status:        r.Status,
		Attempts:      r.Attempts,
		NextAttemptAt: fromUnix(r.NextAttemptAt),
		SentMessageID: int(r.SentMessageID.Int64),
		LastError:     r.LastError,
		CreatedAt:     fromUnix(r.CreatedAt),
		SentAt:        fromNullUnix(r.SentAt),
		GivenUpAt:     fromNullUnix(r.GivenUpAt),
	}, nil
}

func messages(rows []outboxRow) ([]OutboxMessage, error) {
	out := make([]OutboxMessage, len(rows))
	for i := range rows {
		m, err := rows[i].message()
		if err != nil {
			return nil, err
		}
		out[i] = m
	}
	return out, nil
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
	if err := db.read.SelectContext(ctx, &rows, pendingMessages, unix(now), limit); err != nil {
		return nil, fmt.Errorf("list pending messages: %w", classify(err))
	}
	out, err := messages(rows)
	if err != nil {
		return nil, fmt.Errorf("list pending messages: %w", err)
	}
	return out, nil
}

// pendingMessages is PendingMessages' query: now, then limit.
const pendingMessages = `
	SELECT ` + outboxColumns + ` FROM outbox
	WHERE id IN (` + unsentIDs + `) AND status = 'pending' AND next_attempt_at <= ?
	ORDER BY priority DESC, id
	LIMIT ?`

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
	err := db.inTx(ctx, func(tx *txn) error {
		released = 0
		var rows []struct {
			ID          int64          `db:"id"`
			ChatID      planbot.ChatID `db:"chat_id"`
			Job         string         `db:"job"`
			ScheduledAt int64          `db:"scheduled_at"`
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
		seen := map[key]map[planbot.ChatID]bool{}
		var ids []int64
		for _, r := range rows {
			ids = append(ids, r.ID)
			k := key{r.Job, r.ScheduledAt}
			run := byKey[k]
			if run == nil {
				run = &HeldRun{Job: r.Job, ScheduledAt: fromUnix(r.ScheduledAt)}
				byKey[k], seen[k] = run, map[planbot.ChatID]bool{}
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
			if err := db.enqueue(ctx, tx, now, s.stamp(msgs)); err != nil {
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
