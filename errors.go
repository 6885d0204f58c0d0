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
)
