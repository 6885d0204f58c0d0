package importdoc

import (
	"strconv"
	"strings"

	"planbot"
)

var (
	reGoalGrowth = lazyCompile(`^(.+?)(?:同比)?(?:增长|增加|提高)\s*(\d+(?:\.\d+)?)\s*%`)
	reGoalValue  = lazyCompile(`^(.+?)(?:全部|均)?(?:达到|完成|实现|突破|力争|为)?\s*(\d+(?:\.\d+)?)\s*(亿元|万元|元)`)
	reGoalIntro  = lazyCompile(`^.{0,16}?目标(?:任务)?(?:是|为)?[：:]`)
	moneyFactor  = map[string]float64{"元": 1, "万元": 1e4, "亿元": 1e8}
)

// goal is one expected figure of the plan (地区生产总值增长6.5%左右).
type goal struct {
	name, text    string
	growth, value string
	unit          string
}

func readGoals(goals []para) []goal {
	var out []goal
	for _, p := range goals {
		text := reGoalIntro.ReplaceAllString(p.text, "")
		for _, c := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune("；;。，,", r) }) {
			c = strings.TrimSpace(c)
			if gs := listGoals(c); gs != nil {
				out = append(out, gs...)
				continue
			}
			if m := reGoalGrowth.FindStringSubmatch(c); m != nil {
				if name := cleanName(m[1]); name != "" {
					out = append(out, goal{name: name, text: c, growth: m[2]})
				}
				continue
			}
			if m := reGoalValue.FindStringSubmatch(c); m != nil {
				if name := cleanName(m[1]); name != "" {
					out = append(out, goal{name: name, text: c, value: m[2], unit: m[3]})
				}
			}
		}
	}
	return out
}

// normName lets the same figure match under its usual variants: 地区生产总值
// and 生产总值, 规模以上 and 规上, X增速 and X.
func normName(s string) string {
	s = strings.TrimSuffix(s, "增速")
	s = strings.ReplaceAll(s, "规模以上", "规上")
	for _, p := range []string{"地区", "全镇", "全乡", "全街道", "全区"} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

func sameFigure(a, b string) bool {
	a, b = normName(a), normName(b)
	return a == b || runeLen(a) >= 4 && runeLen(b) >= 4 && (strings.HasSuffix(a, b) || strings.HasSuffix(b, a))
}

// applyGoals makes the document's own expected figures the indicators'
// targets, adds the ones the summary did not report, and takes a target the
// plan part sets for a figure (力争规上工业总产值全年完成13亿元) where no
// expected figure is given. A suggestion from growth stays only where the
// document states nothing.
func applyGoals(inds []Indicator, goalParas []para, plan []para) []Indicator {
	for _, g := range readGoals(goalParas) {
		i := -1
		for k := range inds {
			if sameFigure(inds[k].Name, g.name) {
				i = k
				break
			}
		}
		if i < 0 {
			ind := Indicator{Name: g.name, Accumulate: planbot.AccumulateYTD, Source: g.text, Line: 0}
			if g.growth != "" {
				ind.Name += "增速"
				ind.Unit, ind.Accumulate = "%", planbot.AccumulateLevel
			} else {
				ind.Unit = g.unit
			}
			inds = append(inds, ind)
			i = len(inds) - 1
		}
		setGoal(&inds[i], g)
	}
	for i := range inds {
		if inds[i].TargetFrom == "goal" || runeLen(inds[i].Name) < 4 || inds[i].Unit == "%" || inds[i].Unit == "" {
			continue
		}
		for _, p := range plan {
			if v, text := planFigure(p.text, inds[i].Name, inds[i].Unit); v != "" {
				inds[i].Target, inds[i].TargetFrom, inds[i].Goal = v, "plan", text
				break
			}
		}
	}
	return inds
}

func setGoal(ind *Indicator, g goal) {
	ind.Goal, ind.Target, ind.TargetFrom = g.text, "", "goal"
	switch {
	case g.growth != "" && ind.Unit == "%":
		ind.Target = g.growth
	case g.growth != "" && ind.LastYear != "":
		last, err1 := strconv.ParseFloat(ind.LastYear, 64)
		gr, err2 := strconv.ParseFloat(g.growth, 64)
		if err1 == nil && err2 == nil {
			ind.Target = round3(last * (1 + gr/100))
		}
	case g.value != "":
		ind.Target = convert(g.value, g.unit, ind.Unit)
	}
}

// convert writes a money figure in another money unit, "" when it cannot.
func convert(v, from, to string) string {
	f, ok1 := moneyFactor[from]
	t, ok2 := moneyFactor[to]
	x, err := strconv.ParseFloat(v, 64)
	if !ok1 || !ok2 || err != nil {
		return ""
	}
	if from == to {
		return v
	}
	return round3(x * f / t)
}

var rePlanFigure = lazyCompile(`^(?:全年|力争|达到|完成|实现|突破|到位|为)*\s*(\d+(?:\.\d+)?)\s*(亿元|万元|元)`)

// planFigure finds a figure the plan sets for name: the name followed by a
// money amount within a few words.
func planFigure(text, name, unit string) (string, string) {
	i := strings.Index(text, name)
	if i < 0 {
		return "", ""
	}
	rest := text[i+len(name):]
	m := rePlanFigure.FindStringSubmatchIndex(rest)
	if m == nil {
		return "", ""
	}
	v := convert(rest[m[2]:m[3]], rest[m[4]:m[5]], unit)
	return v, name + rest[:m[1]]
}

var reGoalList = lazyCompile(`^(.+?)分别(?:同比)?(?:增长|增加|提高)\s*((?:\d+(?:\.\d+)?\s*%?\s*[、和]\s*)+\d+(?:\.\d+)?)\s*%`)

// listGoals reads a 分别 goal: 城乡居民人均可支配收入分别增长6%和7.5% is
// 城镇居民… 6% and 农村居民… 7.5%; nil when the clause is none, or its
// names and rates do not pair up.
func listGoals(c string) []goal {
	m := reGoalList.FindStringSubmatch(c)
	if m == nil {
		return nil
	}
	names := splitNames(m[1])
	rates := strings.FieldsFunc(m[2], func(r rune) bool { return strings.ContainsRune("%、和 ", r) })
	if len(names) != len(rates) {
		return nil
	}
	var out []goal
	for i, n := range names {
		if n = cleanName(n); n == "" {
			return nil
		}
		out = append(out, goal{name: n, text: n + "增长" + rates[i] + "%", growth: rates[i]})
	}
	return out
}
