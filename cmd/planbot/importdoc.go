package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"

	"planbot/importdoc"
)

// importDocCommand drafts a plan YAML from the document the office already
// has: a 工作总结和明年工作打算 saved as plain text.
func importDocCommand() command {
	return command{
		name:    "import-doc",
		summary: "draft a plan YAML from a 工作总结和明年工作打算 text file (FILE.txt > plan.yaml); fill its TODOs, then check",
		arg:     true,
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			year := fs.Int("year", 0, "plan `year` (default: the year after the summary's, e.g. 2024 for a 2023年工作总结和明年工作打算; else next year)")
			out := fs.String("o", "", "write the draft to this `file` instead of standard output (it must not exist)")
			force := fs.Bool("force", false, "with -o, overwrite an existing file")
			return func(_ context.Context, e *env) int {
				if *year != 0 && (*year < 2000 || *year > 2100) {
					fmt.Fprintf(e.stderr, "planbot import-doc: -year %d: want a year from 2000 to 2100\n", *year)
					return exitUsage
				}
				src, err := os.ReadFile(e.arg)
				if err != nil {
					if errors.Is(err, iofs.ErrNotExist) {
						fmt.Fprintf(e.stderr, "planbot import-doc: %s：文件不存在\n", e.arg)
					} else {
						fmt.Fprintf(e.stderr, "planbot import-doc: %s：无法读取：%v\n", e.arg, err)
					}
					return exitFail
				}
				draft, doc, err := importdoc.Draft(src, importdoc.Options{Year: *year, Now: e.now, Source: filepath.Base(e.arg)})
				if err != nil {
					fmt.Fprintf(e.stderr, "planbot import-doc: %s：%v\n", e.arg, err)
					return exitFail
				}
				target := "plan.yaml"
				if *out != "" {
					target = *out
					flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
					if *force {
						flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
					}
					f, err := os.OpenFile(*out, flags, 0o644)
					if errors.Is(err, iofs.ErrExist) {
						fmt.Fprintf(e.stderr, "planbot import-doc: %s 已存在：换一个文件名，或加 -force 覆盖（里面已填的内容会丢失）\n", *out)
						return exitFail
					}
					if err == nil {
						_, err = f.Write(draft)
						if cerr := f.Close(); err == nil {
							err = cerr
						}
					}
					if err != nil {
						fmt.Fprintf(e.stderr, "planbot import-doc: %v\n", err)
						return exitFail
					}
				} else if _, err := e.stdout.Write(draft); err != nil {
					fmt.Fprintf(e.stderr, "planbot import-doc: %v\n", err)
					return exitFail
				}
				fmt.Fprintf(e.stderr, "已生成草稿（draft written）：计划年度 %d，%d 个部分、%d 个事项、%d 项指标。\n",
					doc.Year, len(doc.Sections), doc.Items(), len(doc.Indicators))
				fmt.Fprintf(e.stderr, "还有 %d 处 TODO 待填写（分管领导、责任人、指标目标），并在文末 people 里添加人员；\n", doc.Placeholders())
				fmt.Fprintf(e.stderr, "填好后检查：planbot check -config %s\n", target)
				return exitOK
			}
		},
	}
}
