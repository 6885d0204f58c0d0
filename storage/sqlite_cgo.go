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
