// Package render is how planbot has the files made that need heavy
// libraries: the digest's chart (a PNG, drawn with gonum/plot and its
// fonts) and the ledger workbook (an .xlsx, written with excelize). A
// separate program, planbot-render, makes them; planbot hands it a Job on
// standard input and reads the Result on standard output, both gob.
//
// The split is for `planbot run`, which serves for months: a Go process
// runs the init of every package it links and keeps the pages it touches,
// and these libraries alone (the chart's twelve fonts parsed at start,
// the spreadsheet library's tables) took its peak resident memory from
// 31 to 42 MiB (issue 15). planbot never links them; planbot-render's
// memory goes back to the system when it exits, and a drawing that fails
// or crashes costs a digest its picture, not the bot.
package render

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"planbot"
	"planbot/ledger"
)

// ProgramName is the program's file name: next to planbot, or on PATH.
const ProgramName = "planbot-render"

// Job is one file to make: a chart, or a workbook.
type Job struct {
	Chart  *Chart
	Ledger *ledger.Book
	Font   string // the CJK font file a chart uses; "" searches the system
}

// Chart is what the digest's chart is drawn from: the overview, and of the
// plan what chart.Digest reads (its year, zone and rules).
type Chart struct {
	Overview planbot.Overview
	Year     int
	Zone     string // an IANA zone name
	Rules    planbot.Rules
}

// ChartOf is the chart job for ov of plan.
func ChartOf(ov planbot.Overview, plan *planbot.Plan) *Chart {
	zone := "UTC"
	if plan.Location != nil {
		zone = plan.Location.String()
	}
	return &Chart{Overview: ov, Year: plan.Year, Zone: zone, Rules: plan.Rules}
}

// Plan is the plan the chart reads: its year, zone and rules.
func (c *Chart) Plan() (*planbot.Plan, error) {
	loc, err := time.LoadLocation(c.Zone)
	if err != nil {
		return nil, fmt.Errorf("the plan's zone %q: %w", c.Zone, err)
	}
	return &planbot.Plan{Year: c.Year, Location: loc, Rules: c.Rules}, nil
}

// Result is the file made, and for a chart the font its labels used.
type Result struct {
	Data     []byte
	FontName string
	FontCJK  bool // false: no CJK font was found, the labels are ASCII
}

// Program is planbot-render at Path.
type Program struct {
	Path string
}

// Find looks for planbot-render next to the running program, then on
// PATH.
func Find() (Program, error) {
	if self, err := os.Executable(); err == nil {
		next := filepath.Join(filepath.Dir(self), ProgramName)
		if st, err := os.Stat(next); err == nil && !st.IsDir() {
			return Program{Path: next}, nil
		}
	}
	path, err := exec.LookPath(ProgramName)
	if err != nil {
		return Program{}, fmt.Errorf("%s is neither next to this program nor on PATH (build it with: go build -o DIR ./cmd/%s, DIR being where planbot is)", ProgramName, ProgramName)
	}
	return Program{Path: path}, nil
}

// Limits of one job: a digest's chart is about 100 KB and a county's
// ledger a few MB; a program that hangs is killed.
const (
	maxResult = 64 << 20
	timeout   = 2 * time.Minute
)

// Make runs the program on job. What the program said on standard error
// (a chart without a CJK font says so) is returned as said, for the
// caller's log.
func (p Program) Make(ctx context.Context, job Job) (res Result, said string, err error) {
	var in bytes.Buffer
	if err := gob.NewEncoder(&in).Encode(job); err != nil {
		return Result{}, "", fmt.Errorf("encode the job for %s: %w", ProgramName, err)
	}
	// The job runs to its end even if the request that asked is over: its
	// own timeout bounds it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.Path)
	cmd.Stdin = &in
	out, stderr := &limitedBuffer{max: maxResult}, &limitedBuffer{max: 4096}
	cmd.Stdout, cmd.Stderr = out, stderr
	// No secrets: the program needs none, only what finds zones and fonts.
	cmd.Env = []string{}
	for _, k := range []string{"PATH", "TZ", "ZONEINFO", "HOME"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	if err := cmd.Run(); err != nil {
		return Result{}, "", fmt.Errorf("%s: %w: %s", p.Path, err, strings.TrimSpace(stderr.String()))
	}
	said = strings.TrimSpace(stderr.String())
	if out.over {
		return Result{}, said, fmt.Errorf("%s: the file made is larger than %d MB", p.Path, maxResult>>20)
	}
	if err := gob.NewDecoder(out).Decode(&res); err != nil {
		return Result{}, said, fmt.Errorf("%s: read the result: %w", p.Path, err)
	}
	return res, said, nil
}

// Serve is planbot-render's side: it reads one Job from in, has make make
// it, and writes the Result to out.
func Serve(in io.Reader, out io.Writer, make func(Job) (Result, error)) error {
	var job Job
	if err := gob.NewDecoder(in).Decode(&job); err != nil {
		return fmt.Errorf("read the job: %w", err)
	}
	if (job.Chart == nil) == (job.Ledger == nil) {
		return errors.New("a job is a chart or a ledger")
	}
	res, err := make(job)
	if err != nil {
		return err
	}
	return gob.NewEncoder(out).Encode(res)
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
