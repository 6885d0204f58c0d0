package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"planbot"
	"planbot/storage"
)

func statusCommand() command {
	return command{
		name:    "status",
		summary: "print the plan and the indicators with their derived status",
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			path := configFlag(fs)
			atFlag := fs.String("at", "", "show the plan as at this `time` (\"2027-06-15\" or \"2027-06-15 09:00\", plan time zone; default now)")
			dbFlag := dbPathFlag(fs)
			return func(ctx context.Context, e *env) int {
				cfg := loadConfig(e, *path)
				if cfg == nil {
					return exitFail
				}
				now, err := parseAt(*atFlag, cfg.Plan.Location, e.now)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot status:", err)
					return exitUsage
				}
				db := openCommandDB(ctx, e, "status", cfg, *dbFlag)
				if db == nil {
					return exitFail
				}
				defer db.Close()
				ov, err := overviewAt(ctx, db, cfg.Plan, now)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot status:", err)
					return exitFail
				}
				printOverview(e.stdout, cfg.Plan, ov)
				return exitOK
			}
		},
	}
}

// overviewAt is where the plan stands at now, from the database: what the
// items' statuses derive from, and the indicators' latest figures up to now.
func overviewAt(ctx context.Context, db *storage.DB, plan *planbot.Plan, now time.Time) (planbot.Overview, error) {
	reports, err := db.Histories(ctx, plan.Items, planbot.HistoryNeed{})
	if err != nil {
		return planbot.Overview{}, err
	}
	from, to := plan.ObservedBy(now)
	latest, err := db.LatestObservations(ctx, from, to)
	if err != nil {
		return planbot.Overview{}, err
	}
	return plan.Overview(reports, latest, now), nil
}

// parseAt reads -at in the plan's zone; empty means now.
func parseAt(s string, loc *time.Location, now func() time.Time) (time.Time, error) {
	if s == "" {
		return now().In(loc), nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("-at %q: expected \"2027-06-15\" or \"2027-06-15 09:00\"", s)
}

func printOverview(w io.Writer, plan *planbot.Plan, ov planbot.Overview) {
	fmt.Fprintf(w, "%d 年度工作计划 · 截至 %s（%s）\n", plan.Year, ov.At.Format("2006-01-02 15:04"), plan.Location)
	fmt.Fprintf(w, "共 %d 项：%s\n", len(plan.Items), countLine(ov.Counts))
	for _, sv := range ov.Sections {
		leader, _ := plan.Person(sv.Section.Leader)
		fmt.Fprintf(w, "\n【%s】%s  分管：%s  %s\n", sv.Section.Code, sv.Section.Title, leader.Name, countLine(sv.Counts))
		t := &table{maxCols: []int{0, 30, 0, 0, 0, 0, 20, 0}}
		t.add("编号", "事项", "状态", "进度", "预期", "截止", "责任人", "最近汇报")
		for _, iv := range sv.Items {
			st := iv.Status
			last := "—"
			if st.Last != nil {
				last = st.Last.At.In(plan.Location).Format("01-02")
				if st.DaysSilent > 0 {
					last += fmt.Sprintf("（%d天前）", st.DaysSilent)
				}
			}
			t.add(iv.Item.Code, iv.Item.Title, statusText(st), pct(st.Percent), pct(st.Expected),
				iv.Item.Due.String(), ownerNames(plan, iv.Item.Owners), last)
		}
		t.write(w)
	}
	if len(ov.Indicators) == 0 {
		return
	}
	fmt.Fprintf(w, "\n【指标】时间进度 %s（时间过半、任务过半）\n", pct(100*ov.Indicators[0].Standing.Elapsed))
	t := &table{}
	t.add("指标", "当前值", "全年目标", "完成率", "同比", "每月还需", "判断")
	for _, iv := range ov.Indicators {
		s, ind := iv.Standing, iv.Indicator
		value, completion, yoy, perMonth := "—", "—", "—", "—"
		if s.HasValue {
			value = formatIn(s.Value, ind.Unit)
			completion = pct(100 * s.Completion)
		}
		if s.MonthsLeft > 0 && !s.Remaining.IsZero() {
			perMonth = formatIn(s.PerMonth, ind.Unit)
		}
		if s.YoY != nil {
			yoy = fmt.Sprintf("%+.1f%%", 100**s.YoY)
			if s.YoYEstimated {
				yoy += "*"
			}
		}
		t.add(ind.Name, value, formatIn(ind.Target, ind.Unit), completion, yoy, perMonth, s.Verdict())
	}
	t.write(w)
	fmt.Fprintln(w, "* 同比按去年全年数 × 时间进度估算（only last year's annual figure is known）")
}

func statusText(st planbot.ItemStatus) string {
	if st.Status == planbot.StatusOverdue {
		return fmt.Sprintf("%s%d天", st.Status.Label(), st.DaysOverdue)
	}
	return st.Status.Label()
}

func countLine(counts map[planbot.Status]int) string {
	var parts []string
	for _, s := range planbot.Statuses {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s.Label(), n))
		}
	}
	if len(parts) == 0 {
		return "无事项"
	}
	return strings.Join(parts, " · ")
}

func ownerNames(plan *planbot.Plan, keys []string) string {
	names := make([]string, 0, len(keys))
	for _, k := range keys {
		if p, ok := plan.Person(k); ok {
			names = append(names, p.Name)
		} else {
			names = append(names, k)
		}
	}
	return strings.Join(names, "、")
}

func pct(f float64) string { return planbot.FormatPercent(f) }

// formatIn shows an amount in the indicator's unit, falling back to the
// amount's own readable form when the units don't convert.
func formatIn(a planbot.Amount, unit string) string {
	if s, err := a.Format(unit, 2); err == nil {
		return s
	}
	return a.String()
}
