package storage

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"
	"testing/fstest"

	"planbot"
)

// Messages queued by a planbot before 0003 become plain sends, in their
// lanes; one it was sending when it stopped is sent again.
func TestMigrateChatKeepsQueuedMessages(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	v2 := fstest.MapFS{}
	for _, name := range []string{"0001_init.sql", "0002_observations_observed_at.sql"} {
		b, err := fs.ReadFile(embeddedMigrations(), name)
		if err != nil {
			t.Fatal(err)
		}
		v2[name] = &fstest.MapFile{Data: b}
	}
	old, err := Open(ctx, path, withMigrations(v2))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO outbox (chat_id, text, status, attempts, next_attempt_at, created_at) VALUES (1, 'A1', 'sending', 1, 0, 0)`,
		`INSERT INTO outbox (chat_id, text, next_attempt_at, created_at) VALUES (1, 'A2', 0, 0)`,
		`INSERT INTO outbox (chat_id, photo, text, next_attempt_at, created_at) VALUES (2, 'AgAC', 'B1', 0, 0)`,
	} {
		if _, err := old.write.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE method = 'send'`); n != 3 {
		t.Errorf("%d old messages are sends, want 3", n)
	}
	if m := claim(t, db, t0, nil); m.Text != "B1" || m.Attachment != planbot.AttachPicture || m.ChatID != tgChat(2) {
		t.Errorf("claimed %+v; chat 1 is blocked by A1 in flight", m)
	}
	if n, err := db.RequeueInFlight(ctx, tg); err != nil || n != 2 {
		t.Fatalf("RequeueInFlight = %d, %v", n, err) // A1, and B1 just claimed
	}
	if m := claim(t, db, t0, nil); m.Text != "A1" || m.Attempts != 2 {
		t.Errorf("claimed %+v, want A1 again", m)
	}
}
