package intake

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"planbot"
)

// number reads what starts with an ASCII digit at i: a report day, an item
// code, or a figure.
func (p *reader) number(i int) int {
	if j, ok := p.reportDay(i); ok {
		return j
	}
	run := p.codeRun(i)
	if p.tryCode(i, run) {
		return run
	}
	e := scanDigits(p.rs, i)
	if e < len(p.rs) && p.rs[e] == '.' && e+1 < len(p.rs) && isDigit(p.rs[e+1]) {
		return max(run, e+1) // 2.3.1, 192.168.1.1: no figure
	}
	if run > e && isLetter(p.rs[e]) {
		return run // 2.3a, 5kg: not a figure we read
	}
	if p.badCode == "" && p.isStart(i) && run == e && strings.Contains(string(p.rs[i:e]), ".") {
		if k, _, ok, _ := p.longest(i, e); !ok || k == e {
			p.badCode = string(p.rs[i:e]) // "2.30 60%": a mistyped code
		}
	}
	s := i
	switch {
	case i > 0 && (p.rs[i-1] == '-' || p.rs[i-1] == '负') && !p.taken[i-1] &&
		(i == 1 || !(isDigit(p.rs[i-2]) || isLetter(p.rs[i-2]))):
		s = i - 1
	case i > 0 && p.rs[i-1] == '约' && !p.taken[i-1]:
		s = i - 1
		if i > 1 && p.rs[i-2] == '大' && !p.taken[i-2] {
			s = i - 2
		}
	}
	if k := p.skipSpace(e); k > e && k < len(p.rs) && p.rs[k] == '%' && !p.taken[k] {
		// "60 %": a space typed before the percent sign.
		text := string(p.rs[s:e]) + "%"
		if a, err := planbot.ParseAmount(text); err == nil {
			p.add(token{kind: tokFigure, start: s, end: k + 1, fig: s, text: text, amt: a, unitText: true, ordinal: p.ordinalAt(s)})
			return k + 1
		}
	}
	if k := p.skipSpace(e); k > e && k < len(p.rs) && unicode.Is(unicode.Han, p.rs[k]) {
		// "175 亩": a space before the unit.
		for m := min(k+maxUnit, len(p.rs)); m > k; m-- {
			if !p.free(k, m) {
				continue
			}
			if u, ok := planbot.LookupUnit(string(p.rs[k:m])); !ok || u.Base == "%" {
				continue
			}
			text := string(p.rs[s:e]) + string(p.rs[k:m])
			if a, err := planbot.ParseAmount(text); err == nil {
				p.add(token{kind: tokFigure, start: s, end: m, fig: s, text: text, amt: a, unitText: true, ordinal: p.ordinalAt(s)})
				return m
			}
		}
	}
	k, a, ok, err := p.longest(s, e)
	if ok && k == e+1 && (p.rs[e] == '万' || p.rs[e] == '亿') && k < len(p.rs) && isDigit(p.rs[k]) && !p.taken[k] &&
		!strings.ContainsRune(string(p.rs[s:e]), '.') &&
		(k+1 == len(p.rs) || isSep(p.rs[k+1]) || strings.ContainsRune("了啦哈呀啊", p.rs[k+1])) {
		// 7万5: 7.5万, as said aloud.
		text := string(p.rs[s:e]) + "." + string(p.rs[k]) + string(p.rs[e])
		if a2, err := planbot.ParseAmount(text); err == nil {
			p.add(token{kind: tokFigure, start: s, end: k + 1, fig: s, text: text, amt: a2, unitText: true})
			return k + 1
		}
	}
	if !ok {
		if err != nil {
			p.add(token{kind: tokFigure, start: s, end: k, fig: s, text: string(p.rs[s:k]), err: err, unitText: true})
			return k
		}
		return e
	}
	for _, w := range foreignMoney {
		if p.at(k, w) {
			end := k + utf8.RuneCountInString(w)
			text := string(p.rs[s:end])
			p.add(token{kind: tokFigure, start: s, end: end, fig: s, text: text, unitText: true,
				err: fmt.Errorf("%s：请换算成人民币（元）再报", clipText(text))})
			return end
		}
	}
	p.add(token{kind: tokFigure, start: s, end: k, fig: s, text: string(p.rs[s:k]), amt: a, unitText: k > e, ordinal: k > e && p.ordinalAt(s)})
	return k
}

// ordinalAt reports whether a figure at i is an ordinal: 第三场, 第2场.
func (p *reader) ordinalAt(i int) bool {
	return i > 0 && p.rs[i-1] == '第' && !p.taken[i-1]
}

// foreignMoney are currencies a figure may be written in (外贸出口 in
// 美元) that the plan, kept in 元, cannot take as they are.
var foreignMoney = []string{"美元", "美金", "欧元", "港币", "港元", "日元", "英镑"}

// scanDigits returns the end of the number at i: digits, thousands groups
// of three ("180,000"), and one decimal part.
func scanDigits(rs []rune, i int) int {
	j := i
	for j < len(rs) && isDigit(rs[j]) {
		j++
	}
	for j+3 < len(rs) && rs[j] == ',' && isDigit(rs[j+1]) && isDigit(rs[j+2]) && isDigit(rs[j+3]) &&
		(j+4 == len(rs) || !isDigit(rs[j+4])) {
		j += 4
	}
	if j+1 < len(rs) && rs[j] == '.' && isDigit(rs[j+1]) {
		j++
		for j < len(rs) && isDigit(rs[j]) {
			j++
		}
	}
	return j
}

// maxUnit bounds how far a unit may run after the digits: 个百分点,
// 平方公里 with a multiplier, %左右.
const maxUnit = 7

// longest finds the longest rs[s:k], k ≥ e, that planbot.ParseAmount reads.
// The unit may only be Han characters and %. When a %-figure is malformed
// ("0.00001%"), err says why and k is its end.
func (p *reader) longest(s, e int) (k int, a planbot.Amount, ok bool, err error) {
	lim := e
	for lim < len(p.rs) && lim-e < maxUnit && !p.taken[lim] && (unicode.Is(unicode.Han, p.rs[lim]) || p.rs[lim] == '%') {
		lim++
	}
	for k = lim; k >= e && k > s; k-- {
		if !p.plausibleUnit(s, e, k) {
			continue
		}
		a, perr := planbot.ParseAmount(string(p.rs[s:k]))
		switch {
		case perr == nil:
			return k, a, true, nil
		case k == e+1 && p.rs[e] == '%':
			return k, planbot.Amount{}, false, perr // 0.00001%
		case k == e && tooBig(perr):
			err = perr
		}
	}
	return e, planbot.Amount{}, false, err
}

// plausibleUnit is a cheap test of rs[e:k] as what may follow a number,
// so that ParseAmount runs once or twice per figure rather than once per
// possible length: nothing, %, 成…, or a unit (possibly with 余/多 inside
// and 左右/整 after), or a unit whose first character the numeral took
// (五千克).
func (p *reader) plausibleUnit(s, e, k int) bool {
	sym := p.rs[e:k]
	if n := len(sym); n >= 2 && sym[n-2] == '左' && sym[n-1] == '右' {
		sym = sym[:n-2]
	} else if n >= 1 && sym[n-1] == '整' {
		sym = sym[:n-1]
	}
	switch {
	case len(sym) == 0:
		return true
	case sym[0] == '%':
		return len(sym) == 1
	case sym[0] == '成':
		return len(sym) <= 2 // 成, 成五, 成半, 成多
	}
	var b strings.Builder
	dropped := false
	for _, r := range sym {
		if !dropped && (r == '余' || r == '多') {
			dropped = true
			continue
		}
		b.WriteRune(r)
	}
	u := b.String()
	if _, ok := planbot.LookupUnit(u); ok || u == "" {
		return true
	}
	for n := 1; n <= 2 && e-n > s; n++ {
		if _, ok := planbot.LookupUnit(string(p.rs[e-n:e]) + u); ok {
			return true
		}
	}
	return false
}

// tooBig reports whether err is about a number that is too large or too
// precise, rather than not a number at all.
func tooBig(err error) bool {
	s := err.Error()
	return strings.Contains(s, "太大") || strings.Contains(s, "小数位")
}

// chineseNumber reads a Chinese numeral at i; it counts only with a unit
// (三成, 十五万只, 两千一百万): a bare numeral is more often part of a word
// (九小场所, 两委, 一体化).
func (p *reader) chineseNumber(i int) int {
	e := i
	for e < len(p.rs) && !p.taken[e] && isNumeral(p.rs[e]) {
		e++
	}
	if e+1 < len(p.rs) && p.rs[e] == '点' && !p.taken[e+1] && isDigitNumeral(p.rs[e+1]) {
		e++
		for e < len(p.rs) && !p.taken[e] && isDigitNumeral(p.rs[e]) {
			e++
		}
	}
	if e-i == 2 && e < len(p.rs) && p.rs[e] == '成' && !p.taken[e] {
		// 六七成: a range; which one?
		a, b := strings.IndexRune(digitNumerals, p.rs[i]), strings.IndexRune(digitNumerals, p.rs[i+1])
		if a > 0 && b == a+len("一") {
			text := string(p.rs[i : e+1])
			p.add(token{kind: tokFigure, start: i, end: e + 1, fig: i, text: text, unitText: true,
				err: fmt.Errorf("%s：请问是%c成还是%c成？", text, p.rs[i], p.rs[i+1])})
			return e + 1
		}
	}
	if k, a, ok, _ := p.longest(i, e); ok && k > e {
		p.add(token{kind: tokFigure, start: i, end: k, fig: i, text: string(p.rs[i:k]), amt: a, unitText: true, ordinal: p.ordinalAt(i)})
		return k
	}
	// 两千一百万: the 万 is a multiplier, not a digit of the numeral (which
	// would make it 21000000 of the indicator's unit).
	if last := p.rs[e-1]; e-i >= 2 && (last == '万' || last == '亿') {
		if d, err := planbot.ParseDecimal(string(p.rs[i : e-1])); err == nil && d > 0 {
			text := d.String() + string(last)
			if a, err := planbot.ParseAmount(text); err == nil {
				p.add(token{kind: tokFigure, start: i, end: e, fig: i, text: text, amt: a, unitText: true})
				return e
			}
		}
	}
	return e
}

// digitNumerals are the numerals of one digit, in order (index / 3 is the digit).
const digitNumerals = "零一二三四五六七八九"

// halfWords are the words for a half: 50%. The approximate ones (过半, 一半多
// …) mean at least that, so they stay in the note as written.
var halfWords = []struct {
	w      string
	approx bool
}{
	{"已完成了一半", false}, {"已完成一半", false}, {"完成了一半", false}, {"完成一半", false},
	{"超过了一半", true}, {"超过一半", true}, {"一半多", true}, {"一大半", true}, {"多一半", true},
	{"已经过半", true}, {"已过半", true}, {"超过半", true}, {"过半", true}, {"大半", true},
	{"一半", false},
}

// halfFirst reports whether r may begin one of halfWords.
func halfFirst(r rune) bool {
	switch r {
	case '已', '完', '超', '一', '多', '过', '大':
		return true
	}
	return false
}

// halfAt reports whether a word for a half starts at i.
func (p *reader) halfAt(i int) bool {
	for _, h := range halfWords {
		if p.at(i, h.w) {
			return true
		}
	}
	return false
}

// half reads a word for a half at i, if one starts there.
func (p *reader) half(i int) (int, bool) {
	for _, h := range halfWords {
		if !p.at(i, h.w) {
			continue
		}
		j := i + utf8.RuneCountInString(h.w)
		if j < len(p.rs) && !p.taken[j] && strings.ContainsRune("年天月日夜个辈生", p.rs[j]) {
			return 0, false // 大半年, 一半天: not progress
		}
		a, _ := planbot.ParseAmount("50%")
		p.add(token{kind: tokFigure, start: i, end: j, fig: i, text: "50%", amt: a, unitText: true, keep: h.approx})
		return j, true
	}
	return 0, false
}

// chinesePercent reads 百分之六十, 百分之60.
func (p *reader) chinesePercent(i int) int {
	j := i + 3
	if j < len(p.rs) && isDigit(p.rs[j]) {
		j = scanDigits(p.rs, j)
	} else {
		for j < len(p.rs) && !p.taken[j] && (isNumeral(p.rs[j]) || p.rs[j] == '点') {
			j++
		}
	}
	for _, w := range []string{"左右", "多"} {
		if p.at(j, w) {
			j += utf8.RuneCountInString(w)
			break
		}
	}
	if j > i+3 && p.free(i, j) {
		if a, err := planbot.ParseAmount(string(p.rs[i:j])); err == nil {
			p.add(token{kind: tokFigure, start: i, end: j, fig: i, text: string(p.rs[i:j]), amt: a, unitText: true})
			return j
		}
	}
	return i + 3
}
