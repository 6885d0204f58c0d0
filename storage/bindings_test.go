package storage

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"planbot"
)

// bind binds Telegram account n (0: no account) to person.
func bind(t *testing.T, db *DB, person string, n int64, invite string) error {
	t.Helper()
	user := tgUser(n)
	if n == 0 {
		user = ""
	}
	return db.InSession(context.Background(), func(s planbot.Tx) error {
		return s.Bind(context.Background(), person, user, invite, t0)
	})
}

func binding(t *testing.T, db *DB, n int64) string {
	t.Helper()
	key, ok, err := db.Binding(context.Background(), tgUser(n))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return ""
	}
	return key
}

func TestBind(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)

	if got := binding(t, db, 3001); got != "" {
		t.Fatalf("binding before any: %q", got)
	}
	if err := bind(t, db, "wang", 3001, "K7Q2"); err != nil {
		t.Fatal(err)
	}
	if got := binding(t, db, 3001); got != "wang" {
		t.Fatalf("binding = %q, want wang", got)
	}

	for name, tc := range map[string]struct {
		person string
		tg     int64
		invite string
		want   error
	}{
		"invite spent by another user":         {"li", 3002, "K7Q2", ErrConflict},
		"invite spent by the same user":        {"wang", 3001, "K7Q2", ErrConflict},
		"user bound to another person":         {"li", 3001, "FRESH1", ErrConflict},
		"user is another person's in the plan": {"wang", 1002, "FRESH2", ErrConflict},
		"unknown person":                       {"nobody", 3003, "FRESH3", ErrNotFound},
		"anonymous group admin":                {"li", 1087968824, "FRESH4", ErrInvalid},
		"no invite":                            {"li", 3004, " ", ErrInvalid},
		"no user":                              {"li", 0, "FRESH5", ErrInvalid},
	} {
		before := dump(t, db)
		err := bind(t, db, tc.person, tc.tg, tc.invite)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
		if after := dump(t, db); after != before {
			t.Errorf("%s: a refused binding wrote something", name)
		}
	}

	// wang gets a new phone and a new invite: the old binding goes.
	if err := bind(t, db, "wang", 3005, "NEW1"); err != nil {
		t.Fatal(err)
	}
	if got := binding(t, db, 3005); got != "wang" {
		t.Errorf("new binding = %q", got)
	}
	if got := binding(t, db, 3001); got != "" {
		t.Errorf("old binding of wang still there: %q", got)
	}
	// The replaced binding's invite stays spent.
	if err := bind(t, db, "li", 3001, "K7Q2"); !errors.Is(err, ErrConflict) {
		t.Errorf("old invite reused: %v", err)
	}
	// A person in the plan may bind the id the plan gives them.
	if err := bind(t, db, "li", 2001, "LI1"); err != nil {
		t.Errorf("li binding her own plan id: %v", err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM account_bindings`); n != 2 {
		t.Errorf("%d bindings, want 2", n)
	}

	// Plan sync leaves bindings alone; a person removed from the plan has
	// no binding, and one added back has it no more (issue 11: removal
	// voids it) until bound again with a new code.
	plan := testPlan()
	plan.People[3].Name = "王芳芳" // wang changes
	mustSync(t, db, plan, t0.Add(time.Hour))
	if got := binding(t, db, 3005); got != "wang" {
		t.Errorf("after a sync: %q", got)
	}
	plan.People = plan.People[:3] // wang leaves
	plan.Items[1].Owners = []string{"li"}
	plan.Items[2].Owners = []string{"li"}
	mustSync(t, db, plan, t0.Add(2*time.Hour))
	if got := binding(t, db, 3005); got != "" {
		t.Errorf("binding of an archived person: %q", got)
	}
	if err := bind(t, db, "wang", 3006, "NEW2"); !errors.Is(err, ErrArchived) {
		t.Errorf("binding an archived person: %v", err)
	}
	mustSync(t, db, testPlan(), t0.Add(3*time.Hour))
	if got := binding(t, db, 3005); got != "" {
		t.Errorf("after wang came back: %q, want the removal to have voided it", got)
	}
	if err := bind(t, db, "wang", 3005, "BACK1"); err != nil {
		t.Fatalf("rebinding wang after he came back: %v", err)
	}

	// A user whose person left the plan may bind to someone new (the key
	// was renamed in the YAML, say).
	plan = testPlan()
	plan.People[3].Key = "wang_fang"
	plan.Items[1].Owners = []string{"li", "wang_fang"}
	plan.Items[2].Owners = []string{"wang_fang"}
	mustSync(t, db, plan, t0.Add(4*time.Hour))
	if err := bind(t, db, "wang_fang", 3005, "NEW3"); err != nil {
		t.Fatalf("rebinding after a rename: %v", err)
	}
	if got := binding(t, db, 3005); got != "wang_fang" {
		t.Errorf("after a rename: %q", got)
	}
	_ = ctx
}

func TestPendingQuestions(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	var id int64
	err := db.InSession(ctx, func(s planbot.Tx) error {
		var err error
		id, err = s.SavePending(ctx, planbot.Pending{ChatID: tgChat(-100), UserID: tgUser(2001), Kind: "pick_item",
			Payload: `{"items":["2.3","2.4"]}`, CreatedAt: t0})
		if err != nil {
			return err
		}
		p, ok, err := s.LoadPending(ctx, id)
		if err != nil || !ok || p.Kind != "pick_item" || p.Payload != `{"items":["2.3","2.4"]}` ||
			p.ChatID != tgChat(-100) || p.UserID != tgUser(2001) || !p.CreatedAt.Equal(t0) {
			t.Errorf("LoadPending in session = %+v, %v, %v", p, ok, err)
		}
		// The next step replaces it.
		p.Payload = `{"step":2}`
		p.CreatedAt = time.Time{} // the session's time
		if got, err := s.SavePending(ctx, p); err != nil || got != id {
			t.Errorf("replace = %d, %v", got, err)
		}
		if _, err := s.SavePending(ctx, planbot.Pending{ID: 999, Kind: "x"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("replacing a missing question: %v", err)
		}
		if _, err := s.SavePending(ctx, planbot.Pending{Kind: "x", Payload: "{not json"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad payload: %v", err)
		}
		if _, err := s.SavePending(ctx, planbot.Pending{Payload: "{}"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("no kind: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p, ok, err := db.LoadPending(ctx, id)
	if err != nil || !ok || p.Payload != `{"step":2}` || p.CreatedAt.Before(t0) {
		t.Errorf("LoadPending = %+v, %v, %v", p, ok, err)
	}

	// Purge by age.
	var old int64
	db.InSession(ctx, func(s planbot.Tx) error {
		old, err = s.SavePending(ctx, planbot.Pending{Kind: "old", CreatedAt: t0.Add(-48 * time.Hour)})
		return err
	})
	if n, err := db.PurgePending(ctx, t0.Add(-24*time.Hour)); err != nil || n != 1 {
		t.Errorf("PurgePending = %d, %v; want 1", n, err)
	}
	if _, ok, _ := db.LoadPending(ctx, old); ok {
		t.Error("purged question still there")
	}

	// Delete, twice.
	for range 2 {
		if err := db.InSession(ctx, func(s planbot.Tx) error { return s.DeletePending(ctx, id) }); err != nil {
			t.Errorf("DeletePending: %v", err)
		}
	}
	if _, ok, _ := db.LoadPending(ctx, id); ok {
		t.Error("deleted question still there")
	}
}

func TestAuditLog(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	long := ""
	for range 600 {
		long += "字"
	}
	err := db.InSession(ctx, func(s planbot.Tx) error {
		if err := s.Audit(ctx, planbot.AuditEntry{At: t0, UserID: tgUser(42), ChatID: tgChat(42), Action: "unknown_user", Detail: "/start"}); err != nil {
			return err
		}
		if err := s.Audit(ctx, planbot.AuditEntry{UserID: tgUser(43), Action: "message", Detail: long}); err != nil {
			return err
		}
		if err := s.Audit(ctx, planbot.AuditEntry{UserID: tgUser(44)}); !errors.Is(err, ErrInvalid) {
			t.Errorf("no action: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.AuditEntries(ctx, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("AuditEntries = %+v, %v", got, err)
	}
	if got[0].UserID != tgUser(43) || got[1].UserID != tgUser(42) || got[1].ChatID != tgChat(42) || got[0].ChatID != "" ||
		!got[1].At.Equal(t0) || got[1].Detail != "/start" {
		t.Errorf("entries, newest first: %+v", got)
	}
	if len(got[0].Detail) > maxAuditDetail || got[0].Detail[len(got[0].Detail)-len("…"):] != "…" || got[0].At.IsZero() {
		t.Errorf("long detail kept %d bytes, at %v", len(got[0].Detail), got[0].At)
	}
	if got, _ := db.AuditEntries(ctx, 1); len(got) != 1 || got[0].UserID != tgUser(43) {
		t.Errorf("limit 1: %+v", got)
	}
	for _, q := range []string{`UPDATE audit_log SET detail = ''`, `DELETE FROM audit_log`} {
		if _, err := db.write.ExecContext(ctx, q); err == nil {
			t.Errorf("%s succeeded on the append-only log", q)
		}
	}
}

func TestLastReportBy(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	last := func(who string) (int64, bool) {
		t.Helper()
		r, ok, err := db.LastReportBy(ctx, who)
		if err != nil {
			t.Fatal(err)
		}
		return r.ID, ok
	}
	if _, ok := last("li"); ok {
		t.Fatal("a report before any")
	}
	if _, ok := last("nobody"); ok {
		t.Fatal("a report by an unknown person")
	}
	a := mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(10.0)})
	b := mustAddReport(t, db, planbot.Report{ItemCode: "1.1", Reporter: "li", At: t0, Percent: ptr(20.0)})
	mustAddReport(t, db, planbot.Report{ItemCode: "2.4", Reporter: "wang", At: t0, Percent: ptr(5.0)})
	if id, _ := last("li"); id != b.ID {
		t.Errorf("last = %d, want %d", id, b.ID)
	}
	// li corrects b: the correction is the last.
	c := mustAddReport(t, db, planbot.Report{ItemCode: "1.1", Reporter: "li", At: t0, Percent: ptr(25.0), Supersedes: b.ID})
	if id, _ := last("li"); id != c.ID {
		t.Errorf("after a correction: %d, want %d", id, c.ID)
	}
	// /undo withdraws c: b was superseded, so a is the last that counts.
	mustAddReport(t, db, planbot.Report{ItemCode: "1.1", Reporter: "li", At: t0, Supersedes: c.ID, Withdrawn: true})
	if id, _ := last("li"); id != a.ID {
		t.Errorf("after a withdrawal: %d, want %d", id, a.ID)
	}
	// Someone else correcting li's report takes it from li.
	mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "zhao", At: t0, Percent: ptr(12.0), Supersedes: a.ID})
	if id, ok := last("li"); ok {
		t.Errorf("li's last is %d, but all were superseded", id)
	}

	o1, err := db.AddObservation(ctx, planbot.Observation{Indicator: "fai", At: t0, Value: planbot.Amount{Value: 1, Unit: "元"}, Reporter: "zhao"})
	if err != nil {
		t.Fatal(err)
	}
	o2, err := db.AddObservation(ctx, planbot.Observation{Indicator: "tax", At: t0, Value: planbot.Amount{Value: 2, Unit: "元"}, Reporter: "zhao"})
	if err != nil {
		t.Fatal(err)
	}
	if o, ok, err := db.LastObservationBy(ctx, "zhao"); err != nil || !ok || o.ID != o2.ID || o.Indicator != "tax" {
		t.Errorf("LastObservationBy = %+v, %v, %v", o, ok, err)
	}
	if _, err := db.AddObservation(ctx, planbot.Observation{Indicator: "tax", At: t0, Reporter: "zhao", Supersedes: o2.ID, Withdrawn: true}); err != nil {
		t.Fatal(err)
	}
	if o, ok, _ := db.LastObservationBy(ctx, "zhao"); !ok || o.ID != o1.ID {
		t.Errorf("after a withdrawal: %+v", o)
	}
	if _, ok, _ := db.LastObservationBy(ctx, "li"); ok {
		t.Error("li has no observations")
	}
}

// queryPlan is SQLite's EXPLAIN QUERY PLAN of query, one line per step.
func queryPlan(t *testing.T, db *DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, detail)
	}
	return out
}

// LastReportBy and LastObservationBy seek the reporter's rows by index and
// scan no table.
func TestLastByUsesIndex(t *testing.T) {
	db := openTest(t)
	for _, tc := range []struct{ query, index string }{
		{selectReports + lastReportWhere, "reports_reporter"},
		{selectObservations + lastObservationWhere, "observations_reporter"},
	} {
		plan := queryPlan(t, db, tc.query, "li")
		used := false
		for _, step := range plan {
			if len(step) >= 4 && step[:4] == "SCAN" {
				t.Errorf("a scan: %q in %q", step, plan)
			}
			if contains(step, "INDEX "+tc.index) {
				used = true
			}
		}
		if !used {
			t.Errorf("%s not used: %q", tc.index, plan)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// ReportFromMessage finds the first report a message made, by index.
func TestReportFromMessage(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	first, err := db.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(30.0), ChatID: tgChat(2001), MessageID: 77})
	if err != nil {
		t.Fatal(err)
	}
	// A correction stamped with the same message (an edit), and a report
	// of another chat with the same message id.
	if _, err := db.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(35.0), ChatID: tgChat(2001), MessageID: 77, Supersedes: first.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "zhao", At: t0, Percent: ptr(40.0), ChatID: tgChat(1002), MessageID: 77}); err != nil {
		t.Fatal(err)
	}
	r, ok, err := db.ReportFromMessage(ctx, tgChat(2001), 77)
	if err != nil || !ok || r.ID != first.ID {
		t.Errorf("ReportFromMessage(2001, 77) = %+v, %v, %v; want the first report %d", r, ok, err, first.ID)
	}
	for _, m := range []struct {
		chat planbot.ChatID
		id   int
	}{{tgChat(2001), 78}, {tgChat(3000), 77}, {"", 0}} {
		if _, ok, err := db.ReportFromMessage(ctx, m.chat, m.id); ok || err != nil {
			t.Errorf("ReportFromMessage(%q, %d) found one (%v)", m.chat, m.id, err)
		}
	}
	plan := queryPlan(t, db, selectReports+reportFromMessageWhere, tgChat(2001), 77)
	if joined := strings.Join(plan, "\n"); !strings.Contains(joined, "INDEX reports_message") {
		t.Errorf("ReportFromMessage does not seek reports_message:\n%s", joined)
	}
}
