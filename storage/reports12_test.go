package storage

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"planbot"
)

// TestReportWordsColumn: migration 0011 keeps the words a cadre wrote
// about an item (reports.words). A database of schema 0010 upgrades with
// its old rows read as "" (shown as figure plus note); a new report's
// words come back from every read (ItemReports, AllReports, LastReportBy,
// ReportFromMessage) as stored; and, reports being append-only, the words
// of a stored report cannot be changed.
func TestReportWordsColumn(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	old, err := Open(ctx, path, withMigrations(migrationsUpTo(t, 10)))
	if err != nil {
		t.Fatal(err)
	}
	seedPlanAsOld(t, old, testPlan())
	// A report as schema 0010 stored it (today's AddReport writes words).
	if _, err := old.write.ExecContext(ctx, `
		INSERT INTO reports (item_id, reporter_id, reported_at, value, value_unit, note)
		SELECT i.id, p.id, ?, 120000, '只', '累计接待客商' FROM items i, people p WHERE i.code = '2.3' AND p.person_key = 'li'`,
		t0.Unix()); err != nil {
		t.Fatal(err)
	}
	old.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	said := "累计接待客商12批 <b>，其中外省3批"
	r := mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0.Add(time.Hour),
		Value: &planbot.Amount{Value: planbot.DecimalFromInt(12), Unit: "只"}, Note: "累计接待客商 ，其中外省批", Words: said, ChatID: tgChat(2001), MessageID: 77})

	hist, err := db.ItemReports(ctx, "2.3")
	if err != nil || len(hist) != 2 {
		t.Fatalf("ItemReports = %v, %v", hist, err)
	}
	if hist[0].Words != "" {
		t.Errorf("the row from schema 0010 reads words %q, want \"\"", hist[0].Words)
	}
	if got := planbot.ReportWords(hist[0], 40); got != "12只，累计接待客商" {
		t.Errorf("the old row is shown as %q, want its figure and note", got)
	}
	if hist[1].Words != said {
		t.Errorf("ItemReports: words %q, want %q", hist[1].Words, said)
	}
	all, err := db.AllReports(ctx)
	if err != nil || len(all["2.3"]) != 2 || all["2.3"][1].Words != said {
		t.Errorf("AllReports: %+v, %v", all["2.3"], err)
	}
	if last, ok, err := db.LastReportBy(ctx, "li"); err != nil || !ok || last.Words != said {
		t.Errorf("LastReportBy: %q %v %v", last.Words, ok, err)
	}
	if m, ok, err := db.ReportFromMessage(ctx, tgChat(2001), 77); err != nil || !ok || m.Words != said {
		t.Errorf("ReportFromMessage: %q %v %v", m.Words, ok, err)
	}
	var stored string
	if err := db.read.GetContext(ctx, &stored, `SELECT words FROM reports WHERE id = ?`, r.ID); err != nil || stored != said {
		t.Errorf("the words column holds %q, %v", stored, err)
	}
	if _, err := db.write.ExecContext(ctx, `UPDATE reports SET words = 'x' WHERE id = ?`, r.ID); err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Errorf("changing a report's words: err = %v, want immutable", err)
	}
}

func two(v int) string {
	if v < 10 {
		return "0" + itoa(int64(v))
	}
	return itoa(int64(v))
}
