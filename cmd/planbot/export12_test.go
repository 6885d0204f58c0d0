package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"planbot"
	"planbot/ledger"
	"planbot/storage"
)

// TestExportCommandLeaves: a leave said in chat (in the database) shows
// in the exported ledger: beside the item of the person away, and in the
// 请假记录 sheet.
func TestExportCommandLeaves(t *testing.T) {
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
	err = db.InSession(ctx, func(s planbot.Tx) error {
		_, err := s.AddLeave(ctx, planbot.Leave{Person: "qian_cun", From: planbot.Date{Year: 2027, Month: 6, Day: 14},
			To: planbot.Date{Year: 2027, Month: 6, Day: 20}, Note: "住院", At: fixedNow.Add(-24 * time.Hour)})
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ledger.xlsx")
	if r := runCmd(t, "export", "-o", out, "-db", path); r.code != exitOK {
		t.Fatalf("export = %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	f := openWorkbook(t, b)
	rows := sheetRows(t, f, ledger.SheetItems)
	away := slices.Index(rows[0], "请假")
	if away < 0 {
		t.Fatalf("no 请假 column: %q", rows[0])
	}
	for _, r := range rows[1:] {
		if r[0] != "3.4" {
			continue
		}
		if len(r) <= away || r[away] != "钱某某（请假至6月20日）" {
			t.Errorf("3.4 (钱某某's item) = %q, want 钱某某（请假至6月20日） under 请假", r)
		}
	}
	leaves := sheetRows(t, f, ledger.SheetLeaves)
	if len(leaves) != 2 || leaves[1][0] != "钱某某" || leaves[1][5] != "请假中" || leaves[1][6] != "聊天登记" || leaves[1][8] != "住院" {
		t.Errorf("请假记录 = %q", leaves)
	}
}
