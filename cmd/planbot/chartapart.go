package main

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"time"

	"planbot"
	"planbot/chart"
)

// The digest's chart is drawn in a child process of the same binary, so
// that `run` never holds what drawing takes: the CJK font (5 MB, parsed),
// the canvas and the PNG encoder took its peak resident memory from 30 to
// 60–80 MiB on the first /digest and kept it there (issue 15). The child's
// memory goes back to the system when it exits, and a drawing that fails
// or crashes costs the digest its picture, not the bot.

// drawChartCommand is the child's side: a hidden command that reads a
// chartJob (gob) on standard input and writes the PNG on standard output.
func drawChartCommand() command {
	return command{
		name:   "draw-chart",
		hidden: true,
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			font := fs.String("font", "", "CJK font `file`")
			return func(_ context.Context, e *env) int {
				in := e.stdin
				if in == nil {
					in = os.Stdin
				}
				png, err := drawChartJob(in, chart.Options{FontPath: *font, Log: e.log})
				if err == nil {
					_, err = e.stdout.Write(png)
				}
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot draw-chart:", err)
					return exitFail
				}
				return exitOK
			}
		},
	}
}

// chartJob is what the digest's chart is drawn from: the overview, and of
// the plan what chart.Digest reads (its year, zone and rules).
type chartJob struct {
	Overview planbot.Overview
	Year     int
	Zone     string
	Rules    planbot.Rules
}

func newChartJob(ov planbot.Overview, plan *planbot.Plan) chartJob {
	zone := "UTC"
	if plan.Location != nil {
		zone = plan.Location.String()
	}
	return chartJob{Overview: ov, Year: plan.Year, Zone: zone, Rules: plan.Rules}
}

// drawChartJob decodes a chartJob from r and draws it.
func drawChartJob(r io.Reader, opts chart.Options) ([]byte, error) {
	var job chartJob
	if err := gob.NewDecoder(r).Decode(&job); err != nil {
		return nil, fmt.Errorf("read the chart to draw: %w", err)
	}
	loc, err := time.LoadLocation(job.Zone)
	if err != nil {
		return nil, fmt.Errorf("the plan's zone %q: %w", job.Zone, err)
	}
	return chart.Digest(job.Overview, &planbot.Plan{Year: job.Year, Location: loc, Rules: job.Rules}, opts)
}

// maxChartPNG bounds what is read back from the child: a digest's chart is
// about 100 KB.
const maxChartPNG = 16 << 20

// chartTimeout bounds a drawing: a child that hangs is killed, and the
// digest goes without its picture.
const chartTimeout = time.Minute

// digestChart draws the digest's chart: in a child process of e.chartApart
// (run's binary) when set, else here (tests that build the app in their
// own process, and the offline commands).
func (e *env) digestChart(ctx context.Context, ov planbot.Overview, plan *planbot.Plan, log *slog.Logger) ([]byte, error) {
	opts := chart.Options{FontPath: e.fontPath, Log: log}
	if e.chartApart == "" {
		return chart.Digest(ov, plan, opts)
	}
	var job bytes.Buffer
	if err := gob.NewEncoder(&job).Encode(newChartJob(ov, plan)); err != nil {
		return nil, fmt.Errorf("encode the chart to draw: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), chartTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.chartApart, "draw-chart", "-font", e.fontPath)
	cmd.Stdin = &job
	var png, stderr limitedBuffer
	png.max, stderr.max = maxChartPNG, 4096
	cmd.Stdout, cmd.Stderr = &png, &stderr
	// No secrets: the child needs none, only what finds zones and fonts.
	cmd.Env = []string{}
	for _, k := range []string{"PATH", "TZ", "ZONEINFO", "HOME"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("draw the chart in %s: %w: %s", e.chartApart, err, strings.TrimSpace(stderr.String()))
	}
	if png.over {
		return nil, errors.New("the chart drawn is larger than 16 MB")
	}
	if said := strings.TrimSpace(stderr.String()); said != "" {
		// What the child logged (no CJK font, labels in ASCII) is the
		// operator's to read, as when the chart was drawn here.
		log.Warn("the chart's drawing said", slog.String("log", said))
	}
	return png.Bytes(), nil
}

// limitedBuffer keeps at most max bytes and notes that more came.
type limitedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); len(p) > room {
		b.over = true
		b.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
