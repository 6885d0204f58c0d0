package storage

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"planbot"
)

// The same race between separate handles on one file, as between processes,
// with AddReport (which reads, then writes) alongside: BEGIN IMMEDIATE plus
// the busy timeout serialise them without a single "database is locked".
func TestConcurrentWritersAcrossHandles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	var dbs []*DB
	for range 4 {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs = append(dbs, db)
	}
	mustSync(t, dbs[0], testPlan(), t0)
	var wins int
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for i := range 8 {
		db := dbs[i%len(dbs)]
		wg.Go(func() {
			ok, err := db.RunJob(ctx, "digest", t0, t0, func(planbot.Tx) ([]OutboxMessage, error) { return nil, nil })
			for j := 0; err == nil && j < 20; j++ {
				_, err = db.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(float64(j))})
			}
			if err == nil {
				err = db.RecordUpdate(ctx, 1000+i, 1001+i, t0)
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				wins++
			}
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if wins != 1 || len(errs) != 0 {
		t.Fatalf("%d winners, errors %v; want 1 winner and no errors", wins, errs)
	}
	if n := count(t, dbs[1], `SELECT COUNT(*) FROM reports`); n != 160 {
		t.Errorf("%d reports, want 160", n)
	}
	if off, _ := dbs[2].Offset(ctx); off != 1008 {
		t.Errorf("offset = %d, want 1008", off)
	}
}
