package intake

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"planbot"
	"planbot/config"
)

// parseExamplePlan is the plan of config.example.yaml: 22 items, 5 indicators.
var parseExamplePlan = sync.OnceValues(func() (*planbot.Plan, error) {
	cfg, err := config.Load("../config.example.yaml")
	if err != nil {
		return nil, err
	}
	return cfg.Plan, nil
})

func loadParsePlan(tb testing.TB) *planbot.Plan {
	tb.Helper()
	plan, err := parseExamplePlan()
	if err != nil {
		tb.Fatal(err)
	}
	return plan
}

// parseToday is "now" in the tests: 20 March of the plan year.
var parseToday = planbot.Date{Year: 2027, Month: time.March, Day: 20}

func percentOf(v float64) *float64 { return &v }

type parseCase struct {
	text       string
	owned      []string
	kind       IntentKind
	items      []string
	indicator  string
	indicators []string
	percent    *float64
	amount     string // as planbot.ParseAmount reads it; "" for none
	done       bool
	incr       bool // Increment
	note       string
	date       string // YYYY-MM-DD; "" for none
	problem    string // a part of the expected Problem; "" for none
}

func runParseCases(t *testing.T, cases []parseCase) {
	t.Helper()
	plan := loadParsePlan(t)
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			in := Read(c.text, plan, c.owned, parseToday)
			checkParseIntent(t, plan, c.text, in)
			checkParseCase(t, c, in)
		})
	}
}

func checkParseCase(t *testing.T, c parseCase, in Intent) {
	t.Helper()
	if in.Kind != c.kind {
		t.Errorf("Kind = %s, want %s (%+v)", in.Kind, c.kind, in)
	}
	if !slices.Equal(in.Items, c.items) {
		t.Errorf("Items = %v, want %v", in.Items, c.items)
	}
	if in.Indicator != c.indicator {
		t.Errorf("Indicator = %q, want %q", in.Indicator, c.indicator)
	}
	if !slices.Equal(in.Indicators, c.indicators) {
		t.Errorf("Indicators = %v, want %v", in.Indicators, c.indicators)
	}
	switch {
	case c.percent == nil && in.Percent != nil:
		t.Errorf("Percent = %v, want none", *in.Percent)
	case c.percent != nil && (in.Percent == nil || *in.Percent != *c.percent):
		t.Errorf("Percent = %v, want %v", parseFmtPct(in.Percent), *c.percent)
	}
	switch {
	case c.amount == "" && in.Amount != nil:
		t.Errorf("Amount = %v, want none", *in.Amount)
	case c.amount != "":
		want, err := planbot.ParseAmount(c.amount)
		if err != nil {
			t.Fatalf("bad test amount %q: %v", c.amount, err)
		}
		if in.Amount == nil || *in.Amount != want {
			t.Errorf("Amount = %v, want %v", parseFmtAmount(in.Amount), want)
		}
	}
	if in.Done != c.done {
		t.Errorf("Done = %v, want %v", in.Done, c.done)
	}
	if in.Increment != c.incr {
		t.Errorf("Increment = %v, want %v", in.Increment, c.incr)
	}
	if in.Note != c.note {
		t.Errorf("Note = %q, want %q", in.Note, c.note)
	}
	switch {
	case c.date == "" && in.Date != nil:
		t.Errorf("Date = %v, want none", *in.Date)
	case c.date != "" && (in.Date == nil || in.Date.String() != c.date):
		t.Errorf("Date = %v, want %s", in.Date, c.date)
	}
	switch {
	case c.problem == "" && in.Problem != "":
		t.Errorf("Problem = %q, want none", in.Problem)
	case c.problem != "" && !strings.Contains(in.Problem, c.problem):
		t.Errorf("Problem = %q, want one with %q", in.Problem, c.problem)
	}
}

func parseFmtPct(p *float64) any {
	if p == nil {
		return "none"
	}
	return *p
}

func parseFmtAmount(a *planbot.Amount) any {
	if a == nil {
		return "none"
	}
	return *a
}

// checkParseIntent holds for every message: the properties FuzzRead checks.
func checkParseIntent(t *testing.T, plan *planbot.Plan, text string, in Intent) {
	t.Helper()
	itemOK := func(code string) bool { _, ok := plan.Item(code); return ok }
	indOK := func(key string) bool {
		return slices.ContainsFunc(plan.Indicators, func(x planbot.Indicator) bool { return x.Key == key })
	}
	switch in.Kind {
	case IntentItemReport:
		if len(in.Items) != 1 || !itemOK(in.Items[0]) || in.Indicator != "" || len(in.Indicators) != 0 {
			t.Fatalf("item_report needs exactly one existing item: %+v", in)
		}
	case IntentIndicatorValue:
		if !indOK(in.Indicator) || len(in.Items) != 0 || len(in.Indicators) != 0 {
			t.Fatalf("indicator_value needs one existing indicator: %+v", in)
		}
	case IntentAmbiguous:
		if len(in.Items)+len(in.Indicators) < 2 || len(in.Items) > MaxCandidates || len(in.Indicators) > MaxCandidates || in.Indicator != "" {
			t.Fatalf("ambiguous needs 2+ candidates, at most %d of each: %+v", MaxCandidates, in)
		}
		for i, c := range in.Items {
			if !itemOK(c) || slices.Contains(in.Items[i+1:], c) {
				t.Fatalf("bad or repeated candidate item %q: %+v", c, in)
			}
		}
		for i, k := range in.Indicators {
			if !indOK(k) || slices.Contains(in.Indicators[i+1:], k) {
				t.Fatalf("bad or repeated candidate indicator %q: %+v", k, in)
			}
		}
	case IntentUnknown:
		if len(in.Items) != 0 || in.Indicator != "" || len(in.Indicators) != 0 {
			t.Fatalf("unknown names a target: %+v", in)
		}
	default:
		t.Fatalf("Kind %q is not one of the four", in.Kind)
	}
	if in.Problem == "" {
		if in.Percent != nil && (*in.Percent < 0 || *in.Percent > 100) {
			t.Fatalf("Percent %v out of 0–100 without a Problem", *in.Percent)
		}
		if in.Date != nil && (in.Date.Year != plan.Year || parseToday.Before(*in.Date)) {
			t.Fatalf("Date %v outside the plan year or after today without a Problem", *in.Date)
		}
	}
	if !utf8.ValidString(in.Problem) || utf8.RuneCountInString(in.Problem) > 100 {
		t.Fatalf("Problem must be short valid UTF-8: %q", in.Problem)
	}
	if utf8.ValidString(text) && !utf8.ValidString(in.Note) {
		t.Fatalf("Note %q of valid input is not valid UTF-8", in.Note)
	}
	if in.Note != strings.TrimSpace(in.Note) || len(in.Note) > len(text) {
		t.Fatalf("Note %q is not a trimmed part of the text", in.Note)
	}
}

func TestParseReportItems(t *testing.T) {
	runParseCases(t, []parseCase{
		{text: "2.3 进度60% 已与XX酒店签约", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), note: "已与XX酒店签约"},
		{text: "2.3 60%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60)},
		{text: "2.3：60％", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60)},
		{text: "【2.3】进度百分之六十", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60)},
		{text: "2.3 六成", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60)},
		{text: "2.3 三成五", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(35)},
		{text: "２.３ 60%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60)},
		{text: "２．３　６０％", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60)},
		// From one figure to another: the second is where it stands.
		{text: "2.3 进度由40%提高到50%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(50)},
		{text: "2.3 进度从40%到50%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(50)},
		{text: "2.3 40%→50%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(50)},
		// 。 for the dot of a code (Chinese input mode), but not elsewhere.
		{text: "2。3 进度70%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(70)},
		{text: "2.3 进度60。3月开工", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), note: "3月开工"},
		{text: "2.3 进度60", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60)},
		{text: "2.3 约60%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60)},
		{text: "2.3 60.5%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60.5)},
		{text: "2.3 进度 60% ，已签约。", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), note: "已签约。"},
		{text: "2.3\n60%\n手续已办完", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), note: "手续已办完"},
		{text: "2.3 60% 同比增长5%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), note: "同比增长5%"},
		{text: "2.3 60% 已与3家酒店签约", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), note: "已与3家酒店签约"},

		// Done, and what is not done.
		{text: "2.3 完成", kind: IntentItemReport, items: []string{"2.3"}, done: true},
		{text: "2.3 已完成", kind: IntentItemReport, items: []string{"2.3"}, done: true},
		{text: "2.3 全部完成 项目已开工", kind: IntentItemReport, items: []string{"2.3"}, done: true, note: "项目已开工"},
		{text: "2.3 完成了！", kind: IntentItemReport, items: []string{"2.3"}, done: true},
		{text: "2.3 任务已完成", kind: IntentItemReport, items: []string{"2.3"}, done: true},
		{text: "2.3 done", kind: IntentItemReport, items: []string{"2.3"}, done: true},
		{text: "2.3 ✅", kind: IntentItemReport, items: []string{"2.3"}, done: true},
		{text: "2.3 ✔️ 已开工", kind: IntentItemReport, items: []string{"2.3"}, done: true, note: "已开工"},
		{text: "2.3 完成 100%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(100)},
		{text: "2.3 完成60%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60)},
		{text: "2.3 已完成手续办理", kind: IntentItemReport, items: []string{"2.3"}, note: "已完成手续办理"},
		{text: "2.3 未完成", kind: IntentItemReport, items: []string{"2.3"}, note: "未完成"},
		{text: "2.3 尚未完成", kind: IntentItemReport, items: []string{"2.3"}, note: "尚未完成"},
		{text: "2.3 基本完成", kind: IntentItemReport, items: []string{"2.3"}, note: "基本完成"},
		{text: "2.3 60% 完成", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), done: true, problem: "说已完成，进度却是 60%"},

		// Amounts toward the item's target.
		{text: "蟹苗投放完成15万只", kind: IntentItemReport, items: []string{"3.4"}, amount: "15万只", note: "蟹苗投放"},
		{text: "3.4 投放15万", kind: IntentItemReport, items: []string{"3.4"}, amount: "15万只", note: "投放"},
		{text: "3.4 12个村投放20万只", kind: IntentItemReport, items: []string{"3.4"}, amount: "20万只", note: "12个村投放"},
		{text: "4.1 本周检查5家 累计35家", kind: IntentItemReport, items: []string{"4.1"}, amount: "35家", note: "本周检查5家"},
		{text: "1.4 新增收入12万元", kind: IntentItemReport, items: []string{"1.4"}, amount: "12万元", incr: true},
		{text: "1.4 12万", kind: IntentItemReport, items: []string{"1.4"}, amount: "12万元"},
		{text: "2.5 0.5亿元", kind: IntentItemReport, items: []string{"2.5"}, amount: "5000万元"},
		{text: "3.6 移栽800亩 进度50%", kind: IntentItemReport, items: []string{"3.6"}, amount: "800亩", percent: percentOf(50), note: "移栽"},
		{text: "3.4 15万元", kind: IntentItemReport, items: []string{"3.4"}, note: "15万元", problem: "15万元 的单位与目标（只）不一致"},
		{text: "4.1 本周检查5家 35家", kind: IntentItemReport, items: []string{"4.1"}, note: "本周检查5家 35家", problem: "有两个数量：5家 和 35家"},
		{text: "2.3 60", kind: IntentItemReport, items: []string{"2.3"}, note: "60", problem: "60 是进度吗？请写 60%"},
	})
}

func TestParseReportCodes(t *testing.T) {
	runParseCases(t, []parseCase{
		{text: "2.3号 60%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60)},
		{text: "第2.3项 60%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60)},
		{text: "事项2.3 60%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60)},
		{text: "[2.3] 60%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60)},
		{text: "@planbot_bot 2.3 60%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60)},
		// A code must match exactly; a mistyped one is not guessed.
		{text: "2.30 60%", owned: []string{"2.3"}, kind: IntentUnknown, percent: percentOf(60), note: "2.30", problem: "没有编号为 2.30 的事项"},
		{text: "9.9 60%", kind: IntentUnknown, percent: percentOf(60), note: "9.9", problem: "没有编号为 9.9 的事项"},
		// Numbers that look like codes but are figures or dates.
		{text: "固投 3.2亿", kind: IntentIndicatorValue, indicator: "fixed_asset_investment", amount: "3.2亿元"},
		{text: "3.2亿 固投", kind: IntentIndicatorValue, indicator: "fixed_asset_investment", amount: "3.2亿元"},
		{text: "2.3 60% @3.1", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), date: "2027-03-01"},
		{text: "@3.15 2.3 60%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), date: "2027-03-15"},
		// A code first, a code later: the first is the subject.
		{text: "2.3 60% 与3.4同步推进", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), note: "与3.4同步推进"},
		{text: "2.3 3.4 60%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), note: "3.4"},
		{text: "第2.3项 第3.4项 60%", kind: IntentAmbiguous, items: []string{"2.3", "3.4"}, percent: percentOf(60)},
		// "3.2 固投": the code is the indicator's figure written first.
		{text: "3.2 固投", kind: IntentIndicatorValue, indicator: "fixed_asset_investment", amount: "3.2亿元"},
		{text: "固投3.2亿 2.3", kind: IntentIndicatorValue, indicator: "fixed_asset_investment", amount: "3.2亿元", note: "2.3"},
	})
}

func TestParseReportIndicators(t *testing.T) {
	runParseCases(t, []parseCase{
		{text: "固定资产投资 累计3.2亿", kind: IntentIndicatorValue, indicator: "fixed_asset_investment", amount: "3.2亿元"},
		{text: "固投 3.2亿元", kind: IntentIndicatorValue, indicator: "fixed_asset_investment", amount: "3.2亿元"},
		{text: "固投 3.2", kind: IntentIndicatorValue, indicator: "fixed_asset_investment", amount: "3.2亿元"},
		{text: "固定资产 累计完成32000万元", kind: IntentIndicatorValue, indicator: "fixed_asset_investment", amount: "3.2亿元"},
		{text: "工商税收累计完成2100万", kind: IntentIndicatorValue, indicator: "tax_revenue", amount: "2100万元"},
		{text: "税收 2100", kind: IntentIndicatorValue, indicator: "tax_revenue", amount: "2100万元"},
		{text: "税收：2,100万元", kind: IntentIndicatorValue, indicator: "tax_revenue", amount: "2100万元"},
		{text: "税收 两千一百万", kind: IntentIndicatorValue, indicator: "tax_revenue", amount: "2100万元"},
		{text: "工商税收 2100万 同比增长5%", kind: IntentIndicatorValue, indicator: "tax_revenue", amount: "2100万元", note: "同比增长5%"},
		{text: "规上工业产值 8000万", kind: IntentIndicatorValue, indicator: "industrial_output", amount: "8000万元"},
		{text: "外贸出口额 1200万", kind: IntentIndicatorValue, indicator: "export_value", amount: "1200万元"},
		{text: "外贸出口 1300万美元", kind: IntentIndicatorValue, indicator: "export_value", note: "1300万美元", problem: "1300万美元：请换算成人民币（元）再报"},
		{text: "到位资金 1.5亿", kind: IntentIndicatorValue, indicator: "investment_attracted", amount: "1.5亿元"},
		{text: "截至3月15日累计完成投资2.1亿", kind: IntentIndicatorValue, indicator: "fixed_asset_investment", amount: "2.1亿元", note: "累计完成投资", date: "2027-03-15"},
		{text: "固投 累计3.2亿 本月0.4亿", kind: IntentIndicatorValue, indicator: "fixed_asset_investment", amount: "3.2亿元", note: "本月0.4亿"},
		{text: "固投 3.2亿 0.4亿", kind: IntentIndicatorValue, indicator: "fixed_asset_investment", note: "3.2亿 0.4亿", problem: "有两个数字"},
		{text: "固投 60%", kind: IntentIndicatorValue, indicator: "fixed_asset_investment", note: "60%", problem: "请填数额（亿元）"},
		{text: "固投 5只", kind: IntentIndicatorValue, indicator: "fixed_asset_investment", note: "5只", problem: "不一致"},
		{text: "出口 -5", kind: IntentIndicatorValue, indicator: "export_value", problem: "累计数不能是负数"},
		{text: "税收 99999999999999999999", kind: IntentIndicatorValue, indicator: "tax_revenue", note: "99999999999999999999", problem: "数额太大"},
		{text: "固投", kind: IntentIndicatorValue, indicator: "fixed_asset_investment"},
		{text: "出口 税收 100", kind: IntentAmbiguous, indicators: []string{"export_value", "tax_revenue"}, amount: "100"},
		// An alias inside other words does not win against the units.
		{text: "蟹苗出口10万只", kind: IntentItemReport, items: []string{"3.4"}, amount: "10万只", note: "蟹苗出口"},
		{text: "出口 10万只", kind: IntentIndicatorValue, indicator: "export_value", note: "10万只", problem: "不一致"},
	})
}

func TestParseReportFuzzyTitles(t *testing.T) {
	runParseCases(t, []parseCase{
		{text: "直播带货 进度40%", kind: IntentItemReport, items: []string{"3.1"}, percent: percentOf(40)},
		{text: "黄烟 50%", kind: IntentItemReport, items: []string{"3.6"}, percent: percentOf(50)},
		{text: "黄烟 50% 移栽完成", kind: IntentItemReport, items: []string{"3.6"}, percent: percentOf(50), note: "移栽完成"},
		{text: "今天走访，黄烟 50%", kind: IntentItemReport, items: []string{"3.6"}, percent: percentOf(50), note: "今天走访"},
		{text: "隐患排查整改 80%", kind: IntentItemReport, items: []string{"4.1"}, percent: percentOf(80)},
		{text: "九小场所排查 50%", kind: IntentItemReport, items: []string{"4.2"}, percent: percentOf(50)},
		{text: "燃气安全 10家", kind: IntentItemReport, items: []string{"4.2"}, amount: "10家"},
		{text: "安保维稳 完成", kind: IntentItemReport, items: []string{"4.4"}, done: true},
		{text: "新能源 30%", kind: IntentItemReport, items: []string{"2.6"}, percent: percentOf(30)},
		{text: "蟹 50%", kind: IntentItemReport, items: []string{"3.4"}, percent: percentOf(50)},
		{text: "大闸蟹推介会 已完成", kind: IntentItemReport, items: []string{"3.4"}, done: true, note: "大闸蟹推介会"},
		{text: "合作社入股 80户", kind: IntentItemReport, items: []string{"1.3"}, amount: "80户"},
		{text: "扩充直播队伍 15人", kind: IntentItemReport, items: []string{"3.2"}, amount: "15人"},
		// The unit of the amount decides between two titles that share 直播.
		{text: "直播 20人", kind: IntentItemReport, items: []string{"3.2"}, amount: "20人"},
		{text: "直播 进度40%", kind: IntentAmbiguous, items: []string{"3.1", "3.2"}, percent: percentOf(40), note: "直播"},
		// Words shared by several titles: ask.
		{text: "落地 50%", kind: IntentAmbiguous, items: []string{"2.5", "2.6"}, percent: percentOf(50), note: "落地"},
		// A word every task has (项目, 落实, 办理 …) names nothing: a figure
		// with it is about the sender's own items.
		{text: "项目 50%", kind: IntentUnknown, percent: percentOf(50), note: "项目"},
		{text: "项目 50%", owned: []string{"2.5", "3.3"}, kind: IntentAmbiguous, items: []string{"2.5", "3.3"}, percent: percentOf(50), note: "项目"},
		{text: "合作社 30%", kind: IntentAmbiguous, items: []string{"1.1", "1.3", "1.5"}, percent: percentOf(30), note: "合作社"},
		{text: "养殖 50%", kind: IntentAmbiguous, items: []string{"3.4", "4.3"}, percent: percentOf(50), note: "养殖"},
		// A percentage is no indicator's value; money is no item's here.
		{text: "招商 50%", kind: IntentAmbiguous, items: []string{"2.1", "2.2"}, percent: percentOf(50), note: "招商"},
		{text: "招商 2亿元", kind: IntentIndicatorValue, indicator: "investment_attracted", amount: "2亿元"},
		{text: "招商 2", kind: IntentAmbiguous, items: []string{"2.1", "2.2"}, indicators: []string{"investment_attracted"}, note: "招商 2"},
		{text: "蟹苗投放 60%", kind: IntentItemReport, items: []string{"3.4"}, percent: percentOf(60), note: "蟹苗投放"},
		// An owned candidate wins only as the single best owned one.
		{text: "合作社 30%", owned: []string{"1.3"}, kind: IntentItemReport, items: []string{"1.3"}, percent: percentOf(30)},
		{text: "合作社 30%", owned: []string{"1.3", "1.1"}, kind: IntentAmbiguous, items: []string{"1.1", "1.3", "1.5"}, percent: percentOf(30), note: "合作社"},
		{text: "合作社 30%", owned: []string{"3.3"}, kind: IntentAmbiguous, items: []string{"1.1", "1.3", "1.5"}, percent: percentOf(30), note: "合作社"},
		{text: "落地 50%", owned: []string{"2.5", "3.3"}, kind: IntentItemReport, items: []string{"2.5"}, percent: percentOf(50)},
		// Owned items come first among equals.
		{text: "招商 50%", owned: []string{"2.2", "2.1"}, kind: IntentAmbiguous, items: []string{"2.1", "2.2"}, percent: percentOf(50), note: "招商"},
		// An owned item never beats a clear winner.
		{text: "黄烟 50%", owned: []string{"2.3"}, kind: IntentItemReport, items: []string{"3.6"}, percent: percentOf(50)},
	})
}

func TestParseReportOwnedAndUnknown(t *testing.T) {
	long := strings.Repeat("今天天气不错，", 1500)
	runParseCases(t, []parseCase{
		{text: "60%", kind: IntentUnknown, percent: percentOf(60)},
		{text: "60%", owned: []string{"2.3"}, kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60)},
		{text: "60%", owned: []string{"2.3", "2.5", "9.9"}, kind: IntentAmbiguous, items: []string{"2.3", "2.5"}, percent: percentOf(60)},
		{text: "你好 60%", owned: []string{"2.3"}, kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), note: "你好"},
		{text: "完成", owned: []string{"4.4"}, kind: IntentItemReport, items: []string{"4.4"}, done: true},
		{text: "✅", owned: []string{"4.4", "4.5"}, kind: IntentAmbiguous, items: []string{"4.4", "4.5"}, done: true},
		// The unit narrows the sender's items.
		{text: "本周检查8家", owned: []string{"4.1", "4.4"}, kind: IntentItemReport, items: []string{"4.1"}, amount: "8家", note: "本周检查"},
		// Nothing to record: unknown, the text kept verbatim.
		{text: "你好", owned: []string{"2.3"}, kind: IntentUnknown, note: "你好"},
		{text: "？？", kind: IntentUnknown, note: "？？"},
		{text: "😀😀", kind: IntentUnknown, note: "😀😀"},
		{text: "", kind: IntentUnknown},
		{text: "   ", kind: IntentUnknown},
		{text: "'; DROP TABLE reports; --", kind: IntentUnknown, note: "'; DROP TABLE reports; --"},
		{text: "<script>alert(1)</script>", kind: IntentUnknown, note: "<script>alert(1)</script>"},
		{text: "<b>2.3</b> 60%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), note: "<b> </b>"},
		{text: long, kind: IntentUnknown, note: strings.TrimSpace(long), problem: "消息太长"},
		{text: "2.3 60% " + strings.Repeat("好", MaxRunes-8), kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), note: strings.Repeat("好", MaxRunes-8)},
		{text: "2.3 60% \xff\xfe坏字节", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), note: "\xff\xfe坏字节"},
	})
}

func TestParseReportProblems(t *testing.T) {
	runParseCases(t, []parseCase{
		{text: "2.3 160%", kind: IntentItemReport, items: []string{"2.3"}, problem: "进度 160% 超出 0–100"},
		{text: "2.3 -5%", kind: IntentItemReport, items: []string{"2.3"}, problem: "进度 -5% 超出 0–100"},
		{text: "2.3 60% 70%", kind: IntentItemReport, items: []string{"2.3"}, problem: "有两个进度数字：60% 和 70%"},
		{text: "2.3 60% 进度60%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60)},
		{text: "2.3 0.00001%", kind: IntentItemReport, items: []string{"2.3"}, problem: "小数位太多"},
	})
}

func TestParseReportDates(t *testing.T) {
	runParseCases(t, []parseCase{
		{text: "2.3 60% @3月15日", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), date: "2027-03-15"},
		{text: "2.3 60% @3月15号", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), date: "2027-03-15"},
		{text: "2.3 60% @ 3.15", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), date: "2027-03-15"},
		{text: "2.3 60% @2027-03-15", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), date: "2027-03-15"},
		{text: "2.3 60% @2027年3月15日", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), date: "2027-03-15"},
		{text: "2.3 60% ＠三月十五日", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), date: "2027-03-15"},
		{text: "2.3 60% @昨天", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), date: "2027-03-19"},
		{text: "2.3 60% @今天", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), date: "2027-03-20"},
		{text: "3月15日报 2.3 60%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), date: "2027-03-15"},
		{text: "@3.15 2.3 60% 带动固投", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), date: "2027-03-15", note: "带动固投"},
		{text: "@planbot_bot @3.15 2.3 60%", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), date: "2027-03-15"},
		// No @, no date: a day mentioned in the note stays there.
		{text: "2.3 60% 3月15日已签约", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), note: "3月15日已签约"},
		{text: "2.3 60% @张三", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), note: "@张三"},
		{text: "2.3 60% @2月30日", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), problem: "日期 2月30日 不存在"},
		{text: "2.3 60% @13.1", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), problem: "日期 13月1日 不存在"},
		{text: "2.3 60% @4月1日", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), problem: "@4月1日 还没到"},
		{text: "2.3 60% @2026-12-30", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), problem: "不在 2027 年度"},
		{text: "2.3 60% @3月1日 @3月2日", kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), problem: "有两个日期"},
	})
}

func TestParseReportAs(t *testing.T) {
	plan := loadParsePlan(t)
	cases := []struct {
		text string
		kind IntentKind
		key  string
		want parseCase
	}{
		// After a button press on an ambiguous intent.
		{"合作社 30%", IntentItemReport, "1.3", parseCase{kind: IntentItemReport, items: []string{"1.3"}, percent: percentOf(30)}},
		{"落地 50% 已签约", IntentItemReport, "2.5", parseCase{kind: IntentItemReport, items: []string{"2.5"}, percent: percentOf(50), note: "已签约"}},
		{"出口 税收 100", IntentIndicatorValue, "tax_revenue", parseCase{kind: IntentIndicatorValue, indicator: "tax_revenue", amount: "100万元", note: "出口"}},
		// Command arguments.
		{"2.3 60% 已与XX酒店签约", IntentItemReport, "2.3", parseCase{kind: IntentItemReport, items: []string{"2.3"}, percent: percentOf(60), note: "已与XX酒店签约"}},
		{"60% 已与XX酒店签约", IntentItemReport, "2.5", parseCase{kind: IntentItemReport, items: []string{"2.5"}, percent: percentOf(60), note: "已与XX酒店签约"}},
		{"3.2", IntentIndicatorValue, "fixed_asset_investment", parseCase{kind: IntentIndicatorValue, indicator: "fixed_asset_investment", amount: "3.2亿元"}},
		{"固投 3.2亿", IntentIndicatorValue, "fixed_asset_investment", parseCase{kind: IntentIndicatorValue, indicator: "fixed_asset_investment", amount: "3.2亿元"}},
		{"15万只", IntentItemReport, "3.4", parseCase{kind: IntentItemReport, items: []string{"3.4"}, amount: "15万只"}},
		{"60%", IntentItemReport, "2.30", parseCase{kind: IntentUnknown, percent: percentOf(60), problem: "没有编号为 2.30 的事项"}},
		{"60", IntentIndicatorValue, "gdp", parseCase{kind: IntentUnknown, note: "60", problem: "没有代号为 gdp 的指标"}},
	}
	for _, c := range cases {
		t.Run(c.text+"→"+c.key, func(t *testing.T) {
			in := ReadAs(c.text, plan, c.kind, c.key, parseToday)
			checkParseIntent(t, plan, c.text, in)
			checkParseCase(t, c.want, in)
		})
	}
}

func TestParseReportNilPlan(t *testing.T) {
	for _, s := range []string{"2.3 60%", "固投 3.2亿", "你好", "@3月15日 完成"} {
		in := Read(s, nil, []string{"2.3"}, parseToday)
		if in.Kind != IntentUnknown && in.Kind != IntentAmbiguous {
			t.Errorf("%q with no plan: %+v", s, in)
		}
		if len(in.Items) != 0 {
			t.Errorf("%q with no plan names items: %+v", s, in)
		}
	}
}

// The index is cached per plan; a new plan (a reload) must be seen.
func TestParseReportPlanSwap(t *testing.T) {
	a := &planbot.Plan{Year: 2027, Items: []planbot.Item{{Code: "1", Title: "黄烟生产"}}}
	b := &planbot.Plan{Year: 2027, Items: []planbot.Item{{Code: "7", Title: "黄烟生产"}}}
	for range 3 {
		if in := Read("黄烟 50%", a, nil, parseToday); !slices.Equal(in.Items, []string{"1"}) {
			t.Fatalf("plan a: %+v", in)
		}
		if in := Read("黄烟 50%", b, nil, parseToday); !slices.Equal(in.Items, []string{"7"}) {
			t.Fatalf("plan b: %+v", in)
		}
	}
	// A code without a dot counts at the start or with a marker only.
	if in := Read("7 60%", b, nil, parseToday); !slices.Equal(in.Items, []string{"7"}) || in.Percent == nil {
		t.Fatalf("7 60%%: %+v", in)
	}
	if in := Read("第7项 进度60", b, nil, parseToday); !slices.Equal(in.Items, []string{"7"}) || in.Percent == nil || *in.Percent != 60 {
		t.Fatalf("第7项 进度60: %+v", in)
	}
	if in := Read("黄烟 进度7", b, nil, parseToday); !slices.Equal(in.Items, []string{"7"}) || in.Percent == nil || *in.Percent != 7 {
		t.Fatalf("黄烟 进度7: %+v", in)
	}
}

// The longest message read is read in time proportional to its length,
// whatever it repeats (no quadratic scan).
func TestParseReportLongInput(t *testing.T) {
	plan := loadParsePlan(t)
	for _, unit := range []string{
		"1 ", "1-", "-1.1", "2.3 60% ", "一二三四五六七八九十", "一%", "60%60%", "完成", "@", "@3.", "固投", "项目黄烟", "第2.3项", "\xff", "a.1",
		"大半年", "一半多", "又新增1户", "2-3", "二.3 ", "6O%", "第三场", "搞完了没", "六七成",
	} {
		s := strings.Repeat(unit, MaxRunes/utf8.RuneCountInString(unit))
		start := time.Now()
		in := Read(s, plan, []string{"2.3"}, parseToday)
		ReadAs(s, plan, IntentIndicatorValue, "tax_revenue", parseToday)
		// Typically a few ms; the bound only catches a quadratic scan
		// (seconds), with room for -race and a slow CI machine.
		if d := time.Since(start); d > time.Second {
			t.Errorf("%q×%d: %v", unit, len(s)/len(unit), d)
		}
		checkParseIntent(t, plan, s, in)
	}
}

// parseSeeds are real phrasings: FuzzRead starts from them, and the
// benchmark reads a few.
var parseSeeds = []string{
	"2.3 进度60% 已与XX酒店签约",
	"2.3 60%",
	"2.3：60％",
	"【2.3】进度百分之六十",
	"2.3 六成",
	"２.３ 60%",
	"2.3 完成",
	"2.3 已完成",
	"2.3 全部完成 项目已开工",
	"固定资产投资 累计3.2亿",
	"固投 3.2亿元",
	"工商税收累计完成2100万",
	"税收 2100",
	"蟹苗投放完成15万只",
	"直播带货 进度40%",
	"黄烟 50%",
	"隐患排查整改 80%",
	"项目 50%",
	"合作社 30%",
	"2.3号 60%",
	"第2.3项 60%",
	"事项2.3 60%",
	"2.30 60%",
	"2.3 60% @3月15日",
	"@3.15 2.3 60%",
	"2.3 60% @2027-03-15",
	"2.3 60% @昨天",
	"60%",
	"你好",
	"？？",
	"<b>2.3</b> 60%",
	"'; DROP TABLE reports; --",
	"2.3 160%",
	"2.3 60% 70%",
	"3月15日报 2.3 60%",
	"4.1 本周检查5家 累计35家",
	"税收 两千一百万",
	"2.3 三成五",
	"3.4 12个村投放20万只",
	"2.3 60% \xff坏",
	"3.6 进度6O%",
	"2—3 完成",
	"二.5 进度40%",
	"3.3 整了一半多了",
	"2.3 大半年没动静",
	"3.3 六七成了",
	"1.3 又新增10户",
	"4.1 本月又检查企业12家",
	"第三场培训已完成",
	"2.3项目手续已全部办完",
	"2.4 60 %",
	"3.4 投放蟹苗15万只 已完成60%",
}

func FuzzRead(f *testing.F) {
	plan := loadParsePlan(f)
	for _, s := range parseSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		in := Read(text, plan, []string{"2.3", "3.4", "1.3"}, parseToday)
		checkParseIntent(t, plan, text, in)
		if again := Read(text, plan, []string{"2.3", "3.4", "1.3"}, parseToday); !parseIntentEqual(in, again) {
			t.Fatalf("not deterministic: %+v then %+v", in, again)
		}
		checkParseIntent(t, plan, text, Read(text, plan, nil, parseToday))
		checkParseIntent(t, plan, text, ReadAs(text, plan, IntentItemReport, "3.4", parseToday))
		checkParseIntent(t, plan, text, ReadAs(text, plan, IntentIndicatorValue, "tax_revenue", parseToday))
	})
}

func parseIntentEqual(a, b Intent) bool {
	eqF := func(x, y *float64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqA := func(x, y *planbot.Amount) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	eqD := func(x, y *planbot.Date) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.Kind == b.Kind && slices.Equal(a.Items, b.Items) && a.Indicator == b.Indicator &&
		slices.Equal(a.Indicators, b.Indicators) && eqF(a.Percent, b.Percent) && eqA(a.Amount, b.Amount) &&
		a.Done == b.Done && a.Note == b.Note && eqD(a.Date, b.Date) && a.Problem == b.Problem
}

func BenchmarkParseReport(b *testing.B) {
	plan := loadParsePlan(b)
	msgs := []string{
		"2.3 进度60% 已与XX酒店签约",
		"固定资产投资 累计3.2亿",
		"蟹苗投放完成15万只",
		"合作社 30%",
		"今天走访，黄烟 50% 移栽完成 @3月15日",
		"你好",
	}
	owned := []string{"2.3", "3.4"}
	for _, m := range msgs {
		b.Run(m, func(b *testing.B) {
			for b.Loop() {
				Read(m, plan, owned, parseToday)
			}
		})
	}
}

// BenchmarkRead reads a dozen typical messages per iteration.
func BenchmarkRead(b *testing.B) {
	plan := loadParsePlan(b)
	msgs := []struct {
		text  string
		owned []string
	}{
		{"2.3 进度60% 已与XX酒店签约", []string{"2.1", "2.2", "2.3", "2.4", "2.5", "2.6"}},
		{"2.3 完成", []string{"2.3"}},
		{"固定资产投资 累计3.2亿", nil},
		{"蟹苗投放完成15万只", []string{"3.4", "1.2"}},
		{"4.1 本月又检查企业12家", []string{"4.1", "4.2"}},
		{"1.3 又新增10户", []string{"1.3", "1.4"}},
		{"3.6 移栽已过半", []string{"3.6", "3.3"}},
		{"2—3 完成", []string{"2.3"}},
		{"直播带货4场", []string{"3.1", "3.4"}},
		{"进度50% 正在办理", []string{"1.1", "3.2", "4.3"}},
		{"今天走访，黄烟 50% 移栽完成 @3月15日", []string{"3.6"}},
		{"你好", nil},
	}
	for b.Loop() {
		for _, m := range msgs {
			Read(m.text, plan, m.owned, parseToday)
		}
	}
}
