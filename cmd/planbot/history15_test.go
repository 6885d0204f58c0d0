package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"planbot"
	"planbot/config"
	"planbot/scheduler"
	"planbot/storage"
)

// wholeHistory is a read session whose Histories hands out every report:
// what the views read before issue 15.
type wholeHistory struct {
	planbot.ReadTx
	all map[string][]planbot.Report
}

func (w wholeHistory) Histories(context.Context, []planbot.Item, planbot.HistoryNeed) (map[string][]planbot.Report, error) {
	return w.all, nil
}

// The digest and the overview read only what their statuses derive from
// and the week's reports; on a generated county with two years of
// history, corrections and withdrawals, they must say word for word what
// they said from the whole history, on every Monday and Thursday of the
// plan year, with and without a previous digest.
func TestDigestFromHistoriesSaysWhatTheWholeHistorySays(t *testing.T) {
	dir := t.TempDir()
	cfgPath := genSmall(t, dir)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	plan := cfg.Plan
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(dir, "county.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	all, err := db.AllReports(ctx)
	if err != nil {
		t.Fatal(err)
	}
	digestJob := "weekly_digest"
	first := time.Date(plan.Year, time.January, 4, 8, 30, 0, 0, plan.Location)
	compared := 0
	for week := 0; week < 48; week += 3 {
		for _, day := range []int{0, 3} {
			at := first.AddDate(0, 0, 7*week+day)
			if week == 24 {
				// From here on the digest has a previous run: the changes
				// since it are derived at that moment too.
				if _, err := db.RunJob(ctx, digestJob, at.AddDate(0, 0, -10), at.AddDate(0, 0, -10),
					func(planbot.Tx) ([]storage.OutboxMessage, error) { return nil, nil }); err != nil {
					t.Fatal(err)
				}
			}
			err := db.Read(ctx, at, func(s planbot.ReadTx) error {
				got, gotOv, err := scheduler.DigestIn(ctx, s, plan, at)
				if err != nil {
					return err
				}
				want, wantOv, err := scheduler.DigestIn(ctx, wholeHistory{s, all}, plan, at)
				if err != nil {
					return err
				}
				if got != want {
					t.Errorf("digest at %v:\n got %s\nwant %s", at, got, want)
				}
				for k, sec := range wantOv.Sections {
					for i, w := range sec.Items {
						g := gotOv.Sections[k].Items[i].Status
						if g.Status != w.Status.Status || g.Percent != w.Status.Percent || g.DaysSilent != w.Status.DaysSilent {
							t.Errorf("overview at %v, item %s: got %+v, want %+v", at, w.Item.Code, g, w.Status)
						}
					}
				}
				compared++
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if compared < 30 {
		t.Fatalf("compared %d digests", compared)
	}
}
