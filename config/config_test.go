package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"planbot"
	"planbot/config"
)

func TestLoadGood(t *testing.T) {
	cfg, err := config.Load("testdata/good.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	p := cfg.Plan
	if p.Year != 2027 || p.Location.String() != "Asia/Shanghai" {
		t.Errorf("year/zone = %d/%s, want 2027/Asia/Shanghai (the default zone)", p.Year, p.Location)
	}
	if cfg.Database != filepath.Join("testdata", "planbot.db") {
		t.Errorf("database = %q, want it next to the config file", cfg.Database)
	}
	if cfg.Bot.TokenEnv != "PLANBOT_TELEGRAM_TOKEN" {
		t.Errorf("token env = %q, want the default", cfg.Bot.TokenEnv)
	}
	if p.Rules != planbot.DefaultRules {
		t.Errorf("rules = %+v, want defaults", p.Rules)
	}
	it, ok := p.Item("2.1")
	if !ok {
		t.Fatal("item 2.1 missing")
	}
	if it.Leader != "li_leader" {
		t.Errorf("item leader = %q, want the section's leader by default", it.Leader)
	}
	if it.Target == nil || it.Target.Unit != "只" || it.Target.Value != planbot.DecimalFromInt(200000) {
		t.Errorf("target = %+v, want 200000 只", it.Target)
	}
	if len(it.Milestones) != 1 || it.Milestones[0].Percent != 30 || it.Milestones[0].Date != (planbot.Date{Year: 2027, Month: time.March, Day: 31}) {
		t.Errorf("milestones = %+v", it.Milestones)
	}
	ind := p.Indicators[0]
	want, _ := planbot.ParseAmount("6.5亿元")
	if ind.Target != want || ind.Accumulate != planbot.AccumulateYTD {
		t.Errorf("indicator = %+v, want target 6.5亿元 accumulating ytd", ind)
	}
	r := p.Reminders[0]
	if len(r.To) != 1 || r.To[0] != "owners" {
		t.Errorf("reminder to = %v, want a single value read as a one-element list", r.To)
	}
}

func TestLoadExample(t *testing.T) {
	cfg, err := config.Load("../config.example.yaml")
	if err != nil {
		t.Fatalf("the example config must load cleanly:\n%v", err)
	}
	p := cfg.Plan
	if len(p.Sections) != 4 {
		t.Errorf("sections = %d, want the four of the seed document's plan", len(p.Sections))
	}
	names := map[string]bool{}
	for _, ind := range p.Indicators {
		names[ind.Name] = true
	}
	for _, n := range []string{"固定资产投资", "工商税收", "招商引资到位资金", "规模以上工业产值", "外贸出口额"} {
		if !names[n] {
			t.Errorf("indicator %s missing from the example", n)
		}
	}
	embedded, err := config.Parse(planbot.ExampleConfigName, planbot.ExampleConfig)
	if err != nil {
		t.Fatalf("embedded example: %v", err)
	}
	if len(embedded.Plan.Items) != len(p.Items) {
		t.Errorf("embedded example has %d items, file has %d: the binary embeds a stale copy", len(embedded.Plan.Items), len(p.Items))
	}
}

// Each bad fixture differs from good.yaml by one mistake (five_mistakes.yaml
// by five); the messages are what an admin reads, so they are asserted exactly.
func TestLoadBad(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"unknown_key.yaml", []string{`testdata/unknown_key.yaml:19: items[1].owner: 未知字段 "owner"，是否应为 "owners"？`}},
		{"unknown_person.yaml", []string{`testdata/unknown_person.yaml:19: items[1].owners[1]: 责任人 "zhao_cadr" 不在 people 中，是否应为 "zhao_cadre"？`}},
		{"duplicate_key.yaml", []string{`testdata/duplicate_key.yaml:5: rules.tolerance: 字段 "tolerance" 重复：第 3 行已写过；只保留一处`}},
		{"unknown_unit.yaml", []string{`testdata/unknown_unit.yaml:24: items[1].unit: 单位 "东 村" 没有任何人员（people 的 unit）：现有单位 东村、镇政府`}},
		{"unknown_section.yaml", []string{`testdata/unknown_section.yaml:17: items[1].section: 板块 "3" 不在 sections 中`}},
		{"due_before_start.yaml", []string{`testdata/due_before_start.yaml:21: items[1].due: 截止日期 2026-12-31 早于开始日期 2027-01-01`}},
		{"percent_range.yaml", []string{`testdata/percent_range.yaml:25: items[1].milestones[1].percent: 进度 130% 超出范围：应为 0–100`}},
		{"cadre_without_id.yaml", []string{`testdata/cadre_without_id.yaml:7: people[2]: 干部 赵干部 既没有 telegram_id 也没有 invite：无法收到提醒，请填写其 Telegram 数字 id，或设一个邀请码让其发送 /start 邀请码 绑定`}},
		{"target_without_unit.yaml", []string{`testdata/target_without_unit.yaml:22: items[1].target: 目标 "200000" 缺少单位：应写数字加单位，如 30万只、200亩、1.8亿元`}},
		{"tally_unknown.yaml", []string{`testdata/tally_unknown.yaml:23: items[1].tally: "per_village" 无效：应为 shared（全项一个数，谁报都算最新数）或 per_owner（各责任人分别汇报自己的数，相加）`}},
		{"tally_without_target.yaml", []string{`testdata/tally_without_target.yaml:22: items[1].tally: per_owner 要相加各责任人的数，需要写 target：带单位的目标，如 150户、60万元`}},
		{"bad_cron.yaml", []string{`testdata/bad_cron.yaml:35: reminders[1].cron: "0 9 * *" 有 4 段，应为 5 段（分 时 日 月 周），如 "0 9 * * 1-5"`}},
		{"bad_syntax.yaml", []string{`testdata/bad_syntax.yaml:18: YAML 格式错误：有不能出现在这里的字符。这一行用 Tab 缩进：YAML 只认空格，请把 Tab 换成空格`}},
		{"duplicate_code.yaml", []string{`testdata/duplicate_code.yaml:26: items[2].code: 事项编号 "2.1" 重复：已在 testdata/duplicate_code.yaml:16 定义`}},
		{"five_mistakes.yaml", []string{
			`testdata/five_mistakes.yaml:2: timzone: 未知字段 "timzone"，是否应为 "timezone"？`,
			`testdata/five_mistakes.yaml:20: items[1].owners[2]: 责任人 "wang_nobody" 不在 people 中：请先在 people 里添加此人`,
			`testdata/five_mistakes.yaml:22: items[1].due: "2027-06-31" 不是有效日期：应为 YYYY-MM-DD，如 2027-06-30`,
			`testdata/five_mistakes.yaml:26: items[1].milestones[1].percent: 进度 -5% 超出范围：应为 0–100`,
			`testdata/five_mistakes.yaml:35: reminders[1].kind: 不认识的类型 "overdeu"，是否应为 "overdue"？`,
		}},
		{"include_main.yaml", []string{
			`testdata/include_people.yaml:12: people[3].roles[2]: 不认识的角色 "boss"：应为 admin（党政办）、leader（领导）或 cadre（干部）`,
			`testdata/include_people.yaml:13: people[3].telegram_id: telegram_id 200 重复：已用于 testdata/include_people.yaml:4`,
		}},
		// A value starting with TODO (as `planbot import-doc` drafts them) is
		// reported once, as 待填写, and not again as an unknown person or a
		// bad amount.
		{"placeholders.yaml", []string{
			`testdata/placeholders.yaml:4: people[1].name: 待填写：名称 —— 人的姓名或指标的名称（现为 "TODO 分管领导"）`,
			`testdata/placeholders.yaml:14: sections[1].leader: 待填写：分管领导 —— 写 people 中一位领导（roles 含 leader）的 key`,
			`testdata/placeholders.yaml:19: items[1].owners[2]: 待填写：责任人 —— 写 people 中某人的 key，可写多人，如 owners: [zhao_cun, qian_cun]`,
			`testdata/placeholders.yaml:22: items[1].target: 待填写：目标 —— 写数字加单位，如 30万只；没有可量化的目标就删掉这一行`,
			`testdata/placeholders.yaml:27: indicators[1].target: 待填写：全年目标 —— 写数字（单位同 unit），如 6.5`,
		}},
		{"leave_to_before_from.yaml", []string{`testdata/leave_to_before_from.yaml:13: people[2].leave[1].to: 请假结束日期 2027-12-01 早于开始日期 2027-12-15`}},
		{"leave_outside_year.yaml", []string{`testdata/leave_outside_year.yaml:13: people[2].leave[1].to: 请假日期 2028-01-05 不在计划年度 2027 内：跨年的请假请只写到 2027-12-31，新年度的计划里再写`}},
		{"leave_overlap.yaml", []string{`testdata/leave_overlap.yaml:15: people[2].leave[2].from: 请假 2027-12-10 至 2027-12-20 与第 12 行的 2027-12-01 至 2027-12-15 重叠：请合并为一段`}},
		{"leave_missing_to.yaml", []string{`testdata/leave_missing_to.yaml:12: people[2].leave[1]: 缺少 to：应写请假结束日期（含当天），格式 YYYY-MM-DD，如 2027-06-30`}},
		{"include_missing.yaml", []string{`testdata/include_missing.yaml:2: include[1]: testdata/nowhere.yaml：文件不存在`}},
		{"missing.yaml", []string{`testdata/missing.yaml: 文件不存在`}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := config.Load(filepath.Join("testdata", tt.file))
			var list config.Errors
			if !errors.As(err, &list) {
				t.Fatalf("Load = %v, want config.Errors", err)
			}
			got := strings.Split(list.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestParseRefusesInclude(t *testing.T) {
	_, err := config.Parse("inline.yaml", []byte("year: 2027\ninclude: [other.yaml]\n"))
	if err == nil || !strings.Contains(err.Error(), "other.yaml") {
		t.Fatalf("Parse with include = %v, want an error naming other.yaml", err)
	}
}

func TestTokenNeverInFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	token := "123456789:AAH-secret-token-value"
	data := "year: 2027\nbot:\n  token_env: \"" + token + "\"\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(path)
	if err == nil {
		t.Fatal("a token pasted into token_env must be refused")
	}
	if strings.Contains(err.Error(), "secret-token") {
		t.Errorf("the error repeats the token: %v", err)
	}
}

// An item's unit and rules.unit_reports load as written.
func TestUnitReports(t *testing.T) {
	data, err := os.ReadFile("testdata/unknown_unit.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("unit.yaml", []byte(strings.Replace(string(data), "unit: 东 村", "unit: 东村", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if it, _ := cfg.Plan.Item("2.1"); it.Unit != "东村" || !cfg.Plan.Rules.UnitReports {
		t.Errorf("item unit %q, unit_reports %v; want 东村, true", it.Unit, cfg.Plan.Rules.UnitReports)
	}
}

// tally loads as written, shared when left out; a per_owner item whose
// target is wrong is told about the target only.
func TestTally(t *testing.T) {
	data, err := os.ReadFile("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if it, _ := cfg.Plan.Item("2.1"); it.Tally != planbot.TallyShared {
		t.Errorf("tally left out = %q, want shared", it.Tally)
	}
	for _, v := range []planbot.Tally{planbot.TallyShared, planbot.TallyPerOwner} {
		text := strings.Replace(string(data), "    target: 20万只\n", "    target: 20万只\n    tally: "+string(v)+"\n", 1)
		cfg, err := config.Parse("tally.yaml", []byte(text))
		if err != nil {
			t.Fatalf("tally: %s: %v", v, err)
		}
		if it, _ := cfg.Plan.Item("2.1"); it.Tally != v {
			t.Errorf("tally = %q, want %q", it.Tally, v)
		}
	}
	text := strings.Replace(string(data), "    target: 20万只\n", "    target: 200000\n    tally: per_owner\n", 1)
	_, err = config.Parse("tally.yaml", []byte(text))
	want := `tally.yaml:22: items[1].target: 目标 "200000" 缺少单位：应写数字加单位，如 30万只、200亩、1.8亿元`
	if err == nil || err.Error() != want {
		t.Errorf("per_owner with a target without unit: %v\nwant %s", err, want)
	}
}
