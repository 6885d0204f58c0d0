package intake

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"planbot"
)

// ---------------------------------------------------------------------------
// Reading the figures for the target

func (p *reader) problem(s string) {
	if s != "" {
		p.problems = append(p.problems, s)
	}
}

func (p *reader) finishItem(idx int) Intent {
	it := p.plan.Items[idx]
	in := Intent{Kind: IntentItemReport, Items: []string{it.Code}}
	for i := range p.toks {
		if t := &p.toks[i]; t.kind == tokCode && t.code == it.Code {
			t.used = true
		}
	}
	p.readDate(&in)
	p.readPercent(&in)
	p.readDone(&in)

	// Amounts toward the item's target, in its unit.
	var fits []*token
	var vals []planbot.Amount
	var mismatch *token
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind != tokFigure || t.rate || t.isPercent() || t.amt.Unit == "%" {
			continue
		}
		if t.err != nil {
			p.problem(t.err.Error())
			continue
		}
		if a, ok := itemAmount(t, it.Target); ok {
			fits = append(fits, t)
			vals = append(vals, a)
		} else if t.unitText && mismatch == nil && it.Target != nil && t.amt.Unit != "" {
			mismatch = t
		}
	}
	if k := p.pick(fits, vals, "数量"); k >= 0 {
		a := vals[k]
		if a.Value < 0 {
			p.problem("数量不能是负数：" + clipText(fits[k].text))
		} else {
			in.Amount = &a
		}
	}
	if len(fits) == 0 && in.Percent == nil && !in.Done && len(p.problems) == 0 {
		switch {
		case mismatch != nil:
			p.problem(fmt.Sprintf("%s 的单位与目标（%s）不一致", clipText(mismatch.text), unitName(it.Target.Unit)))
		default:
			for i := range p.toks {
				if t := &p.toks[i]; t.kind == tokFigure && t.alone && t.err == nil {
					v := t.amt.Value.Float64()
					switch {
					case v >= 0 && v <= 100:
						p.problem(fmt.Sprintf("%s 没有单位：进度请写 %s%%", clipText(t.text), clipText(t.text)))
					case it.Target != nil && it.Target.Unit != "":
						p.problem(fmt.Sprintf("%s 没有单位：数量请写 %s%s", clipText(t.text), clipText(t.text), it.Target.Unit))
					default:
						p.problem(fmt.Sprintf("%s 没有单位", clipText(t.text)))
					}
					break
				}
			}
		}
	}
	if in.Done && in.Percent != nil && *in.Percent < 100 {
		p.problem(fmt.Sprintf("说已完成，进度却是 %s%%", pctText(*in.Percent)))
	}
	return p.finish(in)
}

// itemAmount reads t toward target: the same base unit, or a number with
// only a multiplier (15万) taken in the target's unit.
func itemAmount(t *token, target *planbot.Amount) (planbot.Amount, bool) {
	if target == nil || !t.unitText {
		return planbot.Amount{}, false
	}
	if t.amt.Unit == target.Unit {
		return t.amt, true
	}
	if t.amt.Unit == "" {
		if a, err := planbot.ParseAmountIn(t.text, target.Unit); err == nil {
			return a, true
		}
	}
	return planbot.Amount{}, false
}

// pick chooses among figures for one slot: one distinct value, or the one
// marked 累计; several otherwise is a Problem. It returns -1 for none.
func (p *reader) pick(toks []*token, vals []planbot.Amount, what string) int {
	if len(toks) == 0 {
		return -1
	}
	chosen := 0
	for k := 1; k < len(vals); k++ {
		if vals[k] == vals[chosen] {
			continue
		}
		var cum []int
		for c := range toks {
			if toks[c].cumul {
				cum = append(cum, c)
			}
		}
		if len(cum) == 1 {
			toks[cum[0]].used = true
			return cum[0]
		}
		msg := fmt.Sprintf("有两个%s：%s 和 %s", what, clipText(toks[chosen].text), clipText(toks[k].text))
		if what == "数字" {
			msg += "，请只填累计数"
		}
		p.problem(msg)
		return -1
	}
	for k := range toks {
		toks[k].used = true
	}
	return chosen
}

func (p *reader) finishIndicator(idx int) Intent {
	ind := p.plan.Indicators[idx]
	in := Intent{Kind: IntentIndicatorValue, Indicator: ind.Key}
	for i := range p.toks {
		if t := &p.toks[i]; t.kind == tokName && t.ind == idx {
			t.used = true
		}
	}
	p.readDate(&in)
	unitIsPercent := false
	if u, ok := planbot.LookupUnit(ind.Unit); ok && u.Base == "%" {
		unitIsPercent = true
	}
	var toks []*token
	var vals []planbot.Amount
	var errs []error
	hadPercent := false
	// Figures first; an item code is read as a number ("固投 3.2", where 3.2
	// is also an item) only when there is no other figure.
	for _, kind := range []tokKind{tokFigure, tokCode} {
		if len(toks) > 0 || len(errs) > 0 {
			break
		}
		for i := range p.toks {
			t := &p.toks[i]
			if t.kind != kind || (kind == tokCode && !t.num) || t.rate {
				continue
			}
			if t.err != nil {
				errs = append(errs, t.err)
				continue
			}
			if t.amt.Unit == "%" && !unitIsPercent {
				hadPercent = true
				continue
			}
			if !t.unitText && !t.alone && !t.cumul && !t.progress && t.kind != tokCode {
				continue // 2027年
			}
			a, err := planbot.ParseAmountIn(t.text, ind.Unit)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			toks = append(toks, t)
			vals = append(vals, a)
		}
	}
	if k := p.pick(toks, vals, "数字"); k >= 0 {
		if vals[k].Value < 0 && ind.Accumulate != planbot.AccumulateLevel {
			p.problem("累计数不能是负数：" + clipText(toks[k].text))
		} else {
			in.Amount = &vals[k]
		}
	} else if len(toks) == 0 {
		switch {
		case len(errs) > 0:
			p.problem(errs[0].Error())
		case hadPercent:
			p.problem(fmt.Sprintf("%s 请填数额（%s），不是百分比", ind.Name, unitName(ind.Unit)))
		}
	}
	return p.finish(in)
}

func (p *reader) finishAmbiguous(items, inds []string) Intent {
	in := Intent{Kind: IntentAmbiguous, Items: items, Indicators: inds}
	for i := range p.toks {
		t := &p.toks[i]
		if (t.kind == tokCode && slices.Contains(items, t.code)) ||
			(t.kind == tokName && slices.Contains(inds, p.plan.Indicators[t.ind].Key)) {
			t.used = true
		}
	}
	p.readLoose(&in)
	return p.finish(in)
}

func (p *reader) finishUnknown(problem string) Intent {
	in := Intent{Kind: IntentUnknown}
	p.problem(problem)
	p.readLoose(&in)
	return p.finish(in)
}

// readLoose fills the figures of an intent without a single target, as a
// preview: the percentage, the first amount as written, done, the date.
func (p *reader) readLoose(in *Intent) {
	// A bare number is a value only when every candidate is an indicator.
	bare := len(in.Items) == 0 && len(in.Indicators) > 0
	p.readDate(in)
	p.readPercent(in)
	p.readDone(in)
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind == tokFigure && t.err == nil && !t.rate && !t.isPercent() && t.amt.Unit != "%" && (t.unitText || (t.alone && bare)) {
			a := t.amt
			in.Amount, t.used = &a, true
			break
		}
	}
	if in.Done && in.Percent != nil && *in.Percent < 100 {
		p.problem(fmt.Sprintf("说已完成，进度却是 %s%%", pctText(*in.Percent)))
	}
}

func (p *reader) readDate(in *Intent) {
	var first *token
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind != tokDate {
			continue
		}
		t.used = true
		switch {
		case t.problem != "":
			p.problem(t.problem)
			return
		case first == nil:
			first = t
		case first.date != t.date:
			p.problem(fmt.Sprintf("有两个日期：%d月%d日 和 %d月%d日", first.date.Month, first.date.Day, t.date.Month, t.date.Day))
			return
		}
	}
	if first != nil {
		d := first.date
		in.Date = &d
	}
}

func (p *reader) readPercent(in *Intent) {
	var vals []float64
	var bad error
	var last, prev *token // the last two percentages, for "由40%提高到50%"
	for i := range p.toks {
		t := &p.toks[i]
		switch {
		case t.kind == tokFigure && t.err != nil && strings.Contains(t.text, "%"):
			if bad == nil {
				bad = t.err
			}
		case t.isPercent():
			if v := t.percent(); !slices.Contains(vals, v) {
				vals = append(vals, v)
				prev, last = last, t
			}
		default:
			continue
		}
		t.used = true
	}
	if len(vals) == 2 && prev.end <= last.start && strings.ContainsAny(string(p.rs[prev.end:last.start]), "到至→>") {
		// From one to the other (由40%提高到50%, 40%→50%): where it is now.
		// The words of the move are not a note.
		vals = vals[1:]
		start := prev.start
		for start > 0 && unicode.IsSpace(p.rs[start-1]) {
			start--
		}
		if start > 0 && strings.ContainsRune("由从", p.rs[start-1]) {
			start--
		}
		if start >= 2 && string(p.rs[start-2:start]) == "进度" {
			start -= 2
		}
		last.start = start
	}
	switch {
	case bad != nil:
		p.problem(bad.Error())
	case len(vals) > 1:
		p.problem(fmt.Sprintf("有两个进度数字：%s%% 和 %s%%", pctText(vals[0]), pctText(vals[1])))
	case len(vals) == 1 && (vals[0] < 0 || vals[0] > 100):
		p.problem(fmt.Sprintf("进度 %s%% 超出 0–100", pctText(vals[0])))
	case len(vals) == 1:
		v := vals[0]
		in.Percent = &v
	}
}

func (p *reader) readDone(in *Intent) {
	for i := range p.toks {
		if t := &p.toks[i]; t.kind == tokDone {
			t.used, in.Done = true, true
		}
	}
}

// finish sets the Problem and cuts the Note.
func (p *reader) finish(in Intent) Intent {
	if len(p.problems) > 0 {
		in.Problem = p.problems[0]
	}
	in.Note = p.note()
	return in
}
