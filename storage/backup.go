package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Backup writes a copy of the whole database to path, a file that must not
// exist yet, while planbot may be running and writing: SQLite's VACUUM INTO
// reads one snapshot (a read transaction, which blocks no writer) and
// writes it compacted, as a single file with no -wal beside it. Copying
// the live file with cp instead can catch a half-written page or miss
// what is still in the WAL.
func (db *DB) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("back up %s: %w", db.path, errorf(ErrConflict, "%s already exists: choose a new file name (a backup never overwrites)", path))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("back up %s: %w", db.path, err)
	}
	if _, err := db.write.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		os.Remove(path) // a partial copy is no backup
		return fmt.Errorf("back up %s to %s: %w", db.path, path, classify(err))
	}
	return nil
}
