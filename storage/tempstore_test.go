//go:build cgo

package storage

import (
	"context"
	"testing"
)

// Every connection, the writer's and each reader's, keeps SQLite's
// temporary storage in memory: a savepoint's statement journal written to
// a temporary file cost every report a write of its pages (issue 15).
func TestTemporaryStorageInMemory(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	var mode int
	if err := db.write.GetContext(ctx, &mode, `PRAGMA temp_store`); err != nil || mode != 2 {
		t.Errorf("writer: temp_store = %d, %v; want 2 (memory)", mode, err)
	}
	// Hold one reader so that the next query opens another connection.
	conn, err := db.read.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []interface {
		GetContext(context.Context, any, string, ...any) error
	}{conn, db.read} {
		if err := q.GetContext(ctx, &mode, `PRAGMA temp_store`); err != nil || mode != 2 {
			t.Errorf("reader: temp_store = %d, %v; want 2 (memory)", mode, err)
		}
	}
}
