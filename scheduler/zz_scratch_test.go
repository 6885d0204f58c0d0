package scheduler

import (
	"fmt"
	"testing"
	"time"

	"planbot"
	"planbot/config"
)

func TestScratch(t *testing.T) {
	cfg, err := config.Load("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Plan
	loc := p.Location
	chat := map[string]int64{}
	for _, x := range p.People {
		if x.TelegramID != 0 {
			chat[x.Key] = x.TelegramID
		}
	}
	f := func(v float64) *float64 { return &v }
	reps := map[string][]planbot.Report{
		"2.3": {{ID: 1, ItemCode: "2.3", Reporter: "ma_jingfa", At: time.Date(2027, 3, 2, 10, 0, 0, 0, loc), Percent: f(30)}},
		"3.2": {{ID: 2, ItemCode: "3.2", Reporter: "xu_nongye", At: time.Date(2027, 5, 4, 10, 0, 0, 0, loc), Percent: f(100)}},
	}
	s := Snapshot{Plan: p, Reports: reps, ChatOf: chat, PreviousDigest: time.Date(2027, 5, 3, 8, 30, 0, 0, loc),
		Failed: []planbot.OutboxMessage{{ChatID: 100000008}, {ChatID: 100000008}, {ChatID: -100123}}}
	at := time.Date(2027, 7, 12, 10, 0, 0, 0, loc)
	for _, r := range p.Reminders {
		msgs, un := Compose(r, s, at)
		fmt.Println("=====", r.Name, un)
		for _, m := range msgs {
			fmt.Println("--- chat", m.ChatID, m.ReplyMarkup)
			fmt.Println(m.Text)
		}
	}
	fmt.Println(AdminDigest(s, at))
}
