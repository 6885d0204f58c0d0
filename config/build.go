package config

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"planbot"
)

// at names where a value came from, so a cross-check can point at it.
type at struct {
	file string
	line int
	key  string
}

var (
	keyPattern  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	codePattern = regexp.MustCompile(`^[^\s/]+$`)
	// envPattern is a name the shell takes as an environment variable's.
	envPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// builder carries what the per-section checks share: the result being
// filled, the places of TODO values, and the keys later sections refer to.
type builder struct {
	l     *loader
	files []fileRaw
	cfg   *Config
	plan  *planbot.Plan
	todo  map[string]bool
	// people and sections are the keys defined so far, for references;
	// units are the units people belong to, for items' unit.
	people   map[string]at
	sections map[string]at
	units    map[string]bool
	// robots are the group robots of wecom.robots, for "robot:NAME".
	robots map[string]at
}

// build turns the decoded files into a Config, checking everything that
// needs more than one value to check. The sections are checked in the order
// below, which is the order their problems are reported in.
func (l *loader) build(files []fileRaw) *Config {
	cfg := &Config{Database: DefaultDatabase, Bot: Bot{TokenEnv: DefaultTokenEnv, UndoWindow: DefaultUndoWindow, JumpShare: DefaultJumpShare,
		PerSecond: DefaultPerSecond, PerChatSeconds: DefaultPerChatSeconds, PerGroupPerMinute: DefaultPerGroupPerMinute}}
	cfg.Plan = &planbot.Plan{Rules: planbot.DefaultRules, Limits: planbot.DefaultLimits}
	b := &builder{l: l, files: files, cfg: cfg, plan: cfg.Plan, todo: l.placeholders(files)}
	b.topLevel()
	b.bot()
	b.wecom()
	b.rules()
	b.limits()
	b.buildPeople()
	b.buildSections()
	b.buildItems()
	b.buildIndicators()
	b.buildReminders()
	b.calendar()
	return cfg
}

// e reports a problem at a, unless a holds a TODO already reported there.
func (b *builder) e(a at, format string, args ...any) {
	if b.todo[a.file+"\x00"+a.key] {
		return // reported once, as 待填写
	}
	b.l.errs.add(a.file, a.line, a.key, fmt.Sprintf(format, args...))
}

// top is where a top-level key of the main file is written.
func (b *builder) top(key string) at {
	main := b.files[0]
	return at{main.name, main.raw.Lines.of(key), key}
}

// topLevel checks the main file's year, timezone and database.
func (b *builder) topLevel() {
	m := b.files[0].raw
	if m.Year == nil {
		b.e(b.top("year"), "缺少 year：应写计划年度，如 year: 2027")
	} else if *m.Year < 2000 || *m.Year > 2100 {
		b.e(b.top("year"), "年度 %d 不合理：应为 2000–2100 之间的年份", *m.Year)
	} else {
		b.plan.Year = *m.Year
	}

	tz := cmpOr(m.Timezone, DefaultTimezone)
	loc, err := time.LoadLocation(tz)
	if err != nil || strings.EqualFold(tz, "local") {
		b.e(b.top("timezone"), "不认识的时区 %q：应为 IANA 时区名，如 Asia/Shanghai", tz)
		loc = time.UTC
	}
	b.plan.Location = loc
	b.cfg.Database = cmpOr(strings.TrimSpace(m.Database), DefaultDatabase)
}

// bot checks the bot: section.
func (b *builder) bot() {
	main := b.files[0]
	rb := main.raw.Bot
	if rb == nil {
		return
	}
	out := &b.cfg.Bot
	in := func(key string) at { return at{main.name, rb.Lines.of(key), "bot." + key} }
	if rb.TokenEnv != "" {
		if !envPattern.MatchString(rb.TokenEnv) {
			b.e(in("token_env"), "%q 不是环境变量名：这里写保存令牌的环境变量的名字（如 PLANBOT_TELEGRAM_TOKEN），令牌本身不要写进文件", redactToken(rb.TokenEnv))
		} else {
			out.TokenEnv = rb.TokenEnv
		}
	}
	if rb.APIEndpoint != "" {
		ep := rb.APIEndpoint
		if !(strings.HasPrefix(ep, "http://") || strings.HasPrefix(ep, "https://")) || strings.Count(ep, "%s") != 2 {
			b.e(in("api_endpoint"), "%q 格式不对：应为 http://主机:端口/bot%%s/%%s（两个 %%s 依次代替令牌和方法名）", ep)
		} else {
			out.APIEndpoint = ep
		}
	}
	if rb.AdminChat != 0 {
		out.AdminChat = telegramChat(rb.AdminChat)
	}
	if rb.UndoWindow != "" {
		d, err := time.ParseDuration(rb.UndoWindow)
		if err != nil || d <= 0 || d > 30*24*time.Hour {
			b.e(in("undo_window"), "%q 无效：应为时长，如 24h（24 小时）、30m（30 分钟），最长 720h", rb.UndoWindow)
		} else {
			out.UndoWindow = d
		}
	}
	if lim := rb.Limits; lim != nil {
		b.sendLimits(lim)
	}
	if rb.JumpShare != nil {
		if *rb.JumpShare <= 0 || *rb.JumpShare > 10 {
			b.e(in("value_jump_share"), "%v 超出范围：应为大于 0 的比例，如 0.5 表示一次增加超过全年目标的 50%% 时要求确认", *rb.JumpShare)
		} else {
			out.JumpShare = *rb.JumpShare
		}
	}
}

// sendLimits checks bot.send_limits.
func (b *builder) sendLimits(lim *rawSendLimits) {
	lin := func(key string) at { return at{b.files[0].name, lim.Lines.of(key), "bot.send_limits." + key} }
	set := func(key string, v *float64, lo, hi float64, dst *float64) {
		if v == nil {
			return
		}
		if *v < lo || *v > hi {
			b.e(lin(key), "%v 超出范围：应在 %v 与 %v 之间", *v, lo, hi)
			return
		}
		*dst = *v
	}
	set("per_second", lim.PerSecond, 0.1, 10000, &b.cfg.Bot.PerSecond)
	set("per_chat_seconds", lim.PerChatSeconds, 0, 3600, &b.cfg.Bot.PerChatSeconds)
	set("per_group_per_minute", lim.PerGroupPerMinute, 0.1, 10000, &b.cfg.Bot.PerGroupPerMinute)
}

// rules checks the rules: section.
func (b *builder) rules() {
	main := b.files[0]
	r := main.raw.Rules
	if r == nil {
		return
	}
	out := &b.plan.Rules
	in := func(key string) at { return at{main.name, r.Lines.of(key), "rules." + key} }
	if r.Tolerance != nil {
		if *r.Tolerance < 0 || *r.Tolerance > 100 {
			b.e(in("tolerance"), "%v 超出范围：应为 0–100 之间的百分点数", *r.Tolerance)
		} else {
			out.Tolerance = *r.Tolerance
		}
	}
	if r.SilentDays != nil {
		if *r.SilentDays < 1 || *r.SilentDays > 366 {
			b.e(in("silent_days"), "%d 超出范围：应为 1–366 天", *r.SilentDays)
		} else {
			out.SilentDays = *r.SilentDays
		}
	}
	if r.IndicatorTolerance != nil {
		if *r.IndicatorTolerance < 0 || *r.IndicatorTolerance > 100 {
			b.e(in("indicator_tolerance"), "%v 超出范围：应为 0–100 之间的百分点数", *r.IndicatorTolerance)
		} else {
			out.IndicatorTolerance = *r.IndicatorTolerance
		}
	}
	if r.UnitReports != nil {
		out.UnitReports = *r.UnitReports
	}
}

// limits checks the reminder_limits: section.
func (b *builder) limits() {
	main := b.files[0]
	lim := main.raw.Limits
	if lim == nil {
		return
	}
	out := &b.plan.Limits
	in := func(key string) at { return at{main.name, lim.Lines.of(key), "reminder_limits." + key} }
	if lim.PerPersonPerDay != nil {
		if *lim.PerPersonPerDay < 0 || *lim.PerPersonPerDay > 100 {
			b.e(in("per_person_per_day"), "%d 超出范围：应为 0–100（0 表示不限）", *lim.PerPersonPerDay)
		} else {
			out.PerPersonPerDay = *lim.PerPersonPerDay
		}
	}
	if lim.QuietHours != "" {
		from, to, ok := parseQuietHours(lim.QuietHours)
		if !ok {
			b.e(in("quiet_hours"), "%q 无效：应为“开始-结束”，如 \"21:00-08:00\"；不要免打扰写 \"\"", lim.QuietHours)
		} else {
			out.QuietFrom, out.QuietTo = from, to
		}
	} else if _, set := lim.Lines["quiet_hours"]; set {
		out.QuietFrom, out.QuietTo = 0, 0
	}
	if lim.CatchUpWindow != "" {
		d, err := time.ParseDuration(lim.CatchUpWindow)
		if err != nil || d < 0 || d > 7*24*time.Hour {
			b.e(in("catch_up_window"), "%q 无效：应为时长，如 6h（6 小时），0 表示不补发，最长 168h", lim.CatchUpWindow)
		} else {
			out.CatchUpWindow = d
		}
	}
}

// calendar checks calendar: in every file; a day may not be both a holiday
// and a workday.
func (b *builder) calendar() {
	holidays := map[planbot.Date]at{}
	for _, f := range b.files {
		c := f.raw.Calendar
		if c == nil {
			continue
		}
		for j, s := range c.Holidays {
			a := at{f.name, c.Lines.of("holidays"), fmt.Sprintf("calendar.holidays[%d]", j+1)}
			if d := b.l.date(b.e, a, a, "", "假日", s); !d.IsZero() {
				holidays[d] = a
				b.plan.Calendar.Holidays = append(b.plan.Calendar.Holidays, d)
			}
		}
		for j, s := range c.Workdays {
			a := at{f.name, c.Lines.of("workdays"), fmt.Sprintf("calendar.workdays[%d]", j+1)}
			if d := b.l.date(b.e, a, a, "", "调休上班日", s); !d.IsZero() {
				if prev, both := holidays[d]; both {
					b.e(a, "%s 同时写在 holidays（%s）和 workdays 中：只能是其中之一", d, prev.pos())
				}
				b.plan.Calendar.Workdays = append(b.plan.Calendar.Workdays, d)
			}
		}
	}
}

// date parses a YYYY-MM-DD value; a missing one is reported on the mapping.
func (l *loader) date(e func(at, string, ...any), where, in at, key, what, s string) planbot.Date {
	if strings.TrimSpace(s) == "" {
		if key != "" {
			e(where, "缺少 %s：应写%s，格式 YYYY-MM-DD，如 2027-06-30", key, what)
		}
		return planbot.Date{}
	}
	d, err := planbot.ParseDate(strings.TrimSpace(s))
	if err != nil {
		e(in, "%q 不是有效日期：应为 YYYY-MM-DD，如 2027-06-30", s)
		return planbot.Date{}
	}
	return d
}

func (a at) pos() string { return fmt.Sprintf("%s:%d", a.file, a.line) }

func keysOf(m map[string]at) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// redactToken keeps a token pasted by mistake into token_env out of messages.
func redactToken(s string) string {
	if len(s) > 8 {
		return s[:4] + "…"
	}
	return s
}

// parseQuietHours reads "21:00-08:00" into minutes after midnight.
func parseQuietHours(s string) (from, to int, ok bool) {
	a, b, found := strings.Cut(strings.ReplaceAll(s, " ", ""), "-")
	if !found {
		return 0, 0, false
	}
	parse := func(hm string) (int, bool) {
		t, err := time.Parse("15:04", hm)
		if err != nil {
			return 0, false
		}
		return t.Hour()*60 + t.Minute(), true
	}
	from, ok1 := parse(a)
	to, ok2 := parse(b)
	return from, to, ok1 && ok2 && from != to
}

// isPlaceholder reports whether a value is one the admin was asked to fill:
// it starts with TODO, as the drafts of `planbot import-doc` write them.
func isPlaceholder(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "TODO") }

// placeholders reports every text value starting with TODO as 待填写 at its
// line, and returns their places (file and key) so that no other message
// repeats them: "TODO" is not also "不在 people 中".
func (l *loader) placeholders(files []fileRaw) map[string]bool {
	todo := map[string]bool{}
	for _, f := range files {
		walkText(reflect.ValueOf(f.raw), "", func(key string, line int, value string) {
			if !isPlaceholder(value) {
				return
			}
			l.errs.add(f.name, line, key, placeholderMsg(key, value))
			todo[f.name+"\x00"+key] = true
		})
	}
	return todo
}

// walkText calls found for every string of a raw struct, with the key path
// and line the build checks use ("items[3].owners[1]").
func walkText(v reflect.Value, path string, found func(key string, line int, value string)) {
	t := v.Type()
	var ln lines
	for i := range t.NumField() {
		if t.Field(i).Type == linesType {
			ln, _ = v.Field(i).Interface().(lines)
		}
	}
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		key := tag
		if path != "" {
			key = path + "." + tag
		}
		switch fv := v.Field(i); fv.Kind() {
		case reflect.String:
			found(key, ln.of(tag), fv.String())
		case reflect.Pointer:
			if !fv.IsNil() && fv.Elem().Kind() == reflect.Struct {
				walkText(fv.Elem(), key, found)
			}
		case reflect.Slice:
			for j := range fv.Len() {
				el, sub := fv.Index(j), fmt.Sprintf("%s[%d]", key, j+1)
				switch el.Kind() {
				case reflect.String:
					found(sub, ln.of(tag), el.String())
				case reflect.Struct:
					walkText(el, sub, found)
				}
			}
		}
	}
}

// placeholderMsg says what to write in place of a TODO at key.
func placeholderMsg(key, value string) string {
	field := key[strings.LastIndex(key, ".")+1:]
	if i := strings.IndexByte(field, '['); i >= 0 {
		field = field[:i]
	}
	var what string
	switch {
	case field == "owners":
		what = "责任人 —— 写 people 中某人的 key，可写多人，如 owners: [zhao_cun, qian_cun]"
	case field == "leader":
		what = "分管领导 —— 写 people 中一位领导（roles 含 leader）的 key"
	case field == "target" && strings.HasPrefix(key, "indicators"):
		what = "全年目标 —— 写数字（单位同 unit），如 6.5"
	case field == "target":
		what = "目标 —— 写数字加单位，如 30万只；没有可量化的目标就删掉这一行"
	case field == "last_year":
		what = "上年实际数 —— 写数字（单位同 unit）；不知道就删掉这一行"
	case field == "unit":
		what = "单位 —— 如 亿元、万元、%、个"
	case field == "name":
		what = "名称 —— 人的姓名或指标的名称"
	default:
		what = "把 TODO 换成实际内容"
	}
	if v := strings.TrimSpace(value); v != "TODO" {
		what += fmt.Sprintf("（现为 %q）", v)
	}
	return "待填写：" + what
}

// unitHint lists the units people belong to, for an item's unit that
// matches none of them (a typo, or a village whose cadres are not listed).
func unitHint(units map[string]bool) string {
	if len(units) == 0 {
		return "：people 中还没有人写 unit"
	}
	names := slices.Sorted(maps.Keys(units))
	if len(names) > 12 {
		names = append(names[:12], "…")
	}
	return "：现有单位 " + strings.Join(names, "、")
}
