package storage

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"planbot"
)

// Test helpers for what the live API no longer writes or hands out one at
// a time: runs left running or failed, and messages given up on as
// uncertain, are only in databases written by older versions, and the
// live code must still treat them right.

// claimOne is ClaimBatch of Telegram's chats for one message: ok is false
// when nothing can go.
func (db *DB) claimOne(ctx context.Context, now time.Time, skip func(planbot.ChatID) bool) (OutboxMessage, bool, error) {
	ms, err := db.ClaimBatch(ctx, tg, now, 1, skip)
	if err != nil || len(ms) == 0 {
		return OutboxMessage{}, false, err
	}
	return ms[0], true, nil
}

// jobRunAt returns the run of job scheduled at scheduledAt, if recorded.
func (db *DB) jobRunAt(ctx context.Context, job string, scheduledAt time.Time) (JobRun, bool, error) {
	var row jobRunRow
	err := db.read.GetContext(ctx, &row, `
		SELECT `+jobRunColumns+`
		FROM job_runs WHERE job = ? AND scheduled_at = ?`, job, unix(scheduledAt))
	if errors.Is(err, sql.ErrNoRows) {
		return JobRun{}, false, nil
	}
	if err != nil {
		return JobRun{}, false, classify(err)
	}
	return row.run(), true, nil
}

// oldRun records a run as an older version did: running (claimed, never
// finished) or failed with errText, finished at now.
func (db *DB) oldRun(ctx context.Context, job string, scheduledAt, now time.Time, status JobStatus, errText string) error {
	finished := sql.NullInt64{Int64: unix(now), Valid: status != JobRunning}
	_, err := db.write.ExecContext(ctx, `
		INSERT INTO job_runs (job, scheduled_at, status, started_at, finished_at, error)
		VALUES (?, ?, ?, ?, ?, ?)`, job, unix(scheduledAt), status, unix(now), finished, errText)
	return err
}

// markUncertain gives up on claimed message id as an older version's
// sender did, not knowing whether it was delivered.
func (db *DB) markUncertain(ctx context.Context, id int64, errText string, now time.Time) error {
	return db.settle(ctx, "mark uncertain", id,
		`status = 'uncertain', last_error = ?, given_up_at = ?, file_data = NULL`,
		truncate(errText, maxErrorText), unix(now))
}
