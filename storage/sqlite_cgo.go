//go:build cgo

package storage

import (
	"errors"

	"github.com/mattn/go-sqlite3"
)

const cgoEnabled = true

// isBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED.
func isBusy(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}
