//go:build !cgo

package storage

// go-sqlite3 compiles without cgo but every Open fails at run time; Open
// checks cgoEnabled first and returns ErrNoCGO instead of the driver's stub
// error.

import _ "github.com/mattn/go-sqlite3"

const cgoEnabled = false

const driverName = "sqlite3"

func isBusy(error) bool { return false }

func isUnwritable(error) bool { return false }
