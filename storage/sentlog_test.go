package storage

import (
	"context"
	"os"
	"testing"
	"time"

	"planbot"
)

// claimAll claims every message due at t0, one per lane.
func claimAll(t *testing.T, db *DB, n int) []OutboxMessage {
	t.Helper()
	got, err := db.ClaimBatchAfter(context.Background(), tg, t0, n, 1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// recordSent records msgs delivered as the sender does between claims.
func recordSent(t *testing.T, db *DB, msgs ...OutboxMessage) {
	t.Helper()
	var d []planbot.Delivered
	for _, m := range msgs {
		d = append(d, planbot.Delivered{ID: m.ID, SentMessageID: int(m.ID) + 1000, At: t0.Add(time.Second)})
	}
	if _, err := db.ClaimBatchAfter(context.Background(), tg, t0, 0, 0, nil, d); err != nil {
		t.Fatal(err)
	}
}

func statusOf(t *testing.T, db *DB, id int64) (status OutboxStatus, sentID int) {
	t.Helper()
	var row struct {
		Status OutboxStatus `db:"status"`
		SentID *int         `db:"sent_message_id"`
	}
	if err := db.read.GetContext(context.Background(), &row, `SELECT status, sent_message_id FROM outbox WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	if row.SentID != nil {
		sentID = *row.SentID
	}
	return row.Status, sentID
}

func logSize(t *testing.T, db *DB) int64 {
	t.Helper()
	st, err := os.Stat(db.Path() + "-sent")
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// A message the platform took is recorded by appending to the sent log,
// not by a transaction; the next claim marks it sent in the outbox and
// empties the log, and its chat's next message goes.
func TestSentLogFoldsAtTheNextClaim(t *testing.T) {
	db := openTest(t)
	mustEnqueue(t, db,
		OutboxMessage{ChatID: tgChat(1), Text: "A1"},
		OutboxMessage{ChatID: tgChat(2), Text: "B1"},
		OutboxMessage{ChatID: tgChat(1), Text: "A2"},
	)
	first := claimAll(t, db, 10)
	if len(first) != 2 {
		t.Fatalf("claimed %q", texts(first))
	}
	recordSent(t, db, first...)
	if n := logSize(t, db); n != 2*sentRecordSize {
		t.Errorf("sent log of %d bytes, want two records", n)
	}
	if st, _ := statusOf(t, db, first[0].ID); st != OutboxSending {
		t.Errorf("before the next claim A1 is %s in the outbox, want still in flight", st)
	}
	next := claimAll(t, db, 10)
	if len(next) != 1 || next[0].Text != "A2" {
		t.Fatalf("next claim %q, want A2 (A1 sent)", texts(next))
	}
	for _, m := range first {
		if st, sentID := statusOf(t, db, m.ID); st != OutboxSent || sentID != int(m.ID)+1000 {
			t.Errorf("%s: %s as %d, want sent as %d", m.Text, st, sentID, m.ID+1000)
		}
	}
	if n := logSize(t, db); n != 0 {
		t.Errorf("sent log of %d bytes after the fold", n)
	}
}

// Killed with records in the log (and the last one cut short), the next
// start folds them before it puts back what was in flight: a message the
// platform took is not sent again, the one whose record was cut is.
func TestSentLogSurvivesACrash(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/planbot.db"
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	mustEnqueue(t, db,
		OutboxMessage{ChatID: tgChat(1), Text: "A1"},
		OutboxMessage{ChatID: tgChat(2), Text: "B1"},
		OutboxMessage{ChatID: tgChat(3), Text: "C1"},
	)
	claimed := claimAll(t, db, 10)
	recordSent(t, db, claimed[0], claimed[1])
	db.Close() // as a kill would leave it: nothing folded
	f, err := os.OpenFile(path+"-sent", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, sentRecordSize/2)) // a record cut short
	f.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, err := db.RequeueInFlight(ctx, tg)
	if err != nil || n != 1 {
		t.Errorf("RequeueInFlight = %d, %v; want only C1, whose request may have been in flight", n, err)
	}
	for i, want := range []OutboxStatus{OutboxSent, OutboxSent, OutboxPending} {
		if st, _ := statusOf(t, db, claimed[i].ID); st != want {
			t.Errorf("%s is %s, want %s", claimed[i].Text, st, want)
		}
	}
	if n := logSize(t, db); n != 0 {
		t.Errorf("sent log of %d bytes after the start", n)
	}
}

// FailChat, for a chat that blocked the bot, leaves a message the
// platform took before as sent.
func TestSentLogBeforeFailChat(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustEnqueue(t, db, OutboxMessage{ChatID: tgChat(1), Text: "A1"}, OutboxMessage{ChatID: tgChat(1), Text: "A2"})
	got, err := db.ClaimBatchAfter(ctx, tg, t0, 10, 10, nil, nil)
	if err != nil || len(got) != 2 {
		t.Fatalf("claimed %d, %v", len(got), err)
	}
	recordSent(t, db, got[0])
	if n, err := db.FailChat(ctx, tgChat(1), "Forbidden: bot was blocked by the user", t0); err != nil || n != 1 {
		t.Errorf("FailChat = %d, %v; want A2 only", n, err)
	}
	if st, _ := statusOf(t, db, got[0].ID); st != OutboxSent {
		t.Errorf("A1 is %s, want sent", st)
	}
}

// Where the log cannot be written, the record goes to the outbox at once.
func TestSentLogUnwritable(t *testing.T) {
	db := openTest(t)
	if err := os.Mkdir(db.Path()+"-sent", 0o700); err != nil { // not a file
		t.Fatal(err)
	}
	mustEnqueue(t, db, OutboxMessage{ChatID: tgChat(1), Text: "A1"})
	got := claimAll(t, db, 1)
	recordSent(t, db, got...)
	if st, _ := statusOf(t, db, got[0].ID); st != OutboxSent {
		t.Errorf("A1 is %s, want sent", st)
	}
}
