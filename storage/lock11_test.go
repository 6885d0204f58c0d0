//go:build unix

package storage

// Issue #11: a lock another program holds and a file deleted under the
// running DB are outages (ErrUnwritable), never the write's fault; the
// instance lock follows the real file; the identity beside a database
// tells run that the file it finds is not the one it served.

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockedIsUnwritable(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, WithBusyTimeout(50*time.Millisecond))
	other, err := sql.Open("sqlite3", "file:"+db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	err = db.RecordUpdate(ctx, 100, 101, t0)
	if !errors.Is(err, ErrLocked) || !errors.Is(err, ErrUnwritable) {
		t.Fatalf("a write while another program holds the lock: %v, want ErrLocked and ErrUnwritable", err)
	}
	var locked interface{ Locked() bool }
	if !errors.As(err, &locked) || !locked.Locked() {
		t.Errorf("the error does not tell the chat side it is a lock: %v", err)
	}
	if err := db.ProbeWrite(ctx, t0); !errors.Is(err, ErrLocked) {
		t.Errorf("probe while locked: %v, want ErrLocked", err)
	}
	conn.ExecContext(ctx, "ROLLBACK")
	if err := db.RecordUpdate(ctx, 100, 101, t0); err != nil {
		t.Fatalf("the same write once the lock is gone: %v", err)
	}
	if err := db.ProbeWrite(ctx, t0); err != nil {
		t.Errorf("probe once the lock is gone: %v", err)
	}
}

// A database file removed (rm) while open: SQLite would commit into the
// unnamed file; every write fails instead, the first saves what the DB
// holds beside the old path, and nothing is written after the rm.
func TestVanishedFileIsUnwritable(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if err := db.RecordUpdate(ctx, 100, 101, t0); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(db.Path()); err != nil {
		t.Fatal(err)
	}
	err := db.RecordUpdate(ctx, 101, 102, t0)
	if !errors.Is(err, ErrVanished) || !errors.Is(err, ErrUnwritable) {
		t.Fatalf("a write after the rm: %v, want ErrVanished and ErrUnwritable", err)
	}
	rescued := db.Path() + ".rescued"
	if !strings.Contains(err.Error(), rescued) || !strings.Contains(err.Error(), "start planbot again") {
		t.Errorf("the error does not say where the data is and what to do: %v", err)
	}
	if err := db.ProbeWrite(ctx, t0); !errors.Is(err, ErrVanished) || !strings.Contains(err.Error(), rescued) {
		t.Errorf("a later write: %v, want ErrVanished naming the same copy", err)
	}
	if _, err := os.Stat(db.Path()); err == nil {
		t.Error("a write recreated the deleted file")
	}
	copyDB, err := Open(ctx, rescued)
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	for id, want := range map[int]bool{100: true, 101: false} {
		if h, err := copyDB.UpdateHandled(ctx, id); err != nil || h != want {
			t.Errorf("rescued copy: update %d handled %v (%v), want %v", id, h, err, want)
		}
	}

	// Replaced by another file (a restore while running): refused too.
	db2 := openTest(t)
	if err := os.Rename(rescued, db2.Path()); err != nil {
		t.Fatal(err)
	}
	if err := db2.RecordUpdate(ctx, 1, 2, t0); !errors.Is(err, ErrVanished) {
		t.Errorf("a write after the file was replaced: %v, want ErrVanished", err)
	}
}

func TestInstanceLockFollowsLinks(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "planbot.db")
	release, err := AcquireInstanceLock(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	// A link made before the database exists (dangling) and one after.
	early := filepath.Join(dir, "early.db")
	if err := os.Symlink("planbot.db", early); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	if err := os.Symlink(dir, filepath.Join(sub, "dirlink")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{early, filepath.Join(sub, "dirlink", "planbot.db"), filepath.Join(sub, "..", "planbot.db")} {
		if _, err := AcquireInstanceLock(p); !errors.Is(err, ErrInstanceRunning) {
			t.Errorf("lock through %s: %v, want ErrInstanceRunning", p, err)
		}
	}

	db, err := Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	unlock, err := LockDatabaseFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(t.TempDir(), "hard.db")
	if err := os.Link(dbPath, hard); err != nil {
		t.Skipf("hard link: %v", err)
	}
	if _, err := AcquireInstanceLock(hard); err != nil {
		t.Fatalf("the hard link's own lock file: %v", err)
	}
	if _, err := LockDatabaseFile(hard); !errors.Is(err, ErrInstanceRunning) {
		t.Errorf("the file through a hard link: %v, want ErrInstanceRunning", err)
	}
	// The lock on the file does not disturb SQLite's own locks.
	if err := db.RecordUpdate(context.Background(), 1, 2, t0); err != nil {
		t.Fatal(err)
	}
	unlock()
	again, err := LockDatabaseFile(hard)
	if err != nil {
		t.Errorf("after release: %v", err)
	} else {
		again()
	}
}

func TestIdentityBesideDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "planbot.db")
	if err := CheckPresent(dbPath); err != nil {
		t.Fatalf("a first start: %v", err)
	}
	db, err := Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	id, err := db.Identity(ctx)
	if err != nil || len(id) != 32 {
		t.Fatalf("identity %q, %v", id, err)
	}
	if again, _ := db.Identity(ctx); again != id {
		t.Errorf("identity changed: %q then %q", id, again)
	}
	if err := db.CheckIdentity(ctx); err != nil {
		t.Errorf("nothing recorded yet: %v", err)
	}
	if err := RecordIdentity(dbPath, id, t0); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckIdentity(ctx); err != nil {
		t.Errorf("the recorded database: %v", err)
	}
	// The identity file is shared by a symbolic link's name.
	link := filepath.Join(dir, "link.db")
	os.Symlink("planbot.db", link)
	if got, err := RecordedIdentity(link); err != nil || got != id {
		t.Errorf("identity through the link: %q, %v", got, err)
	}
	backup := filepath.Join(dir, "backup.db")
	if err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// rm: refused before Open could create an empty file.
	os.Remove(dbPath)
	err = CheckPresent(dbPath)
	if !errors.Is(err, ErrNotThatDatabase) || !strings.Contains(err.Error(), "missing or empty") || !strings.Contains(err.Error(), "-new-db") {
		t.Errorf("missing file: %v", err)
	}
	// An empty database made by another command at the path.
	empty, err := Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := empty.CheckIdentity(ctx); !errors.Is(err, ErrNotThatDatabase) {
		t.Errorf("an empty database in its place: %v", err)
	}
	other, _ := empty.Identity(ctx)
	if err := empty.CheckIdentity(ctx); !errors.Is(err, ErrNotThatDatabase) || !strings.Contains(err.Error(), other) {
		t.Errorf("another database in its place: %v", err)
	}
	empty.Close()
	// The backup restored: accepted.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(dbPath + suffix)
	}
	if err := os.Rename(backup, dbPath); err != nil {
		t.Fatal(err)
	}
	restored, err := Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	if err := CheckPresent(dbPath); err != nil {
		t.Errorf("restored: %v", err)
	}
	if err := restored.CheckIdentity(ctx); err != nil {
		t.Errorf("the restored backup: %v", err)
	}
}
