//go:build unix

package storage

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// held keeps every locked file reachable until released: if a caller
// dropped the release function, the garbage collector would otherwise close
// the file, and with it the lock.
var held sync.Map // *os.File → struct{}

// dbFiles keeps open, for the life of the process, every descriptor
// LockDatabaseFile opened on a database file. Closing any
// descriptor of a file drops all the POSIX locks this process holds on it,
// SQLite's own among them, so these are unlocked but never closed.
var dbFiles sync.Map // *os.File → struct{}

// AcquireInstanceLock makes this process the only planbot on the database
// at dbPath, with flock(2) on the lock file beside the real database file
// (RealPath: symbolic links followed, so that a link to the database
// finds the same lock; created if needed, never removed); see also
// LockDatabaseFile, for hard links. It fails with ErrInstanceRunning,
// naming the holder's pid, while another process holds the lock, or this
// one does through an earlier call. The kernel
// releases the lock when the process ends, however it ends (even
// SIGKILL), so a crash never leaves a stale lock; a stale pid may stay in
// the file and means nothing. release unlocks; calling it more than once
// is harmless.
//
// The pid written into the lock file is for the operator: failing to
// write it (a full disk) does not fail the lock, which is the flock.
//
// Take it before RequeueInFlight and before polling Telegram: two
// instances would poll each other into 409 Conflicts and send every queued
// message twice. flock is advisory and may not work on network file
// systems (NFS): keep the database on a local disk.
func AcquireInstanceLock(dbPath string) (release func() error, err error) {
	if dbPath == "" {
		return nil, errors.New("instance lock: no database path given")
	}
	file, err := RealPath(dbPath)
	if err != nil {
		return nil, fmt.Errorf("instance lock: %w", err)
	}
	path := LockPath(file)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("instance lock: %w", err)
	}
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &instanceRunningError{dbPath: dbPath, pid: readPID(f)}
		}
		return nil, fmt.Errorf("instance lock %s: %w", path, err)
	}
	writePID(f) // best effort: see above
	held.Store(f, struct{}{})
	var once sync.Once
	return func() error {
		var err error
		once.Do(func() {
			// Empty the file while still holding the lock, then unlock by
			// closing it. The file stays: removing it would let two
			// processes lock two different files of the same name.
			errs := []error{f.Truncate(0), f.Close()}
			held.Delete(f)
			if err = errors.Join(errs...); err != nil {
				err = fmt.Errorf("release instance lock %s: %w", path, err)
			}
		})
		return err
	}, nil
}

// LockDatabaseFile flocks the database file at dbPath itself, which must
// exist, so that no other name of it (a hard link: another directory
// entry of the same file, with a lock file of its own) lets a second
// planbot in. It fails with ErrInstanceRunning while another process (or
// an earlier call) holds it. On Linux and the BSDs flock and SQLite's own
// fcntl locks are independent. release unlocks; calling it more than once
// is harmless.
func LockDatabaseFile(dbPath string) (release func() error, err error) {
	f, err := os.Open(dbPath)
	if err != nil {
		return nil, fmt.Errorf("instance lock: %w", err)
	}
	dbFiles.Store(f, struct{}{})
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &instanceRunningError{dbPath: dbPath}
		}
		return nil, fmt.Errorf("instance lock %s: %w", dbPath, err)
	}
	var once sync.Once
	return func() error {
		err := error(nil)
		once.Do(func() {
			if err = flock(f, syscall.LOCK_UN); err != nil {
				err = fmt.Errorf("release instance lock %s: %w", dbPath, err)
			}
		})
		return err
	}, nil
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}

func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		return err
	}
	return f.Sync()
}

// readPID reads the holder's pid; 0 if it has not written it yet.
func readPID(f *os.File) int {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 64))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
