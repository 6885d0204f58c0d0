package storage

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

func embeddedMigrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

type migration struct {
	version int
	name    string
	sql     string
}

var migrationName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// loadMigrations reads NNNN_name.sql files from fsys and checks that the
// versions run 1, 2, 3 … without gaps or duplicates.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var migs []migration
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name must look like 0001_description.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		migs = append(migs, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].version < migs[j].version })
	for i, m := range migs {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %04d next (versions must run 1, 2, 3 … without gaps or duplicates)", m.name, i+1)
		}
	}
	if len(migs) == 0 {
		return nil, errors.New("no migrations")
	}
	return migs, nil
}

// KnownSchemaVersion is the newest schema version this binary can migrate to.
func KnownSchemaVersion() int {
	migs, err := loadMigrations(embeddedMigrations())
	if err != nil {
		panic(err) // TestEmbeddedMigrations keeps the embedded set valid
	}
	return len(migs)
}

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at INTEGER NOT NULL
)`

// migrate applies the migrations the database lacks, each in its own write
// transaction, and returns their versions. The first transaction also
// creates schema_migrations and refuses a database newer than migs.
func (db *DB) migrate(ctx context.Context, migs []migration) ([]int, error) {
	known := len(migs)
	// Up to date, as nearly always: a read tells, and a read waits for no
	// writer (a backup or status next to a busy bot takes no write lock).
	if v, err := schemaVersion(ctx, db.write); err == nil && v >= known {
		if v > known {
			return nil, &schemaTooNewError{path: db.path, version: v, known: known}
		}
		return nil, nil
	}
	var current int
	err := db.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, createSchemaMigrations); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		v, err := schemaVersion(ctx, tx)
		current = v
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open database %s: read schema version: %w", db.path, err)
	}
	if current > known {
		return nil, &schemaTooNewError{path: db.path, version: current, known: known}
	}
	var applied []int
	for _, m := range migs[current:] {
		err := db.inTx(ctx, func(tx *txn) error {
			// Another process may have migrated between our transactions.
			var n int
			if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM schema_migrations WHERE version >= ?`, m.version); err != nil {
				return err
			}
			if n > 0 {
				return errAlreadyApplied
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
				m.version, time.Now().Unix())
			return err
		})
		if errors.Is(err, errAlreadyApplied) {
			continue
		}
		if err != nil {
			return applied, fmt.Errorf("open database %s: apply migration %s: %w", db.path, m.name, err)
		}
		applied = append(applied, m.version)
	}
	return applied, nil
}

var errAlreadyApplied = errors.New("already applied")

func schemaVersion(ctx context.Context, q sqlx.QueryerContext) (int, error) {
	var v int
	err := sqlx.GetContext(ctx, q, &v, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`)
	return v, err
}

// SchemaVersion is the newest migration applied to the database.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	v, err := schemaVersion(ctx, db.read)
	if err != nil {
		return 0, fmt.Errorf("read schema version of %s: %w", db.path, classify(err))
	}
	return v, nil
}

type schemaTooNewError struct {
	path           string
	version, known int
}

func (e *schemaTooNewError) Error() string {
	return fmt.Sprintf("database %s has schema version %d but this planbot knows up to %d: upgrade planbot",
		e.path, e.version, e.known)
}

func (e *schemaTooNewError) Is(target error) bool { return target == ErrSchemaTooNew }
