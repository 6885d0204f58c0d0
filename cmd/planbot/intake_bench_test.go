package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"planbot/bot"
)

// intakeBenchMessages are reports every version of the reader records the
// same way: a code and a figure, a figure by title words, a note.
var intakeBenchMessages = []struct{ who, text string }{
	{"ma_jingfa", "2.3 进度60% 已与XX酒店签约"},
	{"xu_nongye", "3.4 蟹苗投放完成15万只"},
	{"lv_anquan", "4.1 检查企业35家"},
	{"zhao_cun", "3.6 黄烟移栽完成800亩"},
	{"qian_cun", "1.2 签订购销协议2份"},
	{"han_zongzhi", "4.4 进度40% 两会期间安保工作已落实"},
	{"ma_jingfa", "2.1 接待客商30人次"},
	{"xu_nongye", "3.1 直播带货12场"},
	{"sun_cun", "2.6 进度30%"},
	{"liu_zhenzhang", "2.5 进度45%"},
}

// BenchmarkHandleMessage is one cadre message through the handler, in its
// own transaction on a SQLite file, as the console and `run` handle it:
// read, decide, record, echo. The history grows as it runs, as it does
// in a year.
func BenchmarkHandleMessage(b *testing.B) {
	start := time.Date(2027, time.May, 12, 10, 0, 0, 0, shanghai)
	cfg, db := exampleDB(b, start)
	ctx := context.Background()
	now := start
	e := &env{now: func() time.Time { return now }, log: slog.New(slog.DiscardHandler)}
	h := bot.New(botConfig(e, cfg, ""))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := intakeBenchMessages[i%len(intakeBenchMessages)]
		p, _ := cfg.Plan.Person(m.who)
		uid := telegramID(p)
		if uid == 0 {
			uid = 900000001
		}
		now = start.Add(time.Duration(i) * time.Second)
		msg := bot.Message{ChatID: tgChat(uid), Chat: bot.ChatPrivate, UserID: tgAccount(uid), AsPerson: p.Key, MessageID: i + 1, Text: m.text, At: now}
		var replies []bot.Reply
		err := db.InSession(ctx, func(s bot.Store) error {
			var err error
			replies, err = h.Handle(ctx, s, msg)
			return err
		})
		if err != nil || len(replies) == 0 {
			b.Fatalf("%q: %v %v", m.text, replies, err)
		}
	}
}
