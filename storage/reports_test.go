package storage

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"planbot"
)

func TestAddReportRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)

	full := planbot.Report{
		ItemCode:   "2.3",
		Reporter:   "zhao",
		OnBehalfOf: "li",
		At:         t0.Add(1500 * time.Millisecond), // sub-second part is dropped
		Percent:    ptr(0.0),                        // 0% is not "no percentage"
		Value:      &planbot.Amount{Value: 80000 * 10000, Unit: "只"},
		Done:       false,
		Note:       "已与XX酒店签约 <b>",
		PhotoIDs:   []string{"telegram:AgACAgUAAxkBAAI", planbot.DocumentEvidence("telegram:BQACAgUAAxkBAAJ")},
		ChatID:     tgChat(-1001234567890),
		MessageID:  4242,
	}
	bare := planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0.Add(time.Hour), Done: true}

	got1 := mustAddReport(t, db, full)
	got2 := mustAddReport(t, db, bare)
	if got1.ID == 0 || got2.ID <= got1.ID {
		t.Fatalf("IDs %d, %d; want increasing and non-zero", got1.ID, got2.ID)
	}
	if !got1.At.Equal(t0.Add(time.Second)) || got1.At.Location() != time.UTC {
		t.Errorf("At = %v; want %v in UTC", got1.At, t0.Add(time.Second))
	}
	hist, err := db.ItemReports(ctx, "2.3")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 {
		t.Fatalf("history has %d reports, want 2", len(hist))
	}
	if !reflect.DeepEqual(hist[0], got1) {
		t.Errorf("read back\n %+v\nwant\n %+v", hist[0], got1)
	}
	if !reflect.DeepEqual(hist[1], got2) {
		t.Errorf("read back\n %+v\nwant\n %+v", hist[1], got2)
	}
	if hist[1].Percent != nil || hist[1].Value != nil || hist[1].PhotoIDs != nil {
		t.Errorf("a bare report came back with %v %v %v", hist[1].Percent, hist[1].Value, hist[1].PhotoIDs)
	}
	if *hist[0].Percent != 0 || hist[0].Value.Value != 80000*10000 || hist[0].Value.Unit != "只" {
		t.Errorf("percent/value = %v/%v", *hist[0].Percent, *hist[0].Value)
	}
}

// A correction supersedes, a withdrawal withdraws, history keeps it all in
// order, and planbot.Effective sees only what still counts.
func TestReportCorrectionAndWithdrawal(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)

	r1 := mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(60.0), Note: "进度60%"})
	r2 := mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0.Add(time.Minute), Percent: ptr(6.0),
		Supersedes: r1.ID, Note: "更正：6%"})
	other := mustAddReport(t, db, planbot.Report{ItemCode: "1.1", Reporter: "li", At: t0, Percent: ptr(20.0)})

	hist, _ := db.ItemReports(ctx, "2.3")
	if eff := planbot.Effective(hist); len(eff) != 1 || eff[0].ID != r2.ID || *eff[0].Percent != 6 {
		t.Fatalf("effective after correction = %+v; want only report %d at 6%%", eff, r2.ID)
	}

	// Correcting r1 again would fork the history: correct r2 instead.
	_, err := db.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0.Add(2 * time.Minute),
		Percent: ptr(7.0), Supersedes: r1.ID})
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "already corrected by report") {
		t.Errorf("second correction of the same report: err = %v; want ErrConflict", err)
	}

	w := mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0.Add(3 * time.Minute),
		Supersedes: r2.ID, Withdrawn: true})
	hist, _ = db.ItemReports(ctx, "2.3")
	var ids []int64
	for _, r := range hist {
		ids = append(ids, r.ID)
	}
	if !reflect.DeepEqual(ids, []int64{r1.ID, r2.ID, w.ID}) {
		t.Errorf("history ids = %v; want %v", ids, []int64{r1.ID, r2.ID, w.ID})
	}
	if eff := planbot.Effective(hist); len(eff) != 0 {
		t.Errorf("effective after withdrawal = %+v; want none", eff)
	}
	if !hist[2].Withdrawn || hist[2].Supersedes != r2.ID {
		t.Errorf("withdrawal read back as %+v", hist[2])
	}

	// A withdrawal cannot itself be corrected or withdrawn.
	_, err = db.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0.Add(4 * time.Minute),
		Supersedes: w.ID, Withdrawn: true})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("withdrawing a withdrawal: err = %v; want ErrInvalid", err)
	}
	// r2 is already withdrawn.
	_, err = db.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0.Add(4 * time.Minute),
		Percent: ptr(8.0), Supersedes: r2.ID})
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "withdrawn") {
		t.Errorf("correcting a withdrawn report: err = %v; want ErrConflict saying withdrawn", err)
	}
	// A correction must be about the same item.
	_, err = db.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0.Add(4 * time.Minute),
		Percent: ptr(8.0), Supersedes: other.ID})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "is not about item 2.3") {
		t.Errorf("correcting another item's report: err = %v; want ErrInvalid", err)
	}
}

func TestAddReportErrors(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	ok := planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(10.0)}
	for _, tc := range []struct {
		name string
		edit func(*planbot.Report)
		is   error
		want string
	}{
		{"unknown item", func(r *planbot.Report) { r.ItemCode = "9.9" }, ErrNotFound, "add report for item 9.9: item 9.9 not found"},
		{"unknown reporter", func(r *planbot.Report) { r.Reporter = "nobody" }, ErrNotFound, "person nobody not found"},
		{"unknown on behalf", func(r *planbot.Report) { r.OnBehalfOf = "nobody" }, ErrNotFound, "person nobody not found"},
		{"no reporter", func(r *planbot.Report) { r.Reporter = "" }, ErrInvalid, "no reporter"},
		{"no time", func(r *planbot.Report) { r.At = time.Time{} }, ErrInvalid, "no time"},
		{"percent over 100", func(r *planbot.Report) { r.Percent = ptr(120.0) }, ErrInvalid, "120"},
		{"percent negative", func(r *planbot.Report) { r.Percent = ptr(-1.0) }, ErrInvalid, "-1"},
		{"withdraw nothing", func(r *planbot.Report) { r.Withdrawn = true }, ErrInvalid, "must name the report"},
		{"supersede missing", func(r *planbot.Report) { r.Supersedes = 999 }, ErrNotFound, "report 999 not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			_, err := db.AddReport(ctx, r)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v; want %v saying %q", err, tc.is, tc.want)
			}
		})
	}
	if n := count(t, db, `SELECT COUNT(*) FROM reports`); n != 0 {
		t.Errorf("%d reports stored by failed calls", n)
	}
}

// The database itself refuses to change or delete a report, and enforces
// foreign keys.
func TestSchemaEnforcesRules(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	r := mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(10.0)})
	other := mustAddReport(t, db, planbot.Report{ItemCode: "1.1", Reporter: "li", At: t0, Percent: ptr(10.0)})

	for _, tc := range []struct{ name, sql, want string }{
		{"update a report", `UPDATE reports SET percent = 99 WHERE id = ` + itoa(r.ID), "immutable"},
		{"delete a report", `DELETE FROM reports WHERE id = ` + itoa(r.ID), "immutable"},
		{"owner who is nobody", `INSERT INTO item_owners (item_id, person_id, position) VALUES ((SELECT id FROM items WHERE code = '2.3'), 999, 9)`, "FOREIGN KEY"},
		{"report on no item", `INSERT INTO reports (item_id, reporter_id, reported_at) VALUES (999, 1, 0)`, "FOREIGN KEY"},
		{"correction across items", `INSERT INTO reports (item_id, reporter_id, reported_at, supersedes)
			VALUES ((SELECT id FROM items WHERE code = '2.3'), 1, 0, ` + itoa(other.ID) + `)`, "FOREIGN KEY"},
		{"delete an item with reports", `DELETE FROM items WHERE code = '2.3'`, "FOREIGN KEY"},
		{"two corrections of one report", `INSERT INTO reports (item_id, reporter_id, reported_at, supersedes)
			SELECT item_id, reporter_id, 0, ` + itoa(r.ID) + ` FROM reports WHERE id = ` + itoa(r.ID) + `
			UNION ALL SELECT item_id, reporter_id, 1, ` + itoa(r.ID) + ` FROM reports WHERE id = ` + itoa(r.ID), "UNIQUE"},
		{"job message without its run", `INSERT INTO outbox (chat_id, text, job, scheduled_at, next_attempt_at, created_at)
			VALUES (1, 'x', 'digest', 0, 0, 0)`, "FOREIGN KEY"},
	} {
		_, err := db.write.ExecContext(ctx, tc.sql)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v; want %s", tc.name, err, tc.want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestAllReports(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	a := mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(10.0)})
	b := mustAddReport(t, db, planbot.Report{ItemCode: "1.1", Reporter: "li", At: t0, Percent: ptr(50.0)})
	c := mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "wang", At: t0.Add(time.Hour), Percent: ptr(20.0)})
	all, err := db.AllReports(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("AllReports has %d items, want 2 (2.4 has no reports): %v", len(all), all)
	}
	if got := all["2.3"]; len(got) != 2 || got[0].ID != a.ID || got[1].ID != c.ID || got[1].Reporter != "wang" {
		t.Errorf("2.3 = %+v", got)
	}
	if got := all["1.1"]; len(got) != 1 || !reflect.DeepEqual(got[0], b) {
		t.Errorf("1.1 = %+v; want %+v", got, b)
	}
	if _, err := db.ItemReports(ctx, "9.9"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ItemReports(9.9) err = %v; want ErrNotFound", err)
	}
	if hist, err := db.ItemReports(ctx, "2.4"); err != nil || len(hist) != 0 {
		t.Errorf("ItemReports(2.4) = %v, %v; want empty", hist, err)
	}
}
