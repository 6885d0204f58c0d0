// Package planbot is the domain of a township's annual work plan: the plan
// (sections, items, owners, deadlines), the key indicators, the people who
// report on them, and the rules that derive an item's status and an
// indicator's standing at a given moment.
//
// It depends on the standard library only and names no chat platform:
// people, chats and messages are addressed as "platform:id" (chat.go), and
// each platform's adapter converts at the edge. Storage, the chat bot, the
// scheduler, delivery and the adapters depend on it; none of them is
// imported here. What one database
// transaction may read and write (Tx, tx.go) is declared here: storage
// implements it, bot and scheduler take it.
package planbot

import (
	"fmt"
	"slices"
	"time"
)

// Role is what a person may do. A person may hold several.
type Role string

const (
	RoleAdmin  Role = "admin"  // 党政办: edits YAML, reloads, exports
	RoleLeader Role = "leader" // 镇领导/分管领导: reads digests, asks anything
	RoleCadre  Role = "cadre"  // 村干部/包村干部: owns items, reports progress
)

// Roles lists every valid role, in the order they are shown.
var Roles = []Role{RoleAdmin, RoleLeader, RoleCadre}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Person is someone the bot knows. Accounts are the person's accounts on
// the chat platforms, as the YAML gives them (a binding by invite code adds
// one in the database): by the platform's id, never a user name, since user
// names are reassigned.
type Person struct {
	Key      string
	Name     string
	Accounts []UserID // none when not yet known
	Roles    []Role
	Unit     string // village or office, e.g. "XX村" or "党政办"
	// Principal marks the principal leaders (党委书记、镇长) who receive the
	// last step of escalation.
	Principal bool
	// Invite is a one-time code the person sends as "/start CODE" to bind
	// their account when the admin does not know its id.
	// Prefer is the platform their reminders go to when they have accounts
	// on several; "" lets the one they used last decide (ReminderChat).
	Prefer string
	Invite string
}

// Account returns p's account on platform, if the YAML gives one.
func (p Person) Account(platform string) (UserID, bool) {
	for _, a := range p.Accounts {
		if a.Platform() == platform {
			return a, true
		}
	}
	return "", false
}

// HasAccount reports whether u is one of p's accounts.
func (p Person) HasAccount(u UserID) bool { return u != "" && slices.Contains(p.Accounts, u) }

// Chat is p's private chat on their first account: where their reminders
// go unless a binding says otherwise; "" when no account is known.
func (p Person) Chat() ChatID {
	if len(p.Accounts) == 0 {
		return ""
	}
	return p.Accounts[0].Chat()
}

// Has reports whether p holds role r.
func (p Person) Has(r Role) bool { return slices.Contains(p.Roles, r) }

// Section is one heading of the plan, e.g. "（二）谋发展、求突破".
type Section struct {
	Code   string
	Title  string
	Leader string // person key of the leader in charge (分管领导)
}

// Milestone is a checkpoint inside an item: by Date, Percent should be done.
type Milestone struct {
	Date    Date
	Percent float64
}

// Item is one concrete task of the plan.
type Item struct {
	Code        string // stable identity, e.g. "2.3"; history is keyed by it
	Section     string // section code
	Title       string
	Description string
	Owners      []string // person keys
	Leader      string   // person key; defaults to the section's leader
	Start       Date
	Due         Date
	Target      *Amount // optional measurable target, e.g. 200000 只
	Milestones  []Milestone
	// Unit is the village or office the item belongs to (a Person.Unit):
	// with Rules.UnitReports its cadres may report on it too.
	Unit string
	// Tally is how its reports add up. Shared (the zero value) keeps one
	// running figure; an item several villages each do their own part of
	// is TallyPerOwner, or the last village to report would hide the
	// others' figures.
	Tally Tally
}

// Accumulation says how an indicator's reported values combine over a year.
type Accumulation string

const (
	// AccumulateYTD: each reported value is the year-to-date running total
	// (固定资产投资累计完成), so completion is judged against time elapsed.
	AccumulateYTD Accumulation = "ytd"
	// AccumulateLevel: each value is a level at that moment (a stock, a rate),
	// judged against the target without pro-rating by time.
	AccumulateLevel Accumulation = "level"
)

// Indicator is a key figure of the year (固定资产投资, 工商税收 …).
type Indicator struct {
	Key        string
	Name       string
	Aliases    []string
	Unit       string // display unit, e.g. "亿元"
	Target     Amount // annual target
	LastYear   *Amount
	Accumulate Accumulation
}

// Rules are the tolerances that turn numbers into a status.
type Rules struct {
	// Tolerance is how many percentage points an item may lag its linear or
	// milestone expectation before it is at risk.
	Tolerance float64
	// SilentDays is how long an open item may go without a report.
	SilentDays int
	// IndicatorTolerance is how many percentage points an indicator's
	// completion may trail the share of the year elapsed before it is behind.
	IndicatorTolerance float64
	// UnitReports lets a cadre report on the items of their own unit
	// (Item.Unit = Person.Unit) besides their own, recorded as on behalf of
	// the item's first owner: a village's 文书 reporting for its 书记.
	UnitReports bool
}

// DefaultRules are used where the configuration is silent.
var DefaultRules = Rules{Tolerance: 10, SilentDays: 14, IndicatorTolerance: 5}

// Plan is everything an admin describes in YAML, after validation.
type Plan struct {
	Year       int
	Location   *time.Location
	Rules      Rules
	People     []Person
	Sections   []Section
	Items      []Item
	Indicators []Indicator
	Reminders  []Reminder
	Limits     ReminderLimits
	Calendar   Calendar
	// Leaves are the spans people are away, as the YAML gives them
	// (`leave:`); those said in chat are in the database.
	Leaves []Leave
}

// ReminderLimits keep reminders from becoming nagging.
type ReminderLimits struct {
	// PerPersonPerDay caps the reminder messages one chat gets in a day
	// (digests excepted); 0 means no cap.
	PerPersonPerDay int
	// QuietFrom and QuietTo bound the quiet hours, in minutes after
	// midnight (21:00–08:00 is 1260 and 480); a reminder due then waits for
	// QuietTo. Equal values mean no quiet hours.
	QuietFrom, QuietTo int
	// CatchUpWindow: a run missed while the process was down is made up on
	// start if it is at most this old; older ones are recorded as skipped.
	CatchUpWindow time.Duration
}

// DefaultLimits are used where the configuration is silent.
var DefaultLimits = ReminderLimits{PerPersonPerDay: 3, QuietFrom: 21 * 60, QuietTo: 8 * 60, CatchUpWindow: 6 * time.Hour}

// Quiet reports whether t (in the plan's zone) falls in the quiet hours,
// and if so when they end.
func (l ReminderLimits) Quiet(t time.Time) (bool, time.Time) {
	if l.QuietFrom == l.QuietTo {
		return false, time.Time{}
	}
	m := t.Hour()*60 + t.Minute()
	in := (l.QuietFrom < l.QuietTo && m >= l.QuietFrom && m < l.QuietTo) ||
		(l.QuietFrom > l.QuietTo && (m >= l.QuietFrom || m < l.QuietTo))
	if !in {
		return false, time.Time{}
	}
	end := time.Date(t.Year(), t.Month(), t.Day(), l.QuietTo/60, l.QuietTo%60, 0, 0, t.Location())
	if !end.After(t) {
		end = end.AddDate(0, 0, 1)
	}
	return true, end
}

// Person returns the person with key, if any.
func (p *Plan) Person(key string) (Person, bool) {
	for _, x := range p.People {
		if x.Key == key {
			return x, true
		}
	}
	return Person{}, false
}

// Section returns the section with code, if any.
func (p *Plan) Section(code string) (Section, bool) {
	for _, x := range p.Sections {
		if x.Code == code {
			return x, true
		}
	}
	return Section{}, false
}

// Item returns the item with code, if any.
func (p *Plan) Item(code string) (Item, bool) {
	for _, x := range p.Items {
		if x.Code == code {
			return x, true
		}
	}
	return Item{}, false
}

// Calendar overrides the statutory holiday table: extra days off and
// make-up workdays (调休).
type Calendar struct {
	Holidays []Date
	Workdays []Date
}

// ReminderKind is what a reminder job does.
type ReminderKind string

const (
	ReminderOverdue       ReminderKind = "overdue"
	ReminderDueSoon       ReminderKind = "due_soon"
	ReminderEscalate      ReminderKind = "escalate"
	ReminderReportRequest ReminderKind = "report_request"
	ReminderDigest        ReminderKind = "digest"
)

// ReminderKinds lists every valid kind.
var ReminderKinds = []ReminderKind{ReminderOverdue, ReminderDueSoon, ReminderEscalate, ReminderReportRequest, ReminderDigest}

// Valid reports whether k is one of ReminderKinds.
func (k ReminderKind) Valid() bool { return slices.Contains(ReminderKinds, k) }

// Reminder is a scheduled job. Recipients are "owners" (each item's owners),
// "leader" (each item's leader in charge), "role:ROLE", a person key, or
// "chat:ADDRESS" for a group chat (a ChatID).
type Reminder struct {
	Name         string
	Kind         ReminderKind
	Cron         string // 5 fields: minute hour day-of-month month day-of-week
	To           []string
	WorkdaysOnly bool
	// WithinDays is the horizon of due_soon and the 蓝 step of escalate.
	WithinDays int
	// LeaderAfterDays: escalate to the leader in charge once overdue this long.
	LeaderAfterDays int
	// PrincipalAfterDays: escalate to principal leaders once overdue this long.
	PrincipalAfterDays int
	// Since is the weekday from which report_request looks for a report.
	Since time.Weekday
}

// Date is a calendar day without a time zone; the plan's location turns it
// into an instant.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD and rejects days that do not exist.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date; expected YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// DateOf is the calendar day of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Start is midnight at the beginning of d in loc.
func (d Date) Start(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// End is midnight at the end of d in loc: a task due on d is on time until then.
func (d Date) End(loc *time.Location) time.Time { return d.AddDays(1).Start(loc) }

// AddDays returns d shifted by n days.
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC))
}

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(int(d.Month), int(e.Month))
	default:
		return cmpInt(d.Day, e.Day)
	}
}

// DaysUntil is the number of calendar days from d to e (negative if e is earlier).
func (d Date) DaysUntil(e Date) int {
	a := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)
	b := time.Date(e.Year, e.Month, e.Day, 12, 0, 0, 0, time.UTC)
	return int(b.Sub(a).Hours() / 24)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
