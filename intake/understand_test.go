package intake

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Understand tells apart what the bot must never store (questions,
// acknowledgements, chatter), corrections and several items; each input is
// typed the way cadres type it.
func TestUnderstand(t *testing.T) {
	plan := loadParsePlan(t)
	ma := []string{"2.1", "2.2", "2.3", "2.4", "2.5", "2.6"}
	cases := []struct {
		text string
		want string // kind[/topic][ items][ +correction]
	}{
		{"好的", "ack"},
		{"收到！", "ack"},
		{"好的，马上落实", "ack"},
		{"按要求落实", "ack"},
		{"明白，确保安全生产", "ack"},
		{"收到，谢谢", "ack"},
		{"👍", "ack"},
		{"OK", "ack"},
		{"在吗", "ack/greeting"},
		{"您好", "ack/greeting"},
		{"哈哈哈", "unknown/chatter"},
		{"2.3现在什么进度？", "question/item 2.3"},
		{"2.3进度多少了", "question/item 2.3"},
		{"2.3是60%吗？", "question/item 2.3"},
		{"2.5 进度60%？", "question/item 2.5"},
		{"2.6 签了没", "question/item 2.6"},
		{"查一下2.4", "question/item 2.4"},
		{"4.4 这个怎么报？", "question/howto 4.4"},
		{"照片怎么传", "question/howto"},
		{"报错了怎么改？", "question/howto"},
		{"我的事项", "question/mine"},
		{"我有哪些任务", "question/mine"},
		{"哪些逾期了", "question/overdue"},
		{"哪些有风险", "question/atrisk"},
		{"谁还没汇报？", "question/unreported"},
		{"固投完成多少了", "question/indicator"},
		{"？？", "unknown"},
		{"2.3 没什么问题，进度60%", "item_report 2.3"},
		{"更正：2.3 进度应为50%，不是60%", "item_report 2.3 +correction"},
		{"改成45%", "item_report +correction"},
		{"刚才那条报错了", "item_report +correction"},
		{"2.3 改为45%", "item_report 2.3 +correction"},
		{"2.3、2.5都完成了", "item_report 2.3,2.5"},
		{"2.3 60% 2.5 40%", "item_report 2.3,2.5"},
		{"2.3和2.6都已开工", "item_report 2.3,2.6"},
		{"2.3 进度60% 已签约", "item_report 2.3"},
		{"2.3 投资3.2亿元", "item_report 2.3"},
	}
	for _, c := range cases {
		in := Understand(c.text, Context{Plan: plan, Owned: ma, Today: parseToday})
		got := string(in.Kind)
		if in.Topic != "" && in.Topic != TopicItem || in.Kind == IntentQuestion && in.Topic == TopicItem {
			got += "/" + string(in.Topic)
		}
		if len(in.Items) > 0 && in.Kind != IntentAmbiguous {
			got += " " + strings.Join(in.Items, ",")
		}
		if in.Correction {
			got += " +correction"
		}
		want := c.want
		if strings.HasPrefix(want, "question/indicator") {
			want = "question/indicator"
		}
		if got != want {
			t.Errorf("Understand(%q) = %s, want %s", c.text, got, want)
		}
	}
}

// The parts of a message on several items carry each item's own figures.
func TestUnderstandSeveral(t *testing.T) {
	plan := loadParsePlan(t)
	cases := []struct {
		text string
		want []string
	}{
		{"2.3、2.5都完成了", []string{"2.3 done", "2.5 done"}},
		{"2.3 60% 2.5 40%", []string{"2.3 60%", "2.5 40%"}},
		{"2.3完成了，2.5还在谈", []string{"2.3 done", "2.5 还在谈"}},
		{"3.1 直播带货6场；3.2 主播12人", []string{"3.1 6场", "3.2 12人"}},
	}
	for _, c := range cases {
		in := Understand(c.text, Context{Plan: plan, Today: parseToday})
		var got []string
		for i, p := range in.Parts {
			s := in.Items[i]
			switch {
			case p.Done:
				s += " done"
			case p.Percent != nil:
				s += fmt.Sprintf(" %g%%", *p.Percent)
			case p.Amount != nil:
				s += " " + p.Amount.String()
			default:
				s += " " + p.Note
			}
			got = append(got, s)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Understand(%q) parts = %q, want %q", c.text, got, c.want)
		}
	}
}

// A correction's text comes without its correction words and without the
// figure it says was wrong.
func TestCorrectionText(t *testing.T) {
	cases := map[string]string{
		"更正：2.3 进度应为50%，不是60%":    "2.3 进度 50%",
		"刚才报错了，应该是40%":            "40%",
		"不是60%，是50%":              "50%",
		"更正：3.4蟹苗投放应为15万只，不是12万只": "3.4蟹苗投放 15万只",
		"更正：刚才是又新增8户":             "又新增8户",
		"2.5应为35%":                "2.5 35%",
	}
	for text, want := range cases {
		got, ok := correction(text)
		if got = strings.Join(strings.Fields(got), " "); !ok || got != want {
			t.Errorf("correction(%q) = %q, %v; want %q", text, got, ok, want)
		}
	}
	if _, ok := correction("2.3 进度60% 已签约"); ok {
		t.Error("a plain report read as a correction")
	}
}
