package ledger_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"planbot"
	. "planbot/ledger"
)

// longNotes adds to the fixture a report of 2.5 with a 650-character note
// (the item's latest, so it shows in 事项台账 too) and one of 2.1 with a
// 27-line note: each alone made excelize refuse the row height.
func longNotes(t *testing.T) (fx fixture, long, lines string) {
	t.Helper()
	fx = newFixture(t)
	for len([]rune(long)) < 650 {
		long += "村里组织召开群众会议逐户走访核实情况并已整改。"
	}
	long = string([]rune(long)[:650])
	var ls []string
	for i := 1; i <= 27; i++ {
		ls = append(ls, "第"+strconv.Itoa(i)+"户已走访")
	}
	lines = strings.Join(ls, "\n")
	loc := fx.plan.Location
	add := func(r planbot.Report) {
		fx.reports[r.ItemCode] = append(fx.reports[r.ItemCode], r)
	}
	add(planbot.Report{ID: 8, ItemCode: "2.5", Reporter: "ma_jingfa", At: time.Date(2027, 6, 2, 10, 0, 0, 0, loc), Done: true, Note: long})
	add(planbot.Report{ID: 9, ItemCode: "2.1", Reporter: "ma_jingfa", At: time.Date(2027, 6, 3, 10, 0, 0, 0, loc), Note: lines})
	fx.ov = fx.plan.Overview(fx.reports, map[string]planbot.Observation{"fixed_asset_investment": fx.observations["fixed_asset_investment"][1]}, fx.at)
	return fx, long, lines
}

// fullText is the text the notes sheet holds for the cell of sheet in
// the row whose column A is key, its parts joined in order.
func fullText(t *testing.T, f *excelize.File, sheet, key, column string) string {
	t.Helper()
	rows, err := f.GetRows(SheetNotes)
	if err != nil {
		t.Fatalf("no %s sheet: %v", SheetNotes, err)
	}
	var b strings.Builder
	for _, r := range rows[1:] {
		if len(r) == len(NoteHeaders) && r[0] == sheet && r[2] == key && r[3] == column {
			b.WriteString(r[5])
		}
	}
	return b.String()
}

func TestLongNotesExport(t *testing.T) {
	fx, long, lines := longNotes(t)
	b, err := Bytes(fx.plan, fx.ov, fx.reports, fx.observations, fx.at)
	if err != nil {
		t.Fatalf("export with a long note: %v", err)
	}
	f := open(t, b)

	// Every row of every sheet has a height a spreadsheet accepts, and
	// no more than fits a printed page comfortably.
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			h, err := f.GetRowHeight(sheet, i+1)
			if err != nil {
				t.Fatal(err)
			}
			if h > float64(MaxLines)*LineHeight+2 {
				t.Errorf("%s row %d is %.1f points high", sheet, i+1, h)
			}
		}
	}

	// The full notes read back whole from the notes sheet …
	if got := fullText(t, f, SheetReports, "8", "说明"); got != "完成；"+long {
		t.Errorf("notes sheet holds %d of the 650 characters of report 8: %q", len([]rune(got)), got)
	}
	if got := fullText(t, f, SheetReports, "9", "说明"); got != lines {
		t.Errorf("notes sheet holds for report 9 %q, want the 27 lines", got)
	}
	if got := fullText(t, f, SheetItems, "2.5", "最近汇报"); got != "完成；"+long {
		t.Errorf("notes sheet holds for item 2.5 %q", got)
	}
	// … and the cells show their start and say where the rest is.
	for _, c := range []struct{ sheet, key, col, head string }{
		{SheetReports, "8", "H", "完成；" + string([]rune(long)[:40])},
		{SheetReports, "9", "H", "第1户已走访\n第2户已走访"},
		{SheetItems, "2.5", "M", "完成；" + string([]rune(long)[:20])},
	} {
		got := value(t, f, c.sheet, cell(c.col, rowOf(t, f, c.sheet, c.key)))
		if !strings.HasPrefix(got, c.head) || !strings.Contains(got, "见「"+SheetNotes+"」") {
			t.Errorf("%s %s %s = %q, want the start and a pointer to %s", c.sheet, c.key, c.col, got, SheetNotes)
		}
	}
	// A short note stays whole in its cell, with no entry in the notes sheet.
	if got := value(t, f, SheetReports, cell("H", rowOf(t, f, SheetReports, "2"))); got != "进度40%；<b>&" {
		t.Errorf("short note = %q", got)
	}
	if got := fullText(t, f, SheetReports, "2", "说明"); got != "" {
		t.Errorf("short note in the notes sheet: %q", got)
	}
	// The notes sheet prints like the others.
	if got := f.GetSheetList(); got[len(got)-1] != SheetNotes {
		t.Errorf("sheets = %q, want %s last", got, SheetNotes)
	}
}

// TestNoLongNoNotesSheet: a ledger without long text has no notes sheet.
func TestNoLongNoNotesSheet(t *testing.T) {
	f := open(t, newFixture(t).bytes(t))
	for _, s := range f.GetSheetList() {
		if s == SheetNotes {
			t.Fatalf("sheets = %q: a notes sheet with nothing in it", f.GetSheetList())
		}
	}
}

func TestHugeNoteIsWhole(t *testing.T) {
	// Beyond the 32,767 characters a cell holds: the notes sheet splits
	// it over rows, so nothing is cut.
	fx := newFixture(t)
	huge := strings.Repeat("一二三四五六七八九十", 4000)
	fx.reports["2.1"] = append(fx.reports["2.1"], planbot.Report{ID: 8, ItemCode: "2.1", Reporter: "ma_jingfa", At: fx.at.Add(-time.Hour), Note: huge})
	f := open(t, fx.bytes(t))
	if got := fullText(t, f, SheetReports, "8", "说明"); got != huge {
		t.Errorf("notes sheet holds %d of %d characters", len([]rune(got)), len([]rune(huge)))
	}
}
