package ledger_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"planbot"
	. "planbot/ledger"
	"planbot/ledger/xlsx"
)

// officeFixture is the fixture with 3.4 aiming at 28万只 as the issue's
// plan says, a report of 15万只 whose note is what the chat's reader left
// of "3.4 累计投放蟹苗15万只", and a later note-only report on 2.1 that
// looks like a formula.
func officeFixture(t *testing.T) fixture {
	t.Helper()
	fx := newFixture(t)
	target, err := planbot.ParseAmount("28万只")
	if err != nil {
		t.Fatal(err)
	}
	for i := range fx.plan.Items {
		if fx.plan.Items[i].Code == "3.4" {
			fx.plan.Items[i].Target = &target
		}
	}
	loc := fx.plan.Location
	fx.reports["3.4"] = append(fx.reports["3.4"], planbot.Report{ID: 8, ItemCode: "3.4", Reporter: "qian_cun",
		At: time.Date(2027, 7, 8, 10, 0, 0, 0, loc), Value: &planbot.Amount{Value: planbot.DecimalFromInt(150000), Unit: "只"}, Note: "累计投放蟹苗"})
	fx.reports["2.1"] = append(fx.reports["2.1"], planbot.Report{ID: 9, ItemCode: "2.1", Reporter: "ma_jingfa",
		At: time.Date(2027, 7, 9, 10, 0, 0, 0, loc), Note: "=1+1"})
	fx.ov = fx.plan.Overview(fx.reports, map[string]planbot.Observation{"fixed_asset_investment": fx.observations["fixed_asset_investment"][1]}, fx.at)
	return fx
}

// col is the letter of an 事项台账 column, found by its header, so the
// test reads as the office does: by heading.
func col(t *testing.T, header string) string {
	t.Helper()
	i := slices.Index(ItemHeaders, header)
	if i < 0 {
		t.Fatalf("事项台账 has no column %s: %q", header, ItemHeaders)
	}
	name, err := excelize.ColumnNumberToName(i + 1)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// TestLedgerCellsAnOfficeFiles reopens the workbook and reads the cells
// of a never-reported item, a quantity item and a noted report.
func TestLedgerCellsAnOfficeFiles(t *testing.T) {
	fx := officeFixture(t)
	f := open(t, fx.bytes(t))
	get := func(sheet, key, column string) string {
		return value(t, f, sheet, cell(column, rowOf(t, f, sheet, key)))
	}

	// Never reported (1.1, 6场): 0%, a real number, and nothing done yet.
	if got := get(SheetItems, "1.1", col(t, "目标")); got != "6场" {
		t.Errorf("1.1 目标 = %q, want 6场", got)
	}
	if got := get(SheetItems, "1.1", col(t, "进度")); got != "0%" {
		t.Errorf("1.1 进度 = %q, want 0%%", got)
	}
	if got := number(t, f, SheetItems, cell(col(t, "进度"), rowOf(t, f, SheetItems, "1.1"))); got != 0 {
		t.Errorf("1.1 进度 holds %v, want the number 0", got)
	}
	if got := get(SheetItems, "1.1", col(t, "完成量")); got != "0场" {
		t.Errorf("1.1 完成量 = %q, want 0场", got)
	}
	// Money reads as the plan writes it too.
	if got := get(SheetItems, "1.4", col(t, "目标")); got != "60万元" {
		t.Errorf("1.4 目标 = %q, want 60万元", got)
	}

	// The quantity item: in 万只 throughout, as the plan writes its target.
	for header, want := range map[string]string{
		"目标":   "28万只",
		"完成量":  "15万只",
		"进度":   "53.6%",
		"最近汇报": "15万只；累计投放蟹苗",
	} {
		if got := get(SheetItems, "3.4", col(t, header)); got != want {
			t.Errorf("3.4 %s = %q, want %q", header, got, want)
		}
	}

	// The noted report in 汇报记录: its figure in the plan's unit in 内容,
	// and 说明 not the bare fragment the reader left.
	if got := get(SheetReports, "8", "G"); got != "15万只" {
		t.Errorf("report 8 内容 = %q, want 15万只", got)
	}
	if got := get(SheetReports, "8", "H"); got != "15万只；累计投放蟹苗" {
		t.Errorf("report 8 说明 = %q, want the figure with the note", got)
	}
	// Below 1万 a count stays in its own unit.
	if got := get(SheetReports, "5", "G"); got != "50人次" {
		t.Errorf("report 5 内容 = %q", got)
	}

	// A note with no figure is the note, as text, never a formula.
	ref := cell("H", rowOf(t, f, SheetReports, "9"))
	if got := value(t, f, SheetReports, ref); got != "=1+1" {
		t.Errorf("report 9 说明 = %q, want =1+1", got)
	}
	if typ, _ := f.GetCellType(SheetReports, ref); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
		t.Errorf("report 9 说明 has type %v, want a string", typ)
	}
	if formula, _ := f.GetCellFormula(SheetReports, ref); formula != "" {
		t.Errorf("report 9 说明 became the formula %q", formula)
	}
	if got := get(SheetItems, "2.1", col(t, "最近汇报")); got != "=1+1" {
		t.Errorf("2.1 最近汇报 = %q", got)
	}
}

// A report that kept the cadre's words (Report.Words, since migration
// 0011) is filed as written: figure, unit and words in the order said.
func TestLedgerWordsAsWritten(t *testing.T) {
	fx := officeFixture(t)
	loc := fx.plan.Location
	fx.reports["2.6"] = append(fx.reports["2.6"], planbot.Report{ID: 10, ItemCode: "2.6", Reporter: "ma_jingfa",
		At: time.Date(2027, 7, 9, 11, 0, 0, 0, loc), Value: &planbot.Amount{Value: planbot.DecimalFromInt(12), Unit: "批"},
		Note: "累计接待客商", Words: "累计接待客商12批，其中签约意向2家"})
	fx.ov = fx.plan.Overview(fx.reports, map[string]planbot.Observation{}, fx.at)
	f := open(t, fx.bytes(t))
	if got := value(t, f, SheetReports, cell("H", rowOf(t, f, SheetReports, "10"))); got != "累计接待客商12批，其中签约意向2家" {
		t.Errorf("report 10 说明 = %q, want the words as written", got)
	}
	if got := value(t, f, SheetItems, cell(col(t, "最近汇报"), rowOf(t, f, SheetItems, "2.6"))); got != "累计接待客商12批，其中签约意向2家" {
		t.Errorf("2.6 最近汇报 = %q, want the words as written", got)
	}
}

// TestLedgerLeaves: the 请假 column names who of an item's owners and
// leader is away on the ledger's day, and 请假记录 lists every leave, from
// the plan and from chat, with how it stands.
func TestLedgerLeaves(t *testing.T) {
	fx := officeFixture(t)
	loc := fx.plan.Location
	day := func(m time.Month, d int) planbot.Date { return planbot.Date{Year: 2027, Month: m, Day: d} }
	fx.plan.Leaves = []planbot.Leave{
		{Person: "qian_cun", From: day(7, 5), To: day(7, 15), Source: planbot.LeaveFromYAML, Note: "外出培训"},
	}
	chat := []planbot.Leave{
		{Person: "liu_zhenzhang", From: day(7, 9), To: day(7, 12), Source: planbot.LeaveFromChat, At: time.Date(2027, 7, 8, 18, 0, 0, 0, loc)},
		{Person: "ma_jingfa", From: day(6, 1), To: day(6, 3), Source: planbot.LeaveFromChat, At: time.Date(2027, 5, 30, 9, 0, 0, 0, loc)},
		{Person: "zhao_cun", From: day(8, 1), To: day(8, 3), Source: planbot.LeaveFromChat, At: time.Date(2027, 7, 9, 9, 0, 0, 0, loc)},
	}
	b, err := DataBytes(fx.plan, fx.ov, Data{Reports: fx.reports, Observations: fx.observations, Leaves: chat}, fx.at)
	if err != nil {
		t.Fatal(err)
	}
	f := open(t, b)
	away := func(code string) string {
		return value(t, f, SheetItems, cell(col(t, "请假"), rowOf(t, f, SheetItems, code)))
	}
	// 3.4: 钱某某 owns it and is away until 15 July.
	if got := away("3.4"); got != "钱某某（请假至7月15日）" {
		t.Errorf("3.4 请假 = %q", got)
	}
	// 2.3: its leader 刘某某 is away; 马某某's leave ended in June.
	if got := away("2.3"); got != "刘某某（请假至7月12日）" {
		t.Errorf("2.3 请假 = %q", got)
	}
	// 1.1: 赵某某's leave has not begun.
	if got := away("1.1"); got != "" {
		t.Errorf("1.1 请假 = %q, want empty", got)
	}

	rows := sheetRowsOf(t, f, SheetLeaves)
	if !slices.Equal(rows[0], LeaveHeaders) {
		t.Fatalf("请假记录 headers = %q", rows[0])
	}
	want := [][]string{
		{"马某某", "", "2027-06-01", "2027-06-03", "3", "已结束", "聊天登记", "2027-05-30 09:00"},
		{"钱某某", "", "2027-07-05", "2027-07-15", "11", "请假中", "计划文件", "", "外出培训"},
		{"刘某某", "", "2027-07-09", "2027-07-12", "4", "请假中", "聊天登记", "2027-07-08 18:00"},
		{"赵某某", "", "2027-08-01", "2027-08-03", "3", "未开始", "聊天登记", "2027-07-09 09:00"},
	}
	if len(rows)-1 != len(want) {
		t.Fatalf("请假记录 = %q", rows)
	}
	for i, w := range want {
		got := rows[i+1]
		// The unit is what the plan says; only the other cells are fixed here.
		if len(got) < len(w) {
			t.Errorf("请假记录 row %d = %q, want %q", i+2, got, w)
			continue
		}
		got[1], w[1] = "", ""
		if !slices.Equal(got[:len(w)], w) {
			t.Errorf("请假记录 row %d = %q, want %q", i+2, got, w)
		}
	}
	if sheets := f.GetSheetList(); !slices.Contains(sheets, SheetLeaves) {
		t.Errorf("sheets = %q", sheets)
	}

	// Without any leave there is no 请假记录 sheet.
	plain := open(t, newFixture(t).bytes(t))
	if slices.Contains(plain.GetSheetList(), SheetLeaves) {
		t.Errorf("sheets = %q: a leave sheet with nothing in it", plain.GetSheetList())
	}
}

// leaveSource is a Source that also keeps chat leaves, as storage does.
type leaveSource struct {
	source
	leaves []planbot.Leave
}

func (s leaveSource) Leaves(context.Context) ([]planbot.Leave, error) { return s.leaves, nil }

// TestLoadLeaves: Load reads the chat's leaves from a source that keeps
// them, and a ledger of a moment gone by leaves out those said after it.
func TestLoadLeaves(t *testing.T) {
	fx := newFixture(t)
	loc := fx.plan.Location
	said := planbot.Leave{Person: "zhao_cun", From: planbot.Date{Year: 2027, Month: 7, Day: 9}, To: planbot.Date{Year: 2027, Month: 7, Day: 20},
		Source: planbot.LeaveFromChat, At: time.Date(2027, 7, 8, 12, 0, 0, 0, loc)}
	src := leaveSource{source: source{reports: fx.reports, observations: fx.observations}, leaves: []planbot.Leave{said}}
	book, err := Export(context.Background(), src, fx.plan, fx.at, false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := xlsx.Bytes(book)
	if err != nil {
		t.Fatal(err)
	}
	f := open(t, b)
	if got := value(t, f, SheetItems, cell(col(t, "请假"), rowOf(t, f, SheetItems, "1.1"))); got != "赵某某（请假至7月20日）" {
		t.Errorf("1.1 请假 = %q", got)
	}
	then, err := Load(context.Background(), src, fx.plan, time.Date(2027, 7, 1, 0, 0, 0, 0, loc), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(then.Leaves) != 0 {
		t.Errorf("as at 1 July: leaves %v, want none (said on 8 July)", then.Leaves)
	}
}
