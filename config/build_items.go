package config

import (
	"fmt"
	"slices"
	"strings"

	"planbot"
)

// buildSections checks sections: in every file.
func (b *builder) buildSections() {
	b.sections = map[string]at{}
	for _, f := range b.files {
		for i, s := range f.raw.Sections {
			in := func(key string) at { return at{f.name, s.Lines.of(key), fmt.Sprintf("sections[%d].%s", i+1, key)} }
			where := at{f.name, s.Lines.of(""), fmt.Sprintf("sections[%d]", i+1)}
			switch {
			case s.Code == "":
				b.e(where, "缺少 code：应写板块编号，如 \"2\"")
			case !codePattern.MatchString(s.Code):
				b.e(in("code"), "编号 %q 不能含空格或斜杠", s.Code)
			case b.sections[s.Code].file != "":
				b.e(in("code"), "板块编号 %q 重复：已在 %s 定义", s.Code, b.sections[s.Code].pos())
			default:
				b.sections[s.Code] = in("code")
			}
			if strings.TrimSpace(s.Title) == "" {
				b.e(where, "缺少 title：应写板块标题")
			}
			if s.Leader == "" {
				b.e(where, "缺少 leader：应写分管领导的 key")
			} else if b.personRef(in("leader"), s.Leader, "分管领导") && !b.isLeader(s.Leader) {
				b.e(in("leader"), "%q 不是领导：分管领导的 roles 中应有 leader", s.Leader)
			}
			b.plan.Sections = append(b.plan.Sections, planbot.Section{Code: s.Code, Title: strings.TrimSpace(s.Title), Leader: s.Leader})
		}
	}
}

// buildItems checks items: in every file.
func (b *builder) buildItems() {
	items := map[string]at{}
	for _, f := range b.files {
		for i, it := range f.raw.Items {
			b.plan.Items = append(b.plan.Items, b.item(f.name, i, it, items))
		}
	}
}

// item checks items[i] of file; items are the codes seen so far.
func (b *builder) item(file string, i int, it rawItem, items map[string]at) planbot.Item {
	in := func(key string) at { return at{file, it.Lines.of(key), fmt.Sprintf("items[%d].%s", i+1, key)} }
	where := at{file, it.Lines.of(""), fmt.Sprintf("items[%d]", i+1)}
	item := planbot.Item{Code: it.Code, Section: it.Section, Title: strings.TrimSpace(it.Title), Description: strings.TrimSpace(it.Description), Leader: it.Leader}
	switch {
	case it.Code == "":
		b.e(where, "缺少 code：应写事项编号，如 \"2.3\"（加引号）")
	case !codePattern.MatchString(it.Code):
		b.e(in("code"), "编号 %q 不能含空格或斜杠", it.Code)
	case items[it.Code].file != "":
		b.e(in("code"), "事项编号 %q 重复：已在 %s 定义", it.Code, items[it.Code].pos())
	default:
		items[it.Code] = in("code")
	}
	if it.Section == "" {
		b.e(where, "缺少 section：应写所属板块的编号")
	} else if _, ok := b.sections[it.Section]; !ok {
		b.e(in("section"), "板块 %q 不在 sections 中", it.Section)
	}
	if item.Title == "" {
		b.e(where, "缺少 title：应写事项的简短标题")
	}
	if len(it.Owners) == 0 {
		b.e(where, "缺少 owners：应写至少一位责任人的 key，如 owners: [zhang_san]")
	}
	for j, o := range it.Owners {
		b.personRef(at{file, it.Lines.of("owners"), fmt.Sprintf("items[%d].owners[%d]", i+1, j+1)}, o, "责任人")
		if slices.Index(it.Owners, o) < j && !isPlaceholder(o) {
			b.e(in("owners"), "责任人 %q 重复", o)
		}
	}
	item.Owners = it.Owners
	if item.Unit = strings.TrimSpace(it.Unit); item.Unit != "" && !b.units[item.Unit] {
		b.e(in("unit"), "单位 %q 没有任何人员（people 的 unit）%s", item.Unit, unitHint(b.units))
	}
	if it.Leader != "" {
		if b.personRef(in("leader"), it.Leader, "分管领导") && !b.isLeader(it.Leader) {
			b.e(in("leader"), "%q 不是领导：分管领导的 roles 中应有 leader", it.Leader)
		}
	} else if s, ok := b.plan.Section(it.Section); ok {
		item.Leader = s.Leader
	}
	item.Start = b.l.date(b.e, where, in("start"), "start", "开始日期", it.Start)
	item.Due = b.l.date(b.e, where, in("due"), "due", "截止日期", it.Due)
	if !item.Start.IsZero() && !item.Due.IsZero() && item.Due.Before(item.Start) {
		b.e(in("due"), "截止日期 %s 早于开始日期 %s", item.Due, item.Start)
	}
	b.itemTarget(&item, it, in)
	b.milestones(&item, file, i, it)
	return item
}

// itemTarget checks an item's target and how reports on it add up.
func (b *builder) itemTarget(item *planbot.Item, it rawItem, in func(string) at) {
	if it.Target != "" {
		a, err := planbot.ParseAmount(it.Target)
		switch {
		case err != nil:
			b.e(in("target"), "%v", err)
		case a.Unit == "":
			b.e(in("target"), "目标 %q 缺少单位：应写数字加单位，如 30万只、200亩、1.8亿元", it.Target)
		case a.Value <= 0:
			b.e(in("target"), "目标 %q 应大于 0", it.Target)
		default:
			item.Target = &a
		}
	}
	switch item.Tally = planbot.Tally(cmpOr(it.Tally, string(planbot.TallyShared))); {
	case !item.Tally.Valid():
		b.e(in("tally"), "%q 无效：应为 shared（全项一个数，谁报都算最新数）或 per_owner（各责任人分别汇报自己的数，相加）", it.Tally)
	case item.Tally == planbot.TallyPerOwner && it.Target == "":
		// A target that is there but wrong is reported as such above.
		b.e(in("tally"), "per_owner 要相加各责任人的数，需要写 target：带单位的目标，如 150户、60万元")
	}
}

// milestones checks items[i].milestones against the item's dates and each
// other: in order, within start–due, never going back in percent.
func (b *builder) milestones(item *planbot.Item, file string, i int, it rawItem) {
	for j, ms := range it.Milestones {
		min := func(key string) at {
			return at{file, ms.Lines.of(key), fmt.Sprintf("items[%d].milestones[%d].%s", i+1, j+1, key)}
		}
		mwhere := at{file, ms.Lines.of(""), fmt.Sprintf("items[%d].milestones[%d]", i+1, j+1)}
		d := b.l.date(b.e, mwhere, min("date"), "date", "节点日期", ms.Date)
		if ms.Percent < 0 || ms.Percent > 100 {
			b.e(min("percent"), "进度 %v%% 超出范围：应为 0–100", ms.Percent)
		}
		if !d.IsZero() && !item.Start.IsZero() && !item.Due.IsZero() && !item.Due.Before(item.Start) && (d.Before(item.Start) || item.Due.Before(d)) {
			b.e(min("date"), "节点日期 %s 不在事项的起止日期 %s 至 %s 之内", d, item.Start, item.Due)
		}
		if n := len(item.Milestones); n > 0 {
			prev := item.Milestones[n-1]
			if !d.IsZero() && !prev.Date.Before(d) {
				b.e(min("date"), "节点日期应按先后顺序排列：%s 不晚于上一个节点 %s", d, prev.Date)
			}
			if ms.Percent < prev.Percent {
				b.e(min("percent"), "节点进度不应倒退：%v%% 小于上一个节点的 %v%%", ms.Percent, prev.Percent)
			}
		}
		item.Milestones = append(item.Milestones, planbot.Milestone{Date: d, Percent: ms.Percent})
	}
}
