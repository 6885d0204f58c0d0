package ledger_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"planbot"
	"planbot/config"
	. "planbot/ledger"
	"planbot/ledger/xlsx"
)

func loadPlan(t *testing.T) *planbot.Plan {
	t.Helper()
	cfg, err := config.Load("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Plan
}

func ptr[T any](v T) *T { return &v }

// fixture is the example plan at 2027-07-10 09:00 with a handful of
// reports: a correction, a withdrawal, a late report, notes that look like
// a formula and like markup.
type fixture struct {
	plan         *planbot.Plan
	at           time.Time
	reports      map[string][]planbot.Report
	observations map[string][]planbot.Observation
	ov           planbot.Overview
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	plan := loadPlan(t)
	loc := plan.Location
	at := time.Date(2027, 7, 10, 9, 0, 0, 0, loc)
	day := func(m time.Month, d, h, min int) time.Time { return time.Date(2027, m, d, h, min, 0, 0, loc) }
	rs := []planbot.Report{
		{ID: 1, ItemCode: "2.3", Reporter: "ma_jingfa", At: day(3, 10, 10, 0), Percent: ptr(30.0), Note: "=1+1"},
		{ID: 2, ItemCode: "2.3", Reporter: "zheng_dzb", OnBehalfOf: "ma_jingfa", At: day(3, 10, 11, 0), Percent: ptr(40.0), Note: "<b>&", Supersedes: 1},
		{ID: 3, ItemCode: "2.3", Reporter: "ma_jingfa", At: day(4, 2, 9, 0), Percent: ptr(50.0), Note: "误报"},
		{ID: 4, ItemCode: "2.3", Reporter: "ma_jingfa", At: day(4, 2, 9, 5), Supersedes: 3, Withdrawn: true},
		// Late: sent on 20 May at 20:30 Beijing time (12:30 UTC) about 15 May.
		{ID: 5, ItemCode: "2.1", Reporter: "ma_jingfa", At: time.Date(2027, 5, 20, 12, 30, 0, 0, time.UTC),
			AsOf: &planbot.Date{Year: 2027, Month: 5, Day: 15}, Value: &planbot.Amount{Value: planbot.DecimalFromInt(50), Unit: "人次"},
			PhotoIDs: []string{"p1", "p2"}, Note: "@all =HYPERLINK(\"http://x\")\n第二行"},
		{ID: 6, ItemCode: "2.5", Reporter: "ma_jingfa", At: day(6, 1, 16, 0), Done: true},
		// An item no longer in the plan keeps its history.
		{ID: 7, ItemCode: "9.9", Reporter: "gone_person", At: day(2, 1, 8, 0), Percent: ptr(10.0)},
	}
	reports := map[string][]planbot.Report{}
	for _, r := range rs {
		reports[r.ItemCode] = append(reports[r.ItemCode], r)
	}
	yi := func(s string) planbot.Amount {
		a, err := planbot.ParseAmountIn(s, "亿元")
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	observations := map[string][]planbot.Observation{
		"fixed_asset_investment": {
			{ID: 1, Indicator: "fixed_asset_investment", At: day(6, 30, 17, 0), Value: yi("3.2"), Reporter: "chen_fuzhen"},
			{ID: 2, Indicator: "fixed_asset_investment", At: day(6, 30, 17, 10), Value: yi("3.25"), Reporter: "chen_fuzhen", Note: "更正", Supersedes: 1},
		},
	}
	latest := map[string]planbot.Observation{"fixed_asset_investment": observations["fixed_asset_investment"][1]}
	return fixture{
		plan: plan, at: at, reports: reports, observations: observations,
		ov: plan.Overview(reports, latest, at),
	}
}

func (fx fixture) bytes(t *testing.T) []byte {
	t.Helper()
	b, err := Bytes(fx.plan, fx.ov, fx.reports, fx.observations, fx.at)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func open(t *testing.T, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// rowOf finds the row whose column A reads key.
func rowOf(t *testing.T, f *excelize.File, sheet, key string) int {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if len(r) > 0 && r[0] == key {
			return i + 1
		}
	}
	t.Fatalf("%s: no row %q", sheet, key)
	return 0
}

func cell(col string, row int) string { return col + strconv.Itoa(row) }

func value(t *testing.T, f *excelize.File, sheet, ref string) string {
	t.Helper()
	v, err := f.GetCellValue(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func raw(t *testing.T, f *excelize.File, sheet, ref string) string {
	t.Helper()
	v, err := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func number(t *testing.T, f *excelize.File, sheet, ref string) float64 {
	t.Helper()
	typ, err := f.GetCellType(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Fatalf("%s!%s is of type %v, want a number", sheet, ref, typ)
	}
	v, err := strconv.ParseFloat(raw(t, f, sheet, ref), 64)
	if err != nil {
		t.Fatalf("%s!%s: %v", sheet, ref, err)
	}
	return v
}

func style(t *testing.T, f *excelize.File, sheet, ref string) *excelize.Style {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func numFmt(t *testing.T, f *excelize.File, sheet, ref string) string {
	t.Helper()
	s := style(t, f, sheet, ref)
	if s.CustomNumFmt == nil {
		t.Fatalf("%s!%s has no custom number format (NumFmt %d)", sheet, ref, s.NumFmt)
	}
	return *s.CustomNumFmt
}

// dateAt checks that ref holds an Excel date with format and returns it.
func dateAt(t *testing.T, f *excelize.File, sheet, ref, format string) time.Time {
	t.Helper()
	if got := numFmt(t, f, sheet, ref); got != format {
		t.Errorf("%s!%s number format = %q, want %q", sheet, ref, got, format)
	}
	d, err := excelize.ExcelDateToTime(number(t, f, sheet, ref), false)
	if err != nil {
		t.Fatal(err)
	}
	return d.Round(time.Second)
}

func TestSheetsAndHeaders(t *testing.T) {
	fx := newFixture(t)
	f := open(t, fx.bytes(t))
	want := []string{SheetItems, SheetIndicators, SheetReports, SheetObservations}
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	for sheet, headers := range map[string][]string{
		SheetItems: ItemHeaders, SheetIndicators: IndicatorHeaders, SheetReports: ReportHeaders, SheetObservations: ObservationHeaders,
	} {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rows[0], headers) {
			t.Errorf("%s header = %q, want %q", sheet, rows[0], headers)
		}
		if s := style(t, f, sheet, "A1"); s.Font == nil || !s.Font.Bold {
			t.Errorf("%s header is not bold", sheet)
		}
		panes, err := f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
			t.Errorf("%s panes = %+v, want the header row frozen", sheet, panes)
		}
	}
	// The filter covers each table: a hidden _FilterDatabase name per sheet.
	filters := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm._FilterDatabase" {
			filters[dn.Scope] = dn.RefersTo
		}
	}
	lastRow := func(sheet string) string {
		rows, _ := f.GetRows(sheet)
		return strconv.Itoa(len(rows))
	}
	for sheet, col := range map[string]string{SheetItems: "O", SheetIndicators: "J", SheetReports: "J", SheetObservations: "I"} {
		want := "'" + sheet + "'!$A$1:$" + col + "$" + lastRow(sheet)
		if filters[sheet] != want {
			t.Errorf("%s filter = %q, want %q", sheet, filters[sheet], want)
		}
	}
}

func TestItemsSheet(t *testing.T) {
	fx := newFixture(t)
	f := open(t, fx.bytes(t))
	rows, err := f.GetRows(SheetItems)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != len(fx.plan.Items) {
		t.Fatalf("%d item rows, want %d", len(rows)-1, len(fx.plan.Items))
	}
	for i, it := range fx.plan.Items {
		if rows[i+1][0] != it.Code {
			t.Fatalf("row %d is item %q, want %q (plan order)", i+2, rows[i+1][0], it.Code)
		}
	}

	// 2.3 was due 30 June at 40% (30% corrected to 40%; 50% withdrawn): 10 days overdue.
	r := rowOf(t, f, SheetItems, "2.3")
	for col, want := range map[string]string{
		"B": "谋发展、求突破，全力开创经济发展新局面",
		"C": "协调推进XX项目开工建设",
		"E": "马某某",
		"F": "刘某某", // the item's own leader, not the section's
		"J": "逾期",
		"K": "40%",
		"M": "进度40%；<b>&",
		"N": "2027-03-10",
		"O": "10",
	} {
		if got := value(t, f, SheetItems, cell(col, r)); got != want {
			t.Errorf("2.3 %s = %q, want %q", col, got, want)
		}
	}
	s := style(t, f, SheetItems, cell("J", r))
	if s.Fill.Pattern != 1 || len(s.Fill.Color) != 1 || !strings.EqualFold(s.Fill.Color[0], StatusColors[planbot.StatusOverdue]) {
		t.Errorf("overdue fill = %+v, want %s", s.Fill, StatusColors[planbot.StatusOverdue])
	}
	if got := number(t, f, SheetItems, cell("K", r)); got != 0.4 {
		t.Errorf("2.3 progress = %v, want 0.4", got)
	}
	if got := numFmt(t, f, SheetItems, cell("K", r)); !strings.HasSuffix(got, "%") {
		t.Errorf("progress format %q is not a percentage", got)
	}
	due := dateAt(t, f, SheetItems, cell("I", r), DateFormat)
	if want := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC); !due.Equal(want) {
		t.Errorf("2.3 due = %v, want %v", due, want)
	}
	if got := dateAt(t, f, SheetItems, cell("H", r), DateFormat); !got.Equal(time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("2.3 start = %v", got)
	}

	done := rowOf(t, f, SheetItems, "2.5")
	if got := value(t, f, SheetItems, cell("J", done)); got != "已完成" {
		t.Errorf("2.5 status = %q", got)
	}
	if s := style(t, f, SheetItems, cell("J", done)); len(s.Fill.Color) != 1 || !strings.EqualFold(s.Fill.Color[0], StatusColors[planbot.StatusDone]) {
		t.Errorf("done fill = %+v", s.Fill)
	}
	// Every status cell carries its colour.
	for i := 2; i <= len(rows); i++ {
		label := value(t, f, SheetItems, cell("J", i))
		var st planbot.Status
		for _, x := range planbot.Statuses {
			if x.Label() == label {
				st = x
			}
		}
		if st == "" {
			t.Fatalf("row %d status %q is not a label", i, label)
		}
		if s := style(t, f, SheetItems, cell("J", i)); len(s.Fill.Color) != 1 || !strings.EqualFold(s.Fill.Color[0], StatusColors[st]) {
			t.Errorf("row %d (%s) fill = %+v, want %s", i, label, s.Fill, StatusColors[st])
		}
	}
	// Never reported: 0% (ledger12_test.go), no last report.
	never := rowOf(t, f, SheetItems, "1.1")
	for _, col := range []string{"M", "N", "O"} {
		if got := value(t, f, SheetItems, cell(col, never)); got != "" {
			t.Errorf("1.1 %s = %q, want empty", col, got)
		}
	}

	// CJK counts double: the item column is wider than its ASCII header would need.
	w, err := f.GetColWidth(SheetItems, "C")
	if err != nil {
		t.Fatal(err)
	}
	if w < 30 {
		t.Errorf("事项 column width %v is too narrow for Chinese titles", w)
	}
	if w, _ := f.GetColWidth(SheetItems, "A"); w > 10 {
		t.Errorf("编号 column width %v, want narrow", w)
	}
}

func TestIndicatorsSheet(t *testing.T) {
	fx := newFixture(t)
	f := open(t, fx.bytes(t))
	r := rowOf(t, f, SheetIndicators, "固定资产投资")
	if got := value(t, f, SheetIndicators, cell("B", r)); got != "亿元" {
		t.Errorf("unit = %q", got)
	}
	for col, want := range map[string]float64{"C": 6.5, "D": 3.25, "E": 0.5} {
		if got := number(t, f, SheetIndicators, cell(col, r)); got != want {
			t.Errorf("固定资产投资 %s = %v, want %v", col, got, want)
		}
	}
	if got := value(t, f, SheetIndicators, cell("E", r)); got != "50%" {
		t.Errorf("completion shows %q, want 50%%", got)
	}
	if got := value(t, f, SheetIndicators, cell("D", r)); got != "3.25" {
		t.Errorf("value shows %q, want 3.25", got)
	}
	st := fx.ov.Indicators[0].Standing
	// Excel keeps 15 significant digits.
	if got := number(t, f, SheetIndicators, cell("F", r)); math.Abs(got-st.Elapsed) > 1e-12 {
		t.Errorf("elapsed = %v, want %v", got, st.Elapsed)
	}
	if got := number(t, f, SheetIndicators, cell("G", r)); math.Abs(got-*st.YoY) > 1e-12 {
		t.Errorf("yoy = %v, want %v", got, *st.YoY)
	}
	if got := value(t, f, SheetIndicators, cell("H", r)); got != st.Verdict() {
		t.Errorf("verdict = %q, want %q", got, st.Verdict())
	}
	if got := dateAt(t, f, SheetIndicators, cell("I", r), DateTimeFormat); !got.Equal(time.Date(2027, 6, 30, 17, 10, 0, 0, time.UTC)) {
		t.Errorf("data time = %v", got)
	}
	for _, col := range []string{"E", "F", "G"} {
		if got := numFmt(t, f, SheetIndicators, cell(col, r)); !strings.Contains(got, "%") {
			t.Errorf("%s format %q is not a percentage", col, got)
		}
	}
	// No figure yet: target only, no value, no completion.
	tax := rowOf(t, f, SheetIndicators, "工商税收")
	if got := number(t, f, SheetIndicators, cell("C", tax)); got != 4120 {
		t.Errorf("工商税收 target = %v", got)
	}
	if got := value(t, f, SheetIndicators, cell("D", tax)) + value(t, f, SheetIndicators, cell("E", tax)); got != "" {
		t.Errorf("工商税收 value/completion = %q, want empty", got)
	}
	if got := value(t, f, SheetIndicators, cell("H", tax)); got != "暂无数据" {
		t.Errorf("工商税收 verdict = %q", got)
	}
}

func TestReportsSheet(t *testing.T) {
	fx := newFixture(t)
	f := open(t, fx.bytes(t))
	rows, err := f.GetRows(SheetReports)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows[1:] {
		ids = append(ids, r[0])
	}
	if want := []string{"1", "2", "3", "4", "5", "6", "7"}; !slices.Equal(ids, want) {
		t.Fatalf("report ids = %q, want %q (every row, oldest first)", ids, want)
	}
	get := func(id, col string) string {
		return value(t, f, SheetReports, cell(col, rowOf(t, f, SheetReports, id)))
	}
	for _, c := range []struct{ id, col, want string }{
		{"1", "B", "2.3 协调推进XX项目开工建设"},
		{"1", "G", "进度30%"},
		{"1", "J", "是"}, // corrected by 2
		{"2", "C", "郑某某"},
		{"2", "D", "马某某"},
		{"2", "G", "更正第1条：进度40%"},
		{"2", "H", "进度40%；<b>&"}, // the note with the figure it came with
		{"2", "J", "否"},
		{"3", "J", "是"}, // withdrawn by 4
		{"4", "G", "撤回第3条"},
		{"4", "J", "否"},
		{"5", "G", "50人次"},
		{"5", "I", "2"},
		{"6", "G", "完成"},
		{"7", "B", "9.9（已移出计划）"},
		{"7", "C", "gone_person"},
	} {
		if got := get(c.id, c.col); got != c.want {
			t.Errorf("report %s %s = %q, want %q", c.id, c.col, got, c.want)
		}
	}
	late := rowOf(t, f, SheetReports, "5")
	if got := dateAt(t, f, SheetReports, cell("E", late), DateTimeFormat); !got.Equal(time.Date(2027, 5, 20, 20, 30, 0, 0, time.UTC)) {
		t.Errorf("late report time = %v, want 2027-05-20 20:30 (Beijing wall clock)", got)
	}
	if got := value(t, f, SheetReports, cell("E", late)); got != "2027-05-20 20:30" {
		t.Errorf("late report time shows %q", got)
	}
	if got := dateAt(t, f, SheetReports, cell("F", late), DateFormat); !got.Equal(time.Date(2027, 5, 15, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("as-of = %v", got)
	}
	if got := value(t, f, SheetReports, cell("F", rowOf(t, f, SheetReports, "1"))); got != "" {
		t.Errorf("on-time report has as-of %q", got)
	}
}

// TestUserTextStaysText: notes that look like formulas are stored as
// strings, and no cell anywhere in the file has a formula.
func TestUserTextStaysText(t *testing.T) {
	fx := newFixture(t)
	b := fx.bytes(t)
	f := open(t, b)
	for _, c := range []struct{ id, want string }{
		{"1", "进度30%；=1+1"},
		{"5", "50人次；@all =HYPERLINK(\"http://x\")\n第二行"},
	} {
		ref := cell("H", rowOf(t, f, SheetReports, c.id))
		if got := value(t, f, SheetReports, ref); got != c.want {
			t.Errorf("note %s = %q, want %q", ref, got, c.want)
		}
		if typ, _ := f.GetCellType(SheetReports, ref); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
			t.Errorf("note %s has type %v, want a string", ref, typ)
		}
		if formula, err := f.GetCellFormula(SheetReports, ref); err != nil || formula != "" {
			t.Errorf("note %s has formula %q (%v)", ref, formula, err)
		}
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	formula := regexp.MustCompile(`<f[ >/]`)
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		x, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if formula.Match(x) {
			t.Errorf("%s contains a formula", zf.Name)
		}
	}
}

func TestObservationsSheet(t *testing.T) {
	fx := newFixture(t)
	f := open(t, fx.bytes(t))
	first, second := rowOf(t, f, SheetObservations, "1"), rowOf(t, f, SheetObservations, "2")
	if got := number(t, f, SheetObservations, cell("C", first)); got != 3.2 {
		t.Errorf("first value = %v", got)
	}
	for ref, want := range map[string]string{
		cell("B", first): "固定资产投资", cell("D", first): "亿元", cell("F", first): "陈某某",
		cell("G", first): "填报", cell("I", first): "是",
		cell("G", second): "更正第1条", cell("I", second): "否",
	} {
		if got := value(t, f, SheetObservations, ref); got != want {
			t.Errorf("%s = %q, want %q", ref, got, want)
		}
	}

	// Without observations there is no fourth sheet.
	b, err := Bytes(fx.plan, fx.ov, fx.reports, nil, fx.at)
	if err != nil {
		t.Fatal(err)
	}
	if got := open(t, b).GetSheetList(); len(got) != 3 {
		t.Errorf("sheets without observations = %q", got)
	}
}

func TestEmpty(t *testing.T) {
	plan := loadPlan(t)
	at := time.Date(2027, 1, 1, 0, 0, 0, 0, plan.Location)
	b, err := Bytes(plan, plan.Overview(nil, nil, at), nil, nil, at)
	if err != nil {
		t.Fatal(err)
	}
	f := open(t, b)
	rows, err := f.GetRows(SheetReports)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Errorf("reports sheet has %d rows, want the header only", len(rows))
	}
}

func TestInUnit(t *testing.T) {
	for _, c := range []struct {
		in, unit string
		want     float64
		places   int
		ok       bool
	}{
		{"1.8亿元", "亿元", 1.8, 1, true},
		{"18000万元", "亿元", 1.8, 1, true},
		{"1元", "亿元", 0.00000001, 8, true},
		{"4120万元", "万元", 4120, 0, true},
		{"121.6%", "%", 121.6, 1, true},
		{"3.2", "", 3.2, 1, true},
		{"5只", "亿元", 0, 0, false},
	} {
		a, err := planbot.ParseAmount(c.in)
		if err != nil {
			t.Fatal(err)
		}
		v, places, ok := InUnit(a, c.unit)
		if v != c.want || places != c.places || ok != c.ok {
			t.Errorf("InUnit(%s, %s) = %v, %d, %v; want %v, %d, %v", c.in, c.unit, v, places, ok, c.want, c.places, c.ok)
		}
	}
}

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{"": 0, "abc": 3, "事项": 4, "2.3 项目": 8, "（二）": 6, "🟢": 2, "e\u0301": 1} {
		if got := DisplayWidth(s); got != want {
			t.Errorf("DisplayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestFileName(t *testing.T) {
	plan := loadPlan(t)
	// 23:30 UTC on 14 June is 15 June in Beijing.
	if got := FileName(plan, time.Date(2027, 6, 14, 23, 30, 0, 0, time.UTC)); got != "2027年度工作台账_20270615.xlsx" {
		t.Errorf("FileName = %q", got)
	}
}

// TestLibreOffice converts the workbook to CSV with LibreOffice, when it is
// installed, to check that an office suite other than excelize opens it.
func TestLibreOffice(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	soffice := ""
	for _, name := range []string{"soffice", "libreoffice"} {
		if p, err := exec.LookPath(name); err == nil {
			soffice = p
			break
		}
	}
	if soffice == "" {
		t.Skip("LibreOffice (soffice) is not installed")
	}
	fx := newFixture(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "ledger.xlsx")
	if err := os.WriteFile(in, fx.bytes(t), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Filter options: comma, double quote, UTF-8, from row 1, …, cells as
	// shown, and -1: every sheet to its own file (LibreOffice 7.2+).
	cmd := exec.CommandContext(ctx, soffice, "--headless", "--norestore",
		"-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1",
		"--outdir", dir, in)
	cmd.WaitDelay = 10 * time.Second // a helper process holding the pipes must not hang the test
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "ledger-"+SheetItems+".csv")); err != nil {
		t.Skipf("this LibreOffice does not export every sheet (7.2+ does): %s", out)
	}
	read := func(sheet string) [][]string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, "ledger-"+sheet+".csv"))
		if err != nil {
			t.Fatalf("%v\nsoffice said: %s", err, out)
		}
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	find := func(recs [][]string, key string) []string {
		for _, r := range recs {
			if r[0] == key {
				return r
			}
		}
		t.Fatalf("no row %q in %q", key, recs)
		return nil
	}

	items := read(SheetItems)
	if !slices.Equal(items[0], ItemHeaders) {
		t.Errorf("items header = %q", items[0])
	}
	row := find(items, "2.3")
	if row[6] != "2027-06-30" || row[7] != "逾期" || row[8] != "40%" || row[11] != "10" {
		t.Errorf("2.3 as LibreOffice reads it: %q", row)
	}
	ind := find(read(SheetIndicators), "固定资产投资")
	if ind[2] != "6.5" || ind[3] != "3.25" || ind[4] != "50%" {
		t.Errorf("固定资产投资 as LibreOffice reads it: %q", ind)
	}
	reps := read(SheetReports)
	if r := find(reps, "1"); r[7] != "=1+1" || r[9] != "是" {
		t.Errorf("report 1 as LibreOffice reads it: %q (a formula would read 2)", r)
	}
	if r := find(reps, "5"); r[4] != "2027-05-20 20:30" || r[5] != "2027-05-15" {
		t.Errorf("report 5 as LibreOffice reads it: %q", r)
	}
}

// source is a Source over fixed rows that fails the test if anything it
// returned is changed.
type source struct {
	reports      map[string][]planbot.Report
	observations map[string][]planbot.Observation
}

func (s source) AllReports(context.Context) (map[string][]planbot.Report, error) {
	return s.reports, nil
}

func (s source) IndicatorObservations(_ context.Context, key string) ([]planbot.Observation, error) {
	return s.observations[key], nil
}

// LatestObservations is storage's rule, simplified: the effective row with
// the greatest At in [from, to).
func (s source) LatestObservations(_ context.Context, from, to time.Time) (map[string]planbot.Observation, error) {
	out := map[string]planbot.Observation{}
	for key, obs := range s.observations {
		replaced := map[int64]bool{}
		for _, o := range obs {
			replaced[o.Supersedes] = true
		}
		for _, o := range obs {
			if !o.Withdrawn && !replaced[o.ID] && !o.At.Before(from) && o.At.Before(to) {
				out[key] = o
			}
		}
	}
	return out, nil
}

func TestLoadAndExport(t *testing.T) {
	fx := newFixture(t)
	src := source{reports: fx.reports, observations: fx.observations}
	count := func(m map[string][]planbot.Report) int {
		n := 0
		for _, rs := range m {
			n += len(rs)
		}
		return n
	}

	now, err := Load(context.Background(), src, fx.plan, fx.at, false)
	if err != nil {
		t.Fatal(err)
	}
	if count(now.Reports) != 7 || len(now.Observations["fixed_asset_investment"]) != 2 || now.Latest["fixed_asset_investment"].ID != 2 {
		t.Errorf("Load now: %d reports, observations %v, latest %v", count(now.Reports), now.Observations, now.Latest)
	}

	// As at 1 April: reports 1, 2 and 7 only, no figure yet.
	april := time.Date(2027, 4, 1, 0, 0, 0, 0, fx.plan.Location)
	then, err := Load(context.Background(), src, fx.plan, april, true)
	if err != nil {
		t.Fatal(err)
	}
	if count(then.Reports) != 3 || len(then.Latest) != 0 || len(then.Observations["fixed_asset_investment"]) != 0 {
		t.Errorf("Load as at April: %d reports, latest %v, observations %v", count(then.Reports), then.Latest, then.Observations)
	}
	if count(src.reports) != 7 || len(src.reports["2.3"]) != 4 {
		t.Errorf("Load changed the source's map: %v", src.reports)
	}

	book, err := Export(context.Background(), src, fx.plan, april, true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := xlsx.Bytes(book)
	if err != nil {
		t.Fatal(err)
	}
	f := open(t, b)
	if rows := sheetRowsOf(t, f, SheetReports); len(rows) != 4 {
		t.Errorf("reports as at April: %q", rows)
	}
	r := rowOf(t, f, SheetItems, "2.3")
	// Silent since 10 March, not yet due.
	if got := value(t, f, SheetItems, cell("J", r)); got != planbot.StatusNoReport.Label() {
		t.Errorf("2.3 in April = %q, want %s", got, planbot.StatusNoReport.Label())
	}
}

func sheetRowsOf(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// BenchmarkWorkbook writes a county-sized history: 50,000 reports.
func BenchmarkWorkbook(b *testing.B) {
	cfg, err := config.Load("../config.example.yaml")
	if err != nil {
		b.Fatal(err)
	}
	plan := cfg.Plan
	at := time.Date(2027, 11, 29, 8, 30, 0, 0, plan.Location)
	reports := map[string][]planbot.Report{}
	for i := range 50000 {
		it := plan.Items[i%len(plan.Items)]
		reports[it.Code] = append(reports[it.Code], planbot.Report{
			ID: int64(i + 1), ItemCode: it.Code, Reporter: it.Owners[0], At: at.Add(-time.Duration(50000-i) * time.Hour),
			Percent: ptr(float64(i % 100)), Note: "已完成阶段性任务，正在推进下一步工作",
		})
	}
	ov := plan.Overview(reports, nil, at)
	b.ReportAllocs()
	for b.Loop() {
		if err := Workbook(io.Discard, plan, ov, reports, nil, at); err != nil {
			b.Fatal(err)
		}
	}
}
