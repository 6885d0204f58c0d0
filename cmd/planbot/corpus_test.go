package main

// The intake corpus (testdata/intake): messages the way users type them,
// each with what the bot must do, sent through the real handler over a
// real SQLite file. The format is described in testdata/intake/README.md.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"planbot"
	"planbot/bot"
	"planbot/config"
	"planbot/storage"
)

const corpusDir = "../../testdata/intake"

// corpusStart is the clock of a scenario that does not set one: a
// Wednesday in May of the example's plan year, every item started.
var corpusStart = time.Date(2027, time.May, 12, 10, 0, 0, 0, shanghai)

// corpusScenario is one "==" block: a fresh database.
type corpusScenario struct {
	file, title string
	line        int
	steps       []corpusStep
}

// corpusStep is one message (or button press) and what it must do.
type corpusStep struct {
	line  int
	at    time.Time
	as    string
	text  string
	reply bool   // sent as a reply to the bot's last message
	press string // a button label instead of a message
	want  []corpusWant
	says  []string // the reply must contain each
}

// corpusWant is one "=" line.
type corpusWant struct {
	kind   string // report, noteonly, correct, undo, value, question, ack, ask, confirm, refuse, unknown, nothing
	code   string // item code, indicator key, or "mine"
	codes  []string
	pct    *float64
	val    string
	done   bool
	asOf   string
	note   *string
	amount string // value: the indicator's amount
	raw    string
}

// stores reports whether the want is a stored row.
func (w corpusWant) stores() bool {
	switch w.kind {
	case "report", "noteonly", "correct", "undo", "value":
		return true
	}
	return false
}

func readCorpus(t testing.TB, dir string) []corpusScenario {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files in %s (%v)", dir, err)
	}
	sort.Strings(files)
	var all []corpusScenario
	for _, f := range files {
		all = append(all, readCorpusFile(t, f)...)
	}
	return all
}

func readCorpusFile(t testing.TB, path string) []corpusScenario {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	scs, err := parseCorpus(filepath.Base(path), f)
	if err != nil {
		t.Fatal(err)
	}
	return scs
}

func parseCorpus(name string, r io.Reader) ([]corpusScenario, error) {
	var out []corpusScenario
	var cur *corpusScenario
	var at time.Time
	as := ""
	sc := bufio.NewScanner(r)
	n := 0
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, n, fmt.Sprintf(format, args...))
	}
	lastStep := func() *corpusStep {
		if cur == nil || len(cur.steps) == 0 {
			return nil
		}
		return &cur.steps[len(cur.steps)-1]
	}
	closeStep := func() error {
		if s := lastStep(); s != nil && len(s.want) == 0 {
			return fmt.Errorf("%s:%d: the message has no \"=\" line", name, s.line)
		}
		return nil
	}
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimLeft(line, " \t")
		switch {
		case trimmed == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(trimmed, "== "):
			if err := closeStep(); err != nil {
				return nil, err
			}
			out = append(out, corpusScenario{file: name, title: strings.TrimSpace(trimmed[3:]), line: n})
			cur = &out[len(out)-1]
			at, as = corpusStart, ""
		case cur == nil:
			return nil, fail("a line before the first \"==\" scenario")
		case strings.HasPrefix(trimmed, "at "):
			t, err := time.ParseInLocation("2006-01-02 15:04", strings.TrimSpace(trimmed[3:]), corpusStart.Location())
			if err != nil {
				return nil, fail("at: %v", err)
			}
			at = t
		case strings.HasPrefix(trimmed, "as "):
			as = strings.TrimSpace(trimmed[3:])
		case strings.HasPrefix(trimmed, ">> ") || strings.HasPrefix(trimmed, "> ") || strings.HasPrefix(trimmed, "press "):
			if err := closeStep(); err != nil {
				return nil, err
			}
			if as == "" {
				return nil, fail("a message before any \"as\" line")
			}
			st := corpusStep{line: n, at: at, as: as}
			switch {
			case strings.HasPrefix(trimmed, ">> "):
				st.text, st.reply = strings.TrimSpace(trimmed[3:]), true
			case strings.HasPrefix(trimmed, "> "):
				st.text = strings.TrimSpace(trimmed[2:])
			default:
				st.press = strings.TrimSpace(trimmed[6:])
			}
			at = at.Add(time.Minute)
			cur.steps = append(cur.steps, st)
		case strings.HasPrefix(trimmed, "= "):
			s := lastStep()
			if s == nil || len(s.says) > 0 {
				return nil, fail("an \"=\" line that follows no message")
			}
			w, err := parseWant(strings.TrimSpace(trimmed[2:]))
			if err != nil {
				return nil, fail("%v", err)
			}
			s.want = append(s.want, w)
		case strings.HasPrefix(trimmed, "~ "):
			s := lastStep()
			if s == nil || len(s.want) == 0 {
				return nil, fail("a \"~\" line before the message's \"=\" lines")
			}
			s.says = append(s.says, strings.TrimSpace(trimmed[2:]))
		default:
			return nil, fail("cannot read %q", line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := closeStep(); err != nil {
		return nil, err
	}
	return out, nil
}

func parseWant(s string) (corpusWant, error) {
	w := corpusWant{raw: s}
	head := s
	if i := strings.Index(s, "|"); i >= 0 {
		note := strings.TrimSpace(s[i+1:])
		w.note = &note
		head = strings.TrimSpace(s[:i])
	}
	f := strings.Fields(head)
	if len(f) == 0 {
		return w, fmt.Errorf("an empty \"=\" line")
	}
	w.kind = f[0]
	args := f[1:]
	switch w.kind {
	case "report", "noteonly", "correct", "undo":
		if len(args) == 0 {
			return w, fmt.Errorf("%s needs an item code", w.kind)
		}
		w.code, args = args[0], args[1:]
		for _, a := range args {
			k, v, _ := strings.Cut(a, "=")
			switch k {
			case "pct":
				p, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return w, fmt.Errorf("pct=%s: %v", v, err)
				}
				w.pct = &p
			case "val":
				if _, err := planbot.ParseAmount(v); err != nil {
					return w, fmt.Errorf("val=%s: %v", v, err)
				}
				w.val = v
			case "done":
				w.done = true
			case "asof":
				w.asOf = v
			default:
				return w, fmt.Errorf("unknown field %q", a)
			}
		}
		if w.kind != "report" && w.kind != "correct" && len(args) > 0 {
			return w, fmt.Errorf("%s takes no figures", w.kind)
		}
	case "value":
		if len(args) != 2 {
			return w, fmt.Errorf("value needs an indicator key and an amount")
		}
		w.code, w.amount = args[0], args[1]
	case "question":
		if len(args) > 1 {
			return w, fmt.Errorf("question takes at most one code")
		}
		if len(args) == 1 {
			w.code = args[0]
		}
	case "ask":
		if len(args) > 1 {
			return w, fmt.Errorf("ask takes one comma-separated list of codes")
		}
		if len(args) == 1 {
			w.codes = strings.Split(args[0], ",")
		}
	case "ack", "confirm", "refuse", "unknown", "nothing":
		if len(args) > 0 {
			return w, fmt.Errorf("%s takes nothing", w.kind)
		}
	default:
		return w, fmt.Errorf("unknown expectation %q", w.kind)
	}
	return w, nil
}

// Outcomes of a message, as the corpus table counts them.
const (
	outRecorded = "recorded right"
	outAnswered = "answered right"
	outAsked    = "asked"
	outUnknown  = "not understood"
	outWrong    = "wrong"
)

var outcomes = []string{outRecorded, outAnswered, outAsked, outUnknown, outWrong}

// corpusDriver sends one step and returns what the bot answered (the
// messages it sent or edited, in order).
type corpusDriver interface {
	send(t testing.TB, st corpusStep) ([]corpusReply, error)
}

// corpusReply is one message of the bot as the user sees it.
type corpusReply struct {
	text    string   // plain text
	buttons []string // keyboard labels
}

// effects are the rows one step stored.
type effects struct {
	reports []planbot.Report
	obs     []planbot.Observation
}

// corpusState reads what the database holds, to tell what a step stored.
type corpusState struct {
	db   *storage.DB
	plan *planbot.Plan
	seen map[int64]bool // report ids
	obs  map[int64]bool
}

func newCorpusState(t testing.TB, db *storage.DB, plan *planbot.Plan) *corpusState {
	s := &corpusState{db: db, plan: plan, seen: map[int64]bool{}, obs: map[int64]bool{}}
	s.diff(t)
	return s
}

// diff returns the rows added since the last call.
func (s *corpusState) diff(t testing.TB) effects {
	t.Helper()
	ctx := context.Background()
	var e effects
	all, err := s.db.AllReports(ctx)
	if err != nil {
		t.Fatalf("read reports: %v", err)
	}
	for _, rs := range all {
		for _, r := range rs {
			if !s.seen[r.ID] {
				s.seen[r.ID] = true
				e.reports = append(e.reports, r)
			}
		}
	}
	slices.SortFunc(e.reports, func(a, b planbot.Report) int { return int(a.ID - b.ID) })
	for _, ind := range s.plan.Indicators {
		obs, err := s.db.IndicatorObservations(ctx, ind.Key)
		if err != nil {
			t.Fatalf("read observations: %v", err)
		}
		for _, o := range obs {
			if !s.obs[o.ID] {
				s.obs[o.ID] = true
				e.obs = append(e.obs, o)
			}
		}
	}
	return e
}

// reportByID finds a stored report.
func (s *corpusState) reportByID(t testing.TB, id int64) (planbot.Report, bool) {
	all, err := s.db.AllReports(context.Background())
	if err != nil {
		t.Fatalf("read reports: %v", err)
	}
	for _, rs := range all {
		for _, r := range rs {
			if r.ID == id {
				return r, true
			}
		}
	}
	return planbot.Report{}, false
}

// judge says what a step came to, and why when it is not right.
func (s *corpusState) judge(t testing.TB, st corpusStep, replies []corpusReply, e effects) (string, string) {
	var all strings.Builder
	asks := false
	for _, r := range replies {
		all.WriteString(r.text)
		all.WriteString("\n")
		if len(r.buttons) > 0 && !slices.Contains(r.buttons, "撤回这条") && !hasUndo(r.buttons) {
			asks = true
		}
		if strings.Contains(r.text, "？") || strings.Contains(r.text, "?") {
			asks = true
		}
	}
	text := all.String()
	stored := len(e.reports) + len(e.obs)
	expectStore := slices.ContainsFunc(st.want, corpusWant.stores)

	missing := func() string {
		for _, sub := range st.says {
			if !strings.Contains(text, sub) {
				return fmt.Sprintf("the reply does not say %q", sub)
			}
		}
		return ""
	}
	if expectStore {
		if stored == 0 {
			if asks {
				return outAsked, "nothing stored; the bot asked"
			}
			return outUnknown, "nothing stored"
		}
		if why := s.matchRows(t, st, e, text); why != "" {
			return outWrong, why
		}
		if why := missing(); why != "" {
			return outWrong, why
		}
		return outRecorded, ""
	}
	if stored > 0 {
		return outWrong, fmt.Sprintf("stored %s", describeEffects(e))
	}
	w := st.want[0]
	why := ""
	switch w.kind {
	case "nothing":
		if len(replies) > 0 {
			why = "the bot replied"
		}
	case "question":
		switch {
		case len(replies) == 0:
			why = "no answer"
		case w.code != "" && !s.names(text, w.code):
			why = fmt.Sprintf("the answer does not name %s", w.code)
		case strings.Contains(text, "没看懂"):
			why = "answered as not understood"
		}
	case "ack":
		lines := strings.Count(strings.TrimSpace(text), "\n") + 1
		switch {
		case len(replies) != 1:
			why = fmt.Sprintf("%d replies", len(replies))
		case lines > 2 || len([]rune(text)) > 80:
			why = "a long answer to an acknowledgement"
		case len(replies[0].buttons) > 0:
			why = "buttons on an acknowledgement"
		}
	case "ask":
		switch {
		case !asks:
			why = "the bot did not ask"
		default:
			for _, c := range w.codes {
				if !strings.Contains(text, c) && !slices.ContainsFunc(allButtons(replies), func(b string) bool { return strings.Contains(b, c) }) {
					why = fmt.Sprintf("the question does not offer %s", c)
				}
			}
		}
	case "confirm":
		if !slices.Contains(allButtons(replies), "确认") {
			why = "no 确认 button"
		}
	case "refuse", "unknown":
		if len(replies) == 0 {
			why = "no answer"
		}
		if w.kind == "unknown" && len(allButtons(replies)) > 0 {
			why = "buttons on a hint"
		}
	}
	if why == "" {
		why = missing()
	}
	if why != "" {
		if asks && w.kind != "ask" && w.kind != "confirm" {
			return outAsked, why
		}
		return outUnknown, why
	}
	return outAnswered, ""
}

func hasUndo(buttons []string) bool {
	return slices.ContainsFunc(buttons, func(b string) bool { return strings.Contains(b, "撤回") })
}

func allButtons(replies []corpusReply) []string {
	var out []string
	for _, r := range replies {
		out = append(out, r.buttons...)
	}
	return out
}

// names says whether an answer names an item code or an indicator.
func (s *corpusState) names(text, code string) bool {
	if code == "mine" {
		return strings.Contains(text, "的事项")
	}
	for _, ind := range s.plan.Indicators {
		if ind.Key == code {
			return strings.Contains(text, ind.Name)
		}
	}
	return strings.Contains(text, code)
}

func describeEffects(e effects) string {
	var parts []string
	for _, r := range e.reports {
		parts = append(parts, describeReport(r))
	}
	for _, o := range e.obs {
		parts = append(parts, fmt.Sprintf("value %s %s", o.Indicator, o.Value))
	}
	return strings.Join(parts, "; ")
}

func describeReport(r planbot.Report) string {
	var b strings.Builder
	switch {
	case r.Withdrawn:
		fmt.Fprintf(&b, "undo %s", r.ItemCode)
	case r.Supersedes != 0:
		fmt.Fprintf(&b, "correct %s", r.ItemCode)
	default:
		fmt.Fprintf(&b, "report %s", r.ItemCode)
	}
	if r.Withdrawn {
		return b.String()
	}
	if r.Percent != nil {
		fmt.Fprintf(&b, " pct=%s", strconv.FormatFloat(*r.Percent, 'f', -1, 64))
	}
	if r.Value != nil {
		fmt.Fprintf(&b, " val=%s", r.Value)
	}
	if r.Done {
		b.WriteString(" done")
	}
	if r.AsOf != nil {
		fmt.Fprintf(&b, " asof=%s", r.AsOf)
	}
	fmt.Fprintf(&b, " | %s", r.Note)
	return b.String()
}

// matchRows pairs the step's "=" lines with the rows it stored.
func (s *corpusState) matchRows(t testing.TB, st corpusStep, e effects, text string) string {
	reports := slices.Clone(e.reports)
	obs := slices.Clone(e.obs)
	for _, w := range st.want {
		if !w.stores() {
			return fmt.Sprintf("stored %s, want %s", describeEffects(e), w.raw)
		}
		if w.kind == "value" {
			i := slices.IndexFunc(obs, func(o planbot.Observation) bool {
				want, err := planbot.ParseAmount(w.amount)
				return err == nil && o.Indicator == w.code && o.Value == want && !o.Withdrawn
			})
			if i < 0 {
				return fmt.Sprintf("stored %s, want %s", describeEffects(e), w.raw)
			}
			obs = slices.Delete(obs, i, i+1)
			continue
		}
		i := slices.IndexFunc(reports, func(r planbot.Report) bool { return s.fits(t, w, r) })
		if i < 0 {
			return fmt.Sprintf("stored %s, want %s", describeEffects(e), w.raw)
		}
		reports = slices.Delete(reports, i, i+1)
	}
	if len(reports)+len(obs) > 0 {
		return fmt.Sprintf("stored %s as well", describeEffects(effects{reports, obs}))
	}
	if slices.ContainsFunc(st.want, func(w corpusWant) bool { return w.kind == "noteonly" }) && !strings.Contains(text, "进度未变") {
		return "a note-only report echoed without 进度未变"
	}
	return ""
}

// fits says whether report r is what w describes.
func (s *corpusState) fits(t testing.TB, w corpusWant, r planbot.Report) bool {
	if r.ItemCode != w.code {
		return false
	}
	switch w.kind {
	case "undo":
		return r.Withdrawn
	case "report":
		if r.Withdrawn || r.Supersedes != 0 {
			return false
		}
	case "noteonly":
		if r.Withdrawn || r.Supersedes != 0 || r.Percent != nil || r.Value != nil || r.Done {
			return false
		}
	case "correct":
		if r.Withdrawn || r.Supersedes == 0 {
			return false
		}
		if old, ok := s.reportByID(t, r.Supersedes); !ok || old.ItemCode != r.ItemCode {
			return false
		}
	}
	if w.kind == "report" || w.kind == "correct" {
		if (w.pct == nil) != (r.Percent == nil) || (w.pct != nil && *w.pct != *r.Percent) {
			return false
		}
		if w.done != r.Done {
			return false
		}
		if (w.val == "") != (r.Value == nil) {
			return false
		}
		if w.val != "" {
			want, _ := planbot.ParseAmount(w.val)
			if want != *r.Value {
				return false
			}
		}
		if (w.asOf == "") != (r.AsOf == nil) || (r.AsOf != nil && r.AsOf.String() != w.asOf) {
			return false
		}
	}
	if w.note != nil && strings.TrimSpace(r.Note) != *w.note {
		return false
	}
	return true
}

// handlerDriver sends each step through bot.Handle in a storage session,
// as the console does, tracking the bot's messages so a reply or a press
// can refer to them.
type handlerDriver struct {
	bot    *bot.Bot
	db     *storage.DB
	plan   *planbot.Plan
	clock  *corpusClock
	nextID int
	// the bot's last message in each chat: its id, text and keyboard
	last map[int64]sentMessage
}

type sentMessage struct {
	id       int
	text     string
	keyboard [][]bot.Button
}

type corpusClock struct{ now time.Time }

func (c *corpusClock) Now() time.Time { return c.now }

func (d *handlerDriver) person(t testing.TB, key string) planbot.Person {
	p, ok := d.plan.Person(key)
	if !ok {
		t.Fatalf("no person %q in the example plan", key)
	}
	return p
}

// userID is the person's Telegram id, or a stand-in for one bound by invite.
func userID(p planbot.Person, plan *planbot.Plan) int64 {
	if id := telegramID(p); id != 0 {
		return id
	}
	for i, q := range plan.People {
		if q.Key == p.Key {
			return 900000000 + int64(i)
		}
	}
	return 0
}

func (d *handlerDriver) send(t testing.TB, st corpusStep) ([]corpusReply, error) {
	p := d.person(t, st.as)
	uid := userID(p, d.plan)
	d.clock.now = st.at
	d.nextID++
	m := bot.Message{ChatID: tgChat(uid), Chat: bot.ChatPrivate, UserID: tgAccount(uid), AsPerson: p.Key, MessageID: d.nextID, Text: st.text, At: st.at}
	last := d.last[uid]
	if st.reply {
		if last.id == 0 {
			return nil, fmt.Errorf("a reply with no earlier message of the bot")
		}
		m.ReplyTo, m.ReplyText = last.id, bot.PlainText(last.text)
	}
	if st.press != "" {
		data, ok := findButton(last.keyboard, st.press)
		if !ok {
			return nil, fmt.Errorf("no button %q on the bot's last message (%v)", st.press, labels(last.keyboard))
		}
		m.Text, m.Callback = "", &bot.Callback{ID: fmt.Sprintf("cb%d", d.nextID), Data: data, MessageID: last.id}
	}
	var replies []bot.Reply
	err := d.db.InSession(context.Background(), func(s planbot.Tx) error {
		var err error
		replies, err = d.bot.Handle(context.Background(), s, m)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []corpusReply
	for _, r := range replies {
		if r.Text == "" {
			continue
		}
		sm := sentMessage{text: r.Text, keyboard: r.Keyboard}
		if r.EditMessageID != 0 {
			sm.id = r.EditMessageID
		} else {
			d.nextID++
			sm.id = d.nextID
		}
		d.last[uid] = sm
		out = append(out, corpusReply{text: bot.PlainText(r.Text), buttons: labels(r.Keyboard)})
	}
	return out, nil
}

func labels(kb [][]bot.Button) []string {
	var out []string
	for _, row := range kb {
		for _, b := range row {
			out = append(out, b.Text)
		}
	}
	return out
}

// findButton finds the button labelled label, or else the one whose label
// starts with it ("3.2" presses "3.2 扩充直播队伍").
func findButton(kb [][]bot.Button, label string) (string, bool) {
	for _, exact := range []bool{true, false} {
		for _, row := range kb {
			for _, b := range row {
				if b.Text == label || (!exact && strings.HasPrefix(b.Text, label)) {
					return b.Data, true
				}
			}
		}
	}
	return "", false
}

// corpusResult is one step's outcome.
type corpusResult struct {
	sc      *corpusScenario
	st      corpusStep
	outcome string
	why     string
	replies []corpusReply
}

// runCorpus runs every scenario with a driver made per scenario.
func runCorpus(t *testing.T, scs []corpusScenario, newDriver func(t *testing.T) (corpusDriver, *corpusState)) []corpusResult {
	var results []corpusResult
	for i := range scs {
		sc := &scs[i]
		t.Run(fmt.Sprintf("%s:%d", sc.file, sc.line), func(t *testing.T) {
			drv, state := newDriver(t)
			for _, st := range sc.steps {
				replies, err := drv.send(t, st)
				outcome, why := "", ""
				if err != nil {
					// A button the bot did not show: the user is stuck.
					outcome, why = outUnknown, err.Error()
				} else {
					outcome, why = state.judge(t, st, replies, state.diff(t))
				}
				results = append(results, corpusResult{sc: sc, st: st, outcome: outcome, why: why, replies: replies})
			}
		})
	}
	return results
}

// newHandlerDriver opens a fresh database with the example plan.
func newHandlerDriver(t *testing.T) (corpusDriver, *corpusState) {
	cfg, db := exampleDB(t, corpusStart)
	clock := &corpusClock{now: corpusStart}
	e := &env{now: clock.Now, log: slog.New(slog.DiscardHandler)}
	b := bot.New(botConfig(e, cfg, ""))
	d := &handlerDriver{bot: b, db: db, plan: cfg.Plan, clock: clock, last: map[int64]sentMessage{}}
	return d, newCorpusState(t, db, cfg.Plan)
}

// exampleDB is the built-in example plan and a fresh database file synced
// with it at start, closed when tb ends.
func exampleDB(tb testing.TB, start time.Time) (*config.Config, *storage.DB) {
	tb.Helper()
	cfg, err := config.Parse(planbot.ExampleConfigName, planbot.ExampleConfig)
	if err != nil {
		tb.Fatalf("the example config: %v", err)
	}
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(tb.TempDir(), "planbot.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.SyncPlan(ctx, cfg.Plan, start); err != nil {
		tb.Fatal(err)
	}
	return cfg, db
}

// corpusTable counts outcomes per file and in all.
func corpusTable(results []corpusResult) string {
	files := []string{}
	count := map[string]map[string]int{}
	for _, r := range results {
		if count[r.sc.file] == nil {
			count[r.sc.file] = map[string]int{}
			files = append(files, r.sc.file)
		}
		count[r.sc.file][r.outcome]++
		if count["all"] == nil {
			count["all"] = map[string]int{}
		}
		count["all"][r.outcome]++
	}
	var b strings.Builder
	b.WriteString("| file | messages | " + strings.Join(outcomes, " | ") + " |\n")
	b.WriteString("| --- | ---: |" + strings.Repeat(" ---: |", len(outcomes)) + "\n")
	for _, f := range append(files, "all") {
		total := 0
		for _, n := range count[f] {
			total += n
		}
		fmt.Fprintf(&b, "| %s | %d |", f, total)
		for _, o := range outcomes {
			fmt.Fprintf(&b, " %d |", count[f][o])
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestIntakeCorpus sends every message of the corpus through the handler:
// none may be recorded wrongly, and at least 90% must be recorded or
// answered right; the rest ask.
func TestIntakeCorpus(t *testing.T) {
	scs := readCorpus(t, corpusDir)
	results := runCorpus(t, scs, newHandlerDriver)
	reportCorpus(t, results)
}

func reportCorpus(t *testing.T, results []corpusResult) {
	t.Helper()
	t.Logf("intake corpus, %d messages:\n%s", len(results), corpusTable(results))
	right, wrong, total := 0, 0, len(results)
	var lines []string
	for _, r := range results {
		switch r.outcome {
		case outRecorded, outAnswered:
			right++
			continue
		case outWrong:
			wrong++
		}
		var said []string
		for _, rep := range r.replies {
			said = append(said, strings.ReplaceAll(rep.text, "\n", " ⏎ "))
		}
		msg := r.st.text
		if r.st.press != "" {
			msg = "[press " + r.st.press + "]"
		}
		lines = append(lines, fmt.Sprintf("%s:%d %s %q (%s): %s — want %s; bot: %s", r.sc.file, r.st.line, r.outcome, msg, r.st.as, r.why,
			r.st.want[0].raw, clipText(strings.Join(said, " ‖ "), 240)))
	}
	if len(lines) > 0 {
		t.Logf("not right:\n%s", strings.Join(lines, "\n"))
	}
	if wrong > 0 {
		t.Errorf("%d of %d messages recorded or answered wrongly", wrong, total)
	}
	if total > 0 && float64(right) < 0.9*float64(total) {
		t.Errorf("%d of %d messages right (%.1f%%), want at least 90%%", right, total, 100*float64(right)/float64(total))
	}
}
