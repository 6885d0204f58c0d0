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
	PhotoIDs   []string // Telegram file ids kept as evidence (佐证材料)
	ChatID     int64
	MessageID  int
	Supersedes int64 // id of the report this one corrects or withdraws; 0 if none
	Withdrawn  bool  // this row withdraws Supersedes instead of correcting it
}

// Observation is one reported value of an indicator (e.g. 固定资产投资 累计3.2亿).
// Like reports, observations are immutable and corrected by superseding.
type Observation struct {
	ID         int64
	Indicator  string // indicator key
	At         time.Time
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
	// Corrections are rare: most histories build no map at all.
	var replaced map[int64]bool
	for i := range reports {
		if s := reports[i].Supersedes; s != 0 {
			if replaced == nil {
				replaced = make(map[int64]bool)
			}
			replaced[s] = true
		}
	}
	out := make([]Report, 0, len(reports))
	for i := range reports {
		if reports[i].Withdrawn || replaced[reports[i].ID] {
			continue
		}
		out = append(out, reports[i])
	}
	return out
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
// refer to it by ID, since Telegram allows only 64 bytes of callback data.
type Pending struct {
	ID        int64
	ChatID    int64
	UserID    int64
	Kind      string
	Payload   string // JSON of the kind's state
	CreatedAt time.Time
}

// AuditEntry records what an unknown or refused user tried: nothing else of
// theirs is stored.
type AuditEntry struct {
	At         time.Time
	TelegramID int64
	ChatID     int64
	Action     string
	Detail     string
}
