package config

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

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
)

// build turns the decoded files into a Config, checking everything that
// needs more than one value to check.
func (l *loader) build(files []fileRaw) *Config {
	main := files[0]
	m := main.raw
	cfg := &Config{Database: DefaultDatabase, Bot: Bot{TokenEnv: DefaultTokenEnv, UndoWindow: DefaultUndoWindow, JumpShare: DefaultJumpShare,
		PerSecond: DefaultPerSecond, PerChatSeconds: DefaultPerChatSeconds, PerGroupPerMinute: DefaultPerGroupPerMinute}}
	plan := &planbot.Plan{Rules: planbot.DefaultRules, Limits: planbot.DefaultLimits}
	cfg.Plan = plan
	todo := l.placeholders(files)
	e := func(a at, format string, args ...any) {
		if todo[a.file+"\x00"+a.key] {
			return // reported once, as 待填写
		}
		l.errs.add(a.file, a.line, a.key, fmt.Sprintf(format, args...))
	}
	top := func(key string) at { return at{main.name, m.Lines.of(key), key} }

	if m.Year == nil {
		e(top("year"), "缺少 year：应写计划年度，如 year: 2027")
	} else if *m.Year < 2000 || *m.Year > 2100 {
		e(top("year"), "年度 %d 不合理：应为 2000–2100 之间的年份", *m.Year)
	} else {
		plan.Year = *m.Year
	}

	tz := cmpOr(m.Timezone, DefaultTimezone)
	loc, err := time.LoadLocation(tz)
	if err != nil || strings.EqualFold(tz, "local") {
		e(top("timezone"), "不认识的时区 %q：应为 IANA 时区名，如 Asia/Shanghai", tz)
		loc = time.UTC
	}
	plan.Location = loc
	cfg.Database = cmpOr(strings.TrimSpace(m.Database), DefaultDatabase)

	if b := m.Bot; b != nil {
		in := func(key string) at { return at{main.name, b.Lines.of(key), "bot." + key} }
		if b.TokenEnv != "" {
			if !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(b.TokenEnv) {
				e(in("token_env"), "%q 不是环境变量名：这里写保存令牌的环境变量的名字（如 PLANBOT_TELEGRAM_TOKEN），令牌本身不要写进文件", redactToken(b.TokenEnv))
			} else {
				cfg.Bot.TokenEnv = b.TokenEnv
			}
		}
		if b.APIEndpoint != "" {
			ep := b.APIEndpoint
			if !(strings.HasPrefix(ep, "http://") || strings.HasPrefix(ep, "https://")) || strings.Count(ep, "%s") != 2 {
				e(in("api_endpoint"), "%q 格式不对：应为 http://主机:端口/bot%%s/%%s（两个 %%s 依次代替令牌和方法名）", ep)
			} else {
				cfg.Bot.APIEndpoint = ep
			}
		}
		cfg.Bot.AdminChat = b.AdminChat
		if b.UndoWindow != "" {
			d, err := time.ParseDuration(b.UndoWindow)
			if err != nil || d <= 0 || d > 30*24*time.Hour {
				e(in("undo_window"), "%q 无效：应为时长，如 24h（24 小时）、30m（30 分钟），最长 720h", b.UndoWindow)
			} else {
				cfg.Bot.UndoWindow = d
			}
		}
		if l := b.Limits; l != nil {
			lin := func(key string) at { return at{main.name, l.Lines.of(key), "bot.send_limits." + key} }
			set := func(key string, v *float64, lo, hi float64, dst *float64) {
				if v == nil {
					return
				}
				if *v < lo || *v > hi {
					e(lin(key), "%v 超出范围：应在 %v 与 %v 之间", *v, lo, hi)
					return
				}
				*dst = *v
			}
			set("per_second", l.PerSecond, 0.1, 10000, &cfg.Bot.PerSecond)
			set("per_chat_seconds", l.PerChatSeconds, 0, 3600, &cfg.Bot.PerChatSeconds)
			set("per_group_per_minute", l.PerGroupPerMinute, 0.1, 10000, &cfg.Bot.PerGroupPerMinute)
		}
		if b.JumpShare != nil {
			if *b.JumpShare <= 0 || *b.JumpShare > 10 {
				e(in("value_jump_share"), "%v 超出范围：应为大于 0 的比例，如 0.5 表示一次增加超过全年目标的 50%% 时要求确认", *b.JumpShare)
			} else {
				cfg.Bot.JumpShare = *b.JumpShare
			}
		}
	}

	if r := m.Rules; r != nil {
		in := func(key string) at { return at{main.name, r.Lines.of(key), "rules." + key} }
		if r.Tolerance != nil {
			if *r.Tolerance < 0 || *r.Tolerance > 100 {
				e(in("tolerance"), "%v 超出范围：应为 0–100 之间的百分点数", *r.Tolerance)
			} else {
				plan.Rules.Tolerance = *r.Tolerance
			}
		}
		if r.SilentDays != nil {
			if *r.SilentDays < 1 || *r.SilentDays > 366 {
				e(in("silent_days"), "%d 超出范围：应为 1–366 天", *r.SilentDays)
			} else {
				plan.Rules.SilentDays = *r.SilentDays
			}
		}
		if r.IndicatorTolerance != nil {
			if *r.IndicatorTolerance < 0 || *r.IndicatorTolerance > 100 {
				e(in("indicator_tolerance"), "%v 超出范围：应为 0–100 之间的百分点数", *r.IndicatorTolerance)
			} else {
				plan.Rules.IndicatorTolerance = *r.IndicatorTolerance
			}
		}
		if r.UnitReports != nil {
			plan.Rules.UnitReports = *r.UnitReports
		}
	}

	if lim := m.Limits; lim != nil {
		in := func(key string) at { return at{main.name, lim.Lines.of(key), "reminder_limits." + key} }
		if lim.PerPersonPerDay != nil {
			if *lim.PerPersonPerDay < 0 || *lim.PerPersonPerDay > 100 {
				e(in("per_person_per_day"), "%d 超出范围：应为 0–100（0 表示不限）", *lim.PerPersonPerDay)
			} else {
				plan.Limits.PerPersonPerDay = *lim.PerPersonPerDay
			}
		}
		if lim.QuietHours != "" {
			from, to, ok := parseQuietHours(lim.QuietHours)
			if !ok {
				e(in("quiet_hours"), "%q 无效：应为“开始-结束”，如 \"21:00-08:00\"；不要免打扰写 \"\"", lim.QuietHours)
			} else {
				plan.Limits.QuietFrom, plan.Limits.QuietTo = from, to
			}
		} else if _, set := lim.Lines["quiet_hours"]; set {
			plan.Limits.QuietFrom, plan.Limits.QuietTo = 0, 0
		}
		if lim.CatchUpWindow != "" {
			d, err := time.ParseDuration(lim.CatchUpWindow)
			if err != nil || d < 0 || d > 7*24*time.Hour {
				e(in("catch_up_window"), "%q 无效：应为时长，如 6h（6 小时），0 表示不补发，最长 168h", lim.CatchUpWindow)
			} else {
				plan.Limits.CatchUpWindow = d
			}
		}
	}

	people := map[string]at{}
	telegramIDs := map[int64]at{}
	invites := map[string]at{}
	for _, f := range files {
		for i, p := range f.raw.People {
			in := func(key string) at { return at{f.name, p.Lines.of(key), fmt.Sprintf("people[%d].%s", i+1, key)} }
			where := at{f.name, p.Lines.of(""), fmt.Sprintf("people[%d]", i+1)}
			person := planbot.Person{Key: p.Key, Name: strings.TrimSpace(p.Name), TelegramID: p.TelegramID, Unit: p.Unit, Principal: p.Principal, Invite: p.Invite}
			switch {
			case p.Key == "":
				e(where, "缺少 key：每个人要有一个简短的英文标识，如 zhang_san")
			case !keyPattern.MatchString(p.Key):
				e(in("key"), "%q 不能用作 key：只能用英文字母、数字和下划线，且以字母开头", p.Key)
			case people[p.Key].file != "":
				e(in("key"), "key %q 重复：已在 %s 定义", p.Key, people[p.Key].pos())
			default:
				people[p.Key] = in("key")
			}
			if person.Name == "" {
				e(in("name"), "缺少 name：应写姓名")
			}
			if p.TelegramID < 0 {
				e(in("telegram_id"), "%d 不是用户 id：个人的 Telegram 数字 id 是正数（群组 id 才是负数）", p.TelegramID)
			} else if p.TelegramID > 0 {
				if prev, dup := telegramIDs[p.TelegramID]; dup {
					e(in("telegram_id"), "telegram_id %d 重复：已用于 %s", p.TelegramID, prev.pos())
				} else {
					telegramIDs[p.TelegramID] = in("telegram_id")
				}
			}
			if p.Invite != "" {
				if len([]rune(p.Invite)) < 6 || strings.ContainsAny(p.Invite, " \t") {
					e(in("invite"), "邀请码 %q 太短或含空格：至少 6 个字符，不含空格", p.Invite)
				} else if prev, dup := invites[p.Invite]; dup {
					e(in("invite"), "邀请码重复：已用于 %s", prev.pos())
				} else {
					invites[p.Invite] = in("invite")
				}
			}
			if len(p.Roles) == 0 {
				e(where, "缺少 roles：应写 admin、leader、cadre 中的一个或几个，如 roles: [cadre]")
			}
			for j, r := range p.Roles {
				role := planbot.Role(strings.TrimSpace(r))
				if !role.Valid() {
					e(at{f.name, p.Lines.of("roles"), fmt.Sprintf("people[%d].roles[%d]", i+1, j+1)}, "不认识的角色 %q：应为 admin（党政办）、leader（领导）或 cadre（干部）", r)
					continue
				}
				person.Roles = append(person.Roles, role)
			}
			if person.Has(planbot.RoleCadre) && p.TelegramID == 0 && p.Invite == "" {
				e(where, "干部 %s 既没有 telegram_id 也没有 invite：无法收到提醒，请填写其 Telegram 数字 id，或设一个邀请码让其发送 /start 邀请码 绑定", cmpOr(person.Name, p.Key))
			}
			plan.People = append(plan.People, person)
			plan.Leaves = append(plan.Leaves, l.leaves(e, f.name, i, p, plan.Year)...)
		}
	}
	personRef := func(a at, key, what string) bool {
		if key == "" {
			return false
		}
		if _, ok := people[key]; !ok {
			if near := nearest(key, keysOf(people)); near != "" {
				e(a, "%s %q 不在 people 中，是否应为 %q？", what, key, near)
			} else {
				e(a, "%s %q 不在 people 中：请先在 people 里添加此人", what, key)
			}
			return false
		}
		return true
	}
	isLeader := func(key string) bool {
		p, _ := plan.Person(key)
		return p.Has(planbot.RoleLeader)
	}
	units := map[string]bool{}
	for _, p := range plan.People {
		if p.Unit != "" {
			units[p.Unit] = true
		}
	}

	sections := map[string]at{}
	for _, f := range files {
		for i, s := range f.raw.Sections {
			in := func(key string) at { return at{f.name, s.Lines.of(key), fmt.Sprintf("sections[%d].%s", i+1, key)} }
			where := at{f.name, s.Lines.of(""), fmt.Sprintf("sections[%d]", i+1)}
			switch {
			case s.Code == "":
				e(where, "缺少 code：应写板块编号，如 \"2\"")
			case !codePattern.MatchString(s.Code):
				e(in("code"), "编号 %q 不能含空格或斜杠", s.Code)
			case sections[s.Code].file != "":
				e(in("code"), "板块编号 %q 重复：已在 %s 定义", s.Code, sections[s.Code].pos())
			default:
				sections[s.Code] = in("code")
			}
			if strings.TrimSpace(s.Title) == "" {
				e(where, "缺少 title：应写板块标题")
			}
			if s.Leader == "" {
				e(where, "缺少 leader：应写分管领导的 key")
			} else if personRef(in("leader"), s.Leader, "分管领导") && !isLeader(s.Leader) {
				e(in("leader"), "%q 不是领导：分管领导的 roles 中应有 leader", s.Leader)
			}
			plan.Sections = append(plan.Sections, planbot.Section{Code: s.Code, Title: strings.TrimSpace(s.Title), Leader: s.Leader})
		}
	}

	items := map[string]at{}
	for _, f := range files {
		for i, it := range f.raw.Items {
			in := func(key string) at { return at{f.name, it.Lines.of(key), fmt.Sprintf("items[%d].%s", i+1, key)} }
			where := at{f.name, it.Lines.of(""), fmt.Sprintf("items[%d]", i+1)}
			item := planbot.Item{Code: it.Code, Section: it.Section, Title: strings.TrimSpace(it.Title), Description: strings.TrimSpace(it.Description), Leader: it.Leader}
			switch {
			case it.Code == "":
				e(where, "缺少 code：应写事项编号，如 \"2.3\"（加引号）")
			case !codePattern.MatchString(it.Code):
				e(in("code"), "编号 %q 不能含空格或斜杠", it.Code)
			case items[it.Code].file != "":
				e(in("code"), "事项编号 %q 重复：已在 %s 定义", it.Code, items[it.Code].pos())
			default:
				items[it.Code] = in("code")
			}
			if it.Section == "" {
				e(where, "缺少 section：应写所属板块的编号")
			} else if _, ok := sections[it.Section]; !ok {
				e(in("section"), "板块 %q 不在 sections 中", it.Section)
			}
			if item.Title == "" {
				e(where, "缺少 title：应写事项的简短标题")
			}
			if len(it.Owners) == 0 {
				e(where, "缺少 owners：应写至少一位责任人的 key，如 owners: [zhang_san]")
			}
			for j, o := range it.Owners {
				personRef(at{f.name, it.Lines.of("owners"), fmt.Sprintf("items[%d].owners[%d]", i+1, j+1)}, o, "责任人")
				if slices.Index(it.Owners, o) < j && !isPlaceholder(o) {
					e(in("owners"), "责任人 %q 重复", o)
				}
			}
			item.Owners = it.Owners
			if item.Unit = strings.TrimSpace(it.Unit); item.Unit != "" && !units[item.Unit] {
				e(in("unit"), "单位 %q 没有任何人员（people 的 unit）%s", item.Unit, unitHint(units))
			}
			if it.Leader != "" {
				if personRef(in("leader"), it.Leader, "分管领导") && !isLeader(it.Leader) {
					e(in("leader"), "%q 不是领导：分管领导的 roles 中应有 leader", it.Leader)
				}
			} else if s, ok := plan.Section(it.Section); ok {
				item.Leader = s.Leader
			}
			item.Start = l.date(e, where, in("start"), "start", "开始日期", it.Start)
			item.Due = l.date(e, where, in("due"), "due", "截止日期", it.Due)
			if !item.Start.IsZero() && !item.Due.IsZero() && item.Due.Before(item.Start) {
				e(in("due"), "截止日期 %s 早于开始日期 %s", item.Due, item.Start)
			}
			if it.Target != "" {
				a, err := planbot.ParseAmount(it.Target)
				switch {
				case err != nil:
					e(in("target"), "%v", err)
				case a.Unit == "":
					e(in("target"), "目标 %q 缺少单位：应写数字加单位，如 30万只、200亩、1.8亿元", it.Target)
				case a.Value <= 0:
					e(in("target"), "目标 %q 应大于 0", it.Target)
				default:
					item.Target = &a
				}
			}
			switch item.Tally = planbot.Tally(cmpOr(it.Tally, string(planbot.TallyShared))); {
			case !item.Tally.Valid():
				e(in("tally"), "%q 无效：应为 shared（全项一个数，谁报都算最新数）或 per_owner（各责任人分别汇报自己的数，相加）", it.Tally)
			case item.Tally == planbot.TallyPerOwner && it.Target == "":
				// A target that is there but wrong is reported as such above.
				e(in("tally"), "per_owner 要相加各责任人的数，需要写 target：带单位的目标，如 150户、60万元")
			}
			for j, ms := range it.Milestones {
				min := func(key string) at {
					return at{f.name, ms.Lines.of(key), fmt.Sprintf("items[%d].milestones[%d].%s", i+1, j+1, key)}
				}
				mwhere := at{f.name, ms.Lines.of(""), fmt.Sprintf("items[%d].milestones[%d]", i+1, j+1)}
				d := l.date(e, mwhere, min("date"), "date", "节点日期", ms.Date)
				if ms.Percent < 0 || ms.Percent > 100 {
					e(min("percent"), "进度 %v%% 超出范围：应为 0–100", ms.Percent)
				}
				if !d.IsZero() && !item.Start.IsZero() && !item.Due.IsZero() && !item.Due.Before(item.Start) && (d.Before(item.Start) || item.Due.Before(d)) {
					e(min("date"), "节点日期 %s 不在事项的起止日期 %s 至 %s 之内", d, item.Start, item.Due)
				}
				if n := len(item.Milestones); n > 0 {
					prev := item.Milestones[n-1]
					if !d.IsZero() && !prev.Date.Before(d) {
						e(min("date"), "节点日期应按先后顺序排列：%s 不晚于上一个节点 %s", d, prev.Date)
					}
					if ms.Percent < prev.Percent {
						e(min("percent"), "节点进度不应倒退：%v%% 小于上一个节点的 %v%%", ms.Percent, prev.Percent)
					}
				}
				item.Milestones = append(item.Milestones, planbot.Milestone{Date: d, Percent: ms.Percent})
			}
			plan.Items = append(plan.Items, item)
		}
	}

	indicators := map[string]at{}
	names := map[string]at{} // names and aliases share one space: chat matches both
	for _, f := range files {
		for i, ind := range f.raw.Indicators {
			in := func(key string) at { return at{f.name, ind.Lines.of(key), fmt.Sprintf("indicators[%d].%s", i+1, key)} }
			where := at{f.name, ind.Lines.of(""), fmt.Sprintf("indicators[%d]", i+1)}
			out := planbot.Indicator{Key: ind.Key, Name: strings.TrimSpace(ind.Name), Aliases: ind.Aliases, Unit: ind.Unit, Accumulate: planbot.Accumulation(cmpOr(ind.Accumulate, string(planbot.AccumulateYTD)))}
			switch {
			case ind.Key == "":
				e(where, "缺少 key：应写指标的英文标识，如 fixed_asset_investment")
			case !keyPattern.MatchString(ind.Key):
				e(in("key"), "%q 不能用作 key：只能用英文字母、数字和下划线，且以字母开头", ind.Key)
			case indicators[ind.Key].file != "":
				e(in("key"), "指标 key %q 重复：已在 %s 定义", ind.Key, indicators[ind.Key].pos())
			default:
				indicators[ind.Key] = in("key")
			}
			if out.Name == "" {
				e(where, "缺少 name：应写指标名称，如 固定资产投资")
			}
			for j, n := range append([]string{out.Name}, ind.Aliases...) {
				n = strings.TrimSpace(n)
				if n == "" {
					continue
				}
				a := in("name")
				if j > 0 {
					a = at{f.name, ind.Lines.of("aliases"), fmt.Sprintf("indicators[%d].aliases[%d]", i+1, j)}
				}
				if prev, dup := names[n]; dup {
					e(a, "名称 %q 已被另一指标使用（%s）：填报时会分不清", n, prev.pos())
				} else {
					names[n] = a
				}
			}
			unitOK := false
			if ind.Unit == "" {
				e(where, "缺少 unit：应写单位，如 亿元、万元、%%、个")
			} else if _, ok := planbot.LookupUnit(ind.Unit); !ok {
				e(in("unit"), "不认识的单位 %q：可用 元、万元、亿元、%%、个、户、人次 等", ind.Unit)
			} else {
				unitOK = true
			}
			if ind.Target == "" {
				e(where, "缺少 target：应写全年目标，如 target: 6.5（单位同 unit）")
			} else if unitOK {
				a, err := planbot.ParseAmountIn(ind.Target, ind.Unit)
				switch {
				case err != nil:
					e(in("target"), "%v", err)
				case a.Value <= 0:
					e(in("target"), "全年目标应大于 0")
				default:
					out.Target = a
				}
			}
			if ind.LastYear != "" && unitOK {
				a, err := planbot.ParseAmountIn(ind.LastYear, ind.Unit)
				if err != nil {
					e(in("last_year"), "%v", err)
				} else {
					out.LastYear = &a
				}
			}
			if out.Accumulate != planbot.AccumulateYTD && out.Accumulate != planbot.AccumulateLevel {
				e(in("accumulate"), "%q 无效：应为 ytd（年度累计，如固定资产投资累计完成）或 level（某一时点的水平）", ind.Accumulate)
			}
			plan.Indicators = append(plan.Indicators, out)
		}
	}

	reminders := map[string]at{}
	for _, f := range files {
		for i, r := range f.raw.Reminders {
			in := func(key string) at { return at{f.name, r.Lines.of(key), fmt.Sprintf("reminders[%d].%s", i+1, key)} }
			where := at{f.name, r.Lines.of(""), fmt.Sprintf("reminders[%d]", i+1)}
			out := planbot.Reminder{Name: r.Name, Kind: planbot.ReminderKind(r.Kind), Cron: strings.TrimSpace(r.Cron), To: r.To, WorkdaysOnly: r.WorkdaysOnly}
			switch {
			case r.Name == "":
				e(where, "缺少 name：应写提醒的英文名称，如 overdue_daily")
			case !keyPattern.MatchString(r.Name):
				e(in("name"), "%q 不能用作名称：只能用英文字母、数字和下划线，且以字母开头", r.Name)
			case reminders[r.Name].file != "":
				e(in("name"), "提醒名称 %q 重复：已在 %s 定义", r.Name, reminders[r.Name].pos())
			default:
				reminders[r.Name] = in("name")
			}
			if r.Kind == "" {
				e(where, "缺少 kind：应为 %s 之一", kindList())
			} else if !out.Kind.Valid() {
				if near := nearest(r.Kind, strings.Split(kindList(), "、")); near != "" {
					e(in("kind"), "不认识的类型 %q，是否应为 %q？", r.Kind, near)
				} else {
					e(in("kind"), "不认识的类型 %q：应为 %s 之一", r.Kind, kindList())
				}
			}
			if out.Cron == "" {
				e(where, "缺少 cron：应写 5 段时间表达式（分 时 日 月 周），如 \"0 9 * * 1-5\" 表示工作日上午 9 点")
			} else if err := validateCron(out.Cron); err != nil {
				e(in("cron"), "%v", err)
			}
			if len(r.To) == 0 {
				e(where, "缺少 to：应写接收人，如 [owners]、[role:leader]、某人的 key 或 chat:群组id")
			}
			for j, to := range r.To {
				a := at{f.name, r.Lines.of("to"), fmt.Sprintf("reminders[%d].to[%d]", i+1, j+1)}
				switch {
				case to == "owners" || to == "leader":
				case strings.HasPrefix(to, "role:"):
					if !planbot.Role(strings.TrimPrefix(to, "role:")).Valid() {
						e(a, "%q 中的角色无效：应为 role:admin、role:leader 或 role:cadre", to)
					}
				case strings.HasPrefix(to, "chat:"):
					if id, err := strconv.ParseInt(strings.TrimPrefix(to, "chat:"), 10, 64); err != nil || id == 0 {
						e(a, "%q 无效：应为 chat: 加群组的数字 id，如 chat:-1001234567890", to)
					}
				default:
					personRef(a, to, "接收人")
				}
			}
			days := func(key string, v *int, set *int) {
				if v == nil {
					return
				}
				if *v < 0 || *v > 366 {
					e(in(key), "%d 超出范围：应为 0–366 天", *v)
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
					e(in("principal_after_days"), "%d 小于 leader_after_days %d：升级到主要领导应晚于升级到分管领导", out.PrincipalAfterDays, out.LeaderAfterDays)
				}
			}
			out.Since = time.Monday
			if r.Since != "" {
				wd, ok := parseWeekday(r.Since)
				if !ok {
					e(in("since"), "%q 不是星期：应为 monday…sunday 或 周一…周日", r.Since)
				}
				out.Since = wd
			}
			plan.Reminders = append(plan.Reminders, out)
		}
	}

	holidays := map[planbot.Date]at{}
	for _, f := range files {
		c := f.raw.Calendar
		if c == nil {
			continue
		}
		for j, s := range c.Holidays {
			a := at{f.name, c.Lines.of("holidays"), fmt.Sprintf("calendar.holidays[%d]", j+1)}
			if d := l.date(e, a, a, "", "假日", s); !d.IsZero() {
				holidays[d] = a
				plan.Calendar.Holidays = append(plan.Calendar.Holidays, d)
			}
		}
		for j, s := range c.Workdays {
			a := at{f.name, c.Lines.of("workdays"), fmt.Sprintf("calendar.workdays[%d]", j+1)}
			if d := l.date(e, a, a, "", "调休上班日", s); !d.IsZero() {
				if prev, both := holidays[d]; both {
					e(a, "%s 同时写在 holidays（%s）和 workdays 中：只能是其中之一", d, prev.pos())
				}
				plan.Calendar.Workdays = append(plan.Calendar.Workdays, d)
			}
		}
	}
	return cfg
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

// leaves reads a person's `leave:` spans: each from–to within the plan
// year, to not before from, and no two overlapping (an admin who wrote two
// that overlap meant one span, or mistyped a date).
func (l *loader) leaves(e func(at, string, ...any), file string, i int, p rawPerson, year int) []planbot.Leave {
	var out []planbot.Leave
	var written []int // the line of each of out
	for j, lv := range p.Leave {
		key := fmt.Sprintf("people[%d].leave[%d]", i+1, j+1)
		in := func(k string) at { return at{file, lv.Lines.of(k), key + "." + k} }
		where := at{file, lv.Lines.of(""), key}
		from := l.date(e, where, in("from"), "from", "请假开始日期", lv.From)
		to := l.date(e, where, in("to"), "to", "请假结束日期（含当天）", lv.To)
		if from.IsZero() || to.IsZero() {
			continue
		}
		bad := false
		for _, d := range []struct {
			k string
			d planbot.Date
		}{{"from", from}, {"to", to}} {
			if year != 0 && d.d.Year != year {
				e(in(d.k), "请假日期 %s 不在计划年度 %d 内：跨年的请假请只写到 %d-12-31，新年度的计划里再写", d.d, year, year)
				bad = true
			}
		}
		if !bad && to.Before(from) {
			e(in("to"), "请假结束日期 %s 早于开始日期 %s", to, from)
			bad = true
		}
		if bad {
			continue
		}
		span := planbot.Leave{Person: p.Key, From: from, To: to, Source: planbot.LeaveFromYAML, Note: strings.TrimSpace(lv.Note)}
		for k, prev := range out {
			if !prev.To.Before(span.From) && !span.To.Before(prev.From) {
				e(in("from"), "请假 %s 至 %s 与第 %d 行的 %s 至 %s 重叠：请合并为一段", span.From, span.To, written[k], prev.From, prev.To)
				bad = true
				break
			}
		}
		if !bad {
			out = append(out, span)
			written = append(written, where.line)
		}
	}
	return out
}
