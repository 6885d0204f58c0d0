package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// JobStatus is the state of a job run.
type JobStatus string

const (
	JobRunning JobStatus = "running" // claimed, not finished (or the process died)
	JobDone    JobStatus = "done"
	JobFailed  JobStatus = "failed"
)

// JobRun is one run of a scheduled job, keyed by (Job, ScheduledAt).
type JobRun struct {
	Job         string
	ScheduledAt time.Time
	Status      JobStatus
	StartedAt   time.Time
	FinishedAt  time.Time // zero while running
	Error       string
}

// ClaimJobRun records that the run of job scheduled at scheduledAt has
// started. It returns false, and changes nothing, if that run was already
// claimed, by this process or any other, whatever its status. Times are
// kept to the second.
func (db *DB) ClaimJobRun(ctx context.Context, job string, scheduledAt, now time.Time) (bool, error) {
	var claimed bool
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO job_runs (job, scheduled_at, status, started_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (job, scheduled_at) DO NOTHING`,
			job, unix(scheduledAt), JobRunning, unix(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim run of %s at %s: %w", job, scheduledAt.UTC().Format(time.RFC3339), err)
	}
	return claimed, nil
}

// CompleteJobRun marks a claimed run done and enqueues the messages it
// produced, in one transaction: a run's messages are queued exactly when
// the run is recorded done. Each message's Job and ScheduledAt are set to
// the run's. It fails with ErrNotFound if the run was never claimed and
// with ErrConflict if it already finished.
func (db *DB) CompleteJobRun(ctx context.Context, job string, scheduledAt, now time.Time, msgs ...OutboxMessage) error {
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := finishJobRun(ctx, tx, job, scheduledAt, now, JobDone, ""); err != nil {
			return err
		}
		own := make([]OutboxMessage, len(msgs))
		for i, m := range msgs {
			m.Job, m.ScheduledAt = job, scheduledAt
			own[i] = m
		}
		return enqueue(ctx, tx, now, own)
	})
	if err != nil {
		return fmt.Errorf("complete run of %s at %s: %w", job, scheduledAt.UTC().Format(time.RFC3339), err)
	}
	return nil
}

// FailJobRun marks a claimed run failed with runErr's message. A failed run
// stays claimed: ClaimJobRun will not hand it out again.
func (db *DB) FailJobRun(ctx context.Context, job string, scheduledAt, now time.Time, runErr error) error {
	msg := "failed"
	if runErr != nil {
		msg = runErr.Error()
	}
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		return finishJobRun(ctx, tx, job, scheduledAt, now, JobFailed, msg)
	})
	if err != nil {
		return fmt.Errorf("fail run of %s at %s: %w", job, scheduledAt.UTC().Format(time.RFC3339), err)
	}
	return nil
}

func finishJobRun(ctx context.Context, tx *sqlx.Tx, job string, scheduledAt, now time.Time, status JobStatus, msg string) error {
	res, err := tx.ExecContext(ctx, `
		UPDATE job_runs SET status = ?, finished_at = ?, error = ?
		WHERE job = ? AND scheduled_at = ? AND status = ?`,
		status, unix(now), msg, job, unix(scheduledAt), JobRunning)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var cur JobStatus
	err = tx.GetContext(ctx, &cur, `SELECT status FROM job_runs WHERE job = ? AND scheduled_at = ?`, job, unix(scheduledAt))
	if errors.Is(err, sql.ErrNoRows) {
		return errorf(ErrNotFound, "the run was never claimed")
	}
	if err != nil {
		return err
	}
	return errorf(ErrConflict, "the run already finished (%s)", cur)
}

type jobRunRow struct {
	Job         string        `db:"job"`
	ScheduledAt int64         `db:"scheduled_at"`
	Status      JobStatus     `db:"status"`
	StartedAt   int64         `db:"started_at"`
	FinishedAt  sql.NullInt64 `db:"finished_at"`
	Error       string        `db:"error"`
}

func (r jobRunRow) run() JobRun {
	return JobRun{
		Job:         r.Job,
		ScheduledAt: fromUnix(r.ScheduledAt),
		Status:      r.Status,
		StartedAt:   fromUnix(r.StartedAt),
		FinishedAt:  fromNullUnix(r.FinishedAt),
		Error:       r.Error,
	}
}

// UnfinishedJobRuns lists runs claimed but neither completed nor failed,
// oldest first: at start, with no other instance running, these are runs
// cut short by a crash, to be run again and completed.
func (db *DB) UnfinishedJobRuns(ctx context.Context) ([]JobRun, error) {
	var rows []jobRunRow
	if err := db.read.SelectContext(ctx, &rows, `
		SELECT job, scheduled_at, status, started_at, finished_at, error
		FROM job_runs WHERE status = ? ORDER BY scheduled_at, job`, JobRunning); err != nil {
		return nil, fmt.Errorf("list unfinished job runs: %w", classify(err))
	}
	out := make([]JobRun, len(rows))
	for i, r := range rows {
		out[i] = r.run()
	}
	return out, nil
}

// JobRunAt returns the run of job scheduled at scheduledAt, if claimed.
func (db *DB) JobRunAt(ctx context.Context, job string, scheduledAt time.Time) (JobRun, bool, error) {
	var row jobRunRow
	err := db.read.GetContext(ctx, &row, `
		SELECT job, scheduled_at, status, started_at, finished_at, error
		FROM job_runs WHERE job = ? AND scheduled_at = ?`, job, unix(scheduledAt))
	if errors.Is(err, sql.ErrNoRows) {
		return JobRun{}, false, nil
	}
	if err != nil {
		return JobRun{}, false, fmt.Errorf("look up run of %s at %s: %w", job, scheduledAt.UTC().Format(time.RFC3339), classify(err))
	}
	return row.run(), true, nil
}
