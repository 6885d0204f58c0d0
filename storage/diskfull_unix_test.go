//go:build linux

package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"planbot"
	"strings"
	"syscall"
	"testing"
)

// limitFileSize sets this process's RLIMIT_FSIZE soft limit (a file may not
// grow past it: writes beyond fail with EFBIG, as on a full disk) and
// returns the function that restores it. Go ignores SIGXFSZ, so the write
// fails instead of killing the process. The test must not run in parallel:
// the limit holds for every file the process writes.
func limitFileSize(t *testing.T, bytes uint64) (restore func()) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Skipf("getrlimit: %v", err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: bytes, Max: old.Max}); err != nil {
		t.Skipf("setrlimit: %v", err)
	}
	restored := false
	restore = func() {
		if !restored {
			restored = true
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
				t.Fatalf("restore RLIMIT_FSIZE: %v", err)
			}
		}
	}
	t.Cleanup(restore)
	return restore
}

// A write the disk has no room for fails with ErrUnwritable and a message
// that says so; it leaves nothing half-written; reads go on; and once
// there is room again, writes succeed on the same connection and the file
// is intact.
func TestDiskFullIsUnwritable(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	for i := range 20 {
		if err := db.RecordUpdate(ctx, 100+i, 101+i, t0); err != nil {
			t.Fatal(err)
		}
	}
	wal, err := os.Stat(db.path + "-wal")
	if err != nil {
		t.Fatal(err)
	}

	restore := limitFileSize(t, uint64(wal.Size()))
	var full error
	failed := 0           // the update whose recording failed
	for i := range 2000 { // past the WAL's current size
		big := OutboxMessage{ChatID: tgChat(7), Text: fmt.Sprintf("%d %s", i, strings.Repeat("满", 1000)), CreatedAt: t0}
		if full = db.RecordUpdate(ctx, 200+i, 201+i, t0, big); full != nil {
			failed = 200 + i
			break
		}
	}
	offset, readErr := db.Offset(ctx)
	restore()

	if !errors.Is(full, ErrUnwritable) {
		t.Fatalf("a write past the file size limit: %v, want ErrUnwritable", full)
	}
	if msg := full.Error(); !strings.Contains(msg, "cannot be written (disk full") || !strings.Contains(msg, "file too large") {
		t.Errorf("the error does not say what happened: %q", msg)
	}
	if readErr != nil {
		t.Errorf("read while the disk is full: %v", readErr)
	}
	want := failed // the offset the last update recorded stored
	if failed == 200 {
		want = 120
	}
	if offset != want {
		t.Errorf("offset %d while full, want %d: the failed update's own offset was not stored", offset, want)
	}
	if handled, err := db.UpdateHandled(ctx, failed); err != nil || handled {
		t.Errorf("the update whose write failed is recorded as handled (%v)", err)
	}
	counts, err := db.OutboxCounts(ctx)
	if err != nil || counts[OutboxPending] != failed-200 {
		t.Errorf("outbox %v (%v), want the %d messages queued before the disk filled", counts, err, failed-200)
	}
	if err := db.RecordUpdate(ctx, 9000, 9001, t0); err != nil {
		t.Fatalf("a write once there is room again: %v", err)
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}

// An append to the sent log the disk has room for only part of is cut
// off: the records written after it, once there is room, are read.
func TestSentLogAppendCutShort(t *testing.T) {
	l := newSentLog(t.TempDir() + "/planbot.db")
	defer l.close()
	rec := func(id int64) []planbot.Delivered {
		return []planbot.Delivered{{ID: id, SentMessageID: int(id) + 1000, At: t0}}
	}
	for id := range int64(2) {
		if err := l.appendSent(rec(id + 1)); err != nil {
			t.Fatal(err)
		}
	}
	restore := limitFileSize(t, 2*sentRecordSize+sentRecordSize/2)
	if err := l.appendSent(append(rec(3), rec(4)...)); err == nil {
		t.Fatal("an append past the file size limit did not fail")
	}
	restore()
	if st, err := os.Stat(l.path); err != nil || st.Size() != 2*sentRecordSize {
		t.Fatalf("after the failed append the log holds %v bytes (%v), want two records", st.Size(), err)
	}
	if err := l.appendSent(rec(5)); err != nil {
		t.Fatal(err)
	}
	recs, _, err := l.read()
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	if fmt.Sprint(ids) != "[1 2 5]" {
		t.Errorf("read records %v, want [1 2 5]", ids)
	}
}
