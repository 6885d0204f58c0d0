package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestMigrateFreshThenReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var all []int
	for v := 1; v <= KnownSchemaVersion(); v++ {
		all = append(all, v)
	}
	if got := db.AppliedMigrations(); !slices.Equal(got, all) {
		t.Errorf("fresh database: applied %v, want %v", got, all)
	}
	var recorded []int
	if err := db.read.SelectContext(ctx, &recorded, `SELECT version FROM schema_migrations ORDER BY version`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recorded, all) {
		t.Errorf("schema_migrations holds %v, want %v", recorded, all)
	}
	before := dump(t, db)
	db.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.AppliedMigrations(); len(got) != 0 {
		t.Errorf("reopen applied %v, want nothing", got)
	}
	if after := dump(t, db); after != before {
		t.Errorf("reopening changed the database:\nbefore\n%s\nafter\n%s", before, after)
	}
}

func TestSchemaTooNew(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	future := KnownSchemaVersion() + 4
	if _, err := db.write.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, future); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(ctx, path)
	if err == nil {
		db.Close()
		t.Fatal("Open accepted a database from a newer planbot")
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("err = %v; want ErrSchemaTooNew", err)
	}
	want := fmt.Sprintf("database %s has schema version %d but this planbot knows up to %d: upgrade planbot",
		path, future, KnownSchemaVersion())
	if err.Error() != want {
		t.Errorf("message\n got %q\nwant %q", err, want)
	}
}

// Each migration runs in its own transaction: one that fails leaves the
// database at the previous version with none of its changes, and the error
// names the file.
func TestFailedMigrationRollsBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	good := fstest.MapFS{
		"0001_first.sql": {Data: []byte(`CREATE TABLE a (x INTEGER);`)},
	}
	bad := fstest.MapFS{
		"0001_first.sql":  good["0001_first.sql"],
		"0002_second.sql": {Data: []byte(`CREATE TABLE b (x INTEGER); INSERT INTO a VALUES (1); INSERT INTO nope VALUES (1);`)},
	}
	db, err := Open(ctx, path, withMigrations(bad))
	if err == nil {
		db.Close()
		t.Fatal("Open succeeded with a broken migration")
	}
	if !strings.Contains(err.Error(), "0002_second.sql") || !strings.Contains(err.Error(), "nope") {
		t.Errorf("error %q should name the migration and the problem", err)
	}
	db, err = Open(ctx, path, withMigrations(good))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.SchemaVersion(ctx); v != 1 {
		t.Errorf("schema version %d after the failed migration, want 1", v)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'`); n != 0 {
		t.Error("table b of the failed migration exists")
	}
	if n := count(t, db, `SELECT COUNT(*) FROM a`); n != 0 {
		t.Error("the failed migration's insert into a was kept")
	}
}

func TestLoadMigrationsRejectsBadSets(t *testing.T) {
	sql := &fstest.MapFile{Data: []byte(`SELECT 1;`)}
	for name, fsys := range map[string]fstest.MapFS{
		"gap":       {"0001_a.sql": sql, "0003_c.sql": sql},
		"duplicate": {"0001_a.sql": sql, "0001_b.sql": sql},
		"no first":  {"0002_b.sql": sql},
		"bad name":  {"0001_a.sql": sql, "2_b.sql": sql},
		"empty":     {},
	} {
		if _, err := loadMigrations(fsys); err == nil {
			t.Errorf("%s: loadMigrations accepted %v", name, fsys)
		}
	}
	if _, err := loadMigrations(embeddedMigrations()); err != nil {
		t.Errorf("embedded migrations: %v", err)
	}
}

// A database made by an older planbot gets only the migrations it lacks.
func TestMigrateUpgradesOlderDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	first, err := fs.ReadFile(embeddedMigrations(), "0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	old, err := Open(ctx, path, withMigrations(fstest.MapFS{"0001_init.sql": {Data: first}}))
	if err != nil {
		t.Fatal(err)
	}
	seedPlanAsOld(t, old, testPlan())
	// A report as planbot 1 wrote it (today's AddReport needs today's schema).
	if _, err := old.write.ExecContext(ctx, `
		INSERT INTO reports (item_id, reporter_id, reported_at, percent)
		SELECT i.id, p.id, ?, 10 FROM items i, people p WHERE i.code = '2.3' AND p.person_key = 'li'`,
		t0.Unix()); err != nil {
		t.Fatal(err)
	}
	old.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var want []int
	for v := 2; v <= KnownSchemaVersion(); v++ {
		want = append(want, v)
	}
	if got := db.AppliedMigrations(); !slices.Equal(got, want) {
		t.Errorf("applied %v, want %v", got, want)
	}
	if hist, err := db.ItemReports(ctx, "2.3"); err != nil || len(hist) != 1 {
		t.Errorf("reports after upgrade = %v, %v", hist, err)
	}
}
