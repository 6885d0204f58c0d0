package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"planbot"
	"planbot/ledger"
	"planbot/storage"
)

func openWorkbook(t *testing.T, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func sheetRows(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestExportExample(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "ledger.xlsx")
	r := runCmd(t, "export", "-o", out, "-db", filepath.Join(dir, "planbot.db"))
	if r.code != exitOK {
		t.Fatalf("export = %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "22 个事项") || !strings.Contains(r.stdout, out) {
		t.Errorf("summary: %s", r.stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	f := openWorkbook(t, b)
	want := []string{ledger.SheetItems, ledger.SheetIndicators, ledger.SheetReports, ledger.SheetObservations}
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	if rows := sheetRows(t, f, ledger.SheetItems); len(rows) != 23 || rows[1][0] != "1.1" {
		t.Errorf("items sheet has %d rows, first %q; want header + 22 items from 1.1", len(rows), rows[1])
	}
	if rows := sheetRows(t, f, ledger.SheetIndicators); len(rows) != 6 {
		t.Errorf("indicators sheet has %d rows, want header + 5", len(rows))
	}
	if rows := sheetRows(t, f, ledger.SheetReports); len(rows) != 1 {
		t.Errorf("a fresh database has reports: %q", rows)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".ledger.xlsx.*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %q", left)
	}
}

func TestExportReportsAndAt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "planbot.db")
	if r := runCmd(t, "status", "-db", path); r.code != exitOK {
		t.Fatalf("status = %d: %s", r.code, r.stderr)
	}
	ctx := context.Background()
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	pct := func(p float64) *float64 { return &p }
	add := func(r planbot.Report) planbot.Report {
		t.Helper()
		r, err := db.AddReport(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	first := add(planbot.Report{ItemCode: "3.4", Reporter: "qian_cun", At: fixedNow.Add(-72 * time.Hour), Percent: pct(50), Note: "=SUM(A1:A9)"})
	add(planbot.Report{ItemCode: "3.4", Reporter: "zheng_dzb", OnBehalfOf: "qian_cun", At: fixedNow.Add(-71 * time.Hour), Percent: pct(60), Supersedes: first.ID})
	add(planbot.Report{ItemCode: "3.2", Reporter: "xu_nongye", At: fixedNow.Add(-24 * time.Hour), Done: true})
	v, _ := planbot.ParseAmountIn("3.2", "亿元")
	if _, err := db.AddObservation(ctx, planbot.Observation{Indicator: "fixed_asset_investment", At: fixedNow.Add(-time.Hour), Value: v, Reporter: "chen_fuzhen"}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	export := func(args ...string) *excelize.File {
		t.Helper()
		out := filepath.Join(t.TempDir(), "ledger.xlsx")
		r := runCmd(t, append([]string{"export", "-o", out, "-db", path}, args...)...)
		if r.code != exitOK {
			t.Fatalf("export %q = %d: %s", args, r.code, r.stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return openWorkbook(t, b)
	}

	f := export()
	reports := sheetRows(t, f, ledger.SheetReports)
	if len(reports) != 4 {
		t.Fatalf("reports sheet: %q", reports)
	}
	// 编号 事项 汇报人 代报对象 时间 补报日期 内容 说明 佐证材料数 是否已被更正
	if got := reports[1]; got[2] != "钱某某" || got[7] != "进度50%；=SUM(A1:A9)" || got[9] != "是" {
		t.Errorf("first report row: %q", got)
	}
	if got := reports[2]; got[2] != "郑某某" || got[3] != "钱某某" || got[6] != "更正第1条：进度60%" || got[9] != "否" {
		t.Errorf("correction row: %q", got)
	}
	if formula, _ := f.GetCellFormula(ledger.SheetReports, "H2"); formula != "" {
		t.Errorf("a note became the formula %q", formula)
	}
	row := func(f *excelize.File, sheet, key string) []string {
		for _, r := range sheetRows(t, f, sheet) {
			if r[0] == key {
				return r
			}
		}
		t.Fatalf("no row %q in %s", key, sheet)
		return nil
	}
	if got := row(f, ledger.SheetItems, "3.2"); got[9] != "已完成" {
		t.Errorf("3.2: %q", got)
	}
	if got := row(f, ledger.SheetItems, "3.4"); got[10] != "60%" {
		t.Errorf("3.4: %q", got)
	}
	if got := row(f, ledger.SheetIndicators, "固定资产投资"); got[3] != "3.2" {
		t.Errorf("固定资产投资: %q", got)
	}
	if got := row(f, ledger.SheetObservations, "1"); got[5] != "陈某某" {
		t.Errorf("observation: %q", got)
	}

	// As at two days ago (Shanghai time): the done report and the figure
	// had not come in yet.
	past := export("-at", fixedNow.Add(-48*time.Hour).In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04"))
	if rows := sheetRows(t, past, ledger.SheetReports); len(rows) != 3 {
		t.Errorf("reports as at two days ago: %q", rows)
	}
	if got := row(past, ledger.SheetItems, "3.2"); got[9] == "已完成" {
		t.Errorf("3.2 done before it was reported: %q", got)
	}
	if got := row(past, ledger.SheetIndicators, "固定资产投资"); got[3] != "" {
		t.Errorf("figure shown before it was reported: %q", got)
	}
	if rows := sheetRows(t, past, ledger.SheetObservations); len(rows) != 1 {
		t.Errorf("observations as at two days ago: %q", rows)
	}
}

func TestExportToStdout(t *testing.T) {
	var out, errOut bytes.Buffer
	e := &env{stdout: &out, stderr: &errOut, now: func() time.Time { return fixedNow },
		dbOptions: []storage.Option{storage.WithBusyTimeout(200 * time.Millisecond)}}
	if code := run([]string{"export", "-o", "-", "-db", filepath.Join(t.TempDir(), "planbot.db")}, e); code != exitOK {
		t.Fatalf("export = %d: %s", code, errOut.String())
	}
	f := openWorkbook(t, out.Bytes())
	if got := f.GetSheetList(); got[0] != ledger.SheetItems {
		t.Errorf("sheets: %q", got)
	}
	if !strings.Contains(errOut.String(), "台账已导出") {
		t.Errorf("summary not on stderr: %q", errOut.String())
	}
}

func TestExportUsage(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "planbot.db")
	if r := runCmd(t, "export", "-db", db); r.code != exitUsage || !strings.Contains(r.stderr, "-o") {
		t.Errorf("no -o: %d %q", r.code, r.stderr)
	}
	if r := runCmd(t, "export", "-o", filepath.Join(dir, "x.xlsx"), "-db", db, "-at", "soon"); r.code != exitUsage {
		t.Errorf("bad -at: %d %q", r.code, r.stderr)
	}
	missing := filepath.Join(dir, "no", "such", "x.xlsx")
	if r := runCmd(t, "export", "-o", missing, "-db", db); r.code != exitFail || !strings.Contains(r.stderr, "no") {
		t.Errorf("unwritable -o: %d %q", r.code, r.stderr)
	}
	if r := runCmd(t, "help"); !strings.Contains(r.stdout, "export") {
		t.Errorf("export is not in the command list:\n%s", r.stdout)
	}
}
