package storage

import (
	"errors"
	"fmt"

	"planbot"
)

// Errors callers can match with errors.Is. The messages of the errors that
// wrap them say what failed and for which item, report or path.
var (
	// ErrSchemaTooNew: the database was migrated by a newer planbot.
	ErrSchemaTooNew = errors.New("database schema is newer than this planbot")
	// ErrLocked: another process (or another DB opened on the same file)
	// held the write lock for longer than the busy timeout. It matches
	// ErrUnwritable too: like a full disk it is an outage to be waited
	// out (a backup tool, a sqlite3 shell), never the write's own fault.
	ErrLocked = errors.New("database is locked by another process")
	// ErrVanished: the database file was deleted, moved or replaced while
	// this DB had it open. SQLite would go on writing into the deleted
	// file, which nobody will ever open again, so writes are refused
	// instead. It matches ErrUnwritable: held, never dropped.
	ErrVanished = errors.New("the database file was deleted or replaced while planbot had it open")
	// ErrNoCGO: this binary was built with CGO_ENABLED=0; go-sqlite3 needs cgo.
	ErrNoCGO = errors.New("this planbot was built without cgo (CGO_ENABLED=0) but SQLite needs it: rebuild with CGO_ENABLED=1 and a C compiler")

	// The rule errors are the root package's, so that callers that must not
	// import storage (the chat handlers) match them with errors.Is too.

	// ErrNotFound: no item, person, indicator, report or job run with that key.
	ErrNotFound = planbot.ErrNotFound
	// ErrArchived: the item, indicator or person was removed from the plan;
	// its history is kept but it takes no new reports.
	ErrArchived = planbot.ErrArchived
	// ErrInvalid: the record breaks a rule (a correction of another item's
	// report, a withdrawal that withdraws nothing, a percentage over 100 …).
	ErrInvalid = planbot.ErrInvalid
	// ErrConflict: the change collides with one already made (a report
	// already corrected, a job run already finished, an invite already
	// spent).
	ErrConflict = planbot.ErrConflict
	// ErrUnwritable: the disk is full, the file read-only or failing.
	// Nothing of the transaction was written; it may succeed once the
	// operator made room.
	ErrUnwritable = planbot.ErrUnwritable
)

// lockedError marks a SQLITE_BUSY from the driver as ErrLocked while keeping
// the driver's error in the chain.
type lockedError struct{ err error }

func (e *lockedError) Error() string {
	return "database is locked by another process or connection (is another planbot running?): " + e.err.Error()
}

func (e *lockedError) Unwrap() error { return e.err }

func (e *lockedError) Is(target error) bool { return target == ErrLocked || target == ErrUnwritable }

// Locked tells the chat side, which must not import storage, that this
// outage is another program's lock rather than the disk.
func (e *lockedError) Locked() bool { return true }

// vanishedError says which file vanished and where the data planbot still
// held was saved, if it could be.
type vanishedError struct {
	path    string
	rescued string // "" when no copy could be written
	err     error  // why not
}

func (e *vanishedError) Error() string {
	msg := fmt.Sprintf("the database file %s was deleted or replaced while planbot was serving it (writes there would be lost)", e.path)
	if e.rescued != "" {
		return msg + fmt.Sprintf("; what planbot held is saved in %s: stop planbot, move that file (or your latest backup) to %s, then start planbot again", e.rescued, e.path)
	}
	if e.err != nil {
		msg += fmt.Sprintf("; saving a copy of what planbot held failed (%v)", e.err)
	}
	return msg + fmt.Sprintf(": stop planbot, restore your latest backup to %s, then start planbot again", e.path)
}

func (e *vanishedError) Is(target error) bool {
	return target == ErrVanished || target == ErrUnwritable
}

// Vanished tells the chat side that the outage ends only with a restart.
func (e *vanishedError) Vanished() bool { return true }

// classify wraps a driver's "database is locked" so that errors.Is(err,
// ErrLocked) holds, and its "disk full", "read-only" and I/O errors so that
// errors.Is(err, ErrUnwritable) does; other errors are returned unchanged.
func classify(err error) error {
	if err == nil || errors.Is(err, ErrLocked) {
		return err
	}
	if isBusy(err) {
		return &lockedError{err}
	}
	if isUnwritable(err) && !errors.Is(err, ErrUnwritable) {
		return &unwritableError{err}
	}
	return err
}

// unwritableError marks a driver error that means the disk is full or the
// file cannot be written as ErrUnwritable, keeping the driver's error (it
// tells which: "database or disk is full", "file too large", "attempt to
// write a readonly database").
type unwritableError struct{ err error }

func (e *unwritableError) Error() string {
	return "the database cannot be written (disk full, read-only or failing disk): " + e.err.Error()
}

func (e *unwritableError) Unwrap() error { return e.err }

func (e *unwritableError) Is(target error) bool { return target == ErrUnwritable }

// ruleError is an error whose message is written for the user and which
// matches one of the sentinels above.
type ruleError struct {
	kind error
	msg  string
}

func (e *ruleError) Error() string { return e.msg }

func (e *ruleError) Is(target error) bool { return target == e.kind }

// errorf makes an error matching kind (ErrNotFound, ErrInvalid …) with a
// message of its own.
func errorf(kind error, format string, args ...any) error {
	return &ruleError{kind: kind, msg: fmt.Sprintf(format, args...)}
}
