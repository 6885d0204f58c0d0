package config

import (
	"fmt"
	"strconv"
	"strings"

	"planbot"
)

// buildPeople checks people: in every file, with each person's leave.
func (b *builder) buildPeople() {
	b.people = map[string]at{}
	ids := accountsSeen{telegram: map[int64]at{}, wecom: map[string]at{}}
	invites := map[string]at{}
	for _, f := range b.files {
		for i, p := range f.raw.People {
			b.person(f.name, i, p, ids, invites)
		}
	}
	b.units = map[string]bool{}
	for _, p := range b.plan.People {
		if p.Unit != "" {
			b.units[p.Unit] = true
		}
	}
}

// accountsSeen are the accounts people were given so far, on each
// platform, which must not repeat.
type accountsSeen struct {
	telegram map[int64]at
	wecom    map[string]at // by the lower-case id
}

// person checks people[i] of file; ids and invites are those seen so far,
// which must not repeat.
func (b *builder) person(file string, i int, p rawPerson, ids accountsSeen, invites map[string]at) {
	in := func(key string) at { return at{file, p.Lines.of(key), fmt.Sprintf("people[%d].%s", i+1, key)} }
	where := at{file, p.Lines.of(""), fmt.Sprintf("people[%d]", i+1)}
	person := planbot.Person{Key: p.Key, Name: strings.TrimSpace(p.Name), Unit: p.Unit, Principal: p.Principal, Invite: p.Invite}
	switch {
	case p.Key == "":
		b.e(where, "缺少 key：每个人要有一个简短的英文标识，如 zhang_san")
	case !keyPattern.MatchString(p.Key):
		b.e(in("key"), "%q 不能用作 key：只能用英文字母、数字和下划线，且以字母开头", p.Key)
	case b.people[p.Key].file != "":
		b.e(in("key"), "key %q 重复：已在 %s 定义", p.Key, b.people[p.Key].pos())
	default:
		b.people[p.Key] = in("key")
	}
	if person.Name == "" {
		b.e(in("name"), "缺少 name：应写姓名")
	}
	if p.TelegramID < 0 {
		b.e(in("telegram_id"), "%d 不是用户 id：个人的 Telegram 数字 id 是正数（群组 id 才是负数）", p.TelegramID)
	} else if p.TelegramID > 0 {
		if prev, dup := ids.telegram[p.TelegramID]; dup {
			b.e(in("telegram_id"), "telegram_id %d 重复：已用于 %s", p.TelegramID, prev.pos())
		} else {
			ids.telegram[p.TelegramID] = in("telegram_id")
		}
		person.Accounts = append(person.Accounts, planbot.NewUserID(telegramPlatform, strconv.FormatInt(p.TelegramID, 10)))
	}
	// Telegram's account first, then WeCom's: the first is where the
	// person is reached until they have written from one of them.
	if id := b.wecomAccount(in, p, ids.wecom); id != "" {
		person.Accounts = append(person.Accounts, planbot.NewUserID(wecomPlatform, id))
	}
	person.Prefer = b.prefer(in, p)
	if p.Invite != "" {
		if len([]rune(p.Invite)) < 6 || strings.ContainsAny(p.Invite, " \t") {
			b.e(in("invite"), "邀请码 %q 太短或含空格：至少 6 个字符，不含空格", p.Invite)
		} else if prev, dup := invites[p.Invite]; dup {
			b.e(in("invite"), "邀请码重复：已用于 %s", prev.pos())
		} else {
			invites[p.Invite] = in("invite")
		}
	}
	if len(p.Roles) == 0 {
		b.e(where, "缺少 roles：应写 admin、leader、cadre 中的一个或几个，如 roles: [cadre]")
	}
	for j, r := range p.Roles {
		role := planbot.Role(strings.TrimSpace(r))
		if !role.Valid() {
			b.e(at{file, p.Lines.of("roles"), fmt.Sprintf("people[%d].roles[%d]", i+1, j+1)}, "不认识的角色 %q：应为 admin（党政办）、leader（领导）或 cadre（干部）", r)
			continue
		}
		person.Roles = append(person.Roles, role)
	}
	if person.Has(planbot.RoleCadre) && p.TelegramID == 0 && strings.TrimSpace(p.WeComID) == "" && p.Invite == "" {
		if b.cfg.WeCom == nil {
			b.e(where, "干部 %s 既没有 telegram_id 也没有 invite：无法收到提醒，请填写其 Telegram 数字 id，或设一个邀请码让其发送 /start 邀请码 绑定", cmpOr(person.Name, p.Key))
		} else {
			b.e(where, "干部 %s 既没有 telegram_id、wecom_id 也没有 invite：无法收到提醒，请填写其 Telegram 数字 id 或企业微信账号（wecom_id），或设一个邀请码让其发送 /start 邀请码 绑定", cmpOr(person.Name, p.Key))
		}
	}
	b.plan.People = append(b.plan.People, person)
	b.plan.Leaves = append(b.plan.Leaves, b.l.leaves(b.e, file, i, p, b.plan.Year)...)
}

// personRef reports whether key names someone in people; a key that
// doesn't is reported at a, with the nearest key if one is close.
func (b *builder) personRef(a at, key, what string) bool {
	if key == "" {
		return false
	}
	if _, ok := b.people[key]; !ok {
		if near := nearest(key, keysOf(b.people)); near != "" {
			b.e(a, "%s %q 不在 people 中，是否应为 %q？", what, key, near)
		} else {
			b.e(a, "%s %q 不在 people 中：请先在 people 里添加此人", what, key)
		}
		return false
	}
	return true
}

func (b *builder) isLeader(key string) bool {
	p, _ := b.plan.Person(key)
	return p.Has(planbot.RoleLeader)
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
