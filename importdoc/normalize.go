package importdoc

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tradPairs maps traditional characters to simplified ones, pairwise. Only
// characters whose simplified form is unambiguous in a work plan are listed
// (乾, 著, 餘 … are left alone: they are also simplified characters or have
// several readings), enough for headings, verbs, units and indicator names
// to read the same as in a simplified copy.
const tradPairs = "" +
	"與与專专業业東东絲丝兩两嚴严喪丧個个豐丰臨临為为麗丽舉举義义烏乌樂乐喬乔習习鄉乡書书買买亂乱爭争於于虧亏雲云亞亚產产畝亩親亲" +
	"億亿僅仅從从侖仑倉仓儀仪們们價价眾众優优會会傘伞偉伟傳传傷伤倫伦偽伪體体餘余傭佣僉佥俠侠侶侣儘尽償偿儲储兒儿兌兑黨党蘭兰關关興兴" +
	"養养獸兽內内岡冈冊册寫写軍军農农馮冯衝冲決决況况凍冻淨净準准涼凉減减湊凑凜凛幾几鳳凤憑凭凱凯擊击鑿凿芻刍劃划劉刘則则剛刚創创" +
	"刪删別别剎刹劑剂劇剧勸劝辦办務务動动勵励勁劲勞劳勢势勳勋匯汇區区醫医華华協协單单賣卖盧卢衛卫卻却廠厂廳厅曆历厲厉壓压厭厌" +
	"縣县參参雙双發发變变敘叙疊叠葉叶號号嘆叹嚇吓後后嗎吗啟启吳吴員员聽听啞哑響响喚唤喪丧團团園园圍围圖图國国圓圆聖圣場场壞坏塊块" +
	"堅坚壇坛壩坝墳坟墜坠壟垄壘垒墾垦執执報报場场塗涂壺壶處处備备複复夠够頭头誇夸夾夹奪夺奮奋獎奖婦妇媽妈嫵妩嬌娇孫孙學学寧宁" +
	"寶宝實实審审憲宪宮宫寬宽賓宾寢寝對对尋寻導导將将爾尔塵尘層层屬属歲岁島岛嶺岭巖岩幣币帥帅師师帳帐帶带幫帮幹干廣广莊庄慶庆" +
	"廬庐廢废開开異异棄弃張张彌弥彎弯歸归當当錄录徹彻徵征衝冲憶忆懷怀態态憐怜總总戀恋懇恳惡恶惱恼惲恽悅悦懸悬驚惊慘惨慣惯慚惭" +
	"憂忧戰战戲戏戶户掃扫撲扑執执擴扩擁拥擬拟攏拢撥拨擇择掛挂擋挡擔担據据擠挤揮挥損损撿捡換换搗捣掄抡採采搶抢護护報报擔担" +
	"擬拟攔拦攪搅攜携攝摄數数斂敛斷断於于時时曠旷晝昼顯显晉晋曬晒書书會会條条來来楊杨極极構构標标樣样機机權权檢检歐欧歡欢" +
	"殘残殺杀毀毁氣气漢汉湯汤溝沟沒没溫温滅灭滬沪濟济滯滞滲渗漁渔潔洁澤泽濃浓灣湾災灾燈灯爐炉燦灿煉炼爛烂煙烟熱热營营燒烧愛爱" +
	"爺爷牆墙狀状獨独獲获猶犹獄狱現现環环璽玺電电畫画暢畅畢毕療疗瘧疟盡尽監监盤盘盧卢確确礎础禮礼禍祸離离種种稱称積积穩稳窮穷" +
	"竊窃競竞筆笔築筑簽签範范節节籌筹類类糧粮緊紧紅红約约級级紀纪純纯紙纸納纳紛纷組组細细終终經经結结給给絕绝統统維维綜综綠绿" +
	"網网線线練练緩缓編编縮缩總总績绩織织繳缴續续羅罗罰罚聯联職职聲声腦脑膽胆脫脱腫肿臟脏與与艱艰艦舰蘇苏範范荊荆莖茎薦荐藥药" +
	"蟲虫衛卫補补裝装襲袭見见規规視视覽览覺觉觀观計计訂订認认討讨讓让訓训議议記记講讲許许論论設设訪访證证評评識识詞词試试詩诗" +
	"誠诚話话誕诞該该詳详語语誤误說说請请諸诸課课調调談谈謀谋謝谢譜谱護护讀读變变貝贝負负財财貢贡貨货販贩貧贫責责貴贵費费貿贸" +
	"資资賞赏賠赔賬账質质購购貸贷趕赶趨趋躍跃車车軌轨軟软較较載载輔辅輕轻輛辆輸输轉转辦办農农這这進进遠远違违連连遲迟適适選选" +
	"遺遗遷迁還还邊边鄰邻醫医釋释裡里鐵铁銷销鋼钢錢钱錯错鍵键鎮镇長长門门閉闭問问間间閱阅闊阔關关陽阳陰阴陳陈陸陆隊队際际隨随險险" +
	"隱隐雖虽雜杂難难雞鸡靈灵頁页項项順顺須须領领頻频題题額额顏颜願愿類类顧顾風风飛飞飯饭飲饮館馆馬马駐驻驗验騰腾髮发鬥斗魚鱼" +
	"鳥鸟麥麦黃黄齊齐齒齿龍龙龜龟糾纠紛纷稅税億亿萬万縣县鎮镇區区鄉乡戶户畝亩噸吨項项萬万預预貫贯衆众劃划辦办揚扬齡龄礙碍" +
	"蔬蔬廁厕氫氢寬宽暫暂賬账軸轴驅驱聯联訊讯傑杰蘋苹憑凭繁繁壯壮嶽岳檔档漲涨蓋盖傾倾穀谷幹干殼壳靜静衆众瀏浏蝦虾魯鲁蠶蚕" +
	"強强運运禦御窯窑紮扎幫帮臺台颱台擴扩權权擺摆攤摊懲惩築筑範范屆届園园葷荤豎竖龐庞鄭郑鄧邓謂谓韓韩鏈链闆板涇泾"

var trad = func() map[rune]rune {
	m := map[rune]rune{}
	rs := []rune(tradPairs)
	for i := 0; i+1 < len(rs); i += 2 {
		if rs[i] != rs[i+1] {
			m[rs[i]] = rs[i+1]
		}
	}
	return m
}()

// simplify reads a traditional-character copy as the simplified text the
// phrase tables are written in.
func simplify(r rune) rune {
	if s, ok := trad[r]; ok {
		return s
	}
	return r
}

var (
	// reChrome: the lines a web page wraps an article in (breadcrumbs,
	// publication data, print and font links, page links of a split
	// article): none of them is text of the document.
	reChrome = lazyCompile(`^(?:首页\s*[>＞›»]|当前位置|您的位置|发布时间|发布日期|来源[：:]|浏览次数|点击数|阅读次数|作者[：:]|【\s*字[体号]|字号[：:]|【打印|【关闭|打印本页|关闭窗口|共\s*\d{1,3}\s*页[：:]|分享到|扫一扫|上一篇|下一篇|责任编辑|相关链接)`)
	// reChunk: the page links of an article split over several pages
	// (1、 2、 3、 下一页), and the lone page marker (2、) heading each part.
	reChunk = lazyCompile(`^(?:(?:上一页|首页)\s*)?(?:\d{1,2}\s*、\s*)+(?:(?:下一页|尾页)\s*)*$|^(?:上一页|下一页|尾页)(?:\s|$)`)
)

// isChrome reports lines of web-page furniture and page links.
func isChrome(s string) bool {
	if reChrome.MatchString(s) {
		return true
	}
	// 2、 alone is a chunk marker; 2、 followed by text is numbering
	return reChunk.MatchString(s)
}

// halfWidth maps ASCII punctuation typed in place of the Chinese marks.
var halfWidth = map[rune]rune{',': '，', ';': '；', ':': '：', '(': '（', ')': '）', '!': '！', '?': '？'}

// fullPunct turns the ASCII punctuation of a line typed on an English
// keyboard into the Chinese marks the rest of the reader expects, leaving
// numbers alone: 1,200 and 1.8 stay, 09:30 stays, and 设施农业. becomes 设施农业。.
// Straight quotes alternate into “ ”.
func fullPunct(s string) string {
	if !strings.ContainsAny(s, ",;:()!?.\"") {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	open := true
	for i, r := range rs {
		prev, next := rune(0), rune(0)
		if i > 0 {
			prev = rs[i-1]
		}
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		digits := unicode.IsDigit(prev) && unicode.IsDigit(next)
		switch {
		case r == '"':
			if open {
				b.WriteRune('“')
			} else {
				b.WriteRune('”')
			}
			open = !open
		case r == '.' && !digits && (unicode.Is(unicode.Han, prev) || strings.ContainsRune("”）)%", prev)):
			b.WriteRune('。')
		case halfWidth[r] != 0 && !digits && (r != ':' || !unicode.IsDigit(prev)):
			b.WriteRune(halfWidth[r])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// punctOnly reports a line holding nothing but punctuation: the tail of a
// hard-wrapped sentence (a lone 。 or ”), which belongs to the line before.
func punctOnly(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && utf8.RuneCountInString(s) <= 3 && !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsDigit(r)
	})
}
