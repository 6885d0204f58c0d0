package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestRecordUpdate(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if off, err := db.Offset(ctx); err != nil || off != 0 {
		t.Fatalf("Offset of a new database = %d, %v; want 0", off, err)
	}
	if h, _ := db.UpdateHandled(ctx, 500); h {
		t.Fatal("update 500 handled in a new database")
	}
	if err := db.RecordUpdate(ctx, 500, 501, t0); err != nil {
		t.Fatal(err)
	}
	if h, _ := db.UpdateHandled(ctx, 500); !h {
		t.Error("update 500 not handled after RecordUpdate")
	}
	if off, _ := db.Offset(ctx); off != 501 {
		t.Errorf("Offset = %d, want 501", off)
	}
	// Recording again is harmless; the offset never goes back.
	if err := db.RecordUpdate(ctx, 500, 501, t0); err != nil {
		t.Errorf("recording an update twice: %v", err)
	}
	if err := db.RecordUpdate(ctx, 498, 499, t0); err != nil {
		t.Fatal(err)
	}
	if off, _ := db.Offset(ctx); off != 501 {
		t.Errorf("Offset after an older update = %d, want 501", off)
	}
}

// RecordUpdate is one transaction: if storing the offset fails, the update
// is not marked handled either.
func TestRecordUpdateAtomic(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, err := db.write.ExecContext(ctx, `INSERT INTO bot_state (name, value, updated_at) VALUES (?, 'garbage', 0)`, offsetKey); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordUpdate(ctx, 7, 8, t0); err == nil {
		t.Fatal("RecordUpdate succeeded with a corrupt offset")
	}
	if h, _ := db.UpdateHandled(ctx, 7); h {
		t.Error("update 7 marked handled although its offset was not stored")
	}
}

// The poll loop of PITFALLS: handle, record, then fetch more. Killed after 3
// of 5 updates, restarted, each update is handled exactly once.
func TestUpdatesExactlyOnceAcrossRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	server := []int{100, 101, 102, 103, 104} // what Telegram holds
	handled := map[int]int{}

	poll := func(db *DB, crashAfter int) {
		off, err := db.Offset(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, id := range server {
			if id < off {
				continue // confirmed by the offset: Telegram no longer sends it
			}
			if done, err := db.UpdateHandled(ctx, id); err != nil || done {
				continue
			}
			if n == crashAfter {
				return
			}
			handled[id]++
			if err := db.RecordUpdate(ctx, id, id+1, t0.Add(time.Duration(n)*time.Second)); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	poll(db, 3)
	db.Close() // the crash

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	poll(db, -1)
	for _, id := range server {
		if handled[id] != 1 {
			t.Errorf("update %d handled %d times", id, handled[id])
		}
	}
	if off, _ := db.Offset(ctx); off != 105 {
		t.Errorf("offset after all updates = %d, want 105", off)
	}
}

// RecordUpdate queues its messages with the record, all or nothing.
func TestRecordUpdateWithMessages(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if err := db.RecordUpdate(ctx, 9, 10, t0, OutboxMessage{ChatID: tgChat(1), Text: "ok"}, OutboxMessage{Text: "no chat"}); err == nil {
		t.Fatal("RecordUpdate queued an invalid message")
	}
	if h, _ := db.UpdateHandled(ctx, 9); h {
		t.Error("update recorded although its messages were refused")
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox`); n != 0 {
		t.Errorf("%d messages queued by a failed RecordUpdate", n)
	}
}
