package main

import (
	"bytes"
	"context"
	"encoding/gob"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"planbot"
	"planbot/chart"
	"planbot/config"
	"planbot/storage"
)

// exampleOverview is the example plan's overview with a report and an
// indicator figure, as at fixedNow.
func exampleOverview(t *testing.T) (planbot.Overview, *planbot.Plan) {
	t.Helper()
	cfg, err := config.Parse(planbot.ExampleConfigName, planbot.ExampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "planbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SyncPlan(ctx, cfg.Plan, fixedNow); err != nil {
		t.Fatal(err)
	}
	sixty := 60.0
	if _, err := db.AddReport(ctx, planbot.Report{ItemCode: "3.4", Reporter: "qian_cun", At: fixedNow.Add(-48 * time.Hour), Percent: &sixty}); err != nil {
		t.Fatal(err)
	}
	v, _ := planbot.ParseAmountIn("3.2", "亿元")
	if _, err := db.AddObservation(ctx, planbot.Observation{Indicator: "fixed_asset_investment", At: fixedNow.Add(-time.Hour), Value: v}); err != nil {
		t.Fatal(err)
	}
	ov, err := overviewAt(ctx, db, cfg.Plan, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	return ov, cfg.Plan
}

// What the child process is handed draws the very picture the bot would
// draw itself: the overview and the plan's year, zone and rules survive
// the trip.
func TestChartJobDrawsTheSamePicture(t *testing.T) {
	ov, plan := exampleOverview(t)
	opts := chart.Options{Log: slog.New(slog.DiscardHandler)}
	here, err := chart.Digest(ov, plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	var job bytes.Buffer
	if err := gob.NewEncoder(&job).Encode(newChartJob(ov, plan)); err != nil {
		t.Fatal(err)
	}
	apart, err := drawChartJob(&job, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(here, apart) {
		t.Errorf("the chart drawn from the job differs from the one drawn here (%d and %d bytes)", len(apart), len(here))
	}
	if _, err := drawChartJob(strings.NewReader("not a job"), opts); err == nil {
		t.Error("a garbled job drew a chart")
	}
}

// run's binary draws the digest's chart in a child process of itself: the
// same picture, and a clear error when the child cannot draw it.
func TestDigestChartInAChildProcess(t *testing.T) {
	skipShort(t)
	ov, plan := exampleOverview(t)
	log := slog.New(slog.DiscardHandler)
	here, err := (&env{}).digestChart(context.Background(), ov, plan, log)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{chartApart: planbotTestBinary(t)}
	apart, err := e.digestChart(context.Background(), ov, plan, log)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(here, apart) {
		t.Errorf("the child drew another picture (%d bytes, here %d)", len(apart), len(here))
	}
	e.chartApart = filepath.Join(t.TempDir(), "no-such-planbot")
	if _, err := e.digestChart(context.Background(), ov, plan, log); err == nil || !strings.Contains(err.Error(), "no-such-planbot") {
		t.Errorf("a child that cannot start: err = %v", err)
	}
}
