package intake

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"planbot"
)

// ---------------------------------------------------------------------------
// Dates

// atDate reads @3月15日, @3.15, @3-15, @2027-03-15, @2027年3月15日, @昨天.
func (p *reader) atDate(i int) (int, bool) {
	j := p.skipSpace(i + 1)
	for _, rel := range []struct {
		w    string
		days int
	}{{"大前天", -3}, {"前天", -2}, {"昨天", -1}, {"昨日", -1}, {"今天", 0}, {"今日", 0}} {
		if p.at(j, rel.w) {
			end := j + utf8.RuneCountInString(rel.w)
			t := token{kind: tokDate, start: i, end: end}
			if p.today.IsZero() {
				t.problem = "没有当前日期，不能换算“" + rel.w + "”"
			} else {
				t.date = p.today.AddDays(rel.days)
				if t.date.Year != p.year {
					t.problem = fmt.Sprintf("@%s 不在 %d 年度", rel.w, p.year)
				}
			}
			p.add(t)
			return end, true
		}
	}
	y, m, d, end, ok := p.scanYMD(j)
	if !ok {
		return 0, false
	}
	t := token{kind: tokDate, start: i, end: end}
	p.checkDate(&t, y, m, d, "@")
	p.add(t)
	return end, true
}

// reportDay reads "3月15日报" / "3月15日汇报": a report for that day.
func (p *reader) reportDay(i int) (int, bool) {
	y, m, d, end, ok := p.scanYMD(i)
	if !ok || end <= i || (p.rs[end-1] != '日' && p.rs[end-1] != '号') {
		return 0, false
	}
	for _, w := range []string{"汇报", "报"} {
		if p.at(end, w) {
			e := end + utf8.RuneCountInString(w)
			if e < len(p.rs) && unicode.Is(unicode.Han, p.rs[e]) {
				return 0, false // 3月15日报送
			}
			t := token{kind: tokDate, start: i, end: e}
			p.checkDate(&t, y, m, d, "")
			p.add(t)
			return e, true
		}
	}
	return 0, false
}

// asOf reads "截至5月10日" / "截止到5月10日": the figures are as of that day.
func (p *reader) asOf(i int) (int, bool) {
	if !p.at(i, "截至") && !p.at(i, "截止") {
		return 0, false
	}
	j := i + 2
	if p.at(j, "到") {
		j++
	}
	j = p.skipSpace(j)
	y, m, d, end, ok := p.scanYMD(j)
	if !ok || (p.rs[end-1] != '日' && p.rs[end-1] != '号') {
		return 0, false
	}
	if p.at(end, "前") || p.at(end, "以前") {
		return 0, false // 截至6月30日前: a deadline
	}
	t := token{kind: tokDate, start: i, end: end}
	p.checkDate(&t, y, m, d, "截至")
	p.add(t)
	return end, true
}

// scanYMD reads [Y(-|/|.|年)]M(-|/|.|月)D[日|号] at i; y is 0 when not given.
func (p *reader) scanYMD(i int) (y, m, d, end int, ok bool) {
	n1, j, four := p.dateNum(i)
	if j == i {
		return
	}
	if four {
		if j >= len(p.rs) || !strings.ContainsRune("-/.年", p.rs[j]) {
			return
		}
		y = n1
		var k int
		if n1, k, _ = p.dateNum(j + 1); k == j+1 {
			return
		}
		j = k
	}
	if j >= len(p.rs) || !strings.ContainsRune("-/.月", p.rs[j]) || p.taken[j] {
		return
	}
	sep := p.rs[j]
	n2, k, _ := p.dateNum(j + 1)
	if k == j+1 {
		return
	}
	m, d, end = n1, n2, k
	if end < len(p.rs) && (p.rs[end] == '日' || p.rs[end] == '号') && !p.taken[end] {
		end++
	} else if sep == '.' && end < len(p.rs) && (isDigit(p.rs[end]) || p.rs[end] == '.') {
		return // 3.15.2
	}
	return y, m, d, end, true
}

// dateNum reads 1–4 ASCII digits or a short Chinese numeral (三, 十五).
func (p *reader) dateNum(i int) (n, end int, four bool) {
	j := i
	for j < len(p.rs) && j-i < 5 && isDigit(p.rs[j]) && !p.taken[j] {
		j++
	}
	if j > i {
		if j-i == 5 {
			return 0, i, false
		}
		v, _ := strconv.Atoi(string(p.rs[i:j]))
		return v, j, j-i == 4
	}
	for j < len(p.rs) && j-i < 3 && !p.taken[j] && strings.ContainsRune("一二两三四五六七八九十〇零", p.rs[j]) {
		j++
	}
	if j == i {
		return 0, i, false
	}
	dec, err := planbot.ParseDecimal(string(p.rs[i:j]))
	if err != nil || dec.Float64() != math.Trunc(dec.Float64()) {
		return 0, i, false
	}
	return int(dec.Float64()), j, false
}

func (p *reader) checkDate(t *token, y, m, d int, at string) {
	written := fmt.Sprintf("%d月%d日", m, d)
	if y != 0 {
		written = fmt.Sprintf("%d年%d月%d日", y, m, d)
	} else {
		y = p.year
	}
	if m < 1 || m > 12 || d < 1 || d > 31 || y < 1 || y > 9999 {
		t.problem = fmt.Sprintf("日期 %s 不存在", written)
		return
	}
	tm := time.Date(y, time.Month(m), d, 12, 0, 0, 0, time.UTC)
	if tm.Day() != d {
		t.problem = fmt.Sprintf("日期 %s 不存在", written)
		return
	}
	t.date = planbot.DateOf(tm)
	switch {
	case y != p.year:
		t.problem = fmt.Sprintf("日期 %s 不在 %d 年度", written, p.year)
	case !p.today.IsZero() && p.today.Before(t.date):
		t.problem = fmt.Sprintf("%s%s 还没到", at, written)
	}
}
