package planbot

import "time"

// Leave is a span a person is away (请假): from From to To, both days
// included. While away a person gets no reminders or nudges; their items
// stay on their leader's ladder, marked 请假, so nothing is dropped.
type Leave struct {
	Person string // person key
	From   Date
	To     Date
	// Source says where the leave was given: LeaveFromYAML (the plan's
	// `leave:`) or LeaveFromChat (the person said 请假到…).
	Source string
	Note   string
	// At is when a chat leave was given (zero for YAML).
	At time.Time
}

// Where a Leave was given.
const (
	LeaveFromYAML = "yaml"
	LeaveFromChat = "chat"
)

// Covers reports whether d falls in the leave.
func (l Leave) Covers(d Date) bool { return !d.Before(l.From) && !l.To.Before(d) }

// OnLeave returns the leave of person that covers d, if any; of several,
// the one that ends last.
func OnLeave(leaves []Leave, person string, d Date) (Leave, bool) {
	var found Leave
	ok := false
	for _, l := range leaves {
		if l.Person == person && l.Covers(d) && (!ok || found.To.Before(l.To)) {
			found, ok = l, true
		}
	}
	return found, ok
}
