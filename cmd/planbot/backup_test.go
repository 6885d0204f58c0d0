package main

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"planbot/storage"
)

// planbot backup copies the database while another connection keeps
// writing to it (as `planbot run` would): the copy opens, passes SQLite's
// integrity check and holds everything committed before it began; a second
// backup to the same file is refused rather than overwriting it.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath, out := filepath.Join(dir, "planbot.db"), filepath.Join(dir, "backup.db")
	db, err := storage.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	record := func(id int) {
		if err := db.RecordUpdate(ctx, id, id+1, fixedNow); err != nil {
			t.Error(err)
		}
	}
	for id := 1; id <= 500; id++ {
		record(id)
	}

	var wg sync.WaitGroup
	var stop atomic.Bool
	wg.Add(1)
	go func() { // the running bot
		defer wg.Done()
		for id := 1000; !stop.Load(); id++ {
			record(id)
		}
	}()
	r := runCmd(t, "backup", "-db", dbPath, "-o", out)
	stop.Store(true)
	wg.Wait()
	if r.code != exitOK || !strings.Contains(r.stdout, "备份完成") || !strings.Contains(r.stdout, "完整性检查通过") {
		t.Fatalf("backup = %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	copyDB, err := storage.Open(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	if err := copyDB.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
	for _, id := range []int{1, 250, 500} {
		if ok, err := copyDB.UpdateHandled(ctx, id); err != nil || !ok {
			t.Errorf("update %d, committed before the backup, is not in it (%v)", id, err)
		}
	}
	if off, err := copyDB.Offset(ctx); err != nil || off < 501 {
		t.Errorf("offset in the backup %d (%v), want at least 501", off, err)
	}

	r = runCmd(t, "backup", "-db", dbPath, "-o", out)
	if r.code == exitOK || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("a second backup to the same file = %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if err := copyDB.IntegrityCheck(ctx); err != nil {
		t.Errorf("the refused backup damaged the first: %v", err)
	}
	if r := runCmd(t, "backup", "-db", dbPath); r.code != exitUsage || !strings.Contains(r.stderr, "-o") {
		t.Errorf("backup without -o = %d: %s", r.code, r.stderr)
	}
}
