package storage

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"planbot"
)

// uncached is AllReports without the cache: what the database holds now.
func uncached(t *testing.T, db *DB) map[string][]planbot.Report {
	t.Helper()
	all, err := allReports(context.Background(), db.read)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func sameReports(t *testing.T, what string, got, want map[string][]planbot.Report) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// The cache answers exactly what a full read would, through commits,
// rollbacks, corrections and another process's writes.
func TestReportCacheMatchesDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustSync(t, db, testPlan(), t0)
	check := func(what string) {
		t.Helper()
		all, err := db.AllReports(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := uncached(t, db)
		sameReports(t, what, all, want)
		// A session's ItemReports, once the cache is filled, agrees too.
		err = db.InSession(ctx, func(s planbot.Tx) error {
			for _, code := range []string{"1.1", "2.3", "2.4"} {
				got, err := s.ItemReports(ctx, code)
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(got, want[code]) {
					t.Errorf("%s: ItemReports(%s) = %v, want %v", what, code, got, want[code])
				}
			}
			if _, err := s.ItemReports(ctx, "9.9"); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: ItemReports of an unknown item: %v", what, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check("empty")
	first := mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(10.0), Note: "开工"})
	check("one report")

	// A session sees its own rows; they reach the cache only if it commits.
	errRollback := errors.New("roll back")
	err = db.InSession(ctx, func(s planbot.Tx) error {
		r, err := s.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0.Add(time.Hour), Percent: ptr(20.0)})
		if err != nil {
			return err
		}
		all, err := s.AllReports(ctx)
		if err != nil {
			return err
		}
		if rs := all["2.3"]; len(rs) != 2 || rs[1].ID != r.ID {
			t.Errorf("the session does not see its own report: %v", rs)
		}
		if rs, err := s.ItemReports(ctx, "2.3"); err != nil || len(rs) != 2 || rs[1].ID != r.ID {
			t.Errorf("the session's ItemReports does not see its own report: %v, %v", rs, err)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	check("after a rollback")
	// The rolled-back row's id is taken again by the next report.
	err = db.InSession(ctx, func(s planbot.Tx) error {
		if _, err := s.AddReport(ctx, planbot.Report{ItemCode: "1.1", Reporter: "li", At: t0.Add(2 * time.Hour), Done: true}); err != nil {
			return err
		}
		_, err := s.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0.Add(3 * time.Hour), Supersedes: first.ID, Percent: ptr(15.0)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	check("after a commit with a correction")

	// Another process writes to the same file.
	other, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	mustAddReport(t, other, planbot.Report{ItemCode: "2.4", Reporter: "wang", At: t0.Add(4 * time.Hour), Note: "已选址"})
	other.Close()
	check("after another process's report")

	// Appending to an answer does not change the next one.
	all, _ := db.AllReports(ctx)
	_ = append(all["2.3"], planbot.Report{ID: 999, ItemCode: "2.3"})
	all["1.1"] = nil
	check("after a caller appended to an answer")
}

// A session's answer is the committed history plus its own rows, also when
// the cache is cold (the session is the first to ask).
func TestReportCacheColdInSession(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(10.0)})
	cold := &DB{path: db.path, write: db.write, read: db.read} // the same connections, an empty cache
	err := cold.InSession(ctx, func(s planbot.Tx) error {
		if _, err := s.AddReport(ctx, planbot.Report{ItemCode: "1.1", Reporter: "li", At: t0.Add(time.Hour), Percent: ptr(5.0)}); err != nil {
			return err
		}
		got, err := s.AllReports(ctx)
		if err != nil {
			return err
		}
		want, err := allReports(ctx, s.(*Session).tx)
		if err != nil {
			return err
		}
		sameReports(t, "session on a cold cache", got, want)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// ItemReports alone does not fill the cache: it reads the item.
	colder := &DB{path: db.path, write: db.write, read: db.read}
	err = colder.InSession(ctx, func(s planbot.Tx) error {
		rs, err := s.ItemReports(ctx, "1.1")
		if err != nil || len(rs) != 1 {
			t.Errorf("ItemReports on a cold cache = %v, %v", rs, err)
		}
		if colder.reports.byItem != nil {
			t.Error("ItemReports filled the cache")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
