//go:build cgo

package storage

import (
	"database/sql"
	"errors"

	"github.com/mattn/go-sqlite3"
)

const cgoEnabled = true

// driverName is go-sqlite3 with each connection's temporary storage in
// memory. A getUpdates batch gives each update a savepoint, and SQLite
// keeps a savepoint's statement journal, like the temporary tables of a
// UNION or an IN (subquery), in a temporary file by default: every report
// then wrote its pages to that file (pwrite, issue 15). In memory they cost
// nothing but the pages, and a transaction's statement journal is freed at
// its end.
const driverName = "sqlite3_planbot"

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			_, err := c.Exec("PRAGMA temp_store = MEMORY", nil)
			return err
		},
	})
}

// isBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED.
func isBusy(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}

// isUnwritable reports whether err says the file cannot be written: disk
// full (SQLITE_FULL, or SQLITE_IOERR with EFBIG when a file size limit is
// reached), a read-only file or directory, or an I/O error.
func isUnwritable(err error) bool {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code {
	case sqlite3.ErrFull, sqlite3.ErrIoErr, sqlite3.ErrReadonly, sqlite3.ErrCantOpen:
		return true
	}
	return false
}
