package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"planbot"
	"planbot/config"
	"planbot/storage"
	"planbot/telegram"
)

// genOptions is what `planbot gen` generates: a county-scale plan and its
// history, for sizing a server and for the scale benchmarks.
type genOptions struct {
	Sections, Items, People, Indicators int
	Years                               int   // years of weekly history, the plan year included
	Year                                int   // the plan year
	Seed                                int64 // same seed and options, same plan and history
}

func defaultGenOptions() genOptions {
	return genOptions{Sections: 20, Items: 400, People: 150, Indicators: 10, Years: 3, Year: 2027, Seed: 1}
}

func (o genOptions) validate() error {
	switch {
	case o.Sections < 1 || o.Sections > 200:
		return fmt.Errorf("-sections %d: want 1–200", o.Sections)
	case o.Items < 1 || o.Items > 20000:
		return fmt.Errorf("-items %d: want 1–20000", o.Items)
	case o.People < 5 || o.People > 20000:
		return fmt.Errorf("-people %d: want 5–20000 (leaders, an admin and cadres)", o.People)
	case o.Indicators < 0 || o.Indicators > 100:
		return fmt.Errorf("-indicators %d: want 0–100", o.Indicators)
	case o.Years < 1 || o.Years > 30:
		return fmt.Errorf("-years %d: want 1–30", o.Years)
	case o.Year < 2000+o.Years || o.Year > 2100:
		return fmt.Errorf("-year %d: want a year from %d to 2100", o.Year, 2000+o.Years)
	}
	return nil
}

// genStats is what a generation wrote.
type genStats struct {
	Reports, Corrections, Withdrawals int // rows in reports: all of them, of which corrections and withdrawals
	Observations                      int // rows in observations, corrections included
	At                                time.Time
	Elapsed                           time.Duration
}

func genCommand() command {
	return command{
		name:    "gen",
		summary: "generate a county-scale plan (YAML) and a database with years of reports, to size a server",
		flags: func(fs *flag.FlagSet) func(context.Context, *env) int {
			o := defaultGenOptions()
			out := fs.String("o", "", "SQLite database `file` to create (it must not exist)")
			cfgOut := fs.String("config-out", "", "also write the generated plan as YAML to this `file` (it must not exist), for -config of status, digest, run …")
			fs.IntVar(&o.Sections, "sections", o.Sections, "number of `sections` (板块), each led by a deputy leader")
			fs.IntVar(&o.Items, "items", o.Items, "number of `items` (事项), spread over the sections")
			fs.IntVar(&o.People, "people", o.People, "number of `people`: 2 principal leaders, deputies, 2 admins, the rest cadres")
			fs.IntVar(&o.Indicators, "indicators", o.Indicators, "number of `indicators` (指标), each with monthly observations")
			fs.IntVar(&o.Years, "years", o.Years, "`years` of weekly reports per item, ending in late November of the plan year")
			fs.IntVar(&o.Year, "year", o.Year, "the plan `year`")
			fs.Int64Var(&o.Seed, "seed", o.Seed, "random `seed`: the same seed and flags give the same plan and history")
			return func(ctx context.Context, e *env) int {
				if *out == "" {
					fmt.Fprintln(e.stderr, "planbot gen: -o is required: the database file to create")
					return exitUsage
				}
				if err := o.validate(); err != nil {
					fmt.Fprintln(e.stderr, "planbot gen:", err)
					return exitUsage
				}
				st, err := genCounty(ctx, o, *out, *cfgOut, e.storageOptions()...)
				if err != nil {
					fmt.Fprintln(e.stderr, "planbot gen:", err)
					return exitFail
				}
				size := int64(0)
				if fi, err := os.Stat(*out); err == nil {
					size = fi.Size()
				}
				fmt.Fprintf(e.stdout, "生成完毕（generated）：%d 人、%d 个板块、%d 个事项、%d 项指标，%d 年的汇报\n",
					o.People, o.Sections, o.Items, o.Indicators, o.Years)
				fmt.Fprintf(e.stdout, "  reports       %d（其中更正 %d、撤回 %d）\n", st.Reports, st.Corrections, st.Withdrawals)
				fmt.Fprintf(e.stdout, "  observations  %d\n", st.Observations)
				fmt.Fprintf(e.stdout, "  database      %s（%.1f MiB，不含 -wal）\n", *out, float64(size)/(1<<20))
				fmt.Fprintf(e.stdout, "  took          %s\n", st.Elapsed.Round(10*time.Millisecond))
				if *cfgOut != "" {
					at := st.At.Format("2006-01-02 15:04")
					fmt.Fprintf(e.stdout, "  config        %s\n\n", *cfgOut)
					fmt.Fprintf(e.stdout, "The history ends before %s. Try:\n", at)
					fmt.Fprintf(e.stdout, "  planbot status -config %s -at %q\n", *cfgOut, at)
					fmt.Fprintf(e.stdout, "  planbot digest -config %s -at %q\n", *cfgOut, at)
				}
				return exitOK
			}
		},
	}
}

// genCounty writes the plan's YAML (to cfgPath, if not "") and creates the
// database at dbPath with the plan synced and its history. Neither file
// may exist. Reports go in one transaction per few weeks of history.
func genCounty(ctx context.Context, o genOptions, dbPath, cfgPath string, dbOpts ...storage.Option) (genStats, error) {
	begin := time.Now()
	if err := o.validate(); err != nil {
		return genStats{}, err
	}
	for _, p := range []string{dbPath, cfgPath} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return genStats{}, fmt.Errorf("%s already exists: gen only creates new files", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return genStats{}, err
		}
	}
	g := newGenerator(o)
	g.build()
	var cfg *config.Config
	var err error
	if cfgPath != "" {
		dbRef := dbPath
		if absDB, err1 := filepath.Abs(dbPath); err1 == nil {
			if absCfg, err2 := filepath.Abs(cfgPath); err2 == nil {
				if rel, err3 := filepath.Rel(filepath.Dir(absCfg), absDB); err3 == nil {
					dbRef = rel
				} else {
					dbRef = absDB
				}
			}
		}
		if err := os.WriteFile(cfgPath, []byte(g.yaml(dbRef)), 0o644); err != nil {
			return genStats{}, err
		}
		cfg, err = config.Load(cfgPath)
	} else {
		cfg, err = config.Parse("gen.yaml", []byte(g.yaml(dbPath)))
	}
	if err != nil {
		return genStats{}, fmt.Errorf("the generated plan does not load (a bug in gen): %w", err)
	}
	plan := cfg.Plan

	db, err := storage.Open(ctx, dbPath, dbOpts...)
	if err != nil {
		return genStats{}, err
	}
	defer db.Close()
	if _, err := db.SyncPlan(ctx, plan, g.first.AddDate(0, 0, -7)); err != nil {
		return genStats{}, err
	}
	st, err := g.history(ctx, db, plan)
	if err != nil {
		return genStats{}, err
	}
	st.At = g.at
	st.Elapsed = time.Since(begin)
	return st, db.Close()
}

// generator holds the random source and the plan being generated.
type generator struct {
	o   genOptions
	rng *rand.Rand
	loc *time.Location

	people     []genPerson
	sections   []genSection
	items      []genItem
	indicators []genIndicator

	first, end time.Time // the history: weekly from first, up to end (exclusive)
	at         time.Time // the Monday 08:30 after end: a digest's time
}

type genPerson struct {
	key, name, unit, invite string
	telegramID              int64
	chatID                  planbot.ChatID // where their reports come from: telegramID, or the chat an invite bound
	roles                   []string
	principal               bool
}

type genSection struct{ code, title, leader string }

type genItem struct {
	code, section, title string
	owners               []int // indexes into people
	leader               int   // the section's leader, who may report on behalf of an owner
	start, due           planbot.Date
	target               string // "" or "300亩"
	targetUnits          int64  // the target in whole base units (元, 亩 …)
	targetBase           string
	milestones           []planbot.Milestone
	pace                 float64 // share of the linear schedule the item keeps up with
	silentWeeks          int     // weeks without reports at the end of the history
}

type genIndicator struct {
	key, name, unit, accumulate string
	aliases                     []string
	target, lastYear            float64 // in unit
	pace                        float64
}

func newGenerator(o genOptions) *generator {
	loc, err := time.LoadLocation(config.DefaultTimezone)
	if err != nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	return &generator{o: o, rng: rand.New(rand.NewPCG(uint64(o.Seed), 0x706c616e626f74)), loc: loc}
}

func (g *generator) intn(n int) int { return g.rng.IntN(n) }

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

func (g *generator) between(lo, hi float64) float64 { return lo + (hi-lo)*g.rng.Float64() }

func pick[T any](g *generator, xs []T) T { return xs[g.intn(len(xs))] }

// build makes the plan: people, sections, items and indicators.
func (g *generator) build() {
	g.setClock()
	deputies, cadres := g.buildPeople()
	g.buildSections(deputies)
	g.buildItems(cadres)
	g.buildIndicators()
}

// setClock sets the history's span: weekly, ending on 28 November of the
// plan year, and the digest's time the Monday after.
func (g *generator) setClock() {
	o := g.o
	g.end = time.Date(o.Year, time.November, 28, 0, 0, 0, 0, g.loc)
	g.first = time.Date(o.Year-o.Years+1, time.January, 1, 0, 0, 0, 0, g.loc)
	for g.first.Weekday() != time.Monday {
		g.first = g.first.AddDate(0, 0, -1)
	}
	g.at = g.end
	for g.at.Weekday() != time.Monday {
		g.at = g.at.AddDate(0, 0, 1)
	}
	g.at = g.at.Add(8*time.Hour + 30*time.Minute)
}

// buildPeople adds two principal leaders, deputies leading the sections,
// two admins, cadres, and returns the indexes of the deputies and the
// cadres.
func (g *generator) buildPeople() (deputyIdx, cadreIdx []int) {
	o := g.o
	deputies := max(1, min(o.Sections, o.People/10))
	admins := 2
	if o.People < 8 {
		admins = 1
	}
	cadres := o.People - 2 - deputies - admins // ≥ 1 for any valid -people
	g.addPerson("shuji", "县委", []string{"leader"}, true)
	g.addPerson("xianzhang", "县政府", []string{"leader"}, true)
	for i := range deputies {
		deputyIdx = append(deputyIdx, g.addPerson(fmt.Sprintf("deputy%02d", i+1), pick(g, []string{"县委", "县政府"}), []string{"leader"}, false))
	}
	for i := range admins {
		g.addPerson(fmt.Sprintf("admin%d", i+1), "县委办", []string{"admin"}, false)
	}
	for i := range cadres {
		unit := genUnits[i%len(genUnits)]
		idx := g.addPerson(fmt.Sprintf("cadre%03d", i+1), unit, []string{"cadre"}, false)
		if i%15 == 14 {
			// The office does not know every cadre's Telegram id: these
			// bind with an invite.
			p := &g.people[idx]
			p.invite = fmt.Sprintf("GEN%03dX%04d", i+1, g.intn(10000))
			p.telegramID = 0
			p.chatID = telegram.ChatID(800000001 + int64(i))
		}
		cadreIdx = append(cadreIdx, idx)
	}
	return deputyIdx, cadreIdx
}

// addPerson adds the next person, named and numbered by their place, and
// returns their index.
func (g *generator) addPerson(key, unit string, roles []string, principal bool) int {
	n := len(g.people)
	p := genPerson{key: key, name: genName(n), unit: unit, roles: roles, principal: principal,
		telegramID: 300000001 + int64(n)}
	p.chatID = telegram.ChatID(p.telegramID)
	g.people = append(g.people, p)
	return n
}

func (g *generator) buildSections(deputyIdx []int) {
	for i := range g.o.Sections {
		title := fmt.Sprintf("重点工作（%d）", i+1)
		if i < len(genSectionTitles) {
			title = genSectionTitles[i]
		}
		g.sections = append(g.sections, genSection{code: strconv.Itoa(i + 1), title: title,
			leader: g.people[deputyIdx[i%len(deputyIdx)]].key})
	}
}

// buildItems deals the items round the sections, the cadres in turn
// owning them.
func (g *generator) buildItems(cadreIdx []int) {
	perSection := make([]int, g.o.Sections)
	for i := range g.o.Items {
		s := i % g.o.Sections
		perSection[s]++
		it := genItem{
			code:    fmt.Sprintf("%d.%d", s+1, perSection[s]),
			section: g.sections[s].code,
			title:   pick(g, genPlaces) + pick(g, genTasks),
		}
		for idx, p := range g.people {
			if p.key == g.sections[s].leader {
				it.leader = idx
			}
		}
		it.owners = []int{cadreIdx[i%len(cadreIdx)]}
		for extra := g.intn(3); extra > 0 && len(it.owners) < len(cadreIdx); extra-- {
			c := pick(g, cadreIdx)
			if !slices.Contains(it.owners, c) {
				it.owners = append(it.owners, c)
			}
		}
		g.schedule(&it)
		g.items = append(g.items, it)
	}
}

// schedule gives the item its dates, maybe a target and milestones, and
// how well it keeps up.
func (g *generator) schedule(it *genItem) {
	year := g.o.Year
	yearStart := planbot.Date{Year: year, Month: time.January, Day: 4}
	it.start = yearStart
	if g.chance(0.5) {
		it.start = yearStart.AddDays(g.intn(90))
	}
	dues := []planbot.Date{
		{Year: year, Month: time.June, Day: 30}, {Year: year, Month: time.September, Day: 30},
		{Year: year, Month: time.October, Day: 31}, {Year: year, Month: time.November, Day: 15},
		{Year: year, Month: time.November, Day: 30}, {Year: year, Month: time.December, Day: 31},
		{Year: year, Month: time.December, Day: 31}, {Year: year, Month: time.December, Day: 31},
	}
	it.due = pick(g, dues)
	if g.chance(0.55) {
		tg := pick(g, genTargets)
		units := int64(tg.lo + g.intn(tg.hi-tg.lo+1))
		it.target = fmt.Sprintf("%d%s", units, tg.unit)
		it.targetBase, it.targetUnits = tg.unit, units
		if tg.unit == "万元" {
			it.targetBase, it.targetUnits = "元", units*10000
		}
	}
	if span := it.start.DaysUntil(it.due); span > 60 && g.chance(0.4) {
		k := 1 + g.intn(2)
		for j := 1; j <= k; j++ {
			d := it.start.AddDays(span * j / (k + 1))
			pct := math.Round(100*float64(j)/float64(k+1)) + float64(g.intn(11)-5)
			it.milestones = append(it.milestones, planbot.Milestone{Date: d, Percent: pct})
		}
	}
	it.pace = g.between(0.85, 1.3)
	if g.chance(0.25) {
		it.pace = g.between(0.4, 0.8) // behind: at risk, or overdue once due
	}
	if g.chance(0.06) {
		it.silentWeeks = 3 + g.intn(6)
	}
}

func (g *generator) buildIndicators() {
	for i := range g.o.Indicators {
		var ind genIndicator
		if i < len(genIndicatorSpecs) {
			ind = genIndicatorSpecs[i]
		} else {
			ind = genIndicator{key: fmt.Sprintf("indicator_%d", i+1), name: fmt.Sprintf("重点指标%d", i+1),
				aliases: []string{fmt.Sprintf("指标%d", i+1)}, unit: "个", accumulate: "ytd",
				target: float64(100 + g.intn(900)), lastYear: 0}
			ind.lastYear = math.Round(ind.target * g.between(0.85, 0.98))
		}
		ind.pace = g.between(0.85, 1.1)
		g.indicators = append(g.indicators, ind)
	}
}

// yaml renders the plan; every string is double-quoted.
func (g *generator) yaml(dbPath string) string {
	o := g.o
	q := strconv.Quote
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# 由 planbot gen 生成的县级示例计划（generated by planbot gen）：\n")
	w("#   planbot gen -sections %d -items %d -people %d -indicators %d -years %d -year %d -seed %d\n",
		o.Sections, o.Items, o.People, o.Indicators, o.Years, o.Year, o.Seed)
	w("# 人名、单位、事项和数字都是随机生成的，只用于测算服务器规模和性能测试。\n\n")
	w("year: %d\ntimezone: %s\ndatabase: %s\n\n", o.Year, config.DefaultTimezone, q(dbPath))
	w("bot:\n  token_env: %s\n  api_endpoint: \"\"\n  admin_chat: 0\n  undo_window: 24h\n  value_jump_share: 0.5\n", config.DefaultTokenEnv)
	w("  send_limits:\n    per_second: 30\n    per_chat_seconds: 1\n    per_group_per_minute: 20\n\n")
	w("rules:\n  tolerance: 10\n  silent_days: 14\n  indicator_tolerance: 5\n\n")
	w("people:\n")
	for _, p := range g.people {
		w("  - key: %s\n    name: %s\n", p.key, q(p.name))
		if p.telegramID != 0 {
			w("    telegram_id: %d\n", p.telegramID)
		}
		if p.invite != "" {
			w("    invite: %s\n", q(p.invite))
		}
		w("    roles: [%s]\n    unit: %s\n", strings.Join(p.roles, ", "), q(p.unit))
		if p.principal {
			w("    principal: true\n")
		}
	}
	w("\nsections:\n")
	for _, s := range g.sections {
		w("  - code: %s\n    title: %s\n    leader: %s\n", q(s.code), q(s.title), s.leader)
	}
	w("\nitems:\n")
	for _, it := range g.items {
		w("  - code: %s\n    section: %s\n    title: %s\n", q(it.code), q(it.section), q(it.title))
		owners := make([]string, len(it.owners))
		for i, o := range it.owners {
			owners[i] = g.people[o].key
		}
		w("    owners: [%s]\n    start: %s\n    due: %s\n", strings.Join(owners, ", "), it.start, it.due)
		if it.target != "" {
			w("    target: %s\n", q(it.target))
		}
		if len(it.milestones) > 0 {
			w("    milestones:\n")
			for _, m := range it.milestones {
				w("      - date: %s\n        percent: %g\n", m.Date, m.Percent)
			}
		}
	}
	if len(g.indicators) > 0 {
		w("\nindicators:\n")
		for _, ind := range g.indicators {
			aliases := make([]string, len(ind.aliases))
			for i, a := range ind.aliases {
				aliases[i] = q(a)
			}
			w("  - key: %s\n    name: %s\n    aliases: [%s]\n    unit: %s\n    target: %s\n    last_year: %s\n    accumulate: %s\n",
				ind.key, q(ind.name), strings.Join(aliases, ", "), q(ind.unit),
				q(strconv.FormatFloat(ind.target, 'f', -1, 64)), q(strconv.FormatFloat(ind.lastYear, 'f', -1, 64)), ind.accumulate)
		}
	}
	w(`
reminders:
  - name: overdue_daily
    kind: overdue
    cron: "0 9 * * *"
    to: [owners]
    workdays_only: true
  - name: due_soon_check
    kind: due_soon
    cron: "0 9 * * 1,3"
    to: [owners]
    workdays_only: true
    within_days: 3
  - name: escalate_ladder
    kind: escalate
    cron: "0 10 * * *"
    to: [owners]
    workdays_only: true
    within_days: 3
    leader_after_days: 3
    principal_after_days: 10
  - name: thursday_report_nudge
    kind: report_request
    cron: "0 16 * * 4"
    to: [owners]
    workdays_only: true
    since: monday
  - name: weekly_digest
    kind: digest
    cron: "30 8 * * 1"
    to: ["role:leader"]
    workdays_only: false

reminder_limits:
  per_person_per_day: 3
  quiet_hours: "21:00-08:00"
  catch_up_window: 6h
`)
	return b.String()
}

// genEvent is one report to insert: a progress report, or a correction or
// withdrawal of the one before it.
type genEvent struct {
	r      planbot.Report
	of     *genEvent // the report this one supersedes
	stored int64     // its ID once inserted
}

// history inserts the reports, week by week in time order, and the
// indicators' monthly observations.
func (g *generator) history(ctx context.Context, db *storage.DB, plan *planbot.Plan) (genStats, error) {
	var st genStats
	states := make([]genProgress, len(g.items))
	msgID := map[planbot.ChatID]int{}
	const weeksPerTx = 8
	var batch genBatch
	week := 0
	for monday := g.first; monday.Before(g.end); monday = monday.AddDate(0, 0, 7) {
		for i := range g.items {
			batch = append(batch, g.weekReports(monday, &g.items[i], &states[i], msgID, &st)...)
		}
		week++
		if week%weeksPerTx == 0 {
			if err := batch.flush(ctx, db); err != nil {
				return st, err
			}
		}
	}
	if err := batch.flush(ctx, db); err != nil {
		return st, err
	}

	n, err := g.observations(ctx, db, plan)
	st.Observations = n
	return st, err
}

// genProgress is where an item's reports have got to in the year it is in.
type genProgress struct {
	percent float64
	done    bool
	cycle   int // the year the item's progress belongs to
}

// genBatch is the reports of a few weeks, inserted in one transaction.
type genBatch []*genEvent

// flush inserts the batch in time order and empties it.
func (b *genBatch) flush(ctx context.Context, db *storage.DB) error {
	batch := *b
	if len(batch) == 0 {
		return nil
	}
	slices.SortStableFunc(batch, func(x, y *genEvent) int { return x.r.At.Compare(y.r.At) })
	err := db.InSession(ctx, func(s planbot.Tx) error {
		for _, ev := range batch {
			if ev.of != nil {
				ev.r.Supersedes = ev.of.stored
			}
			out, err := s.AddReport(ctx, ev.r)
			if err != nil {
				return err
			}
			ev.stored = out.ID
		}
		return nil
	})
	*b = batch[:0]
	return err
}

// weekReports makes the item's reports in the week from monday: none, one,
// or one and its withdrawal or correction.
func (g *generator) weekReports(monday time.Time, it *genItem, s *genProgress, msgID map[planbot.ChatID]int, st *genStats) []*genEvent {
	y := monday.Year()
	if s.cycle != y {
		*s = genProgress{cycle: y}
	}
	// The item's schedule in year y: the plan's own dates in the plan
	// year, the whole working year before.
	start := time.Date(y, time.January, 3, 0, 0, 0, 0, g.loc)
	due := time.Date(y, time.December, 25, 0, 0, 0, 0, g.loc)
	pace := 1.0
	if y == g.o.Year {
		start, due = it.start.Start(g.loc), it.due.End(g.loc)
		pace = it.pace
		if !monday.Before(g.end.AddDate(0, 0, -7*it.silentWeeks)) {
			return nil
		}
	}
	if monday.Before(start.AddDate(0, 0, -6)) || s.done || g.chance(0.02) {
		return nil
	}
	if y != g.o.Year && monday.After(due) {
		return nil
	}
	at := monday.Add(time.Duration(g.intn(5))*24*time.Hour + time.Duration(8*60+g.intn(10*60))*time.Minute)
	if at.Before(start) {
		at = start.Add(time.Duration(9*60+g.intn(8*60)) * time.Minute)
	}
	if !at.Before(g.end) {
		return nil
	}
	share := float64(at.Sub(start)) / float64(due.Sub(start))
	p := math.Round(100*pace*share + g.between(-4, 4))
	if at.After(due) && s.percent < 100 {
		p = s.percent + float64(g.intn(4)) // late, still creeping
	}
	p = max(p, s.percent, 0)
	if y != g.o.Year && !monday.AddDate(0, 0, 7).Before(due) {
		p = 100 // every past year's item got done
	}
	r, p := g.progressReport(it, s, at, p, msgID)
	ev := &genEvent{r: r}
	st.Reports++
	if f := g.followUp(ev, p, s, msgID, st); f != nil {
		return []*genEvent{ev, f}
	}
	return []*genEvent{ev}
}

// progressReport is the item's report at at, saying p percent: done, an
// amount or a percentage, now and then with a photo or as of an earlier
// day. It returns the percentage it settles on.
func (g *generator) progressReport(it *genItem, s *genProgress, at time.Time, p float64, msgID map[planbot.ChatID]int) (planbot.Report, float64) {
	r := planbot.Report{ItemCode: it.code, At: at, Note: pick(g, genNotes)}
	g.reporter(&r, it, msgID)
	switch {
	case p >= 100:
		r.Done = true
		s.done = true
		p = 100
	case it.targetUnits > 0 && g.chance(0.25):
		r.Value = &planbot.Amount{Value: planbot.DecimalFromInt(int64(math.Round(float64(it.targetUnits) * p / 100))), Unit: it.targetBase}
	default:
		r.Percent = &p
	}
	s.percent = p
	if g.chance(0.1) {
		r.PhotoIDs = []string{fmt.Sprintf("%s:AgACAgUAAxkBAAI%06d", telegram.Platform, g.intn(1000000))}
	}
	if g.chance(0.02) {
		d := planbot.DateOf(at.In(g.loc)).AddDays(-1 - g.intn(5))
		r.AsOf = &d
	}
	return r, p
}

// followUp is, now and then, the report's withdrawal by its sender within
// the hour (/undo) or its correction; nil mostly.
func (g *generator) followUp(ev *genEvent, p float64, s *genProgress, msgID map[planbot.ChatID]int, st *genStats) *genEvent {
	r := ev.r
	at := r.At
	switch {
	case g.chance(0.01) && !r.Done:
		msgID[r.ChatID] += 2
		w := planbot.Report{ItemCode: r.ItemCode, Reporter: r.Reporter, At: at.Add(time.Duration(5+g.intn(50)) * time.Minute),
			Withdrawn: true, ChatID: r.ChatID, MessageID: msgID[r.ChatID] - 1}
		st.Reports++
		st.Withdrawals++
		return &genEvent{r: w, of: ev}
	case g.chance(0.02) && r.Percent != nil:
		c := r
		c.At = at.Add(time.Duration(60+g.intn(120)) * time.Minute)
		cp := math.Min(99, math.Max(0, p+float64(g.intn(11)-5)))
		c.Percent = &cp
		c.Note = "更正：" + c.Note
		c.PhotoIDs, c.AsOf = nil, nil
		msgID[r.ChatID] += 2
		c.MessageID = msgID[r.ChatID] - 1
		st.Reports++
		st.Corrections++
		s.percent = max(s.percent, cp)
		return &genEvent{r: c, of: ev}
	}
	return nil
}

// reporter sets who sent r: mostly the first owner, sometimes another
// owner, now and then the leader in charge on an owner's behalf.
func (g *generator) reporter(r *planbot.Report, it *genItem, msgID map[planbot.ChatID]int) {
	who := it.owners[0]
	switch x := g.rng.Float64(); {
	case x < 0.08:
		r.OnBehalfOf = g.people[it.owners[0]].key
		who = it.leader
	case x < 0.3:
		who = pick(g, it.owners)
	}
	p := g.people[who]
	r.Reporter, r.ChatID = p.key, p.chatID
	msgID[p.chatID] += 2 // the report and the bot's echo
	r.MessageID = msgID[p.chatID] - 1
}

// observations adds each indicator's figure at the end of every month of
// the history: year to date for ytd indicators, the level for the others.
func (g *generator) observations(ctx context.Context, db *storage.DB, plan *planbot.Plan) (int, error) {
	if len(g.indicators) == 0 {
		return 0, nil
	}
	reporter := ""
	for _, p := range g.people {
		if slices.Contains(p.roles, "admin") {
			reporter = p.key
			break
		}
	}
	n := 0
	err := db.InSession(ctx, func(s planbot.Tx) error {
		for month := g.first; ; month = month.AddDate(0, 1, 0) {
			at := month.AddDate(0, 1, 0).Add(-7 * time.Hour) // 17:00 on the last day of the month
			if !at.Before(g.end) {
				return nil
			}
			back := g.o.Year - at.Year() // years before the plan year
			for i, ind := range g.indicators {
				annual := ind.target / math.Pow(1.08, float64(back))
				if back > 0 {
					annual = ind.lastYear / math.Pow(1.08, float64(back-1))
				}
				var v float64
				if ind.accumulate == "level" {
					v = annual * g.between(0.97, 1.0)
				} else {
					share := float64(at.Month()) / 12
					pace := 1.0
					if back == 0 {
						pace = ind.pace
					}
					v = annual * share * pace * g.between(0.97, 1.03)
				}
				amt, err := planbot.ParseAmountIn(strconv.FormatFloat(v, 'f', 2, 64), ind.unit)
				if err != nil {
					return fmt.Errorf("indicator %s: %w", ind.key, err)
				}
				o, err := s.AddObservation(ctx, planbot.Observation{Indicator: plan.Indicators[i].Key,
					At: at.Add(time.Duration(i) * time.Minute), Value: amt, Reporter: reporter, Note: "统计局月报"})
				if err != nil {
					return err
				}
				n++
				if g.chance(0.03) {
					fixed, err := planbot.ParseAmountIn(strconv.FormatFloat(v*g.between(0.98, 1.02), 'f', 2, 64), ind.unit)
					if err != nil {
						return err
					}
					if _, err := s.AddObservation(ctx, planbot.Observation{Indicator: o.Indicator, At: o.At.Add(2 * time.Hour),
						Value: fixed, Reporter: reporter, Note: "更正：统计局核定数", Supersedes: o.ID}); err != nil {
						return err
					}
					n++
				}
			}
		}
	})
	return n, err
}

// genName is the nth of a few thousand distinct two- or three-character
// names.
func genName(n int) string {
	s, gv := []rune(genSurnames), genGiven
	return string(s[n%len(s)]) + gv[(n/len(s)+3*(n%len(s)))%len(gv)]
}

const genSurnames = "张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"

var genGiven = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
	"秀兰", "霞", "平", "刚", "桂英", "建华", "国强", "志刚", "海燕", "红梅", "建军", "文斌", "晓东", "玉兰", "春生", "立新",
	"卫东", "爱民", "振华", "德胜", "永福", "红霞", "建国"}

var genUnits = []string{"城关镇", "城东街道", "城西街道", "新集镇", "王店镇", "李庄镇", "张楼乡", "刘湾镇", "陈集镇", "马店镇",
	"周寨乡", "高庙镇", "双河镇", "三里镇", "九龙乡", "县发改局", "县财政局", "县工信局", "县商务局", "县农业农村局", "县水利局",
	"县交通运输局", "县住建局", "县自然资源局", "县生态环境分局", "县应急管理局", "县教育局", "县卫健委", "县文旅局", "县民政局",
	"县人社局", "县市场监管局", "县信访局", "县乡村振兴局", "县城管局"}

var genSectionTitles = []string{"强化党的建设", "稳住经济运行", "招商引资攻坚", "重点项目建设", "工业提质增效", "农业农村现代化",
	"乡村振兴示范", "城乡建设提升", "交通水利补短板", "生态环境保护", "安全生产监管", "基层社会治理", "信访维稳", "民生保障兜底",
	"教育事业发展", "卫生健康服务", "文化旅游融合", "优化营商环境", "财政金融保障", "机关作风建设"}

var genPlaces = []string{"城关镇", "城东街道", "城西街道", "新集镇", "王店镇", "李庄镇", "张楼乡", "刘湾镇", "陈集镇", "马店镇",
	"周寨乡", "高庙镇", "双河镇", "三里镇", "九龙乡", "县城", "经开区", "高新区", "东风村", "红旗村", "胜利村", "北湖村", "南岭村",
	"全县", "全县"}

var genTasks = []string{"推进高标准农田建设", "完成农村公路提档升级", "新建村级光伏电站", "实施老旧小区改造", "开展安全生产大检查",
	"建设污水处理设施", "建设标准化厂房", "引进亿元以上项目", "新增规上工业企业", "开展招商推介活动", "推进户厕改造",
	"建设乡村振兴示范村", "化解信访积案", "建设数字乡村平台", "完成学校扩容改造", "提升乡镇卫生院", "建设养老服务中心",
	"打造特色农产品品牌", "发展设施农业", "推进秸秆综合利用", "整治农村人居环境", "建设便民服务中心", "开展消防隐患排查",
	"推进河湖长制落实", "完成造林绿化任务", "建设冷链物流设施", "培育电商直播基地", "推进土地综合整治", "开展矛盾纠纷排查",
	"新增城镇就业岗位", "落实耕地保护责任", "推进燃气管道改造", "建设口袋公园", "推进雨污分流改造", "开展文明城市创建"}

var genNotes = []string{"", "", "", "按计划推进", "已召开专题推进会", "正在办理用地手续", "施工队已进场", "已完成现场踏勘",
	"资金已拨付到位", "已与企业签订协议", "正在组织验收", "部分村进度偏慢，正在督促", "受天气影响略有延误", "已完成招标",
	"已上报县里审批", "材料已整理归档", "已组织入户走访", "完成阶段性任务", "设备已安装调试", "已落实责任人"}

type genTarget struct {
	unit   string
	lo, hi int
}

var genTargets = []genTarget{{"个", 2, 30}, {"亩", 100, 5000}, {"户", 50, 1500}, {"万元", 50, 8000}, {"公里", 5, 80},
	{"家", 10, 300}, {"场", 4, 60}, {"人次", 100, 3000}, {"处", 5, 120}}

var genIndicatorSpecs = []genIndicator{
	{key: "fixed_asset_investment", name: "固定资产投资", aliases: []string{"固投", "固定资产"}, unit: "亿元", target: 65, lastYear: 52, accumulate: "ytd"},
	{key: "tax_revenue", name: "工商税收", aliases: []string{"税收", "工商税"}, unit: "万元", target: 41200, lastYear: 38500, accumulate: "ytd"},
	{key: "investment_attracted", name: "招商引资到位资金", aliases: []string{"招商引资", "到位资金"}, unit: "亿元", target: 32, lastYear: 30.4, accumulate: "ytd"},
	{key: "industrial_output", name: "规模以上工业产值", aliases: []string{"规上工业产值", "工业产值"}, unit: "亿元", target: 950, lastYear: 865, accumulate: "ytd"},
	{key: "export_value", name: "外贸出口额", aliases: []string{"外贸出口", "出口额"}, unit: "万元", target: 26000, lastYear: 23500, accumulate: "ytd"},
	{key: "retail_sales", name: "社会消费品零售总额", aliases: []string{"社零", "社零总额"}, unit: "亿元", target: 120, lastYear: 112, accumulate: "ytd"},
	{key: "budget_revenue", name: "一般公共预算收入", aliases: []string{"财政收入", "预算收入"}, unit: "万元", target: 98000, lastYear: 91000, accumulate: "ytd"},
	{key: "new_market_entities", name: "新增市场主体", aliases: []string{"市场主体"}, unit: "户", target: 3600, lastYear: 3300, accumulate: "ytd"},
	{key: "new_jobs", name: "城镇新增就业", aliases: []string{"新增就业"}, unit: "人", target: 5200, lastYear: 4900, accumulate: "ytd"},
	{key: "forest_coverage", name: "森林覆盖率", aliases: []string{"森林覆盖"}, unit: "%", target: 42.5, lastYear: 41.8, accumulate: "level"},
}
