package importdoc_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"planbot/importdoc"
)

// ind is an indicator as the admin checks it: what it is, the figure the
// summary gave, how it changed, and this year's target.
type ind struct {
	name, unit, value, growth, share, last, target string
}

func (i ind) String() string {
	return fmt.Sprintf("%s|%s|v=%s|g=%s|s=%s|last=%s|t=%s", i.name, i.unit, i.value, i.growth, i.share, i.last, i.target)
}

// corpus: documents written for the tests in the styles offices publish
// (issue 16), each with what the clerk expects to find in the draft. The
// indicators are the summary's headline figures, as a reader lists them.
var corpus = []struct {
	file       string
	style      string
	year       int
	sections   []string
	items      []int
	spot       []wantItem
	indicators []ind
	minChars   int
}{
	{
		file: "moulue.txt", style: "总结 + 2026年工作谋划, name–verb–value figures, closing rhetoric",
		year: 2026,
		sections: []string{
			"聚焦工业倍增，在产业发展上求突破", "聚焦项目攻坚，在招商引资上求突破", "聚焦乡村振兴，在农业增效上求突破",
			"聚焦民生实事，在共建共享上求突破", "聚焦平安建设，在基层治理上求突破",
		},
		items: []int{4, 5, 5, 5, 4},
		spot: []wantItem{
			{"1.2", "加快东岭工业园二期基础设施建设", "2026-01-01", "2026-06-30", ""},
			{"2.2", "重点引进新材料上下游配套企业", "2026-01-01", "2026-12-31", ""}, // not 在东岭新材料产业园
			{"2.3", "实行“一个项目”等工作机制", "2026-01-01", "2026-12-31", ""},  // not cut inside the quote
			{"2.4", "鑫源冷链物流中心投入运营", "2026-01-01", "2026-05-31", ""},
			{"3.2", "新建高标准农田3000亩", "2026-01-01", "2026-05-31", "3000亩"},
			{"4.3", "完成东岭中学学生宿舍楼建设", "2026-01-01", "2026-08-31", ""},
			{"5.3", "完成困难群众走访慰问", "2026-01-01", "2026-02-16", ""},
		},
		indicators: []ind{
			{"生产总值", "万元", "48193", "16.2", "", "48193", "56000"},
			{"地方财政收入", "万元", "2496", "9.1", "117.46", "2496", "2720"},
			{"规上工业增加值增速", "%", "8.2", "", "", "8.2", ""},
			{"社会消费品零售总额", "亿元", "1.36", "5.4", "", "1.36", "1.43"},
			{"固定资产投资", "亿元", "3.2", "", "106.7", "3.2", ""},
			{"农村居民人均可支配收入", "元", "19860", "7.1", "", "19860", "21300"},
			{"脱贫人口人均纯收入", "元", "14600", "", "", "14600", ""},
		},
		minChars: 3000,
	},
	{
		file: "mubiao.txt", style: "政府工作报告: 工作目标和工作措施, 主要预期目标, 一是/二是 points, 分别 list",
		year: 2024,
		sections: []string{
			"坚定不移抓工业，壮大实体经济", "聚焦聚力抓项目，增强发展后劲", "坚持不懈抓“三农”，推进乡村振兴",
			"用心用情抓民生，增进群众福祉", "从严从实抓治理，守护平安稳定", "持之以恒抓作风，建设人民满意政府",
		},
		items: []int{3, 3, 3, 3, 2, 2},
		spot: []wantItem{
			{"1.1", "推动存量企业扩能", "2024-01-01", "2024-12-31", "8000万元"},
			{"1.3", "提升园区承载能力", "2024-01-01", "2024-06-30", "2万平方米"},
			{"2.3", "强化招商引资", "2024-01-01", "2024-12-31", "5个"}, // not the 10亿元 qualifier
			{"3.3", "建设和美乡村", "2024-04-01", "2024-12-31", "500户"},
			{"4.3", "兜牢民生底线", "2024-01-01", "2024-02-09", ""},
		},
		indicators: []ind{
			{"地区生产总值", "亿元", "12.8", "6.9", "", "12.8", "13.6"}, // 预期目标 增长6.5%左右
			{"一般公共预算收入", "万元", "5160", "4.2", "", "5160", "5420"},
			{"固定资产投资", "亿元", "6.3", "11.5", "103.2", "6.3", "6.8"},
			{"农村居民人均可支配收入", "元", "21350", "7.6", "", "21350", "22800"},
			{"粮食总产量", "万吨", "2.6", "", "", "2.6", ""},
			{"规模以上工业总产值", "亿元", "9.4", "8.3", "", "9.4", "10.2"},
			{"规上工业增加值增速", "%", "7.9", "", "", "7.9", "7"},
			{"接待游客", "万人次", "48", "21.3", "", "48", "58.2"},
			{"旅游综合收入", "亿元", "2.1", "18.6", "", "2.1", "2.49"},
		},
		minChars: 3000,
	},
	{
		file: "xiabannian.txt", style: "上半年总结 + 下半年工作安排, 1、 sections, 同比分别 list",
		year:     2026,
		sections: []string{"抓好项目建设", "稳住工业经济", "推进乡村振兴", "兜牢民生底线", "维护社会稳定"},
		items:    []int{3, 2, 2, 2, 2},
		spot: []wantItem{
			{"1.1", "柳河农产品加工园项目竣工投产", "2026-07-01", "2026-10-31", ""},
			{"1.2", "镇区供水管网改造工程全面完工", "2026-07-01", "2026-09-30", ""},
			{"2.2", "新培育规上企业1家", "2026-10-01", "2026-12-31", "1家"},
			{"4.2", "开展“九九公益日”募捐活动", "2026-09-01", "2026-09-30", ""},
		},
		indicators: []ind{
			{"固定资产投资", "亿元", "2.15", "9.6", "53.8", "", "4"}, // the year's task from its share
			{"工商税收", "万元", "1680", "3.2", "", "", ""},
			{"规上工业总产值", "亿元", "6.42", "-6.2", "", "", "13"}, // 力争…全年完成13亿元
			{"外贸出口额", "万元", "3260", "-19.3", "", "", ""},
			{"社会消费品零售总额", "万元", "8700", "", "", "", ""},
		},
	},
	{
		file: "jinnian.txt", style: "政府工作报告: 今年工作安排, half-width punctuation, (1)(2)(3) on one line",
		year:     2025,
		sections: []string{"做优营商环境", "推进城市更新", "提升治理效能"},
		items:    []int{3, 3, 2},
		spot: []wantItem{
			{"1.1", "深化“一网通办”", "2025-01-01", "2025-12-31", ""},
			{"1.3", "养老保险参保扩面", "2025-01-01", "2025-12-31", "1500人"}, // not （3）养老保险…
			{"2.1", "启动幸福路片区棚户区改造", "2025-01-01", "2025-06-30", ""},
			{"2.3", "新建社区嵌入式服务设施1处", "2025-01-01", "2025-12-31", "1处"}, // not 在御窑社区
			{"3.1", "推进商州、山阳、柞水务工人员服务站建设", "2025-01-01", "2025-12-31", "3个"},
		},
		indicators: []ind{
			{"固定资产投资", "亿元", "18.6", "7.2", "", "18.6", "19.9"},
			{"税收收入", "亿元", "3.42", "2.6", "101.5", "3.42", "3.51"},
			{"实际利用外资", "", "1200", "", "", "1200", ""},
			{"城镇居民人均可支配收入", "元", "52800", "5.1", "", "52800", "55500"},
		},
	},
	{
		file: "opening.txt", style: "plan only, named in the opening sentence; heading and first task on one line",
		year:     2026,
		sections: []string{"做强产业", "建设美丽乡村", "保障改善民生", "加强基层治理"},
		items:    []int{3, 2, 3, 2},
		spot: []wantItem{
			{"1.2", "发展林下经济", "2026-01-01", "2026-12-31", "500亩"},
			{"2.2", "加快农村公路建设", "2026-01-01", "2026-09-30", "8.6公里"},
			{"3.2", "提升医疗服务", "2026-01-01", "2026-06-30", ""},
			{"4.2", "强化安全生产", "2026-01-01", "2026-05-31", "4次"}, // not the 2026年1月8日 under it
		},
	},
	{
		file: "labels.txt", style: "“党建工作：” label sections under 新一年工作思路",
		year:     2026,
		sections: []string{"党建工作", "经济工作", "社会事业", "平安建设"},
		items:    []int{3, 3, 2, 2},
		spot: []wantItem{
			{"1.2", "深化“星级党支部”创建", "2026-01-01", "2026-12-31", "3个"},
			{"2.2", "加快乡工业小区建设，完成“三通一平”", "2026-01-01", "2026-09-30", ""},
			{"4.2", "强化道路交通安全管理", "2026-01-01", "2026-02-16", ""},
		},
		indicators: []ind{
			{"生产总值", "亿元", "6.8", "6.3", "", "6.8", "7.23"},
			{"一般公共预算收入", "万元", "1320", "", "112", "1320", ""},
			{"农民人均可支配收入", "元", "17600", "", "", "17600", ""},
		},
	},
	{
		file: "yishi.txt", style: "一是/二是 paragraphs as sections; 分别增长 list",
		year:     2026,
		sections: []string{"抓实产业发展", "抓好项目建设", "抓牢民生保障", "抓紧社会治理"},
		items:    []int{2, 2, 2, 2},
		spot: []wantItem{
			{"1.1", "新建优质稻基地3000亩", "2026-01-01", "2026-12-31", "3000亩"},
			{"3.2", "完成镇敬老院适老化改造", "2026-01-01", "2026-10-31", ""},
		},
		indicators: []ind{
			{"农业总产值", "亿元", "3.2", "4.5", "", "3.2", "3.34"},
			{"工业总产值", "亿元", "8.7", "9.8", "", "8.7", "9.55"},
			{"固定资产投资", "亿元", "4.6", "", "", "4.6", ""},
			{"一般公共预算收入", "万元", "2150", "6.1", "104.3", "2150", "2280"},
		},
	},
	{
		file: "web.txt", style: "web copy: breadcrumbs, hard wraps at 30, page links and chunk markers, 年度工作安排及工作打算, press-conference note",
		year: 2026,
		sections: []string{
			"聚力产业升级，增强经济发展动能", "聚力城市更新，提升人居环境品质",
			"聚力民生实事，提高群众幸福指数", "聚力基层治理，维护社会和谐稳定",
		},
		items: []int{3, 3, 3, 3},
		spot: []wantItem{
			{"1.2", "推动金桥数字产业园二期建设", "2026-01-01", "2026-12-31", ""},
			{"2.1", "实施老旧小区改造5个，全部完工", "2026-01-01", "2026-10-31", "5个"},
			{"3.2", "实施“一老一小”服务提升行动", "2026-01-01", "2026-12-31", "120个"}, // joined across the wrap
			{"4.2", "开展燃气安全专项整治", "2026-01-01", "2026-06-30", ""},
			{"4.3", "加强矛盾纠纷源头化解", "2026-01-01", "2026-12-31", "100%"}, // not due 1月15日
		},
		indicators: []ind{
			{"固定资产投资", "亿元", "9.8", "12.4", "", "9.8", "11"},
			{"区级税收收入", "亿元", "2.36", "5.7", "102.6", "2.36", "2.49"},
			{"社会消费品零售总额", "亿元", "21.5", "4.8", "", "21.5", "22.5"},
			{"园区营业收入", "亿元", "8", "15.2", "", "8", "9.22"},
		},
	},
	{
		file: "pdf.txt", style: "PDF copy: a few characters per line, numbers split, page-number lines",
		year:     2026,
		sections: []string{"做强特色产业", "完善基础设施", "改善民生福祉"},
		items:    []int{3, 2, 3},
		spot: []wantItem{
			{"1.2", "打响“龙泉贡米”品牌", "2026-07-01", "2026-09-30", ""},
			{"2.1", "实施通村公路提质改造20公里，全部完工", "2026-01-01", "2026-10-31", "20公里"},
			{"3.2", "完成乡卫生院综合楼改造", "2026-01-01", "2026-06-30", ""},
		},
		indicators: []ind{
			{"地区生产总值", "亿元", "9.6", "7.4", "", "9.6", "10.3"},
			{"一般公共预算收入", "万元", "1860", "5.2", "108.9", "1860", "1960"},
			{"固定资产投资", "亿元", "3.8", "10.6", "", "3.8", "4.2"},
			{"农村常住居民人均可支配收入", "元", "18250", "7.8", "", "18250", "19700"},
		},
	},
	{
		file: "traditional.txt", style: "traditional characters",
		year: 2026,
		sections: []string{
			"坚持项目为王，增强发展后劲", "推进乡村振兴，促进农民增收",
			"办好民生实事，增进群众福祉", "筑牢安全防线，维护社会稳定",
		},
		items: []int{2, 3, 3, 2},
		spot: []wantItem{
			{"1.2", "加快云溪工业园区基础设施建设", "2026-01-01", "2026-06-30", ""},
			{"2.1", "新建高标准农田2000亩，全部完工", "2026-01-01", "2026-05-31", "2000亩"},
			{"3.2", "完成云溪中心小学运动场改造", "2026-01-01", "2026-09-30", ""},
		},
		indicators: []ind{
			{"固定资产投资", "亿元", "5.2", "12", "", "5.2", "5.82"},
			{"工商税收", "万元", "3260", "6.5", "", "3260", "3470"},
			{"招商引资到位资金", "亿元", "2.8", "", "112.5", "2.8", "3"}, // the plan's 3亿元
			{"规模以上工业产值", "亿元", "7.6", "9.3", "", "7.6", "8.31"},
		},
	},
	{
		file: "yaodian.txt", style: "工作要点 under a 印发 notice: 总体要求/主要目标/重点任务 （一） 1./保障措施, signature",
		year: 2026,
		sections: []string{
			"实施工业倍增计划，推动工业经济提质增效", "坚持项目为王，扩大有效投资", "全面推进乡村振兴，建设宜居宜业和美乡村",
			"坚持以人民为中心，持续增进民生福祉", "统筹发展和安全，建设更高水平平安桃源", "全面从严治党，提升干部队伍战斗力",
		},
		items: []int{3, 3, 4, 4, 3, 2},
		spot: []wantItem{
			{"2.1", "抓好项目招引", "2026-01-01", "2026-12-31", "4个"}, // not 10亿元
			{"2.3", "强化要素保障", "2026-01-01", "2026-12-31", "300亩"},
			{"4.2", "发展社会事业", "2026-01-01", "2026-08-31", "180个"},
			{"5.3", "加强生态环境保护", "2026-01-01", "2026-10-31", ""},
		},
		indicators: []ind{ // 主要目标 only: no summary
			{"地区生产总值增速", "%", "", "", "", "", "7"},
			{"一般公共预算收入", "万元", "", "", "", "", "2600"},
			{"固定资产投资增速", "%", "", "", "", "", "10"},
			{"规上工业增加值增速", "%", "", "", "", "", "8"},
			{"社会消费品零售总额增速", "%", "", "", "", "", "6"},
			{"农村居民人均可支配收入增速", "%", "", "", "", "", "7.5"},
		},
	},
	{
		file: "qingshi.txt", style: "long 乡镇 2025年工作总结和2026年工作打算: 13 headline figures in mixed orders, 预期目标 inside the lead-in, theme line, 1. points of several sentences",
		year: 2026,
		sections: []string{
			"聚力工业强镇，推动产业提质升级", "聚力项目攻坚，扩大有效投资", "聚力乡村振兴，建设宜居宜业和美乡村",
			"聚力民生实事，增进群众福祉", "聚力基层治理，维护社会和谐稳定", "聚力党建引领，锻造过硬干部队伍",
		},
		items: []int{5, 5, 6, 6, 4, 3}, // 实施工业倍增计划。 is the section's theme, not an item; no closing words
		spot: []wantItem{
			{"1.1", "做大做强主导产业", "2026-01-01", "2026-12-31", "5家"},
			{"1.4", "优化企业服务", "2026-01-01", "2026-12-31", "500人"}, // 4月举办… is a step, not the task's span
			{"1.5", "盘活低效闲置资源", "2026-01-01", "2026-10-31", "300亩"},
			{"2.5", "提升城镇功能品质", "2026-01-01", "2026-11-30", "300个"}, // the point's only date
			{"3.1", "稳定粮食生产", "2026-01-01", "2026-05-31", "8.2万亩"},  // 汛期前
			{"3.2", "壮大特色产业", "2026-01-01", "2026-12-31", "2000亩"},  // not September
			{"3.6", "推动农文旅融合发展", "2026-01-01", "2026-09-30", "10家"}, // 国庆前
			{"4.4", "加强社会保障", "2026-01-01", "2026-02-16", "98%"},    // 春节前
			{"4.6", "用好民生资金", "2026-01-01", "2026-12-31", ""},       // 80%以上 of spending is no target
			{"6.3", "持之以恒正风肃纪", "2026-01-01", "2026-03-31", ""},     // 一季度完成
		},
		indicators: []ind{
			{"地区生产总值", "亿元", "36.8", "6.9", "", "36.8", "39.2"}, // 预期目标 增长6.5%左右
			{"一般公共预算收入", "亿元", "1.26", "5.3", "103.8", "1.26", "1.32"},
			{"工商税收", "亿元", "2.35", "7.6", "", "2.35", "2.53"},
			{"规上工业总产值", "亿元", "58.4", "11.2", "", "58.4", "64.9"},
			{"规上工业增加值增速", "%", "9.1", "", "", "9.1", "8.5"},
			{"固定资产投资", "亿元", "21.5", "8.6", "", "21.5", "23.2"},
			{"工业投资", "亿元", "12.3", "15.4", "", "12.3", "14.2"},
			{"社会消费品零售总额", "亿元", "9.7", "5.8", "", "9.7", "10.3"},
			{"招商引资到位资金", "亿元", "18.2", "", "121.3", "18.2", "20"},
			{"外贸出口额", "亿元", "1.6", "-3.4", "", "1.6", ""},
			{"城镇居民人均可支配收入", "元", "46820", "5.1", "", "46820", "49400"}, // 城镇和农村…分别…
			{"农村居民人均可支配收入", "元", "25360", "7.2", "", "25360", "27100"}, // 城乡…分别增长5.5%和7%
			{"村级集体经济经营性收入", "万元", "1860", "12.5", "", "1860", "2090"},
			{"粮食总产量", "万吨", "4.1", "", "", "4.1", ""},
			{"接待游客", "万人次", "86", "", "", "86", ""}, // the year's, not the festival's 12万人次
			{"旅游综合收入", "亿元", "4.3", "18.6", "", "4.3", "5.1"},
		},
		minChars: 6000,
	},
	{
		file: "qingyun.txt", style: "long 街道 政府工作报告: 2025年工作回顾 / 2026年工作安排, 主要预期目标 with 城乡…分别增长6%和7.5%, （一）/1. nesting, 各位代表 rhetoric",
		year: 2026,
		sections: []string{
			"坚持创新驱动，加快构建现代产业体系", "坚持项目为王，持续扩大有效投资", "坚持城市更新，提升城区功能品质",
			"坚持民生为本，增进人民群众福祉", "坚持共建共治，推进基层治理现代化", "坚持自我革命，加强政府自身建设",
		},
		items: []int{4, 4, 5, 5, 4, 3},
		spot: []wantItem{
			{"1.2", "壮大数字经济", "2026-01-01", "2026-09-30", "30家"},
			{"2.1", "加快重点项目建设", "2026-01-01", "2026-12-31", "25个"},
			{"3.2", "打造精品街巷", "2026-01-01", "2026-07-31", "20条"},
			{"3.5", "推进智慧城市建设", "2026-01-01", "2026-10-31", "300个"},
			{"4.3", "办好教育卫生事业", "2026-01-01", "2026-08-31", "540个"},
			{"5.3", "守牢安全稳定底线", "2026-01-01", "2026-05-31", ""},
			{"6.3", "改进作风", "2026-01-01", "2026-12-31", ""}, // 一般性支出压减5% is no target
		},
		indicators: []ind{
			{"地区生产总值", "亿元", "86.4", "6.2", "", "86.4", "91.6"},
			{"区级税收收入", "亿元", "5.38", "4.6", "102.3", "5.38", "5.65"},
			{"固定资产投资", "亿元", "28.6", "9.4", "", "28.6", "30.9"},
			{"社会消费品零售总额", "亿元", "42.7", "5.5", "", "42.7", "45.5"},
			{"规上服务业营业收入", "亿元", "31.2", "12.8", "", "31.2", "34.3"},
			{"实际利用外资", "", "2860", "3.1", "", "2860", ""},
			{"城镇居民人均可支配收入", "元", "58260", "5.3", "", "58260", "61800"}, // goal 6%
			{"农村居民人均可支配收入", "元", "31480", "6.8", "", "31480", "33800"}, // goal 7.5%
		},
		minChars: 6000,
	},
	{
		file: "taoxi.txt", style: "long web copy of a 工作计划 under its 印发 notice: breadcrumbs, indented paragraphs hard-wrapped at 32 even after 。, a second page repeating the title, traditional (四)(五) and half-width (二)",
		year: 2026,
		sections: []string{
			"坚持项目为王，扩大有效投资", "坚持产业强镇，推动经济提质增效", "坚持乡村振兴，建设和美乡村", "坚持民生优先，增进群众福祉",
			"坚持党建引领，提升治理效能", "坚持改革创新，激发发展活力", "坚持绿色发展，守护绿水青山",
		},
		items: []int{3, 5, 5, 5, 5, 3, 4},
		spot: []wantItem{
			{"1.2", "加快项目建设", "2026-01-01", "2026-12-31", "15个"},
			{"2.3", "培育壮大特色农业", "2026-01-01", "2026-10-31", "1500亩"},
			{"3.3", "巩固脱贫攻坚成果", "2026-01-01", "2026-12-31", ""}, // 60% of funds is no target
			{"3.4", "加强农业基础设施建设", "2026-01-01", "2026-05-31", "2000亩"},
			{"4.1", "促进就业创业", "2026-01-01", "2026-12-31", "800人次"}, // traditional, joined across the wraps
			{"4.4", "改善基础设施", "2026-01-01", "2026-09-30", "15公里"},
			{"5.2", "推进平安桃溪建设", "2026-01-01", "2026-12-31", "95%"},
			{"7.2", "推进水环境治理", "2026-01-01", "2026-06-30", "8公里"},
		},
		indicators: []ind{ // 主要目标 only: a plan without a summary
			{"地区生产总值增速", "%", "", "", "", "", "6.5"},
			{"一般公共预算收入增速", "%", "", "", "", "", "5"},
			{"固定资产投资增速", "%", "", "", "", "", "10"},
			{"农村居民人均可支配收入增速", "%", "", "", "", "", "7"},
			{"村级集体经济经营性收入", "万元", "", "", "", "", "20"},
		},
		minChars: 6000,
	},
}

func TestCorpus(t *testing.T) {
	for _, tt := range corpus {
		t.Run(tt.file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if n := len([]rune(string(src))); n < tt.minChars {
				t.Errorf("%d characters, want at least %d", n, tt.minChars)
			}
			doc, out := parseFile(t, tt.file)
			checkStructure(t, doc, tt.year, tt.sections, tt.items, tt.spot)
			var got []string
			for _, i := range doc.Indicators {
				got = append(got, ind{i.Name, i.Unit, i.Value, i.Growth, i.Share, i.LastYear, i.Target}.String())
			}
			var want []string
			for _, i := range tt.indicators {
				want = append(want, i.String())
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("indicators:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
			}
			checkDraft(t, doc, out)
		})
	}
}

// checkStructure compares a draft's year, sections, item counts and
// sample items with what the clerk expects.
func checkStructure(t *testing.T, doc *importdoc.Document, year int, sections []string, counts []int, spot []wantItem) {
	t.Helper()
	if doc.Year != year {
		t.Errorf("year = %d (%s), want %d", doc.Year, doc.YearFrom, year)
	}
	var titles []string
	var got []int
	items := map[string]importdoc.Item{}
	for i, s := range doc.Sections {
		if s.Code != fmt.Sprint(i+1) {
			t.Errorf("section %d has code %q", i+1, s.Code)
		}
		titles = append(titles, s.Title)
		got = append(got, len(s.Items))
		for j, it := range s.Items {
			if want := fmt.Sprintf("%s.%d", s.Code, j+1); it.Code != want {
				t.Errorf("item %q, want code %q", it.Code, want)
			}
			if n := len([]rune(it.Title)); n > importdoc.TitleMax || n == 0 {
				t.Errorf("%s: title %q has %d runes", it.Code, it.Title, n)
			}
			items[it.Code] = it
		}
	}
	if fmt.Sprint(titles) != fmt.Sprint(sections) {
		t.Errorf("sections:\n got %q\nwant %q", titles, sections)
	}
	if fmt.Sprint(got) != fmt.Sprint(counts) {
		t.Errorf("items per section = %v, want %v", got, counts)
	}
	for _, w := range spot {
		it, ok := items[w.code]
		if !ok {
			t.Errorf("item %s missing", w.code)
			continue
		}
		if g := (wantItem{it.Code, it.Title, it.Start.String(), it.Due.String(), it.Target}); g != w {
			t.Errorf("item %s:\n got %+v\nwant %+v\n(%s)", w.code, g, w, it.Description)
		}
	}
}

var (
	// reBadTitle: what a title that is not a usable task looks like: a
	// place or condition clause, numbering left in, a list cut short,
	// rhetoric, a bare label.
	reBadTitle = regexp.MustCompile(`^(?:在|对于|针对|围绕|按照)|^[（(]?\d{1,2}[）).、]|、$|、[^、]{0,6}…$|让我们|奋斗|之年|^[\p{Han}]{2,4}工作$|^.{0,3}$`)
	// reListEnd: the last two elements of a 、-list closing a title or
	// its quote.
	reListEnd = regexp.MustCompile(`([^、“”《》（）]+)、([^、“”《》（）…]+)[”》）]?…?$`)
)

// badTitle reports why a title is not a usable task title, "" if it is.
func badTitle(t string) string {
	switch {
	case reBadTitle.MatchString(t):
		return "place, condition, numbering, rhetoric or a bare label"
	case !balanced(t):
		return "a quote or bracket left open or unmatched"
	}
	if m := reListEnd.FindStringSubmatch(t); m != nil && 2*len([]rune(m[2])) < len([]rune(m[1])) {
		return "a list cut mid-way"
	}
	return ""
}

// balanced: every “ 《 （ ( has its closing mark, in order.
func balanced(t string) bool {
	pairs := map[rune]rune{'“': '”', '《': '》', '（': '）', '(': ')', '「': '」'}
	closing := map[rune]bool{'”': true, '》': true, '）': true, ')': true, '」': true}
	var stack []rune
	for _, r := range t {
		if c, ok := pairs[r]; ok {
			stack = append(stack, c)
		} else if closing[r] {
			if len(stack) == 0 || stack[len(stack)-1] != r {
				return false
			}
			stack = stack[:len(stack)-1]
		}
	}
	return len(stack) == 0
}

// TestBadTitle: the usable-title check flags what the draft used to write.
func TestBadTitle(t *testing.T) {
	for _, bad := range []string{
		"实行“一个项目、一名领导、一套班子、一”", // moulue 2.3 before the fix
		"实行“一个项目、一名领导、一套班子…",
		"推进商州、山阳、",
		"开展《桃溪镇志编纂",
		"推进项目建设）",
		"在御窑社区",
	} {
		if badTitle(bad) == "" {
			t.Errorf("badTitle(%q) = \"\", want a reason", bad)
		}
	}
	for _, good := range []string{"实行“一个项目”等工作机制", "推进商州、山阳、柞水务工人员服务站建设", "打响“青石葡萄”“青石云雾”品牌", "新建高标准农田3000亩"} {
		if why := badTitle(good); why != "" {
			t.Errorf("badTitle(%q) = %q, want usable", good, why)
		}
	}
}

// TestCorpusShares measures the bar over the whole corpus: at least
// 90% of the items have usable task titles, and at least 80% of the
// summaries' headline figures become indicators with the right value,
// unit, growth and share of target.
func TestCorpusShares(t *testing.T) {
	items, usable, figures, found := 0, 0, 0, 0
	for _, tt := range corpus {
		doc, _ := parseFile(t, tt.file)
		for _, s := range doc.Sections {
			for _, it := range s.Items {
				items++
				if why := badTitle(it.Title); why == "" {
					usable++
				} else {
					t.Logf("%s %s: title %q: %s", tt.file, it.Code, it.Title, why)
				}
			}
		}
		got := map[string]bool{}
		for _, i := range doc.Indicators {
			got[ind{i.Name, i.Unit, i.Value, i.Growth, i.Share, "", ""}.String()] = true
		}
		for _, w := range tt.indicators {
			if w.value == "" {
				continue // a target only, not a figure of the summary
			}
			figures++
			if got[ind{w.name, w.unit, w.value, w.growth, w.share, "", ""}.String()] {
				found++
			} else {
				t.Logf("%s: figure %s not found", tt.file, w)
			}
		}
	}
	t.Logf("usable titles %d/%d (%.0f%%), headline figures %d/%d (%.0f%%)",
		usable, items, 100*float64(usable)/float64(items), found, figures, 100*float64(found)/float64(figures))
	if usable*10 < items*9 {
		t.Errorf("usable titles %d of %d, want at least 90%%", usable, items)
	}
	if found*10 < figures*8 {
		t.Errorf("headline figures %d of %d found, want at least 80%%", found, figures)
	}
}

// TestSkippedParagraphs: the draft's list of skipped paragraphs is in line
// order, and a plan-only copy's covering notice and signature are named
// for what they are.
func TestSkippedParagraphs(t *testing.T) {
	for _, tt := range corpus {
		doc, _ := parseFile(t, tt.file)
		for i := 1; i < len(doc.Skipped); i++ {
			if doc.Skipped[i].Line < doc.Skipped[i-1].Line {
				t.Errorf("%s: skipped line %d listed after line %d", tt.file, doc.Skipped[i].Line, doc.Skipped[i-1].Line)
			}
		}
	}
	doc, _ := parseFile(t, "taoxi.txt")
	want := map[int]string{11: "主送单位", 12: "印发通知", 14: "落款（签署单位和日期）", 229: "附件", 240: "网页信息"}
	for _, s := range doc.Skipped {
		if w, ok := want[s.Line]; ok {
			if s.Why != w {
				t.Errorf("line %d %q skipped as %q, want %q", s.Line, s.Text, s.Why, w)
			}
			delete(want, s.Line)
		}
	}
	if len(want) > 0 {
		t.Errorf("not listed as skipped: %v", want)
	}
	doc, _ = parseFile(t, "qingshi.txt")
	for _, s := range doc.Skipped {
		if strings.HasPrefix(s.Text, "实施工业倍增计划") && s.Why != "部分的主题句（小标题）" {
			t.Errorf("theme line skipped as %q", s.Why)
		}
	}
}
