// Package ledger lays out the plan as the ledger (台账) every township
// office keeps: one sheet of items with their status, one of the key
// indicators, and the full log of reports, corrections and withdrawals
// included. It makes a Book, every cell with its value and style; package
// ledger/xlsx writes a Book as an Excel workbook. The two are apart so that
// `planbot run` never links the spreadsheet library (issue 15): run lays
// the book out and planbot-render writes the file.
//
// Every text that came from a user (titles, notes, names) is stored as a
// string cell (an inline string), never as a formula, so a note such as
// "=1+1" or "=HYPERLINK(…)" is shown as typed and never evaluated; the
// tests check the file's XML and how LibreOffice reads it. Dates and times
// are real Excel dates (numbers with a date format) holding the wall clock
// of the plan's time zone, so they sort, filter and compute.
package ledger

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"planbot"
)

// Sheet names, in the order the sheets appear.
const (
	SheetItems        = "事项台账"
	SheetIndicators   = "指标"
	SheetReports      = "汇报记录"
	SheetObservations = "指标填报记录" // only when observations are given
	SheetNotes        = "说明全文"   // only when a text is too long for its cell
	SheetLeaves       = "请假记录"   // only when someone has a leave, in the plan or said in chat
)

// ContentType is the MIME type of the workbook, for an upload.
const ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// Headers of each sheet, in column order.
var (
	ItemHeaders        = []string{"编号", "板块", "事项", "目标", "责任人", "分管领导", "请假", "开始日期", "截止日期", "状态", "进度", "完成量", "最近汇报", "最近汇报日期", "逾期天数"}
	IndicatorHeaders   = []string{"指标", "单位", "全年目标", "当前值", "完成率", "时间进度", "同比", "判断", "数据时间", "备注"}
	ReportHeaders      = []string{"编号", "事项", "汇报人", "代报对象", "时间", "补报日期", "内容", "说明", "佐证材料数", "是否已被更正"}
	ObservationHeaders = []string{"编号", "指标", "数值", "单位", "时间", "填报人", "内容", "说明", "是否已被更正"}
	// NoteHeaders: where a long text stands (sheet, cell, the row's 编号
	// and the column) and the text itself, in parts of a printable height.
	NoteHeaders = []string{"所在表", "单元格", "编号", "栏目", "段", "全文"}
	// LeaveHeaders: one row per leave; 状态 is as at the ledger's time.
	LeaveHeaders = []string{"人员", "单位", "开始日期", "结束日期", "天数", "状态", "登记方式", "登记时间", "说明"}
)

// StatusColors are the fill colours (RGB hex) of the status cells, the
// chat's marks in a spreadsheet: 🔴 🟡 🔕 ⚪ 🟢 ✅.
var StatusColors = map[planbot.Status]string{
	planbot.StatusOverdue:    "E74C3C", // red
	planbot.StatusAtRisk:     "FFD966", // yellow
	planbot.StatusNoReport:   "A6A6A6", // grey
	planbot.StatusNotStarted: "EDEDED", // light grey
	planbot.StatusOnTrack:    "A9D08E", // green
	planbot.StatusDone:       "548235", // dark green
}

// statusFonts are the text colours that stay readable on each fill.
var statusFonts = map[planbot.Status]string{
	planbot.StatusOverdue:    "FFFFFF",
	planbot.StatusAtRisk:     "000000",
	planbot.StatusNoReport:   "000000",
	planbot.StatusNotStarted: "595959",
	planbot.StatusOnTrack:    "000000",
	planbot.StatusDone:       "FFFFFF",
}

// Number formats of the date and time cells.
const (
	DateFormat     = "yyyy-mm-dd"
	DateTimeFormat = "yyyy-mm-dd hh:mm"
)

// FileName is a name for the workbook as at at, e.g. "2027年度工作台账_20270615.xlsx".
func FileName(plan *planbot.Plan, at time.Time) string {
	return fmt.Sprintf("%d年度工作台账_%s.xlsx", plan.Year, at.In(zone(plan)).Format("20060102"))
}

// Source is where Load reads the history; storage.DB and the bot's Store
// have these methods.
type Source interface {
	AllReports(ctx context.Context) (map[string][]planbot.Report, error)
	LatestObservations(ctx context.Context, from, to time.Time) (map[string]planbot.Observation, error)
	IndicatorObservations(ctx context.Context, key string) ([]planbot.Observation, error)
}

// LeaveSource is a Source that also keeps the leaves said in chat
// (storage.DB and storage.Session do); Load reads them from a src that
// is one.
type LeaveSource interface {
	Leaves(ctx context.Context) ([]planbot.Leave, error)
}

// Data is what a ledger is written from.
type Data struct {
	Reports      map[string][]planbot.Report      // every item's full history
	Latest       map[string]planbot.Observation   // each indicator's latest effective figure in the plan year, up to at
	Observations map[string][]planbot.Observation // each plan indicator's full history
	// Leaves are the leaves said in chat; the plan's own (YAML) are added
	// when the ledger is written.
	Leaves []planbot.Leave
}

// Load reads every report, each indicator's latest figure up to at (as
// the status command does) and each plan indicator's full history.
//
// With past set (a ledger for a moment gone by) rows stamped after at are
// left out, so the ledger is what it would have been then. For "now" leave
// it unset: a report stamped a second after at is the clocks disagreeing,
// and planbot.DeriveStatus counts it.
func Load(ctx context.Context, src Source, plan *planbot.Plan, at time.Time, past bool) (Data, error) {
	var d Data
	var err error
	if d.Reports, err = src.AllReports(ctx); err != nil {
		return d, err
	}
	from, to := plan.ObservedBy(at)
	if d.Latest, err = src.LatestObservations(ctx, from, to); err != nil {
		return d, err
	}
	d.Observations = make(map[string][]planbot.Observation, len(plan.Indicators))
	for _, ind := range plan.Indicators {
		if d.Observations[ind.Key], err = src.IndicatorObservations(ctx, ind.Key); err != nil {
			return d, err
		}
	}
	if ls, ok := src.(LeaveSource); ok {
		if d.Leaves, err = ls.Leaves(ctx); err != nil {
			return d, err
		}
	}
	if past {
		// New maps: what src returned may be shared (a cache) and is
		// never written to.
		reports := make(map[string][]planbot.Report, len(d.Reports))
		for code, rs := range d.Reports {
			reports[code] = until(rs, at, func(r planbot.Report) time.Time { return r.At })
		}
		d.Reports = reports
		for key, obs := range d.Observations {
			d.Observations[key] = until(obs, at, func(o planbot.Observation) time.Time { return o.At })
		}
		// A leave said after at was not known then. (One ended early by
		// 销假 shows as ended: the database keeps only its new end.)
		d.Leaves = until(d.Leaves, at, func(l planbot.Leave) time.Time { return l.At })
	}
	return d, nil
}

// until returns, in a new slice, the rows stamped at or before at.
func until[T any](rows []T, at time.Time, stamp func(T) time.Time) []T {
	out := rows[:0:0]
	for _, r := range rows {
		if !stamp(r).After(at) {
			out = append(out, r)
		}
	}
	return out
}

// Export is the ledger as at at: Load, the plan's Overview and Lay in one
// call, for the chat's /export. past is Load's.
func Export(ctx context.Context, src Source, plan *planbot.Plan, at time.Time, past bool) (*Book, error) {
	d, err := Load(ctx, src, plan, at, past)
	if err != nil {
		return nil, err
	}
	return Lay(plan, plan.Overview(d.Reports, d.Latest, at), d, at)
}

// Lay lays out the ledger as at at: the sheets 事项台账 (one row per item
// of ov, in plan order), 指标 (one row per indicator of ov) and 汇报记录
// (every report row in d.Reports, superseded ones and withdrawals
// included, oldest first). When d.Observations is not nil (each
// indicator's full history, as storage.IndicatorObservations gives it) a
// fourth sheet 指标填报记录 lists them the same way.
//
// The 请假 column of 事项台账 names the owners and leader away on the day
// of at, and a sheet 请假记录 lists every leave (the plan's and d.Leaves)
// when there is any. d.Latest is not read: ov holds the figures.
//
// ov should be plan.Overview at at over the same reports; reports and
// observations are laid out as given, so a caller exporting a past moment
// leaves out the rows that came after it.
func Lay(plan *planbot.Plan, ov planbot.Overview, d Data, at time.Time) (*Book, error) {
	reports, observations := d.Reports, d.Observations
	b := &book{out: &Book{}, plan: plan, loc: zone(plan), styles: map[styleKey]int{},
		items: map[string]planbot.Item{}, people: map[string]planbot.Person{}}
	b.today = planbot.DateOf(at.In(b.loc))
	b.leaves = append(slices.Clip(plan.Leaves), d.Leaves...)
	for _, it := range plan.Items {
		b.items[it.Code] = it
	}
	for _, p := range plan.People {
		b.people[p.Key] = p
	}

	b.itemSheet(ov)
	b.indicatorSheet(ov)
	b.reportSheet(reports)
	if observations != nil {
		b.observationSheet(observations)
	}
	if len(b.leaves) > 0 {
		b.leaveSheet()
	}
	if b.notes != nil {
		b.notes.finish()
	}
	b.props(at)
	if b.err != nil {
		return nil, fmt.Errorf("ledger: %w", b.err)
	}
	return b.out, nil
}

func zone(plan *planbot.Plan) *time.Location {
	if plan == nil || plan.Location == nil {
		return time.UTC
	}
	return plan.Location
}

// book is a ledger being laid out. The first error sticks and makes every
// later call a no-op, so the sheet builders read as straight lines.
type book struct {
	out    *Book
	plan   *planbot.Plan
	loc    *time.Location
	items  map[string]planbot.Item   // by code
	people map[string]planbot.Person // by key
	styles map[styleKey]int
	notes  *sheet // SheetNotes, made by the first text too long for its cell
	leaves []planbot.Leave
	today  planbot.Date // the day of the ledger's time, in the plan's zone
	err    error
}

func (b *book) fail(err error) {
	if b.err == nil && err != nil {
		b.err = err
	}
}

func (b *book) props(at time.Time) {
	title := fmt.Sprintf("%d 年度工作计划台账（截至 %s）", b.plan.Year, at.In(b.loc).Format("2006-01-02 15:04"))
	b.out.Props = Props{
		Title:       title,
		Subject:     title,
		Creator:     "planbot",
		Description: "由 planbot 导出；状态按截至时间推算。",
		Created:     at.UTC().Format(time.RFC3339),
		Modified:    at.UTC().Format(time.RFC3339),
		Language:    "zh-CN",
	}
}

// styleKey names a style: its kind and what varies within the kind.
type styleKey struct{ kind, a, b string }

// style returns the id of the style key, made by mk the first time.
func (b *book) style(key styleKey, mk func() Style) int {
	if id, ok := b.styles[key]; ok {
		return id
	}
	b.out.Styles = append(b.out.Styles, mk())
	id := len(b.out.Styles)
	b.styles[key] = id
	return id
}

func (b *book) headerStyle() int {
	return b.style(styleKey{kind: "header"}, func() Style {
		return Style{Bold: true, Fill: "DDEBF7", BottomBorder: "808080", Horizontal: "center", Vertical: "center"}
	})
}

func (b *book) textStyle(wrap bool) int {
	key := styleKey{kind: "text"}
	if wrap {
		key.a = "wrap"
	}
	return b.style(key, func() Style {
		return Style{Vertical: "top", Wrap: wrap}
	})
}

func (b *book) numFmtStyle(format, align string) int {
	return b.style(styleKey{"number", format, align}, func() Style {
		return Style{NumFmt: format, Horizontal: align, Vertical: "top"}
	})
}

func (b *book) centered() int {
	return b.style(styleKey{kind: "center"}, func() Style {
		return Style{Horizontal: "center", Vertical: "top"}
	})
}

func (b *book) statusStyle(s planbot.Status) int {
	fill, ok := StatusColors[s]
	if !ok {
		return b.textStyle(false)
	}
	return b.style(styleKey{kind: "status", a: string(s)}, func() Style {
		return Style{Bold: true, FontColor: statusFonts[s], Fill: fill, Horizontal: "center", Vertical: "top"}
	})
}

// sheet is one table being built: a header row, then rows of cells, each
// cell measured so the columns can be sized to fit. finish lays it out as
// a Sheet of the Book: column widths must precede the rows in the file.
type sheet struct {
	b        *book
	name     string
	headers  []string
	maxLines int      // the most lines a row is given; longer text goes to SheetNotes
	rows     [][]Cell // rows[0] is the header
	lines    []int    // how many lines each row's wrapped text needs
	widths   []int    // display width of the widest cell of each column
	caps     []int    // the widest a column may grow before its text wraps
}

// Column width caps; a column wider than its cap wraps instead.
const (
	capDefault = 30
	capLong    = 50
	capNote    = 80
)

// maxLines is the most lines of text a row is given, and itemLines the
// most in 事项台账, which is read (and printed) as a summary. Excel allows
// rows up to 409 points (26 lines), but a row that tall fills most of a
// printed page and hides the rows around it on screen. A longer text shows
// its start and where the rest is: in SheetNotes, whole, in parts of at
// most maxLines lines, so every part prints and none passes the 32,767
// characters a cell holds.
const (
	maxLines  = 12
	itemLines = 6
)

func (b *book) sheet(name string, headers []string, caps map[int]int) *sheet {
	s := &sheet{b: b, name: name, headers: headers, maxLines: maxLines,
		widths: make([]int, len(headers)), caps: make([]int, len(headers))}
	for i := range s.caps {
		s.caps[i] = cmp.Or(caps[i], capDefault)
	}
	s.next()
	hs := b.headerStyle()
	for i, h := range headers {
		s.str(i, h, hs)
		// Bold text and the filter button take room beyond the text.
		s.widths[i] += 3
	}
	return s
}

// next starts a row.
func (s *sheet) next() {
	s.rows = append(s.rows, make([]Cell, len(s.widths)))
	s.lines = append(s.lines, 1)
}

func (s *sheet) put(col int, v any, style int) {
	s.rows[len(s.rows)-1][col] = Cell{Style: style, Value: v}
}

func (s *sheet) measure(col int, shown string) {
	s.widths[col] = max(s.widths[col], displayWidth(shown))
}

// str writes text; "" leaves the cell empty. A string value is always
// stored as text (an inline string), never as a formula, whatever it
// starts with.
func (s *sheet) str(col int, v string, style int) {
	if v == "" {
		return
	}
	s.put(col, v, style)
	for line := range strings.SplitSeq(v, "\n") {
		s.measure(col, line)
	}
}

// text writes a user's text in the column's wrapping style.
//
// Spreadsheets do not grow a row to fit wrapped text they open (Excel
// only when a cell is edited, LibreOffice not at all), so the row is given
// the height of the lines the text will take.
//
// A text that needs more than the sheet's maxLines shows as many lines
// of its start as fit and where the rest is; SheetNotes holds it whole.
func (s *sheet) text(col int, v string) {
	wrap := displayWidth(v) > s.caps[col] || strings.Contains(v, "\n")
	if !wrap {
		s.str(col, v, s.b.textStyle(false))
		return
	}
	// Break a little early: Latin text wraps at spaces, not anywhere.
	per := max(s.caps[col]-2, 1)
	n := lineCount(v, per)
	if n > s.maxLines {
		v = s.overflow(col, v, per)
		n = lineCount(v, per)
	}
	s.str(col, v, s.b.textStyle(true))
	s.lines[len(s.lines)-1] = max(s.lines[len(s.lines)-1], n)
}

// overflow puts v whole in SheetNotes and returns what the cell shows:
// the start of v and, on its own line(s), the notes sheet's row.
func (s *sheet) overflow(col int, v string, per int) string {
	b := s.b
	row := len(s.rows)
	ref := CellName(col+1, row)
	var key string
	if c := s.rows[row-1][0]; c.Value != nil {
		key = fmt.Sprint(c.Value)
	}
	at := b.note(s.name, ref, key, s.headers[col], v)
	pointer := fmt.Sprintf("……（全文见「%s」第%d行）", SheetNotes, at)
	head, _ := cut(v, per, max(s.maxLines-lineCount(pointer, per), 1))
	return strings.TrimRight(head, "\n") + "\n" + pointer
}

// note adds v to SheetNotes as the text of cell ref of sheet, in parts
// of at most maxLines lines, and returns the row of its first part.
func (b *book) note(sheet, ref, key, column, v string) int {
	if b.notes == nil {
		b.notes = b.sheet(SheetNotes, NoteHeaders, map[int]int{5: capNote})
	}
	n := b.notes
	per := max(n.caps[5]-2, 1)
	var parts []string
	for rest := v; rest != ""; {
		var part string
		part, rest = cut(rest, per, maxLines)
		parts = append(parts, part)
	}
	first := len(n.rows) + 1
	for i, part := range parts {
		n.next()
		n.text(0, sheet)
		n.text(1, ref)
		n.text(2, key)
		n.text(3, column)
		n.str(4, fmt.Sprintf("%d/%d", i+1, len(parts)), b.centered())
		n.text(5, part)
	}
	return first
}

// lineCount is how many lines v takes wrapped at per columns, a line
// break at the end not counted: the way cut breaks it.
func lineCount(v string, per int) int {
	v = strings.TrimSuffix(v, "\n")
	lines, w := 1, 0
	for _, r := range v {
		if r == '\n' {
			lines, w = lines+1, 0
			continue
		}
		rw := runeWidth(r)
		if w > 0 && w+rw > per {
			lines, w = lines+1, 0
		}
		w += rw
	}
	return lines
}

// cut splits v (head+rest == v) after the most text that takes at most
// budget lines of per columns; head is never empty when v is not.
func cut(v string, per, budget int) (head, rest string) {
	lines, w := 1, 0
	for i, r := range v {
		if r == '\n' {
			if lines >= budget {
				return v[:i+1], v[i+1:]
			}
			lines, w = lines+1, 0
			continue
		}
		rw := runeWidth(r)
		if w > 0 && w+rw > per {
			if lines >= budget {
				return v[:i], v[i:]
			}
			lines, w = lines+1, 0
		}
		w += rw
	}
	return v, ""
}

// num writes a number shown with format; shown is how it reads, for
// sizing.
func (s *sheet) num(col int, v float64, format, shown string) {
	s.numAligned(col, v, format, "", shown)
}

func (s *sheet) numAligned(col int, v float64, format, align, shown string) {
	s.put(col, round15(v), s.b.numFmtStyle(format, align))
	s.measure(col, shown)
}

// round15 rounds v to the 15 significant digits a spreadsheet keeps.
// excelize cuts a float to 15 digits by truncation, which would make
// 20:30 (46527.854166666664) read back as 20:29:59.
func round15(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	if err != nil {
		return v
	}
	return r
}

// int writes a count or an id, centred.
func (s *sheet) int(col int, n int) {
	s.put(col, n, s.b.numFmtStyle("0", "center"))
	s.measure(col, strconv.Itoa(n))
}

// pct writes a ratio (0.5 = 50%) as a percentage with one decimal, none
// when it is whole.
func (s *sheet) pct(col int, ratio float64, signed bool) {
	p := ratio * 100
	format, places := "0.0%", 1
	if math.Abs(p-math.Round(p)) < 1e-9 {
		format, places = "0%", 0
	}
	shown := strconv.FormatFloat(p, 'f', places, 64) + "%"
	if signed {
		format = "+" + format + ";-" + format + ";" + format
		if p > 0 {
			shown = "+" + shown
		}
	}
	s.num(col, ratio, format, shown)
}

// date writes a calendar day as an Excel date.
func (s *sheet) date(col int, d planbot.Date) {
	if d.IsZero() {
		return
	}
	s.num(col, serial(d.Start(time.UTC)), DateFormat, "2006-01-02")
}

// datetime writes an instant as an Excel date and time in the plan's zone.
func (s *sheet) datetime(col int, t time.Time) {
	if t.IsZero() {
		return
	}
	s.num(col, serial(wall(t.In(s.b.loc))), DateTimeFormat, "2006-01-02 15:04")
}

// day writes the calendar day of an instant in the plan's zone.
func (s *sheet) day(col int, t time.Time) {
	if t.IsZero() {
		return
	}
	s.date(col, planbot.DateOf(t.In(s.b.loc)))
}

// amount writes a in unit as a number, exactly as Amount.Format gives it;
// an amount that does not convert goes in as text.
func (s *sheet) amount(col int, a planbot.Amount, unit string) {
	v, places, ok := inUnit(a, unit)
	if !ok {
		s.text(col, a.String())
		return
	}
	format := "#,##0"
	if places > 0 {
		format += "." + strings.Repeat("0", places)
	}
	shown := strconv.FormatFloat(v, 'f', places, 64)
	intDigits, _, _ := strings.Cut(shown, ".")
	s.num(col, v, format, shown+strings.Repeat(",", (len(intDigits)-1)/3)) // room for the separators
}

// finish adds the sheet to the book: columns sized, rows as high as
// their wrapped text.
func (s *sheet) finish() {
	b := s.b
	if b.err != nil {
		return
	}
	out := Sheet{Name: s.name, Rows: s.rows, Widths: make([]float64, len(s.widths)), Heights: make([]float64, len(s.rows))}
	for i, w := range s.widths {
		out.Widths[i] = float64(min(w, s.caps[i]) + 2)
	}
	for i, n := range s.lines {
		if n > 1 {
			out.Heights[i] = float64(n)*lineHeight + 2
		}
	}
	b.out.Sheets = append(b.out.Sheets, out)
	s.rows = nil
}

// lineHeight is the height in points of one line of 11-point text,
// Chinese fonts included.
const lineHeight = 15.5

func (b *book) itemSheet(ov planbot.Overview) {
	s := b.sheet(SheetItems, ItemHeaders, map[int]int{1: 42, 2: 40, 12: capLong})
	s.maxLines = itemLines
	views := map[string]planbot.ItemView{}
	sections := map[string]planbot.Section{}
	for _, sv := range ov.Sections {
		sections[sv.Section.Code] = sv.Section
		for _, iv := range sv.Items {
			views[iv.Item.Code] = iv
		}
	}
	for _, it := range b.plan.Items {
		iv, ok := views[it.Code]
		if !ok {
			continue // not in the overview: nothing to say about its status
		}
		s.next()
		st := iv.Status
		unit := planUnit(it.Target)
		s.text(0, it.Code)
		s.text(1, sections[it.Section].Title)
		s.text(2, it.Title)
		if it.Target != nil {
			s.text(3, inUnitText(*it.Target, unit))
		}
		s.text(4, b.names(it.Owners))
		leader := it.Leader
		if leader == "" {
			leader = sections[it.Section].Leader
		}
		s.text(5, b.name(leader))
		s.text(6, b.away(append(slices.Clip(it.Owners), leader)))
		s.date(7, it.Start)
		s.date(8, it.Due)
		s.str(9, st.Status.Label(), b.statusStyle(st.Status))
		// Never reported is 0%: an office files a figure, and a blank
		// reads as a cell someone forgot.
		s.pct(10, st.Percent/100, false)
		switch {
		case st.Value != nil:
			s.text(11, inUnitText(*st.Value, unit))
		case it.Target != nil && st.Last == nil:
			s.text(11, "0"+it.Target.Unit)
		}
		if st.Last != nil {
			s.text(12, b.summary(*st.Last))
			s.day(13, st.Last.At)
		}
		if st.Status == planbot.StatusOverdue {
			s.int(14, st.DaysOverdue)
		}
	}
	s.finish()
}

func (b *book) indicatorSheet(ov planbot.Overview) {
	s := b.sheet(SheetIndicators, IndicatorHeaders, map[int]int{9: capLong})
	for _, iv := range ov.Indicators {
		s.next()
		ind, st := iv.Indicator, iv.Standing
		s.text(0, ind.Name)
		s.text(1, ind.Unit)
		s.amount(2, ind.Target, ind.Unit)
		if st.HasValue {
			s.amount(3, st.Value, ind.Unit)
			if ind.Target.Value > 0 {
				s.pct(4, st.Completion, false)
			}
		}
		s.pct(5, st.Elapsed, false)
		var notes []string
		if st.YoY != nil {
			s.pct(6, *st.YoY, true)
			if st.YoYEstimated {
				notes = append(notes, "同比按去年全年数×时间进度估算")
			}
		}
		s.text(7, st.Verdict())
		if st.HasValue {
			s.datetime(8, st.At)
		}
		if ind.Accumulate == planbot.AccumulateLevel {
			notes = append(notes, "时点值，不按时间进度判断")
		}
		s.text(9, strings.Join(notes, "；"))
	}
	s.finish()
}

func (b *book) reportSheet(byItem map[string][]planbot.Report) {
	s := b.sheet(SheetReports, ReportHeaders, map[int]int{1: 36, 6: capDefault, 7: capLong})
	n := 0
	for _, rs := range byItem {
		n += len(rs)
	}
	all := make([]planbot.Report, 0, n)
	superseded := map[int64]bool{}
	for _, rs := range byItem {
		for _, r := range rs {
			all = append(all, r)
			if r.Supersedes != 0 {
				superseded[r.Supersedes] = true
			}
		}
	}
	slices.SortFunc(all, func(x, y planbot.Report) int { return cmp.Compare(x.ID, y.ID) })
	for _, r := range all {
		s.next()
		it, ok := b.items[r.ItemCode]
		s.int(0, int(r.ID))
		if ok {
			s.text(1, it.Code+" "+it.Title)
		} else {
			s.text(1, r.ItemCode+"（已移出计划）")
		}
		s.text(2, b.name(r.Reporter))
		if r.OnBehalfOf != "" {
			s.text(3, b.name(r.OnBehalfOf))
		}
		s.datetime(4, r.At)
		if r.AsOf != nil {
			s.date(5, *r.AsOf)
		}
		s.text(6, b.content(r))
		s.text(7, b.said(r))
		s.int(8, len(r.PhotoIDs))
		s.str(9, yesNo(superseded[r.ID]), b.centered())
	}
	s.finish()
}

func (b *book) observationSheet(byIndicator map[string][]planbot.Observation) {
	s := b.sheet(SheetObservations, ObservationHeaders, map[int]int{7: capLong})
	var all []planbot.Observation
	superseded := map[int64]bool{}
	for _, hist := range byIndicator {
		for _, o := range hist {
			all = append(all, o)
			if o.Supersedes != 0 {
				superseded[o.Supersedes] = true
			}
		}
	}
	slices.SortFunc(all, func(x, y planbot.Observation) int { return cmp.Compare(x.ID, y.ID) })
	indicators := map[string]planbot.Indicator{}
	for _, ind := range b.plan.Indicators {
		indicators[ind.Key] = ind
	}
	for _, o := range all {
		s.next()
		ind, ok := indicators[o.Indicator]
		s.int(0, int(o.ID))
		if ok {
			s.text(1, ind.Name)
		} else {
			s.text(1, o.Indicator+"（已移出计划）")
		}
		if !o.Withdrawn {
			if ok {
				s.amount(2, o.Value, ind.Unit)
				s.text(3, ind.Unit)
			} else {
				s.text(2, o.Value.String())
			}
		}
		s.datetime(4, o.At)
		if o.Reporter != "" {
			s.text(5, b.name(o.Reporter))
		}
		switch {
		case o.Withdrawn:
			s.text(6, fmt.Sprintf("撤回第%d条", o.Supersedes))
		case o.Supersedes != 0:
			s.text(6, fmt.Sprintf("更正第%d条", o.Supersedes))
		default:
			s.text(6, "填报")
		}
		s.text(7, o.Note)
		s.str(8, yesNo(superseded[o.ID]), b.centered())
	}
	s.finish()
}

// away names who of people is on leave on the ledger's day, with the
// day they are back: "赵某某（请假至12月15日）"; "" when nobody is.
func (b *book) away(people []string) string {
	var out []string
	seen := map[string]bool{}
	for _, p := range people {
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		if l, ok := planbot.OnLeave(b.leaves, p, b.today); ok {
			out = append(out, fmt.Sprintf("%s（请假至%s）", b.name(p), l.To.Short(b.today.Year)))
		}
	}
	return strings.Join(out, "、")
}

// leaveSheet lists every leave, earliest first, and how each stands on
// the ledger's day: a reader finds there who was away when, whatever
// day the ledger is opened.
func (b *book) leaveSheet() {
	s := b.sheet(SheetLeaves, LeaveHeaders, map[int]int{8: capLong})
	all := slices.Clone(b.leaves)
	slices.SortStableFunc(all, func(x, y planbot.Leave) int {
		return cmp.Or(x.From.Compare(y.From), x.To.Compare(y.To), cmp.Compare(x.Person, y.Person))
	})
	for _, l := range all {
		s.next()
		s.text(0, b.name(l.Person))
		if p, ok := b.people[l.Person]; ok {
			s.text(1, p.Unit)
		}
		s.date(2, l.From)
		s.date(3, l.To)
		s.int(4, l.From.DaysUntil(l.To)+1)
		state := "请假中"
		switch {
		case b.today.Before(l.From):
			state = "未开始"
		case l.To.Before(b.today):
			state = "已结束"
		}
		s.str(5, state, b.centered())
		if l.Source == planbot.LeaveFromChat {
			s.text(6, "聊天登记")
			s.datetime(7, l.At)
		} else {
			s.text(6, "计划文件")
		}
		s.text(8, l.Note)
	}
	s.finish()
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// name is a person's name, or the key of someone no longer in the plan.
func (b *book) name(key string) string {
	if key == "" {
		return ""
	}
	if p, ok := b.people[key]; ok && p.Name != "" {
		return p.Name
	}
	return key
}

func (b *book) names(keys []string) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = b.name(k)
	}
	return strings.Join(out, "、")
}

// content says what a report row did: "进度60%", "完成", "15万只",
// "撤回第12条", a correction prefixed "更正第12条：".
func (b *book) content(r planbot.Report) string {
	switch {
	case r.Withdrawn:
		return fmt.Sprintf("撤回第%d条", r.Supersedes)
	case r.Supersedes != 0:
		return fmt.Sprintf("更正第%d条：%s", r.Supersedes, b.what(r))
	}
	return b.what(r)
}

// what is the figure a report gave, or what kind of report it was.
func (b *book) what(r planbot.Report) string {
	if f := b.figures(r); f != "" {
		return f
	}
	switch {
	case r.Note != "":
		return "情况说明"
	case len(r.PhotoIDs) > 0:
		return "佐证材料"
	}
	return ""
}

// figures are the figures a report gave ("完成", "进度60%", "15万只"),
// amounts in the unit the plan writes the item's target in.
func (b *book) figures(r planbot.Report) string {
	var parts []string
	if r.Done {
		parts = append(parts, "完成")
	}
	if r.Percent != nil {
		parts = append(parts, "进度"+strconv.FormatFloat(*r.Percent, 'f', -1, 64)+"%")
	}
	if r.Value != nil {
		unit := planUnit(r.Value)
		if it, ok := b.items[r.ItemCode]; ok && it.Target != nil && it.Target.Unit == r.Value.Unit {
			unit = planUnit(it.Target)
		}
		parts = append(parts, inUnitText(*r.Value, unit))
	}
	return strings.Join(parts, "，")
}

// said is what a reporter wrote, for 说明: "" without words. Reports keep
// the words whole (Report.Words) since migration 0011; for older rows and
// button walk-throughs the stored Note is what the chat's reader left once
// it took the figures out ("累计接待客商" of "2.1 累计接待客商35人次"), a
// fragment on its own, so the figures go in front of it, in the plan's
// unit.
func (b *book) said(r planbot.Report) string {
	if r.Words != "" && !r.Withdrawn {
		// What the cadre wrote, figure and unit included, kept whole.
		return r.Words
	}
	if r.Note == "" {
		return ""
	}
	if f := b.figures(r); f != "" && !r.Withdrawn {
		return f + "；" + r.Note
	}
	return r.Note
}

// summary is an item's latest report in one cell: its words with their
// figures, or the figures alone.
func (b *book) summary(r planbot.Report) string {
	if w := b.said(r); w != "" {
		return w
	}
	return b.what(r)
}

// planUnit is the unit an item's figures are shown in, the way a plan
// writes its target: money from 1亿 up in 亿元 and from 1万 up in 万元,
// counts from 1万 up in 万 of the counter (28万只), the rest in the base
// unit (150户, 6场). "" for no amount.
func planUnit(a *planbot.Amount) string {
	if a == nil {
		return ""
	}
	mag := a.Value
	if mag < 0 {
		mag = -mag
	}
	wan := planbot.DecimalFromInt(10000)
	switch {
	case a.Unit == "元" && mag >= planbot.DecimalFromInt(100000000):
		return "亿元"
	case a.Unit == "元" && mag >= wan:
		return "万元"
	case a.Unit != "" && a.Unit != "%" && a.Unit != "元" && mag >= wan:
		if _, ok := planbot.LookupUnit("万" + a.Unit); ok {
			return "万" + a.Unit
		}
	}
	return a.Unit
}

// inUnitText is a written in unit, exactly ("15万只", "0.5万只"); an
// amount that does not convert reads as Amount.String.
func inUnitText(a planbot.Amount, unit string) string {
	u, ok := planbot.LookupUnit(unit)
	if !ok || u.Base != a.Unit {
		return a.String()
	}
	s, err := a.Format(unit, exactPlaces(u))
	if err != nil {
		return a.String()
	}
	return s
}

// exactPlaces is how many decimals an amount needs in unit u to be shown
// exactly: planbot.Decimal's 4 in the base unit, one more per power of ten
// of u's factor (0.0001只 is 0.00000001万只).
func exactPlaces(u planbot.Unit) int {
	places := 4
	for f := u.Factor; f >= 10; f /= 10 {
		places++
	}
	return places
}

// inUnit is a in unit as a float, and the decimals its exact form needs.
// The float is parsed from Amount.Format with every decimal the Decimal
// grid holds, so it is the float nearest the exact value.
func inUnit(a planbot.Amount, unit string) (float64, int, bool) {
	u, ok := planbot.LookupUnit(unit)
	if !ok || u.Base != a.Unit {
		return 0, 0, false
	}
	s, err := a.Format(unit, exactPlaces(u))
	if err != nil {
		return 0, 0, false
	}
	s = strings.TrimSuffix(s, u.Symbol)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, 0, false
	}
	decimals := 0
	if _, frac, ok := strings.Cut(s, "."); ok {
		decimals = len(frac)
	}
	return v, decimals, true
}

// wall is t's wall clock as a UTC time, which is how Excel keeps a time:
// without a zone.
func wall(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// excelEpoch is day 0 of Excel's 1900 date system for every date from
// 1900-03-01 on (Excel counts a 29 February 1900 that never was).
var excelEpoch = time.Date(1899, time.December, 30, 0, 0, 0, 0, time.UTC)

// serial is the Excel serial number of a UTC wall-clock time.
func serial(t time.Time) float64 {
	d := t.Sub(excelEpoch)
	day := 24 * time.Hour
	return float64(d/day) + float64(d%day)/float64(day)
}

// displayWidth is how many columns text takes in a spreadsheet: wide
// (CJK, full-width, emoji) runes count as two.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	switch {
	case unicode.Is(unicode.Mn, r) || r == 0x200B || r == 0xFE0F:
		// combining marks, zero-width space, emoji presentation selector
		return 0
	case wide(r):
		return 2
	}
	return 1
}

func wide(r rune) bool {
	switch {
	case r < 0x1100:
		return false
	case r <= 0x115F, // Hangul Jamo
		r >= 0x2E80 && r <= 0xA4CF && r != 0x303F, // CJK radicals … Yi
		r >= 0xAC00 && r <= 0xD7A3,                // Hangul syllables
		r >= 0xF900 && r <= 0xFAFF,                // CJK compatibility ideographs
		r >= 0xFE30 && r <= 0xFE4F,                // CJK compatibility forms
		r >= 0xFF00 && r <= 0xFF60,                // full-width forms
		r >= 0xFFE0 && r <= 0xFFE6,
		r >= 0x1F300 && r <= 0x1FAFF, // emoji and pictographs
		r >= 0x20000 && r <= 0x3FFFD: // CJK extensions
		return true
	}
	return false
}
