package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"planbot/ledger"
)

func exportCommand() command {
	return command{
		name:    "export",
		summary: "write the ledger (台账) as an Excel workbook: items, indicators, every report",
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			path := configFlag(fs)
			atFlag := fs.String("at", "", "the ledger as at this `time` (\"2027-06-15\" or \"2027-06-15 09:00\", plan time zone; default now); later reports are left out")
			dbFlag := dbPathFlag(fs)
			outFlag := fs.String("o", "", "output `file`, e.g. ledger.xlsx (\"-\" for standard output)")
			return func(ctx context.Context, e *env) int {
				fail := func(code int, err any) int {
					fmt.Fprintln(e.stderr, "planbot export:", err)
					return code
				}
				if *outFlag == "" {
					return fail(exitUsage, "which file? -o ledger.xlsx")
				}
				cfg := loadConfig(e, *path)
				if cfg == nil {
					return exitFail
				}
				plan := cfg.Plan
				now, err := parseAt(*atFlag, plan.Location, e.now)
				if err != nil {
					return fail(exitUsage, err)
				}
				db := openCommandDB(ctx, e, "export", cfg, *dbFlag)
				if db == nil {
					return exitFail
				}
				defer db.Close()
				// An explicit -at is a moment gone by: what came after it is left out.
				data, err := ledger.Load(ctx, db, plan, now, *atFlag != "")
				if err != nil {
					return fail(exitFail, err)
				}
				// data carries the chat's leaves (the database is a
				// ledger.LeaveSource), for the 请假 column and sheet.
				book, err := ledger.Lay(plan, plan.Overview(data.Reports, data.Latest, now), data, now)
				if err != nil {
					return fail(exitFail, err)
				}
				xlsx, err := e.workbook(ctx, book)
				if err != nil {
					return fail(exitFail, err)
				}
				write := func(w io.Writer) error {
					_, err := w.Write(xlsx)
					return err
				}
				say := e.stdout
				if *outFlag == "-" {
					say = e.stderr // stdout carries the workbook
					err = write(e.stdout)
				} else {
					err = writeFileAtomic(*outFlag, write)
				}
				if err != nil {
					return fail(exitFail, err)
				}
				n := 0
				for _, rs := range data.Reports {
					n += len(rs)
				}
				fmt.Fprintf(say, "台账已导出：截至 %s，%d 个事项、%d 项指标、%d 条汇报记录 → %s\n",
					now.Format("2006-01-02 15:04"), len(plan.Items), len(plan.Indicators), n, *outFlag)
				return exitOK
			}
		},
	}
}

// writeFileAtomic writes path through a temporary file in the same
// directory, so a reader never sees half a workbook and a failed export
// leaves the previous file in place.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
