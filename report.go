package planbot

import "time"

// Report is one progress update on an item. Reports are immutable: a
// correction is a new report that supersedes an earlier one, and /undo is a
// report that withdraws one, so history and audit are never lost.
type Report struct {
	ID         int64
	ItemCode   string
	Reporter   string    // person key of who sent it
	OnBehalfOf string    // person key when someone reports for an owner; "" otherwise
	At         time.Time // when it was received
	// AsOf is the day the figures describe when the reporter says it is an
	// earlier day (a late report, "2.3 60% @3月15日"); nil for today.
	AsOf       *Date
	Percent    *float64 // 0–100; nil when the report carries no percentage
	Value      *Amount  // measured progress toward the item's target, if any
	Done       bool
	Note       string
	PhotoIDs   []string // evidence (佐证材料): platforms' references, see evidence.go
	ChatID     ChatID   // the chat the report came from; "" for one made otherwise
	MessageID  int      // the platform's number of that message; 0 if none
	Supersedes int64    // id of the report this one corrects or withdraws; 0 if none
	Withdrawn  bool     // this row withdraws Supersedes instead of correcting it
	// Words is what the reporter wrote about this item, as written: the
	// message without the item's code, or the part of a message on
	// several items that is about this one. Note is what the reader left
	// of it after taking out the figures ("累计接待客商" of "累计接待客商12批"),
	// so views show Words (see ReportWords). "" for reports made by
	// buttons and for rows stored before Words was kept.
	Words string
}

// Observation is one reported value of an indicator (e.g. 固定资产投资 累计3.2亿).
// Like reports, observations are immutable and corrected by superseding.
type Observation struct {
	ID        int64
	Indicator string    // indicator key
	At        time.Time // the moment the figure describes: a late figure's day
	// Received is when the bot received the figure, which the undo window
	// and /undo run from; zero (a figure no person sent) is At.
	Received   time.Time
	Value      Amount
	Reporter   string
	Note       string
	Supersedes int64
	Withdrawn  bool
}

// Effective returns the reports that still count, oldest first: those not
// superseded by a later correction or withdrawal, and not withdrawals
// themselves. reports must be ordered by ID.
func Effective(reports []Report) []Report {
	var sup supersededSet
	sup.fill(reports)
	out := make([]Report, 0, len(reports))
	for i := range reports {
		if reports[i].Withdrawn || sup.has(reports[i].ID) {
			continue
		}
		out = append(out, reports[i])
	}
	return out
}

// supersededSet is the IDs that some report of a history supersedes
// (corrects or withdraws). Corrections are rare: a history has a handful,
// kept in a small array without allocating; only a long list of them
// builds a map.
type supersededSet struct {
	ids [16]int64
	n   int
	m   map[int64]bool
}

// fill sets s to the IDs that reports supersede.
func (s *supersededSet) fill(reports []Report) {
	*s = supersededSet{}
	for i := range reports {
		s.add(reports[i].Supersedes)
	}
}

// add adds id; 0 (supersedes nothing) is not added.
func (s *supersededSet) add(id int64) {
	switch {
	case id == 0:
	case s.m != nil:
		s.m[id] = true
	case s.n < len(s.ids):
		s.ids[s.n] = id
		s.n++
	default:
		s.m = make(map[int64]bool, 2*s.n)
		for _, x := range s.ids {
			s.m[x] = true
		}
		s.m[id] = true
	}
}

func (s *supersededSet) has(id int64) bool {
	if s.m != nil {
		return s.m[id]
	}
	for _, x := range s.ids[:s.n] {
		if x == id {
			return true
		}
	}
	return false
}

// SyncReport says what loading the YAML into the database changed.
type SyncReport struct {
	Added    []string // "item 2.3", "person zhang_wei" …
	Updated  []string
	Archived []string
	Restored []string
}

// Changed reports whether anything was written.
func (s SyncReport) Changed() bool {
	return len(s.Added)+len(s.Updated)+len(s.Archived)+len(s.Restored) > 0
}

// Pending is a question the bot asked and is waiting for an answer to: a
// keyboard offering several items, or a step of a walk-through. Buttons
// refer to it by ID, since a button carries at most MaxButtonData bytes.
type Pending struct {
	ID        int64
	ChatID    ChatID
	UserID    UserID
	Kind      string
	Payload   string // JSON of the kind's state
	CreatedAt time.Time
}

// AuditEntry records what an unknown or refused user tried: nothing else of
// theirs is stored.
type AuditEntry struct {
	At     time.Time
	UserID UserID
	ChatID ChatID
	Action string
	Detail string
}
