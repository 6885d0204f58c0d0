package main

import (
	"fmt"
	"path/filepath"
	"testing"

	"planbot/bot"
	"planbot/telegram/telegramtest"
)

// telegramDriver plays a corpus scenario over the real Telegram client
// against the fake Bot API: the bot polls, handles and sends as `planbot
// run` does, and the replies are what the fake recorded.
type telegramDriver struct {
	h     *e2e
	bound map[string]bool
}

func newTelegramDriver(t *testing.T) (corpusDriver, *corpusState) {
	h := newE2E(t, nil)
	h.start()
	return &telegramDriver{h: h, bound: map[string]bool{}}, newCorpusState(t, h.db, h.plan)
}

func (d *telegramDriver) send(t testing.TB, st corpusStep) ([]corpusReply, error) {
	h := d.h
	p, ok := h.plan.Person(st.as)
	if !ok {
		t.Fatalf("no person %q in the example plan", st.as)
	}
	u := telegramtest.User{ID: userID(p, h.plan), FirstName: p.Name}
	chat := telegramtest.PrivateChat(u)
	if telegramID(p) == 0 && !d.bound[p.Key] {
		if p.Invite == "" {
			t.Fatalf("%s has neither a Telegram id nor an invite", p.Key)
		}
		h.say(u, "/start "+p.Invite) // bind as the person would, once
		d.bound[p.Key] = true
	}
	var last telegramtest.Msg
	for _, m := range h.srv.Messages(chat.ID) {
		if m.FromBot {
			last = m
		}
	}
	var calls []telegramtest.Call
	switch {
	case st.press != "":
		var kb [][]bot.Button
		if last.Markup != nil {
			kb = [][]bot.Button{{}}
			for _, b := range last.Markup.Buttons() {
				kb[0] = append(kb[0], bot.Button{Text: b.Text, Data: b.CallbackData})
			}
		}
		data, ok := findButton(kb, st.press)
		if !ok {
			return nil, fmt.Errorf("no button %q on the bot's last message (%v)", st.press, labels(kb))
		}
		calls = h.press(u, last.ID, data)
	case st.reply:
		if last.ID == 0 {
			return nil, fmt.Errorf("a reply with no earlier message of the bot")
		}
		calls = h.do(func() int { return h.srv.ReplyText(u, chat, last.ID, st.text) })
	default:
		calls = h.say(u, st.text)
	}
	var out []corpusReply
	for _, c := range calls {
		if c.Method != "sendMessage" && c.Method != "editMessageText" {
			continue
		}
		r := corpusReply{text: bot.PlainText(c.Text)}
		if c.Markup != nil {
			for _, b := range c.Markup.Buttons() {
				r.buttons = append(r.buttons, b.Text)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// TestIntakeTelegram sends the messages through Telegram: what
// the handler gets right must survive the real client, the poll loop
// and the outbox (replies to the bot's messages, button presses).
func TestIntakeTelegram(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a bot per scenario")
	}
	scs := readCorpusFile(t, filepath.Join(corpusDir, "issue10.txt"))
	results := runCorpus(t, scs, newTelegramDriver)
	reportCorpus(t, results)
}
