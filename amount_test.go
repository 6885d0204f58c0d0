package planbot

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// dec is a test shorthand; the tests of ParseDecimal pin down its parsing.
func dec(t testing.TB, s string) Decimal {
	t.Helper()
	d, err := ParseDecimal(s)
	if err != nil {
		t.Fatalf("ParseDecimal(%q): %v", s, err)
	}
	return d
}

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in   string
		want Decimal
	}{
		{"0", 0},
		{"-0", 0},
		{"1.8", 18000},
		{"-3", -30000},
		{"+3", 30000},
		{"180,000,000", 180000000 * DecimalScale},
		{"180，000，000", 180000000 * DecimalScale},
		{"0.0001", 1},
		{"-0.0001", -1},
		{"１.８", 18000},
		{"１．８", 18000},
		{"1.50000", 15000}, // exact, so trailing zeros are harmless
		{"007", 70000},
		{"922337203685477.5807", math.MaxInt64},
		{"-922337203685477.5807", -math.MaxInt64},
		{"三十万", 300000 * DecimalScale},
		{"一点八", 18000},
		{" 42 ", 420000},
	}
	for _, tt := range tests {
		got, err := ParseDecimal(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDecimal(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{
		"", " ", "abc", "1.2.3", "1e9", "0.00001", "922337203685477.5808",
		"-922337203685477.5808", "99999999999999999999999", "1.8亿", "5%",
		"1,2", "1,2345", ",5", "1.", ".5", "1.2,3", "NaN", "Inf", "-", "X",
	} {
		if d, err := ParseDecimal(in); err == nil {
			t.Errorf("ParseDecimal(%q) = %d, want error", in, d)
		}
	}
}

func TestDecimalFromInt(t *testing.T) {
	if got := DecimalFromInt(-3); got != -30000 {
		t.Errorf("DecimalFromInt(-3) = %d", got)
	}
	if got := DecimalFromInt(math.MaxInt64 / DecimalScale); got.String() != "922337203685477" {
		t.Errorf("DecimalFromInt(max) = %s", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("DecimalFromInt out of range did not panic")
		}
	}()
	DecimalFromInt(math.MaxInt64/DecimalScale + 1)
}

func TestDecimalStringFormat(t *testing.T) {
	tests := []struct {
		d      Decimal
		str    string
		places int
		format string
	}{
		{0, "0", 2, "0"},
		{18000, "1.8", 2, "1.8"},
		{2000000000, "200000", 0, "200000"},
		{-5000, "-0.5", 0, "-1"}, // half away from zero
		{5000, "0.5", 0, "1"},
		{4999, "0.4999", 0, "0"},
		{-4999, "-0.4999", 0, "0"}, // no "-0"
		{12345, "1.2345", 2, "1.23"},
		{12350, "1.235", 2, "1.24"},
		{-12350, "-1.235", 2, "-1.24"},
		{99999, "9.9999", 3, "10"},
		{99999, "9.9999", 9, "9.9999"},
		{1, "0.0001", 3, "0"},
		{1, "0.0001", -1, "0"},
		{math.MaxInt64, "922337203685477.5807", 0, "922337203685478"},
		{math.MinInt64, "-922337203685477.5808", 4, "-922337203685477.5808"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.str {
			t.Errorf("Decimal(%d).String() = %q, want %q", tt.d, got, tt.str)
		}
		if got := tt.d.Format(tt.places); got != tt.format {
			t.Errorf("Decimal(%d).Format(%d) = %q, want %q", tt.d, tt.places, got, tt.format)
		}
	}
	if f := Decimal(15000).Float64(); f != 1.5 {
		t.Errorf("Float64 = %v", f)
	}
}

func TestLookupUnit(t *testing.T) {
	tests := []struct {
		sym  string
		want Unit
	}{
		{"元", Unit{"元", "元", 1}},
		{"万元", Unit{"万元", "元", 10000}},
		{"亿元", Unit{"亿元", "元", 100000000}},
		{"千元", Unit{"千元", "元", 1000}},
		{"百万元", Unit{"百万元", "元", 1000000}},
		{"千万元", Unit{"千万元", "元", 10000000}},
		{"万亿元", Unit{"万亿元", "元", 1000000000000}},
		{"%", Unit{"%", "%", 1}},
		{"个百分点", Unit{"个百分点", "%", 1}},
		{"", Unit{"", "", 1}},
		{"亿", Unit{"亿", "", 100000000}},
		{"万", Unit{"万", "", 10000}},
		{"只", Unit{"只", "只", 1}},
		{"万只", Unit{"万只", "只", 10000}},
		{"千户", Unit{"千户", "户", 1000}},
		{"万人次", Unit{"万人次", "人次", 10000}},
		{"亿元", Unit{"亿元", "元", 100000000}},
		{"千克", Unit{"千克", "公斤", 1}},
		{"千米", Unit{"千米", "公里", 1}},
		{"万平方米", Unit{"万平方米", "平方米", 10000}},
		{"亩", Unit{"亩", "亩", 1}},
		{"口人", Unit{"口人", "口", 1}},
	}
	for _, tt := range tests {
		got, ok := LookupUnit(tt.sym)
		if !ok || got != tt.want {
			t.Errorf("LookupUnit(%q) = %+v, %v; want %+v", tt.sym, got, ok, tt.want)
		}
	}
	for _, sym := range []string{"斤", "斤蟹", "万%", "亿亿", "万千元", "亿万", "元元", "克", "美元"} {
		if u, ok := LookupUnit(sym); ok {
			t.Errorf("LookupUnit(%q) = %+v, want not found", sym, u)
		}
	}
}

// Every conversion is a digit shift only if every factor is a power of ten,
// and an Amount's Unit must look up to itself for Format(a.Unit) to work.
func TestUnitTableInvariants(t *testing.T) {
	check := func(u Unit) {
		if _, ok := u.exp10(); !ok {
			t.Errorf("%q: factor %d is not a power of ten", u.Symbol, u.Factor)
		}
		b, ok := LookupUnit(u.Base)
		if !ok || b != (Unit{u.Base, u.Base, 1}) {
			t.Errorf("%q: base %q looks up to %+v, %v", u.Symbol, u.Base, b, ok)
		}
	}
	for sym, u := range units {
		if u.Symbol != sym {
			t.Errorf("units[%q].Symbol = %q", sym, u.Symbol)
		}
		check(u)
		for _, m := range multipliers {
			if p, ok := LookupUnit(m.prefix + sym); ok {
				check(p)
			}
		}
	}
}

func TestParseAmount(t *testing.T) {
	const (
		yuan = "元"
		wan  = 10000 * DecimalScale
		yi   = 100000000 * DecimalScale
	)
	tests := []struct {
		in   string
		want Amount
	}{
		{"1.8亿", Amount{18000 * wan, ""}},
		{"18000万", Amount{18000 * wan, ""}},
		{"1.8亿元", Amount{18000 * wan, yuan}},
		{"18000万元", Amount{18000 * wan, yuan}},
		{"180,000,000元", Amount{18000 * wan, yuan}},
		{"180，000，000元", Amount{18000 * wan, yuan}},
		{"１８０，０００，０００元", Amount{18000 * wan, yuan}},
		{"180000000元", Amount{18000 * wan, yuan}},
		{"0.00000001亿元", Amount{1 * DecimalScale, yuan}},
		{"0.0001元", Amount{1, yuan}},
		{"0.00010元", Amount{1, yuan}},
		{"1.2345万元", Amount{12345 * DecimalScale, yuan}},
		{"1.23456789亿元", Amount{123456789 * DecimalScale, yuan}},
		{"1万亿元", Amount{1000000000000 * DecimalScale, yuan}},
		{"5千万元", Amount{5000 * wan, yuan}},
		{"3百万元", Amount{300 * wan, yuan}},
		{"20万只", Amount{20 * wan, "只"}},
		{"200000只", Amount{20 * wan, "只"}},
		{"三十万只", Amount{30 * wan, "只"}},
		{"一百二十户", Amount{120 * DecimalScale, "户"}},
		{"100余人次", Amount{100 * DecimalScale, "人次"}},
		{"20余次", Amount{20 * DecimalScale, "次"}},
		{"9477口人", Amount{9477 * DecimalScale, "口"}},
		{"12余万元", Amount{12 * wan, yuan}},
		{"12多万元", Amount{12 * wan, yuan}},
		{"1万余元", Amount{1 * wan, yuan}},
		{"十多万元", Amount{10 * wan, yuan}},
		{"一百多户", Amount{100 * DecimalScale, "户"}},
		{"约20万只", Amount{20 * wan, "只"}},
		{"20万只左右", Amount{20 * wan, "只"}},
		{"121.6%", Amount{1216000, "%"}},
		{"121.6％", Amount{1216000, "%"}},
		{"１２１．６％", Amount{1216000, "%"}},
		{"60%", Amount{60 * DecimalScale, "%"}},
		{"-5%", Amount{-5 * DecimalScale, "%"}},
		{"－5%", Amount{-5 * DecimalScale, "%"}},
		{"负5%", Amount{-5 * DecimalScale, "%"}},
		{"+6.6%", Amount{66000, "%"}},
		{"3个百分点", Amount{3 * DecimalScale, "%"}},
		{"三百分点", Amount{3 * DecimalScale, "%"}},
		{"三成", Amount{30 * DecimalScale, "%"}},
		{"3成", Amount{30 * DecimalScale, "%"}},
		{"3.5成", Amount{35 * DecimalScale, "%"}},
		{"三成五", Amount{35 * DecimalScale, "%"}},
		{"两成半", Amount{25 * DecimalScale, "%"}},
		{"三成多", Amount{30 * DecimalScale, "%"}},
		{"百分之六十", Amount{60 * DecimalScale, "%"}},
		{"百分之12.5", Amount{125000, "%"}},
		{"百分之一点五", Amount{15000, "%"}},
		{" 3.2 亿元 ", Amount{32000 * wan, yuan}},
		{"3.2亿 元", Amount{32000 * wan, yuan}},
		{"\u30003.2亿元\u3000", Amount{32000 * wan, yuan}},
		{"3.2", Amount{32000, ""}},
		{"1.2万", Amount{12000 * DecimalScale, ""}},
		{"1.2万户", Amount{12000 * DecimalScale, "户"}},
		{"两千万元", Amount{2000 * wan, yuan}},
		{"一点八亿元", Amount{18000 * wan, yuan}},
		{"一点八亿", Amount{18000 * wan, ""}},
		{"十", Amount{10 * DecimalScale, ""}},
		{"十五户", Amount{15 * DecimalScale, "户"}},
		{"零", Amount{0, ""}},
		{"一万五", Amount{15000 * DecimalScale, ""}},
		{"一万零五", Amount{10005 * DecimalScale, ""}},
		{"三百五", Amount{350 * DecimalScale, ""}},
		{"一千零五十", Amount{1050 * DecimalScale, ""}},
		{"一亿五", Amount{15000 * wan, ""}},
		{"一亿五千万元", Amount{15000 * wan, yuan}},
		{"三千五百万元", Amount{3500 * wan, yuan}},
		{"三千五万元", Amount{3500 * wan, yuan}},
		{"三万亿元", Amount{30000 * yi, yuan}},
		{"壹佰贰拾万元", Amount{120 * wan, yuan}},
		{"五千克", Amount{5 * DecimalScale, "公斤"}},
		{"5千克", Amount{5 * DecimalScale, "公斤"}},
		{"5千米", Amount{5 * DecimalScale, "公里"}},
		{"五千米", Amount{5000 * DecimalScale, "米"}}, // how 五千米 reads aloud
		{"20亩", Amount{20 * DecimalScale, "亩"}},
		{"22家", Amount{22 * DecimalScale, "家"}},
		{"伍万元整", Amount{5 * wan, yuan}},
		{"两", Amount{2 * DecimalScale, ""}},
		{"两万", Amount{2 * wan, ""}},
		{"一百一", Amount{110 * DecimalScale, ""}},
		{"一千二百五", Amount{1250 * DecimalScale, ""}},
		{"-0", Amount{0, ""}},
		{"922337203685477.5807", Amount{math.MaxInt64, ""}},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseAmount(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseAmountRejects(t *testing.T) {
	tests := []struct {
		in      string
		message string // a substring the user must see
	}{
		{"", "数额为空"},
		{"   ", "数额为空"},
		{"X亿元", "隐去"},
		{"XX万元", "隐去"},
		{"abc", `"abc" 不是数额：应为数字加单位，如 1.8亿元、20万只、60%`},
		{"1.2.3", "不是数额"},
		{"1e9", "不是数额"},
		{"1E9元", "不是数额"},
		{"亿", "不是数额"},
		{"万元", "不是数额"},
		{"百亩", "不是数额"},
		{"5千万亿亿", "不是数额"},
		{"五千万亿亿", "不是数额"},
		{"5亿万", "不是数额"},
		{"99999999999999亿元", "数额太大"},
		{"922337203685477.5808", "数额太大"},
		{"99999999999999999999999999999", "数额太大"},
		{"0.00001元", "小数位太多"},
		{"0.00001", "小数位太多"},
		{"1.0000000000001亿元", "小数位太多"},
		{"0.000000000000000000001亿元", "小数位太多"},
		{"5斤蟹", `"5斤蟹" 中有不认识的单位 "斤蟹"`},
		{"5斤", `不认识的单位 "斤"`},
		{"NaN", "不是数额"},
		{"Inf", "不是数额"},
		{"+Inf", "不是数额"},
		{"-", "不是数额"},
		{"%", "不是数额"},
		{"1,2万", "不是数额"},
		{"1 2万", "不是数额"},
		{"一二", "不是数额"},
		{"一百零", "不是数额"},
		{"十两", "不是数额"},
		{"一万两", "不是数额"},
		{"一万五千克", "不认识的单位"},
		{"百分之", "不是数额"},
		{"百分之60%", "不是数额"},
		{"三成四五", "不是数额"},
		{"12余余万元", "不认识的单位"},
		{"1.8亿元多", "不认识的单位"},
		{"1万%", "不认识的单位"},
		{"完成1.8亿元", "不是数额"},
		{strings.Repeat("1", 100), "太长"},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in)
		var ae *AmountError
		if !errors.As(err, &ae) {
			t.Errorf("ParseAmount(%q) = %+v, %v; want *AmountError", tt.in, got, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.message) {
			t.Errorf("ParseAmount(%q) error %q, want it to contain %q", tt.in, err, tt.message)
		}
	}
}

// The same money written three ways must be the same Value, to the last
// digit: this is the drift a float would introduce.
func TestParseAmountSameValue(t *testing.T) {
	groups := [][]string{
		{"1.8亿", "18000万", "180,000,000", "一点八亿", "一亿八千万"},
		{"1.8亿元", "18000万元", "180,000,000元", "180000000元", "0.00018万亿元", "180百万元", "18千万元"},
		{"20万只", "200000只", "二十万只", "0.2百万只"},
		{"60%", "百分之六十", "六成", "60.0000%"},
		{"0.07亿元", "700万元", "7,000,000元"},
	}
	for _, g := range groups {
		first, err := ParseAmount(g[0])
		if err != nil {
			t.Fatalf("ParseAmount(%q): %v", g[0], err)
		}
		for _, s := range g[1:] {
			a, err := ParseAmount(s)
			if err != nil || a != first {
				t.Errorf("ParseAmount(%q) = %+v, %v; want %+v like %q", s, a, err, first, g[0])
			}
		}
	}
}

func TestParseAmountIn(t *testing.T) {
	tests := []struct {
		in, unit string
		want     Amount
	}{
		{"3.2", "亿元", Amount{320000000 * DecimalScale, "元"}},
		{"1.8亿", "万元", Amount{180000000 * DecimalScale, "元"}},
		{"18000万", "亿元", Amount{180000000 * DecimalScale, "元"}},
		{"18000万", "万元", Amount{180000000 * DecimalScale, "元"}},
		{"500万元", "亿元", Amount{5000000 * DecimalScale, "元"}},
		{"20", "万只", Amount{200000 * DecimalScale, "只"}},
		{"20万", "只", Amount{200000 * DecimalScale, "只"}},
		{"60", "%", Amount{60 * DecimalScale, "%"}},
		{"三成", "%", Amount{30 * DecimalScale, "%"}},
		{"3.2", "", Amount{32000, ""}},
		{"1.8亿", "", Amount{180000000 * DecimalScale, ""}},
		{"5", "千克", Amount{5 * DecimalScale, "公斤"}},
		{"5公斤", "千克", Amount{5 * DecimalScale, "公斤"}},
		{"0.00000000001", "亿元", Amount{10, "元"}},
	}
	for _, tt := range tests {
		got, err := ParseAmountIn(tt.in, tt.unit)
		if err != nil || got != tt.want {
			t.Errorf("ParseAmountIn(%q, %q) = %+v, %v; want %+v", tt.in, tt.unit, got, err, tt.want)
		}
	}
	rejects := []struct{ in, unit, message string }{
		{"5只", "亿元", `"5只" 的单位与 亿元 不一致`},
		{"60%", "万元", `"60%" 的单位与 万元 不一致`},
		{"三成", "元", "不一致"},
		{"5元", "", "的单位与 纯数字 不一致"},
		{"0.0000000000001", "亿元", "小数位太多"},
		{"99999999", "亿元", "数额太大"},
		{"abc", "亿元", "不是数额"},
		{"5", "斤", `"斤" 是不认识的单位`},
	}
	for _, tt := range rejects {
		got, err := ParseAmountIn(tt.in, tt.unit)
		var ae *AmountError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("ParseAmountIn(%q, %q) = %+v, %v; want error containing %q", tt.in, tt.unit, got, err, tt.message)
		}
	}
}

func TestAmountFormat(t *testing.T) {
	yuan := func(n int64) Amount { return Amount{Decimal(n) * DecimalScale, "元"} }
	tests := []struct {
		a      Amount
		unit   string
		places int
		want   string
	}{
		{yuan(180000000), "亿元", 2, "1.8亿元"},
		{yuan(180000000), "万元", 2, "18000万元"},
		{yuan(180000000), "元", 0, "180000000元"},
		{yuan(1), "亿元", 8, "0.00000001亿元"},
		{yuan(1), "亿元", 12, "0.00000001亿元"},
		{yuan(1), "亿元", 2, "0亿元"},
		{yuan(123456789), "亿元", 2, "1.23亿元"},
		{yuan(125000000), "亿元", 1, "1.3亿元"},
		{yuan(-125000000), "亿元", 1, "-1.3亿元"},
		{yuan(199999999), "亿元", 2, "2亿元"},
		{Amount{1, "元"}, "万亿元", 16, "0.0000000000000001万亿元"},
		{Amount{200000 * DecimalScale, "只"}, "万只", 2, "20万只"},
		{Amount{1216000, "%"}, "%", 1, "121.6%"},
		{Amount{32000, ""}, "", 4, "3.2"},
		{Amount{180000000 * DecimalScale, ""}, "亿", 2, "1.8亿"},
		{Amount{5 * DecimalScale, "公斤"}, "千克", 0, "5千克"},
	}
	for _, tt := range tests {
		got, err := tt.a.Format(tt.unit, tt.places)
		if err != nil || got != tt.want {
			t.Errorf("%+v.Format(%q, %d) = %q, %v; want %q", tt.a, tt.unit, tt.places, got, err, tt.want)
		}
	}
	for _, tt := range []struct {
		a    Amount
		unit string
	}{
		{yuan(1), "只"},
		{yuan(1), ""},
		{yuan(1), "亿"},
		{Amount{1, "只"}, "元"},
		{yuan(1), "斤"},
	} {
		if got, err := tt.a.Format(tt.unit, 2); err == nil {
			t.Errorf("%+v.Format(%q) = %q, want error", tt.a, tt.unit, got)
		}
	}
}

func TestAmountString(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"1.8亿元", "1.8亿元"},
		{"1亿元", "1亿元"},
		{"123456789元", "1.23亿元"},
		{"-1.8亿元", "-1.8亿元"},
		{"18000万元", "1.8亿元"},
		{"9999.99万元", "9999.99万元"},
		{"99999950元", "1亿元"}, // would round to 10000万元
		{"99999949.9999元", "9999.99万元"},
		{"12万元", "12万元"},
		{"12345.678元", "1.23万元"},
		{"10000元", "1万元"},
		{"9999.5元", "9999.5元"},
		{"0.0001元", "0.0001元"},
		{"0元", "0元"},
		{"20万只", "200000只"},
		{"121.6%", "121.6%"},
		{"-5%", "-5%"},
		{"3.2", "3.2"},
		{"1.8亿", "180000000"},
	}
	for _, tt := range tests {
		a, err := ParseAmount(tt.in)
		if err != nil {
			t.Fatalf("ParseAmount(%q): %v", tt.in, err)
		}
		if got := a.String(); got != tt.want {
			t.Errorf("ParseAmount(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// unitsByBase lists, per base, units to format into; all must round-trip.
var unitsByBase = map[string][]string{
	"元":  {"元", "千元", "万元", "十万元", "百万元", "千万元", "亿元", "十亿元", "百亿元", "千亿元", "万亿元"},
	"只":  {"只", "十只", "百只", "千只", "万只", "亿只"},
	"%":  {"%"},
	"":   {"", "万", "亿", "千万"},
	"公斤": {"公斤", "千克", "万千克"},
}

// randomDecimal spreads values over every magnitude, not just large ones.
func randomDecimal(r *rand.Rand) Decimal {
	digits := 1 + r.IntN(19)
	limit := uint64(1)
	for range digits {
		if limit > math.MaxInt64/10 {
			limit = math.MaxInt64
			break
		}
		limit *= 10
	}
	v := Decimal(r.Uint64N(limit))
	if r.IntN(2) == 0 {
		v = -v
	}
	return v
}

// Format to any unit of the right base, with enough places, then parse:
// the Value must come back unchanged. With fewer places, the error must
// stay within half a unit of the last place shown.
func TestFormatParseRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(2024, 121))
	bases := []string{"元", "只", "%", "", "公斤"}
	for range 20000 {
		base := bases[r.IntN(len(bases))]
		a := Amount{randomDecimal(r), base}
		unit := unitsByBase[base][r.IntN(len(unitsByBase[base]))]
		u, _ := LookupUnit(unit)
		k, _ := u.exp10()

		s, err := a.Format(unit, decimalPlaces+k)
		if err != nil {
			t.Fatalf("%+v.Format(%q): %v", a, unit, err)
		}
		b, err := ParseAmount(s)
		if err != nil || b != a {
			t.Fatalf("%+v.Format(%q) = %q, parses to %+v, %v", a, unit, s, b, err)
		}
		// The bare number in the unit's context reads the same.
		num := strings.TrimSuffix(s, u.Symbol)
		if b, err := ParseAmountIn(num, unit); err != nil || b != a {
			t.Fatalf("ParseAmountIn(%q, %q) = %+v, %v; want %+v", num, unit, b, err, a)
		}

		places := r.IntN(decimalPlaces + k + 1)
		s, _ = a.Format(unit, places)
		b, err = ParseAmount(s)
		if err != nil || b.Unit != a.Unit {
			t.Fatalf("%+v.Format(%q, %d) = %q, parses to %+v, %v", a, unit, places, s, b, err)
		}
		if diff, half := absDiff(a.Value, b.Value), pow10(decimalPlaces+k-places)/2; diff > half {
			t.Fatalf("%+v.Format(%q, %d) = %q, off by %d > %d", a, unit, places, s, diff, half)
		}
	}
}

// String may round money shown in 万元 or 亿元 to two decimals; everything
// else it shows exactly. Reading it back must respect that.
func TestStringParseRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	bases := []string{"元", "只", "%", "", "公斤"}
	for range 20000 {
		a := Amount{randomDecimal(r), bases[r.IntN(len(bases))]}
		checkStringRoundTrip(t, a)
	}
}

func checkStringRoundTrip(t *testing.T, a Amount) {
	t.Helper()
	s := a.String()
	b, err := ParseAmount(s)
	if err != nil || b.Unit != a.Unit {
		t.Fatalf("%+v.String() = %q, parses to %+v, %v", a, s, b, err)
	}
	var tolerance uint64 // exact unless shown rounded in 万元/亿元
	switch {
	case a.Unit == "元" && strings.HasSuffix(s, "亿元"):
		tolerance = 100000000 * DecimalScale / 200
	case a.Unit == "元" && strings.HasSuffix(s, "万元"):
		tolerance = 10000 * DecimalScale / 200
	}
	if d := absDiff(a.Value, b.Value); d > tolerance {
		t.Fatalf("%+v.String() = %q, parses to %+v: off by %d > %d", a, s, b, d, tolerance)
	}
}

func absDiff(x, y Decimal) uint64 {
	if x > y {
		return uint64(x) - uint64(y)
	}
	return uint64(y) - uint64(x)
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

func TestAmountArithmetic(t *testing.T) {
	mustParse := func(s string) Amount {
		t.Helper()
		a, err := ParseAmount(s)
		if err != nil {
			t.Fatalf("ParseAmount(%q): %v", s, err)
		}
		return a
	}
	a, b := mustParse("1.8亿元"), mustParse("3000万元")
	if s, err := a.Add(b); err != nil || s != mustParse("2.1亿元") {
		t.Errorf("Add = %+v, %v", s, err)
	}
	if s, err := b.Sub(a); err != nil || s != mustParse("-1.5亿元") {
		t.Errorf("Sub = %+v, %v", s, err)
	}
	if r, err := b.Ratio(a); err != nil || math.Abs(r-1.0/6) > 1e-12 {
		t.Errorf("Ratio = %v, %v", r, err)
	}
	if !(Amount{Unit: "元"}).IsZero() || a.IsZero() {
		t.Error("IsZero wrong")
	}

	only := mustParse("5只")
	var ae *AmountError
	if _, err := a.Add(only); !errors.As(err, &ae) || !strings.Contains(err.Error(), "不一致") {
		t.Errorf("Add across bases: %v", err)
	}
	if _, err := a.Sub(mustParse("5")); err == nil {
		t.Error("Sub of bare from 元 succeeded")
	}
	if _, err := a.Ratio(only); err == nil {
		t.Error("Ratio across bases succeeded")
	}
	if _, err := a.Ratio(Amount{Unit: "元"}); !errors.As(err, &ae) {
		t.Errorf("Ratio by zero: %v", err)
	}

	top := Amount{math.MaxInt64, "元"}
	if _, err := top.Add(Amount{1, "元"}); !errors.As(err, &ae) || !strings.Contains(err.Error(), "太大") {
		t.Errorf("Add overflow: %v", err)
	}
	if _, err := (Amount{-math.MaxInt64, "元"}).Sub(Amount{1, "元"}); err == nil {
		t.Error("Sub overflow to MinInt64 accepted")
	}
	if _, err := (Amount{-1, "元"}).Sub(Amount{math.MaxInt64, "元"}); err == nil {
		t.Error("Sub overflow accepted")
	}
	if _, err := (Amount{0, "元"}).Sub(Amount{math.MinInt64, "元"}); err == nil {
		t.Error("Sub of MinInt64 accepted")
	}
	if s, err := top.Sub(top); err != nil || !s.IsZero() {
		t.Errorf("top-top = %+v, %v", s, err)
	}
}

func TestDivInt(t *testing.T) {
	tests := []struct {
		v    Decimal
		n    int64
		want Decimal
	}{
		{100000, 3, 33333},
		{-100000, 3, -33333},
		{200000, 3, 66667},
		{5, 2, 3}, // half away from zero
		{-5, 2, -3},
		{5, -2, -3},
		{3, 2, 2},
		{1, 3, 0},
		{0, 7, 0},
		{120000, 12, 10000},
		{math.MaxInt64, 1, math.MaxInt64},
		{math.MaxInt64, 2, math.MaxInt64/2 + 1},
		{math.MinInt64, -1, math.MaxInt64}, // clamped
		{math.MaxInt64, math.MinInt64, -1},
	}
	for _, tt := range tests {
		got := Amount{tt.v, "元"}.DivInt(tt.n)
		if got != (Amount{tt.want, "元"}) {
			t.Errorf("%d.DivInt(%d) = %d, want %d", tt.v, tt.n, got.Value, tt.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("DivInt(0) did not panic")
		}
	}()
	Amount{1, "元"}.DivInt(0)
}

func TestAmountErrorMessage(t *testing.T) {
	_, err := ParseAmount(strings.Repeat("很长的句子", 20))
	if msg := err.Error(); !strings.Contains(msg, "…") || strings.Count(msg, "很长的句子") > 6 {
		t.Errorf("long input echoed in full: %q", msg)
	}
	if _, err := ParseAmount("5\x00斤"); !strings.Contains(err.Error(), `\x00`) {
		t.Errorf("control character not escaped: %q", err)
	}
}

var fuzzSeeds = []string{
	"1.8亿", "18000万", "1.8亿元", "18000万元", "180,000,000元", "180000000元",
	"20万只", "200000只", "121.6%", "121.6％", "60%", "三成", "两成半",
	"百分之六十", "三十万只", "一百二十户", "12余万元", " 3.2 亿元 ", "-5%",
	"1.2万", "１.８", "180，000，000", "", "X亿元", "abc", "1.2.3", "1e9",
	"亿", "5千万亿亿", "99999999999999亿元", "0.00001元", "5斤蟹", "NaN",
	"Inf", "五千克", "一万五", "0.00000001亿元", "922337203685477.5807",
	"一亿五千万元", "3个百分点", "负5%", "约20万只左右", "壹佰贰拾万元",
}

// FuzzParseAmount checks that ParseAmount never panics, that every failure
// is an *AmountError, and that every success is in a base unit and reads
// back: exactly through Format in its own unit, and through String within
// String's documented rounding (two decimals of 万元/亿元 for money).
// ParseDecimal gets the same treatment on the same inputs.
func FuzzParseAmount(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDecimal(s); err != nil {
			var ae *AmountError
			if !errors.As(err, &ae) || ae.Reason == "" {
				t.Fatalf("ParseDecimal(%q): %v is not an *AmountError", s, err)
			}
		} else if d2, err := ParseDecimal(d.String()); err != nil || d2 != d {
			t.Fatalf("ParseDecimal(%q) = %s, which reads back as %d, %v", s, d, d2, err)
		}

		a, err := ParseAmount(s)
		if err != nil {
			var ae *AmountError
			if !errors.As(err, &ae) || ae.Reason == "" {
				t.Fatalf("ParseAmount(%q): %v is not an *AmountError", s, err)
			}
			_ = err.Error()
			return
		}
		if u, ok := LookupUnit(a.Unit); !ok || u.Base != a.Unit || u.Factor != 1 {
			t.Fatalf("ParseAmount(%q) = %+v: unit is not a base", s, a)
		}
		exact, err := a.Format(a.Unit, decimalPlaces)
		if err != nil {
			t.Fatalf("%+v.Format: %v", a, err)
		}
		if b, err := ParseAmount(exact); err != nil || b != a {
			t.Fatalf("ParseAmount(%q) = %+v; Format gives %q which reads as %+v, %v", s, a, exact, b, err)
		}
		if b, err := ParseAmountIn(s, a.Unit); err != nil || b != a {
			t.Fatalf("ParseAmountIn(%q, %q) = %+v, %v; want %+v", s, a.Unit, b, err, a)
		}
		checkStringRoundTrip(t, a)
	})
}

func BenchmarkParseAmount(b *testing.B) {
	inputs := []string{"1.8亿元", "180,000,000元", "20万只", "121.6%", "三十万只", "12余万元", "百分之六十"}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range inputs {
			if _, err := ParseAmount(s); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// Spaces pasted from web pages and WeChat (non-breaking, zero-width) read
// as the plain spaces they look like, as in chat messages.
func TestParseAmountPastedSpaces(t *testing.T) {
	want, err := ParseAmount("1.8亿")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"1.8\u00a0亿", "1.8\u200b亿", "\ufeff1.8亿", "１．８\u3000亿"} {
		if a, err := ParseAmount(s); err != nil || a != want {
			t.Errorf("ParseAmount(%q) = %v, %v; want %v", s, a, err, want)
		}
	}
}
