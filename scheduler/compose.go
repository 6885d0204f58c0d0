package scheduler

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"planbot"
)

// ListMax caps the items (or people) a reminder lists, worst first, after
// its counts: a township's lists whole, a county's cut to fit a phone, with
// "另有 N 项" and the command that lists the rest. At county scale a list
// of every item ran to four messages.
const ListMax = 15

// MaxButtons caps a reminder's buttons: more buttons than this push
// the message off a phone's screen.
const MaxButtons = 8

// Snapshot is everything a job reads, taken in the job's transaction.
type Snapshot struct {
	Plan *planbot.Plan
	// Reports maps item code to the part of the item's history, ordered
	// by ID, that the job's statuses derive from and that it counts:
	// planbot.Needed with historyNeed. The whole history derives the same.
	Reports map[string][]planbot.Report
	// Latest maps indicator key to its latest effective observation in the
	// plan year up to the job's scheduled time.
	Latest map[string]planbot.Observation
	// ChatOf maps person key to the one private chat the person's
	// reminders go to (planbot.ReminderChat): of their accounts in the
	// YAML and the one bound by invite, that on the platform they prefer,
	// else the one they wrote from last, else the first. Missing or "":
	// unreachable.
	ChatOf map[string]planbot.ChatID
	// ChatsOf maps person key to every private chat of theirs, ChatOf's
	// among them: a person on two platforms is still one person to the
	// daily cap, to a held run's release and to the failure notice, on
	// whichever of them a message went.
	ChatsOf map[string][]planbot.ChatID
	// Failed are the deliveries given up since the previous digest (403
	// blocked and the like); only admins are told about them.
	Failed []planbot.OutboxMessage
	// PreviousDigest is when this digest job last ran (zero if never): the
	// digest says what changed since then.
	PreviousDigest time.Time
	// Leaves are who is away (请假), from the YAML and from chat: they get
	// no reminders, and their items are marked 请假 on the ladder.
	Leaves []planbot.Leave
}

// Compose returns the messages reminder r sends when run for its scheduled
// time at, and the keys of the people who should have received one but have
// no chat (sorted, each once), for the caller to log. It reads nothing but s
// and at: no clock, no I/O.
//
// Every message is HTML (user text escaped), at planbot.PriorityReminder,
// one per recipient however long: the store's Enqueue splits a text longer
// than its chat's platform takes. Job and ScheduledAt are left empty: the
// store's RunJob stamps them on the run it claims. Each recipient gets one
// message per run however many items concern them, and recipients are
// deduplicated by chat, so a person reached as owner, as leader and
// through a role gets one message covering all of it.
//
// Recipients (r.To): "owners" are the owners of the items concerned;
// "leader" their leaders in charge (分管领导); "role:ROLE" every person
// holding ROLE, "KEY" that person and "chat:ADDRESS" the chat of that
// planbot.ChatID (a group, "chat:telegram:-100123", or a group robot's,
// "chat:wecomhook:leaders"), each of
// whom gets every item concerned, with the owners named. An empty To is
// "owners" for overdue, due_soon and report_request, and "role:leader" for
// digest. Buttons "r:CODE" (at most MaxButtons) are offered only for items
// the recipient owns; groups get no buttons.
//
// Kinds:
//
//   - overdue: items whose status is overdue, most overdue first, with days
//     overdue and the date of the last report.
//   - due_soon: items not done and not overdue whose due date is 0 to
//     r.WithinDays calendar days after at's day (due today counts).
//   - escalate: the ladder. 🔵 blue: due within r.WithinDays, or overdue
//     fewer than r.LeaderAfterDays days → the owners. 🟡 yellow: at risk,
//     never reported and behind pace by Rules.Tolerance (no_report, marked
//     未汇报), or overdue at least r.LeaderAfterDays days → also the item's
//     leader. 🔴
//     red: overdue at least r.PrincipalAfterDays days → also every Principal
//     person. The ladder is the kind itself: owners, leaders and principals
//     are reached whatever To says; "owners" and "leader" in To add nothing,
//     and any other entry (role:, a key, chat:) receives the red list.
//     Levels are derived each run, so an item reported done drops out.
//   - report_request: an owner is nudged when they own open items (started,
//     not done) and have not reported on any of them since 00:00 of the
//     latest r.Since weekday strictly before at's day — a run on the Since
//     weekday itself looks back a whole week, not to its own midnight. A
//     report counts for its Reporter and its OnBehalfOf; withdrawals do
//     not; corrections do. Recipients other than the owners get the list of
//     owners who have not reported.
//   - digest: Digest to each recipient; AdminDigest (with the delivery
//     failures) to recipients who are admins. When s.Failed is not empty
//     and no admin is among the recipients, every admin with a chat gets
//     FailureNotice alone, so failures are never dropped.
//
// Every list shows its counts, then the worst ListMax, then "另有 N 项，
// 发送 /… 查看": one message per recipient at any scale. A person on leave
// (s.Leaves, planbot.OnLeave on at's day) gets nothing; an item all of
// whose owners are away reaches its leader on any step, and owners on
// leave are named "（请假至12月15日）".
//
// Statuses are derived at at from the whole history: a report stamped
// after at (a run caught up after downtime) counts, so nobody is reminded of
// what they have already reported.
func Compose(r planbot.Reminder, s Snapshot, at time.Time) (msgs []planbot.OutboxMessage, unreachable []string) {
	if s.Plan == nil {
		return nil, nil
	}
	j := newJob(s, at)
	b := newBook(j)
	switch r.Kind {
	case planbot.ReminderOverdue:
		j.composeList(b, r, kindOverdue)
	case planbot.ReminderDueSoon:
		j.composeList(b, r, kindDueSoon)
	case planbot.ReminderEscalate:
		j.composeEscalate(b, r)
	case planbot.ReminderReportRequest:
		j.composeReportRequest(b, r)
	case planbot.ReminderDigest:
		j.composeDigest(b, r)
	}
	return b.msgs, b.missing()
}

// job is one run's view of the plan: every item's status at at.
type job struct {
	s      Snapshot
	plan   *planbot.Plan
	loc    *time.Location
	at     time.Time
	today  planbot.Date
	views  []planbot.ItemView // plan order
	people map[string]planbot.Person
}

func newJob(s Snapshot, at time.Time) *job {
	p := s.Plan
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	at = at.In(loc)
	j := &job{s: s, plan: p, loc: loc, at: at, today: planbot.DateOf(at), people: make(map[string]planbot.Person, len(p.People))}
	j.views = make([]planbot.ItemView, len(p.Items))
	for i, it := range p.Items {
		j.views[i] = planbot.ItemView{Item: it, Status: planbot.DeriveStatus(it, s.Reports[it.Code], at, loc, p.Rules)}
	}
	for _, x := range p.People {
		j.people[x.Key] = x
	}
	return j
}

func (j *job) name(key string) string {
	if p, ok := j.people[key]; ok && p.Name != "" {
		return planbot.ClipLine(p.Name, 12)
	}
	return planbot.ClipLine(key, 12)
}

// names lists people by name, escaped.
func (j *job) names(keys []string) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = planbot.Escape(j.name(k))
	}
	return strings.Join(out, "、")
}

// onLeave is the leave person key is on today, if any.
func (j *job) onLeave(key string) (planbot.Leave, bool) {
	return planbot.OnLeave(j.s.Leaves, key, j.today)
}

// leaveMark is "（请假至12月15日）" for a person on leave today, else "".
func (j *job) leaveMark(key string) string {
	l, ok := j.onLeave(key)
	if !ok {
		return ""
	}
	return "（请假至" + day(l.To, j.plan.Year) + "）"
}

// ownerNames lists an item's owners by name, escaped, each on leave marked
// so: the leader reading it knows why nobody answers.
func (j *job) ownerNames(keys []string) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = planbot.Escape(j.name(k)) + j.leaveMark(k)
	}
	return strings.Join(out, "、")
}

// allAway reports whether every owner of it is on leave today.
func (j *job) allAway(it planbot.Item) bool {
	if len(it.Owners) == 0 {
		return false
	}
	for _, o := range it.Owners {
		if _, ok := j.onLeave(o); !ok {
			return false
		}
	}
	return true
}

// untouched reports whether nobody has ever reported on v and it is behind
// its expected progress by the plan's tolerance (overdue included): the
// items a supervision bot exists to chase. Their status stays no_report,
// the truth about a 0% nobody gave; this says they are behind all the same.
func (j *job) untouched(v planbot.ItemView) bool {
	return v.Status.Last == nil && j.started(v.Item) && v.Status.BehindPace(j.plan.Rules)
}

// gap is how many percentage points v trails its expected progress.
func gap(v planbot.ItemView) float64 { return max(v.Status.Expected-v.Status.Percent, 0) }

// more is the line that ends a list cut at ListMax: how many are left and
// the command that lists them; /mine when the reader owns all of them.
func (j *job) more(a *audience, rest []planbot.ItemView, cmd string) string {
	if len(rest) == 0 {
		return ""
	}
	mine := a.person != ""
	for _, v := range rest {
		mine = mine && a.owns(v.Item.Code)
	}
	if mine {
		cmd = "/mine"
	}
	return fmt.Sprintf("另有 %d 项，发送 %s 查看\n", len(rest), cmd)
}

// dueOf is the item's effective due date, as DeriveStatus reads it.
func dueOf(it planbot.Item) (planbot.Date, bool) {
	switch {
	case !it.Due.IsZero():
		return it.Due, true
	case !it.Start.IsZero():
		return planbot.Date{Year: it.Start.Year, Month: time.December, Day: 31}, true
	}
	return planbot.Date{}, false
}

// started reports whether the item's start has come; an item without dates
// has always started.
func (j *job) started(it planbot.Item) bool {
	s := it.Start
	if s.IsZero() {
		if it.Due.IsZero() {
			return true
		}
		s = planbot.Date{Year: it.Due.Year, Month: time.January, Day: 1}
	}
	return !j.at.Before(s.Start(j.loc))
}

// open: started and not done.
func (j *job) open(v planbot.ItemView) bool {
	return v.Status.Status != planbot.StatusDone && j.started(v.Item)
}

// daysLeft is the number of calendar days from today to the item's due day,
// false when the item has no due date.
func (j *job) daysLeft(it planbot.Item) (int, bool) {
	d, ok := dueOf(it)
	if !ok {
		return 0, false
	}
	return j.today.DaysUntil(d), true
}

// sinceWeekday is 00:00 in the plan's zone of the latest wd strictly before
// at's calendar day: on a Thursday with wd Monday, this week's Monday; on a
// Monday, the Monday a week earlier.
func (j *job) sinceWeekday(wd time.Weekday) time.Time { return weekdayBefore(j.at, j.loc, wd) }

// weekdayBefore is sinceWeekday of a job at at, for what a snapshot reads
// before there is a job.
func weekdayBefore(at time.Time, loc *time.Location, wd time.Weekday) time.Time {
	at = at.In(loc)
	off := (int(at.Weekday()) - int(wd) + 7) % 7
	if off == 0 {
		off = 7
	}
	return planbot.DateOf(at).AddDays(-off).Start(loc)
}

// reportedSince returns, for each person, whether they reported on one of
// the items they own among views since t: as Reporter or as OnBehalfOf.
func (j *job) reportedSince(views []planbot.ItemView, t time.Time) map[string]bool {
	out := map[string]bool{}
	for _, v := range views {
		rs := j.s.Reports[v.Item.Code]
		for i := len(rs) - 1; i >= 0; i-- {
			r := &rs[i]
			if r.Withdrawn || r.At.Before(t) {
				continue
			}
			for _, who := range [2]string{r.Reporter, r.OnBehalfOf} {
				if who != "" && slices.Contains(v.Item.Owners, who) {
					out[who] = true
				}
			}
		}
	}
	return out
}

// audience is one chat's share of a run.
type audience struct {
	chat   planbot.ChatID
	person string           // "" for a chat: recipient
	items  map[string]share // item code → how it concerns the recipient
}

// share says how an item reached a recipient: as one of its owners, and/or
// through an entry that oversees it (leader, role, key, chat, principal).
type share struct{ own, watch bool }

// owns reports whether a's reader owns item code.
func (a *audience) owns(code string) bool { return a.items[code].own }

// book collects recipients, one audience per chat.
type book struct {
	j           *job
	byChat      map[planbot.ChatID]*audience
	order       []*audience
	unreachable map[string]bool
	msgs        []planbot.OutboxMessage
	// away are the people left out because they are on leave (请假).
	away map[string]bool
}

func newBook(j *job) *book {
	return &book{j: j, byChat: map[planbot.ChatID]*audience{}, unreachable: map[string]bool{}, away: map[string]bool{}}
}

func (b *book) get(chat planbot.ChatID, person string) *audience {
	a, ok := b.byChat[chat]
	if !ok {
		a = &audience{chat: chat, person: person, items: map[string]share{}}
		b.byChat[chat] = a
		b.order = append(b.order, a)
	} else if a.person == "" {
		a.person = person
	}
	return a
}

// person adds item code (none when "") to person key's message. A person
// on leave gets nothing at all, whatever reached them: a reminder, a nudge,
// a digest; their items reach the leader instead (see composeEscalate).
func (b *book) person(key, code string, own, watch bool) {
	if _, away := b.j.onLeave(key); away {
		b.away[key] = true
		return
	}
	id := b.j.s.ChatOf[key]
	if id == "" {
		b.unreachable[key] = true
		return
	}
	b.get(id, key).add(code, own, watch)
}

func (a *audience) add(code string, own, watch bool) {
	if code == "" {
		return
	}
	sh := a.items[code]
	a.items[code] = share{own: sh.own || own, watch: sh.watch || watch}
}

// chat adds item code (none when "") to a chat: recipient's message; the
// entry is "chat:" and the chat's address, as config writes it.
func (b *book) chat(entry, code string) {
	id := planbot.ChatID(strings.TrimPrefix(entry, "chat:"))
	if id.Platform() == "" || id.Local() == "" {
		return // no address a platform can deliver to; config writes none
	}
	b.get(id, "").add(code, false, true)
}

// to applies one To entry to item v.
func (b *book) to(entry string, v planbot.ItemView) {
	it := v.Item
	code := it.Code
	owns := func(key string) bool { return slices.Contains(it.Owners, key) }
	switch {
	case entry == "owners":
		for _, o := range it.Owners {
			b.person(o, code, true, false)
		}
	case entry == "leader":
		if it.Leader != "" {
			b.person(it.Leader, code, owns(it.Leader), true)
		}
	case strings.HasPrefix(entry, "role:"):
		role := planbot.Role(strings.TrimPrefix(entry, "role:"))
		for _, p := range b.j.plan.People {
			if p.Has(role) {
				b.person(p.Key, code, owns(p.Key), true)
			}
		}
	case strings.HasPrefix(entry, "chat:"):
		b.chat(entry, code)
	case entry != "":
		b.person(entry, code, owns(entry), true)
	}
}

func (b *book) missing() []string {
	if len(b.unreachable) == 0 {
		return nil
	}
	out := make([]string, 0, len(b.unreachable))
	for k := range b.unreachable {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// send queues text to a, with buttons one to a row (their labels are item
// titles, too long to share one).
func (b *book) send(a *audience, text string, buttons []planbot.Button) {
	m := planbot.OutboxMessage{ChatID: a.chat, Text: text, Priority: planbot.PriorityReminder}
	if len(buttons) > 0 {
		m.Buttons = planbot.Column(buttons)
	}
	b.msgs = append(b.msgs, m)
}

// split returns a's items as views in the order given, own ones and the
// others.
func (j *job) split(a *audience, views []planbot.ItemView) (all []planbot.ItemView, own int) {
	for _, v := range views {
		if sh, ok := a.items[v.Item.Code]; ok {
			all = append(all, v)
			if sh.own {
				own++
			}
		}
	}
	return all, own
}

type listKind int

const (
	kindOverdue listKind = iota
	kindDueSoon
)

// composeList builds overdue and due_soon: the relevant items, addressed
// per To, one list per chat.
func (j *job) composeList(b *book, r planbot.Reminder, kind listKind) {
	var rel []planbot.ItemView
	for _, v := range j.views {
		st := v.Status.Status
		switch kind {
		case kindOverdue:
			if st == planbot.StatusOverdue {
				rel = append(rel, v)
			}
		case kindDueSoon:
			if st == planbot.StatusDone || st == planbot.StatusOverdue {
				continue
			}
			if d, ok := j.daysLeft(v.Item); ok && d >= 0 && d <= r.WithinDays {
				rel = append(rel, v)
			}
		}
	}
	if kind == kindOverdue {
		planbot.ByUrgency(rel)
	} else {
		slices.SortStableFunc(rel, func(a, b planbot.ItemView) int {
			da, _ := dueOf(a.Item)
			db, _ := dueOf(b.Item)
			return cmp.Or(da.Compare(db), cmp.Compare(a.Item.Code, b.Item.Code))
		})
	}
	to := r.To
	if len(to) == 0 {
		to = []string{"owners"}
	}
	for _, v := range rel {
		for _, e := range to {
			b.to(e, v)
		}
	}
	for _, a := range b.order {
		items, own := j.split(a, rel)
		if len(items) == 0 {
			continue
		}
		var sb strings.Builder
		var what string
		if kind == kindOverdue {
			fmt.Fprintf(&sb, "<b>⏰ 逾期提醒</b>（%s）\n", j.dayWeek(j.today))
			what = "已逾期"
		} else {
			fmt.Fprintf(&sb, "<b>📅 到期提醒</b>（%s）\n", j.dayWeek(j.today))
			what = fmt.Sprintf("%d 天内到期", r.WithinDays)
			if r.WithinDays == 0 {
				what = "今天到期"
			}
		}
		sb.WriteString(j.greeting(a, own == len(items), len(items), what))
		sb.WriteString("\n")
		shown, rest := items[:min(len(items), ListMax)], items[min(len(items), ListMax):]
		for _, v := range shown {
			sb.WriteString(j.itemLines(v, kind, !a.owns(v.Item.Code)))
		}
		cmd := "/overdue"
		if kind == kindDueSoon {
			cmd = "/plan"
		}
		sb.WriteString(j.more(a, rest, cmd))
		btn := j.buttons(a, shown)
		sb.WriteString(j.howToReport(a, shown, len(btn) > 0))
		b.send(a, sb.String(), btn)
	}
}

// greeting is the line that says whose list this is.
func (j *job) greeting(a *audience, allOwn bool, n int, what string) string {
	switch {
	case a.person == "":
		return fmt.Sprintf("以下 %d 项工作%s：\n", n, what)
	case allOwn:
		return fmt.Sprintf("%s，您负责的 %d 项工作%s：\n", planbot.Escape(j.name(a.person)), n, what)
	}
	return fmt.Sprintf("%s，以下 %d 项工作%s：\n", planbot.Escape(j.name(a.person)), n, what)
}

// itemLines is one item of a reminder: mark, code, title, then how late or
// how close, progress, owners when the reader is not one, and the last
// report.
func (j *job) itemLines(v planbot.ItemView, kind listKind, withOwners bool) string {
	st := v.Status
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s <b>%s</b> %s\n　", st.Status.Mark(), planbot.Escape(v.Item.Code), planbot.Escape(planbot.ClipLine(v.Item.Title, 24)))
	switch {
	case st.Status == planbot.StatusOverdue:
		fmt.Fprintf(&sb, "逾期 %d 天", st.DaysOverdue)
	case kind == kindDueSoon:
		sb.WriteString(j.dueIn(v.Item))
	default:
		sb.WriteString(statusPhrase(st))
	}
	fmt.Fprintf(&sb, " · 进度 %s", pct(st.Percent))
	if withOwners {
		fmt.Fprintf(&sb, " · %s", j.ownerNames(v.Item.Owners))
	}
	sb.WriteString(" · ")
	sb.WriteString(j.lastReport(st))
	sb.WriteString("\n")
	return sb.String()
}

func (j *job) dueIn(it planbot.Item) string {
	d, ok := j.daysLeft(it)
	due, _ := dueOf(it)
	switch {
	case !ok:
		return "无截止日期"
	case d == 0:
		return "今天到期"
	case d == 1:
		return "明天到期"
	}
	return fmt.Sprintf("%s到期（还有 %d 天）", day(due, j.plan.Year), d)
}

func (j *job) lastReport(st planbot.ItemStatus) string {
	if st.Last == nil {
		return "暂无汇报"
	}
	s := "最近汇报 " + day(planbot.DateOf(st.Last.At.In(j.loc)), j.plan.Year)
	// The words as the cadre wrote them, figure included: the stored note
	// alone had its figures taken out ("累计接待客商" of "累计接待客商12批").
	// A bare figure is on the line already.
	if w := planbot.ReportWords(*st.Last, 30); w != "" && (st.Last.Words != "" || st.Last.Note != "") {
		s += "：" + planbot.Isolate(planbot.Escape(w))
	}
	return s
}

// howToReport ends a reminder with the one-line report syntax, for readers
// who own something in it.
func (j *job) howToReport(a *audience, items []planbot.ItemView, buttons bool) string {
	code := ""
	for _, v := range items {
		if a.owns(v.Item.Code) {
			code = v.Item.Code
			break
		}
	}
	if code == "" {
		return ""
	}
	s := fmt.Sprintf("\n汇报进展，直接回复：<code>%s 进度60%% 说明</code>", planbot.Escape(code))
	if buttons {
		s += "\n或点下面的按钮逐步填写。"
	}
	return s
}

// buttons offers "r:CODE" for the items a owns, in list order.
func (j *job) buttons(a *audience, items []planbot.ItemView) []planbot.Button {
	if a.person == "" {
		return nil // in a group anyone could press it
	}
	var out []planbot.Button
	for _, v := range items {
		if !a.owns(v.Item.Code) || len(out) == MaxButtons {
			continue
		}
		data, ok := planbot.ReportButtonData(v.Item.Code)
		if !ok {
			continue
		}
		out = append(out, planbot.Button{Text: planbot.ClipLine(v.Item.Code+" "+v.Item.Title, 20), Data: data})
	}
	return out
}

// level is a step of the escalation ladder.
type level int

const (
	levelNone level = iota
	levelBlue
	levelYellow
	levelRed
)

func (l level) mark() string {
	switch l {
	case levelRed:
		return "🔴"
	case levelYellow:
		return "🟡"
	}
	return "🔵"
}

// levelOf places an item on the ladder of r. Behind pace is the at-risk
// test (Rules.Tolerance), asked also of a never-reported item: its
// no_report colour says nobody spoke, and must not keep it off the ladder.
func (j *job) levelOf(v planbot.ItemView, r planbot.Reminder) level {
	st := v.Status
	switch {
	case st.Status == planbot.StatusDone:
		return levelNone
	case st.Status == planbot.StatusOverdue:
		switch {
		case st.DaysOverdue >= r.PrincipalAfterDays:
			return levelRed
		case st.DaysOverdue >= r.LeaderAfterDays:
			return levelYellow
		}
		return levelBlue
	case st.Status == planbot.StatusAtRisk, j.untouched(v):
		return levelYellow
	}
	if d, ok := j.daysLeft(v.Item); ok && d >= 0 && d <= r.WithinDays {
		return levelBlue
	}
	return levelNone
}

// worstFirst orders a ladder: red, yellow, blue; in a step the longest
// overdue, then the furthest behind, then by due date and code.
func worstFirst(vs []planbot.ItemView, levels map[string]level) {
	slices.SortStableFunc(vs, func(a, b planbot.ItemView) int {
		return cmp.Or(
			cmp.Compare(levels[b.Item.Code], levels[a.Item.Code]),
			cmp.Compare(b.Status.DaysOverdue, a.Status.DaysOverdue),
			cmp.Compare(gap(b), gap(a)),
			a.Item.Due.Compare(b.Item.Due),
			cmp.Compare(a.Item.Code, b.Item.Code),
		)
	})
}

func (j *job) composeEscalate(b *book, r planbot.Reminder) {
	levels := map[string]level{}
	var rel []planbot.ItemView
	for _, v := range j.views {
		if l := j.levelOf(v, r); l != levelNone {
			levels[v.Item.Code] = l
			rel = append(rel, v)
		}
	}
	worstFirst(rel, levels)
	var principals []string
	for _, p := range j.plan.People {
		if p.Principal {
			principals = append(principals, p.Key)
		}
	}
	for _, v := range rel {
		l := levels[v.Item.Code]
		b.to("owners", v)
		// With every owner on leave nobody else would hear of a blue
		// item: the leader, who can hand it to someone, does.
		if l >= levelYellow || j.allAway(v.Item) {
			b.to("leader", v)
		}
		if l < levelRed {
			continue
		}
		for _, k := range principals {
			b.person(k, v.Item.Code, slices.Contains(v.Item.Owners, k), true)
		}
		for _, e := range r.To {
			if e != "owners" && e != "leader" {
				b.to(e, v)
			}
		}
	}
	heads := map[level]string{
		levelRed:    fmt.Sprintf("<b>红色 · 逾期满 %d 天</b>（已报主要领导）", r.PrincipalAfterDays),
		levelYellow: fmt.Sprintf("<b>黄色 · 进度落后或逾期满 %d 天</b>（已报分管领导）", r.LeaderAfterDays),
		levelBlue:   fmt.Sprintf("<b>蓝色 · %d 天内到期或刚逾期</b>", r.WithinDays),
	}
	names := map[level]string{levelRed: "红色", levelYellow: "黄色", levelBlue: "蓝色"}
	for _, a := range b.order {
		items, _ := j.split(a, rel)
		if len(items) == 0 {
			continue
		}
		var sb strings.Builder
		fmt.Fprintf(&sb, "<b>📣 逐级催办</b>（%s）\n", j.dayWeek(j.today))
		if a.person != "" {
			fmt.Fprintf(&sb, "%s，以下 %d 项工作需要关注", planbot.Escape(j.name(a.person)), len(items))
		} else {
			fmt.Fprintf(&sb, "以下 %d 项工作需要关注", len(items))
		}
		count := map[level]int{}
		for _, v := range items {
			count[levels[v.Item.Code]]++
		}
		var parts []string
		for _, l := range []level{levelRed, levelYellow, levelBlue} {
			if count[l] > 0 {
				parts = append(parts, fmt.Sprintf("%s%s %d", l.mark(), names[l], count[l]))
			}
		}
		fmt.Fprintf(&sb, "（%s）：\n", strings.Join(parts, " · "))
		shown, rest := items[:min(len(items), ListMax)], items[min(len(items), ListMax):]
		prev := levelNone
		for _, v := range shown {
			l := levels[v.Item.Code]
			if l != prev {
				fmt.Fprintf(&sb, "\n%s %s\n", l.mark(), heads[l])
				prev = l
			}
			sb.WriteString(j.ladderLine(v, !a.owns(v.Item.Code)))
		}
		cmd := "/plan"
		if !slices.ContainsFunc(rest, func(v planbot.ItemView) bool { return v.Status.Status != planbot.StatusOverdue }) {
			cmd = "/overdue"
		}
		if len(rest) > 0 {
			sb.WriteString("\n")
		}
		sb.WriteString(j.more(a, rest, cmd))
		btn := j.buttons(a, shown)
		sb.WriteString(j.howToReport(a, shown, len(btn) > 0))
		b.send(a, sb.String(), btn)
	}
}

// ladderLine is one item of the ladder: how late or how far behind, and
// 未汇报 when nobody ever reported on it, so a leader knows nobody spoke;
// the owners (on leave marked) when the reader is not one of them.
func (j *job) ladderLine(v planbot.ItemView, withOwners bool) string {
	st := v.Status
	var sb strings.Builder
	fmt.Fprintf(&sb, "<b>%s</b> %s\n　", planbot.Escape(v.Item.Code), planbot.Escape(planbot.ClipLine(v.Item.Title, 24)))
	never := st.Last == nil
	switch {
	case st.Status == planbot.StatusOverdue:
		fmt.Fprintf(&sb, "逾期 %d 天", st.DaysOverdue)
	case never && st.BehindPace(j.plan.Rules):
		fmt.Fprintf(&sb, "未汇报（应达 %s）", pct(st.Expected))
	case st.Status == planbot.StatusAtRisk:
		fmt.Fprintf(&sb, "有风险（应达 %s）", pct(st.Expected))
	default:
		sb.WriteString(j.dueIn(v.Item))
	}
	switch {
	case !never:
		fmt.Fprintf(&sb, " · 进度 %s", pct(st.Percent))
	case st.Status == planbot.StatusOverdue || !st.BehindPace(j.plan.Rules):
		sb.WriteString(" · 未汇报")
	}
	if withOwners {
		fmt.Fprintf(&sb, " · %s", j.ownerNames(v.Item.Owners))
	}
	sb.WriteString("\n")
	return sb.String()
}

func (j *job) composeReportRequest(b *book, r planbot.Reminder) {
	since := j.sinceWeekday(r.Since)
	openViews := j.reportRequestOrder()
	nudge := reportNudge(j.reportedSince(openViews, since))
	to := r.To
	if len(to) == 0 {
		to = []string{"owners"}
	}
	// rel: open items with at least one owner to nudge.
	var rel []planbot.ItemView
	for _, v := range openViews {
		if slices.ContainsFunc(v.Item.Owners, func(o string) bool { return nudge.asks(o, v) }) {
			rel = append(rel, v)
		}
	}
	for _, v := range rel {
		for _, e := range to {
			if e == "owners" {
				for _, o := range v.Item.Owners {
					if nudge.asks(o, v) {
						b.person(o, v.Item.Code, true, false)
					}
				}
				continue
			}
			b.to(e, v)
		}
	}
	sinceText := j.dayWeek(planbot.DateOf(since))
	reporters := j.reportersSince(since)
	for _, a := range b.order {
		j.sendReportRequest(b, a, rel, nudge, sinceText, reporters[a.person])
	}
}

// reportersSince is who reported on any item since t, on an item since
// closed too: a request about their other items must not tell them that
// nothing was received from them.
func (j *job) reportersSince(t time.Time) map[string]bool {
	out := map[string]bool{}
	for _, rs := range j.s.Reports {
		for _, r := range rs {
			if !r.Withdrawn && !r.At.Before(t) {
				out[r.Reporter] = true
				if r.OnBehalfOf != "" {
					out[r.OnBehalfOf] = true
				}
			}
		}
	}
	return out
}

// reportNudge is who reported since the request's day: an owner who did
// not is asked about their open items.
type reportNudge map[string]bool

// asks reports whether key is asked about v.
func (reported reportNudge) asks(key string, v planbot.ItemView) bool {
	return slices.Contains(v.Item.Owners, key) && !reported[key]
}

// reportRequestOrder is the open items, most urgent first, and before them
// the items nobody ever reported on and already behind, the furthest
// behind on top: their owners are nudged first (queued ahead of the
// others), about them first. Who is nudged does not change: an owner who
// reported this week is not, since the ladder chases the items themselves
// every working day.
func (j *job) reportRequestOrder() []planbot.ItemView {
	var openViews []planbot.ItemView
	for _, v := range j.views {
		if j.open(v) {
			openViews = append(openViews, v)
		}
	}
	planbot.ByUrgency(openViews)
	slices.SortStableFunc(openViews, func(a, b planbot.ItemView) int {
		ua, ub := j.untouched(a), j.untouched(b)
		switch {
		case ua && ub:
			return cmp.Compare(gap(b), gap(a))
		case ua:
			return -1
		case ub:
			return 1
		}
		return 0
	})
	return openViews
}

// sendReportRequest sends a its request: the items it owns and has not
// reported on, and the silent owners of the items it watches; nothing
// when there are neither.
func (j *job) sendReportRequest(b *book, a *audience, rel []planbot.ItemView, nudge reportNudge, sinceText string, reported bool) {
	items, _ := j.split(a, rel)
	var mine []planbot.ItemView
	others := map[string]bool{} // codes to list by owner
	for _, v := range items {
		sh := a.items[v.Item.Code]
		if sh.own && nudge.asks(a.person, v) {
			mine = append(mine, v)
		}
		if sh.watch {
			others[v.Item.Code] = true
		}
	}
	var lines []string
	if len(others) > 0 {
		lines = j.silentOwnerLines(a, items, others, nudge)
	}
	if len(mine) == 0 && len(lines) == 0 {
		return
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "<b>📝 汇报提醒</b>（%s）\n", j.dayWeek(j.today))
	if len(mine) > 0 {
		if reported {
			fmt.Fprintf(&sb, "%s，您在办的以下 %d 项事项自 %s 以来还没有汇报：\n", planbot.Escape(j.name(a.person)), len(mine), sinceText)
		} else {
			fmt.Fprintf(&sb, "%s，自 %s 以来还没有收到您的汇报。您在办的事项 %d 项：\n", planbot.Escape(j.name(a.person)), sinceText, len(mine))
		}
		for _, v := range mine[:min(len(mine), ListMax)] {
			if j.untouched(v) {
				fmt.Fprintf(&sb, "%s <b>%s</b> %s · 未汇报，应达 %s\n", v.Status.Status.Mark(), planbot.Escape(v.Item.Code), planbot.Escape(planbot.ClipLine(v.Item.Title, 20)), pct(v.Status.Expected))
				continue
			}
			fmt.Fprintf(&sb, "%s <b>%s</b> %s · 进度 %s\n", v.Status.Status.Mark(), planbot.Escape(v.Item.Code), planbot.Escape(planbot.ClipLine(v.Item.Title, 20)), pct(v.Status.Percent))
		}
		sb.WriteString(j.more(a, mine[min(len(mine), ListMax):], "/mine"))
	}
	if len(lines) > 0 {
		if len(mine) > 0 {
			sb.WriteString("\n")
		}
		fmt.Fprintf(&sb, "自 %s 以来未汇报的责任人 %d 人：\n", sinceText, len(lines))
		const maxPeople = 2 * ListMax
		for _, l := range lines[:min(len(lines), maxPeople)] {
			sb.WriteString(l)
		}
		if n := len(lines) - maxPeople; n > 0 {
			fmt.Fprintf(&sb, "另有 %d 人，发送 /unreported 查看\n", n)
		}
	}
	shown := mine[:min(len(mine), ListMax)]
	btn := j.buttons(a, shown)
	if len(mine) > 0 {
		fmt.Fprintf(&sb, "\n直接回复即可，例如：<code>%s 进度60%% 说明</code>", planbot.Escape(mine[0].Item.Code))
		if len(btn) > 0 {
			sb.WriteString("\n或点下面的按钮逐步填写。")
		}
	}
	b.send(a, sb.String(), btn)
}

// silentOwnerLines is a line for each other person asked about the
// watched items (codes in others), in the plan's order of people.
func (j *job) silentOwnerLines(a *audience, items []planbot.ItemView, others map[string]bool, nudge reportNudge) []string {
	var lines []string
	for _, p := range j.plan.People {
		if p.Key == a.person {
			continue
		}
		var codes []string
		for _, v := range items {
			if others[v.Item.Code] && nudge.asks(p.Key, v) {
				codes = append(codes, v.Item.Code)
			}
		}
		if len(codes) > 0 {
			lines = append(lines, fmt.Sprintf("• %s%s（%s）：%s\n", planbot.Escape(p.Name), j.leaveMark(p.Key), planbot.Escape(planbot.ClipLine(p.Unit, 10)), codeList(codes, 20)))
		}
	}
	return lines
}

func (j *job) composeDigest(b *book, r planbot.Reminder) {
	to := r.To
	if len(to) == 0 {
		to = []string{"role:leader"}
	}
	for _, e := range to {
		switch {
		case e == "owners" || e == "leader":
			for _, v := range j.views {
				b.to(e, v)
			}
		case strings.HasPrefix(e, "role:"):
			role := planbot.Role(strings.TrimPrefix(e, "role:"))
			for _, p := range j.plan.People {
				if p.Has(role) {
					b.person(p.Key, "", false, false)
				}
			}
		case strings.HasPrefix(e, "chat:"):
			b.chat(e, "")
		case e != "":
			b.person(e, "", false, false)
		}
	}
	d := j.digest()
	notice := FailureNotice(j.s)
	admins := 0
	for _, a := range b.order {
		text := d.textFor("", j.digestFocus(a.person))
		if p, ok := j.people[a.person]; ok && p.Has(planbot.RoleAdmin) {
			text = d.textFor(notice, j.digestFocus(a.person))
			admins++
		}
		b.send(a, text, nil)
	}
	if notice == "" || admins > 0 {
		return
	}
	// Nobody reading this digest may see the failures: tell the admins
	// apart, so they are not lost until the next digest.
	nb := newBook(j)
	for _, p := range j.plan.People {
		if p.Has(planbot.RoleAdmin) {
			nb.person(p.Key, "", false, false)
		}
	}
	for _, a := range nb.order {
		if _, dup := b.byChat[a.chat]; dup {
			continue
		}
		nb.send(a, fmt.Sprintf("<b>%d 年工作计划周报</b>（%s）\n%s", j.plan.Year, j.when(j.at), notice), nil)
	}
	b.msgs = append(b.msgs, nb.msgs...)
	for k := range nb.unreachable {
		b.unreachable[k] = true
	}
}

// codeList joins item codes, escaped, at most n of them.
func codeList(codes []string, n int) string {
	out := make([]string, 0, min(len(codes), n))
	for i, c := range codes {
		if i == n {
			break
		}
		out = append(out, planbot.Escape(c))
	}
	s := strings.Join(out, "、")
	if len(codes) > n {
		s += fmt.Sprintf(" 等 %d 项", len(codes))
	}
	return s
}

func pct(f float64) string { return planbot.FormatPercent(f) }

func statusPhrase(st planbot.ItemStatus) string { return st.Phrase() }

// day shows a date the short way: 6月30日, with the year only when it is
// not the plan year.
func day(d planbot.Date, year int) string { return d.Short(year) }

var weekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// dayWeek is "3月8日 周一".
func (j *job) dayWeek(d planbot.Date) string {
	wd := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
	return day(d, j.plan.Year) + " " + weekdays[wd]
}

// when is "3月8日 周一 08:30".
func (j *job) when(t time.Time) string {
	t = t.In(j.loc)
	return j.dayWeek(planbot.DateOf(t)) + t.Format(" 15:04")
}
