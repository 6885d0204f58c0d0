package storage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"planbot"
)

func TestSyncPlanAddsEverything(t *testing.T) {
	db := openTest(t)
	rep := mustSync(t, db, testPlan(), t0)
	want := []string{
		"person zhang", "person zhao", "person li", "person wang",
		"section 1", "section 2",
		"item 1.1", "item 2.3", "item 2.4",
		"indicator fai", "indicator tax",
	}
	if !slices.Equal(rep.Added, want) || len(rep.Updated)+len(rep.Archived)+len(rep.Restored) != 0 {
		t.Fatalf("report = %+v\nwant Added %v only", rep, want)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM item_owners`); n != 4 {
		t.Errorf("%d item owners, want 4", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM item_milestones`); n != 2 {
		t.Errorf("%d milestones, want 2", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM indicator_aliases`); n != 2 {
		t.Errorf("%d aliases, want 2", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM people p
		WHERE NOT EXISTS (SELECT 1 FROM person_accounts a WHERE a.person_id = p.id)`); n != 1 {
		t.Errorf("%d people without an account, want 1 (wang)", n)
	}
}

// Reloading an unchanged plan writes nothing at all: same rows, same
// updated_at, and not one row touched.
func TestSyncPlanIdempotent(t *testing.T) {
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	before, changes := dump(t, db), totalChanges(t, db)

	rep := mustSync(t, db, testPlan(), t0.Add(time.Hour))
	if rep.Changed() {
		t.Errorf("second sync reported changes: %+v", rep)
	}
	if after := dump(t, db); after != before {
		t.Errorf("second sync changed rows:\nbefore\n%s\nafter\n%s", before, after)
	}
	if n := totalChanges(t, db) - changes; n != 0 {
		t.Errorf("second sync wrote %d rows", n)
	}
}

// An item removed from the plan is archived with its reports, can no longer
// take reports, and comes back with its whole history when re-added.
func TestSyncPlanArchiveAndRestoreItem(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	plan := testPlan()
	mustSync(t, db, plan, t0)
	r1 := mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(30.0)})

	without := testPlan()
	without.Items = slices.DeleteFunc(without.Items, func(it planbot.Item) bool { return it.Code == "2.3" })
	rep := mustSync(t, db, without, t0.Add(24*time.Hour))
	if !slices.Equal(rep.Archived, []string{"item 2.3"}) || len(rep.Added)+len(rep.Updated)+len(rep.Restored) != 0 {
		t.Fatalf("report = %+v; want only item 2.3 archived", rep)
	}
	archived, err := db.ArchivedItems(ctx)
	if err != nil || !slices.Equal(archived, []string{"2.3"}) {
		t.Fatalf("ArchivedItems = %v, %v; want [2.3]", archived, err)
	}
	hist, err := db.ItemReports(ctx, "2.3")
	if err != nil || len(hist) != 1 || hist[0].ID != r1.ID {
		t.Fatalf("history of the archived item = %v, %v; want report %d", hist, err, r1.ID)
	}
	_, err = db.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0.Add(25 * time.Hour), Percent: ptr(40.0)})
	if !errors.Is(err, ErrArchived) {
		t.Errorf("report on an archived item: err = %v; want ErrArchived", err)
	}
	// The owners and milestones of the archived item are kept for history.
	if n := count(t, db, `SELECT COUNT(*) FROM item_owners o JOIN items i ON i.id = o.item_id WHERE i.code = '2.3'`); n != 2 {
		t.Errorf("archived item has %d owners, want 2", n)
	}

	rep = mustSync(t, db, plan, t0.Add(48*time.Hour))
	if !slices.Equal(rep.Restored, []string{"item 2.3"}) || len(rep.Added)+len(rep.Updated)+len(rep.Archived) != 0 {
		t.Fatalf("report = %+v; want only item 2.3 restored", rep)
	}
	if archived, _ := db.ArchivedItems(ctx); len(archived) != 0 {
		t.Errorf("ArchivedItems after restore = %v", archived)
	}
	r2 := mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0.Add(49 * time.Hour), Percent: ptr(50.0)})
	hist, _ = db.ItemReports(ctx, "2.3")
	if len(hist) != 2 || hist[0].ID != r1.ID || hist[1].ID != r2.ID {
		t.Errorf("history after restore = %v; want reports %d and %d", hist, r1.ID, r2.ID)
	}
}

// A renamed item (same code, new title, dates, target) keeps its id and so
// its reports.
func TestSyncPlanUpdateItemInPlace(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	r := mustAddReport(t, db, planbot.Report{ItemCode: "2.3", Reporter: "wang", At: t0, Percent: ptr(10.0)})
	var id int64
	if err := db.read.GetContext(ctx, &id, `SELECT id FROM items WHERE code = '2.3'`); err != nil {
		t.Fatal(err)
	}

	plan := testPlan()
	it := &plan.Items[1]
	it.Title = "投放蟹苗30万只"
	it.Due = date("2024-11-30")
	it.Target = &planbot.Amount{Value: 300000 * 10000, Unit: "只"}
	it.Milestones = []planbot.Milestone{{Date: date("2024-05-31"), Percent: 30}}
	rep := mustSync(t, db, plan, t0.Add(time.Hour))
	if !slices.Equal(rep.Updated, []string{"item 2.3"}) || len(rep.Added)+len(rep.Archived)+len(rep.Restored) != 0 {
		t.Fatalf("report = %+v; want only item 2.3 updated", rep)
	}
	var row struct {
		ID        int64  `db:"id"`
		Title     string `db:"title"`
		Due       string `db:"due_date"`
		Target    int64  `db:"target_value"`
		UpdatedAt int64  `db:"updated_at"`
		CreatedAt int64  `db:"created_at"`
	}
	if err := db.read.GetContext(ctx, &row, `SELECT id, title, due_date, target_value, updated_at, created_at FROM items WHERE code = '2.3'`); err != nil {
		t.Fatal(err)
	}
	if row.ID != id || row.Title != "投放蟹苗30万只" || row.Due != "2024-11-30" || row.Target != 300000*10000 {
		t.Errorf("item after update = %+v (id was %d)", row, id)
	}
	if row.CreatedAt != t0.Unix() || row.UpdatedAt != t0.Add(time.Hour).Unix() {
		t.Errorf("created_at/updated_at = %d/%d, want %d/%d", row.CreatedAt, row.UpdatedAt, t0.Unix(), t0.Add(time.Hour).Unix())
	}
	var ms []string
	if err := db.read.SelectContext(ctx, &ms, `SELECT due_date FROM item_milestones WHERE item_id = ?`, id); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ms, []string{"2024-05-31"}) {
		t.Errorf("milestones = %v", ms)
	}
	hist, err := db.ItemReports(ctx, "2.3")
	if err != nil || len(hist) != 1 || hist[0].ID != r.ID {
		t.Errorf("history after rename = %v, %v", hist, err)
	}
	// The other items were not touched.
	if n := count(t, db, `SELECT COUNT(*) FROM items WHERE updated_at <> created_at`); n != 1 {
		t.Errorf("%d items have updated_at bumped, want 1", n)
	}
	// Milestone order in YAML does not matter.
	plan.Items[1].Milestones = append(plan.Items[1].Milestones, planbot.Milestone{Date: date("2024-04-30"), Percent: 10})
	mustSync(t, db, plan, t0.Add(2*time.Hour))
	slices.Reverse(plan.Items[1].Milestones)
	if rep := mustSync(t, db, plan, t0.Add(3*time.Hour)); rep.Changed() {
		t.Errorf("reordering milestones reported %+v", rep)
	}
}

func TestSyncPlanOwnersChanged(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	owners := func() []string {
		var keys []string
		if err := db.read.SelectContext(ctx, &keys, `
			SELECT p.person_key FROM item_owners o
			JOIN items i ON i.id = o.item_id JOIN people p ON p.id = o.person_id
			WHERE i.code = '2.3' ORDER BY o.position`); err != nil {
			t.Fatal(err)
		}
		return keys
	}
	if got := owners(); !slices.Equal(got, []string{"li", "wang"}) {
		t.Fatalf("owners = %v", got)
	}
	plan := testPlan()
	plan.Items[1].Owners = []string{"wang", "zhao"}
	rep := mustSync(t, db, plan, t0.Add(time.Hour))
	if !slices.Equal(rep.Updated, []string{"item 2.3"}) {
		t.Errorf("report = %+v", rep)
	}
	if got := owners(); !slices.Equal(got, []string{"wang", "zhao"}) {
		t.Errorf("owners after change = %v", got)
	}
}

func TestSyncPlanPersonArchivedAndRestored(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	mustAddReport(t, db, planbot.Report{ItemCode: "2.4", Reporter: "wang", At: t0, Percent: ptr(5.0)})

	// wang leaves: her items go to li.
	plan := testPlan()
	plan.People = plan.People[:3]
	plan.Items[1].Owners = []string{"li"}
	plan.Items[2].Owners = []string{"li"}
	rep := mustSync(t, db, plan, t0.Add(time.Hour))
	if !slices.Equal(rep.Archived, []string{"person wang"}) {
		t.Errorf("Archived = %v, want [person wang]", rep.Archived)
	}
	if !slices.Equal(rep.Updated, []string{"item 2.3", "item 2.4"}) {
		t.Errorf("Updated = %v", rep.Updated)
	}
	// Her reports still name her.
	hist, err := db.ItemReports(ctx, "2.4")
	if err != nil || len(hist) != 1 || hist[0].Reporter != "wang" {
		t.Errorf("history = %v, %v", hist, err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM people WHERE person_key = 'wang' AND archived_at = ?`, t0.Add(time.Hour).Unix()); n != 1 {
		t.Error("wang is not archived at the time of the sync")
	}

	rep = mustSync(t, db, testPlan(), t0.Add(2*time.Hour))
	if !slices.Equal(rep.Restored, []string{"person wang"}) {
		t.Errorf("Restored = %v", rep.Restored)
	}
}

func TestSyncPlanSectionAndIndicatorChanges(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	plan := testPlan()
	plan.Sections[0].Leader = "zhao"
	plan.Indicators[0].Aliases = []string{"固投"}
	plan.Indicators[1].LastYear = nil
	plan.Indicators = append(plan.Indicators, planbot.Indicator{Key: "export", Name: "外贸出口额",
		Target: planbot.Amount{Value: 1, Unit: "元"}, Accumulate: planbot.AccumulateYTD})
	rep := mustSync(t, db, plan, t0.Add(time.Hour))
	if !slices.Equal(rep.Updated, []string{"section 1", "indicator fai", "indicator tax"}) ||
		!slices.Equal(rep.Added, []string{"indicator export"}) {
		t.Errorf("report = %+v", rep)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM indicators WHERE indicator_key = 'tax' AND last_year_value IS NULL`); n != 1 {
		t.Error("tax last year not cleared")
	}
	var aliases []string
	if err := db.read.SelectContext(ctx, &aliases, `SELECT alias FROM indicator_aliases ORDER BY alias`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(aliases, []string{"固投"}) {
		t.Errorf("aliases = %v", aliases)
	}
	if rep := mustSync(t, db, plan, t0.Add(2*time.Hour)); rep.Changed() {
		t.Errorf("re-sync reported %+v", rep)
	}
}

// A plan that fails half-way leaves the database as it was.
func TestSyncPlanAllOrNothing(t *testing.T) {
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	before := dump(t, db)
	plan := testPlan()
	plan.People[0].Name = "张新书记"                      // would be updated first …
	plan.Items[2].Owners = []string{"wang", "nobody"} // … then this fails
	_, err := db.SyncPlan(context.Background(), plan, t0.Add(time.Hour))
	if err == nil {
		t.Fatal("SyncPlan accepted an owner who is not in the plan")
	}
	if !strings.Contains(err.Error(), "item 2.4") || !strings.Contains(err.Error(), "nobody") {
		t.Errorf("error %q should name the item and the owner", err)
	}
	if after := dump(t, db); after != before {
		t.Error("a failed sync changed the database")
	}
}

// A plan of another year is refused once the database holds reports:
// next year's "2.3" must not inherit this year's. Before any report the
// year may change (an admin fixing a typo in year:).
func TestSyncPlanRefusesAnotherYear(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	plan := testPlan()
	mustSync(t, db, plan, t0)
	next := testPlan()
	next.Year = plan.Year + 1
	if _, err := db.SyncPlan(ctx, next, t0); err != nil {
		t.Fatalf("a new year before any report: %v", err)
	}
	mustSync(t, db, plan, t0) // and back
	if _, err := db.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Done: true}); err != nil {
		t.Fatal(err)
	}
	_, err := db.SyncPlan(ctx, next, t0)
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "这个数据库记录的是 2024 年的计划（已有 1 条汇报），不能装入 2025 年的计划") ||
		!strings.Contains(err.Error(), "database: planbot-2025.db") {
		t.Fatalf("a plan of 2025 over 2024's reports: %v", err)
	}
	if _, err := db.SyncPlan(ctx, plan, t0); err != nil {
		t.Errorf("the same year again: %v", err)
	}
}

// A database from before the plan year was kept has its year read off its
// items' due dates: a new year's plan is refused over its reports too.
func TestSyncPlanYearOfAnOlderDatabase(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	plan := testPlan()
	mustSync(t, db, plan, t0)
	if _, err := db.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: ptr(50.0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, `DELETE FROM bot_state WHERE name = ?`, planYearKey); err != nil {
		t.Fatal(err)
	}
	next := testPlan()
	next.Year = plan.Year + 1
	if _, err := db.SyncPlan(ctx, next, t0); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "这个数据库记录的是 2024 年的计划") {
		t.Errorf("a 2025 plan over an older 2024 database: %v", err)
	}
	if _, err := db.SyncPlan(ctx, plan, t0); err != nil {
		t.Errorf("the same year: %v", err)
	}
}
