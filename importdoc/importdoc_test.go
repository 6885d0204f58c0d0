package importdoc_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"go.yaml.in/yaml/v3"

	"planbot"
	"planbot/config"
	"planbot/importdoc"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.yaml from the current output")

// clock is the fallback for documents that name no year.
var clock = func() time.Time { return time.Date(2026, time.November, 20, 9, 0, 0, 0, time.UTC) }

func parseFile(t *testing.T, name string) (*importdoc.Document, []byte) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	out, doc, err := importdoc.Draft(src, importdoc.Options{Now: clock, Source: name})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return doc, out
}

type wantItem struct {
	code, title, start, due, target string
}

type wantIndicator struct {
	name, unit, growth, share, last, target string
}

// Each test document, in its own style, and what a township admin would
// expect to find in the draft.
var documents = []struct {
	file       string
	year       int
	sections   []string
	items      []int // per section
	spot       []wantItem
	indicators []wantIndicator
}{
	{
		// Closely in the style of a real 工作总结和明年工作打算: （一） headings
		// with their text on the same line, full-width punctuation, markup.
		file: "seedstyle.txt",
		year: 2026, // 2025年工作总结和明年工作打算
		sections: []string{
			"抓党建、强队伍，全力筑牢基层战斗堡垒",
			"抓项目、促投资，全力推动乡域经济提质增效",
			"抓产业、树品牌，全力推进乡村振兴走深走实",
			"抓治理、保平安，全力守牢安全稳定底线",
		},
		items: []int{2, 3, 3, 3},
		spot: []wantItem{
			{"1.1", "深化党支部领办合作社", "2026-01-01", "2026-03-31", ""},           // 3月底前; 持续 dropped
			{"1.2", "推进“跨村联建”，组建联村党支部2个", "2026-01-01", "2026-06-30", "2个"}, // 上半年
			{"2.1", "落实全员招商责任制，招商引资1.5亿元", "2026-01-01", "2026-12-31", "1.5亿元"},
			{"2.2", "开展项目服务", "2026-01-01", "2026-10-31", ""},            // 10月底前全部 (二季度 is earlier)
			{"2.3", "保障在建的3个项目稳步推进", "2026-01-01", "2026-12-31", "3个"},   // 年内; a ；-clause
			{"3.1", "在14个村投放蟹苗30万只", "2026-05-01", "2026-09-30", "30万只"}, // 5月起 … 三季度
			{"3.3", "推动特色种植扩面增效", "2026-01-01", "2026-12-31", "500亩"},
			{"4.1", "树牢安全发展理念", "2026-01-01", "2026-12-31", ""},   // 下半年完成 is a deadline
			{"4.2", "完成困难群众走访慰问", "2026-01-01", "2026-02-16", ""}, // 春节前: 除夕 2026
		},
		indicators: []wantIndicator{
			{"固定资产投资", "亿元", "15", "", "3.6", "4.14"},
			{"工商税收", "万元", "8.2", "", "2480", "2680"},
			{"招商引资内资到位资金", "亿元", "", "108.5", "", ""},
			{"规模以上工业产值", "万元", "", "", "52000", ""},
			{"外贸出口额", "万元", "", "", "", ""},
		},
	},
	{
		// (一)/1./(1) numbering, half-width punctuation, headings on lines of
		// their own, a label point (1.抓好重点项目.) over its sub-points.
		file:     "halfwidth.txt",
		year:     2025, // 2024年工作总结及2025年工作计划
		sections: []string{"聚焦产业振兴", "聚焦项目建设", "聚焦民生保障"},
		items:    []int{2, 3, 2},
		spot: []wantItem{
			{"1.1", "发展设施农业", "2025-01-01", "2025-09-30", "50座"}, // 9月底前全部 (6月底前 earlier)
			{"1.2", "壮大村集体经济", "2025-01-01", "2025-12-31", ""},   // 增长10% is a rate, 10万元以下 a limit
			{"2.1", "ZZ物流园项目", "2025-01-01", "2025-12-31", ""},   // 12月底前 (一季度 earlier)
			{"2.2", "农产品冷链项目", "2025-01-01", "2025-12-31", ""},
			{"2.3", "优化营商环境", "2025-01-01", "2025-12-31", ""}, // 压缩30% is a rate
			{"3.2", "加强安全生产", "2025-01-01", "2025-12-31", "4次"},
		},
		indicators: []wantIndicator{
			{"一般公共预算收入", "万元", "5.3", "", "1860", "1960"},
			{"固定资产投资", "亿元", "-3.5", "", "4.2", ""}, // a decline is no basis for a target
			{"农村居民人均可支配收入", "元", "6", "", "21500", "22800"},
		},
	},
	{
		// Pasted from a web page: tags, entities, ##markers##, page numbers,
		// blank lines, a sentence wrapped across a page break.
		file: "markup.txt",
		year: 2027, // 2026年工作总结和明年工作打算
		sections: []string{
			"优化营商环境，激发市场活力",
			"推进城市更新，提升宜居品质",
			"夯实治理根基，守护平安稳定",
		},
		items: []int{1, 2, 2},
		spot: []wantItem{
			{"1.1", "落实“首问负责”制度", "2027-01-01", "2027-12-31", "200户"}, // joined across 第 2 页
			{"2.1", "实施老旧小区改造8个，全部完工", "2027-01-01", "2027-10-31", "8个"},
			{"2.2", "加快背街小巷整治，完成雨污分流改造", "2027-01-01", "2027-06-15", ""},
			{"3.1", "深化网格化管理，配齐专职网格员60名", "2027-01-01", "2027-12-31", "60名"},
			{"3.2", "强化矛盾纠纷多元化解", "2027-01-01", "2027-02-11", ""}, // 春节期间: 正月初六 2027
		},
		indicators: []wantIndicator{
			{"固定资产投资", "亿元", "12", "", "", ""},
			{"工商税收", "万元", "4.1", "", "", ""},
		},
	},
	{
		// A plan alone (工作要点): 一、 headings are the sections, 一是/二是 split
		// one paragraph into items, no summary and so no indicators.
		file:     "planonly.txt",
		year:     2027, // QQ镇2027年工作要点
		sections: []string{"着力扩大有效投资", "着力推进乡村振兴", "着力增进民生福祉"},
		items:    []int{3, 2, 2},
		spot: []wantItem{
			{"1.1", "加快项目建设，实施重点项目8个", "2027-01-01", "2027-12-31", "8个"},
			{"1.2", "强化要素保障，完成3个项目的用地报批", "2027-01-01", "2027-06-30", "3个"},
			{"2.1", "推进高标准农田建设", "2027-01-01", "2027-05-31", "2000亩"}, // 汛期前
			{"3.1", "实施农村道路提升工程", "2027-07-01", "2027-09-30", "15公里"}, // 7至9月
			{"3.2", "开展农村人居环境整治提升行动", "2027-04-01", "2027-12-31", ""}, // 4月起
		},
	},
}

func TestDocuments(t *testing.T) {
	for _, tt := range documents {
		t.Run(tt.file, func(t *testing.T) {
			doc, _ := parseFile(t, tt.file)
			if doc.Year != tt.year {
				t.Errorf("year = %d (%s), want %d", doc.Year, doc.YearFrom, tt.year)
			}
			var titles []string
			var counts []int
			items := map[string]importdoc.Item{}
			for i, s := range doc.Sections {
				if s.Code != fmt.Sprint(i+1) {
					t.Errorf("section %d has code %q", i+1, s.Code)
				}
				titles = append(titles, s.Title)
				counts = append(counts, len(s.Items))
				for j, it := range s.Items {
					if want := fmt.Sprintf("%s.%d", s.Code, j+1); it.Code != want {
						t.Errorf("item %q, want code %q", it.Code, want)
					}
					if n := len([]rune(it.Title)); n > importdoc.TitleMax || n == 0 {
						t.Errorf("%s: title %q has %d runes", it.Code, it.Title, n)
					}
					items[it.Code] = it
				}
			}
			if fmt.Sprint(titles) != fmt.Sprint(tt.sections) {
				t.Errorf("sections:\n got %q\nwant %q", titles, tt.sections)
			}
			if fmt.Sprint(counts) != fmt.Sprint(tt.items) {
				t.Errorf("items per section = %v, want %v", counts, tt.items)
			}
			for _, w := range tt.spot {
				it, ok := items[w.code]
				if !ok {
					t.Errorf("item %s missing", w.code)
					continue
				}
				got := wantItem{it.Code, it.Title, it.Start.String(), it.Due.String(), it.Target}
				if got != w {
					t.Errorf("item %s:\n got %+v\nwant %+v\n(%s)", w.code, got, w, it.Description)
				}
			}
			var inds []wantIndicator
			for _, ind := range doc.Indicators {
				inds = append(inds, wantIndicator{ind.Name, ind.Unit, ind.Growth, ind.Share, ind.LastYear, ind.Target})
			}
			if fmt.Sprint(inds) != fmt.Sprint(tt.indicators) {
				t.Errorf("indicators:\n got %+v\nwant %+v", inds, tt.indicators)
			}
		})
	}
}

// TestGolden pins the whole draft of the seed-style document: its comments
// are what the admin reads. Regenerate with go test ./importdoc -update.
func TestGolden(t *testing.T) {
	_, out := parseFile(t, "seedstyle.txt")
	golden := filepath.Join("testdata", "seedstyle.golden.yaml")
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./importdoc -update to create it)", err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("draft differs from %s (go test ./importdoc -update rewrites it):\n%s", golden, firstDiff(string(out), string(want)))
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i+1, a, b)
		}
	}
	return ""
}

var rePlaceholder = regexp.MustCompile(`(?m)^\s+(?:- )?[a-z_]+: (?:\[TODO\]|TODO)(?:\s|$)`)

// TestDraftChecks: as written, the draft fails the loader with one 待填写 per
// placeholder, at its line; with the placeholders filled and people added,
// it loads cleanly and keeps every section, item and indicator.
func TestDraftChecks(t *testing.T) {
	files := []string{"qingshi.txt", "qingyun.txt", "taoxi.txt"} // the long documents
	for _, tt := range documents {
		files = append(files, tt.file)
	}
	for _, file := range files {
		tt := struct{ file string }{file}
		t.Run(tt.file, func(t *testing.T) {
			doc, out := parseFile(t, tt.file)
			checkDraft(t, doc, out)
		})
	}
}

func checkDraft(t *testing.T, doc *importdoc.Document, out []byte) {
	t.Helper()
	lines := strings.Split(string(out), "\n")
	var want []int
	for i, l := range lines {
		if rePlaceholder.MatchString(l) {
			want = append(want, i+1)
		}
	}
	if len(want) != doc.Placeholders() {
		t.Fatalf("%d placeholder lines, Placeholders() = %d", len(want), doc.Placeholders())
	}
	_, err := config.Parse("draft.yaml", out)
	var list config.Errors
	if !errors.As(err, &list) {
		t.Fatalf("the draft as written must fail with config.Errors, got %v\n%s", err, out)
	}
	var got []int
	for _, e := range list {
		if !strings.HasPrefix(e.Msg, "待填写：") {
			t.Errorf("not a placeholder: %v\nline: %s", e, lines[max(e.Line-1, 0)])
		}
		got = append(got, e.Line)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("errors at lines %v, want one per TODO at %v:\n%v", got, want, err)
	}

	cfg, err := config.Parse("filled.yaml", fill(out))
	if err != nil {
		t.Fatalf("the filled draft must load:\n%v\n%s", err, fill(out))
	}
	p := cfg.Plan
	if p.Year != doc.Year || len(p.Sections) != len(doc.Sections) || len(p.Items) != doc.Items() || len(p.Indicators) != len(doc.Indicators) {
		t.Errorf("filled plan: year %d, %d sections, %d items, %d indicators; document: %d, %d, %d, %d",
			p.Year, len(p.Sections), len(p.Items), len(p.Indicators), doc.Year, len(doc.Sections), doc.Items(), len(doc.Indicators))
	}
	for _, s := range doc.Sections {
		for _, it := range s.Items {
			got, ok := p.Item(it.Code)
			if !ok || got.Title != it.Title || got.Description != it.Description || got.Due != it.Due || got.Start != it.Start {
				t.Errorf("item %s does not round-trip: %+v", it.Code, got)
			}
		}
	}
}

// fill does what the admin does: a leader and an owner for every TODO, a
// number for every target, and the two people appended.
func fill(draft []byte) []byte {
	var b strings.Builder
	mode := ""
	for _, l := range strings.Split(string(draft), "\n") {
		if l != "" && l[0] != ' ' && l[0] != '#' {
			mode, _, _ = strings.Cut(l, ":")
		}
		indent := l[:len(l)-len(strings.TrimLeft(l, " "))]
		switch f := strings.TrimSpace(l); {
		case !rePlaceholder.MatchString(l):
		case strings.HasPrefix(f, "leader:"):
			l = indent + "leader: t_leader"
		case strings.HasPrefix(f, "owners:"):
			l = indent + "owners: [t_owner]"
		case strings.HasPrefix(f, "unit:"):
			l = indent + "unit: 万元"
		case strings.HasPrefix(f, "target:") && mode == "items":
			l = indent + "target: 12个"
		case strings.HasPrefix(f, "target:"):
			l = indent + "target: 1.5"
		}
		b.WriteString(l + "\n")
	}
	b.WriteString(`people:
  - key: t_leader
    name: 李分管
    telegram_id: 1
    roles: [leader]
  - key: t_owner
    name: 赵干部
    telegram_id: 2
    roles: [cadre]
`)
	return []byte(b.String())
}

func TestDates(t *testing.T) {
	tests := []struct {
		text, start, due string
	}{
		{"6月底前完成", "2027-01-01", "2027-06-30"},
		{"六月底前完成", "2027-01-01", "2027-06-30"},
		{"10月底前全部建成", "2027-01-01", "2027-10-31"},
		{"上半年完成", "2027-01-01", "2027-06-30"},
		{"下半年开展复核", "2027-07-01", "2027-12-31"},
		{"下半年完成复核", "2027-01-01", "2027-12-31"},
		{"年底前清零", "2027-01-01", "2027-12-31"},
		{"年内签约", "2027-01-01", "2027-12-31"},
		{"全年开展40场", "2027-01-01", "2027-12-31"},
		{"三季度举办推介会", "2027-07-01", "2027-09-30"},
		{"三季度完成验收", "2027-01-01", "2027-09-30"},
		{"一季度末前完成", "2027-01-01", "2027-03-31"},
		{"前三季度完成", "2027-01-01", "2027-09-30"},
		{"二季度起实施", "2027-04-01", "2027-12-31"},
		{"5月起投放", "2027-05-01", "2027-12-31"},
		{"5月份开始", "2027-05-01", "2027-12-31"},
		{"5月前完成", "2027-01-01", "2027-04-30"},
		{"6月15日前完成", "2027-01-01", "2027-06-15"},
		{"6月中旬", "2027-01-01", "2027-06-20"},
		{"9月举办", "2027-09-01", "2027-09-30"},
		{"7至9月完成硬化", "2027-07-01", "2027-09-30"},
		{"5月起投放，三季度举办推介会", "2027-05-01", "2027-09-30"},
		{"二季度开工，10月底前完成主体", "2027-01-01", "2027-10-31"},
		{"春节前完成走访", "2027-01-01", "2027-02-05"}, // 春节 2027-02-06
		{"汛期前完成", "2027-01-01", "2027-05-31"},
		{"国庆前完成", "2027-01-01", "2027-09-30"},
		{"没有时间", "2027-01-01", "2027-12-31"},
		{"12个月内完成", "2027-01-01", "2027-12-31"},
		{"每月开展一次", "2027-01-01", "2027-12-31"},
		{"到2030年底建成", "2027-01-01", "2027-12-31"},   // another year: not this plan's date
		{"2027年6月底前完成", "2027-01-01", "2027-06-30"}, // the plan year named
		{"3月以来开展", "2027-01-01", "2027-12-31"},
		{"6月31日前", "2027-01-01", "2027-12-31"}, // no such day
	}
	for _, tt := range tests {
		d := importdoc.Dates(tt.text, 2027)
		if d.Start.String() != tt.start || d.Due.String() != tt.due {
			t.Errorf("Dates(%q) = %s … %s, want %s … %s", tt.text, d.Start, d.Due, tt.start, tt.due)
		}
	}
	if d := importdoc.Dates("6月底前完成设计，年底前建成", 2027); d.DuePhrase != "年底" || len(d.Earlier) != 1 || d.Earlier[0] != "6月底前（2027-06-30）" {
		t.Errorf("earlier deadlines = %+v, want the 6月底前 one listed", d)
	}
	for year, eve := range map[int]string{2024: "2024-02-09", 2026: "2026-02-16", 2100: "2100-02-08"} {
		if d := importdoc.Dates("春节前", year); d.Due.String() != eve {
			t.Errorf("春节前 in %d = %s, want %s", year, d.Due, eve)
		}
	}
}

func TestTitle(t *testing.T) {
	tests := []struct{ sentence, want string }{
		{"注重提高党支部领办合作社质量，通过聘请专家开展培训、联系企业对接合作、鼓励村民入股等方式，提升合作社专业化程度。", "提高党支部领办合作社质量"},
		{"落实全员招商责任制，进一步提高招商频次，努力办好招商“大活动”。", "落实全员招商责任制，提高招商频次"},
		{"依托XX农业专业合作社，围绕资源挖潜和产业赋能，深入研究创新创业项目，推广特色作物种植。", "研究创新创业项目，推广特色作物种植"},
		{"积极对接“XX”合作社联合社，统筹全镇土地、劳动力和技术资源。", "对接“XX”合作社联合社"},
		{"切实托清风险底数，狠抓隐患整改落实。", "托清风险底数，狠抓隐患整改落实"},
		{"二是强化要素保障，二季度完成3个项目的用地报批。", "强化要素保障，完成3个项目的用地报批"},
		{"春节前完成困难群众走访慰问。", "完成困难群众走访慰问"},
		{"积极对接XX项目和XX镇乡村振兴新能源综合体项目建设工作。", "对接XX项目"},
		{"全力推进全镇农村人居环境整治提升行动走深走实见到成效。", "推进全镇农村人居环境整治提升行动走深走…"},
		// a long quoted list: never cut inside it (was 实行“一个项目、一名领导、一套班子、一”)
		{"对于重点在建项目，实行“一个项目、一名领导、一套班子、一抓到底”工作机制。", "实行“一个项目”等工作机制"},
		{"加快推进全镇重点民生项目“雨污分流、管网改造、道路提升、绿化美化”工程。", "加快推进全镇重点民生项目"},
		{"打造“青石葡萄”品牌。", "打造“青石葡萄”品牌"},
		{"。；，", ""},
	}
	for _, tt := range tests {
		if got := importdoc.Title(tt.sentence); got != tt.want {
			t.Errorf("Title(%q) = %q, want %q", tt.sentence, got, tt.want)
		}
	}
}

func TestTarget(t *testing.T) {
	tests := []struct{ sentence, target, hidden string }{
		{"全年招商引资1亿元。", "1亿元", ""},
		{"5月起在14个村投放蟹苗30万只。", "30万只", ""},
		{"切实保障XX等2个在建项目稳步推进。", "2个", ""},
		{"外出招商、接待客商100余人次。", "100余人次", ""},
		{"覆盖率提高到95%。", "95%", ""},
		{"统筹上级转移支付和镇级财力，民生支出占一般公共预算支出的80%以上。", "", ""}, // a condition, not a target
		{"衔接资金用于产业发展的比例达到60%以上。", "", ""},
		{"村集体经营性收入增长15%。", "", ""},
		{"办理时限压缩30%。", "", ""},
		{"消除年收入10万元以下薄弱村。", "", ""},
		{"30天内办结。", "", ""},
		{"举办第二届大闸蟹推介会。", "", ""},
		{"协调推进XX项目尽快开工。", "", ""},
		{"完成投资X亿元。", "", "X亿元"},
		{"新建高标准农田1,200亩。", "1200亩", ""},
	}
	for _, tt := range tests {
		target, hidden, _ := importdoc.Target(tt.sentence)
		if target != tt.target || hidden != tt.hidden {
			t.Errorf("Target(%q) = %q, %q; want %q, %q", tt.sentence, target, hidden, tt.target, tt.hidden)
		}
	}
}

func TestYear(t *testing.T) {
	plan := "\n二、明年工作打算\n（一）抓党建。全年开展培训6场。\n"
	tests := []struct {
		doc  string
		opt  int
		want int
	}{
		{"2023年工作总结和明年工作打算" + plan, 0, 2024},
		{"2023年工作总结和明年工作打算" + plan, 2030, 2030},
		{"工作总结和打算\n一、今年工作\n开展培训。" + plan, 0, 2027}, // clock: 2026 → 2027
		{"XX镇2028年工作计划\n一、抓党建\n全年开展培训6场。", 0, 2028},
	}
	for _, tt := range tests {
		d, err := importdoc.Parse([]byte(tt.doc), importdoc.Options{Year: tt.opt, Now: clock})
		if err != nil {
			t.Fatalf("%q: %v", tt.doc, err)
		}
		if d.Year != tt.want {
			t.Errorf("%q -year %d: year %d (%s), want %d", tt.doc, tt.opt, d.Year, d.YearFrom, tt.want)
		}
		if it := d.Sections[0].Items[0]; it.Due.Year != tt.want {
			t.Errorf("%q: due %s is not in the plan year", tt.doc, it.Due)
		}
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		src  []byte
		want string
	}{
		{"no plan part", []byte("2023年工作总结\n一、抓党建\n开展培训6场。"), "没有找到计划部分"},
		{"no items", []byte("二、明年工作打算\n（一）抓党建\n"), "没有找到可以作为事项的句子"},
		{"docx", []byte("PK\x03\x04rest of a zip"), "另存为"},
		{"pdf", []byte("%PDF-1.7"), "PDF"},
		{"gbk", []byte("\xc3\xf7\xc4\xea\xb9\xa4\xd7\xf7\xb4\xf2\xcb\xe3"), "UTF-8"}, // 明年工作打算 in GBK
		{"empty", nil, "没有找到计划部分"},
	}
	for _, tt := range tests {
		_, err := importdoc.Parse(tt.src, importdoc.Options{Now: clock})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want one saying %q", tt.name, err, tt.want)
		}
	}
}

// Notepad's "Unicode" is UTF-16 with a byte order mark.
func TestUTF16(t *testing.T) {
	src, err := os.ReadFile("testdata/seedstyle.txt")
	if err != nil {
		t.Fatal(err)
	}
	u := utf16.Encode([]rune(string(src)))
	le := []byte{0xFF, 0xFE}
	for _, c := range u {
		le = append(le, byte(c), byte(c>>8))
	}
	want, _, _ := importdoc.Draft(src, importdoc.Options{Now: clock})
	got, _, err := importdoc.Draft(le, importdoc.Options{Now: clock})
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("UTF-16 draft differs from the UTF-8 one (err %v)", err)
	}
}

// FuzzImportDoc: whatever text an admin feeds it, import-doc does not panic,
// and a draft it writes is YAML that fails the loader only on its
// placeholders and loads once they are filled.
func FuzzImportDoc(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.txt")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("二、明年工作打算\n（一）TODO。TODO全年完成1亿元。\n"))
	f.Add([]byte("明年工作打算\n一是: 招商\"1\"亿元 #1；二是 - [x]: {y}。\n"))
	f.Add([]byte("2099年工作总结和明年工作打算\n全镇实现固定资产投资1.23456亿元，同比增长999%。\n二、明年工作打算\n（一）年底前完成。"))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := importdoc.Parse(data, importdoc.Options{Now: clock})
		if err != nil {
			return
		}
		out, n := doc.YAML()
		var node yaml.Node
		if err := yaml.Unmarshal(out, &node); err != nil {
			t.Fatalf("draft is not YAML: %v\n%s", err, out)
		}
		_, err = config.Parse("draft.yaml", out)
		var list config.Errors
		if !errors.As(err, &list) || len(list) != n {
			t.Fatalf("want %d placeholder errors, got %v\n%s", n, err, out)
		}
		for _, e := range list {
			if !strings.HasPrefix(e.Msg, "待填写：") {
				t.Fatalf("draft has a real error: %v\n%s", e, out)
			}
		}
		if _, err := config.Parse("filled.yaml", fill(out)); err != nil {
			t.Fatalf("filled draft does not load: %v\n%s", err, fill(out))
		}
		for _, s := range doc.Sections {
			for _, it := range s.Items {
				if it.Due.Year != doc.Year || it.Start.Year != doc.Year || it.Due.Before(it.Start) {
					t.Fatalf("item %s runs %s … %s outside %d", it.Code, it.Start, it.Due, doc.Year)
				}
			}
		}
	})
}

var _ = planbot.Date{}
