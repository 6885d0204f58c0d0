package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"planbot/render"
)

func chartCommand() command {
	return command{
		name:    "chart",
		summary: "draw the digest's picture (indicators, items by status) as a PNG",
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			path := configFlag(fs)
			atFlag := fs.String("at", "", "as at this `time` (\"2027-06-15\" or \"2027-06-15 09:00\", plan time zone; default now)")
			dbFlag := dbPathFlag(fs)
			fontFlag := fs.String("font", "", "CJK TrueType/OpenType font `file` (.ttf/.ttc/.otf; default: search the usual places)")
			outFlag := fs.String("o", "", "write the PNG to this `file` (required)")
			return func(ctx context.Context, e *env) int {
				if *outFlag == "" {
					fmt.Fprintln(e.stderr, "planbot chart: where to? give -o FILE.png")
					return exitUsage
				}
				cfg := loadConfig(e, *path)
				if cfg == nil {
					return exitFail
				}
				now, err := parseAt(*atFlag, cfg.Plan.Location, e.now)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot chart:", err)
					return exitUsage
				}
				db := openCommandDB(ctx, e, "chart", cfg, *dbFlag)
				if db == nil {
					return exitFail
				}
				defer db.Close()
				ov, err := overviewAt(ctx, db, cfg.Plan, now)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot chart:", err)
					return exitFail
				}
				res, err := e.makeFile(ctx, render.Job{Chart: render.ChartOf(ov, cfg.Plan), Font: *fontFlag}, e.log)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot chart:", err)
					return exitFail
				}
				png := res.Data
				if err := os.WriteFile(*outFlag, png, 0o644); err != nil {
					fmt.Fprintln(e.stderr, "planbot chart:", err)
					return exitFail
				}
				what := "字体 " + res.FontName
				if !res.FontCJK {
					what = "没有中文字体：指标按计划顺序标为 #1、#2…，数值照常显示，单位略去；装 fonts-wqy-microhei 或 fonts-noto-cjk，或用 -font 指定字体文件，即显示中文"
				}
				fmt.Fprintf(e.stdout, "已生成 %s（%d KB，%s）\n", *outFlag, (len(png)+1023)/1024, what)
				return exitOK
			}
		},
	}
}
