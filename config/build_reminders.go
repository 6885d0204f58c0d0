package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"planbot"
)

// buildReminders checks reminders: in every file.
func (b *builder) buildReminders() {
	reminders := map[string]at{}
	for _, f := range b.files {
		for i, r := range f.raw.Reminders {
			b.plan.Reminders = append(b.plan.Reminders, b.reminder(f.name, i, r, reminders))
		}
	}
}

// reminder checks reminders[i] of file; reminders are the names seen so far.
func (b *builder) reminder(file string, i int, r rawReminder, reminders map[string]at) planbot.Reminder {
	in := func(key string) at { return at{file, r.Lines.of(key), fmt.Sprintf("reminders[%d].%s", i+1, key)} }
	where := at{file, r.Lines.of(""), fmt.Sprintf("reminders[%d]", i+1)}
	out := planbot.Reminder{Name: r.Name, Kind: planbot.ReminderKind(r.Kind), Cron: strings.TrimSpace(r.Cron), WorkdaysOnly: r.WorkdaysOnly}
	switch {
	case r.Name == "":
		b.e(where, "缺少 name：应写提醒的英文名称，如 overdue_daily")
	case !keyPattern.MatchString(r.Name):
		b.e(in("name"), "%q 不能用作名称：只能用英文字母、数字和下划线，且以字母开头", r.Name)
	case reminders[r.Name].file != "":
		b.e(in("name"), "提醒名称 %q 重复：已在 %s 定义", r.Name, reminders[r.Name].pos())
	default:
		reminders[r.Name] = in("name")
	}
	if r.Kind == "" {
		b.e(where, "缺少 kind：应为 %s 之一", kindList())
	} else if !out.Kind.Valid() {
		if near := nearest(r.Kind, strings.Split(kindList(), "、")); near != "" {
			b.e(in("kind"), "不认识的类型 %q，是否应为 %q？", r.Kind, near)
		} else {
			b.e(in("kind"), "不认识的类型 %q：应为 %s 之一", r.Kind, kindList())
		}
	}
	if out.Cron == "" {
		b.e(where, "缺少 cron：应写 5 段时间表达式（分 时 日 月 周），如 \"0 9 * * 1-5\" 表示工作日上午 9 点")
	} else if err := validateCron(out.Cron); err != nil {
		b.e(in("cron"), "%v", err)
	}
	if len(r.To) == 0 {
		b.e(where, "缺少 to：应写接收人，如 [owners]、[role:leader]、某人的 key 或 chat:群组id")
	}
	out.To = b.recipients(file, i, r)
	b.reminderDays(&out, r, in)
	out.Since = time.Monday
	if r.Since != "" {
		wd, ok := parseWeekday(r.Since)
		if !ok {
			b.e(in("since"), "%q 不是星期：应为 monday…sunday 或 周一…周日", r.Since)
		}
		out.Since = wd
	}
	return out
}

// recipients checks reminders[i].to: owners, leader, role:…, chat:…,
// robot:… or a person's key. It returns them as planbot.Reminder's To:
// the YAML's "chat:-100123", a Telegram group's number, becomes the chat's
// address "chat:telegram:-100123", and "robot:leaders", a WeCom group
// robot, "chat:wecomhook:leaders", since the scheduler sends to addresses
// and names no platform.
func (b *builder) recipients(file string, i int, r rawReminder) []string {
	out := slices.Clone(r.To)
	for j, to := range r.To {
		a := at{file, r.Lines.of("to"), fmt.Sprintf("reminders[%d].to[%d]", i+1, j+1)}
		switch {
		case to == "owners" || to == "leader":
		case strings.HasPrefix(to, "role:"):
			if !planbot.Role(strings.TrimPrefix(to, "role:")).Valid() {
				b.e(a, "%q 中的角色无效：应为 role:admin、role:leader 或 role:cadre", to)
			}
		case strings.HasPrefix(to, "chat:"):
			if id, err := strconv.ParseInt(strings.TrimPrefix(to, "chat:"), 10, 64); err != nil || id == 0 {
				b.e(a, "%q 无效：应为 chat: 加群组的数字 id，如 chat:-1001234567890", to)
			} else {
				out[j] = "chat:" + string(telegramChat(id))
			}
		case strings.HasPrefix(to, "robot:"):
			out[j] = b.robotRecipient(a, to)
		default:
			b.personRef(a, to, "接收人")
		}
	}
	return out
}

// reminderDays checks a reminder's day counts and fills the defaults its
// kind needs.
func (b *builder) reminderDays(out *planbot.Reminder, r rawReminder, in func(string) at) {
	days := func(key string, v *int, set *int) {
		if v == nil {
			return
		}
		if *v < 0 || *v > 366 {
			b.e(in(key), "%d 超出范围：应为 0–366 天", *v)
			return
		}
		*set = *v
	}
	days("within_days", r.WithinDays, &out.WithinDays)
	days("leader_after_days", r.LeaderAfterDays, &out.LeaderAfterDays)
	days("principal_after_days", r.PrincipalAfterDays, &out.PrincipalAfterDays)
	switch out.Kind {
	case planbot.ReminderDueSoon:
		if r.WithinDays == nil {
			out.WithinDays = 3
		}
	case planbot.ReminderEscalate:
		if r.WithinDays == nil {
			out.WithinDays = 3
		}
		if r.LeaderAfterDays == nil {
			out.LeaderAfterDays = 3
		}
		if r.PrincipalAfterDays == nil {
			out.PrincipalAfterDays = 10
		}
		if out.PrincipalAfterDays < out.LeaderAfterDays {
			b.e(in("principal_after_days"), "%d 小于 leader_after_days %d：升级到主要领导应晚于升级到分管领导", out.PrincipalAfterDays, out.LeaderAfterDays)
		}
	}
}

// validateCron accepts the standard five fields and descriptors such as
// @daily. A per-job time zone is refused: the file's timezone applies to all.
func validateCron(spec string) error {
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return fmt.Errorf("%q 不能自带时区：所有提醒都按文件的 timezone 执行", spec)
	}
	if !strings.HasPrefix(spec, "@") {
		if n := len(strings.Fields(spec)); n != 5 {
			return fmt.Errorf("%q 有 %d 段，应为 5 段（分 时 日 月 周），如 \"0 9 * * 1-5\"", spec, n)
		}
	}
	if _, err := cron.ParseStandard(spec); err != nil {
		return fmt.Errorf("%q 无法解析（%v）：应为 5 段（分 时 日 月 周），如 \"30 8 * * 1\" 表示每周一 8:30", spec, err)
	}
	return nil
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
	"周日": time.Sunday, "周一": time.Monday, "周二": time.Tuesday, "周三": time.Wednesday,
	"周四": time.Thursday, "周五": time.Friday, "周六": time.Saturday,
	"星期日": time.Sunday, "星期一": time.Monday, "星期二": time.Tuesday, "星期三": time.Wednesday,
	"星期四": time.Thursday, "星期五": time.Friday, "星期六": time.Saturday,
}

func parseWeekday(s string) (time.Weekday, bool) {
	wd, ok := weekdays[strings.ToLower(strings.TrimSpace(s))]
	return wd, ok
}

func kindList() string {
	var ks []string
	for _, k := range planbot.ReminderKinds {
		ks = append(ks, string(k))
	}
	return strings.Join(ks, "、")
}
