package main

// Issue 12, points 3 and 4: every chat view fits a phone screen on a
// county-scale plan (planbot gen), pages by section with a 下一页 button
// that belongs to whoever asked, and a last report is shown whole.

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"planbot"
	"planbot/bot"
	"planbot/bot/fakeapi"
	"planbot/storage"
)

// county1y is the default `planbot gen` county (400 items, 150 people, 20
// sections) with one year of history: the views read the plan year only.
var county1y = sync.OnceValues(func() (*countyFixture, error) { return makeCounty(1, 2027) })

// countyChat answers messages from the county's people through bot.Handle
// in a session of the county's database, as the poll loop does.
type countyChat struct {
	t   *testing.T
	f   *countyFixture
	db  *storage.DB
	bot *bot.Bot
	at  time.Time
	n   int
}

func newCountyChat(t *testing.T, at time.Time) *countyChat {
	t.Helper()
	f, err := county1y()
	if err != nil {
		t.Fatalf("generate the county: %v", err)
	}
	db, err := storage.Open(context.Background(), f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if at.IsZero() {
		at = f.at
	}
	e := &env{now: func() time.Time { return at }, log: slog.New(slog.DiscardHandler)}
	return &countyChat{t: t, f: f, db: db, at: at, bot: bot.New(botConfig(e, f.cfg, f.cfgPath))}
}

func (cc *countyChat) handle(m bot.Message) []bot.Reply {
	cc.t.Helper()
	cc.n++
	m.UpdateID, m.At, m.Chat = cc.n, cc.at, bot.ChatPrivate
	if m.MessageID == 0 {
		m.MessageID = 10000 + cc.n
	}
	var replies []bot.Reply
	err := cc.db.InSession(context.Background(), func(s *storage.Session) error {
		var err error
		replies, err = cc.bot.Handle(context.Background(), s, m)
		return err
	})
	if err != nil {
		cc.t.Fatalf("%q: %v", m.Text, err)
	}
	return replies
}

func (cc *countyChat) say(p planbot.Person, text string) []bot.Reply {
	cc.t.Helper()
	return cc.handle(bot.Message{ChatID: p.TelegramID, UserID: p.TelegramID, Text: text})
}

func (cc *countyChat) press(p planbot.Person, msgID int, data string) []bot.Reply {
	cc.t.Helper()
	return cc.handle(bot.Message{ChatID: p.TelegramID, UserID: p.TelegramID,
		Callback: &bot.Callback{ID: fmt.Sprintf("cb%d", cc.n), Data: data, MessageID: msgID}})
}

// texts is what Telegram would be sent for replies: the outbox rows with
// text (the bot splits a long text into several).
func texts(replies []bot.Reply) []string {
	var out []string
	for _, m := range bot.ToOutbox(replies) {
		if m.Text != "" && m.Method != planbot.MethodAnswer {
			out = append(out, m.Text)
		}
	}
	return out
}

// nextPage is the data of the 下一页 button among replies, "" if none.
func nextPage(replies []bot.Reply) string {
	for _, r := range replies {
		for _, row := range r.Keyboard {
			for _, b := range row {
				if strings.Contains(b.Text, "下一页") {
					return b.Data
				}
			}
		}
	}
	return ""
}

// bigLeader is the deputy whose sections hold the most items.
func bigLeader(plan *planbot.Plan) planbot.Person {
	n := map[string]int{}
	for _, it := range plan.Items {
		n[it.Leader]++
	}
	best := ""
	for k, c := range n {
		if p, ok := plan.Person(k); ok && p.TelegramID != 0 && k != "shuji" && (best == "" || c > n[best] || c == n[best] && k < best) {
			best = k
		}
	}
	p, _ := plan.Person(best)
	return p
}

// busyCadre is the cadre (with a Telegram id) who owns the most items.
func busyCadre(plan *planbot.Plan) planbot.Person {
	n := map[string]int{}
	for _, it := range plan.Items {
		for _, o := range it.Owners {
			n[o]++
		}
	}
	var best planbot.Person
	for _, p := range plan.People {
		if p.Has(planbot.RoleCadre) && p.TelegramID != 0 && (best.Key == "" || n[p.Key] > n[best.Key]) {
			best = p
		}
	}
	return best
}

// TestCountyViewsFitAPhone measures every chat view on the county plan,
// as a leader of a big section, the principal, an admin and a cadre, on
// the Monday after the history and in late December (when most items are
// overdue): at most three messages, none over 4,096 UTF-16 units
// (Telegram's limit) nor split by the outbox, and every page reached by
// 下一页 the same.
func TestCountyViewsFitAPhone(t *testing.T) {
	f, err := county1y()
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{f.at, time.Date(2027, 12, 20, 10, 0, 0, 0, planLocation())} {
		cc := newCountyChat(t, at)
		plan := cc.f.cfg.Plan
		principal, _ := plan.Person("shuji")
		admin, _ := plan.Person("admin1")
		roles := []struct {
			name string
			p    planbot.Person
		}{
			{"big section's leader", bigLeader(plan)},
			{"principal", principal},
			{"admin", admin},
			{"cadre", busyCadre(plan)},
		}
		views := []string{"/mine", "/plan", "/plan 1", "/plan 2", "/overdue", "/overdue 2", "/unreported", "/targets", "/help", "有风险的事项有哪些？"}
		for _, role := range roles {
			for _, view := range views {
				t.Run(at.Format("01-02")+" "+role.name+" "+view, func(t *testing.T) {
					replies := cc.say(role.p, view)
					msgs := texts(replies)
					if len(msgs) == 0 || len(msgs) > 3 {
						t.Errorf("%s answers in %d messages, want 1–3", view, len(msgs))
					}
					if len(msgs) != len(replies) {
						t.Errorf("%s: %d replies went out as %d messages: a reply was over Telegram's limit and split", view, len(replies), len(msgs))
					}
					total := 0
					check := func(page int, m string) {
						n := fakeapi.UTF16Len(m)
						total += n
						if n > planbot.MaxMessageLen {
							t.Errorf("page %d of %s: a message of %d UTF-16 units, over %d:\n%.300s", page, view, n, planbot.MaxMessageLen, m)
						}
						if _, _, err := fakeapi.ParseHTML(m); err != nil {
							t.Errorf("page %d of %s is not valid HTML: %v", page, view, err)
						}
					}
					for _, m := range msgs {
						check(1, m)
					}
					pages := 1
					for data, msgID := nextPage(replies), 500; data != ""; msgID++ {
						pages++
						if pages > 100 {
							t.Fatalf("%s: 下一页 never ends", view)
						}
						replies = cc.press(role.p, msgID, data)
						ms := texts(replies)
						if len(ms) != 1 {
							t.Errorf("page %d of %s is %d messages, want 1", pages, view, len(ms))
						}
						for _, m := range ms {
							check(pages, m)
						}
						data = nextPage(replies)
					}
					t.Logf("%s as %s (%s): %d messages, %d units in all; %d pages", view, role.p.Key, role.name, len(msgs), total, pages)
				})
			}
		}
	}
}
