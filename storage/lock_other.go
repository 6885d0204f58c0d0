//go:build !unix

package storage

import (
	"errors"
	"fmt"
	"runtime"
)

// AcquireInstanceLock would make this process the only planbot on the
// database at dbPath; it needs flock(2), which this system lacks, so it
// always fails with an error matching errors.ErrUnsupported.
func AcquireInstanceLock(dbPath string) (release func() error, err error) {
	return nil, fmt.Errorf("instance lock on %s: not supported on %s (needs flock(2); run planbot on Linux or another Unix): %w",
		dbPath, runtime.GOOS, errors.ErrUnsupported)
}

// LockDatabaseFile would flock the database file itself; see
// AcquireInstanceLock.
func LockDatabaseFile(dbPath string) (release func() error, err error) {
	return AcquireInstanceLock(dbPath)
}
