package storage

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// ErrInstanceRunning: AcquireInstanceLock found the lock held by another
// planbot (or by this process, through another AcquireInstanceLock).
var ErrInstanceRunning = errors.New("another planbot is already running")

// instanceRunningError says who holds the lock.
type instanceRunningError struct {
	dbPath string
	pid    int // 0 when the holder has not written it (yet)
}

func (e *instanceRunningError) Error() string {
	pid := "pid unknown"
	if e.pid > 0 {
		pid = fmt.Sprintf("pid %d", e.pid)
	}
	return fmt.Sprintf("another planbot (%s) is already running on %s", pid, e.dbPath)
}

func (e *instanceRunningError) Is(target error) bool { return target == ErrInstanceRunning }

// LockPath is the file AcquireInstanceLock locks for the database at dbPath.
func LockPath(dbPath string) string { return dbPath + ".lock" }

// RealPath is the file dbPath names once symbolic links are followed, in
// its final directory, also when the file itself does not exist yet (a
// link to a database still to be created): two names of one database give
// one lock file and one identity file.
func RealPath(dbPath string) (string, error) {
	p := dbPath
	for range 40 {
		st, err := os.Lstat(p)
		if err != nil || st.Mode()&fs.ModeSymlink == 0 {
			break
		}
		target, err := os.Readlink(p)
		if err != nil {
			return "", fmt.Errorf("resolve %s: %w", dbPath, err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		p = target
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(p))
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", dbPath, err)
	}
	abs, err := filepath.Abs(filepath.Join(dir, filepath.Base(p)))
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", dbPath, err)
	}
	return abs, nil
}

// The identity of a database: a random id kept in the database (bot_state)
// and, once `planbot run` has served it, in a small file beside it. A
// database that is missing, empty or another file while the identity file
// names one is how run knows the year's reports were lost (an rm, a
// restore to the wrong place) instead of silently starting on an empty
// file.

const identityKey = "database_id"

// ErrNotThatDatabase: the identity file beside the database names another
// database than the one at the path (or the path holds none).
var ErrNotThatDatabase = errors.New("this is not the database planbot served here")

// IdentityPath is the file that records which database lives at dbPath:
// beside the real file, so that every name of it shares one.
func IdentityPath(dbPath string) string {
	if file, err := RealPath(dbPath); err == nil {
		dbPath = file
	}
	return dbPath + ".id"
}

// RecordedIdentity is the database id recorded beside dbPath; "" when
// none was (a database never served by `planbot run`, or an older one).
func RecordedIdentity(dbPath string) (string, error) {
	b, err := os.ReadFile(IdentityPath(dbPath))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read database identity: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if id, ok := strings.CutPrefix(strings.TrimSpace(line), "database "); ok {
			return strings.TrimSpace(id), nil
		}
	}
	return "", fmt.Errorf("read database identity: %s holds no \"database <id>\" line", IdentityPath(dbPath))
}

// RecordIdentity writes id beside dbPath (replacing what was there).
func RecordIdentity(dbPath, id string, now time.Time) error {
	text := fmt.Sprintf("# planbot: the database that lives at %s (do not edit).\n"+
		"# planbot run refuses to start while that file is missing, empty or another database:\n"+
		"# restore the backup, or start once with -new-db to serve the file that is there now.\n"+
		"database %s\nrecorded %s\n", filepath.Base(dbPath), id, now.UTC().Format(time.RFC3339))
	tmp := IdentityPath(dbPath) + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("record database identity: %w", err)
	}
	if err := os.Rename(tmp, IdentityPath(dbPath)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("record database identity: %w", err)
	}
	return nil
}

// notThatDatabaseError says what was expected and what was found.
type notThatDatabaseError struct {
	path, want, found string // found: "" missing or empty
	staleWAL          bool   // the deleted file's -wal is still there
}

func (e *notThatDatabaseError) Error() string {
	what := "is missing or empty"
	if e.found != "" {
		what = "is another database (" + e.found + ")"
	}
	return fmt.Sprintf("%s %s, but it held database %s (recorded in %s): it was deleted, replaced or never restored.\n"+
		"Restore your latest backup (planbot backup) or the %s.rescued copy planbot saved to %s and start again.\n"+
		"Only to serve the file that is there now (a new, empty database, or an older copy), start once with -new-db.",
		e.path, what, e.want, IdentityPath(e.path), e.path, e.path) + e.walHint()
}

// walHint: SQLite would replay the deleted file's write-ahead log into
// whatever file is restored under its name, and damage it.
func (e *notThatDatabaseError) walHint() string {
	if !e.staleWAL {
		return ""
	}
	return fmt.Sprintf("\nFirst remove %[1]s-wal and %[1]s-shm: they belong to the deleted file and would damage the restored one.", e.path)
}

func (e *notThatDatabaseError) Is(target error) bool { return target == ErrNotThatDatabase }

// CheckPresent fails with ErrNotThatDatabase when an identity is recorded
// beside dbPath but the file is missing or empty. Call it before Open,
// which would create the file.
func CheckPresent(dbPath string) error {
	want, err := RecordedIdentity(dbPath)
	if err != nil || want == "" {
		return err
	}
	st, err := os.Stat(dbPath)
	if errors.Is(err, fs.ErrNotExist) || err == nil && st.Size() == 0 {
		_, walErr := os.Stat(dbPath + "-wal")
		return &notThatDatabaseError{path: dbPath, want: want, staleWAL: walErr == nil}
	}
	return nil
}

// Identity is the database's id, made (and stored) on first use.
func (db *DB) Identity(ctx context.Context) (string, error) {
	id, err := readIdentity(ctx, db.read)
	if err != nil || id != "" {
		return id, err
	}
	b := make([]byte, 16)
	rand.Read(b)
	err = db.inTx(ctx, func(tx *txn) error {
		// Another process may have made one meanwhile: keep the first.
		if _, err := tx.ExecContext(ctx, `INSERT INTO bot_state (name, value, updated_at) VALUES (?, ?, 0)
			ON CONFLICT (name) DO NOTHING`, identityKey, hex.EncodeToString(b)); err != nil {
			return err
		}
		return sqlx.GetContext(ctx, tx, &id, `SELECT value FROM bot_state WHERE name = ?`, identityKey)
	})
	if err != nil {
		return "", fmt.Errorf("make the database identity of %s: %w", db.path, err)
	}
	return id, nil
}

func readIdentity(ctx context.Context, q sqlx.QueryerContext) (string, error) {
	var id string
	err := sqlx.GetContext(ctx, q, &id, `SELECT value FROM bot_state WHERE name = ?`, identityKey)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the database identity: %w", classify(err))
	}
	return id, nil
}

// CheckIdentity fails with ErrNotThatDatabase when an identity is recorded
// beside db's path and db is another database (or has none: a file made
// by another command after the served one was deleted).
func (db *DB) CheckIdentity(ctx context.Context) error {
	want, err := RecordedIdentity(db.path)
	if err != nil || want == "" {
		return err
	}
	have, err := readIdentity(ctx, db.read)
	if err != nil {
		return err
	}
	if have == want {
		return nil
	}
	if have == "" {
		return &notThatDatabaseError{path: db.path, want: want}
	}
	return &notThatDatabaseError{path: db.path, want: want, found: have}
}
