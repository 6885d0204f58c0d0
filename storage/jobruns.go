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

// JobStatus is the state of a job run.
type JobStatus string

const (
	JobRunning JobStatus = "running" // claimed, not finished (or the process died)
	JobDone    JobStatus = "done"
	JobFailed  JobStatus = "failed"
	// JobSkipped: recorded by SkipJobRun (a holiday, a run too late to
	// catch up); it never ran and never will.
	JobSkipped JobStatus = "skipped"
)

// JobRun is one run of a scheduled job, keyed by (Job, ScheduledAt).
type JobRun struct {
	Job         string
	ScheduledAt time.Time
	Status      JobStatus
	StartedAt   time.Time
	FinishedAt  time.Time // zero while running
	Error       string    // why a failed run failed
	Reason      string    // why a skipped run was skipped
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

const jobRunColumns = `job, scheduled_at, status, started_at, finished_at, error, reason`

type jobRunRow struct {
	Job         string        `db:"job"`
	ScheduledAt int64         `db:"scheduled_at"`
	Status      JobStatus     `db:"status"`
	StartedAt   int64         `db:"started_at"`
	FinishedAt  sql.NullInt64 `db:"finished_at"`
	Error       string        `db:"error"`
	Reason      string        `db:"reason"`
}

func (r jobRunRow) run() JobRun {
	return JobRun{
		Job:         r.Job,
		ScheduledAt: fromUnix(r.ScheduledAt),
		Status:      r.Status,
		StartedAt:   fromUnix(r.StartedAt),
		FinishedAt:  fromNullUnix(r.FinishedAt),
		Error:       r.Error,
		Reason:      r.Reason,
	}
}

// UnfinishedJobRuns lists runs claimed but neither completed nor failed,
// oldest first: at start, with no other instance running, these are runs
// cut short by a crash, to be run again and completed.
func (db *DB) UnfinishedJobRuns(ctx context.Context) ([]JobRun, error) {
	var rows []jobRunRow
	if err := db.read.SelectContext(ctx, &rows, `
		SELECT `+jobRunColumns+`
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
		SELECT `+jobRunColumns+`
		FROM job_runs WHERE job = ? AND scheduled_at = ?`, job, unix(scheduledAt))
	if errors.Is(err, sql.ErrNoRows) {
		return JobRun{}, false, nil
	}
	if err != nil {
		return JobRun{}, false, fmt.Errorf("look up run of %s at %s: %w", job, scheduledAt.UTC().Format(time.RFC3339), classify(err))
	}
	return row.run(), true, nil
}

// The scheduler's API. RunJob records a run and writes its effects in one
// transaction, so a run is either done, with all its messages queued, or
// absent; there is no "running" state to recover after a crash. ClaimJobRun,
// CompleteJobRun and FailJobRun are the older two-step API: both share the
// (job, scheduled_at) key, so don't mix them for one job.

// RunJob runs the run of job scheduled at scheduledAt at most once, across
// goroutines and across processes sharing the database. In one write
// transaction it records the run as done (started and finished at now),
// calls fn, queues the messages fn returns, each stamped with the run (Job
// and ScheduledAt; a zero CreatedAt is now), and commits. If the run was
// already recorded, whatever its status (done, skipped, failed, or claimed
// with ClaimJobRun), it returns false without calling fn. Run keys are kept
// to the second: two scheduled times within one second are the same run.
//
// fn sees a consistent snapshot: the transaction holds the database's write
// lock from its first statement, so nobody else writes until it commits.
// Messages fn queues itself with Session.Enqueue are stamped with the run
// too. While fn runs it holds the only write connection: it must use the
// Session, never the DB's write methods (they would wait forever), and it
// should be quick: another process's writes wait at most its busy timeout
// (DefaultBusyTimeout) before failing with ErrLocked.
//
// If fn fails or panics, or a message is invalid (ErrInvalid), or the
// commit fails, nothing is written, not even the run, and the error is
// returned (wrapping fn's): the run stays free and may be tried again. A
// caller that gives up on a run should record it with RecordJobFailure,
// or every catch-up will try it again.
func (db *DB) RunJob(ctx context.Context, job string, scheduledAt, now time.Time,
	fn func(planbot.Tx) ([]OutboxMessage, error)) (ran bool, err error) {
	err = checkRunKey(job, scheduledAt)
	if err == nil {
		err = db.inTx(ctx, func(tx *sqlx.Tx) error {
			inserted, err := insertJobRun(ctx, tx, job, scheduledAt, now, JobDone, "", "")
			if err != nil || !inserted {
				return err
			}
			s := &Session{tx: tx, db: db, now: now, job: job, scheduledAt: scheduledAt}
			msgs, err := fn(s)
			if err != nil {
				return err
			}
			if err := enqueue(ctx, tx, now, s.stamp(msgs)); err != nil {
				return fmt.Errorf("queue its messages: %w", err)
			}
			ran = true
			return nil
		})
	}
	if err != nil {
		return false, fmt.Errorf("run %s at %s: %w", job, runTime(scheduledAt), err)
	}
	return ran, nil
}

// SkipJobRun records the run of job scheduled at scheduledAt as skipped,
// with reason (cut to 1 KiB), so that it is never run: a holiday, or a run
// missed during downtime and too old to catch up. It returns false, and
// changes nothing, if the run was already recorded, whatever its status.
func (db *DB) SkipJobRun(ctx context.Context, job string, scheduledAt, now time.Time, reason string) (bool, error) {
	ok, err := db.recordJobRun(ctx, job, scheduledAt, now, JobSkipped, "", truncate(reason, maxErrorText))
	if err != nil {
		return false, fmt.Errorf("skip run of %s at %s: %w", job, runTime(scheduledAt), err)
	}
	return ok, nil
}

// RecordJobFailure records the run of job scheduled at scheduledAt as
// failed with runErr's message (cut to 1 KiB), so that it is not tried
// again: for a run whose RunJob keeps failing. It returns false, and
// changes nothing, if the run was already recorded, whatever its status.
func (db *DB) RecordJobFailure(ctx context.Context, job string, scheduledAt, now time.Time, runErr error) (bool, error) {
	msg := "failed"
	if runErr != nil {
		msg = runErr.Error()
	}
	ok, err := db.recordJobRun(ctx, job, scheduledAt, now, JobFailed, truncate(msg, maxErrorText), "")
	if err != nil {
		return false, fmt.Errorf("record failed run of %s at %s: %w", job, runTime(scheduledAt), err)
	}
	return ok, nil
}

func (db *DB) recordJobRun(ctx context.Context, job string, scheduledAt, now time.Time, status JobStatus, errText, reason string) (bool, error) {
	if err := checkRunKey(job, scheduledAt); err != nil {
		return false, err
	}
	var ok bool
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		ok, err = insertJobRun(ctx, tx, job, scheduledAt, now, status, errText, reason)
		return err
	})
	return ok, err
}

func checkRunKey(job string, scheduledAt time.Time) error {
	switch {
	case job == "":
		return errorf(ErrInvalid, "no job name")
	case scheduledAt.IsZero():
		return errorf(ErrInvalid, "no scheduled time")
	}
	return nil
}

// insertJobRun records a finished run (finished at now) unless its key is
// taken, and says whether it did.
func insertJobRun(ctx context.Context, tx *sqlx.Tx, job string, scheduledAt, now time.Time, status JobStatus, errText, reason string) (bool, error) {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO job_runs (job, scheduled_at, status, started_at, finished_at, error, reason)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (job, scheduled_at) DO NOTHING`,
		job, unix(scheduledAt), status, unix(now), unix(now), errText, reason)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func runTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// LastJobRun returns the run of job with the latest scheduled time,
// whatever its status (done, skipped, failed or running): where catch-up
// after downtime starts from. ok is false when job never ran.
func (db *DB) LastJobRun(ctx context.Context, job string) (JobRun, bool, error) {
	var row jobRunRow
	err := db.read.GetContext(ctx, &row, `
		SELECT `+jobRunColumns+` FROM job_runs WHERE job = ?
		ORDER BY scheduled_at DESC LIMIT 1`, job)
	if errors.Is(err, sql.ErrNoRows) {
		return JobRun{}, false, nil
	}
	if err != nil {
		return JobRun{}, false, fmt.Errorf("last run of %s: %w", job, classify(err))
	}
	return row.run(), true, nil
}

// LastScheduled is the scheduled time of LastJobRun: what the scheduler
// resumes from.
func (db *DB) LastScheduled(ctx context.Context, job string) (time.Time, bool, error) {
	run, ok, err := db.LastJobRun(ctx, job)
	return run.ScheduledAt, ok, err
}

// JobRuns lists up to limit runs of job, whatever their status, newest
// (latest scheduled) first.
func (db *DB) JobRuns(ctx context.Context, job string, limit int) ([]JobRun, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("list runs of %s: %w", job, errorf(ErrInvalid, "limit %d is not positive", limit))
	}
	var rows []jobRunRow
	if err := db.read.SelectContext(ctx, &rows, `
		SELECT `+jobRunColumns+` FROM job_runs WHERE job = ?
		ORDER BY scheduled_at DESC LIMIT ?`, job, limit); err != nil {
		return nil, fmt.Errorf("list runs of %s: %w", job, classify(err))
	}
	out := make([]JobRun, len(rows))
	for i, r := range rows {
		out[i] = r.run()
	}
	return out, nil
}

// lastRunAt is the scheduled time of the latest done run of job, only
// among runs scheduled before before when before is not zero.
func lastRunAt(ctx context.Context, q sqlx.QueryerContext, job string, before time.Time) (time.Time, bool, error) {
	query := `SELECT scheduled_at FROM job_runs WHERE job = ? AND status = 'done'`
	args := []any{job}
	if !before.IsZero() {
		query += ` AND scheduled_at < ?`
		args = append(args, unix(before))
	}
	var at int64
	err := sqlx.GetContext(ctx, q, &at, query+` ORDER BY scheduled_at DESC LIMIT 1`, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("last done run of %s: %w", job, classify(err))
	}
	return fromUnix(at), true, nil
}
