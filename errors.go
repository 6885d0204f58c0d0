package planbot

import "errors"

// Errors shared by every part, so that the chat can tell a user "that code
// is already used" without knowing which storage said so. Implementations
// wrap them; callers match with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrArchived = errors.New("archived")
	ErrInvalid  = errors.New("invalid")
	// ErrUnwritable: the store cannot take writes (disk full, read-only
	// file or a failing disk). Nothing was written; the same write may
	// succeed once the operator has made room, so callers hold on to what
	// they were writing and try again rather than give it up.
	ErrUnwritable = errors.New("the database cannot be written (disk full, read-only or failing disk)")
)
