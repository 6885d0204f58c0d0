// Package scheduler owns the reminders: cron jobs from the YAML, each run
// keyed by (job, scheduled time) and written to the outbox in one
// transaction, caught up after downtime, and skipped on holidays. It
// composes what each job says to whom (overdue, due soon, the escalation
// ladder, report requests, the weekly digest and its picture) and applies
// the daily cap and quiet hours.
package scheduler
