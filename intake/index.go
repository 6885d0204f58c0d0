package intake

import (
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"unicode"

	"planbot"
)

// ---------------------------------------------------------------------------
// The word index of a plan, for fuzzy matching.
//
// Every item is a document (title, description) and so is every indicator
// (its name and aliases count as title). A document and a query are cut into
// grams: single Han characters and pairs of adjacent ones, after stop words
// (的、和、推进、工作、进度、完成 …) and everything not Han have been taken
// out as breaks. A gram g found in document d scores
//
//	idf(g) × field × size,  idf(g) = ln(1 + N/df(g))
//
// where N is the number of documents, df(g) how many contain g, field is 3
// in the title and 1 only in the description, and size 2 for a pair, 1 for a
// character. A document's score is the sum over the query's distinct grams.
// It fits only with evidence — a pair it shares with the query, or a title
// character found in at most two documents (蟹, 烟) — and a score of at
// least minScore. An amount in the unit of an item's target doubles that
// item's score. The best fitting document wins when it scores at least
// clearRatio times every other; otherwise those within that ratio of it
// are the candidates.

type wordIndex struct {
	plan       *planbot.Plan
	nItems     int
	nInds      int
	first      *planbot.Item
	firstInd   *planbot.Indicator
	codes      map[string]int
	indicators map[string]int
	names      []alias
	nameFirst  map[rune][]int
	docs       []docInfo
	post       map[uint64][]posting
}

type alias struct {
	rs  []rune
	ind int
}

type docInfo struct {
	base string // base unit of the item's target or the indicator's unit
}

type posting struct {
	doc    int32
	weight float64
	pair   bool // a two-character gram: always evidence
	title  bool // found in the title (or an indicator's name or alias)
	rare   bool // a title character in at most two documents: evidence with a figure
}

var indexCache atomic.Pointer[wordIndex]

func indexFor(plan *planbot.Plan) *wordIndex {
	if ix := indexCache.Load(); ix != nil && ix.matches(plan) {
		return ix
	}
	ix := buildIndex(plan)
	indexCache.Store(ix)
	return ix
}

func (ix *wordIndex) matches(plan *planbot.Plan) bool {
	if ix.plan != plan {
		return false
	}
	if plan == nil {
		return true
	}
	if len(plan.Items) != ix.nItems || len(plan.Indicators) != ix.nInds {
		return false
	}
	if len(plan.Items) > 0 && &plan.Items[0] != ix.first {
		return false
	}
	return len(plan.Indicators) == 0 || &plan.Indicators[0] == ix.firstInd
}

func buildIndex(plan *planbot.Plan) *wordIndex {
	ix := &wordIndex{plan: plan, codes: map[string]int{}, indicators: map[string]int{}, nameFirst: map[rune][]int{}, post: map[uint64][]posting{}}
	if plan == nil {
		return ix
	}
	ix.nItems, ix.nInds = len(plan.Items), len(plan.Indicators)
	if ix.nItems > 0 {
		ix.first = &plan.Items[0]
	}
	if ix.nInds > 0 {
		ix.firstInd = &plan.Indicators[0]
	}
	type field struct{ title, desc map[uint64]bool }
	var fields []field
	grams := func(s string) map[uint64]bool {
		m := map[uint64]bool{}
		gramsOf([]rune(s), func(g uint64) { m[g] = true })
		return m
	}
	for i, it := range plan.Items {
		if _, dup := ix.codes[it.Code]; !dup {
			ix.codes[it.Code] = i
		}
		base := ""
		if it.Target != nil {
			base = it.Target.Unit
		}
		ix.docs = append(ix.docs, docInfo{base: base})
		fields = append(fields, field{grams(it.Title), grams(it.Description)})
	}
	for i, ind := range plan.Indicators {
		if _, dup := ix.indicators[ind.Key]; !dup {
			ix.indicators[ind.Key] = i
		}
		base := ""
		if u, ok := planbot.LookupUnit(ind.Unit); ok {
			base = u.Base
		}
		ix.docs = append(ix.docs, docInfo{base: base})
		title := map[uint64]bool{}
		for _, s := range append([]string{ind.Name}, ind.Aliases...) {
			for g := range grams(s) {
				title[g] = true
			}
			if rs := []rune(strings.TrimSpace(s)); len(rs) > 0 {
				ix.names = append(ix.names, alias{rs: rs, ind: i})
			}
		}
		fields = append(fields, field{title, map[uint64]bool{}})
	}
	slices.SortStableFunc(ix.names, func(a, b alias) int { return len(b.rs) - len(a.rs) })
	for k, nm := range ix.names {
		ix.nameFirst[nm.rs[0]] = append(ix.nameFirst[nm.rs[0]], k)
	}
	df := map[uint64]int{}
	for _, f := range fields {
		for g := range f.title {
			df[g]++
		}
		for g := range f.desc {
			if !f.title[g] {
				df[g]++
			}
		}
	}
	n := float64(len(fields))
	for d, f := range fields {
		add := func(g uint64, w float64, inTitle bool) {
			bigram := g>>32 != 0
			size := 1.0
			if bigram {
				size = bigramWeight
			}
			idf := math.Log(1 + n/float64(df[g]))
			rare := !bigram && inTitle && df[g] <= 2 && !strings.ContainsRune(commonChars, rune(g))
			ix.post[g] = append(ix.post[g], posting{doc: int32(d), weight: idf * w * size, pair: bigram, title: inTitle, rare: rare})
		}
		for g := range f.title {
			add(g, titleWeight, true)
		}
		for g := range f.desc {
			if !f.title[g] {
				add(g, descWeight, false)
			}
		}
	}
	return ix
}

// commonChars are everyday characters that, alone, never show which item
// a message is about (你好 is not 办好招商推介).
const commonChars = "好大小上下中人新年月日天一不多少做要会能去来说看想到出入开后前里外时地得着过用分所以发生成可心手点最很再高行现事家面主本请问谢吃走访次号投放建设办加提增改" +
	"理处作料集实施况展" // 办理, 处理, 工作, 资料, 收集, 落实, 实施, 情况, 进展: one of them shared with a title (治理) says nothing

// score adds each document's score for the query q to scores, and marks
// the documents with evidence: a shared pair of characters, or (when rare
// is true: the message carries a figure) a rare title character.
func (ix *wordIndex) score(q []rune, scores []float64, evidence []bool, rare bool) {
	seen := map[uint64]bool{}
	gramsOf(q, func(g uint64) {
		if seen[g] {
			return
		}
		seen[g] = true
		for _, ps := range ix.post[g] {
			scores[ps.doc] += ps.weight
			if ps.pair || (rare && ps.rare) {
				evidence[ps.doc] = true
			}
		}
	})
}

// Stop words carry no meaning for matching: particles, and the verbs every
// plan item shares.
var stopWords = func() map[rune][][]rune {
	words := []string{
		"进一步", "推进", "推动", "工作", "进度", "完成", "开展", "情况", "目前", "已经", "正在",
		"全部", "累计", "汇报", "今天", "本周", "本月", "我们", "积极", "不断", "切实", "加强",
		"加大", "做好", "抓好", "深入", "持续", "努力", "争取", "尽快", "方面", "相关", "有关",
		"进行", "一个",
		// Words every task has: they never show which item a message is
		// about (资料已收集, 按计划推进中, 项目进展顺利).
		"落实", "办理", "资料", "收集", "项目", "进展", "顺利", "计划", "按照", "要求", "稳步",
		"有序", "正常", "抓紧", "加快", "继续", "按", "中",
		// An outcome, not a subject: 已签约 is said of several projects.
		"签约",
		"的", "和", "与", "及", "了", "已", "在", "是", "有", "对", "为", "等", "并", "把", "将",
		"也", "还", "都", "又", "就", "于", "之", "或", "从", "向", "被", "让", "给", "各", "这",
		"那", "我", "你", "他", "她", "它", "啊", "吗", "呢", "吧", "哦", "嗯", "个",
	}
	m := map[rune][][]rune{}
	for _, w := range words {
		rs := []rune(w)
		m[rs[0]] = append(m[rs[0]], rs)
	}
	for _, list := range m {
		slices.SortFunc(list, func(a, b []rune) int { return len(b) - len(a) })
	}
	return m
}()

// gramsOf calls emit for every gram of rs: each Han character and each pair
// of adjacent Han characters, stop words and non-Han runes breaking runs. A
// character is r; a pair is r1<<32 | r2.
func gramsOf(rs []rune, emit func(uint64)) {
	gramsAt(rs, func(g uint64, _ int) { emit(g) })
}

// asciiGram marks the gram of an ASCII word (its FNV-1a hash below).
const asciiGram = 1 << 63

// gramsAt is gramsOf telling where each gram ends: a character at i is
// emitted with i, a pair ending at i too (it starts at i-1).
func gramsAt(rs []rune, emit func(g uint64, i int)) {
	prev := rune(-1)
	for i := 0; i < len(rs); {
		r := rs[i]
		if isLetter(r) {
			// An ASCII word (XX, the plan's placeholder for a name) is a
			// gram of its own, worth a pair.
			h, j := uint32(2166136261), i
			for j < len(rs) && isLetter(rs[j]) {
				h = (h ^ uint32(unicode.ToLower(rs[j]))) * 16777619
				j++
			}
			if j-i >= 2 {
				emit(asciiGram|uint64(h), j-1)
			}
			prev = -1
			i = j
			continue
		}
		if !unicode.Is(unicode.Han, r) {
			prev = -1
			i++
			continue
		}
		if stop := stopAt(rs, i); stop > 0 {
			prev = -1
			i += stop
			continue
		}
		emit(uint64(r), i)
		if prev >= 0 {
			emit(uint64(prev)<<32|uint64(r), i)
		}
		prev = r
		i++
	}
}

// coverage is the share of the meaningful characters of rs (Han, not in a
// stop word) found in doc's title (as a character or a pair): how much of a
// phrase is just the name of the document.
func (ix *wordIndex) coverage(rs []rune, doc int) float64 {
	covered := make([]bool, len(rs))
	total := 0
	gramsAt(rs, func(g uint64, i int) {
		if g&asciiGram != 0 {
			return
		}
		pair := g>>32 != 0
		if !pair {
			total++
		}
		for _, ps := range ix.post[g] {
			if int(ps.doc) != doc || !ps.title {
				continue
			}
			covered[i] = true
			if pair {
				covered[i-1] = true
			}
		}
	})
	if total == 0 {
		return 0
	}
	n := 0
	for _, c := range covered {
		if c {
			n++
		}
	}
	return float64(n) / float64(total)
}

// keepWords begin with a stop word but are words of their own.
var keepWords = [][]rune{[]rune("在建"), []rune("中心")}

func stopAt(rs []rune, i int) int {
	for _, w := range keepWords {
		if i+len(w) <= len(rs) && slices.Equal(rs[i:i+len(w)], w) {
			return 0
		}
	}
	for _, w := range stopWords[rs[i]] {
		if i+len(w) <= len(rs) && slices.Equal(rs[i:i+len(w)], w) {
			return len(w)
		}
	}
	return 0
}
