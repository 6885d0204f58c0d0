// Package storage owns planbot's database and every line of SQL in the
// program: the schema and its numbered migrations, the plan mirrored from
// YAML (people, sections, items, indicators), the immutable history of
// progress reports and indicator observations, the Telegram updates already
// handled with the poll offset, the inbox of platforms that push each
// event once (WeCom), scheduled job runs, the outbox of messages waiting
// to be sent, and what the conversation keeps between messages: account
// bindings, when each account last wrote, evidence files a platform lends
// only for a while, leave, pending questions and the audit log. Chats and
// accounts are planbot.ChatID and planbot.UserID addresses
// ("telegram:-1001234567"): only the update log is Telegram's own.
//
// It runs on SQLite through sqlx and mattn/go-sqlite3 (cgo). Every
// connection has foreign keys on, WAL and a busy timeout. Writes go through
// a single connection whose transactions start with BEGIN IMMEDIATE, so
// concurrent writers in this process queue instead of failing with
// "database is locked"; queries use a separate pool of read-only
// connections. Instants are stored as UTC unix seconds and returned in UTC;
// calendar dates as 'YYYY-MM-DD'.
//
// # Chat sessions and exactly-once updates
//
// The chat handlers work on a Session: one write transaction, whose methods
// implement planbot.Tx (reads see the session's own writes). HandleUpdate runs
// one Telegram update in one session and, in the same transaction, queues
// its replies and records the update as handled with the next poll offset,
// so after a crash an update has either been applied with all its effects
// or not at all, and it is never applied twice. HandleInbound does the
// same for an event stored in the inbox (StoreInbound) by a platform that
// will not send it again. InSession is the same without an update (the
// console chat).
//
// # Scheduled runs
//
// RunJob runs one scheduled run, keyed by (job, scheduled time to the
// second), at most once across goroutines and processes: recording it
// done, the function's reads and writes, and its messages (stamped with
// the run) go in one transaction, so a run is done with all its messages
// queued, or not recorded at all. SkipJobRun takes a run's key without
// running it; LastJobRun is where catch-up resumes. Read gives the same
// reads in a read-only snapshot, for previews that must write nothing.
//
// # Outbox delivery
//
// A chat has two lanes, its replies and its reminders, each delivered in
// order, one message of the chat in flight at a time (see ClaimBatch); a
// reminder held for quiet hours waits outside both until the scheduler
// composes it again (ReleaseHeld). Delivery is at least once for a message
// in flight when the process dies: the platforms' APIs (Telegram's Bot
// API) have no idempotency key, so RequeueInFlight, at start, sends those
// again. A rare duplicate is preferred to a lost message. Each platform
// has its own sender: the delivery methods take the platform whose chats
// they serve. Enqueue splits a text longer than its chat's platform takes
// (WithTextLimit). AcquireInstanceLock keeps a second planbot off the same
// database file, whatever names it.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// DefaultBusyTimeout is how long a write waits for another process holding
// the database's write lock before it fails with ErrLocked.
const DefaultBusyTimeout = 5 * time.Second

// DB is an open planbot database. It is safe for concurrent use.
type DB struct {
	path    string
	write   *sqlx.DB // one connection: the single writer
	read    *sqlx.DB // several read-only connections
	applied []int
	// textLimits is the longest text a message may have, in UTF-16 units,
	// on each platform given to WithTextLimit (others: DefaultTextLimit).
	textLimits map[string]int

	// file is the file Open opened at path; nil if it could not be
	// stat'ed. A write transaction commits only while path still names it
	// (see checkFile).
	file    os.FileInfo
	sent    *sentLog // nil without a file (see sentlog.go)
	rescue  sync.Once
	saved   string // where rescue saved the data, "" if it could not
	saveErr error
}

// Option changes how Open opens a database.
type Option func(*options)

type options struct {
	busyTimeout time.Duration
	readConns   int
	migrations  fs.FS
	textLimits  map[string]int
}

// DefaultTextLimit is the longest text, in UTF-16 code units, Enqueue puts
// in one message to a chat of a platform WithTextLimit did not name:
// Telegram's limit, the least of the platforms planbot speaks.
const DefaultTextLimit = 4096

// WithTextLimit sets the longest text, in UTF-16 code units, one message
// to a chat of platform may carry: Enqueue splits a longer one
// (planbot.SplitOutbox). 0 or less does not split.
func WithTextLimit(platform string, limit int) Option {
	return func(o *options) {
		if o.textLimits == nil {
			o.textLimits = map[string]int{}
		}
		o.textLimits[platform] = limit
	}
}

// WithBusyTimeout sets how long a write waits for a lock held by another
// process before failing with ErrLocked (default DefaultBusyTimeout).
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) { o.busyTimeout = d }
}

// WithReadConns sets the size of the read pool (default max(4, GOMAXPROCS)).
func WithReadConns(n int) Option {
	return func(o *options) { o.readConns = n }
}

// withMigrations replaces the embedded migrations (tests only).
func withMigrations(fsys fs.FS) Option {
	return func(o *options) { o.migrations = fsys }
}

// Open opens the SQLite database at path, creating it if needed, and
// migrates it to the latest schema this binary knows. It fails with
// ErrSchemaTooNew when the database was migrated by a newer planbot, with
// ErrLocked when another process holds the write lock for longer than the
// busy timeout, and with ErrNoCGO when this binary was built without cgo.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	o := options{
		busyTimeout: DefaultBusyTimeout,
		readConns:   max(4, runtime.GOMAXPROCS(0)),
		migrations:  embeddedMigrations(),
	}
	for _, opt := range opts {
		opt(&o)
	}
	if !cgoEnabled {
		return nil, fmt.Errorf("open database %s: %w", path, ErrNoCGO)
	}
	if err := checkPath(path); err != nil {
		return nil, err
	}
	migs, err := loadMigrations(o.migrations)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}

	write, err := connect(ctx, path, dsn(path, o.busyTimeout, false), 1)
	if err != nil {
		return nil, err
	}
	db := &DB{path: path, write: write, textLimits: o.textLimits}
	if st, err := os.Stat(path); err == nil {
		db.file = st
		db.sent = newSentLog(path)
	}
	if db.applied, err = db.migrate(ctx, migs); err != nil {
		write.Close()
		return nil, err
	}
	if db.read, err = connect(ctx, path, dsn(path, o.busyTimeout, true), max(1, o.readConns)); err != nil {
		write.Close()
		return nil, err
	}
	return db, nil
}

// checkPath turns the usual reasons a database can't be created into an
// error that names the path, before SQLite's terse "unable to open database
// file".
func checkPath(path string) error {
	if path == "" {
		return errors.New("open database: no path given")
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("open database %s: is a directory, not a database file", path)
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("open database %s: directory %s does not exist", path, dir)
	case err != nil:
		return fmt.Errorf("open database %s: %w", path, err)
	case !st.IsDir():
		return fmt.Errorf("open database %s: %s is not a directory", path, dir)
	}
	return nil
}

// dsn builds the go-sqlite3 data source name. The path goes in a file: URI
// so that '?', '#' and '%' in it are not taken for parameters.
func dsn(path string, busy time.Duration, readOnly bool) string {
	q := url.Values{}
	q.Set("_foreign_keys", "1")
	q.Set("_busy_timeout", strconv.FormatInt(busy.Milliseconds(), 10))
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_stmt_cache_size", "64") // re-preparing was a quarter of AddReport
	if readOnly {
		q.Set("_query_only", "1")
		// Half a megabyte of pages per reader, not SQLite's two: the file's
		// pages stay in the system's cache anyway, and four readers' caches
		// were a third of run's resident memory once a view had read the
		// history (issue 15). The writer keeps the default: its pages are
		// the hot ones (outbox, updates).
		q.Set("_cache_size", "-512")
	} else {
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath(), RawQuery: q.Encode()}
	return u.String()
}

// connect opens a pool of at most n connections and checks that one works.
func connect(ctx context.Context, path, dsn string, n int) (*sqlx.DB, error) {
	x, err := sqlx.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	x.SetMaxOpenConns(n)
	x.SetMaxIdleConns(n)
	x.SetConnMaxLifetime(0)
	x.SetConnMaxIdleTime(0)
	if err := x.PingContext(ctx); err != nil {
		x.Close()
		return nil, fmt.Errorf("open database %s: %w", path, classify(err))
	}
	return x, nil
}

// Close closes the database. Pending queries finish first.
func (db *DB) Close() error {
	var errs []error
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.sent != nil {
		errs = append(errs, db.sent.close())
	}
	errs = append(errs, db.write.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close database %s: %w", db.path, err)
	}
	return nil
}

// Path is the file the database was opened from.
func (db *DB) Path() string { return db.path }

// AppliedMigrations lists the schema versions that Open applied, oldest
// first; empty when the database was already up to date.
func (db *DB) AppliedMigrations() []int { return append([]int(nil), db.applied...) }

// inTx runs fn in a write transaction (BEGIN IMMEDIATE on the single write
// connection) and commits it if fn returns nil and ctx has not ended
// (fn's statements run to their end regardless: see txn). If fn fails or
// panics, the transaction is rolled back (a panic is re-raised): the one
// write connection is never left inside a transaction.
func (db *DB) inTx(ctx context.Context, fn func(tx *txn) error) error {
	tx, err := beginTxn(ctx, db.write, "BEGIN IMMEDIATE")
	if err != nil {
		return fmt.Errorf("begin transaction: %w", classify(err))
	}
	done := false
	defer func() {
		if !done {
			tx.end(false)
		}
	}()
	if err := fn(tx); err != nil {
		return classify(err)
	}
	done = true
	if err := ctx.Err(); err != nil {
		// Stopped before the commit: as if the process had stopped there.
		tx.end(false)
		return fmt.Errorf("commit: %w", err)
	}
	if err := db.checkFile(); err != nil {
		tx.end(false)
		return db.rescueVanished(ctx, err)
	}
	if err := tx.end(true); err != nil {
		return classify(err)
	}
	return nil
}

// checkFile fails with ErrVanished when db.path no longer names the file
// Open opened: deleted (rm), moved away, or replaced by another file. The
// open file lives on without a name, so SQLite would commit into it
// happily, and everything written from then on would be gone at the next
// start. It costs one stat per write transaction, checked just before the
// commit.
func (db *DB) checkFile() error {
	if db.file == nil {
		return nil
	}
	st, err := os.Stat(db.path)
	if err == nil && os.SameFile(st, db.file) {
		return nil
	}
	return &vanishedError{path: db.path}
}

// rescueVanished saves, once, what this DB still holds of a vanished file
// beside its old path (VACUUM INTO reads the open file, deleted or not),
// so the year's reports survive an rm; every later vanished error names
// the copy.
func (db *DB) rescueVanished(ctx context.Context, err error) error {
	var v *vanishedError
	if !errors.As(err, &v) {
		return err
	}
	db.rescue.Do(func() {
		for n := 1; n < 100; n++ {
			dest := db.path + ".rescued"
			if n > 1 {
				dest += "." + strconv.Itoa(n)
			}
			if _, statErr := os.Lstat(dest); statErr == nil {
				continue
			}
			if db.saveErr = db.Backup(ctx, dest); db.saveErr == nil {
				db.saved = dest
			}
			return
		}
	})
	v.rescued, v.err = db.saved, db.saveErr
	return v
}

// savepoint runs fn inside a SAVEPOINT of tx: if fn fails, what it wrote is
// undone and the transaction goes on, so a Session method that fails leaves
// the session as it found it.
func savepoint(ctx context.Context, tx *txn, fn func() error) error {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT storage_step`); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rbErr := tx.ExecContext(ctx, `ROLLBACK TO storage_step`); rbErr != nil {
			return errors.Join(err, fmt.Errorf("roll back to savepoint: %w", rbErr))
		}
		if _, rbErr := tx.ExecContext(ctx, `RELEASE storage_step`); rbErr != nil {
			return errors.Join(err, fmt.Errorf("release savepoint: %w", rbErr))
		}
		return err
	}
	_, err := tx.ExecContext(ctx, `RELEASE storage_step`)
	return err
}

// Time conversions: instants are UTC unix seconds in the database.

func unix(t time.Time) int64 { return t.Unix() }

// ceilUnix is the first whole second at or after t: a stored second s is
// >= t exactly when s >= ceilUnix(t), and < t exactly when s < ceilUnix(t).
func ceilUnix(t time.Time) int64 {
	if t.Nanosecond() > 0 {
		return t.Unix() + 1
	}
	return t.Unix()
}

func fromUnix(s int64) time.Time { return time.Unix(s, 0).UTC() }

func nullUnix(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.Unix(), Valid: true}
}

func fromNullUnix(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromUnix(n.Int64)
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

func nullInt(n int64) sql.NullInt64 {
	return sql.NullInt64{Int64: n, Valid: n != 0}
}

// IntegrityCheck runs SQLite's integrity check: nil when the file is
// sound, else an error listing what is wrong (after a full disk, a crash
// or a copy taken mid-write).
func (db *DB) IntegrityCheck(ctx context.Context) error {
	var problems []string
	if err := db.read.SelectContext(ctx, &problems, `PRAGMA integrity_check`); err != nil {
		return fmt.Errorf("integrity check of %s: %w", db.path, err)
	}
	if len(problems) == 1 && problems[0] == "ok" {
		return nil
	}
	return fmt.Errorf("integrity check of %s: %s", db.path, strings.Join(problems, "; "))
}
