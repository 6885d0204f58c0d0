package config

import (
	"fmt"
	"strings"

	"planbot"
)

// buildIndicators checks indicators: in every file.
func (b *builder) buildIndicators() {
	indicators := map[string]at{}
	names := map[string]at{} // names and aliases share one space: chat matches both
	for _, f := range b.files {
		for i, ind := range f.raw.Indicators {
			b.plan.Indicators = append(b.plan.Indicators, b.indicator(f.name, i, ind, indicators, names))
		}
	}
}

// indicator checks indicators[i] of file; indicators and names are the keys
// and the names or aliases seen so far.
func (b *builder) indicator(file string, i int, ind rawIndicator, indicators, names map[string]at) planbot.Indicator {
	in := func(key string) at { return at{file, ind.Lines.of(key), fmt.Sprintf("indicators[%d].%s", i+1, key)} }
	where := at{file, ind.Lines.of(""), fmt.Sprintf("indicators[%d]", i+1)}
	out := planbot.Indicator{Key: ind.Key, Name: strings.TrimSpace(ind.Name), Aliases: ind.Aliases, Unit: ind.Unit, Accumulate: planbot.Accumulation(cmpOr(ind.Accumulate, string(planbot.AccumulateYTD)))}
	switch {
	case ind.Key == "":
		b.e(where, "缺少 key：应写指标的英文标识，如 fixed_asset_investment")
	case !keyPattern.MatchString(ind.Key):
		b.e(in("key"), "%q 不能用作 key：只能用英文字母、数字和下划线，且以字母开头", ind.Key)
	case indicators[ind.Key].file != "":
		b.e(in("key"), "指标 key %q 重复：已在 %s 定义", ind.Key, indicators[ind.Key].pos())
	default:
		indicators[ind.Key] = in("key")
	}
	if out.Name == "" {
		b.e(where, "缺少 name：应写指标名称，如 固定资产投资")
	}
	for j, n := range append([]string{out.Name}, ind.Aliases...) {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		a := in("name")
		if j > 0 {
			a = at{file, ind.Lines.of("aliases"), fmt.Sprintf("indicators[%d].aliases[%d]", i+1, j)}
		}
		if prev, dup := names[n]; dup {
			b.e(a, "名称 %q 已被另一指标使用（%s）：填报时会分不清", n, prev.pos())
		} else {
			names[n] = a
		}
	}
	unitOK := false
	if ind.Unit == "" {
		b.e(where, "缺少 unit：应写单位，如 亿元、万元、%%、个")
	} else if _, ok := planbot.LookupUnit(ind.Unit); !ok {
		b.e(in("unit"), "不认识的单位 %q：可用 元、万元、亿元、%%、个、户、人次 等", ind.Unit)
	} else {
		unitOK = true
	}
	if ind.Target == "" {
		b.e(where, "缺少 target：应写全年目标，如 target: 6.5（单位同 unit）")
	} else if unitOK {
		a, err := planbot.ParseAmountIn(ind.Target, ind.Unit)
		switch {
		case err != nil:
			b.e(in("target"), "%v", err)
		case a.Value <= 0:
			b.e(in("target"), "全年目标应大于 0")
		default:
			out.Target = a
		}
	}
	if ind.LastYear != "" && unitOK {
		a, err := planbot.ParseAmountIn(ind.LastYear, ind.Unit)
		if err != nil {
			b.e(in("last_year"), "%v", err)
		} else {
			out.LastYear = &a
		}
	}
	if out.Accumulate != planbot.AccumulateYTD && out.Accumulate != planbot.AccumulateLevel {
		b.e(in("accumulate"), "%q 无效：应为 ytd（年度累计，如固定资产投资累计完成）或 level（某一时点的水平）", ind.Accumulate)
	}
	return out
}
