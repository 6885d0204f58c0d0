package storage

// Issue #14: the inbox of platforms that push an event once (WeCom).

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"planbot"
)

const wc = "wecom"

func wcChat(id string) planbot.ChatID { return planbot.NewChatID(wc, id) }
func wcUser(id string) planbot.UserID { return planbot.NewUserID(wc, id) }

// pendingIDs lists the ids PendingInbound gives for platform, in its order.
func pendingIDs(t *testing.T, db *DB, platform string) []string {
	t.Helper()
	in, err := db.PendingInbound(context.Background(), platform)
	if err != nil {
		t.Fatalf("PendingInbound(%s): %v", platform, err)
	}
	var ids []string
	for _, e := range in {
		ids = append(ids, e.EventID)
	}
	return ids
}

// TestInboxExactlyOnce walks one event through the inbox: stored once,
// pending until handled, handled once with its effects, its replies and
// its being handled in one transaction; a failed handling leaves it
// pending and writes nothing; an apology records it; a handled event's
// payload is cleared and its id still refuses a duplicate.
func TestInboxExactlyOnce(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)

	// A frame and the file downloaded with it: up to ~25 MiB.
	big := bytes.Repeat([]byte("帧"), 25<<20/3)
	if ok, err := db.StoreInbound(ctx, wc, "m1", big, t0); err != nil || !ok {
		t.Fatalf("StoreInbound(m1) = %v, %v; want true", ok, err)
	}
	if ok, err := db.StoreInbound(ctx, wc, "m1", []byte("again"), t0.Add(time.Second)); err != nil || ok {
		t.Fatalf("StoreInbound(m1) again = %v, %v; want false (a duplicate msgid)", ok, err)
	}
	if ok, err := db.StoreInbound(ctx, wc, "m2", nil, t0.Add(time.Second)); err != nil || !ok {
		t.Fatalf("StoreInbound(m2) = %v, %v", ok, err)
	}
	if ok, err := db.StoreInbound(ctx, "other", "m1", []byte("x"), t0); err != nil || !ok {
		t.Fatalf("another platform's m1 = %v, %v; event ids are per platform", ok, err)
	}
	pending, err := db.PendingInbound(ctx, wc)
	if err != nil || len(pending) != 2 {
		t.Fatalf("PendingInbound = %d events, %v; want m1, m2", len(pending), err)
	}
	if p := pending[0]; p.Platform != wc || p.EventID != "m1" || !bytes.Equal(p.Payload, big) || !p.ReceivedAt.Equal(t0) {
		t.Errorf("pending m1 = {%s %s %d bytes %v}; the duplicate must not change it", p.Platform, p.EventID, len(p.Payload), p.ReceivedAt)
	}
	if p := pending[1]; p.EventID != "m2" || p.Payload == nil || len(p.Payload) != 0 {
		t.Errorf("pending m2 = %+v; want an empty, not a cleared, payload", p)
	}

	// fn fails: nothing of it is written, and m1 stays pending, payload and all.
	before := dump(t, db)
	already, err := db.HandleInbound(ctx, wc, "m1", t0, func(s planbot.Tx) ([]OutboxMessage, error) {
		if _, err := s.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0}); err != nil {
			return nil, err
		}
		if err := s.SaveEvidence(ctx, "wecom:m1", "a.jpg", []byte("jpeg")); err != nil {
			return nil, err
		}
		return []OutboxMessage{{ChatID: wcChat("li"), Text: "ok"}}, errBoom
	})
	if !errors.Is(err, errBoom) || already || !strings.Contains(err.Error(), "wecom event m1") {
		t.Fatalf("HandleInbound with a failing fn = %v, %v; want errBoom naming the event", already, err)
	}
	if after := dump(t, db); after != before {
		t.Errorf("a failed handling wrote:\n%s\nwant:\n%s", after, before)
	}

	calls := 0
	handle := func(s planbot.Tx) ([]OutboxMessage, error) {
		calls++
		if _, err := s.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(50.0),
			PhotoIDs: []string{"wecom:m1"}}); err != nil {
			return nil, err
		}
		if err := s.SaveEvidence(ctx, "wecom:m1", "a.jpg", []byte("jpeg")); err != nil {
			return nil, err
		}
		if err := s.AccountSeen(ctx, wcUser("li"), t0); err != nil {
			return nil, err
		}
		return []OutboxMessage{{ChatID: wcChat("li"), Text: "已记录 2.3：50%", ReplyRef: "req-1"}}, nil
	}
	for i, want := range []bool{false, true} {
		already, err := db.HandleInbound(ctx, wc, "m1", t0.Add(time.Minute), handle)
		if err != nil || already != want {
			t.Fatalf("HandleInbound #%d = %v, %v; want %v", i+1, already, err, want)
		}
	}
	if calls != 1 {
		t.Errorf("fn called %d times, want 1", calls)
	}
	for q, want := range map[string]int{
		`SELECT COUNT(*) FROM reports`:                                                               1,
		`SELECT COUNT(*) FROM outbox WHERE reply_ref = 'req-1'`:                                      1,
		`SELECT COUNT(*) FROM evidence_files WHERE ref = 'wecom:m1' AND data = CAST('jpeg' AS BLOB)`: 1,
		`SELECT COUNT(*) FROM account_seen`:                                                          1,
		// Handled at HandleInbound's now, and the 25 MiB gone with the payload.
		`SELECT COUNT(*) FROM inbound_events WHERE platform = 'wecom' AND event_id = 'm1'
			AND payload IS NULL AND handled_at = ` + strconv.FormatInt(unix(t0.Add(time.Minute)), 10): 1,
	} {
		if n := count(t, db, q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
	if got := pendingIDs(t, db, wc); !reflect.DeepEqual(got, []string{"m2"}) {
		t.Errorf("pending after m1 = %v, want [m2]", got)
	}
	// A handled event keeps its key: the same msgid again is a duplicate.
	if ok, err := db.StoreInbound(ctx, wc, "m1", []byte("late"), t0.Add(time.Hour)); err != nil || ok {
		t.Errorf("StoreInbound of handled m1 = %v, %v; want false", ok, err)
	}

	recordAndPurge(t, db)
}

// recordAndPurge goes on from TestInboxExactlyOnce: m1 handled, m2 and
// another platform's m1 pending.
func recordAndPurge(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	// A poison event is recorded with an apology, once.
	apology := OutboxMessage{ChatID: wcChat("li"), Text: "抱歉，出错了", ReplyRef: "req-2"}
	for range 2 {
		if err := db.RecordInbound(ctx, wc, "m2", t0.Add(2*time.Minute), apology); err != nil {
			t.Fatalf("RecordInbound(m2): %v", err)
		}
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE text = '抱歉，出错了'`); n != 1 {
		t.Errorf("%d apologies queued, want 1", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM inbound_events WHERE event_id = 'm2' AND payload IS NULL AND handled_at IS NOT NULL`); n != 1 {
		t.Error("m2 is not handled with its payload cleared after RecordInbound")
	}
	if already, err := db.HandleInbound(ctx, wc, "m2", t0, func(planbot.Tx) ([]OutboxMessage, error) {
		t.Error("a recorded event was handled")
		return nil, nil
	}); err != nil || !already {
		t.Errorf("HandleInbound(m2) after the apology = %v, %v", already, err)
	}
	if got := pendingIDs(t, db, wc); got != nil {
		t.Errorf("pending at the end = %v", got)
	}
	if got := pendingIDs(t, db, "other"); !reflect.DeepEqual(got, []string{"m1"}) {
		t.Errorf("the other platform's pending = %v", got)
	}

	// Housekeeping purges handled events only.
	if n, err := db.PurgeInbound(ctx, t0.Add(time.Minute)); err != nil || n != 0 {
		t.Errorf("PurgeInbound(before m1 was handled) = %d, %v", n, err)
	}
	if n, err := db.PurgeInbound(ctx, t0.Add(31*24*time.Hour)); err != nil || n != 2 {
		t.Errorf("PurgeInbound = %d, %v; want 2", n, err)
	}
	if got := pendingIDs(t, db, "other"); !reflect.DeepEqual(got, []string{"m1"}) {
		t.Errorf("a pending event was purged: %v", got)
	}
}

// An event never stored is recorded all the same by HandleInbound (and
// a later StoreInbound of it is a duplicate); bad names are refused.
func TestInboxEdges(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if already, err := db.HandleInbound(ctx, wc, "x1", t0, func(planbot.Tx) ([]OutboxMessage, error) { return nil, nil }); err != nil || already {
		t.Fatalf("HandleInbound of an event never stored = %v, %v", already, err)
	}
	if ok, err := db.StoreInbound(ctx, wc, "x1", []byte("f"), t0); err != nil || ok {
		t.Errorf("StoreInbound after HandleInbound = %v, %v; want false", ok, err)
	}
	if got := pendingIDs(t, db, wc); got != nil {
		t.Errorf("pending = %v", got)
	}
	fn := func(planbot.Tx) ([]OutboxMessage, error) { return nil, nil }
	for name, err := range map[string]error{
		"store, no platform":  second(db.StoreInbound(ctx, "", "x", nil, t0)),
		"store, colon":        second(db.StoreInbound(ctx, "we:com", "x", nil, t0)),
		"store, no id":        second(db.StoreInbound(ctx, wc, "", nil, t0)),
		"pending, no name":    second(db.PendingInbound(ctx, "")),
		"handle, no id":       second(db.HandleInbound(ctx, wc, "", t0, fn)),
		"record, no platform": db.RecordInbound(ctx, "", "x", t0),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// A crash between storing and handling loses nothing: after a restart the
// event is pending, payload and all. An outage while handling (another
// program's lock) is ErrUnwritable and leaves it pending too.
func TestInboxAcrossCrashAndOutage(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	db, err := Open(ctx, path, WithBusyTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.StoreInbound(ctx, wc, "m1", []byte("frame"), t0); err != nil {
		t.Fatal(err)
	}
	db.Close() // the crash

	db, err = Open(ctx, path, WithBusyTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pending, err := db.PendingInbound(ctx, wc)
	if err != nil || len(pending) != 1 || string(pending[0].Payload) != "frame" {
		t.Fatalf("pending after a restart = %+v, %v", pending, err)
	}

	other, err := sql.Open("sqlite3", "file:"+path)
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
	_, err = db.HandleInbound(ctx, wc, "m1", t0, func(planbot.Tx) ([]OutboxMessage, error) { return nil, nil })
	if !errors.Is(err, ErrUnwritable) {
		t.Errorf("HandleInbound while another program holds the lock: %v, want ErrUnwritable", err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(t, db, wc); !reflect.DeepEqual(got, []string{"m1"}) {
		t.Errorf("pending after the outage = %v, want [m1]", got)
	}
	if already, err := db.HandleInbound(ctx, wc, "m1", t0, func(planbot.Tx) ([]OutboxMessage, error) { return nil, nil }); err != nil || already {
		t.Errorf("HandleInbound once the lock is gone = %v, %v", already, err)
	}
}

// PendingInbound seeks its partial index in its order (no sort), and the
// purge its own.
func TestInboxQueryPlans(t *testing.T) {
	db := openTest(t)
	for _, tc := range []struct {
		query string
		args  []any
		index string
	}{
		{pendingInboundQuery, []any{wc}, "inbound_events_pending"},
		{`DELETE FROM inbound_events WHERE handled_at < ?`, []any{1}, "inbound_events_handled"},
	} {
		plan := strings.Join(queryPlan(t, db, tc.query, tc.args...), "\n")
		if !strings.Contains(plan, "INDEX "+tc.index) || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s\nplan:\n%s\nwant a search of %s and no sort", tc.query, plan, tc.index)
		}
	}
}
