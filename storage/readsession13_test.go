package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"planbot"
)

// A read session is one snapshot: a report another process commits while
// it is open is not in it, and it neither waits for that writer nor holds
// it up. LastRunAt answers as of the scheduled time it was opened for.
func TestReadSessionIsASnapshot(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	other, err := Open(ctx, path, WithBusyTimeout(0))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	mustSync(t, db, testPlan(), t0)
	mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(10.0)})
	week := func(n int) time.Time { return t0.AddDate(0, 0, 7*n) }
	mustRun(t, db, "digest", week(0), week(0))
	mustRun(t, db, "digest", week(1), week(1))

	err = db.Read(ctx, week(1), func(s planbot.ReadTx) error {
		before, err := s.ItemReports(ctx, "2.3")
		if err != nil {
			return err
		}
		if _, err := other.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(20.0)}); err != nil {
			t.Errorf("another process could not write while a read session was open: %v", err)
		}
		after, err := s.ItemReports(ctx, "2.3")
		if err != nil {
			return err
		}
		if len(before) != 1 || len(after) != 1 {
			t.Errorf("reports in the session: %d, then %d after another process wrote; want 1 and 1", len(before), len(after))
		}
		last, ok, err := s.LastRunAt(ctx, "digest")
		if err != nil || !ok || !last.Equal(week(0)) {
			t.Errorf("LastRunAt as of week 1 = %v, %v, %v; want week 0's run", last, ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	all, err := db.AllReports(ctx)
	if err != nil || len(all["2.3"]) != 2 {
		t.Errorf("after the session: %d reports, %v; want 2", len(all["2.3"]), err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM job_runs`); n != 2 {
		t.Errorf("%d job runs after a read session, want 2", n)
	}
}
