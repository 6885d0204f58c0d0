package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"planbot"
	"planbot/bot"
	"planbot/config"
	"planbot/scheduler"
	"planbot/storage"
	"planbot/telegram"
	"planbot/wecom"
)

func newScheduler(e *env, db *storage.DB, plan func() *planbot.Plan, log *slog.Logger) *scheduler.Scheduler {
	return &scheduler.Scheduler{Plan: plan, Store: db, Log: log, Now: e.now,
		Chart: func(ov planbot.Overview, p *planbot.Plan) ([]byte, error) {
			return e.digestChart(context.Background(), ov, p, log)
		}}
}

func jobsCommand() command {
	return command{
		name:    "jobs",
		summary: "list each reminder with its next fire times (holidays skipped, make-up workdays included) and who receives it",
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			path := configFlag(fs)
			from := fs.String("from", "", "list fire times after this `time` (\"2027-09-28\"; default now)")
			n := fs.Int("n", 10, "how many fire times per job")
			return func(ctx context.Context, e *env) int {
				cfg := loadConfig(e, *path)
				if cfg == nil {
					return exitFail
				}
				start, err := parseAt(*from, cfg.Plan.Location, e.now)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot jobs:", err)
					return exitUsage
				}
				printJobs(e.stdout, cfg.Plan, start, *n)
				return exitOK
			}
		},
	}
}

var weekdayZH = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

func printJobs(w io.Writer, plan *planbot.Plan, from time.Time, n int) {
	cal := scheduler.NewCalendar(plan.Calendar)
	schedules, err := scheduler.Schedules(plan)
	if err != nil {
		fmt.Fprintln(w, "planbot jobs:", err)
		return
	}
	if !cal.Covers(from.Year()) || !cal.Covers(from.AddDate(0, 2, 0).Year()) {
		fmt.Fprintf(w, "注意：内置法定节假日表没有 %d 年的数据，请在 calendar: 中补充当年的放假和调休安排。\n\n", from.AddDate(0, 2, 0).Year())
	}
	for _, r := range plan.Reminders {
		fmt.Fprintf(w, "【%s】%s · %s · cron %q\n", r.Name, kindZH(r.Kind), schedules[r.Name].Describe(), r.Cron)
		fmt.Fprintf(w, "  发给：%s\n", recipientsZH(plan, r))
		t := from
		for range n {
			t = schedules[r.Name].Next(t)
			if t.IsZero() {
				break
			}
			local := t.In(plan.Location)
			note := ""
			if d := planbot.DateOf(local); !weekdayOnly(local) || cal.Describe(d) != "工作日" {
				note = "  " + cal.Describe(d)
			}
			fmt.Fprintf(w, "  %s %s%s\n", local.Format("2006-01-02 15:04"), weekdayZH[local.Weekday()], note)
		}
		fmt.Fprintln(w)
	}
}

func weekdayOnly(t time.Time) bool { return t.Weekday() != time.Saturday && t.Weekday() != time.Sunday }

func kindZH(k planbot.ReminderKind) string {
	switch k {
	case planbot.ReminderOverdue:
		return "逾期提醒"
	case planbot.ReminderDueSoon:
		return "临期提醒"
	case planbot.ReminderEscalate:
		return "逐级提醒（蓝→黄→红）"
	case planbot.ReminderReportRequest:
		return "催报"
	case planbot.ReminderDigest:
		return "周报"
	}
	return string(k)
}

func recipientsZH(plan *planbot.Plan, r planbot.Reminder) string {
	to := r.To
	if len(to) == 0 {
		to = []string{"owners"}
	}
	var parts []string
	for _, t := range to {
		switch {
		case t == "owners":
			parts = append(parts, "相关事项的责任人")
		case t == "leader":
			parts = append(parts, "相关事项的分管领导")
		case strings.HasPrefix(t, "role:"):
			var names []string
			for _, p := range plan.People {
				if p.Has(planbot.Role(strings.TrimPrefix(t, "role:"))) {
					names = append(names, p.Name)
				}
			}
			parts = append(parts, fmt.Sprintf("%s（%s）", roleZH(strings.TrimPrefix(t, "role:")), strings.Join(names, "、")))
		case strings.HasPrefix(t, "chat:"):
			parts = append(parts, "群 "+planbot.ChatID(strings.TrimPrefix(t, "chat:")).Local())
		default:
			if p, ok := plan.Person(t); ok {
				parts = append(parts, p.Name)
			} else {
				parts = append(parts, t)
			}
		}
	}
	if r.Kind == planbot.ReminderEscalate {
		parts = append(parts, fmt.Sprintf("逾期 %d 天起加分管领导，%d 天起加主要领导", r.LeaderAfterDays, r.PrincipalAfterDays))
	}
	return strings.Join(parts, "；")
}

func roleZH(r string) string {
	switch r {
	case "admin":
		return "全体管理员"
	case "leader":
		return "全体领导"
	}
	return "全体干部"
}

// takesArg lets "planbot fire overdue_daily -at …" put the job first, as
// people write it; Go's flag package would stop parsing at the name.
func takesArg(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

func fireCommand() command {
	return command{
		name:    "fire",
		summary: "run one reminder as if at a time (JOB -at \"2027-03-03 09:00\" [-dry-run]) and print what it sends",
		arg:     true,
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			path := configFlag(fs)
			atFlag := fs.String("at", "", "the scheduled `time` to run as (\"2027-03-03 09:00\"; default now)")
			dry := fs.Bool("dry-run", false, "print what would be sent; record and queue nothing")
			dbFlag := fs.String("db", "", "SQLite database `path` (default: database: in the config)")
			return func(ctx context.Context, e *env) int {
				cfg := loadConfig(e, *path)
				if cfg == nil {
					return exitFail
				}
				var r planbot.Reminder
				for _, x := range cfg.Plan.Reminders {
					if x.Name == e.arg {
						r = x
					}
				}
				if r.Name == "" {
					var names []string
					for _, x := range cfg.Plan.Reminders {
						names = append(names, x.Name)
					}
					fmt.Fprintf(e.stderr, "planbot fire: no reminder %q; the config has: %s\n", e.arg, strings.Join(names, ", "))
					return exitUsage
				}
				at, err := parseAt(*atFlag, cfg.Plan.Location, e.now)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot fire:", err)
					return exitUsage
				}
				db := openCommandDB(ctx, e, "fire", cfg, *dbFlag)
				if db == nil {
					return exitFail
				}
				defer db.Close()
				sch := newScheduler(e, db, func() *planbot.Plan { return cfg.Plan }, e.log)
				if served, ok, err := db.Served(ctx); err == nil && ok {
					// Only to platforms the serving process sends to.
					sch.Served = func(p string) bool { return slices.Contains(served, p) }
				}
				var msgs []planbot.OutboxMessage
				if *dry {
					msgs, err = sch.Preview(ctx, r, at)
				} else {
					var ran bool
					ran, msgs, err = sch.Run(ctx, r, at)
					if err == nil && !ran {
						fmt.Fprintf(e.stdout, "%s 在 %s 的运行已经做过，不再重复（a run is done once）。\n", r.Name, at.Format("2006-01-02 15:04"))
						return exitOK
					}
				}
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot fire:", err)
					return exitFail
				}
				printMessages(e.stdout, cfg, msgs, *dry)
				return exitOK
			}
		},
	}
}

func printMessages(w io.Writer, cfg *config.Config, msgs []planbot.OutboxMessage, dry bool) {
	verb := "已放入发送队列"
	if dry {
		verb = "将发送（试运行，未记录）"
	}
	fmt.Fprintf(w, "%s %d 条消息：\n", verb, len(msgs))
	who := map[planbot.ChatID]string{}
	for _, p := range cfg.Plan.People {
		for _, a := range p.Accounts {
			who[a.Chat()] = p.Name
		}
	}
	for _, m := range msgs {
		to := who[m.ChatID]
		if to == "" {
			to = "chat " + chatLabel(m.ChatID)
		}
		fmt.Fprintf(w, "\n——— 发给 %s ———\n", to)
		if m.Held {
			fmt.Fprintf(w, "（免打扰时段，推迟到 %s 发送，届时按最新进度重新生成）\n", m.NextAttemptAt.In(cfg.Plan.Location).Format("01-02 15:04"))
		} else if !m.NextAttemptAt.IsZero() {
			fmt.Fprintf(w, "（免打扰时段，推迟到 %s 发送）\n", m.NextAttemptAt.In(cfg.Plan.Location).Format("01-02 15:04"))
		}
		fmt.Fprintln(w, bot.PlainText(m.Text))
	}
}

func digestCommand() command {
	return command{
		name:    "digest",
		summary: "print the weekly digest as at a time",
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			path := configFlag(fs)
			atFlag := fs.String("at", "", "as at this `time` (default now)")
			dbFlag := fs.String("db", "", "SQLite database `path` (default: database: in the config)")
			return func(ctx context.Context, e *env) int {
				cfg := loadConfig(e, *path)
				if cfg == nil {
					return exitFail
				}
				at, err := parseAt(*atFlag, cfg.Plan.Location, e.now)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot digest:", err)
					return exitUsage
				}
				db := openCommandDB(ctx, e, "digest", cfg, *dbFlag)
				if db == nil {
					return exitFail
				}
				defer db.Close()
				text, err := newScheduler(e, db, func() *planbot.Plan { return cfg.Plan }, e.log).DigestText(ctx, at)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot digest:", err)
					return exitFail
				}
				fmt.Fprintln(e.stdout, bot.PlainText(text))
				return exitOK
			}
		},
	}
}

func outboxCommand() command {
	return command{
		name:    "outbox",
		summary: "show messages waiting to be sent and those that failed",
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			path := configFlag(fs)
			dbFlag := fs.String("db", "", "SQLite database `path` (default: database: in the config)")
			limit := fs.Int("n", 20, "show at most `n` of each")
			return func(ctx context.Context, e *env) int {
				cfg := loadConfig(e, *path)
				if cfg == nil {
					return exitFail
				}
				db := openCommandDB(ctx, e, "outbox", cfg, *dbFlag)
				if db == nil {
					return exitFail
				}
				defer db.Close()
				counts, err := db.OutboxCounts(ctx)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot outbox:", err)
					return exitFail
				}
				pending, failed, err := db.OutboxSummary(ctx, *limit)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot outbox:", err)
					return exitFail
				}
				fmt.Fprintf(e.stdout, "发送队列：%s\n", outboxCountsZH(counts))
				loc := cfg.Plan.Location
				who, err := chatNames(ctx, db, cfg.Plan)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot outbox:", err)
					return exitFail
				}
				show := func(title string, msgs []planbot.OutboxMessage) {
					fmt.Fprintf(e.stdout, "\n%s（%d）\n", title, len(msgs))
					t := &table{maxCols: []int{0, 0, 12, 0, 0, 0, 60}}
					t.add("编号", "会话", "收件人", "任务", "尝试次数", "时间", "内容 / 错误")
					for _, m := range msgs {
						when, what := m.NextAttemptAt, bot.PlainText(m.Text)
						if m.Status == planbot.OutboxFailed || m.Status == planbot.OutboxUncertain {
							when, what = m.GivenUpAt, m.LastError
						}
						t.add(fmt.Sprint(m.ID), chatLabel(m.ChatID), who[m.ChatID], m.Job, fmt.Sprint(m.Attempts), when.In(loc).Format("01-02 15:04"),
							strings.ReplaceAll(what, "\n", " "))
					}
					t.write(e.stdout)
				}
				show("待发送", pending)
				show("发送失败", failed)
				return exitOK
			}
		},
	}
}

// outboxStatusZH names each outbox state as the office says it, in the
// order a message goes through them.
var outboxStatusZH = []struct {
	status planbot.OutboxStatus
	name   string
}{
	{planbot.OutboxPending, "待发送"},
	{planbot.OutboxSending, "发送中"},
	{planbot.OutboxSent, "已发送"},
	{planbot.OutboxFailed, "失败"},
	{planbot.OutboxUncertain, "不确定是否送达"},
}

// outboxCountsZH is "待发送 1 · 发送中 0 · …"; a state this list does not
// know (a newer database) is shown by its code rather than dropped.
func outboxCountsZH(counts map[planbot.OutboxStatus]int) string {
	var parts []string
	known := map[planbot.OutboxStatus]bool{}
	for _, s := range outboxStatusZH {
		known[s.status] = true
		parts = append(parts, fmt.Sprintf("%s %d", s.name, counts[s.status]))
	}
	var other []string
	for s := range counts {
		if !known[s] {
			other = append(other, string(s))
		}
	}
	sort.Strings(other)
	for _, s := range other {
		parts = append(parts, fmt.Sprintf("%s %d", s, counts[planbot.OutboxStatus(s)]))
	}
	return strings.Join(parts, " · ")
}

// chatLabel shows a chat as the YAML names it (see accountLabel): a
// Telegram chat by its number alone, any other with its platform.
func chatLabel(c planbot.ChatID) string {
	switch c.Platform() {
	case telegram.Platform:
		return c.Local()
	case wecom.Platform:
		return "企业微信 " + strings.TrimPrefix(c.Local(), "group:")
	case wecom.HookPlatform:
		return "群机器人 " + c.Local()
	}
	return c.Platform() + " " + c.Local()
}

// chatNames names the chats the outbox writes to: a person's private chat
// (their id in the YAML or bound by invite code) by their name.
func chatNames(ctx context.Context, db *storage.DB, plan *planbot.Plan) (map[planbot.ChatID]string, error) {
	names := map[planbot.ChatID]string{}
	bound, err := db.ChatBindings(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range plan.People {
		for _, a := range p.Accounts {
			names[a.Chat()] = p.Name
		}
		if chat, ok := bound[p.Key]; ok {
			names[chat] = p.Name
		}
	}
	return names, nil
}
