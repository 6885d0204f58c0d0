package main

// Issue 12, points 3 and 4: every chat view fits a phone screen on a
// county-scale plan (planbot gen), pages by section with a 下一页 button
// that belongs to whoever asked, and a last report is shown whole.

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"planbot"
	"planbot/bot"
	"planbot/storage"
	"planbot/telegram"
	"planbot/telegram/telegramtest"
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
	m.At, m.Chat = cc.at, bot.ChatPrivate
	if m.MessageID == 0 {
		m.MessageID = 10000 + cc.n
	}
	var replies []bot.Reply
	err := cc.db.InSession(context.Background(), func(s planbot.Tx) error {
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
	return cc.handle(bot.Message{ChatID: tgChat(telegramID(p)), UserID: tgAccount(telegramID(p)), Text: text})
}

func (cc *countyChat) press(p planbot.Person, msgID int, data string) []bot.Reply {
	cc.t.Helper()
	return cc.handle(bot.Message{ChatID: tgChat(telegramID(p)), UserID: tgAccount(telegramID(p)),
		Callback: &bot.Callback{ID: fmt.Sprintf("cb%d", cc.n), Data: data, MessageID: msgID}})
}

// texts is what Telegram would be sent for replies: the outbox rows with
// text (the outbox splits a text longer than Telegram takes into several,
// as storage's Enqueue does).
func texts(replies []bot.Reply) []string {
	var out []string
	for _, whole := range bot.ToOutbox(replies) {
		for _, m := range planbot.SplitOutbox(whole, telegram.MaxMessageLen) {
			if m.Text != "" && m.Method != planbot.MethodAnswer {
				out = append(out, m.Text)
			}
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
		if p, ok := plan.Person(k); ok && telegramID(p) != 0 && k != "shuji" && (best == "" || c > n[best] || c == n[best] && k < best) {
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
		if p.Has(planbot.RoleCadre) && telegramID(p) != 0 && (best.Key == "" || n[p.Key] > n[best.Key]) {
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
						n := telegramtest.UTF16Len(m)
						total += n
						if n > telegram.MaxMessageLen {
							t.Errorf("page %d of %s: a message of %d UTF-16 units, over %d:\n%.300s", page, view, n, telegram.MaxMessageLen, m)
						}
						if _, _, err := telegramtest.ParseHTML(m); err != nil {
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

// county2026 is the county of plan year 2026: at the e2e harness's
// fixed clock (15 June 2027) every item not done is overdue.
var county2026 = sync.OnceValues(func() (*countyFixture, error) { return makeCounty(1, 2026) })

// countyE2E is the e2e harness on a copy of the 2026 county's database
// and plan, the bot's clock at fixedNow (15 June 2027).
func countyE2E(t *testing.T) *e2e {
	t.Helper()
	f, err := county2026()
	if err != nil {
		t.Fatal(err)
	}
	h := newE2E(t, nil)
	h.db.Close()
	data, err := os.ReadFile(f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	h.path = filepath.Join(t.TempDir(), "county.db")
	if err := os.WriteFile(h.path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	h.cfg, h.plan, h.cfgPath = f.cfg, f.cfg.Plan, f.cfgPath
	h.openDB()
	return h
}

func tgUser(p planbot.Person) telegramtest.User {
	return telegramtest.User{ID: telegramID(p), FirstName: p.Name}
}

// TestE2ECountyPaging: over the real client, an admin's /overdue on the
// county (hundreds of overdue items) is one message with a
// summary and a 下一页 button; pressing it turns the page in place; in a
// group, someone else's press turns nothing and is told whose list it is.
func TestE2ECountyPaging(t *testing.T) {
	h := countyE2E(t)
	h.start()
	admin, _ := h.plan.Person("admin1")
	leader := bigLeader(h.plan)
	ua, ul := tgUser(admin), tgUser(leader)

	r := one(t, h.say(ua, "/overdue"))
	wants(t, "/overdue", r.Text, "逾期事项", "按板块", "最需关注的 8 项", "点「下一页」逐个板块查看，或发送 <code>/overdue 板块编号</code>")
	if n := telegramtest.UTF16Len(r.Text); n > telegram.MaxMessageLen {
		t.Errorf("/overdue is %d UTF-16 units", n)
	}
	if got := buttons(r); len(got) != 1 || got[0] != "下一页 ▶" {
		t.Fatalf("the summary's buttons are %v, want only 下一页", got)
	}
	first := strings.Index(r.Text, "🔴")
	if first < 0 || strings.Index(r.Text, "🟡") >= 0 && strings.Index(r.Text, "🟡") < first {
		t.Errorf("the worst items are not first:\n%s", r.Text)
	}

	pressed := h.pressText(ua, r.MessageID, "下一页 ▶")
	page := one(t, pressed)
	if page.Method != "editMessageText" || page.MessageID != r.MessageID {
		t.Errorf("下一页 sent %s to message %d, want an edit of %d", page.Method, page.MessageID, r.MessageID)
	}
	wants(t, "page 2", page.Text, "逾期事项", "<b>【")
	if got := buttons(page); len(got) != 2 || got[0] != "◀ 上一页" || got[1] != "下一页 ▶" {
		t.Errorf("page 2's buttons are %v", got)
	}
	back := one(t, h.pressText(ua, r.MessageID, "◀ 上一页"))
	if back.Text != r.Text {
		t.Errorf("上一页 from page 2 is not the summary:\n%s", back.Text)
	}

	group := telegramtest.GroupChat(-4121, "县工作群")
	g := one(t, h.sayIn(ua, group, "/overdue"))
	if _, ok := g.Markup.Find("下一页 ▶"); !ok {
		t.Fatalf("the group's /overdue has no 下一页: %v", buttons(g))
	}
	calls := h.do(func() int { return h.srv.PressButtonText(ul, group, g.MessageID, "下一页 ▶") })
	if edits := telegramtest.Filter(calls, func(c telegramtest.Call) bool { return c.Method != "answerCallbackQuery" }); len(edits) != 0 {
		t.Errorf("someone else's press changed the admin's list: %s", telegramtest.Describe(calls))
	}
	ans := telegramtest.Filter(calls, func(c telegramtest.Call) bool { return c.Method == "answerCallbackQuery" })
	if len(ans) != 1 || !strings.Contains(ans[0].Text, "只有本人可以翻页") || !strings.Contains(ans[0].Text, admin.Name) {
		t.Errorf("the other press was answered %s", telegramtest.Describe(calls))
	}
	mine := one(t, h.do(func() int { return h.srv.PressButtonText(ua, group, g.MessageID, "下一页 ▶") }))
	wants(t, "the admin's own press in the group", mine.Text, "<b>【")
}

// TestE2ELastReportWhole: "累计接待客商12批" is shown whole as the last
// report in /mine and /plan 2 (the note alone lost its figure), and a
// message on two items keeps for each the words about it.
func TestE2ELastReportWhole(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()
	one(t, h.say(uMa, "2.6 累计接待客商12批"))
	rs := h.reports("2.6")
	if len(rs) != 1 || rs[0].Words != "累计接待客商12批" {
		t.Fatalf("2.6's report holds words %q, want 累计接待客商12批: %+v", rs[0].Words, rs)
	}
	shown := "最近汇报 6月15日：\u2068累计接待客商12批\u2069"
	wants(t, "/mine", one(t, h.say(uMa, "/mine")).Text, shown)
	wants(t, "/plan 2", one(t, h.say(uMa, "/plan 2")).Text, shown)

	// 2.1 counts 人次: the reader takes 12人次 out as the figure, and the
	// note alone read "累计接待客商".
	one(t, h.say(uMa, "2.1 累计接待客商12人次"))
	if r := h.reports("2.1")[0]; r.Value == nil || r.Note != "累计接待客商" || r.Words != "累计接待客商12人次" {
		t.Errorf("2.1's report: value %v, note %q, words %q", r.Value, r.Note, r.Words)
	}
	wants(t, "/mine after 2.1", one(t, h.say(uMa, "/mine")).Text, "最近汇报 6月15日：\u2068累计接待客商12人次\u2069")

	one(t, h.say(uMa, "2.3 进度60% 已开工 2.4 累计1个 基本完工"))
	if w := h.reports("2.3")[0].Words; w != "进度60% 已开工" {
		t.Errorf("2.3 keeps words %q, want 进度60%% 已开工", w)
	}
	if w := h.reports("2.4")[0].Words; w != "累计1个 基本完工" {
		t.Errorf("2.4 keeps words %q, want 累计1个 基本完工", w)
	}
	wants(t, "/plan 2 after a message on two items", one(t, h.say(uMa, "/plan 2")).Text,
		"\u2068进度60% 已开工\u2069", "\u2068累计1个 基本完工\u2069")
}
