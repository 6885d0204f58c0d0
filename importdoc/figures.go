package importdoc

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"planbot"
)

var (
	// reValue: a figure with its unit. A sign is kept for 同比分别-6.2%.
	reValue = lazyCompile(`([-－]?)(\d+(?:,\d{3})*(?:\.\d+)?|[Xx]+)\s*(?:余|多)?\s*(亿元|万元|千元|万美元|亿美元|美元|元|万吨|吨|万人次|人次|万亩|亩|%)`)
	// reHeadline: the names of the figures a summary leads with.
	reHeadline    = lazyCompile(`生产总值|总产值|产值|增加值|财政收入|预算收入|税收|可支配收入|纯收入|集体经济收入|经营性收入|固定资产投资|零售总额|出口|进出口|外贸|到位资金|利用外资|营业收入|营业额|利润|用电量|总产量|旅游.{0,2}收入|接待游客`)
	reNameVerbEnd = lazyCompile(`(?:分别|全部|均)?(?:完成|实现|达到|达|为|突破|累计|共计|合计|总计|约|预计|同比)+$`)
	reNameVerbIn  = lazyCompile(`完成|实现|达到|累计|全年`)
	reNameLead2   = lazyCompile(`^(?:截[至止](?:目前|\d{1,2}月底?|年底)|\d{1,2}\s*[-—至~]\s*\d{1,2}\s*月份?|全年|全[镇乡区县]|全街道|街道|我[镇乡]|累计|共计|共|实现了?|完成了?|达到|其中|预计|新增|全部)`)
	reNameBad     = lazyCompile(`增长|下降|增幅|目标|任务|的|占|比重|较|比上年|以来|项目|总投资|计划|分别|影响`)
	reQualifier   = lazyCompile(`(?:超过|不低于|不少于|高于)$`)
	reGrowthWord  = lazyCompile(`(?:增长|增加|上升|提高|下降|减少|降低|同比|分别|增幅|增速|比上年|较上年)(?:了|为|达到|达)?$`)
	reShareWord   = lazyCompile(`(?:任务|目标|计划)[^，,；;。\d]{0,6}$`)
	reFallWord    = lazyCompile(`下降|减少|降低`)
)

// figure is one number read from a summary sentence.
type figure struct {
	name, num, unit string
	neg             bool
	growth, share   string
	rate            bool // a growth rate only (规上工业增加值增长8.2%)
	at              int
	source          string
}

// indicators reads the headline figures of the summary: each figure with
// a year-on-year change or a share of its target, and each figure of a
// name summaries lead with (生产总值, 税收, 可支配收入 …), wherever it is.
// sameYear is a half-year summary: its figures are this year's so far.
func indicators(summary []para, sameYear bool) []Indicator {
	var out []Indicator
	var figs []figure
	seen := map[string]int{}
	for _, p := range summary {
		for _, sent := range figureSentences(p.num + p.text) {
			for _, f := range sentenceFigures(sent) {
				if !headline(f) {
					continue
				}
				if at, ok := seen[f.name]; ok {
					// a festival's 接待游客12万人次, then the year's 全年接待游客86万人次
					if wholeYear(f) && !wholeYear(figs[at]) {
						figs[at], out[at] = f, f.indicator(p.line, sameYear)
					}
					continue
				}
				seen[f.name] = len(out)
				figs = append(figs, f)
				out = append(out, f.indicator(p.line, sameYear))
			}
		}
	}
	return out
}

// wholeYear: the figure's clause says it is the year's (全年接待游客…).
func wholeYear(f figure) bool {
	return strings.Contains(tail(f.source[:f.at], 30), "全年")
}

// rePerUnit: a figure per mu, household or village is no headline figure.
var bareName = map[string]bool{"营业收入": true, "营业额": true, "利润": true, "产值": true, "总产值": true, "销售额": true}

var rePerUnit = lazyCompile(`亩均|户均|村均|人均税收`)

func headline(f figure) bool {
	if rePerUnit.MatchString(f.name) || bareName[f.name] && f.growth == "" && f.share == "" {
		return false // 园区…实现营业收入12.6亿元: a park's, not the town's
	}
	if f.rate {
		// 规上工业增加值增长8.2%, but not 刑事案件发案率下降12.4%
		return reHeadline.MatchString(f.name)
	}
	if f.growth != "" || f.share != "" {
		// 一般性支出压减6%，“三公”经费同比下降8.2%: a percentage is a
		// headline figure only under a headline name
		return f.unit != "%" || reHeadline.MatchString(f.name)
	}
	return f.unit != "%" && reHeadline.MatchString(f.name) && !strings.HasPrefix(f.name, "年")
}

func (f figure) indicator(line int, sameYear bool) Indicator {
	ind := Indicator{Name: f.name, Source: f.source, Line: line, Accumulate: planbot.AccumulateYTD, Growth: f.growth, Share: f.share}
	if f.rate {
		ind.Name += "增速"
		ind.Unit, ind.Accumulate, ind.Value = "%", planbot.AccumulateLevel, f.growth
		ind.Growth = ""
		if !sameYear {
			ind.LastYear = ind.Value
		}
		return ind
	}
	switch f.unit {
	case "%":
		ind.Unit, ind.Accumulate = "%", planbot.AccumulateLevel
	case "万美元", "亿美元", "美元", "万千瓦时":
		ind.WrittenUnit = f.unit
	default:
		if _, ok := planbot.LookupUnit(f.unit); ok {
			ind.Unit = f.unit
		} else {
			ind.WrittenUnit = f.unit
		}
	}
	if f.num[0] == 'X' || f.num[0] == 'x' {
		ind.Hidden = true
		return ind
	}
	v := strings.ReplaceAll(f.num, ",", "")
	if ind.Unit != "" {
		if _, err := planbot.ParseAmountIn(v, ind.Unit); err != nil {
			return ind
		}
	}
	ind.Value = v
	switch {
	case sameYear && ind.Share != "" && ind.Unit != "":
		val, _ := strconv.ParseFloat(v, 64)
		sh, _ := strconv.ParseFloat(ind.Share, 64)
		if sh > 0 {
			ind.Target, ind.TargetFrom = round3(val/sh*100), "share"
		}
	case !sameYear:
		ind.LastYear = v
		if ind.Target = suggest(ind); ind.Target != "" {
			ind.TargetFrom = "growth"
		}
	}
	return ind
}

// figureSentences splits a paragraph at stops and semicolons.
func figureSentences(text string) []string {
	rs := []rune(text)
	var out []string
	start := 0
	for i, r := range rs {
		if r == '；' || r == ';' || isStop(rs, i) {
			out = append(out, string(rs[start:i]))
			start = i + 1
		}
	}
	return append(out, string(rs[start:]))
}

// sentenceFigures reads the figures of one sentence and ties each rate of
// change and share of target to the figure it belongs to: the nearest one
// before it, or, after 分别, the figures of the list before it in order.
func sentenceFigures(s string) []figure {
	var figs []figure
	var pendingNames []string // a 分别 list of names waiting for its values
	lastGrowth := -1          // where the last rate of change ended
	lastValue := -1           // where the last figure with a unit ended
	for _, loc := range reValue.FindAllStringSubmatchIndex(s, -1) {
		lo, hi := loc[0], loc[1]
		if prev, _ := utf8.DecodeLastRuneInString(s[:lo]); lo > 0 && prev < utf8.RuneSelf && (unicode.IsLetter(prev) || unicode.IsDigit(prev) || prev == '.') {
			continue
		}
		num, unit := s[loc[4]:loc[5]], s[loc[6]:loc[7]]
		neg := loc[3] > loc[2]
		seg := segmentBefore(s[:lo])
		if lastGrowth >= 0 && unit == "%" && strings.Trim(s[lastGrowth:lo], " 、和及") == "" {
			seg = "" // 分别增长21.3%和18.6%: the list goes on
		}
		if unit == "%" {
			switch {
			case reShareWord.MatchString(seg):
				attach(figs, func(f *figure) *string { return &f.share }, []string{num}, false)
				continue
			case reGrowthWord.MatchString(seg) || neg || seg == "" && len(figs) > 0:
				g := num
				if neg || reFallWord.MatchString(seg) {
					g = "-" + num
				}
				if name := cleanName(reGrowthWord.ReplaceAllString(seg, "")); name != "" && !strings.Contains(seg, "分别") {
					figs = append(figs, figure{name: name, growth: g, rate: true, at: lo, source: s})
					continue
				}
				attach(figs, func(f *figure) *string { return &f.growth }, []string{g}, strings.Contains(seg, "分别") || seg == "" && listContinues(s[:lo]))
				lastGrowth = hi
				continue
			}
		}
		f := figure{num: num, unit: unit, at: lo, source: s}
		switch {
		case len(pendingNames) > 0 && (seg == "" || lastValue >= 0 && strings.Trim(s[lastValue:lo], "和、及 ") == ""):
			f.name, pendingNames = pendingNames[0], pendingNames[1:]
		case strings.Contains(clauseBefore(s[:lo]), "分别"):
			names := splitNames(strings.Split(clauseBefore(s[:lo]), "分别")[0])
			for i := range names {
				names[i] = cleanName(names[i])
			}
			f.name, pendingNames = names[0], names[1:]
		default:
			if reQualifier.MatchString(seg) || strings.HasPrefix(s[hi:], "以上") || strings.HasPrefix(s[hi:], "以下") {
				continue
			}
			f.name = cleanName(seg)
		}
		if f.name != "" {
			figs = append(figs, f)
			lastValue = hi
		}
	}
	return figs
}

// listContinues: a growth rate right after 、 or 和 continues a 分别 list.
func listContinues(before string) bool {
	r, _ := utf8.DecodeLastRuneInString(strings.TrimRight(before, " -－"))
	return r == '、' || r == '和'
}

// attach gives values to the figures before them that lack one: a single
// value to the nearest, a 分别 list to the last len(vals) figures in order.
// A list continuing (、9.8%) is handled by giving it to the next figure
// still lacking a value after the one that took the previous value.
func attach(figs []figure, field func(*figure) *string, vals []string, list bool) {
	var free []int
	for i := range figs {
		if !figs[i].rate && *field(&figs[i]) == "" {
			free = append(free, i)
		}
	}
	if len(free) == 0 {
		return
	}
	if list {
		*field(&figs[free[0]]) = vals[0]
		return
	}
	*field(&figs[free[len(free)-1]]) = vals[0]
}

// segmentBefore is the words before a figure back to the last comma,
// colon or 、.
func segmentBefore(s string) string {
	i := strings.LastIndexAny(s, "，,：:、（(“ ")
	if i < 0 {
		return strings.TrimSpace(s)
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	return strings.TrimSpace(s[i+size:])
}

// clauseBefore is the words before a figure back to the last comma: a
// 分别 list of names (规上工业总产值、外贸出口额分别完成) whole.
func clauseBefore(s string) string {
	i := strings.LastIndexAny(s, "，,：:（(“ ")
	if i < 0 {
		return s
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	return s[i+size:]
}

// cleanName is the name in the words before a figure: 全乡生产总值完成 →
// 生产总值, 全镇实现固定资产投资 → 固定资产投资.
func cleanName(seg string) string {
	name := strings.TrimSpace(seg)
	if n := reNameVerbEnd.ReplaceAllString(name, ""); n != name {
		name = n // name, then verb
	} else if loc := reNameVerbIn.FindAllStringIndex(name, -1); loc != nil {
		name = name[loc[len(loc)-1][1]:] // verb, then name
	}
	for {
		n := reNameLead2.ReplaceAllString(name, "")
		n = reNameVerbEnd.ReplaceAllString(n, "")
		if n == name {
			break
		}
		name = n
	}
	if l := runeLen(name); l < 3 || l > 16 || !reFigureName.MatchString(name) || reNameBad.MatchString(name) {
		return ""
	}
	return name
}

var reFigureName = lazyCompile(`^[\p{Han}A-Za-z]+$`)

// splitNames splits the names of a 分别 list: 规上工业总产值、外贸出口额;
// 城镇和农村居民人均可支配收入 and 城乡居民人均可支配收入 (城镇… and 农村…),
// where short first names share the last name's rest.
func splitNames(list string) []string {
	list = strings.TrimSpace(list)
	if rest, ok := strings.CutPrefix(list, "城乡"); ok && rest != "" {
		return []string{"城镇" + rest, "农村" + rest}
	}
	names := strings.FieldsFunc(list, func(r rune) bool { return r == '、' || r == '和' || r == '及' })
	if len(names) < 2 {
		return []string{list}
	}
	last := []rune(names[len(names)-1])
	for i, n := range names[:len(names)-1] {
		if k := runeLen(n); k <= 3 && len(last) > k+2 {
			names[i] = n + string(last[k:])
		}
	}
	return names
}
