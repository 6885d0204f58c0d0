package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOpenSmoke is the smoke test PITFALLS asks for: a binary built with
// CGO_ENABLED=0 compiles but fails here, with ErrNoCGO.
func TestOpenSmoke(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != KnownSchemaVersion() || v < 1 {
		t.Fatalf("schema version %d, want %d", v, KnownSchemaVersion())
	}
	// Write through the write pool, read back through the read pool.
	if _, err := db.SkipJobRun(ctx, "digest", t0, t0, "holiday"); err != nil {
		t.Fatal(err)
	}
	run, ok, err := db.jobRunAt(ctx, "digest", t0)
	if err != nil || !ok || run.Status != JobSkipped || !run.ScheduledAt.Equal(t0) {
		t.Fatalf("jobRunAt = %+v, %v, %v", run, ok, err)
	}
}

// Every connection, read or write, must have the pragmas of the DSN:
// pragmas set with Exec would apply to one pooled connection only.
func TestConnectionPragmas(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, WithReadConns(3))
	check := func(pool string, q interface {
		GetContext(context.Context, any, string, ...any) error
	}) {
		for pragma, want := range map[string]string{
			"foreign_keys": "1", "journal_mode": "wal", "synchronous": "1", "busy_timeout": "5000",
		} {
			var got string
			if err := q.GetContext(ctx, &got, "PRAGMA "+pragma); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", pool, pragma, err)
			}
			if got != want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", pool, pragma, got, want)
			}
		}
	}
	check("write", db.write)
	// Hold two read connections busy so the third is a fresh one.
	c1, err := db.read.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, err := db.read.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	check("read conn 1", c1)
	check("read conn 2", c2)
	check("read pool", db.read)

	if db.write.Stats().MaxOpenConnections != 1 {
		t.Errorf("write pool allows %d connections, want 1", db.write.Stats().MaxOpenConnections)
	}
	// The read pool cannot write.
	if _, err := db.read.ExecContext(ctx, `INSERT INTO bot_state (name, value, updated_at) VALUES ('x', 'y', 0)`); err == nil {
		t.Error("a write through the read pool succeeded")
	}
}

func TestOpenBadPath(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("this is not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"missing directory", filepath.Join(dir, "nope", "planbot.db"), "does not exist"},
		{"a directory", dir, "is a directory"},
		{"not a database", notDB, "not a database"},
		{"empty", "", "no path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := Open(ctx, tc.path)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded", tc.path)
			}
			if !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open(%q) = %q; want the path and %q", tc.path, err, tc.want)
			}
		})
	}
}

// A path with characters that mean something in a URI still opens the
// file it names.
func TestOpenPathWithURICharacters(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "a dir?x=1#frag%20")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "plan bot.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SkipJobRun(ctx, "j", t0, t0, "x"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not created at %s: %v", path, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "plan bot.db") {
			t.Errorf("stray file %q next to the database", e.Name())
		}
	}
}

// A second process opening an up-to-date database while the first holds
// the write lock gets in (reading needs no write lock: `planbot backup` or
// `status` next to a busy bot), and its writes get ErrLocked after the busy
// timeout, not a hang. Once the lock is released, they go through.
func TestOpenLocked(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	first, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	tx, err := first.write.BeginTxx(ctx, nil) // BEGIN IMMEDIATE: holds the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()

	second, err := Open(ctx, path, WithBusyTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatalf("Open of an up-to-date database while another holds the write lock: %v", err)
	}
	defer second.Close()
	if _, err := second.Offset(ctx); err != nil {
		t.Errorf("a read while another holds the write lock: %v", err)
	}
	start := time.Now()
	err = second.RecordUpdate(ctx, 1, 2, time.Now())
	elapsed := time.Since(start)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("a write while another holds the write lock: %v; want ErrLocked", err)
	}
	if elapsed > 3*time.Second {
		t.Errorf("the write took %v with a 50ms busy timeout", elapsed)
	}

	tx.Rollback()
	if err := second.RecordUpdate(ctx, 1, 2, time.Now()); err != nil {
		t.Errorf("a write after the lock was released: %v", err)
	}
}

// Writes from another handle on the same file (another process) also report
// ErrLocked, not a bare driver error.
func TestWriteLockedByOtherHandle(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	first, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := Open(ctx, path, WithBusyTimeout(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	tx, err := first.write.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	_, err = second.SkipJobRun(ctx, "digest", t0, t0, "x")
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("SkipJobRun while locked = %v; want ErrLocked", err)
	}
	// Reads are not blocked by a writer in WAL mode.
	if _, err := second.Offset(ctx); err != nil {
		t.Errorf("read while another handle writes: %v", err)
	}
}
