// Command planbot-render makes the files planbot hands it (package
// render): the digest's chart as a PNG and the ledger as an .xlsx
// workbook. It reads one job (gob) on standard input and writes the result
// (gob) on standard output; what it has to say (no CJK font: labels in
// ASCII) goes to standard error, which planbot logs. It is not for people
// to run: planbot runs it, found next to itself or on PATH.
//
//	go build -o DIR ./cmd/planbot ./cmd/planbot-render
package main

import (
	"fmt"
	"log/slog"
	"os"

	"planbot/chart"
	"planbot/ledger/xlsx"
	"planbot/render"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "planbot-render takes no arguments: planbot runs it with a job on standard input")
		os.Exit(2)
	}
	if err := render.Serve(os.Stdin, os.Stdout, func(job render.Job) (render.Result, error) { return makeFile(job, log) }); err != nil {
		fmt.Fprintln(os.Stderr, "planbot-render:", err)
		os.Exit(1)
	}
}

// makeFile makes the file of one job.
func makeFile(job render.Job, log *slog.Logger) (render.Result, error) {
	if job.Ledger != nil {
		data, err := xlsx.Bytes(job.Ledger)
		return render.Result{Data: data}, err
	}
	plan, err := job.Chart.Plan()
	if err != nil {
		return render.Result{}, err
	}
	opts := chart.Options{FontPath: job.Font, Log: log}
	png, err := chart.Digest(job.Chart.Overview, plan, opts)
	if err != nil {
		return render.Result{}, err
	}
	font := chart.FontStatus(opts)
	return render.Result{Data: png, FontName: font.Name, FontCJK: font.CJK}, nil
}
