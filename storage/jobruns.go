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
	// JobRunning and JobFailed are written by nothing today: an older
	// version claimed a run before running it, and recorded its failure.
	JobRunning JobStatus = "running"
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

// The scheduler's API. RunJob records a run and writes its effects in one
// transaction, so a run is either done, with all its messages queued, or
// absent; there is no "running" state to recover after a crash. Running
// and failed runs are only in databases written by older versions.

// RunJob runs the run of job scheduled at scheduledAt at most once, across
// goroutines and across processes sharing the database. In one write
// transaction it records the run as done (started and finished at now),
// calls fn, queues the messages fn returns, each stamped with the run (Job
// and ScheduledAt; a zero CreatedAt is now), and commits. If the run was
// already recorded, whatever its status (done, skipped, or an older
// version's failed or running), it returns false without calling fn. Run keys are kept
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
// returned (wrapping fn's): the run stays free and may be tried again.
func (db *DB) RunJob(ctx context.Context, job string, scheduledAt, now time.Time,
	fn func(planbot.Tx) ([]OutboxMessage, error)) (ran bool, err error) {
	err = checkRunKey(job, scheduledAt)
	if err == nil {
		err = db.inTx(ctx, func(tx *txn) error {
			inserted, err := insertJobRun(ctx, tx, job, scheduledAt, now, JobDone, "", "")
			if err != nil || !inserted {
				return err
			}
			s := &Session{tx: tx, db: db, now: now, job: job, scheduledAt: scheduledAt}
			msgs, err := fn(s)
			if err != nil {
				return err
			}
			if err := db.enqueue(ctx, tx, now, s.stamp(msgs)); err != nil {
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

func (db *DB) recordJobRun(ctx context.Context, job string, scheduledAt, now time.Time, status JobStatus, errText, reason string) (bool, error) {
	if err := checkRunKey(job, scheduledAt); err != nil {
		return false, err
	}
	var ok bool
	err := db.inTx(ctx, func(tx *txn) error {
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
func insertJobRun(ctx context.Context, tx *txn, job string, scheduledAt, now time.Time, status JobStatus, errText, reason string) (bool, error) {
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
