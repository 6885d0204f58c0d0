package planbot

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Decimal is a fixed-point number with four decimal places: 1.5 is
// Decimal(15000). Money and counts are kept exact so that 1.8亿元 entered in
// 万元 and summed in 元 never drifts the way float64 would; four places is
// enough for 0.0001元 and for percentages like 121.6%.
//
// The usable range is ±922337203685477.5807 (math.MaxInt64 on the grid);
// parsing and arithmetic refuse math.MinInt64 so that negation never wraps.
type Decimal int64

// DecimalScale is how many Decimal units make 1.
const DecimalScale = 10000

// decimalPlaces is log10(DecimalScale).
const decimalPlaces = 4

// maxMagnitude is the largest |Decimal| we produce; MinInt64 is left out so
// that every value can be negated.
const maxMagnitude = math.MaxInt64

// DecimalFromInt returns n as a Decimal. It is meant for constants and
// counts known to be small; n beyond ±922337203685477 is a programming
// error and panics rather than silently wrapping.
func DecimalFromInt(n int64) Decimal {
	const limit = maxMagnitude / DecimalScale
	if n > limit || n < -limit {
		panic(fmt.Sprintf("planbot: DecimalFromInt(%d) out of range", n))
	}
	return Decimal(n * DecimalScale)
}

// ParseDecimal reads a plain number: ASCII or full-width digits with an
// optional sign, decimal point and thousands separators ("180,000,000",
// "１.８", "-3"), or a Chinese numeral ("三十万", "一点八"). It takes no
// unit and no multiplier: "1.8亿" is an error here (use ParseAmount).
// A value needing more than four decimal places is an error, never rounded.
func ParseDecimal(s string) (Decimal, error) {
	rs := normalize(s)
	s = strings.TrimSpace(s)
	if len(rs) == 0 {
		return 0, &AmountError{Input: s, Reason: reasonEmpty}
	}
	if len(rs) > maxInputRunes {
		return 0, &AmountError{Input: s, Reason: reasonTooLong}
	}
	neg, i := scanSign(rs, 0)
	num, n, reason := scanNumber(rs[i:])
	if reason != "" {
		return 0, &AmountError{Input: s, Reason: reason}
	}
	if n == 0 {
		return 0, &AmountError{Input: s, Reason: notNumberReason(rs[i:])}
	}
	if i+n != len(rs) {
		return 0, &AmountError{Input: s, Reason: "不是单纯的数字：不能带单位或其他文字"}
	}
	d, reason := num.decimal(neg, 0, "")
	if reason != "" {
		return 0, &AmountError{Input: s, Reason: reason}
	}
	return d, nil
}

// Float64 returns d as a float, for ratios only (never for display).
func (d Decimal) Float64() float64 { return float64(d) / DecimalScale }

// String returns the shortest exact form: "1.8", "200000", "-0.5", "0".
func (d Decimal) String() string { return formatScaled(int64(d), decimalPlaces, decimalPlaces) }

// Format rounds d half away from zero to places decimals and trims trailing
// zeros, so Format(2) of 1.8 is "1.8", not "1.80". A negative places is
// taken as 0.
func (d Decimal) Format(places int) string {
	return formatScaled(int64(d), decimalPlaces, places)
}

// formatScaled writes v / 10^shift rounded half away from zero to places
// decimals, trailing zeros trimmed. It works on the decimal digits rather
// than on floats so that any shift (a Decimal in 元 shown in 亿元 has
// shift 12) stays exact.
func formatScaled(v int64, shift, places int) string {
	if places < 0 {
		places = 0
	}
	neg := v < 0
	mag := uint64(v)
	if neg {
		mag = -mag // two's complement: correct for MinInt64 too
	}
	digits := strconv.FormatUint(mag, 10)
	if len(digits) <= shift {
		digits = strings.Repeat("0", shift-len(digits)+1) + digits
	}
	intPart, frac := digits[:len(digits)-shift], digits[len(digits)-shift:]
	if places < len(frac) {
		roundUp := frac[places] >= '5'
		frac = frac[:places]
		if roundUp {
			intPart, frac = incrementDecimal(intPart, frac)
		}
	}
	frac = strings.TrimRight(frac, "0")
	out := intPart
	if frac != "" {
		out += "." + frac
	}
	if neg && strings.Trim(out, "0.") != "" {
		out = "-" + out
	}
	return out
}

// incrementDecimal adds one unit in the last place of intPart.frac.
func incrementDecimal(intPart, frac string) (string, string) {
	b := []byte(intPart + frac)
	i := len(b) - 1
	for ; i >= 0; i-- {
		if b[i] == '9' {
			b[i] = '0'
			continue
		}
		b[i]++
		break
	}
	s := string(b)
	if i < 0 {
		s = "1" + s
	}
	return s[:len(s)-len(frac)], s[len(s)-len(frac):]
}

// Unit is a unit of measure with an exact integer factor to its base: 亿元
// is {亿元, 元, 100000000}; 万只 is {万只, 只, 10000}. Base "" is a bare
// number, so a multiplier alone ("亿") is {亿, "", 100000000}. Every factor
// LookupUnit returns is a power of ten, which is what lets conversions be
// exact digit shifts.
type Unit struct {
	Symbol string
	Base   string
	Factor int64
}

// exp10 returns k when u.Factor is 10^k.
func (u Unit) exp10() (int, bool) {
	f, k := u.Factor, 0
	if f <= 0 {
		return 0, false
	}
	for f%10 == 0 {
		f /= 10
		k++
	}
	return k, f == 1
}

// units are the symbols recognised as written, before any multiplier
// prefix is considered. Each counter is its own base: 人 and 人次, 吨 and
// 公斤 are different things in a work plan and must not be summed. Aliases
// that name the same thing map to one base (千克 → 公斤) so that an
// indicator kept in 公斤 accepts a report in 千克.
var units = func() map[string]Unit {
	m := map[string]Unit{
		"":   {"", "", 1},
		"元":  {"元", "元", 1},
		"千元": {"千元", "元", 1000},
		"万元": {"万元", "元", 10000},
		// 百万元 and 千万元 are also reachable through the prefixes, but
		// they are common enough in reports to list explicitly.
		"百万元": {"百万元", "元", 1000000},
		"千万元": {"千万元", "元", 10000000},
		"亿元":  {"亿元", "元", 100000000},
		"%":   {"%", "%", 1},
		// A percentage point is kept as "%": indicators that are rates are
		// compared by subtraction, and the difference of two % is in points.
		"百分点":  {"百分点", "%", 1},
		"个百分点": {"个百分点", "%", 1},
		// These start with a character that is also a multiplier; they are
		// units in their own right, not 千×克 or 千×米.
		"千克": {"千克", "公斤", 1},
		"千米": {"千米", "公里", 1},
		"口人": {"口人", "口", 1},
	}
	for _, c := range counters {
		m[c] = Unit{c, c, 1}
	}
	return m
}()

// counters are the measure words and physical units seen in township work
// plans. Each is its own base.
var counters = []string{
	"只", "个", "户", "人", "人次", "次", "名", "位", "口",
	"亩", "公顷", "家", "条", "场", "场次", "处", "项", "村",
	"吨", "公斤", "公里", "米", "平方米", "平方公里", "立方米",
	"间", "套", "台", "辆", "所", "座", "批", "头", "株", "棵",
	"件", "份", "期", "天", "小时", "篇", "本", "张", "支", "部", "户次",
}

// multipliers may precede a money unit, a counter or nothing (a bare
// multiplier such as "亿"). Longest first so that 千万 wins over 千.
var multipliers = []struct {
	prefix string
	factor int64
}{
	{"万亿", 1000000000000},
	{"千亿", 100000000000},
	{"百亿", 10000000000},
	{"十亿", 1000000000},
	{"千万", 10000000},
	{"百万", 1000000},
	{"十万", 100000},
	{"亿", 100000000},
	{"万", 10000},
	{"千", 1000},
	{"百", 100},
	{"十", 10},
}

// LookupUnit resolves a unit symbol: a listed unit (元 万元 亿元 % 只 户
// 人次 亩 公斤 …), or a multiplier (十 百 千 万 十万 百万 千万 亿 十亿 百亿
// 千亿 万亿) followed by 元, a counter or nothing. "" is the bare number.
// Percent takes no multiplier. Symbols listed as a whole win over a
// multiplier reading, so 千克 is a kilogram (base 公斤), not 1000 克.
func LookupUnit(symbol string) (Unit, bool) {
	if u, ok := units[symbol]; ok {
		return u, true
	}
	for _, m := range multipliers {
		rest, ok := strings.CutPrefix(symbol, m.prefix)
		if !ok {
			continue
		}
		u, ok := units[rest]
		// Only units of factor 1 take a prefix: "万千元" is not a unit.
		if !ok || u.Factor != 1 || u.Base == "%" {
			continue
		}
		return Unit{Symbol: symbol, Base: u.Base, Factor: m.factor}, true
	}
	return Unit{}, false
}

// Amount is a quantity in its base unit: 1.8亿元 is {180000000 元} (Value
// 180000000*DecimalScale); 20万只 is {200000 只}; 121.6% is {121.6 %}; a
// bare "3.2" is {3.2 ""}. Keeping only base units means two amounts compare
// and add without knowing how each was written.
type Amount struct {
	Value Decimal
	Unit  string
}

// AmountError is why a text is not an amount, worded for a Chinese chat
// user. Reason continues a sentence that starts with the quoted Input, e.g.
// Input "5斤蟹", Reason `中有不认识的单位 "斤蟹"`.
type AmountError struct {
	Input  string
	Reason string
}

func (e *AmountError) Error() string {
	if e.Input == "" {
		return e.Reason
	}
	in := e.Input
	// Chat messages should not echo a pasted paragraph back.
	if utf8.RuneCountInString(in) > 30 {
		r := []rune(in)
		in = string(r[:30]) + "…"
	}
	return strconv.Quote(in) + " " + e.Reason
}

const (
	reasonExample  = "应为数字加单位，如 1.8亿元、20万只、60%"
	reasonNotAmt   = "不是数额：" + reasonExample
	reasonEmpty    = "数额为空：" + reasonExample
	reasonTooLong  = "太长，不像一个数额"
	reasonTooBig   = "数额太大，超出可记录的范围"
	reasonRedacted = "中的数字被隐去了（X），请填写实际数字"
)

// maxInputRunes bounds what we try to read: real amounts are short, and a
// bound keeps errors and fuzzing cheap.
const maxInputRunes = 64

// ParseAmount reads an amount as written in reports and in the plan:
// "1.8亿元", "18000万元", "180,000,000元", "20万只", "三十万只", "121.6%",
// "百分之六十", "三成", "12余万元", " 3.2 亿元 ", "-5%". The result is in the
// base unit; a number with only a multiplier ("1.8亿") or nothing is bare
// (Unit ""). Approximations (约, 余, 多, 左右) are read as the number given.
// Any input that is not exactly representable (more than four decimals in
// the base unit) or out of range is an error, as is an unknown unit; errors
// are *AmountError.
func ParseAmount(s string) (Amount, error) {
	p, err := parse(s)
	if err != nil {
		return Amount{}, err
	}
	return p.amount(s, p.unit)
}

// ParseAmountIn reads s where the context's unit is unit (an indicator kept
// in 亿元, say): a bare number is in that unit ("3.2" → 3.2亿元), a number
// with only a multiplier takes the context's base ("1.8亿" or "18000万"
// with 万元 → 1.8亿元), and an explicit unit must share the base ("5只"
// with 亿元 is an error naming both).
func ParseAmountIn(s, unit string) (Amount, error) {
	ctx, ok := LookupUnit(unit)
	if !ok {
		return Amount{}, &AmountError{Input: unit, Reason: "是不认识的单位"}
	}
	p, err := parse(s)
	if err != nil {
		return Amount{}, err
	}
	u := p.unit
	switch {
	case u.Symbol == "":
		u = ctx
	case u.Base == "":
		u = Unit{Symbol: u.Symbol + ctx.Base, Base: ctx.Base, Factor: u.Factor}
	case u.Base != ctx.Base:
		return Amount{}, &AmountError{Input: strings.TrimSpace(s), Reason: "的单位与 " + unitName(unit) + " 不一致"}
	}
	return p.amount(s, u)
}

// unitName is how a unit is named in a message; the bare unit has no symbol.
func unitName(u string) string {
	if u == "" {
		return "纯数字"
	}
	return u
}

// Format writes a in unit, exactly, rounded half away from zero to places
// decimals with trailing zeros trimmed: {180000000 元}.Format("亿元", 2) is
// "1.8亿元"; {1 元}.Format("亿元", 8) is "0.00000001亿元". It is an error
// if unit is unknown or measures something else than a.
func (a Amount) Format(unit string, places int) (string, error) {
	u, ok := LookupUnit(unit)
	if !ok {
		return "", &AmountError{Input: unit, Reason: "是不认识的单位"}
	}
	if u.Base != a.Unit {
		return "", &AmountError{Input: a.String(), Reason: "的单位与 " + unitName(unit) + " 不一致"}
	}
	k, _ := u.exp10()
	return formatScaled(int64(a.Value), decimalPlaces+k, places) + u.Symbol, nil
}

// String is for people: money from 1亿 up in 亿元 and from 1万 up in 万元,
// with at most two decimals (so it may be rounded: use Format for an exact
// figure), smaller money exactly in 元; everything else exactly in its
// base unit ("200000只", "121.6%", "3.2").
func (a Amount) String() string {
	if a.Unit != "元" {
		return a.Value.String() + a.Unit
	}
	mag := uint64(a.Value)
	if a.Value < 0 {
		mag = -mag
	}
	const (
		wan = 10000 * DecimalScale
		// From 9999.995万元 up the value would show as 10000万元, which
		// reads better as 1亿元.
		almostYi = 99999950 * DecimalScale
	)
	var s string // Format cannot fail: 元 is the base of all three
	switch {
	case mag >= almostYi:
		s, _ = a.Format("亿元", 2)
	case mag >= wan:
		s, _ = a.Format("万元", 2)
	default:
		s, _ = a.Format("元", decimalPlaces)
	}
	return s
}

// IsZero reports whether a is zero, whatever its unit.
func (a Amount) IsZero() bool { return a.Value == 0 }

// Add returns a+b. Amounts of different bases (元 and 只, or 元 and a bare
// number) do not add; neither does a sum beyond the Decimal range.
func (a Amount) Add(b Amount) (Amount, error) {
	if a.Unit != b.Unit {
		return Amount{}, mismatch(a, b)
	}
	s, ok := addDecimal(a.Value, b.Value)
	if !ok {
		return Amount{}, &AmountError{Input: a.String(), Reason: "加上 " + b.String() + " 后" + reasonTooBig}
	}
	return Amount{Value: s, Unit: a.Unit}, nil
}

// Sub returns a-b, under the same rules as Add.
func (a Amount) Sub(b Amount) (Amount, error) {
	if a.Unit != b.Unit {
		return Amount{}, mismatch(a, b)
	}
	if b.Value == math.MinInt64 {
		return Amount{}, &AmountError{Input: a.String(), Reason: "减去 " + b.String() + " 后" + reasonTooBig}
	}
	s, ok := addDecimal(a.Value, -b.Value)
	if !ok {
		return Amount{}, &AmountError{Input: a.String(), Reason: "减去 " + b.String() + " 后" + reasonTooBig}
	}
	return Amount{Value: s, Unit: a.Unit}, nil
}

func addDecimal(x, y Decimal) (Decimal, bool) {
	s := x + y
	if (y > 0 && s < x) || (y < 0 && s > x) || s == math.MinInt64 {
		return 0, false
	}
	return s, true
}

func mismatch(a, b Amount) error {
	return &AmountError{Input: a.String(), Reason: "的单位与 " + b.String() + " 不一致"}
}

// Ratio returns a/b as a float, for completion rates. Amounts of different
// bases have no ratio, and neither has a zero b.
func (a Amount) Ratio(b Amount) (float64, error) {
	if a.Unit != b.Unit {
		return 0, mismatch(a, b)
	}
	if b.Value == 0 {
		return 0, &AmountError{Input: b.String(), Reason: "为零，不能作除数"}
	}
	return float64(a.Value) / float64(b.Value), nil
}

// DivInt returns a/n rounded half away from zero to the Decimal grid, as
// in "remaining per month". Like integer division, n == 0 panics: a caller
// with no months left has to decide what that means.
func (a Amount) DivInt(n int64) Amount {
	if n == 0 {
		panic("planbot: Amount.DivInt by zero")
	}
	neg := (a.Value < 0) != (n < 0)
	mv, mn := uint64(a.Value), uint64(n)
	if a.Value < 0 {
		mv = -mv
	}
	if n < 0 {
		mn = -mn
	}
	q, r := mv/mn, mv%mn
	if r >= mn-r {
		q++
	}
	if q > maxMagnitude { // only MinInt64 / ±1
		q = maxMagnitude
	}
	v := Decimal(q)
	if neg {
		v = -v
	}
	return Amount{Value: v, Unit: a.Unit}
}

// number is a parsed numeral before any unit is applied: mant / 10^places.
type number struct {
	mant   uint64
	places int
}

// decimal scales n by 10^exp into a Decimal, refusing anything that would
// lose digits or overflow. base names the unit in the "too many decimals"
// message.
func (n number) decimal(neg bool, exp int, base string) (Decimal, string) {
	m := n.mant
	e := exp + decimalPlaces - n.places
	for ; e < 0 && m != 0; e++ {
		if m%10 != 0 {
			return 0, "小数位太多：最多精确到 0.0001" + base
		}
		m /= 10
	}
	for ; e > 0 && m != 0; e-- {
		if m > maxMagnitude/10 {
			return 0, reasonTooBig
		}
		m *= 10
	}
	if m > maxMagnitude {
		return 0, reasonTooBig
	}
	d := Decimal(m)
	if neg {
		d = -d
	}
	return d, ""
}

// parsed is an amount as written: its number and the unit it was written in.
type parsed struct {
	neg   bool
	num   number
	unit  Unit
	extra int // extra power of ten, for 成 (tenths written as tens of %)
}

func (p parsed) amount(input string, u Unit) (Amount, error) {
	k, ok := u.exp10()
	if !ok {
		return Amount{}, &AmountError{Input: strings.TrimSpace(input), Reason: "的单位换算不是10的整数次幂"}
	}
	d, reason := p.num.decimal(p.neg, k+p.extra, u.Base)
	if reason != "" {
		return Amount{}, &AmountError{Input: strings.TrimSpace(input), Reason: reason}
	}
	return Amount{Value: d, Unit: u.Base}, nil
}

var percent = units["%"]

// parse reads s into its number and unit. The grammar, on normalised
// runes (full-width folded to ASCII), with spaces allowed between parts:
//
//	[约|大约|近] [-|+|负] ( 百分之 number | number 成 [digit|半|多] | number [余|多] unit ) [左右|整]
//
// where number is ASCII digits (with optional ",", grouped by three, and
// ".") or a Chinese numeral, and unit is anything LookupUnit knows,
// possibly with 余/多 after its multiplier ("1万余元").
func parse(s string) (parsed, error) {
	var p parsed
	fail := func(reason string) (parsed, error) {
		return parsed{}, &AmountError{Input: strings.TrimSpace(s), Reason: reason}
	}
	rs := normalize(s)
	if len(rs) == 0 {
		return fail(reasonEmpty)
	}
	if len(rs) > maxInputRunes {
		return fail(reasonTooLong)
	}
	i := 0
	for _, w := range []string{"大约", "约", "近"} {
		if hasPrefix(rs, w) {
			i = utf8.RuneCountInString(w)
			break
		}
	}
	i = skipSpace(rs, i)
	p.neg, i = scanSign(rs, i)
	percentPrefix := hasPrefix(rs[i:], "百分之")
	if percentPrefix {
		i = skipSpace(rs, i+3)
	}
	start := i
	num, n, reason := scanNumber(rs[i:])
	if reason != "" {
		return fail(reason)
	}
	if n == 0 {
		return fail(notNumberReason(rs[i:]))
	}
	p.num = num
	i += n
	chinese := !isASCIIDigit(rs[start])
	rest := removeSpace(rs[i:])
	if hasSuffix(rest, "左右") {
		rest = rest[:len(rest)-2]
	} else if hasSuffix(rest, "整") {
		rest = rest[:len(rest)-1] // 伍万元整, as on a receipt
	}

	switch {
	case percentPrefix:
		rest = stripApprox(rest)
		if len(rest) != 0 {
			return fail(reasonNotAmt)
		}
		p.unit = percent
		return p, nil
	case len(rest) > 0 && rest[0] == '成':
		return p.readCheng(s, rest[1:])
	}

	sym := string(stripApprox(rest))
	if u, ok := LookupUnit(sym); ok {
		p.unit = u
		return p, nil
	}
	// "五千克": the numeral swallowed the 千 of 千克. Give it back, but only
	// when what is left is a plain numeral: "一万五千克" stays an error rather
	// than becoming 15000公斤.
	if chinese && i < len(rs) && !unicode.IsSpace(rs[i]) {
		run := rs[start:i]
		for k := 1; k <= 2 && k < len(run); k++ {
			glued := string(run[len(run)-k:]) + sym
			u, ok := units[glued]
			if !ok || u.Factor != 1 {
				continue
			}
			num, reason := parseChineseStrict(run[:len(run)-k])
			if reason != "" {
				continue
			}
			p.num, p.unit = num, u
			return p, nil
		}
	}
	if sym == "" || strings.ContainsAny(sym, "0123456789.,") || allNumeralRunes(sym) {
		return fail(reasonNotAmt)
	}
	return fail(fmt.Sprintf("中有不认识的单位 %q", sym))
}

// stripApprox removes one 余 or 多 ("12余万元", "1万余元", "十多万"), which
// may stand right after the number or right after the multiplier.
func stripApprox(rest []rune) []rune {
	for j, r := range rest {
		if r != '余' && r != '多' {
			continue
		}
		before := string(rest[:j])
		if before != "" && !isMultiplier(before) {
			return rest
		}
		return append(append([]rune{}, rest[:j]...), rest[j+1:]...)
	}
	return rest
}

func isMultiplier(s string) bool {
	for _, m := range multipliers {
		if m.prefix == s {
			return true
		}
	}
	return false
}

// readCheng reads what follows 成: nothing ("三成" = 30%), a digit
// ("三成五" = 35%) or 半 ("两成半" = 25%).
func (p parsed) readCheng(s string, after []rune) (parsed, error) {
	fail := func() (parsed, error) {
		return parsed{}, &AmountError{Input: strings.TrimSpace(s), Reason: reasonNotAmt}
	}
	p.unit, p.extra = percent, 1
	if len(after) == 1 && (after[0] == '多' || after[0] == '余') {
		after = nil // 三成多
	}
	if len(after) == 0 {
		return p, nil
	}
	if len(after) != 1 || p.num.places != 0 {
		return fail()
	}
	d, ok := digitValue(after[0])
	if after[0] == '半' {
		d, ok = 5, true
	}
	if !ok || p.num.mant > math.MaxUint64/10-9 {
		return fail()
	}
	p.num = number{mant: p.num.mant*10 + uint64(d), places: 1}
	return p, nil
}

// normalize folds what a phone keyboard in Chinese mode produces to ASCII
// (FoldRune) and trims spaces.
func normalize(s string) []rune {
	rs := make([]rune, 0, len(s))
	for _, r := range s {
		rs = append(rs, FoldRune(r))
	}
	start, end := 0, len(rs)
	for start < end && unicode.IsSpace(rs[start]) {
		start++
	}
	for end > start && unicode.IsSpace(rs[end-1]) {
		end--
	}
	return rs[start:end]
}

func removeSpace(rs []rune) []rune {
	out := make([]rune, 0, len(rs))
	for _, r := range rs {
		if !unicode.IsSpace(r) {
			out = append(out, r)
		}
	}
	return out
}

func skipSpace(rs []rune, i int) int {
	for i < len(rs) && unicode.IsSpace(rs[i]) {
		i++
	}
	return i
}

func scanSign(rs []rune, i int) (neg bool, next int) {
	if i < len(rs) {
		switch rs[i] {
		case '-', '负':
			return true, skipSpace(rs, i+1)
		case '+':
			return false, skipSpace(rs, i+1)
		}
	}
	return false, i
}

func hasPrefix(rs []rune, s string) bool {
	for _, r := range s {
		if len(rs) == 0 || rs[0] != r {
			return false
		}
		rs = rs[1:]
	}
	return true
}

func hasSuffix(rs []rune, s string) bool {
	n := utf8.RuneCountInString(s)
	return len(rs) >= n && string(rs[len(rs)-n:]) == s
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

// notNumberReason explains an input that does not start with a number,
// singling out the X the source documents use for redacted figures.
func notNumberReason(rs []rune) string {
	if len(rs) > 0 && (rs[0] == 'X' || rs[0] == 'x') {
		return reasonRedacted
	}
	return reasonNotAmt
}

// scanNumber reads the number at the start of rs. n is how many runes it
// took (0 when rs does not start with a number); reason is set when it
// started like a number but is malformed.
func scanNumber(rs []rune) (num number, n int, reason string) {
	if len(rs) == 0 {
		return number{}, 0, ""
	}
	if isASCIIDigit(rs[0]) {
		for n < len(rs) && (isASCIIDigit(rs[n]) || rs[n] == '.' || rs[n] == ',') {
			n++
		}
		num, reason = parseDigits(rs[:n])
		return num, n, reason
	}
	if _, ok := numeralValue(rs[0]); !ok {
		return number{}, 0, ""
	}
	n = chineseRunLength(rs)
	num, reason = parseChinese(rs[:n])
	return num, n, reason
}

// maxPlaces bounds the decimals worth reading: the largest multiplier
// (万亿, 10^12) plus the Decimal's four places. Anything beyond that cannot
// land on the grid, and the bound keeps the mantissa from overflowing on
// long but harmless inputs like "1.00000000000000000000".
const maxPlaces = 12 + decimalPlaces

// parseDigits reads "180,000,000", "1.8", "0.0001". Thousands separators
// must group by three, so a stray "1,2" (a list, not a number) is refused.
func parseDigits(rs []rune) (number, string) {
	s := string(rs)
	intPart, frac, hasDot := strings.Cut(s, ".")
	if strings.Contains(frac, ".") || strings.Contains(frac, ",") || (hasDot && frac == "") || intPart == "" {
		return number{}, reasonNotAmt
	}
	if strings.Contains(intPart, ",") {
		groups := strings.Split(intPart, ",")
		if len(groups[0]) == 0 || len(groups[0]) > 3 {
			return number{}, reasonNotAmt
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return number{}, reasonNotAmt
			}
		}
		intPart = strings.ReplaceAll(intPart, ",", "")
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > maxPlaces {
		return number{}, "小数位太多"
	}
	var m uint64
	for _, c := range intPart + frac {
		if m > (math.MaxUint64-9)/10 {
			return number{}, reasonTooBig
		}
		m = m*10 + uint64(c-'0')
	}
	return number{mant: m, places: len(frac)}, ""
}

// Chinese numerals. 两 and the financial forms (壹贰…拾佰仟) are accepted
// because people type them; 点 starts decimals read digit by digit.
func digitValue(r rune) (int, bool) {
	switch r {
	case '零', '〇':
		return 0, true
	case '一', '壹':
		return 1, true
	case '二', '两', '贰':
		return 2, true
	case '三', '叁':
		return 3, true
	case '四', '肆':
		return 4, true
	case '五', '伍':
		return 5, true
	case '六', '陆':
		return 6, true
	case '七', '柒':
		return 7, true
	case '八', '捌':
		return 8, true
	case '九', '玖':
		return 9, true
	}
	return 0, false
}

func unitValue(r rune) (int64, bool) {
	switch r {
	case '十', '拾':
		return 10, true
	case '百', '佰':
		return 100, true
	case '千', '仟':
		return 1000, true
	case '万', '萬':
		return 10000, true
	case '亿', '億':
		return 100000000, true
	}
	return 0, false
}

// numeralValue reports whether r can be part of a Chinese integer numeral.
func numeralValue(r rune) (int64, bool) {
	if d, ok := digitValue(r); ok {
		return int64(d), true
	}
	return unitValue(r)
}

func allNumeralRunes(s string) bool {
	for _, r := range s {
		if _, ok := numeralValue(r); !ok {
			return false
		}
	}
	return true
}

// chineseRunLength is how many runes of rs form a Chinese numeral: numeral
// characters, then optionally 点 and digits (after which a 万 or 亿 is a
// multiplier, as in 一点八亿).
func chineseRunLength(rs []rune) int {
	n := 0
	for n < len(rs) {
		if _, ok := numeralValue(rs[n]); !ok {
			break
		}
		n++
	}
	if n > 0 && n+1 < len(rs) && rs[n] == '点' {
		if _, ok := digitValue(rs[n+1]); ok {
			n++
			for n < len(rs) {
				if _, ok := digitValue(rs[n]); !ok {
					break
				}
				n++
			}
		}
	}
	return n
}

// parseChinese reads a Chinese numeral, allowing the spoken shortcuts
// 一万五 (15000), 三百五 (350), 一亿五 (1.5亿).
func parseChinese(rs []rune) (number, string) { return chineseNumber(rs, true) }

// parseChineseStrict refuses the shortcuts, for when the last character may
// belong to the unit instead.
func parseChineseStrict(rs []rune) (number, string) { return chineseNumber(rs, false) }

func chineseNumber(rs []rune, colloquial bool) (number, string) {
	intRunes, fracRunes := rs, []rune(nil)
	for i, r := range rs {
		if r == '点' {
			intRunes, fracRunes = rs[:i], rs[i+1:]
			if len(fracRunes) == 0 {
				return number{}, reasonNotAmt
			}
			break
		}
	}
	v, ok := parseYi(intRunes, colloquial && fracRunes == nil)
	if !ok {
		return number{}, reasonNotAmt
	}
	m := uint64(v)
	places := 0
	// Trailing zeros carry no value; dropping them keeps the mantissa small.
	for len(fracRunes) > 0 && (fracRunes[len(fracRunes)-1] == '零' || fracRunes[len(fracRunes)-1] == '〇') {
		fracRunes = fracRunes[:len(fracRunes)-1]
	}
	if len(fracRunes) > maxPlaces {
		return number{}, "小数位太多"
	}
	for _, r := range fracRunes {
		d, ok := digitValue(r)
		if !ok || r == '两' {
			return number{}, reasonNotAmt
		}
		if m > (math.MaxUint64-9)/10 {
			return number{}, reasonTooBig
		}
		m = m*10 + uint64(d)
		places++
	}
	return number{mant: m, places: places}, ""
}

// parseYi reads [A亿][B]; A may itself contain 万 (三万亿). The result is
// below 10^17, well inside int64.
func parseYi(rs []rune, colloquial bool) (int64, bool) {
	at := -1
	for i, r := range rs {
		if r == '亿' || r == '億' {
			if at >= 0 {
				return 0, false // 亿亿
			}
			at = i
		}
	}
	if at < 0 {
		return parseWan(rs, colloquial)
	}
	hi, ok := parseWan(rs[:at], colloquial)
	if !ok || hi == 0 {
		return 0, false
	}
	lo, ok := parseLow(rs[at+1:], 10000000, colloquial, parseWan)
	if !ok {
		return 0, false
	}
	return hi*100000000 + lo, true
}

// parseWan reads [A万][B] with A and B below 10000.
func parseWan(rs []rune, colloquial bool) (int64, bool) {
	at := -1
	for i, r := range rs {
		if r == '万' || r == '萬' {
			if at >= 0 {
				return 0, false
			}
			at = i
		}
	}
	if at < 0 {
		return parseSection(rs, colloquial)
	}
	hi, ok := parseSection(rs[:at], colloquial)
	if !ok || hi == 0 {
		return 0, false
	}
	lo, ok := parseLow(rs[at+1:], 1000, colloquial, parseSection)
	if !ok {
		return 0, false
	}
	return hi*10000 + lo, true
}

// parseLow reads what follows 万 or 亿. A single digit there is the spoken
// shortcut for the next place down (一万五 is 15000) when colloquial.
func parseLow(rs []rune, shortcut int64, colloquial bool, next func([]rune, bool) (int64, bool)) (int64, bool) {
	if len(rs) == 1 {
		if d, ok := digitValue(rs[0]); ok && d != 0 {
			if !colloquial || rs[0] == '两' {
				return 0, false
			}
			return int64(d) * shortcut, true
		}
	}
	if len(rs) > 0 && (rs[0] == '零' || rs[0] == '〇') {
		rs = rs[1:]
		if len(rs) == 0 {
			return 0, false
		}
	}
	return next(rs, colloquial)
}

// parseSection reads a numeral below 10000: 三千零五十, 十五, 一百二, 零.
func parseSection(rs []rune, colloquial bool) (int64, bool) {
	if len(rs) == 0 {
		return 0, true
	}
	var val int64
	last := int64(10000) // place of the previous unit; places must descend
	pending := int64(-1)
	liang := false // the pending digit is 两, which never stands in the ones place
	zero := false  // a 零 since the last unit: the next digit is not a shortcut
	for i, r := range rs {
		if d, ok := digitValue(r); ok {
			if d == 0 {
				if pending >= 0 {
					return 0, false
				}
				zero = true
				continue
			}
			if pending >= 0 {
				return 0, false
			}
			pending, liang = int64(d), r == '两'
			continue
		}
		u, ok := unitValue(r)
		if !ok || u >= last || u > 1000 {
			return 0, false
		}
		if pending < 0 {
			if u != 10 || i != 0 {
				return 0, false
			}
			pending = 1 // 十五
		}
		val += pending * u
		last, pending, zero = u, -1, false
	}
	if pending >= 0 {
		if liang && len(rs) > 1 {
			return 0, false // 十两 is ten taels, not twelve
		}
		if !zero && last >= 100 && last <= 1000 {
			if !colloquial {
				return 0, false
			}
			pending *= last / 10 // 一百二 is 120
		}
		val += pending
	} else if zero && !allZero(rs) {
		return 0, false // 一百零: a 零 must lead somewhere
	}
	return val, true
}

func allZero(rs []rune) bool {
	for _, r := range rs {
		if r != '零' && r != '〇' {
			return false
		}
	}
	return true
}

// FoldRune is the one character folding of everything that reads what
// people type (amounts here, chat messages in intake): full-width ASCII
// (２.３、６０％、：) to ASCII, the ideographic space, non-breaking and
// zero-width spaces (pasted from web pages and WeChat) to a plain space,
// the minus and small forms to '-' and '%'. It maps one rune to one rune,
// so a reader can keep offsets into the text as written.
func FoldRune(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		return r - (0xFF01 - 0x21)
	case r == 0x3000 || r == 0x00A0 || r == 0x200B || r == 0x200C || r == 0x200D || r == 0xFEFF:
		return ' '
	case r == '−' || r == '﹣':
		return '-'
	case r == '﹪':
		return '%'
	}
	return r
}
