// Package chart draws the picture that goes with the weekly digest: the key
// indicators against the share of the year elapsed (时间过半、任务过半) and
// each section's items by status. It reads a planbot.Overview and writes a
// PNG; it knows nothing of Telegram, the database or the scheduler.
//
// Chinese labels need a CJK font, which gonum/plot does not ship: one is
// looked for on the machine (see Options). Without one the picture is still
// drawn, with ASCII labels and every figure, never with boxes for missing
// glyphs (see FontInfo.CJK).
package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"log/slog"
	"math"
	"strings"
	"time"

	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"

	"planbot"
)

// Options say where to find a CJK TrueType/OpenType font and where to log.
//
// FontPath "" searches, taking the first file with a face that draws 中文
// (in a collection, a Simplified Chinese face if there is one, else the
// first such face):
//
//  1. /usr/share/fonts/truetype/wqy/wqy-microhei.ttc (fonts-wqy-microhei)
//  2. /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc (fonts-wqy-zenhei)
//  3. /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc (fonts-noto-cjk),
//     then the other Noto Sans CJK files there and under
//     /usr/share/fonts/truetype/noto, /usr/share/fonts/noto-cjk (Arch),
//     /usr/share/fonts/google-noto-cjk (Fedora), and the WenQuanYi files
//     under /usr/share/fonts/wenquanyi;
//  4. any .ttf/.ttc/.otf/.otc under /usr/share/fonts or
//     /usr/local/share/fonts whose name contains CJK, wqy, Hei or Song
//     (any case), regular weights first, then by path.
//
// A FontPath that is set is the only file tried: if it cannot be read or
// draws no Chinese, labels fall back to ASCII.
type Options struct {
	FontPath string
	Log      *slog.Logger // nil: slog.Default()
}

// Width and MinHeight are the picture's size in pixels: Telegram keeps a
// photo of 1280 pixels on its long side as it is. A plan with many sections
// and indicators makes the picture taller rather than its rows unreadable.
const (
	Width     = 1280
	MinHeight = 900
)

// Colours of the statuses, in the spirit of Status.Mark: red and yellow
// rather than red and orange, greys for silence and for not yet started.
var (
	colorOverdue    = rgb(0xD93025)
	colorAtRisk     = rgb(0xF4B400)
	colorNoReport   = rgb(0x8C8C8C)
	colorNotStarted = rgb(0xD4D4D4)
	colorOnTrack    = rgb(0x5CB85C)
	colorDone       = rgb(0x1E7B34)

	colorBehind  = colorOverdue
	colorInStep  = colorOnTrack
	colorNoData  = rgb(0xB3B3B3)
	colorElapsed = rgb(0x1F4E9A)

	colorText  = rgb(0x202124)
	colorMuted = rgb(0x5F6368)
	colorTrack = rgb(0xEEEEEE)
	colorGrid  = rgb(0xD9D9D9)
)

func statusColor(s planbot.Status) color.RGBA {
	switch s {
	case planbot.StatusOverdue:
		return colorOverdue
	case planbot.StatusAtRisk:
		return colorAtRisk
	case planbot.StatusNoReport:
		return colorNoReport
	case planbot.StatusNotStarted:
		return colorNotStarted
	case planbot.StatusOnTrack:
		return colorOnTrack
	case planbot.StatusDone:
		return colorDone
	}
	return rgb(0x9C27B0) // a status this package does not know: visible, not hidden
}

func rgb(v uint32) color.RGBA {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xFF}
}

// Digest draws the picture leaders get with the weekly digest, as a PNG of
// Width × MinHeight pixels (taller for a big plan):
//
//   - a title "YYYY年工作计划 · M月D日" (ov.At in the plan's zone) and the
//     share of the year elapsed;
//   - 主要指标完成率: each indicator's completion of its annual target as a
//     horizontal bar, red when behind, green otherwise, grey without a
//     figure, against a dashed vertical line at the share of the year
//     elapsed, with the figure and target at the right;
//   - 各板块事项状态: each section's items by status as a stacked bar in
//     the status colours (Statuses order, most urgent on the left) with the
//     counts, and a legend with the plan's totals.
//
// Without a CJK font (see FontStatus) the labels are ASCII. plan gives the
// year, zone and rules; ov is plan.Overview at the digest's time.
func Digest(ov planbot.Overview, plan *planbot.Plan, opts Options) ([]byte, error) {
	if plan == nil {
		return nil, errors.New("chart: no plan")
	}
	d := newDrawing(resolveFont(opts), ov, plan)
	return d.render()
}

// Sizes in pixels.
const (
	margin       = 40.0
	titleSize    = 44.0
	subSize      = 26.0
	panelSize    = 30.0
	labelSize    = 26.0
	valueSize    = 24.0
	smallSize    = 20.0
	legendSize   = 24.0
	swatch       = 24.0
	maxLabelFrac = 0.30 // of Width, for the row labels
	minPitch     = 44.0
	maxPitch     = 84.0
)

type drawing struct {
	fs      *fontSet
	buf     sfnt.Buffer
	ov      planbot.Overview
	plan    *planbot.Plan
	at      time.Time
	elapsed float64

	c *vgimg.Canvas
	h float64 // canvas height; drawing code works top-down and flips here

	drawn []string // every text drawn, in order: what tests read instead of pixels
}

func newDrawing(fs *fontSet, ov planbot.Overview, plan *planbot.Plan) *drawing {
	loc := plan.Location
	if loc == nil {
		loc = time.UTC
	}
	at := ov.At.In(loc)
	return &drawing{
		fs: fs, ov: ov, plan: plan, at: at,
		elapsed: planbot.Indicator{}.StandingAt(nil, plan.Year, at, loc, plan.Rules).Elapsed,
	}
}

func (d *drawing) render() ([]byte, error) {
	W := float64(Width)

	// Labels first: their width decides where the bars start.
	var indRows, secRows []string // the row labels
	labelCap := W * maxLabelFrac
	for i, iv := range d.ov.Indicators {
		indRows = append(indRows, d.fit(d.label(iv.Indicator.Name, indicatorCode(i)), labelSize, labelCap))
	}
	for _, sv := range d.ov.Sections {
		secRows = append(secRows, d.sectionLabel(sv.Section, labelCap))
	}
	labelW := 0.0
	for _, l := range append(append([]string(nil), indRows...), secRows...) {
		labelW = math.Max(labelW, d.width(l, labelSize))
	}
	barX0 := margin + labelW + 20
	valueW := d.indicatorValueWidth()
	for _, sv := range d.ov.Sections {
		valueW = math.Max(valueW, d.width(d.totalText(sectionTotal(sv)), valueSize))
	}
	valueW = math.Min(math.Max(valueW, d.width(d.label("—", "-"), valueSize)), W*0.25)
	barX1 := W - margin - valueW - 16

	legend := d.legendLines(W - 2*margin)

	// Vertical budget: fixed parts, then rows share what is left.
	const (
		headerH     = 150.0
		panelTitleH = 48.0
		elapsedH    = 30.0
		axisH       = 32.0
		panelGap    = 26.0
		legendGap   = 14.0
		legendLineH = 36.0
		bottom      = 22.0
	)
	fixed := headerH + bottom
	if len(indRows) > 0 {
		fixed += panelTitleH + elapsedH + axisH + panelGap
	}
	if len(secRows) > 0 {
		fixed += panelTitleH + legendGap + legendLineH*float64(len(legend))
	}
	nRows := float64(len(indRows) + len(secRows))
	pitch := maxPitch
	if nRows > 0 {
		pitch = math.Max(minPitch, math.Min(maxPitch, (MinHeight-fixed)/nRows))
	}
	H := math.Max(MinHeight, math.Ceil(fixed+nRows*pitch))
	d.h = H
	d.c = vgimg.NewWith(vgimg.UseWH(vg.Length(W), vg.Length(H)), vgimg.UseDPI(72), vgimg.UseBackgroundColor(color.White))

	d.header()
	y := headerH
	if len(indRows) > 0 {
		y = d.indicators(indRows, y, pitch, barX0, barX1)
		y += panelGap
	}
	if len(secRows) > 0 {
		y = d.sections(secRows, y, pitch, barX0, barX1)
		d.legend(legend, y+legendGap, legendLineH)
	}
	if nRows == 0 {
		d.text(margin, headerH+60, d.label("计划中没有板块和指标", "the plan has no sections or indicators"), labelSize, colorMuted, false, alignLeft)
	}

	var out bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: d.c}).WriteTo(&out); err != nil {
		return nil, fmt.Errorf("chart: encode PNG: %w", err)
	}
	return out.Bytes(), nil
}

func (d *drawing) header() {
	year := d.plan.Year
	date := fmt.Sprintf("%d月%d日", d.at.Month(), d.at.Day())
	if d.at.Year() != year {
		date = fmt.Sprintf("%d年%d月%d日", d.at.Year(), d.at.Month(), d.at.Day())
	}
	title := d.label(fmt.Sprintf("%d年工作计划 · %s", year, date),
		fmt.Sprintf("%d work plan · %s", year, d.at.Format("2006-01-02")))
	d.text(margin, 24+titleSize, title, titleSize, colorText, true, alignLeft)

	n := 0
	for _, sv := range d.ov.Sections {
		n += len(sv.Items)
	}
	sub := d.label(fmt.Sprintf("时间进度 %s（时间过半、任务过半）· 共 %d 项工作 · 截至 %s", pct(d.elapsed), n, d.at.Format("15:04")),
		fmt.Sprintf("year elapsed %s · %d items · as at %s", pct(d.elapsed), n, d.at.Format("15:04")))
	d.text(margin, 24+titleSize+20+subSize, sub, subSize, colorMuted, false, alignLeft)
	d.rect(margin, 136, Width-margin, 138, colorGrid)
}

// indicators draws the first panel from y and returns where it ends.
func (d *drawing) indicators(rows []string, y, pitch, barX0, barX1 float64) float64 {
	d.text(margin, y+panelSize+8, d.label("主要指标完成率", "Indicators: share of annual target"), panelSize, colorText, true, alignLeft)
	d.miniLegend(margin+d.width(d.label("主要指标完成率", "Indicators: share of annual target"), panelSize)+40, y+panelSize+6)
	y += 48 + 30 // title, then the elapsed line's label
	top, bottom := y, y+pitch*float64(len(rows))

	maxC := 1.0
	for _, iv := range d.ov.Indicators {
		if iv.Standing.HasValue && iv.Standing.Completion > maxC {
			maxC = iv.Standing.Completion
		}
	}
	axisMax := math.Min(2, math.Ceil(maxC*4)/4) // 100%, or up to 200% in quarters
	xOf := func(f float64) float64 {
		f = math.Max(0, math.Min(f, axisMax))
		return barX0 + (barX1-barX0)*f/axisMax
	}
	barH := math.Round(pitch * 0.6)

	for i := range d.ov.Indicators {
		yc := top + (float64(i)+0.5)*pitch
		y0 := math.Round(yc - barH/2)
		d.rect(barX0, y0, xOf(1), y0+barH, colorTrack)
	}
	for q := 0.0; q <= axisMax+1e-9; q += 0.25 {
		x := math.Round(xOf(q))
		d.rect(x, top-4, x+1, bottom+4, colorGrid)
		d.text(x, bottom+8+smallSize, pct(q), smallSize, colorMuted, false, alignCenter)
	}
	for i, iv := range d.ov.Indicators {
		s := iv.Standing
		yc := top + (float64(i)+0.5)*pitch
		y0 := math.Round(yc - barH/2)
		d.textMid(margin, yc, rows[i], labelSize, colorText, false, alignLeft)
		vx := barX1 + 16
		if !s.HasValue {
			d.rect(barX0, y0, barX0+12, y0+barH, colorNoData)
			d.textMid(barX0+20, yc, d.label("暂无数据", "no data"), valueSize, colorMuted, false, alignLeft)
			d.textMid(vx, yc, d.label("—", "-"), valueSize, colorMuted, false, alignLeft)
			continue
		}
		col := colorInStep
		if s.Behind {
			col = colorBehind
		}
		if x1 := math.Round(xOf(s.Completion)); x1 > barX0 {
			d.rect(barX0, y0, math.Max(x1, barX0+2), y0+barH, col)
		}
		p := pct(s.Completion)
		d.textMid(vx, yc, p, valueSize, colorText, true, alignLeft)
		if amt := d.amountText(iv); amt != "" {
			d.textMid(vx+d.width(p, valueSize)+10, yc, amt, smallSize, colorMuted, false, alignLeft)
		}
	}
	// The elapsed line on top of the bars, its label above them.
	ex := math.Round(xOf(d.elapsed))
	d.line(ex, top-10, ex, bottom+4, 3, colorElapsed, []float64{9, 5})
	lbl := d.label("时间进度 "+pct(d.elapsed), "elapsed "+pct(d.elapsed))
	lw := d.width(lbl, smallSize)
	lx := math.Max(barX0+lw/2, math.Min(ex, barX1-lw/2))
	d.text(lx, top-14, lbl, smallSize, colorElapsed, true, alignCenter)
	return bottom + 32
}

// miniLegend explains the first panel's colours on its title line, if there
// is room.
func (d *drawing) miniLegend(x0, baseline float64) {
	type entry struct {
		col  color.RGBA
		text string
		line bool
	}
	entries := []entry{
		{colorBehind, d.label("落后于时序", "behind"), false},
		{colorInStep, d.label("同步或领先", "in step"), false},
		{colorNoData, d.label("暂无数据", "no data"), false},
		{colorElapsed, d.label("时间进度", "year elapsed"), true},
	}
	w := 0.0
	for _, e := range entries {
		w += 18 + 6 + d.width(e.text, smallSize) + 18
	}
	x := Width - margin - w + 18
	if x < x0 {
		return
	}
	yc := baseline - smallSize*0.35
	for _, e := range entries {
		if e.line {
			d.line(x+8, yc-10, x+8, yc+10, 3, e.col, []float64{5, 3})
		} else {
			d.rect(x, math.Round(yc-8), x+18, math.Round(yc+8), e.col)
		}
		x += 24
		d.textMid(x, yc, e.text, smallSize, colorMuted, false, alignLeft)
		x += d.width(e.text, smallSize) + 18
	}
}

// sections draws the second panel from y and returns where it ends.
func (d *drawing) sections(rows []string, y, pitch, barX0, barX1 float64) float64 {
	d.text(margin, y+panelSize+8, d.label("各板块事项状态", "Items by status, per section"), panelSize, colorText, true, alignLeft)
	top := y + 48
	maxTotal := 1
	for _, sv := range d.ov.Sections {
		maxTotal = max(maxTotal, sectionTotal(sv))
	}
	unit := (barX1 - barX0) / float64(maxTotal)
	barH := math.Round(pitch * 0.6)
	for i, sv := range d.ov.Sections {
		yc := top + (float64(i)+0.5)*pitch
		y0 := math.Round(yc - barH/2)
		d.textMid(margin, yc, rows[i], labelSize, colorText, false, alignLeft)
		x, n := barX0, 0
		for _, st := range planbot.Statuses {
			k := sv.Counts[st]
			if k == 0 {
				continue
			}
			n += k
			x1 := math.Round(barX0 + unit*float64(n))
			col := statusColor(st)
			d.rect(x, y0, x1-1, y0+barH, col) // a white hairline between segments
			if t := fmt.Sprint(k); d.width(t, valueSize)+8 <= x1-x {
				d.textMid((x+x1)/2, yc, t, valueSize, textOn(col), true, alignCenter)
			}
			x = x1
		}
		total := sectionTotal(sv)
		if total == 0 {
			d.textMid(barX0, yc, d.label("无事项", "no items"), valueSize, colorMuted, false, alignLeft)
		}
		d.textMid(barX1+16, yc, d.totalText(total), valueSize, colorMuted, false, alignLeft)
	}
	return top + pitch*float64(len(rows))
}

// sectionTotal counts the items of sv with a status (all of them).
func sectionTotal(sv planbot.SectionView) int {
	n := 0
	for _, k := range sv.Counts {
		n += k
	}
	return n
}

func (d *drawing) totalText(n int) string {
	return d.label(fmt.Sprintf("共 %d 项", n), fmt.Sprintf("%d items", n))
}

// legendEntry is one status in the legend at the bottom.
type legendEntry struct {
	status planbot.Status
	text   string
	w      float64
}

// legendLines lays the legend out in lines no wider than maxW.
func (d *drawing) legendLines(maxW float64) [][]legendEntry {
	var lines [][]legendEntry
	var cur []legendEntry
	used := 0.0
	for _, s := range planbot.Statuses {
		t := d.label(fmt.Sprintf("%s %d", s.Label(), d.ov.Counts[s]), fmt.Sprintf("%s %d", statusWords(s), d.ov.Counts[s]))
		e := legendEntry{s, t, swatch + 8 + d.width(t, legendSize)}
		gap := 0.0
		if len(cur) > 0 {
			gap = 30
		}
		if len(cur) > 0 && used+gap+e.w > maxW {
			lines = append(lines, cur)
			cur, used, gap = nil, 0, 0
		}
		cur = append(cur, e)
		used += gap + e.w
	}
	return append(lines, cur)
}

func (d *drawing) legend(lines [][]legendEntry, y, lineH float64) {
	for _, line := range lines {
		yc := y + lineH/2
		x := margin
		for _, e := range line {
			col := statusColor(e.status)
			d.rect(x, math.Round(yc-swatch/2), x+swatch, math.Round(yc+swatch/2), col)
			d.textMid(x+swatch+8, yc, e.text, legendSize, colorText, false, alignLeft)
			x += e.w + 30
		}
		y += lineH
	}
}

// indicatorValueWidth is the width of the widest value column text.
func (d *drawing) indicatorValueWidth() float64 {
	w := 0.0
	for _, iv := range d.ov.Indicators {
		if !iv.Standing.HasValue {
			continue
		}
		p := pct(iv.Standing.Completion)
		x := d.width(p, valueSize)
		if a := d.amountText(iv); a != "" {
			x += 10 + d.width(a, smallSize)
		}
		w = math.Max(w, x)
	}
	return w
}

// amountText is "3.4 / 6.5亿元": the figure against the target in the
// indicator's unit. Without a font that draws the unit it is "3.4 / 6.5":
// the numbers are what a leader reads, and each indicator's unit is in
// the digest's text.
func (d *drawing) amountText(iv planbot.IndicatorView) string {
	ind, s := iv.Indicator, iv.Standing
	v, err1 := s.Value.Format(ind.Unit, 2)
	t, err2 := ind.Target.Format(ind.Unit, 2)
	if err1 != nil || err2 != nil {
		return ""
	}
	nums := strings.TrimSuffix(v, ind.Unit) + " / " + strings.TrimSuffix(t, ind.Unit)
	if withUnit := nums + ind.Unit; covers(d.fs.regular, &d.buf, withUnit) {
		nums = withUnit
	}
	return d.fit(d.sanitize(nums), smallSize, Width*0.16)
}

// indicatorCode is the label of the i-th indicator (plan order, the
// digest's order) without a CJK font: "#1". Its key
// (fixed_asset_investment) is the YAML's, not a name anybody reads.
func indicatorCode(i int) string { return fmt.Sprintf("#%d", i+1) }

// statusWords are the statuses in ASCII words, for a picture without a
// CJK font: the status keys (at_risk) are the program's.
func statusWords(s planbot.Status) string {
	switch s {
	case planbot.StatusOverdue:
		return "overdue"
	case planbot.StatusAtRisk:
		return "at risk"
	case planbot.StatusNoReport:
		return "no report"
	case planbot.StatusNotStarted:
		return "not started"
	case planbot.StatusOnTrack:
		return "on track"
	case planbot.StatusDone:
		return "done"
	}
	return strings.ReplaceAll(string(s), "_", " ")
}

// sectionLabel is "1 强核心、固堡垒": code and title, the title cut at its
// first clause (these titles read "强核心、固堡垒，全力打造……") or clipped
// when it is too long for maxW.
func (d *drawing) sectionLabel(s planbot.Section, maxW float64) string {
	ascii := d.sanitize("Section " + s.Code)
	full := strings.TrimSpace(s.Code + " " + s.Title)
	if !d.fs.info.CJK || !covers(d.fs.regular, &d.buf, full) {
		return d.fit(ascii, labelSize, maxW)
	}
	if d.width(full, labelSize) <= maxW {
		return full
	}
	if i := strings.IndexAny(s.Title, "，,：:；;"); i > 0 {
		if short := s.Code + " " + s.Title[:i]; d.width(short, labelSize) <= maxW {
			return short
		}
	}
	return d.fit(full, labelSize, maxW)
}

// label is zh when the font draws every rune of it, else ascii with
// whatever the font cannot draw replaced by '?': never a box.
func (d *drawing) label(zh, ascii string) string {
	if d.fs.info.CJK && covers(d.fs.regular, &d.buf, zh) {
		return zh
	}
	return d.sanitize(ascii)
}

func (d *drawing) sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == ' ' || covers(d.fs.regular, &d.buf, string(r)) {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// fit clips s with an ellipsis to at most maxW pixels at size.
func (d *drawing) fit(s string, size, maxW float64) string {
	if d.width(s, size) <= maxW {
		return s
	}
	ell := "…"
	if !covers(d.fs.regular, &d.buf, ell) {
		ell = "..."
	}
	r := []rune(s)
	for n := len(r) - 1; n > 0; n-- {
		t := strings.TrimSpace(string(r[:n])) + ell
		if d.width(t, size) <= maxW {
			return t
		}
	}
	return ell
}

func (d *drawing) width(s string, size float64) float64 {
	f := d.fs.face(size, false)
	return float64(f.Width(s))
}

type align int

const (
	alignLeft align = iota
	alignCenter
	alignRight
)

// text draws s with its baseline at y (top-down).
func (d *drawing) text(x, y float64, s string, size float64, col color.Color, bold bool, a align) {
	f := d.fs.face(size, bold)
	w := float64(f.Width(s))
	switch a {
	case alignCenter:
		x -= w / 2
	case alignRight:
		x -= w
	}
	d.drawn = append(d.drawn, s)
	d.c.SetColor(col)
	pt := vg.Point{X: vg.Length(x), Y: vg.Length(d.h - y)}
	d.c.FillString(f, pt, s)
	if bold && d.fs.bold == nil {
		// No bold face in the CJK font: overstrike.
		pt.X += 0.8
		d.c.FillString(f, pt, s)
	}
}

// textMid draws s vertically centred on yc.
func (d *drawing) textMid(x, yc float64, s string, size float64, col color.Color, bold bool, a align) {
	f := d.fs.face(size, false)
	e := f.Extents()
	d.text(x, yc+float64(e.Ascent-e.Descent)/2, s, size, col, bold, a)
}

// rect fills [x0,x1]×[y0,y1] (top-down).
func (d *drawing) rect(x0, y0, x1, y1 float64, col color.Color) {
	var p vg.Path
	p.Move(vg.Point{X: vg.Length(x0), Y: vg.Length(d.h - y0)})
	p.Line(vg.Point{X: vg.Length(x1), Y: vg.Length(d.h - y0)})
	p.Line(vg.Point{X: vg.Length(x1), Y: vg.Length(d.h - y1)})
	p.Line(vg.Point{X: vg.Length(x0), Y: vg.Length(d.h - y1)})
	p.Close()
	d.c.SetColor(col)
	d.c.Fill(p)
}

func (d *drawing) line(x0, y0, x1, y1, width float64, col color.Color, dash []float64) {
	var ds []vg.Length
	for _, v := range dash {
		ds = append(ds, vg.Length(v))
	}
	d.c.Push()
	defer d.c.Pop()
	d.c.SetLineWidth(vg.Length(width))
	d.c.SetLineDash(ds, 0)
	d.c.SetColor(col)
	var p vg.Path
	p.Move(vg.Point{X: vg.Length(x0), Y: vg.Length(d.h - y0)})
	p.Line(vg.Point{X: vg.Length(x1), Y: vg.Length(d.h - y1)})
	d.c.Stroke(p)
}

// textOn is the text colour readable on a bar of colour c.
func textOn(c color.RGBA) color.Color {
	lum := 0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)
	if lum > 150 {
		return colorText
	}
	return color.White
}

// pct is 0.473 as "47.3%", 0.5 as "50%".
func pct(f float64) string {
	s := fmt.Sprintf("%.1f", 100*f)
	return strings.TrimSuffix(s, ".0") + "%"
}
