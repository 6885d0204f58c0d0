package chart

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"planbot"
)

// TestDigestWithoutCJKFontKeepsValues renders the sample without a CJK
// font and reads the texts given to the canvas (not pixels): every
// indicator's figure against its target is there in ASCII, rows are
// labelled by their plan number, and no internal key (an indicator's
// fixed_asset_investment, a status's at_risk) is shown.
func TestDigestWithoutCJKFontKeepsValues(t *testing.T) {
	t.Parallel()
	// A path of its own: the font choice is cached per path.
	opts := Options{FontPath: filepath.Join(t.TempDir(), "no-cjk-font.ttc")}
	if FontStatus(opts).CJK {
		t.Fatal("a missing file gave a CJK font")
	}
	ov, plan := sample(t)
	d := newDrawing(resolveFont(opts), ov, plan)
	if _, err := d.render(); err != nil {
		t.Fatal(err)
	}
	drawn := d.drawn
	has := func(s string) bool { return slices.Contains(drawn, s) }

	// The sample's figures: 3.4亿元 of 6.5, 1500万元 of 4120, 1.9亿元 of
	// 3.2, 1100万元 of 2600; 规模以上工业产值 has none.
	for _, want := range []string{"3.4 / 6.5", "1500 / 4120", "1.9 / 3.2", "1100 / 2600"} {
		if !has(want) {
			t.Errorf("no %q drawn; drawn: %q", want, drawn)
		}
	}
	for i := range plan.Indicators {
		if code := indicatorCode(i); !has(code) {
			t.Errorf("indicator %d: no row label %q; drawn: %q", i+1, code, drawn)
		}
	}
	var keys []string
	for _, ind := range plan.Indicators {
		keys = append(keys, ind.Key)
	}
	for _, s := range planbot.Statuses {
		if strings.Contains(string(s), "_") { // overdue and done read as words
			keys = append(keys, string(s))
		}
	}
	for _, text := range drawn {
		for _, k := range keys {
			if strings.Contains(text, k) {
				t.Errorf("drawn %q shows the internal key %q", text, k)
			}
		}
		// '?' stands for what the font could not draw: nothing may be lost.
		if strings.Contains(text, "?") {
			t.Errorf("drawn %q lost characters to '?'", text)
		}
	}
	// The legend names each status in words, with its count.
	if want := fmt.Sprintf("at risk %d", ov.Counts[planbot.StatusAtRisk]); !has(want) {
		t.Errorf("legend: no %q; drawn: %q", want, drawn)
	}
}
