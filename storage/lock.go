package storage

import (
	"errors"
	"fmt"
)

// ErrInstanceRunning: AcquireInstanceLock found the lock held by another
// planbot (or by this process, through another AcquireInstanceLock).
var ErrInstanceRunning = errors.New("another planbot is already running")

// instanceRunningError says who holds the lock.
type instanceRunningError struct {
	dbPath string
	pid    int // 0 when the holder has not written it (yet)
}

func (e *instanceRunningError) Error() string {
	pid := "pid unknown"
	if e.pid > 0 {
		pid = fmt.Sprintf("pid %d", e.pid)
	}
	return fmt.Sprintf("another planbot (%s) is already running on %s", pid, e.dbPath)
}

func (e *instanceRunningError) Is(target error) bool { return target == ErrInstanceRunning }

// LockPath is the file AcquireInstanceLock locks for the database at dbPath.
func LockPath(dbPath string) string { return dbPath + ".lock" }
