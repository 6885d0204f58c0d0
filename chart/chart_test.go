package chart

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"

	"planbot"
	"planbot/config"
)

var (
	writeDocs = flag.Bool("docs", false, "write ../docs/digest-chart.png from the example (needs a CJK font)")
	outDir    = flag.String("out", "", "also write the test pictures to this `dir`, to look at them")
)

// sampleAt is a Monday 08:30, when weekly_digest runs: the year just past
// half, item 2.3 (due Jun 30) just overdue.
var sampleAt = time.Date(2027, time.July, 5, 8, 30, 0, 0, time.FixedZone("CST", 8*3600))

// sample is the example plan at sampleAt with a few reports and figures, so
// that every status and every kind of indicator bar shows.
func sample(t testing.TB) (planbot.Overview, *planbot.Plan) {
	t.Helper()
	cfg, err := config.Load("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan := cfg.Plan
	// One item starting later, so that "not started" shows too.
	for i := range plan.Items {
		if plan.Items[i].Code == "3.5" {
			plan.Items[i].Start = planbot.Date{Year: 2027, Month: time.August, Day: 1}
		}
	}
	day := func(m time.Month, d int) time.Time { return time.Date(2027, m, d, 10, 0, 0, 0, plan.Location) }
	percent := func(p float64) *float64 { return &p }
	reports := map[string][]planbot.Report{}
	var id int64
	add := func(code string, at time.Time, p float64, done bool) {
		id++
		r := planbot.Report{ID: id, ItemCode: code, Reporter: "zhao_cun", At: at, Done: done}
		if !done {
			r.Percent = percent(p)
		}
		reports[code] = append(reports[code], r)
	}
	add("1.1", day(time.June, 28), 50, false)  // on track
	add("1.2", day(time.June, 25), 20, false)  // at risk
	add("1.3", day(time.June, 1), 0, true)     // done
	add("1.4", day(time.July, 2), 48, false)   // on track
	add("2.1", day(time.July, 1), 52, false)   // on track
	add("2.3", day(time.June, 20), 80, false)  // overdue since Jun 30
	add("2.4", day(time.May, 20), 40, false)   // silent: no report
	add("2.5", day(time.June, 28), 30, false)  // at risk
	add("3.1", day(time.July, 2), 50, false)   // on track
	add("3.2", day(time.April, 20), 80, false) // overdue since Apr 30
	add("3.3", day(time.June, 12), 0, true)    // done
	add("3.4", day(time.June, 30), 60, false)  // on track
	add("3.6", day(time.June, 26), 40, false)  // on track
	add("4.1", day(time.June, 29), 50, false)  // on track
	add("4.2", day(time.June, 29), 30, false)  // at risk
	add("4.4", day(time.July, 2), 50, false)   // on track
	add("4.5", day(time.June, 30), 0, true)    // done

	latest := map[string]planbot.Observation{}
	obs := func(key, v, unit string) {
		a, err := planbot.ParseAmountIn(v, unit)
		if err != nil {
			t.Fatal(err)
		}
		latest[key] = planbot.Observation{Indicator: key, At: day(time.July, 1), Value: a}
	}
	obs("fixed_asset_investment", "3.4", "亿元") // 52%: in step
	obs("tax_revenue", "1500", "万元")           // 36%: behind
	obs("investment_attracted", "1.9", "亿元")   // 59%: ahead
	obs("export_value", "1100", "万元")          // 42%: behind
	// industrial_output: no figure yet
	return plan.Overview(reports, latest, sampleAt), plan
}

func TestSampleHasEverything(t *testing.T) {
	ov, _ := sample(t)
	for _, s := range planbot.Statuses {
		if ov.Counts[s] == 0 {
			t.Errorf("the sample has no item %s: %v", s, ov.Counts)
		}
	}
	var behind, inStep, none int
	for _, iv := range ov.Indicators {
		switch s := iv.Standing; {
		case !s.HasValue:
			none++
		case s.Behind:
			behind++
		default:
			inStep++
		}
	}
	if behind == 0 || inStep == 0 || none == 0 {
		t.Errorf("indicators: %d behind, %d in step, %d without a figure; want some of each", behind, inStep, none)
	}
}

func TestDigestWithCJKFont(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	opts := Options{Log: slog.New(slog.NewTextHandler(&logs, nil))}
	info := FontStatus(opts)
	if !info.CJK {
		t.Skipf("no CJK font on this machine (%s); install fonts-wqy-microhei to run this case", info.Reason)
	}
	t.Logf("font: %s", info)
	ov, plan := sample(t)
	data, err := Digest(ov, plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	save(t, "digest-cjk.png", data)
	checkPicture(t, data, ov)
	if strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("a CJK font was found, yet a warning was logged:\n%s", logs.String())
	}
	if *writeDocs {
		if err := os.WriteFile("../docs/digest-chart.png", data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	d := newDrawing(resolveFont(opts), ov, plan)
	if got := d.sectionLabel(plan.Sections[0], Width*maxLabelFrac); got != "1 强核心、固堡垒" {
		t.Errorf("a long section title is cut at its first clause: got %q", got)
	}
	if got := d.label("固定资产投资", "fixed_asset_investment"); got != "固定资产投资" {
		t.Errorf("label with a CJK font = %q", got)
	}
}

func TestDigestFallsBackToASCII(t *testing.T) {
	notFont, err := os.ReadFile("testdata/not-a-font.ttf")
	if err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{
		// Each case gets a path of its own: the fallback is said once per
		// process for each font path, and -count=2 reuses the process.
		"not a font": filepath.Join(t.TempDir(), "not-a-font.ttf"),
		"missing":    filepath.Join(t.TempDir(), "missing.ttc"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if name == "not a font" {
				if err := os.WriteFile(path, notFont, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var logs bytes.Buffer
			opts := Options{FontPath: path, Log: slog.New(slog.NewTextHandler(&logs, nil))}
			ov, plan := sample(t)
			var data []byte
			var err error // not the outer err: the cases run in parallel
			for range 2 {
				if data, err = Digest(ov, plan, opts); err != nil {
					t.Fatal(err)
				}
			}
			if info := FontStatus(opts); info.CJK || info.Reason == "" {
				t.Errorf("FontStatus = %+v, want no CJK font and why", info)
			}
			if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), "ASCII") || !strings.Contains(logs.String(), filepath.Base(path)) {
				t.Errorf("want the fallback logged once, naming the file; got %d warnings:\n%s", n, logs.String())
			}
			save(t, "digest-ascii-"+strings.ReplaceAll(name, " ", "-")+".png", data)
			checkPicture(t, data, ov)

			d := newDrawing(resolveFont(opts), ov, plan)
			for zh, want := range map[string]string{"固定资产投资": "fixed_asset_investment"} {
				if got := d.label(zh, want); got != want {
					t.Errorf("label(%q) = %q, want %q", zh, got, want)
				}
			}
			if got := d.sectionLabel(plan.Sections[1], Width*maxLabelFrac); got != "Section 2" {
				t.Errorf("section label = %q, want the code", got)
			}
			if got := d.sanitize("2.3 扩充 ok"); got != "2.3 ?? ok" {
				t.Errorf("sanitize = %q: what the font cannot draw must become '?'", got)
			}
		})
	}
}

// A plan bigger than the example makes a taller picture, not tiny rows; an
// empty one still makes a picture.
func TestDigestSizes(t *testing.T) {
	t.Parallel()
	ov, plan := sample(t)
	opts := Options{Log: slog.New(slog.DiscardHandler)}

	big := ov
	big.Indicators = nil
	for i := range 4 {
		for _, iv := range ov.Indicators {
			iv.Indicator.Key = fmt.Sprintf("%s_%d", iv.Indicator.Key, i)
			big.Indicators = append(big.Indicators, iv)
		}
	}
	big.Sections = append(append([]planbot.SectionView(nil), ov.Sections...), ov.Sections...)
	data, err := Digest(big, plan, opts)
	if err != nil {
		t.Fatal(err)
	}
	save(t, "digest-big.png", data)
	img := decode(t, data)
	if b := img.Bounds(); b.Dx() != Width || b.Dy() <= MinHeight {
		t.Errorf("28 rows: %dx%d, want %d wide and taller than %d", b.Dx(), b.Dy(), Width, MinHeight)
	}

	empty := planbot.Overview{At: sampleAt, Counts: map[planbot.Status]int{}}
	data, err = Digest(empty, &planbot.Plan{Year: 2027}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if b := decode(t, data).Bounds(); b.Dx() != Width || b.Dy() != MinHeight {
		t.Errorf("empty plan: %dx%d", b.Dx(), b.Dy())
	}
	if _, err := Digest(ov, nil, opts); err == nil {
		t.Error("no plan: want an error")
	}
}

func TestOpenCJKRejectsNonFonts(t *testing.T) {
	for _, p := range []string{"testdata/not-a-font.ttf", "testdata/nonexistent.ttc"} {
		if _, _, err := openCJK(p); err == nil {
			t.Errorf("openCJK(%s) = nil error", p)
		}
	}
}

func decode(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img
}

// checkPicture decodes the PNG and checks it is the size promised, not
// blank, and shows each colour it should: every status in the legend, and
// as bars those the overview has; red, green and grey indicator bars; the
// elapsed line.
func checkPicture(t *testing.T, data []byte, ov planbot.Overview) {
	t.Helper()
	img := decode(t, data)
	b := img.Bounds()
	if b.Dx() != Width || b.Dy() != MinHeight {
		t.Fatalf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), Width, MinHeight)
	}
	count := map[color.RGBA]int{}
	if rgba, ok := img.(*image.RGBA); ok { // what an opaque PNG decodes to: fast
		for i := 0; i+3 < len(rgba.Pix); i += 4 {
			count[color.RGBA{rgba.Pix[i], rgba.Pix[i+1], rgba.Pix[i+2], rgba.Pix[i+3]}]++
		}
	} else {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				count[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
			}
		}
	}
	white := count[color.RGBA{255, 255, 255, 255}]
	if len(count) < 50 {
		t.Errorf("only %d distinct colours: a blank or broken picture?", len(count))
	}
	if share := 1 - float64(white)/float64(b.Dx()*b.Dy()); share < 0.12 {
		t.Errorf("only %.1f%% of the picture is not white", 100*share)
	}
	swatchArea := int(swatch * swatch)
	for _, s := range planbot.Statuses {
		want := swatchArea // the legend
		if ov.Counts[s] > 0 {
			want += 1000 // and a bar segment
		}
		if got := count[statusColor(s)]; got < want {
			t.Errorf("status %s: %d pixels of its colour, want at least %d", s, got, want)
		}
	}
	for name, c := range map[string]color.RGBA{"behind": colorBehind, "in step": colorInStep, "no data": colorNoData, "elapsed line": colorElapsed} {
		if got := count[c]; got < 300 {
			t.Errorf("%s: %d pixels of its colour", name, got)
		}
	}
}

func save(t *testing.T, name string, data []byte) {
	t.Helper()
	if *outDir == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(*outDir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The WenQuanYi fonts keep tables at offsets that are not multiples of 4,
// which x/image/font/sfnt refuses (golang/go#46384); realign copies them to
// aligned offsets. A misaligned copy of Liberation Sans stands in for them,
// alone and inside a collection.
func TestRealignMisalignedFont(t *testing.T) {
	for _, ttc := range []bool{false, true} {
		mis := misalign(t, liberationsansregular.TTF, ttc)
		if c, err := opentype.ParseCollection(mis); err == nil {
			if _, err := c.Font(0); err == nil {
				t.Fatalf("ttc=%v: the misaligned font parses; the test proves nothing", ttc)
			}
		}
		fixed, err := realign(mis, 0)
		if err != nil {
			t.Fatalf("ttc=%v: %v", ttc, err)
		}
		f, err := opentype.Parse(fixed)
		if err != nil {
			t.Fatalf("ttc=%v: realigned font does not parse: %v", ttc, err)
		}
		var buf sfnt.Buffer
		if !covers(f, &buf, "Aa1") {
			t.Errorf("ttc=%v: realigned font lost its glyphs", ttc)
		}
		if _, err := realign(mis, 1); err == nil {
			t.Errorf("ttc=%v: face 1 of a one-face font: want an error", ttc)
		}
	}
	for _, junk := range [][]byte{nil, []byte("ttcf"), []byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x01\xff\xff\xff\xff"), bytes.Repeat([]byte{0xff}, 64)} {
		if _, err := realign(junk, 0); err == nil {
			t.Errorf("realign(%q): want an error", junk)
		}
	}
}

// misalign rewrites a single font so that every table starts at an odd
// offset, optionally wrapped as a one-font collection.
func misalign(t *testing.T, font []byte, ttc bool) []byte {
	t.Helper()
	n := int(binary.BigEndian.Uint16(font[4:]))
	base := 0
	var out []byte
	if ttc {
		out = append([]byte("ttcf"), 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 16)
		base = len(out)
	}
	out = append(out, font[:12+16*n]...)
	for k := range n {
		e := base + 12 + 16*k
		o := binary.BigEndian.Uint32(font[12+16*k+8:])
		l := binary.BigEndian.Uint32(font[12+16*k+12:])
		if len(out)%4 != 1 {
			out = append(out, make([]byte, (5-len(out)%4)%4)...)
		}
		binary.BigEndian.PutUint32(out[e+8:], uint32(len(out)))
		out = append(out, font[o:o+l]...)
	}
	return out
}
