package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"planbot"
	"planbot/bot"
	"planbot/ledger"
	"planbot/render"
)

// The digest's chart and the ledger workbook are made by planbot-render,
// a separate program (package render says why): planbot never links the
// drawing and spreadsheet libraries.

// renderer makes a file of planbot-render's (render.Program).
type renderer interface {
	Make(ctx context.Context, job render.Job) (render.Result, string, error)
}

// findRenderer finds planbot-render for a process that has not been
// handed one; the tests point it at the one they build.
var findRenderer = func() (renderer, error) {
	p, err := render.Find()
	if err != nil {
		return nil, err
	}
	return p, nil
}

// renderer is planbot-render, found on first use.
func (e *env) renderer() (renderer, error) {
	if e.render == nil && e.renderErr == nil {
		e.render, e.renderErr = findRenderer()
	}
	return e.render, e.renderErr
}

// warnIfNoRenderer says once, at the start of a serving process, what is
// missing without planbot-render: the digests' pictures and /export.
func (e *env) warnIfNoRenderer(log *slog.Logger) {
	if _, err := e.renderer(); err != nil {
		log.Warn("digests go without their picture and /export is off", slog.String("err", err.Error()))
	}
}

// makeFile has job made and logs what planbot-render said (no CJK font:
// labels in ASCII), as the operator's to read.
func (e *env) makeFile(ctx context.Context, job render.Job, log *slog.Logger) (render.Result, error) {
	r, err := e.renderer()
	if err != nil {
		return render.Result{}, err
	}
	res, said, err := r.Make(ctx, job)
	if said != "" && log != nil {
		log.Warn(render.ProgramName+" said", slog.String("log", said))
	}
	return res, err
}

// digestChart draws the digest's chart. Without planbot-render the digest
// goes without it, and nothing is said: the start said it once.
func (e *env) digestChart(ctx context.Context, ov planbot.Overview, plan *planbot.Plan, log *slog.Logger) ([]byte, error) {
	if _, err := e.renderer(); err != nil {
		return nil, nil
	}
	res, err := e.makeFile(ctx, render.Job{Chart: render.ChartOf(ov, plan), Font: e.fontPath}, log)
	return res.Data, err
}

// workbook writes a laid-out ledger as an .xlsx.
func (e *env) workbook(ctx context.Context, book *ledger.Book) ([]byte, error) {
	res, err := e.makeFile(ctx, render.Job{Ledger: book}, e.log)
	if err != nil {
		return nil, fmt.Errorf("write the workbook: %w", err)
	}
	return res.Data, nil
}

// exportIn is /export: the ledger as at at, read in the chat command's
// transaction; nil (the bot says it cannot export) without
// planbot-render.
func exportIn(e *env) func(ctx context.Context, s bot.Store, plan *planbot.Plan, at time.Time) (string, []byte, error) {
	if _, err := e.renderer(); err != nil {
		return nil
	}
	return func(ctx context.Context, s bot.Store, plan *planbot.Plan, at time.Time) (string, []byte, error) {
		// A ledger lists every report, which no view of the bot reads: the
		// storage session handed to chat commands can read them all.
		src, ok := s.(ledger.Source)
		if !ok {
			return "", nil, fmt.Errorf("export: the session (%T) cannot read every report", s)
		}
		book, err := ledger.Export(ctx, src, plan, at, false)
		if err != nil {
			return "", nil, err
		}
		data, err := e.workbook(ctx, book)
		return ledger.FileName(plan, at), data, err
	}
}
