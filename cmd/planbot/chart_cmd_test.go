package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"planbot"
	"planbot/chart"
	"planbot/storage"
)

func TestChartCommand(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "planbot.db")
	out := filepath.Join(dir, "digest.png")

	// The embedded example and an empty database: no flag but -o (and
	// -db, to keep the test's files in its own directory).
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, now: func() time.Time { return fixedNow },
		dbOptions: []storage.Option{storage.WithBusyTimeout(200 * time.Millisecond)}}
	if code := run([]string{"chart", "-o", out, "-db", dbPath}, e); code != exitOK {
		t.Fatalf("chart = %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	checkChartPNG(t, out)
	if !strings.Contains(stdout.String(), out) {
		t.Errorf("stdout does not name the file: %q", stdout.String())
	}

	// With a report and a figure, as at a time before the figure: it must
	// not be seen.
	db, err := storage.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	sixty := 60.0
	if _, err := db.AddReport(context.Background(), planbot.Report{ItemCode: "3.4", Reporter: "qian_cun", At: fixedNow.Add(-48 * time.Hour), Percent: &sixty}); err != nil {
		t.Fatal(err)
	}
	v, _ := planbot.ParseAmountIn("3.2", "亿元")
	if _, err := db.AddObservation(context.Background(), planbot.Observation{Indicator: "fixed_asset_investment", At: fixedNow.Add(-time.Hour), Value: v}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r := runCmd(t, "chart", "-db", dbPath, "-at", "2027-06-15 09:00", "-font", filepath.Join(dir, "no-such-font.ttc"), "-o", out)
	if r.code != exitOK {
		t.Fatalf("chart -at -font = %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkChartPNG(t, out)
	if !strings.Contains(r.stdout, "没有中文字体") || !strings.Contains(r.stderr, "ASCII") {
		t.Errorf("a missing -font must be said, and logged:\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
	}

	if r := runCmd(t, "chart", "-db", dbPath); r.code != exitUsage || !strings.Contains(r.stderr, "-o") {
		t.Errorf("chart without -o = %d: %s", r.code, r.stderr)
	}
	if r := runCmd(t, "chart", "-db", dbPath, "-o", filepath.Join(dir, "no-such-dir", "x.png")); r.code != exitFail {
		t.Errorf("chart into a missing directory = %d: %s", r.code, r.stderr)
	}
}

func checkChartPNG(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != chart.Width || b.Dy() != chart.MinHeight {
		t.Errorf("%s is %dx%d, want %dx%d", path, b.Dx(), b.Dy(), chart.Width, chart.MinHeight)
	}
}
