package intake

import (
	"testing"
	"unicode/utf8"
)

// The owners of the example plan (config.example.yaml), as the bot passes
// them to Read.
var (
	ownedMa   = []string{"2.1", "2.2", "2.3", "2.4", "2.5", "2.6"}
	ownedXu   = []string{"1.1", "1.2", "1.5", "3.1", "3.2", "3.3", "3.4", "3.5", "4.3"}
	ownedZhao = []string{"1.1", "1.3", "1.4", "2.4", "3.3", "3.6", "4.2", "4.5"}
	ownedQian = []string{"1.2", "1.3", "1.4", "2.2", "3.1", "3.4", "4.3", "4.5"}
	ownedSun  = []string{"1.3", "1.4", "2.6", "3.3", "3.6", "4.5"}
	ownedLv   = []string{"4.1", "4.2"}
	ownedHan  = []string{"4.4", "4.5"}
)

func item(code string) []string { return []string{code} }

// Letters typed for digits: O/o for 0, l/I for 1, only inside numbers.
func TestReadLettersInNumbers(t *testing.T) {
	runParseCases(t, []parseCase{
		{text: "3.6 进度6O%", owned: ownedSun, kind: IntentItemReport, items: item("3.6"), percent: percentOf(60)},
		{text: "3.4 进度6o%", kind: IntentItemReport, items: item("3.4"), percent: percentOf(60)},
		{text: "2.3 1O0%", kind: IntentItemReport, items: item("2.3"), percent: percentOf(100)},
		{text: "3.4 累计投放蟹苗 2l万只", kind: IntentItemReport, items: item("3.4"), amount: "21万只", note: "累计投放蟹苗"},
		{text: "3.4 l5万只", kind: IntentItemReport, items: item("3.4"), amount: "15万只"},
		{text: "4.1 检查企业I2家", kind: IntentItemReport, items: item("4.1"), amount: "12家", note: "检查企业"},
		// Letters in words stay letters.
		{text: "2.3 OK 60%", kind: IntentItemReport, items: item("2.3"), percent: percentOf(60), note: "OK"},
		{text: "2.3 60% 已与XX酒店签约", kind: IntentItemReport, items: item("2.3"), percent: percentOf(60), note: "已与XX酒店签约"},
		{text: "2.3 60% 购买500ml样品", kind: IntentItemReport, items: item("2.3"), percent: percentOf(60), note: "购买500ml样品"},
	})
}

// Item codes the ways phones and people write them.
func TestReadCodeVariants(t *testing.T) {
	runParseCases(t, []parseCase{
		{text: "2。3 进度65%", kind: IntentItemReport, items: item("2.3"), percent: percentOf(65)},
		{text: "2．3 进度70%", kind: IntentItemReport, items: item("2.3"), percent: percentOf(70)},
		{text: "2-3 完成", kind: IntentItemReport, items: item("2.3"), done: true},
		{text: "2—3 完成", kind: IntentItemReport, items: item("2.3"), done: true},
		{text: "2－3 完成", kind: IntentItemReport, items: item("2.3"), done: true},
		{text: "3-1 直播带货8场", kind: IntentItemReport, items: item("3.1"), amount: "8场", note: "直播带货"},
		{text: "3-1 进度多少？", kind: IntentItemReport, items: item("3.1"), note: "进度多少？"},
		{text: "二.5 进度40%", kind: IntentItemReport, items: item("2.5"), percent: percentOf(40)},
		{text: "四.1 检查企业40家", kind: IntentItemReport, items: item("4.1"), amount: "40家", note: "检查企业"},
		{text: "二.3 已开工", kind: IntentItemReport, items: item("2.3"), note: "已开工"},
		{text: "第2.3项已开工建设", kind: IntentItemReport, items: item("2.3"), note: "已开工建设"},
		{text: "2.3项 进度75%", kind: IntentItemReport, items: item("2.3"), percent: percentOf(75)},
		{text: "2.3项目手续已全部办完", kind: IntentItemReport, items: item("2.3"), note: "项目手续已全部办完"},
		{text: "(3.2) 已完成", kind: IntentItemReport, items: item("3.2"), done: true},
		{text: "（2.6）已签约", kind: IntentItemReport, items: item("2.6"), note: "已签约"},
		{text: "【3.4】蟹苗投放18万只", kind: IntentItemReport, items: item("3.4"), amount: "18万只", note: "蟹苗投放"},
		{text: "已签约 2.6", kind: IntentItemReport, items: item("2.6"), note: "已签约"},
		{text: "进度40% 1.5", kind: IntentItemReport, items: item("1.5"), percent: percentOf(40)},
		// A dash inside the message is a range, not a code; a code the
		// plan does not have is not made up.
		{text: "2.3 计划2-3月开工", kind: IntentItemReport, items: item("2.3"), note: "计划2-3月开工"},
		{text: "9-9 完成", owned: ownedMa, kind: IntentAmbiguous, items: ownedMa, done: true, note: "9-9"},
	})
}

// 一半 is 50%; 过半 and its kin are at least that, and keep their words.
func TestReadHalves(t *testing.T) {
	runParseCases(t, []parseCase{
		{text: "2.6 一半", kind: IntentItemReport, items: item("2.6"), percent: percentOf(50)},
		{text: "1.5 完成一半", kind: IntentItemReport, items: item("1.5"), percent: percentOf(50)},
		{text: "2.3 完成了一半", kind: IntentItemReport, items: item("2.3"), percent: percentOf(50)},
		{text: "3.6 过半", kind: IntentItemReport, items: item("3.6"), percent: percentOf(50), note: "过半"},
		{text: "3.3 整了一半多了", kind: IntentItemReport, items: item("3.3"), percent: percentOf(50), note: "整了一半多了"},
		{text: "3.6 移栽已过半", kind: IntentItemReport, items: item("3.6"), percent: percentOf(50), note: "移栽已过半"},
		{text: "4.4 一半多", kind: IntentItemReport, items: item("4.4"), percent: percentOf(50), note: "一半多"},
		{text: "3.1 完成大半", kind: IntentItemReport, items: item("3.1"), percent: percentOf(50), note: "完成大半"},
		{text: "4.3 超过一半了", kind: IntentItemReport, items: item("4.3"), percent: percentOf(50), note: "超过一半了"},
		{text: "2-3 进度过半", kind: IntentItemReport, items: item("2.3"), percent: percentOf(50), note: "进度过半"},
		{text: "2.6 完成六成", kind: IntentItemReport, items: item("2.6"), percent: percentOf(60)},
		{text: "3.3 进度九成", kind: IntentItemReport, items: item("3.3"), percent: percentOf(90)},
		{text: "3.3 六七成了", kind: IntentItemReport, items: item("3.3"), note: "六七成了", problem: "请问是六成还是七成？"},
		{text: "2.3 大半年没动静", kind: IntentItemReport, items: item("2.3"), note: "大半年没动静"},
		{text: "合作社工作完成一半", owned: ownedXu, kind: IntentAmbiguous, items: []string{"1.1", "1.5", "1.3"}, percent: percentOf(50), note: "合作社工作"},
	})
}

// Done words, and the words that are not done yet.
func TestReadDoneWords(t *testing.T) {
	runParseCases(t, []parseCase{
		{text: "2.5 弄好了", kind: IntentItemReport, items: item("2.5"), done: true},
		{text: "2.3 办完了", kind: IntentItemReport, items: item("2.3"), done: true},
		{text: "1.5 搞完了", kind: IntentItemReport, items: item("1.5"), done: true},
		{text: "3.3 整完了", kind: IntentItemReport, items: item("3.3"), done: true},
		{text: "3.3 弄好咯", kind: IntentItemReport, items: item("3.3"), done: true},
		{text: "4.3 搞定了", kind: IntentItemReport, items: item("4.3"), done: true},
		{text: "2.4 完工", kind: IntentItemReport, items: item("2.4"), done: true},
		{text: "2.3 竣工", kind: IntentItemReport, items: item("2.3"), done: true},
		{text: "2.3 完成✅", kind: IntentItemReport, items: item("2.3"), done: true},
		{text: "3.2 完成。。", kind: IntentItemReport, items: item("3.2"), done: true},
		{text: "2.3 已完成 手续已全部办完", kind: IntentItemReport, items: item("2.3"), done: true, note: "手续已全部办完"},
		{text: "3.6 已全部完成，烟叶已交售", kind: IntentItemReport, items: item("3.6"), done: true, note: "烟叶已交售"},
		// After the item's own title words: done; after another subject: a note.
		{text: "扩充直播队伍已完成", owned: ownedXu, kind: IntentItemReport, items: item("3.2"), done: true},
		{text: "2.3 手续已全部办完", kind: IntentItemReport, items: item("2.3"), note: "手续已全部办完"},
		// Not done yet, and no figure: a note.
		{text: "2.3 基本完成", kind: IntentItemReport, items: item("2.3"), note: "基本完成"},
		{text: "4.2 快完成了", kind: IntentItemReport, items: item("4.2"), note: "快完成了"},
		{text: "3.3 接近尾声", kind: IntentItemReport, items: item("3.3"), note: "接近尾声"},
		{text: "3.5 已进入收尾阶段", kind: IntentItemReport, items: item("3.5"), note: "已进入收尾阶段"},
		{text: "2.3 收尾阶段", kind: IntentItemReport, items: item("2.3"), note: "收尾阶段"},
	})
}

// A particle left over is no note.
func TestReadParticles(t *testing.T) {
	runParseCases(t, []parseCase{
		{text: "1.5 60%了", kind: IntentItemReport, items: item("1.5"), percent: percentOf(60)},
		{text: "1.5 60%啦！", kind: IntentItemReport, items: item("1.5"), percent: percentOf(60)},
		{text: "2.3 进度60%，，", kind: IntentItemReport, items: item("2.3"), percent: percentOf(60)},
		{text: "2.6，进度40%。", kind: IntentItemReport, items: item("2.6"), percent: percentOf(40)},
	})
}

// 第三场: the count reached, not done; the words stay in the note.
func TestReadOrdinals(t *testing.T) {
	runParseCases(t, []parseCase{
		{text: "第三场培训已完成", owned: ownedXu, kind: IntentItemReport, items: item("1.1"), amount: "3场", note: "第三场培训已完成"},
		{text: "合作社培训完成第2场", owned: ownedXu, kind: IntentItemReport, items: item("1.1"), amount: "2场", note: "合作社培训完成第2场"},
		{text: "第二场合作社培训搞完了", owned: ownedZhao, kind: IntentItemReport, items: item("1.1"), amount: "2场", note: "第二场合作社培训搞完了"},
		{text: "第10场直播已完成", owned: ownedQian, kind: IntentItemReport, items: item("3.1"), amount: "10场", note: "第10场直播已完成"},
		{text: "2.2 第一场推介会已办完", kind: IntentItemReport, items: item("2.2"), amount: "1场", note: "第一场推介会已办完"},
	})
}

// What was added (新增, 又, 再 …) is an increment; 累计, 共, 目前, 达到 and
// a bare figure are the running total.
func TestReadIncrements(t *testing.T) {
	runParseCases(t, []parseCase{
		{text: "1.3 又新增10户", kind: IntentItemReport, items: item("1.3"), amount: "10户", incr: true},
		{text: "4.1 本月又检查企业12家", kind: IntentItemReport, items: item("4.1"), amount: "12家", incr: true, note: "本月又检查企业"},
		{text: "又招了3人", owned: []string{"3.2"}, kind: IntentItemReport, items: item("3.2"), amount: "3人", incr: true},
		{text: "直播带货又开展了3场", owned: ownedXu, kind: IntentItemReport, items: item("3.1"), amount: "3场", incr: true},
		{text: "1.3 东村新增入股30户", kind: IntentItemReport, items: item("1.3"), amount: "30户", incr: true, note: "东村"},
		{text: "3.2 本周新增主播3人", kind: IntentItemReport, items: item("3.2"), amount: "3人", incr: true},
		{text: "3.2 又增加了2人", kind: IntentItemReport, items: item("3.2"), amount: "2人", incr: true},
		{text: "3.3 再增加香芋20亩", kind: IntentItemReport, items: item("3.3"), amount: "20亩", incr: true},
		{text: "3.4 又投放5万只", kind: IntentItemReport, items: item("3.4"), amount: "5万只", incr: true},
		{text: "3.4 西河村又投放蟹苗5万只", kind: IntentItemReport, items: item("3.4"), amount: "5万只", incr: true, note: "西河村又投放蟹苗"},
		{text: "1.4 又增收2万元", kind: IntentItemReport, items: item("1.4"), amount: "2万元", incr: true},
		{text: "4.2 又排查餐饮业户5家", kind: IntentItemReport, items: item("4.2"), amount: "5家", incr: true, note: "又排查餐饮业户"},
		{text: "直播队伍新增5人", owned: ownedXu, kind: IntentItemReport, items: item("3.2"), amount: "5人", incr: true},
		// Running totals.
		{text: "4.1 累计检查企业52家", kind: IntentItemReport, items: item("4.1"), amount: "52家", note: "累计检查企业"},
		{text: "3.1 直播带货共12场", kind: IntentItemReport, items: item("3.1"), amount: "12场", note: "直播带货"},
		{text: "3.2 直播队伍目前20人", kind: IntentItemReport, items: item("3.2"), amount: "20人", note: "直播队伍"},
		{text: "3.1 达到18场", kind: IntentItemReport, items: item("3.1"), amount: "18场"},
		{text: "3.2 增加到20人", kind: IntentItemReport, items: item("3.2"), amount: "20人", note: "增加到"},
		{text: "4.1 本周新增5家，累计40家", kind: IntentItemReport, items: item("4.1"), amount: "40家", note: "本周新增5家"},
		{text: "3.4 不再投放10万只", kind: IntentItemReport, items: item("3.4"), amount: "10万只", note: "不再投放"},
	})
}

// A bare number after a code asks what it is.
func TestReadBareNumbers(t *testing.T) {
	runParseCases(t, []parseCase{
		{text: "2.1 30", kind: IntentItemReport, items: item("2.1"), note: "30", problem: "30 是进度还是数量？请写 30% 或 30人次"},
		{text: "2.3 60", kind: IntentItemReport, items: item("2.3"), note: "60", problem: "60 是进度吗？请写 60%"},
		{text: "2.1 150", kind: IntentItemReport, items: item("2.1"), note: "150", problem: "150 是数量吗？请写 150人次"},
		{text: "2.4 60 %", kind: IntentItemReport, items: item("2.4"), percent: percentOf(60)},
		{text: "2.4 60　％", kind: IntentItemReport, items: item("2.4"), percent: percentOf(60)},
	})
}

// Which item the words name: generic work words and a single shared
// character decide nothing; distinctive title words do.
func TestReadTitleWords(t *testing.T) {
	runParseCases(t, []parseCase{
		{text: "在建项目推进顺利", owned: ownedMa, kind: IntentItemReport, items: item("2.4"), note: "在建项目推进顺利"},
		{text: "新能源项目已签约", owned: ownedMa, kind: IntentItemReport, items: item("2.6"), note: "新能源项目已签约"},
		{text: "外出招商8人次", owned: ownedMa, kind: IntentItemReport, items: item("2.1"), amount: "8人次", note: "外出招商"},
		{text: "XX项目签约了", owned: ownedMa, kind: IntentAmbiguous, items: []string{"2.3", "2.5"}, note: "XX项目签约了"},
		{text: "签约落地了", owned: ownedMa, kind: IntentAmbiguous, items: []string{"2.5", "2.6"}, note: "签约落地了"},
		{text: "工作正在推进", owned: ownedXu, kind: IntentAmbiguous, items: ownedXu[:MaxCandidates], note: "工作正在推进"},
		{text: "资料已收集", owned: ownedXu, kind: IntentAmbiguous, items: ownedXu[:MaxCandidates], note: "资料已收集"},
		{text: "进度50% 资料已收集", owned: ownedXu, kind: IntentAmbiguous, items: ownedXu[:MaxCandidates], percent: percentOf(50), note: "资料已收集"},
		{text: "进度50% 已落实", owned: ownedXu, kind: IntentAmbiguous, items: ownedXu[:MaxCandidates], percent: percentOf(50), note: "已落实"},
		{text: "进度50% 正在办理", owned: ownedXu, kind: IntentAmbiguous, items: ownedXu[:MaxCandidates], percent: percentOf(50), note: "正在办理"},
		{text: "进度50% 正在处理", owned: ownedXu, kind: IntentAmbiguous, items: ownedXu[:MaxCandidates], percent: percentOf(50), note: "正在处理"},
		{text: "按计划推进中", owned: ownedZhao, kind: IntentAmbiguous, items: ownedZhao[:MaxCandidates], note: "按计划推进中"},
		{text: "项目进展顺利", owned: ownedZhao, kind: IntentAmbiguous, items: ownedZhao[:MaxCandidates], note: "项目进展顺利"},
		{text: "项目进展顺利", owned: []string{"4.4"}, kind: IntentItemReport, items: item("4.4"), note: "项目进展顺利"},
		{text: "项目进展顺利", kind: IntentUnknown, note: "项目进展顺利"},
		{text: "养殖场污染排查整治12个", owned: ownedXu, kind: IntentItemReport, items: item("4.3"), amount: "12个"},
		{text: "直播队伍新增5人", owned: ownedXu, kind: IntentItemReport, items: item("3.2"), amount: "5人", incr: true},
		{text: "黄烟移栽完成600亩", owned: ownedZhao, kind: IntentItemReport, items: item("3.6"), amount: "600亩", note: "黄烟移栽"},
		{text: "入股农户新增15户", owned: ownedZhao, kind: IntentItemReport, items: item("1.3"), amount: "15户", incr: true, note: "入股农户"},
		{text: "燃气安全排查3家", owned: ownedZhao, kind: IntentItemReport, items: item("4.2"), amount: "3家"},
		{text: "蟹苗投放10万只", owned: ownedQian, kind: IntentItemReport, items: item("3.4"), amount: "10万只", note: "蟹苗投放"},
		{text: "签订购销协议2份", owned: ownedQian, kind: IntentItemReport, items: item("1.2"), amount: "2份", note: "签订购销协议"},
		{text: "隐患排查检查企业20家", owned: ownedLv, kind: IntentItemReport, items: item("4.1"), amount: "20家"},
		{text: "餐饮燃气排查8家", owned: ownedLv, kind: IntentItemReport, items: item("4.2"), amount: "8家"},
		{text: "排查12家", owned: ownedLv, kind: IntentAmbiguous, items: []string{"4.1", "4.2"}, amount: "12家", note: "排查"},
		{text: "调处矛盾纠纷3起", owned: ownedHan, kind: IntentItemReport, items: item("4.5"), note: "调处矛盾纠纷3起"},
		{text: "水产品深加工正在对接企业", owned: ownedXu, kind: IntentItemReport, items: item("3.5"), note: "水产品深加工正在对接企业"},
		{text: "直播带货4场", owned: ownedQian, kind: IntentItemReport, items: item("3.1"), amount: "4场"},
		{text: "蟹苗投放完成5万只", owned: ownedSun, kind: IntentItemReport, items: item("3.4"), amount: "5万只", note: "蟹苗投放"},
	})
}

// Figures that cannot be the item's ask rather than guess.
func TestReadFiguresThatAsk(t *testing.T) {
	runParseCases(t, []parseCase{
		{text: "3.6 黄烟移栽120万株", kind: IntentItemReport, items: item("3.6"), note: "黄烟移栽120万株", problem: "3.6 的目标以亩计，请问折合多少亩？"},
		{text: "4.2 排查九小场所15处", kind: IntentItemReport, items: item("4.2"), note: "排查九小场所15处", problem: "4.2 的目标以家计，请问折合多少家？"},
		{text: "4.3 整治养殖场20家", kind: IntentItemReport, items: item("4.3"), note: "整治养殖场20家", problem: "4.3 的目标以个计，请问折合多少个？"},
		// No target: the figure is only words.
		{text: "4.5 调处矛盾纠纷5起", kind: IntentItemReport, items: item("4.5"), note: "调处矛盾纠纷5起"},
		{text: "4.5 调处矛盾纠纷5件", kind: IntentItemReport, items: item("4.5"), note: "调处矛盾纠纷5件"},
		// A count that restates the title is not progress.
		{text: "2.4 两个在建项目都在推进", kind: IntentItemReport, items: item("2.4"), note: "两个在建项目都在推进"},
		{text: "2.4 2个", kind: IntentItemReport, items: item("2.4"), amount: "2个"},
		// Two figures where one was meant.
		{text: "2.1 外出招商12人次，接待客商8人次", kind: IntentItemReport, items: item("2.1"), note: "外出招商12人次，接待客商8人次", problem: "请问累计是多少？"},
		{text: "2.1 接待客商30人次 外出招商5次", kind: IntentItemReport, items: item("2.1"), note: "接待客商 外出招商5次", problem: "5次 也是人次吗？"},
		{text: "3.4 投放蟹苗15万只 已完成60%", kind: IntentItemReport, items: item("3.4"), note: "投放蟹苗", problem: "15万只 是目标的 50%，与进度 60% 不一致，请问以哪个为准？"},
		{text: "3.4 投放蟹苗15万只 已完成50%", kind: IntentItemReport, items: item("3.4"), amount: "15万只", percent: percentOf(50), note: "投放蟹苗"},
		// One figure fits, the other is words.
		{text: "4.1 检查企业35家，发现隐患20条", kind: IntentItemReport, items: item("4.1"), amount: "35家", note: "检查企业 发现隐患20条"},
	})
}

// The quick first-rune filters must know every word they filter for.
func TestReadFirstRunes(t *testing.T) {
	for _, w := range doneWords {
		if r, _ := utf8.DecodeRuneInString(w); !doneFirst(r) {
			t.Errorf("doneFirst misses %q", w)
		}
	}
	for _, h := range halfWords {
		if r, _ := utf8.DecodeRuneInString(h.w); !halfFirst(r) {
			t.Errorf("halfFirst misses %q", h.w)
		}
	}
}

// Ways of writing figures and days found in cadres' messages.
func TestReadFigureForms(t *testing.T) {
	runParseCases(t, []parseCase{
		{text: "3.3 特色作物种植 累计 175 亩", kind: IntentItemReport, items: item("3.3"), amount: "175亩", note: "特色作物种植"},
		{text: "1.4 村集体增收7万5", kind: IntentItemReport, items: item("1.4"), amount: "7.5万元", note: "村集体增收"},
		{text: "2.5 投资额3000", kind: IntentItemReport, items: item("2.5"), note: "投资额3000", problem: "3000 是数量吗？请写 3000万元"},
		{text: "3.6 黄烟移栽累计680亩✅", kind: IntentItemReport, items: item("3.6"), amount: "680亩", note: "黄烟移栽 ✅"},
		{text: "截至3月10日，3.1直播带货累计16场", kind: IntentItemReport, items: item("3.1"), amount: "16场", date: "2027-03-10", note: "直播带货"},
		{text: "3.1 截至6月30日前完成", kind: IntentItemReport, items: item("3.1"), note: "截至6月30日前完成"},
		{text: "3.1   本月 又 直播 5场", kind: IntentItemReport, items: item("3.1"), amount: "5场", incr: true, note: "本月 又 直播"},
		{text: "4.4 五一期间安保维稳圆满完成", kind: IntentItemReport, items: item("4.4"), note: "五一期间安保维稳圆满完成", problem: "整项都完成了吗？"},
	})
}
