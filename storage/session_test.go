package storage

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"planbot"
)

// Session is the transaction the bot's handlers and the scheduler's jobs
// run in.
var _ planbot.Tx = (*Session)(nil)

// The read methods the status command uses stay on DB.
var _ interface {
	ItemReports(ctx context.Context, code string) ([]planbot.Report, error)
	AllReports(ctx context.Context) (map[string][]planbot.Report, error)
	Histories(ctx context.Context, items []planbot.Item, need planbot.HistoryNeed) (map[string][]planbot.Report, error)
	IndicatorObservations(ctx context.Context, key string) ([]planbot.Observation, error)
	LatestObservations(ctx context.Context, from, to time.Time) (map[string]planbot.Observation, error)
	LastReportBy(ctx context.Context, reporter string) (planbot.Report, bool, error)
	LastObservationBy(ctx context.Context, reporter string) (planbot.Observation, bool, error)
	Binding(ctx context.Context, user planbot.UserID) (string, bool, error)
	LoadPending(ctx context.Context, id int64) (planbot.Pending, bool, error)
	PendingFor(ctx context.Context, chat planbot.ChatID, user planbot.UserID) (planbot.Pending, bool, error)
} = (*DB)(nil)

var errBoom = errors.New("boom")

// A session reads its own writes; nobody else sees them before the commit.
func TestSessionReadsOwnWrites(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	err := db.InSession(ctx, func(s planbot.Tx) error {
		r, err := s.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(30.0)})
		if err != nil {
			return err
		}
		if hist, err := s.ItemReports(ctx, "2.3"); err != nil || len(hist) != 1 || hist[0].ID != r.ID {
			t.Errorf("session ItemReports = %+v, %v", hist, err)
		}
		if hs, err := s.Histories(ctx, testPlan().Items, planbot.HistoryNeed{}); err != nil || len(hs["2.3"]) != 1 || hs["2.3"][0].ID != r.ID {
			t.Errorf("session Histories = %v, %v", hs, err)
		}
		if last, ok, err := s.LastReportBy(ctx, "li"); err != nil || !ok || last.ID != r.ID {
			t.Errorf("session LastReportBy = %+v, %v, %v", last, ok, err)
		}
		o, err := s.AddObservation(ctx, planbot.Observation{Indicator: "fai", At: t0, Value: planbot.Amount{Value: 3, Unit: "元"}, Reporter: "zhao"})
		if err != nil {
			return err
		}
		if obs, err := s.IndicatorObservations(ctx, "fai"); err != nil || len(obs) != 1 {
			t.Errorf("session IndicatorObservations = %v, %v", obs, err)
		}
		if latest, err := s.LatestObservations(ctx, t0, t0.Add(time.Hour)); err != nil || latest["fai"].ID != o.ID {
			t.Errorf("session LatestObservations = %v, %v", latest, err)
		}
		if last, ok, err := s.LastObservationBy(ctx, "zhao"); err != nil || !ok || last.ID != o.ID {
			t.Errorf("session LastObservationBy = %+v, %v, %v", last, ok, err)
		}
		// The read pool does not see uncommitted rows.
		if hist, err := db.ItemReports(ctx, "2.3"); err != nil || len(hist) != 0 {
			t.Errorf("db.ItemReports during the session = %+v, %v; want nothing yet", hist, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if hist, _ := db.ItemReports(ctx, "2.3"); len(hist) != 1 {
		t.Errorf("after commit: %d reports, want 1", len(hist))
	}
	// Messages queued in a session go with it, all or none.
	err = db.InSession(ctx, func(s planbot.Tx) error {
		if err := s.Enqueue(ctx, reply(2001, "first"), OutboxMessage{Text: "no chat"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("Enqueue of a bad message: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, fail := range []bool{true, false} {
		err := db.InSession(ctx, func(s planbot.Tx) error {
			if err := s.Enqueue(ctx, reply(2001, "来自控制台")); err != nil {
				return err
			}
			if fail {
				return errBoom
			}
			return nil
		})
		if (err != nil) != fail {
			t.Fatal(err)
		}
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox`); n != 1 {
		t.Errorf("%d messages queued, want 1 (the failed session's is gone)", n)
	}
}

// A failing or panicking session leaves nothing behind, and the single
// write connection is free again.
func TestInSessionRollback(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	before := dump(t, db)
	work := func(s planbot.Tx) {
		if _, err := s.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SavePending(ctx, planbot.Pending{ChatID: tgChat(1), UserID: tgUser(2001), Kind: "pick"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Bind(ctx, "wang", tgUser(3001), "K7Q2", t0); err != nil {
			t.Fatal(err)
		}
	}
	err := db.InSession(ctx, func(s planbot.Tx) error { work(s); return errBoom })
	if !errors.Is(err, errBoom) {
		t.Fatalf("InSession = %v, want errBoom", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic was swallowed")
			}
		}()
		db.InSession(ctx, func(s planbot.Tx) error { work(s); panic("handler bug") })
	}()
	if after := dump(t, db); after != before {
		t.Errorf("a failed session wrote:\n%s\nwant:\n%s", after, before)
	}
	// The write connection was given back.
	done := make(chan error, 1)
	go func() {
		_, err := db.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the write connection is stuck after a panic in a session")
	}
}

// A Session method that fails writes nothing and the session goes on.
func TestSessionMethodFailureKeepsSession(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	err := db.InSession(ctx, func(s planbot.Tx) error {
		if err := s.Bind(ctx, "wang", tgUser(3001), "K7Q2", t0); err != nil {
			return err
		}
		// Fails after its checks: li's binding may not steal user 3001.
		if err := s.Bind(ctx, "li", tgUser(3001), "OTHER", t0); !errors.Is(err, ErrConflict) {
			t.Errorf("stealing a binding: %v, want ErrConflict", err)
		}
		if _, err := s.AddReport(ctx, planbot.Report{ItemCode: "nope", Reporter: "li", At: t0}); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown item: %v", err)
		}
		_, err := s.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "wang", At: t0})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if key, ok, _ := db.Binding(ctx, tgUser(3001)); !ok || key != "wang" {
		t.Errorf("binding = %q, %v", key, ok)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM spent_invites`); n != 1 {
		t.Errorf("%d spent invites, want 1 (the failed bind spent nothing)", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM reports`); n != 1 {
		t.Errorf("%d reports, want 1", n)
	}
}

func reply(chat int64, text string) OutboxMessage {
	return OutboxMessage{ChatID: tgChat(chat), Text: text, Priority: 10}
}

func TestHandleUpdateExactlyOnce(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	calls := 0
	handle := func(s planbot.Tx) ([]OutboxMessage, error) {
		calls++
		if _, err := s.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(50.0)}); err != nil {
			return nil, err
		}
		return []OutboxMessage{reply(2001, "已记录 2.3：50%")}, nil
	}
	for i, want := range []bool{false, true} {
		already, err := db.HandleUpdate(ctx, 700, 701, t0, handle)
		if err != nil {
			t.Fatal(err)
		}
		if already != want {
			t.Errorf("call %d: alreadyHandled = %v, want %v", i+1, already, want)
		}
	}
	if calls != 1 {
		t.Errorf("fn called %d times, want 1", calls)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM reports`); n != 1 {
		t.Errorf("%d reports, want 1", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox`); n != 1 {
		t.Errorf("%d replies queued, want 1", n)
	}
	if off, _ := db.Offset(ctx); off != 701 {
		t.Errorf("offset %d, want 701", off)
	}
	if h, _ := db.UpdateHandled(ctx, 700); !h {
		t.Error("update 700 not recorded")
	}
	// An update recorded without handling (RecordUpdate) is not handled again.
	if err := db.RecordUpdate(ctx, 702, 703, t0); err != nil {
		t.Fatal(err)
	}
	if already, err := db.HandleUpdate(ctx, 702, 703, t0, handle); err != nil || !already || calls != 1 {
		t.Errorf("recorded update: already=%v err=%v calls=%d", already, err, calls)
	}
}

// When fn fails, or what it returns cannot be queued, or the context is
// cancelled before the commit (a crash between fn and the commit), nothing
// of the update is written: no report, no question, no reply, no record,
// no offset.
func TestHandleUpdateAllOrNothing(t *testing.T) {
	for name, tc := range map[string]func(ctx context.Context, cancel context.CancelFunc) ([]OutboxMessage, error){
		"fn fails": func(context.Context, context.CancelFunc) ([]OutboxMessage, error) { return nil, errBoom },
		"bad reply": func(context.Context, context.CancelFunc) ([]OutboxMessage, error) {
			return []OutboxMessage{{Text: "no chat"}}, nil
		},
		"crash at commit": func(_ context.Context, cancel context.CancelFunc) ([]OutboxMessage, error) { cancel(); return nil, nil },
	} {
		t.Run(name, func(t *testing.T) {
			db := openTest(t)
			mustSync(t, db, testPlan(), t0)
			if err := db.RecordUpdate(context.Background(), 699, 700, t0); err != nil {
				t.Fatal(err)
			}
			before := dump(t, db)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			already, err := db.HandleUpdate(ctx, 700, 701, t0, func(s planbot.Tx) ([]OutboxMessage, error) {
				if _, err := s.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0}); err != nil {
					return nil, err
				}
				if _, err := s.SavePending(ctx, planbot.Pending{ChatID: tgChat(2001), UserID: tgUser(2001), Kind: "pick"}); err != nil {
					return nil, err
				}
				if err := s.Audit(ctx, planbot.AuditEntry{UserID: tgUser(9), Action: "x"}); err != nil {
					return nil, err
				}
				msgs, err := tc(ctx, cancel)
				return append([]OutboxMessage{reply(2001, "ok")}, msgs...), err
			})
			if err == nil || already {
				t.Fatalf("HandleUpdate = %v, %v; want an error", already, err)
			}
			if after := dump(t, db); after != before {
				t.Errorf("half an update was written:\n%s\nwant:\n%s", after, before)
			}
			if off, _ := db.Offset(context.Background()); off != 700 {
				t.Errorf("offset %d, want 700", off)
			}
			// The caller records the poison update with an apology, atomically.
			bg := context.Background()
			if err := db.RecordUpdate(bg, 700, 701, t0, reply(2001, "抱歉，出错了")); err != nil {
				t.Fatalf("apology: %v", err)
			}
			if err := db.RecordUpdate(bg, 700, 701, t0, reply(2001, "抱歉，出错了")); err != nil {
				t.Fatalf("apology again: %v", err)
			}
			if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE text = '抱歉，出错了'`); n != 1 {
				t.Errorf("%d apologies queued, want 1", n)
			}
			if already, err := db.HandleUpdate(bg, 700, 701, t0, func(planbot.Tx) ([]OutboxMessage, error) {
				t.Error("a recorded update was handled")
				return nil, nil
			}); err != nil || !already {
				t.Errorf("HandleUpdate after the apology = %v, %v", already, err)
			}
			if off, _ := db.Offset(bg); off != 701 {
				t.Errorf("offset after the apology %d, want 701", off)
			}
		})
	}
}

// The poll loop of PITFALLS with HandleUpdate: the process dies while
// handling the 4th of 5 updates (its transaction never commits); after a
// restart every update has been applied exactly once, with its reply.
func TestHandleUpdateAcrossCrash(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	server := []int{100, 101, 102, 103, 104}
	errCrash := errors.New("process killed")

	poll := func(db *DB, crashAt int) {
		off, err := db.Offset(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range server {
			if id < off {
				continue
			}
			_, err := db.HandleUpdate(ctx, id, id+1, t0, func(s planbot.Tx) ([]OutboxMessage, error) {
				if _, err := s.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, MessageID: id}); err != nil {
					return nil, err
				}
				if id == crashAt {
					return nil, errCrash // dies before the commit
				}
				return []OutboxMessage{reply(2001, "ok")}, nil
			})
			if errors.Is(err, errCrash) {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, db, testPlan(), t0)
	poll(db, 103)
	db.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	poll(db, -1)
	poll(db, -1) // a third run finds nothing to do
	for _, id := range server {
		if n := count(t, db, `SELECT COUNT(*) FROM reports WHERE message_id = ?`, id); n != 1 {
			t.Errorf("update %d applied %d times", id, n)
		}
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox`); n != len(server) {
		t.Errorf("%d replies, want %d", n, len(server))
	}
	if off, _ := db.Offset(ctx); off != 105 {
		t.Errorf("offset %d, want 105", off)
	}
}

// A late report keeps the day its figures describe.
func TestReportAsOfRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	d := date("2024-03-01")
	r := mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, AsOf: &d, Percent: ptr(60.0)})
	plain := mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(61.0)})
	hist, err := db.ItemReports(ctx, "2.3")
	if err != nil || len(hist) != 2 {
		t.Fatalf("ItemReports = %v, %v", hist, err)
	}
	if hist[0].ID != r.ID || hist[0].AsOf == nil || *hist[0].AsOf != d {
		t.Errorf("as-of date lost: %+v", hist[0].AsOf)
	}
	if hist[1].ID != plain.ID || hist[1].AsOf != nil {
		t.Errorf("a report without an as-of date read back with %v", hist[1].AsOf)
	}
	if _, err := db.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, AsOf: &planbot.Date{}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty as-of date: %v", err)
	}
}

func TestPendingFor(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	var newest int64
	err := db.InSession(ctx, func(s planbot.Tx) error {
		for _, p := range []planbot.Pending{
			{ChatID: tgChat(-100), UserID: tgUser(2001), Kind: "a"},
			{ChatID: tgChat(-100), UserID: tgUser(2001), Kind: "b"},
			{ChatID: tgChat(-100), UserID: tgUser(2002), Kind: "c"},
			{ChatID: tgChat(2001), UserID: tgUser(2001), Kind: "d"},
		} {
			id, err := s.SavePending(ctx, p)
			if err != nil {
				return err
			}
			if p.Kind == "b" {
				newest = id
			}
		}
		if p, ok, err := s.PendingFor(ctx, tgChat(-100), tgUser(2001)); err != nil || !ok || p.ID != newest || p.Kind != "b" {
			t.Errorf("session PendingFor = %+v, %v, %v", p, ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p, ok, err := db.PendingFor(ctx, tgChat(-100), tgUser(2001)); err != nil || !ok || p.Kind != "b" {
		t.Errorf("PendingFor = %+v, %v, %v", p, ok, err)
	}
	if _, ok, _ := db.PendingFor(ctx, tgChat(-100), tgUser(9999)); ok {
		t.Error("a question to a user never asked")
	}
	plan := queryPlan(t, db, `SELECT id FROM pending_questions WHERE chat_id = ? AND user_id = ? ORDER BY id DESC LIMIT 1`, tgChat(1), tgUser(2))
	if len(plan) != 1 || !strings.Contains(plan[0], "USING COVERING INDEX pending_questions_user") {
		t.Errorf("PendingFor plan: %q", plan)
	}
}

// A plan reloaded from the chat commits with the session, or not at all;
// a sync that fails inside a session leaves the session going.
func TestSessionSyncPlan(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	changed := testPlan()
	changed.Items[0].Title = "党支部领办合作社全覆盖（修订）"
	bad := testPlan()
	bad.Items[0].Owners = []string{"ghost"}
	err := db.InSession(ctx, func(s planbot.Tx) error {
		if _, err := s.SyncPlan(ctx, bad, t0); err == nil {
			t.Error("a plan naming an unknown owner was synced")
		}
		rep, err := s.SyncPlan(ctx, changed, t0.Add(time.Hour))
		if err != nil {
			return err
		}
		if len(rep.Updated) != 1 || rep.Updated[0] != "item 1.1" {
			t.Errorf("SyncReport = %+v", rep)
		}
		if err := s.Audit(ctx, planbot.AuditEntry{Action: "reload"}); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM items WHERE title LIKE '%修订%'`); n != 0 {
		t.Error("the sync of a failed session was kept")
	}
	err = db.InSession(ctx, func(s planbot.Tx) error {
		_, err := s.SyncPlan(ctx, changed, t0.Add(time.Hour))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM items WHERE title LIKE '%修订%'`); n != 1 {
		t.Error("the sync of a committed session was lost")
	}
}
