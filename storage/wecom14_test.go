package storage

// Issue #14: migration 0013, the accounts' last-seen times, evidence
// files, a person's preferred platform and a reply's ReplyRef.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"planbot"
)

// columnsDump renders every row of every table of db, reading only the
// columns cols names for it (all of a table's when cols has none): the
// rows a migration must carry, whatever columns it adds.
func columnsDump(t *testing.T, db *DB, cols map[string][]string) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, table := range slices.Sorted(maps.Keys(cols)) {
		fmt.Fprintf(&b, "== %s\n", table)
		rows, err := db.read.QueryxContext(ctx, `SELECT `+strings.Join(cols[table], ", ")+` FROM `+table+` ORDER BY rowid`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals, err := rows.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					vals[i] = string(bs)
				}
			}
			fmt.Fprintf(&b, "%v\n", vals)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// tableColumns maps each table of db to its columns.
func tableColumns(t *testing.T, db *DB) map[string][]string {
	t.Helper()
	var rows []struct {
		Table  string `db:"tbl"`
		Column string `db:"col"`
	}
	if err := db.read.SelectContext(context.Background(), &rows, `
		SELECT m.name AS tbl, c.name AS col FROM sqlite_master m, pragma_table_info(m.name) c
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, c.cid`); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		out[r.Table] = append(out[r.Table], r.Column)
	}
	return out
}

// TestMigrateWeCom: a database of schema 0012 with rows in it migrates to
// 0013 keeping every row and column as it was; the new columns read as
// none, the new tables are empty, and the API serves the old rows.
func TestMigrateWeCom(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	old, err := Open(ctx, path, withMigrations(migrationsUpTo(t, 11)))
	if err != nil {
		t.Fatal(err)
	}
	seedPlanAsOld(t, old, testPlan())
	for _, q := range oldRows {
		if _, err := old.write.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()
	old, err = Open(ctx, path, withMigrations(migrationsUpTo(t, 12)))
	if err != nil {
		t.Fatal(err)
	}
	if err := old.RecordUpdate(ctx, 900, 901, t0); err != nil {
		t.Fatal(err)
	}
	cols := tableColumns(t, old)
	delete(cols, "schema_migrations") // gains 13, as AppliedMigrations checks
	before := columnsDump(t, old, cols)
	old.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.AppliedMigrations(); !slices.Equal(got, []int{13, 14, 15}) {
		t.Fatalf("applied %v, want [13 14 15]", got)
	}
	if after := columnsDump(t, db, cols); after != before {
		t.Errorf("migration 0013 changed old rows:\n%s\nwant:\n%s", after, before)
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int{
		`SELECT COUNT(*) FROM pragma_foreign_key_check`:    0,
		`SELECT COUNT(*) FROM outbox`:                      6,
		`SELECT COUNT(*) FROM outbox WHERE reply_ref = ''`: 6,
		`SELECT COUNT(*) FROM people`:                      4,
		`SELECT COUNT(*) FROM people WHERE prefer = ''`:    4,
		`SELECT COUNT(*) FROM account_seen`:                0,
		`SELECT COUNT(*) FROM inbound_events`:              0,
		`SELECT COUNT(*) FROM evidence_files`:              0,
	} {
		if n := count(t, db, q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
	// The old rows through the API: the queue with no ReplyRef, the plan
	// the same as the YAML's (prefer '' is no preference: no person changes).
	checkMigratedOutbox(t, db)
	rep := mustSync(t, db, testPlan(), t0)
	for _, name := range slices.Concat(rep.Added, rep.Updated, rep.Archived, rep.Restored) {
		if strings.HasPrefix(name, "person ") {
			t.Errorf("syncing the plan after 0013 changed %s", name)
		}
	}
	if seen, err := db.AccountsSeen(ctx); err != nil || len(seen) != 0 {
		t.Errorf("AccountsSeen = %v, %v; want none", seen, err)
	}
}

// AccountSeen keeps each account's latest time; AccountsSeen reads them
// in a session, on the DB and in a read-only snapshot.
func TestAccountSeen(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	later := t0.Add(time.Hour)
	_, err := db.HandleInbound(ctx, wc, "m1", later.Add(time.Minute), func(s planbot.Tx) ([]OutboxMessage, error) {
		for _, at := range []time.Time{t0, later, t0.Add(time.Minute)} {
			if err := s.AccountSeen(ctx, wcUser("li"), at); err != nil {
				return nil, err
			}
		}
		if err := s.AccountSeen(ctx, tgUser(2001), t0); err != nil {
			return nil, err
		}
		if err := s.AccountSeen(ctx, wcUser("zhang"), time.Time{}); err != nil { // the session's time
			return nil, err
		}
		if err := s.AccountSeen(ctx, "li", t0); !errors.Is(err, ErrInvalid) {
			t.Errorf("AccountSeen of no platform's account: %v, want ErrInvalid", err)
		}
		seen, err := s.AccountsSeen(ctx)
		if err != nil || !seen[wcUser("li")].Equal(later) {
			t.Errorf("in the session: AccountsSeen = %v, %v", seen, err)
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// An earlier time, noted later, changes nothing.
	err = db.InSession(ctx, func(s planbot.Tx) error { return s.AccountSeen(ctx, wcUser("li"), t0) })
	if err != nil {
		t.Fatal(err)
	}
	want := map[planbot.UserID]time.Time{
		wcUser("li"):    later.UTC(),
		tgUser(2001):    t0.UTC(),
		wcUser("zhang"): later.Add(time.Minute).UTC(),
	}
	if got, err := db.AccountsSeen(ctx); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("DB.AccountsSeen = %v, %v; want %v", got, err, want)
	}
	err = db.Read(ctx, time.Time{}, func(r planbot.ReadTx) error {
		got, err := r.AccountsSeen(ctx)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ReadTx.AccountsSeen = %v, %v; want %v", got, err, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// SaveEvidence keeps the first file saved under a reference.
func TestSaveEvidence(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	err := db.InSession(ctx, func(s planbot.Tx) error {
		if err := s.SaveEvidence(ctx, "doc:wecom:m1", "台账.xlsx", []byte("first")); err != nil {
			return err
		}
		if err := s.SaveEvidence(ctx, "doc:wecom:m1", "other.xlsx", []byte("second")); err != nil {
			return err
		}
		if err := s.SaveEvidence(ctx, "wecom:m2", "", nil); err != nil {
			return err
		}
		if err := s.SaveEvidence(ctx, "", "x", []byte("x")); !errors.Is(err, ErrInvalid) {
			t.Errorf("SaveEvidence without a ref: %v, want ErrInvalid", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var files []struct {
		Ref  string `db:"ref"`
		Name string `db:"name"`
		Data []byte `db:"data"`
	}
	if err := db.read.SelectContext(ctx, &files, `SELECT ref, name, data FROM evidence_files ORDER BY ref`); err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Name != "台账.xlsx" || string(files[0].Data) != "first" ||
		files[1].Ref != "wecom:m2" || files[1].Data == nil || len(files[1].Data) != 0 {
		t.Errorf("evidence files = %+v", files)
	}
}

// A person's preferred platform is synced, read back (a sync again
// changes nothing) and changed in place without voiding a binding.
func TestSyncPlanPrefer(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	plan := testPlan()
	plan.People[0].Prefer = wc
	plan.People[0].Accounts = append(plan.People[0].Accounts, wcUser("zhangsan"))
	mustSync(t, db, plan, t0)
	if n := count(t, db, `SELECT COUNT(*) FROM people WHERE person_key = 'zhang' AND prefer = 'wecom'`); n != 1 {
		t.Error("zhang's prefer not stored")
	}
	if rep := mustSync(t, db, plan, t0.Add(time.Hour)); !reflect.DeepEqual(rep, planbot.SyncReport{}) {
		t.Errorf("syncing the same plan again: %+v", rep)
	}
	err := db.InSession(ctx, func(s planbot.Tx) error { return s.Bind(ctx, "wang", tgUser(3001), "K7Q2", t0) })
	if err != nil {
		t.Fatal(err)
	}
	plan.People[0].Prefer = tg
	plan.People[3].Prefer = wc
	rep := mustSync(t, db, plan, t0.Add(2*time.Hour))
	if !reflect.DeepEqual(rep.Updated, []string{"person zhang", "person wang"}) || len(rep.Added)+len(rep.Archived) != 0 {
		t.Errorf("changing prefer: %+v", rep)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM people WHERE prefer <> ''`); n != 2 {
		t.Errorf("%d people prefer a platform, want 2", n)
	}
	if key, ok, err := db.Binding(ctx, tgUser(3001)); err != nil || !ok || key != "wang" {
		t.Errorf("wang's binding after a change of prefer = %q, %v, %v; a preference is no new identity", key, ok, err)
	}
}

// ReplyRef goes through the queue: Enqueue stores it, the listings and
// ClaimBatch return it.
func TestReplyRefRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	msgs := []OutboxMessage{
		{ChatID: wcChat("li"), Text: "已记录", ReplyRef: "req-1", Priority: 10},
		{ChatID: wcChat("group:g1"), Text: "周报"},
	}
	if err := db.Enqueue(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	pending, err := db.PendingMessages(ctx, time.Now().Add(time.Minute), 10)
	if err != nil || len(pending) != 2 || pending[0].ReplyRef != "req-1" || pending[1].ReplyRef != "" {
		t.Errorf("PendingMessages = %+v, %v", pending, err)
	}
	claimed, err := db.ClaimBatch(ctx, wc, time.Now().Add(time.Minute), 10, nil)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("ClaimBatch = %+v, %v", claimed, err)
	}
	refs := map[planbot.ChatID]string{}
	for _, m := range claimed {
		refs[m.ChatID] = m.ReplyRef
	}
	if want := map[planbot.ChatID]string{wcChat("li"): "req-1", wcChat("group:g1"): ""}; !reflect.DeepEqual(refs, want) {
		t.Errorf("claimed ReplyRefs = %v, want %v", refs, want)
	}
}

// The platforms a run serves are kept for other processes (planbot fire):
// none before a run recorded them, the last run's after.
func TestRecordServed(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "served.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, ok, err := db.Served(ctx); err != nil || ok || got != nil {
		t.Fatalf("Served before any run = %v, %v, %v", got, ok, err)
	}
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, want := range [][]string{{"telegram", "wecom", "wecomhook"}, {"wecom"}} {
		if err := db.RecordServed(ctx, want, now); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := db.Served(ctx); err != nil || !ok || !slices.Equal(got, want) {
			t.Errorf("Served = %v, %v, %v; want %v", got, ok, err, want)
		}
	}
}
