package intake

import (
	"fmt"
	"math"
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
	p.unglueItemDone(idx, it)
	p.readDone(&in)

	fits, vals, mismatch := p.itemFigures(it)
	ordinal, amountText := p.readAmount(&in, it, fits, vals, mismatch)
	if len(fits) == 0 && in.Percent == nil && !in.Done && len(p.problems) == 0 {
		if len(mismatch) > 0 {
			p.problem(fmt.Sprintf("%s 的单位与目标（%s）不一致：%s 的目标以%s计，请问折合多少%s？", clipText(mismatch[0].text), it.Target.Unit, it.Code, it.Target.Unit, it.Target.Unit))
		} else {
			p.askUnitless(it)
		}
	}
	p.checkAgreement(&in, it, amountText)
	if ordinal || (in.Percent == nil && in.Amount == nil && !in.Done) {
		// Nothing recorded but words, or an ordinal: the words that named
		// the item are the note too ("在建项目推进顺利").
		p.hasSubject = false
	}
	return p.finish(in)
}

// unglueItemDone decides the done words glued to the words before them:
// done when those words are the item's own ("扩充直播队伍已完成"), a note
// when they name a part of the work ("手续已全部办完").
func (p *reader) unglueItemDone(idx int, it planbot.Item) {
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind != tokDone || !t.glued || p.ix.coverage(p.rs[t.subject:t.start], idx) <= minCoverage {
			continue
		}
		if w := periodWord(p.rs[t.subject:t.start]); w != "" {
			// 五一期间安保维稳圆满完成: that period is done; the item too?
			p.problem(fmt.Sprintf("%s的已完成，是指 %s 整项都完成了吗？整项完成请发“%s 完成”", w, it.Code, it.Code))
			continue
		}
		t.glued = false
	}
}

// itemFigures sorts the figures that are no rate or percentage: those that
// are amounts toward the item's target, in its unit (fits, with their
// amounts vals), and those whose unit is not the target's (mismatch).
func (p *reader) itemFigures(it planbot.Item) (fits []*token, vals []planbot.Amount, mismatch []*token) {
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
			if p.restates(t, it, a) {
				continue // 两个在建项目 on "保障2个在建项目稳步推进": not progress
			}
			fits = append(fits, t)
			vals = append(vals, a)
		} else if t.unitText && it.Target != nil && t.amt.Unit != "" {
			mismatch = append(mismatch, t)
		}
	}
	return fits, vals, mismatch
}

// readAmount records the amount picked among fits, unless a mismatched
// figure's unit is easily confused with the target's. It reports whether
// the amount is an ordinal (第三场) and the words that said it.
func (p *reader) readAmount(in *Intent, it planbot.Item, fits []*token, vals []planbot.Amount, mismatch []*token) (ordinal bool, amountText string) {
	k := p.pick(fits, vals, "数量")
	if k < 0 {
		return false, ""
	}
	a := vals[k]
	if a.Value < 0 {
		p.problem("数量不能是负数：" + clipText(fits[k].text))
		return false, ""
	}
	in.Amount = &a
	in.Increment = fits[k].incr
	amountText = fits[k].text
	if fits[k].ordinal {
		// 第三场培训已完成: the third of them is done, not the item;
		// the words stay in the note.
		ordinal, fits[k].keep = true, true
		in.Done = false
		for i := range p.toks {
			if p.toks[i].kind == tokDone {
				p.toks[i].used = false
			}
		}
	}
	for _, m := range mismatch {
		if unitNear(m.amt.Unit, it.Target.Unit) {
			// 接待客商30人次 外出招商5次: is 次 a 人次?
			p.problem(fmt.Sprintf("%s 和 %s：%s 也是%s吗？请写累计多少%s", clipText(fits[k].text), clipText(m.text), clipText(m.text), it.Target.Unit, it.Target.Unit))
			in.Amount = nil
			break
		}
	}
	return ordinal, amountText
}

// askUnitless asks about the first number with no unit, standing alone or
// ending its words (投资额3000): a percentage, an amount, or what?
func (p *reader) askUnitless(it planbot.Item) {
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind != tokFigure || t.err != nil || t.rate || t.unitText ||
			!(t.alone || (t.amt.Unit == "" && p.endsClause(t.end))) {
			continue
		}
		v := t.amt.Value.Float64()
		n := clipText(string(p.rs[t.fig:t.end]))
		unit := ""
		if it.Target != nil {
			unit = it.Target.Unit
			if unit == "元" {
				unit = "万元"
			}
		}
		switch {
		case v >= 0 && v <= 100 && unit != "":
			p.problem(fmt.Sprintf("%s 是进度还是数量？请写 %s%% 或 %s%s", n, n, n, unit))
		case v >= 0 && v <= 100:
			p.problem(fmt.Sprintf("%s 是进度吗？请写 %s%%", n, n))
		case unit != "":
			p.problem(fmt.Sprintf("%s 是数量吗？请写 %s%s", n, n, unit))
		default:
			p.problem(fmt.Sprintf("%s 没有单位，请问是什么？", n))
		}
		return
	}
}

// checkAgreement drops an amount and a percentage that disagree about the
// share of the target, and asks about done said with less than 100%.
func (p *reader) checkAgreement(in *Intent, it planbot.Item, amountText string) {
	if in.Amount != nil && in.Percent != nil && !in.Increment && it.Target != nil && it.Target.Value > 0 && in.Amount.Unit == it.Target.Unit {
		// 投放蟹苗15万只 已完成60% of 30万只: 50% or 60%?
		share := in.Amount.Value.Float64() / it.Target.Value.Float64() * 100
		if math.Abs(share-*in.Percent) > maxShareGap {
			p.problem(fmt.Sprintf("%s 是目标的 %s%%，与进度 %s%% 不一致，请问以哪个为准？",
				clipText(amountText), pctText(math.Round(share*10)/10), pctText(*in.Percent)))
			in.Amount, in.Percent = nil, nil
		}
	}
	if in.Done && in.Percent != nil && *in.Percent < 100 {
		p.problem(fmt.Sprintf("说已完成，进度却是 %s%%", pctText(*in.Percent)))
	}
}

// maxShareGap is how far (in points) a percentage may be from what the
// amount said with it makes of the target before the bot asks which.
const maxShareGap = 5.0

// unitNear reports whether a unit is easily confused with the target's:
// 次 and 人次, 人 and 人次.
func unitNear(u, target string) bool {
	return u != target && u != "" && target != "" && (strings.Contains(target, u) || strings.Contains(u, target))
}

// restates reports whether figure t (amount a) only repeats a count the
// item's title has before a noun: "两个在建项目" on "保障2个在建项目稳步推进".
func (p *reader) restates(t *token, it planbot.Item, a planbot.Amount) bool {
	if t.end >= len(p.rs) || p.taken[t.end] || !unicode.Is(unicode.Han, p.rs[t.end]) {
		return false
	}
	return strings.Contains(it.Title, pctText(a.Value.Float64())+it.Target.Unit)
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
		} else {
			msg += "，请问累计是多少？"
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
			in.Amount, in.Increment, t.used = &a, t.incr, true
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
		if t := &p.toks[i]; t.kind == tokDone && !t.glued {
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

// periodWords name a stretch of the year: work done for one of them is not
// the year-long item done.
var periodWords = []string{"期间", "五一", "国庆", "春节", "元旦", "中秋", "端午", "清明", "两会", "汛期", "节前", "节后", "节日", "上半年", "一季度", "二季度", "三季度", "本周", "本月", "今天"}

// periodWord returns the first period word in rs, with what leads it
// ("五一期间"), or "".
func periodWord(rs []rune) string {
	s := string(rs)
	for _, w := range periodWords {
		if i := strings.Index(s, w); i >= 0 {
			if w == "期间" {
				return s[:i+len(w)]
			}
			return w
		}
	}
	return ""
}

// endsClause reports whether a clause ends at j: the end, a space or a
// comma or full stop.
func (p *reader) endsClause(j int) bool {
	return j >= len(p.rs) || unicode.IsSpace(p.rs[j]) || strings.ContainsRune("，。；,;！!", p.rs[j])
}
