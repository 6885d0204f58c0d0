package main

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"image/png"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"planbot"
	"planbot/chart"
	"planbot/config"
	"planbot/ledger"
	"planbot/ledger/xlsx"
	"planbot/render"
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

// What planbot-render is handed draws the very picture the chart package
// draws from the overview and plan: they survive the trip, and the
// program is the one a real run finds.
func TestRenderDrawsTheSamePicture(t *testing.T) {
	skipShort(t)
	ov, plan := exampleOverview(t)
	here, err := chart.Digest(ov, plan, chart.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{}
	apart, err := e.digestChart(context.Background(), ov, plan, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(here, apart) {
		t.Errorf("planbot-render drew another picture (%d bytes, here %d)", len(apart), len(here))
	}
	if _, err := png.Decode(bytes.NewReader(apart)); err != nil {
		t.Errorf("not a PNG: %v", err)
	}
}

// The ledger planbot-render writes is the workbook of the laid-out book,
// part for part (the zip's own clock differs).
func TestRenderWritesTheSameWorkbook(t *testing.T) {
	skipShort(t)
	ov, plan := exampleOverview(t)
	book, err := ledger.Lay(plan, ov, ledger.Data{}, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	here, err := xlsx.Bytes(book)
	if err != nil {
		t.Fatal(err)
	}
	apart, err := (&env{log: slog.New(slog.DiscardHandler)}).workbook(context.Background(), book)
	if err != nil {
		t.Fatal(err)
	}
	want, got := zipParts(t, here), zipParts(t, apart)
	if len(got) != len(want) {
		t.Errorf("planbot-render wrote %d parts, here %d", len(got), len(want))
	}
	for name, data := range want {
		if !bytes.Equal(got[name], data) {
			t.Errorf("planbot-render wrote another %s (%d bytes, here %d)", name, len(got[name]), len(data))
		}
	}
}

// zipParts is each file of a zip by name.
func zipParts(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string][]byte{}
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		if parts[f.Name], err = io.ReadAll(r); err != nil {
			t.Fatal(err)
		}
		r.Close()
	}
	return parts
}

// Without planbot-render the digest goes without its picture and the bot
// says it cannot export; a program that cannot start is a clear error.
func TestWithoutRender(t *testing.T) {
	ov, plan := exampleOverview(t)
	log := slog.New(slog.DiscardHandler)
	missing := &env{renderErr: errors.New("planbot-render is neither next to this program nor on PATH")}
	if png, err := missing.digestChart(context.Background(), ov, plan, log); png != nil || err != nil {
		t.Errorf("no planbot-render: chart %d bytes, err %v; want none and no error", len(png), err)
	}
	if exportIn(missing) != nil {
		t.Error("no planbot-render: /export is offered")
	}
	var logged bytes.Buffer
	missing.warnIfNoRenderer(slog.New(slog.NewTextHandler(&logged, nil)))
	if !strings.Contains(logged.String(), "neither next to this program nor on PATH") {
		t.Errorf("the start does not say why: %q", logged.String())
	}
	gone := &env{render: render.Program{Path: filepath.Join(t.TempDir(), "no-such-planbot-render")}}
	if _, err := gone.digestChart(context.Background(), ov, plan, log); err == nil || !strings.Contains(err.Error(), "no-such-planbot-render") {
		t.Errorf("a program that cannot start: err = %v", err)
	}
}
