package intake

import (
	"fmt"
	"slices"
	"unicode"

	"planbot"
)

// ---------------------------------------------------------------------------
// Choosing the target

func (p *reader) run(owned []string) Intent {
	var strong, weak, names []string
	var nameIdx []int
	for i := range p.toks {
		t := &p.toks[i]
		switch {
		case t.kind == tokCode && t.strong:
			strong = appendNew(strong, t.code)
		case t.kind == tokCode:
			weak = appendNew(weak, t.code)
		case t.kind == tokName:
			key := p.plan.Indicators[t.ind].Key
			if !slices.Contains(names, key) {
				names = append(names, key)
				nameIdx = append(nameIdx, t.ind)
			}
		}
	}
	switch {
	case len(strong) == 1 && len(names) == 1 && p.codeIsValue():
		// "3.2 固投": the code is the indicator's figure written first.
		return p.finishIndicator(nameIdx[0])
	case len(strong) == 1:
		return p.finishItem(p.ix.codes[strong[0]])
	case len(strong) > 1:
		return p.finishAmbiguous(strong, nil)
	case len(names) == 1 && p.unitsContradict(nameIdx[0]):
		// "蟹苗出口10万只": 出口 names an indicator in 万元, but 只 counts
		// something an item may target.
		if doc, _ := p.fuzzy(owned); doc >= 0 && doc < p.ix.nItems {
			p.stripSubject(doc)
			return p.finishItem(doc)
		}
		return p.finishIndicator(nameIdx[0])
	case len(names) == 1:
		return p.finishIndicator(nameIdx[0])
	case len(names) > 1:
		return p.finishAmbiguous(nil, names)
	case len(weak) == 1:
		return p.finishItem(p.ix.codes[weak[0]])
	case len(weak) > 1:
		return p.finishAmbiguous(weak, nil)
	case p.badCode != "":
		return p.finishUnknown(fmt.Sprintf("没有编号为 %s 的事项", clipText(p.badCode)))
	}

	if doc, cands := p.fuzzy(owned); doc >= 0 {
		p.stripSubject(doc)
		if doc < p.ix.nItems {
			return p.finishItem(doc)
		}
		return p.finishIndicator(doc - p.ix.nItems)
	} else if len(cands) > 0 {
		var items, inds []string
		for _, c := range cands {
			if c < p.ix.nItems {
				items = append(items, p.plan.Items[c].Code)
			} else {
				inds = append(inds, p.plan.Indicators[c-p.ix.nItems].Key)
			}
		}
		return p.finishAmbiguous(items, inds)
	}

	// Nothing named: a figure, or words of work under way (工作正在推进,
	// 资料已收集), are about the sender's own items.
	if !p.hasFigures() && !p.workTalk() {
		return p.finishUnknown("")
	}
	var mine []int
	for _, c := range owned {
		if i, ok := p.ix.codes[c]; ok && !slices.Contains(mine, i) {
			mine = append(mine, i)
		}
	}
	if bases := p.amountBases(); len(bases) > 0 && len(mine) > 1 {
		var fit []int
		for _, i := range mine {
			if tg := p.plan.Items[i].Target; tg != nil && slices.Contains(bases, tg.Unit) {
				fit = append(fit, i)
			}
		}
		if len(fit) > 0 {
			mine = fit
		}
	}
	switch len(mine) {
	case 0:
		return p.finishUnknown("")
	case 1:
		return p.finishItem(mine[0])
	}
	codes := make([]string, 0, MaxCandidates)
	for _, i := range mine[:min(len(mine), MaxCandidates)] {
		codes = append(codes, p.plan.Items[i].Code)
	}
	return p.finishAmbiguous(codes, nil)
}

// unitsContradict reports whether the message has amounts with a unit and
// none of them can be a value of the indicator.
func (p *reader) unitsContradict(ind int) bool {
	unit := p.plan.Indicators[ind].Unit
	seen := false
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind != tokFigure || t.err != nil || t.rate || t.amt.Unit == "" || t.amt.Unit == "%" {
			continue
		}
		if _, err := planbot.ParseAmountIn(t.text, unit); err == nil {
			return false
		}
		seen = true
	}
	return seen
}

// codeIsValue reports whether the message's only code can be read as a
// number and nothing else in it is a figure or a done mark.
func (p *reader) codeIsValue() bool {
	codes := 0
	for i := range p.toks {
		t := &p.toks[i]
		switch t.kind {
		case tokCode:
			if !t.num {
				return false
			}
			codes++
		case tokFigure, tokDone:
			return false
		}
	}
	return codes == 1
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// hasFigures reports whether the message carries something to record.
func (p *reader) hasFigures() bool {
	for i := range p.toks {
		t := &p.toks[i]
		if (t.kind == tokDone && !t.glued) || t.isPercent() || (t.kind == tokFigure && t.err == nil && !t.rate && t.unitText) {
			return true
		}
	}
	return false
}

// progressOnly reports whether the message's figures are only
// percentages and done marks (no number that could be an amount).
func (p *reader) progressOnly() bool {
	seen := false
	for i := range p.toks {
		t := &p.toks[i]
		switch {
		case (t.kind == tokDone && !t.glued) || t.isPercent():
			seen = true
		case t.kind == tokFigure && t.err == nil && !t.rate && (t.unitText || t.alone):
			return false
		}
	}
	return seen
}

// amountBases lists the base units of the amounts written with a unit.
func (p *reader) amountBases() []string {
	var out []string
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind == tokFigure && t.err == nil && t.amt.Unit != "" && t.amt.Unit != "%" {
			out = appendNew(out, t.amt.Unit)
		}
	}
	return out
}

// Fuzzy matching constants; see wordIndex.
const (
	titleWeight  = 3.0 // a gram in the title (or an indicator's name or alias)
	descWeight   = 1.0 // a gram only in the description
	bigramWeight = 2.0 // a two-character gram counts double a single character
	minScore     = 6.0 // below this, a document does not fit at all
	clearRatio   = 1.5 // the best wins outright when this many times the next
	unitBonus    = 2.0 // the message's amount is in the unit of the item's target
	queryRunes   = 64  // only the start of the message is matched
	maxSubject   = 12  // longest phrase taken out of the note as the subject
	minCoverage  = 0.5 // …and more than this share of it must be the target's name
)

// fuzzy scores the words of the message against every item and indicator.
// It returns the winning document, or the candidates when several fit, or
// (-1, nil) when none does.
func (p *reader) fuzzy(owned []string) (int, []int) {
	ix := p.ix
	if len(ix.docs) == 0 {
		return -1, nil
	}
	scores := make([]float64, len(ix.docs))
	evidence := make([]bool, len(ix.docs))
	ix.score(p.query(), scores, evidence, p.hasFigures())
	if bases := p.amountBases(); len(bases) > 0 {
		for d := range scores {
			if ix.docs[d].base != "" && slices.Contains(bases, ix.docs[d].base) {
				scores[d] *= unitBonus
			}
		}
	} else if p.progressOnly() {
		// A percentage or a done mark and no amount: not an indicator's
		// value (unless the indicator is itself a percentage).
		for d := ix.nItems; d < len(scores); d++ {
			if ix.docs[d].base != "%" {
				scores[d] = 0
			}
		}
	}
	isOwned := func(d int) bool {
		return d < ix.nItems && slices.Contains(owned, p.plan.Items[d].Code)
	}
	var list []int
	for d, s := range scores {
		if evidence[d] && s >= minScore {
			list = append(list, d)
		}
	}
	if len(list) == 0 {
		return -1, nil
	}
	slices.SortStableFunc(list, func(a, b int) int {
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		case isOwned(a) != isOwned(b):
			if isOwned(a) {
				return -1
			}
			return 1
		}
		return a - b
	})
	best := scores[list[0]]
	cands := list[:0:0]
	for _, d := range list {
		if scores[d]*clearRatio > best+1e-9 {
			cands = append(cands, d)
		}
	}
	if len(cands) == 1 {
		return cands[0], nil
	}
	// An owned candidate wins when it is the single best owned one.
	var mine []int
	for _, d := range cands {
		if isOwned(d) {
			mine = append(mine, d)
		}
	}
	if len(mine) == 1 || (len(mine) > 1 && scores[mine[0]] > scores[mine[1]]+1e-9) {
		return mine[0], nil
	}
	return -1, cands[:min(len(cands), MaxCandidates)]
}

// query is the text left for fuzzy matching: runes not taken by tokens
// (tokens become spaces), up to queryRunes of them.
func (p *reader) query() []rune {
	q := make([]rune, 0, min(len(p.rs), queryRunes*2))
	count := 0
	for i, r := range p.rs {
		if p.taken[i] {
			r = ' '
		} else if !unicode.IsSpace(r) {
			count++
		}
		q = append(q, r)
		if count >= queryRunes {
			break
		}
	}
	return q
}

// stripSubject takes out of the note the phrase that named doc, when that
// phrase comes before the figures: in "黄烟 50% 移栽完成" the note is
// "移栽完成", not "黄烟 移栽完成". A phrase is a run of text between spaces,
// punctuation and tokens; the one that scores best for doc (with evidence
// and at least minScore, at most maxSubject runes, and mostly made of
// the target's words: "大闸蟹推介会" stays, since 推介会 says more) is taken.
func (p *reader) stripSubject(doc int) {
	if doc < 0 || doc >= len(p.ix.docs) {
		return
	}
	limit := len(p.rs)
	for i := range p.toks {
		if k := p.toks[i].kind; k != tokName && k != tokMention && p.toks[i].start < limit {
			limit = p.toks[i].start
		}
	}
	scores := make([]float64, len(p.ix.docs))
	evidence := make([]bool, len(p.ix.docs))
	best, bestA, bestB := 0.0, 0, 0
	for i := 0; i < limit; {
		if p.taken[i] || isSep(p.rs[i]) {
			i++
			continue
		}
		j := i
		for j < limit && !p.taken[j] && !isSep(p.rs[j]) {
			j++
		}
		if j-i <= maxSubject {
			clear(scores)
			clear(evidence)
			p.ix.score(p.rs[i:j], scores, evidence, true)
			if evidence[doc] && scores[doc] >= minScore && scores[doc] > best && p.ix.coverage(p.rs[i:j], doc) > minCoverage {
				best, bestA, bestB = scores[doc], i, j
			}
		}
		i = j
	}
	if best > 0 {
		p.subject, p.hasSubject = [2]int{bestA, bestB}, true
	}
}

// taskWords are what every task's report says. Alone they name no item,
// but they say the message is about work under way.
var taskWords = []string{"落实", "推进", "推动", "办理", "资料", "收集", "工作", "项目", "进展", "顺利", "正在",
	"开展", "计划", "按照", "要求", "稳步", "有序", "对接", "协调", "准备", "筹备", "实施"}

// workTalk reports whether the words outside the tokens speak of work
// under way.
func (p *reader) workTalk() bool {
	for i, r := range p.rs {
		if p.taken[i] || !unicode.Is(unicode.Han, r) {
			continue
		}
		for _, w := range taskWords {
			if p.at(i, w) {
				return true
			}
		}
	}
	return false
}
