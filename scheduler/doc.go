// Package scheduler owns the reminders: cron jobs from the YAML, each run
// keyed by (job, scheduled time) and written to the outbox in one
// transaction, caught up after downtime, and skipped on holidays. It is
// built in the scheduler issue; until then it holds only this description,
// so the layout is in place.
package scheduler
