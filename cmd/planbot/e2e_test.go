package main

// End-to-end tests of the chat: the real go-telegram-bot-api client talks
// over HTTP to the fake Bot API (telegram/telegramtest), the bot runs its own poll
// loop and outbox sender on a SQLite file, wired as `planbot run` wires
// them. Each test plays the users' side and asserts what they see (the
// text and keyboard of each reply, as the fake recorded it) and what is in
// the database afterwards.
//
// No test sleeps: every wait is on a signal from the fake (a call recorded,
// an update confirmed), with a timeout only as a failure guard.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"planbot"
	"planbot/config"
	"planbot/delivery"
	"planbot/storage"
	"planbot/telegram"
	"planbot/telegram/telegramtest"
)

// waitLimit guards every wait; a healthy run needs milliseconds.
const waitLimit = 15 * time.Second

// The example plan's people, as Telegram users.
var (
	uZhang    = telegramtest.User{ID: 100000001, FirstName: "张", LastName: "书记"}    // leader (principal)
	uChen     = telegramtest.User{ID: 100000004, FirstName: "陈", LastName: "副镇长"}   // leader of section 2
	uZheng    = telegramtest.User{ID: 100000007, FirstName: "郑", LastName: "主任"}    // admin
	uZhao     = telegramtest.User{ID: 100000008, FirstName: "赵", LastName: "书记"}    // cadre, 东村
	uQian     = telegramtest.User{ID: 100000009, FirstName: "钱", LastName: "书记"}    // cadre, 西河村: owns 3.4 (crabs)
	uMa       = telegramtest.User{ID: 100000010, FirstName: "马", LastName: "主任"}    // cadre: owns 2.3 alone
	uXu       = telegramtest.User{ID: 100000011, FirstName: "许", LastName: "主任"}    // cadre: owns 3.2 (overdue)
	uSun      = telegramtest.User{ID: 700000001, FirstName: "孙", LastName: "书记"}    // sun_cun: invite only
	uStranger = telegramtest.User{ID: 555000111, FirstName: "Eve", Username: "eve"} // nobody
)

// tgChat and tgAccount are the addresses of the fake's chat and user ids
// (the fake Bot API speaks Telegram's int64 ids; the domain, addresses).
func tgChat(id int64) planbot.ChatID    { return telegram.ChatID(id) }
func tgAccount(id int64) planbot.UserID { return telegram.UserID(id) }

// telegramID is p's Telegram user id as the YAML gives it; 0 if none.
func telegramID(p planbot.Person) int64 {
	u, ok := p.Account(telegram.Platform)
	if !ok {
		return 0
	}
	n, _ := telegram.ChatNumber(u.Chat())
	return n
}

// chatNumber is the Telegram id of chat c, for the fake; 0 if c is not
// a Telegram chat.
func chatNumber(c planbot.ChatID) int64 {
	n, _ := telegram.ChatNumber(c)
	return n
}

// sunInvite is the example's invite code for sun_cun.
const sunInvite = "NL7Q4K9M2X"

// shiftedClock runs from the fixed test time (2027-06-15 09:00 in
// Shanghai) at real speed: the poll loop and the sender need a clock that
// moves (the sender's per-chat pauses and retry times), while the
// conversation itself reads the fixed fixedNow.
func shiftedClock() func() time.Time {
	start := time.Now()
	return func() time.Time { return fixedNow.Add(time.Since(start)) }
}

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// e2e is one fake Telegram, one database file and the bot instance
// currently serving them.
type e2e struct {
	t       testing.TB
	ctx     context.Context
	srv     *telegramtest.Server
	path    string // the database
	cfgPath string // a copy of the example config, for /reload
	cfg     *config.Config
	plan    *planbot.Plan
	db      *storage.DB
	logs    *syncBuffer
	log     *slog.Logger
	clock   func() time.Time
	inst    *instance
	// panics is set by a test that makes a handler panic on purpose.
	panics bool
}

// instance is one running bot: the app `planbot run` serves, on the
// harness's database.
type instance struct {
	app     *app
	cancel  context.CancelFunc // ends Run: polling stops, then the sender
	done    chan error         // Run's error, once
	stopped bool
	err     error
}

// instanceOptions adjusts an instance before it starts.
type instanceOptions struct {
	updates      func(telegram.UpdateLog, context.CancelFunc) telegram.UpdateLog // wrap the update log; the func stops polling
	outbox       func(delivery.Outbox) delivery.Outbox                           // wrap the sender's outbox
	maxConflicts int
	now          time.Time // the conversation's clock; zero is fixedNow
}

// writeConfig copies the example config into dir, pointing it at the
// Bot API endpoint (if not "") and the database db, and returns its path.
func writeConfig(tb testing.TB, dir, endpoint, db string) string {
	tb.Helper()
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	text := string(data)
	replace := func(old, new string) {
		if !strings.Contains(text, old) {
			tb.Fatalf("the example config no longer has %q", old)
		}
		text = strings.Replace(text, old, new, 1)
	}
	if endpoint != "" {
		replace(`api_endpoint: ""`, fmt.Sprintf("api_endpoint: %q", endpoint))
	}
	replace("database: planbot.db", fmt.Sprintf("database: %q", db))
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// newE2E starts the fake server and opens a fresh database synced with the
// example plan; start runs the bot. clock, if not nil, replaces the
// shifted clock of the poll loop, the sender and the fake.
func newE2E(tb testing.TB, clock func() time.Time) *e2e {
	tb.Helper()
	if clock == nil {
		clock = shiftedClock()
	}
	logs := &syncBuffer{}
	dir := tb.TempDir()
	h := &e2e{
		t:     tb,
		ctx:   context.Background(),
		srv:   telegramtest.New(tb, telegramtest.WithClock(clock)),
		path:  filepath.Join(dir, "planbot.db"),
		logs:  logs,
		log:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		clock: clock,
	}
	h.cfgPath = writeConfig(tb, dir, "", h.path)
	cfg, err := config.Load(h.cfgPath)
	if err != nil {
		tb.Fatalf("load the example config: %v", err)
	}
	h.cfg, h.plan = cfg, cfg.Plan
	h.openDB()
	tb.Cleanup(h.finish)
	return h
}

func (h *e2e) openDB() {
	h.t.Helper()
	db, err := storage.Open(h.ctx, h.path, textLimits()...)
	if err != nil {
		h.t.Fatalf("open database: %v", err)
	}
	if _, err := db.SyncPlan(h.ctx, h.plan, fixedNow); err != nil {
		db.Close()
		h.t.Fatalf("sync plan: %v", err)
	}
	h.db = db
}

// finish stops the bot and checks what must hold in every test: the token
// is in no log line, nothing panicked, and Telegram refused no send, edit
// or answer as malformed (400: bad HTML, too long, answered twice …).
func (h *e2e) finish() {
	if h.inst != nil {
		h.inst.stop()
	}
	if h.db != nil {
		h.db.Close()
	}
	logs := h.logs.String()
	token := h.srv.Token()
	secret := token[strings.IndexByte(token, ':')+1:]
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, secret) {
			h.t.Errorf("a log line holds the bot token: %s", line)
		}
	}
	if strings.Contains(logs, "panic") && !h.panics {
		h.t.Errorf("a handler panicked:\n%s", logs)
	}
	{
		for _, c := range h.srv.Calls() {
			// Two 400s are Telegram's news, not the bot's fault: "message
			// is not modified" (an edit to the text the message already
			// has: two presses on one stale keyboard), settled as sent;
			// and a group upgraded to a supergroup, followed.
			if (c.Method == "sendMessage" || c.Method == "editMessageText" || c.Method == "answerCallbackQuery") &&
				c.Status == http.StatusBadRequest && !strings.Contains(c.Description, "message is not modified") &&
				!strings.Contains(c.Description, "upgraded to a supergroup") {
				h.t.Errorf("Telegram refused a %s to chat %d: %d %s\ntext: %q", c.Method, c.ChatID, c.Status, c.Description, clipText(c.Text, 300))
			}
		}
	}
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// start runs a new bot instance on the database: the app `planbot run`
// serves, pointed at the fake and the harness's clocks, its reminders'
// cron off (it fires on the wall clock).
func (h *e2e) start(opts ...func(*instanceOptions)) *instance {
	h.t.Helper()
	o := instanceOptions{now: fixedNow}
	for _, f := range opts {
		f(&o)
	}
	cfg := *h.cfg
	cfg.Bot.APIEndpoint = h.srv.Endpoint()
	// The conversation's clock is fixed: statuses are those of
	// 2027-06-15 09:00 (or o.now).
	now := o.now
	a := &app{env: &env{now: func() time.Time { return now }, log: h.log}, Config: &cfg, ConfigPath: h.cfgPath,
		Token: h.srv.Token(), PollTimeout: 10 * time.Second, Clock: h.clock, DB: h.db,
		WrapOutbox: o.outbox, NoReminders: true,
		// Telegram's pacing (1 s between messages to a chat) would make a
		// scripted conversation take a minute; TestE2ERunCommand runs with
		// it. A 429's cooldown still applies (TestE2ERateLimited).
		Pace: func(_ string, l delivery.Limits) delivery.Limits {
			l.PerChat, l.PerGroup, l.Gap = 0, 0, 0
			return l
		}}
	ctx, cancel := context.WithCancel(context.Background())
	if err := a.Open(ctx); err != nil {
		cancel()
		a.Close()
		h.t.Fatalf("open the app: %v", err)
	}
	a.Telegram.MaxConflicts = o.maxConflicts
	if o.updates != nil {
		a.Telegram.Updates = o.updates(a.Telegram.Updates, cancel)
	}
	in := &instance{app: a, cancel: cancel, done: make(chan error, 1)}
	go func() { in.done <- a.Run(ctx) }()
	h.inst = in
	return in
}

// stop shuts the instance down as run does (polling first, then the
// sender); it returns Poll's error.
func (in *instance) stop() error {
	if in.stopped {
		return in.err
	}
	in.stopped = true
	in.cancel()
	in.err = <-in.done
	in.app.Close()
	return in.err
}

// wait waits for Poll to return on its own (ErrConflict, or a test's
// wrapper cancelling it) and the sender to stop.
func (in *instance) wait(tb testing.TB) error {
	tb.Helper()
	select {
	case err := <-in.done:
		in.done <- err
	case <-time.After(waitLimit):
		tb.Fatalf("Poll did not return within %v", waitLimit)
	}
	return in.stop()
}

// outbound keeps the calls that deliver the outbox.
func outbound(calls []telegramtest.Call) []telegramtest.Call {
	return telegramtest.Filter(calls, func(c telegramtest.Call) bool {
		switch c.Method {
		case "sendMessage", "editMessageText", "answerCallbackQuery", "sendPhoto", "sendDocument":
			return true
		}
		return false
	})
}

// settled says whether update id was handled (the bot asked for updates
// after it, which it does only once the update's transaction committed)
// and every message in the outbox was handed to Telegram at least once:
// as many outbound calls as outbox rows, none pending. It is evaluated on
// the fake's signals, and the last call of a reply is one. It assumes one
// call per row: tests that inject failures (retries, FailChat) wait for
// what they expect with WaitSent instead.
func (h *e2e) settled(calls []telegramtest.Call, id int) bool {
	if h.srv.Offset() <= id {
		return false
	}
	counts, err := h.db.OutboxCounts(h.ctx)
	if err != nil {
		return false
	}
	rows := 0
	for _, n := range counts {
		rows += n
	}
	return counts[storage.OutboxPending] == 0 && len(outbound(calls)) >= rows
}

// do queues one update with push, waits until it settled, and returns
// the calls that delivered its replies.
func (h *e2e) do(push func() int) []telegramtest.Call {
	h.t.Helper()
	base := len(h.srv.Calls())
	id := push()
	calls := h.srv.WaitFor(h.t, waitLimit, func(calls []telegramtest.Call) bool { return h.settled(calls, id) })
	return outbound(calls[base:])
}

// say sends text from u in u's private chat and returns the replies.
func (h *e2e) say(u telegramtest.User, text string) []telegramtest.Call {
	h.t.Helper()
	return h.do(func() int { return h.srv.SendText(u, telegramtest.PrivateChat(u), text) })
}

// sayIn sends text from u in chat.
func (h *e2e) sayIn(u telegramtest.User, chat telegramtest.Chat, text string) []telegramtest.Call {
	h.t.Helper()
	return h.do(func() int { return h.srv.SendText(u, chat, text) })
}

// press presses a button carrying data on message msgID of u's private chat.
func (h *e2e) press(u telegramtest.User, msgID int, data string) []telegramtest.Call {
	h.t.Helper()
	return h.do(func() int { return h.srv.PressButton(u, telegramtest.PrivateChat(u), msgID, data) })
}

// pressText presses the button labelled label on message msgID.
func (h *e2e) pressText(u telegramtest.User, msgID int, label string) []telegramtest.Call {
	h.t.Helper()
	return h.do(func() int { return h.srv.PressButtonText(u, telegramtest.PrivateChat(u), msgID, label) })
}

// one returns the single sendMessage or edit among calls, failing otherwise.
func one(tb testing.TB, calls []telegramtest.Call) telegramtest.Call {
	tb.Helper()
	msgs := telegramtest.Filter(calls, func(c telegramtest.Call) bool { return c.Method != "answerCallbackQuery" })
	if len(msgs) != 1 {
		tb.Fatalf("want one message, got %d:\n%s", len(msgs), telegramtest.Describe(calls))
	}
	return msgs[0]
}

// wants fails unless text contains every one of subs.
func wants(tb testing.TB, what, text string, subs ...string) {
	tb.Helper()
	for _, s := range subs {
		if !strings.Contains(text, s) {
			tb.Errorf("%s does not say %q:\n%s", what, s, text)
		}
	}
}

// buttons lists a call's keyboard labels.
func buttons(c telegramtest.Call) []string {
	var out []string
	for _, b := range c.Markup.Buttons() {
		out = append(out, b.Text)
	}
	return out
}

// button returns the callback data of the button labelled label.
func button(tb testing.TB, c telegramtest.Call, label string) string {
	tb.Helper()
	b, ok := c.Markup.Find(label)
	if !ok {
		tb.Fatalf("no button %q on the message; buttons: %v\n%s", label, buttons(c), c.Text)
	}
	return b.CallbackData
}

// reports is the item's history in the database, oldest first.
func (h *e2e) reports(code string) []planbot.Report {
	h.t.Helper()
	rs, err := h.db.ItemReports(h.ctx, code)
	if err != nil {
		h.t.Fatalf("reports of %s: %v", code, err)
	}
	return rs
}

func (h *e2e) allReports() int {
	h.t.Helper()
	all, err := h.db.AllReports(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for _, rs := range all {
		n += len(rs)
	}
	return n
}

// audited reports whether the audit log has an entry of action by user.
func (h *e2e) audited(user int64, action string) bool {
	h.t.Helper()
	return h.auditedAs(tgAccount(user), action)
}

// auditedAs reports whether the audit log has an entry of action by the
// account user.
func (h *e2e) auditedAs(user planbot.UserID, action string) bool {
	h.t.Helper()
	entries, err := h.db.AuditEntries(h.ctx, 1000)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, e := range entries {
		if e.UserID == user && e.Action == action {
			return true
		}
	}
	return false
}

func percentOf(r planbot.Report) float64 {
	if r.Percent == nil {
		return -1
	}
	return *r.Percent
}

// 1. Who may talk to the bot: known ids, strangers, invite codes.
func TestE2EStartAndInvites(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()

	r := one(t, h.say(uMa, "/start"))
	wants(t, "greeting", r.Text, "马某某，您好", "/mine", "/help")
	if r.ParseMode != "HTML" || r.Markup != nil {
		t.Errorf("greeting: parse mode %q, keyboard %v", r.ParseMode, buttons(r))
	}

	r = one(t, h.say(uStranger, "/start"))
	wants(t, "refusal", r.Text, "还不是本系统的登记用户", "<code>555000111</code>", "/start 邀请码")
	// The second message within the hour is audited but not answered
	// again (issue 11: one refusal per stranger per hour).
	if calls := h.say(uStranger, "2.3 进度60% 我来帮忙汇报"); len(calls) != 0 {
		t.Errorf("a stranger was refused twice within the hour: %s", telegramtest.Describe(calls))
	}
	if !h.audited(uStranger.ID, "refused") {
		t.Error("the refusal left no audit row")
	}
	if n := h.allReports(); n != 0 {
		t.Errorf("a stranger's message recorded %d reports", n)
	}

	// An invite is for a private chat only: in a group it would be public
	// (a real code said there is spent: TestAccess11InviteExposedInGroup).
	group := telegramtest.GroupChat(-4001, "南岭村两委")
	r = one(t, h.sayIn(uSun, group, "/start NOTACODE42"))
	wants(t, "invite in a group", r.Text, "请私聊")
	if r.ChatID != group.ID {
		t.Errorf("group answer went to chat %d", r.ChatID)
	}

	r = one(t, h.say(uSun, "/start "+sunInvite))
	wants(t, "binding", r.Text, "绑定成功", "孙某某")
	if key, ok, err := h.db.Binding(h.ctx, tgAccount(uSun.ID)); err != nil || !ok || key != "sun_cun" {
		t.Errorf("binding of %d = %q, %v, %v; want sun_cun", uSun.ID, key, ok, err)
	}

	r = one(t, h.say(uStranger, "/start "+sunInvite))
	wants(t, "spent invite", r.Text, "已经用过了")
	if _, ok, _ := h.db.Binding(h.ctx, tgAccount(uStranger.ID)); ok {
		t.Error("a spent invite bound a second user")
	}
	if !h.audited(uStranger.ID, "spent_invite") {
		t.Error("the spent invite left no audit row")
	}
	r = one(t, h.say(uStranger, "/start NOTACODE"))
	wants(t, "bad invite", r.Text, "邀请码不正确")

	// After binding, sun_cun is a cadre like any other.
	r = one(t, h.say(uSun, "/mine"))
	wants(t, "/mine after binding", r.Text, "孙某某的事项", "3.6", "黄烟生产提质增量", "4.5")
	one(t, h.say(uSun, "3.6 进度30% 移栽进行中"))
	rs := h.reports("3.6")
	if len(rs) != 1 || rs[0].Reporter != "sun_cun" || percentOf(rs[0]) != 30 || rs[0].ChatID != tgChat(uSun.ID) {
		t.Errorf("sun_cun's report: %+v", rs)
	}
}

// 2. /help and what the bot sets up on start.
func TestE2EHelpAndStartup(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	// A webhook left over would make getUpdates fail with 409: Start
	// deletes it.
	h.srv.SetWebhook("https://old.example.org/hook")
	h.start()

	r := one(t, h.say(uMa, "/help"))
	wants(t, "/help", r.Text, "/mine 或 我的", "/report 或 汇报", "/done 或 完成", "/undo 或 撤回",
		"/plan 或 计划", "/item 或 事项", "/targets 或 指标", "/overdue 或 逾期", "/help 或 帮助",
		"<code>2.3 进度60% 已与XX酒店签约</code>", "状态标记")
	for _, s := range []planbot.Status{planbot.StatusOverdue, planbot.StatusAtRisk, planbot.StatusNoReport,
		planbot.StatusNotStarted, planbot.StatusOnTrack, planbot.StatusDone} {
		wants(t, "/help", r.Text, s.Mark()+" "+s.Label()+" — ")
	}
	wants(t, "/help", r.Text, "10 个百分点", "14 天以上没有汇报")
	if strings.Contains(r.Text, "/unreported") || strings.Contains(r.Text, "/reload") {
		t.Errorf("a cadre's /help lists leaders' and admins' commands:\n%s", r.Text)
	}
	if again := one(t, h.say(uMa, "帮助")); again.Text != r.Text {
		t.Errorf("帮助 and /help differ:\n%s\n---\n%s", again.Text, r.Text)
	}
	wants(t, "a leader's /help", one(t, h.say(uChen, "/help")).Text, "/unreported 或 未汇报")
	wants(t, "an admin's /help", one(t, h.say(uZheng, "/help")).Text, "/reload 或 重载", "/unreported 或 未汇报")

	calls := h.srv.Calls()
	first := func(method string) int {
		for i, c := range calls {
			if c.Method == method {
				return i
			}
		}
		return -1
	}
	if dw, gu := first("deleteWebhook"), first("getUpdates"); dw < 0 || dw > gu {
		t.Errorf("deleteWebhook at call %d, first getUpdates at %d:\n%s", dw, gu, telegramtest.Describe(calls))
	}
	for _, c := range telegramtest.Filter(calls, func(c telegramtest.Call) bool { return c.Method == "getUpdates" }) {
		if c.Status == http.StatusConflict {
			t.Errorf("getUpdates refused although the webhook was deleted: %s", c.Description)
		}
	}
	var got []string
	for _, c := range h.srv.Commands() {
		got = append(got, c.Command)
		if !strings.Contains(c.Description, " · ") {
			t.Errorf("command %s: description %q does not give the Chinese name", c.Command, c.Description)
		}
	}
	want := []string{"mine", "report", "done", "value", "leave", "undo", "plan", "item", "targets", "overdue", "digest", "unreported", "export", "reload", "help"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("setMyCommands = %v, want %v", got, want)
	}
	if c := h.srv.Commands(); len(c) > 0 && !strings.HasPrefix(c[0].Description, "我的 · ") {
		t.Errorf("/mine described as %q", c[0].Description)
	}
}

// 3. The views: /mine, /plan, /item, /targets, /overdue, /unreported.
func TestE2EViews(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()

	// xu_nongye's 3.2 was due on 4月30日: it comes first.
	r := one(t, h.say(uXu, "/mine"))
	wants(t, "/mine", r.Text, "许某某的事项", "（9 项，截至 6月15日 09:00）", "🔴 <b>3.2</b> 扩充直播队伍", "逾期 46 天")
	if red, silent := strings.Index(r.Text, "🔴"), strings.Index(r.Text, "🔕"); red < 0 || silent < red {
		t.Errorf("the overdue item is not first:\n%s", r.Text)
	}
	if mine := one(t, h.say(uXu, "我的")); mine.Text != r.Text {
		t.Errorf("我的 and /mine differ")
	}

	plan := one(t, h.say(uMa, "/plan"))
	wants(t, "/plan", plan.Text, "2027 年度工作计划", "共 22 项：🔴逾期 1 🔕未汇报 21", "【1】", "【4】")
	var data []string
	for _, b := range plan.Markup.Buttons() {
		data = append(data, b.CallbackData)
	}
	if strings.Join(data, " ") != "plan:1 plan:2 plan:3 plan:4" {
		t.Fatalf("/plan buttons carry %v", data)
	}
	pressed := h.press(uMa, plan.MessageID, "plan:2")
	section := one(t, pressed)
	wants(t, "section 2", section.Text, "【2】谋发展、求突破", "分管：陈某某", "2.1", "2.6", "马某某、孙某某")
	if ans := telegramtest.Filter(pressed, func(c telegramtest.Call) bool { return c.Method == "answerCallbackQuery" }); len(ans) != 1 || ans[0].Status != http.StatusOK {
		t.Errorf("the button press was not answered once: %s", telegramtest.Describe(pressed))
	}
	if typed := one(t, h.say(uMa, "/plan 2")); typed.Text != section.Text {
		t.Errorf("/plan 2 and the plan:2 button differ:\n%s\n---\n%s", typed.Text, section.Text)
	}

	one(t, h.say(uMa, "2.3 进度60% 已与XX酒店签约"))
	r = one(t, h.say(uMa, "/item 2.3"))
	wants(t, "/item", r.Text, "<b>2.3 协调推进XX项目开工建设</b>", "责任人：马某某 · 分管：刘某某", "时间：1月4日 — 6月30日",
		"节点：5月31日 前达到 80%", "<b>汇报记录</b>", "6月15日 09:00 马某某 进度 60%：\u2068已与XX酒店签约\u2069")
	wants(t, "/item unknown", one(t, h.say(uMa, "/item 9.9")).Text, "没有编号为 9.9 的事项")

	r = one(t, h.say(uMa, "/targets"))
	wants(t, "/targets", r.Text, "重点指标", "时间进度 45.3%", "固定资产投资", "暂无数据 · 全年目标 6.5亿元", "外贸出口额")

	wants(t, "a leader's /overdue", one(t, h.say(uZhang, "/overdue")).Text, "<b>逾期事项</b> 1 项", "3.2", "许某某")
	wants(t, "a cadre's /overdue", one(t, h.say(uMa, "/overdue")).Text, "您名下没有逾期事项")

	r = one(t, h.say(uZhang, "/unreported"))
	wants(t, "/unreported", r.Text, "本周未汇报</b>（自 6月14日 起）", "赵某某（东村）", "共 6 人")
	if strings.Contains(r.Text, "马某某") {
		t.Errorf("ma_jingfa reported this week but is listed:\n%s", r.Text)
	}
	r = one(t, h.say(uMa, "/unreported"))
	wants(t, "a cadre's /unreported", r.Text, "只限领导和党政办管理员使用")
}

// 4. Reports in words, with photos, and the questions when unclear.
func TestE2EFreeTextReports(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()

	r := one(t, h.say(uMa, "2.3 进度60% 已与XX酒店签约"))
	wants(t, "echo", r.Text, "✅ 已记录 <b>2.3</b> 协调推进XX项目开工建设：进度 60%", "说明：已与XX酒店签约", "当前：🟡 有风险")
	rs := h.reports("2.3")
	if len(rs) != 1 || percentOf(rs[0]) != 60 || rs[0].Note != "已与XX酒店签约" || rs[0].Reporter != "ma_jingfa" ||
		rs[0].OnBehalfOf != "" || rs[0].ChatID != tgChat(uMa.ID) || rs[0].MessageID == 0 {
		t.Fatalf("2.3 after the report: %+v", rs)
	}
	if got, want := button(t, r, "撤回这条"), fmt.Sprintf("u:%d", rs[0].ID); got != want {
		t.Errorf("undo button carries %q, want %q", got, want)
	}

	r = one(t, h.say(uMa, "2.3 完成"))
	wants(t, "done", r.Text, "2.3", "已完成", "当前：✅ 已完成")
	if rs = h.reports("2.3"); len(rs) != 2 || !rs[1].Done {
		t.Errorf("2.3 after 完成: %+v", rs)
	}

	r = one(t, h.say(uQian, "蟹苗投放完成15万只"))
	wants(t, "crab echo", r.Text, "3.4", "扩大大闸蟹养殖规模", "只 / 目标 ", "说明：蟹苗投放")
	want, _ := planbot.ParseAmount("15万只")
	if rs = h.reports("3.4"); len(rs) != 1 || rs[0].Value == nil || *rs[0].Value != want || rs[0].Reporter != "qian_cun" {
		t.Errorf("3.4 after the crab report: %+v", rs)
	}

	// Ambiguous: 直播 fits 3.1 and 3.2, both xu_nongye's.
	ask := one(t, h.say(uXu, "直播 进度40%"))
	wants(t, "question", ask.Text, "您说的是哪个事项？")
	if got := strings.Join(buttons(ask), "|"); got != "3.1 助农视频拍摄和直播带货|3.2 扩充直播队伍|取消" {
		t.Errorf("candidates: %s", got)
	}
	if len(h.reports("3.1"))+len(h.reports("3.2")) != 0 {
		t.Fatal("recorded before the answer")
	}
	pick := button(t, ask, "3.1 助农视频拍摄和直播带货")
	pressed := h.pressText(uXu, ask.MessageID, "3.1 助农视频拍摄和直播带货")
	edit := one(t, pressed)
	if edit.Method != "editMessageText" || edit.MessageID != ask.MessageID {
		t.Errorf("the answer is not an edit of the question: %s", telegramtest.Describe(pressed))
	}
	wants(t, "after the pick", edit.Text, "✅ 已记录 <b>3.1</b>", "进度 40%")
	if m, _ := h.srv.Message(uXu.ID, ask.MessageID); !strings.Contains(m.Plain, "已记录 3.1") || m.Markup.Buttons()[0].Text != "撤回这条" {
		t.Errorf("the question now reads %q with %v", m.Plain, m.Markup.Buttons())
	}
	if ans := telegramtest.Filter(pressed, func(c telegramtest.Call) bool { return c.Method == "answerCallbackQuery" }); len(ans) != 1 || ans[0].Text != "已记录" {
		t.Errorf("press answered with %s", telegramtest.Describe(ans))
	}
	if rs = h.reports("3.1"); len(rs) != 1 || percentOf(rs[0]) != 40 || rs[0].Reporter != "xu_nongye" {
		t.Errorf("3.1 after the pick: %+v", rs)
	}
	// The old keyboard pressed again (a double tap) records nothing.
	wants(t, "second press", one(t, h.press(uXu, ask.MessageID, pick)).Text, "已过期")
	if n := len(h.reports("3.1")); n != 1 {
		t.Errorf("a second press recorded again: %d reports", n)
	}

	// A photo with a caption is a report with evidence: the largest size.
	r = one(t, h.do(func() int {
		return h.srv.SendPhoto(uMa, telegramtest.PrivateChat(uMa), "2.5 进度50% 现场照片", "ph-small", "ph-large")
	}))
	wants(t, "photo echo", r.Text, "2.5", "进度 50%", "说明：现场照片", "佐证照片 1 张已保存")
	if rs = h.reports("2.5"); len(rs) != 1 || strings.Join(rs[0].PhotoIDs, ",") != "telegram:ph-large" || rs[0].Note != "现场照片" {
		t.Errorf("2.5 after the photo: %+v", rs)
	}

	// A photo alone: which of my items is it for?
	ask = one(t, h.do(func() int { return h.srv.SendPhoto(uMa, telegramtest.PrivateChat(uMa), "", "ph-bare") }))
	wants(t, "photo question", ask.Text, "这张照片是哪个事项的佐证材料？")
	if got := len(ask.Markup.Buttons()); got != 7 {
		t.Errorf("want ma_jingfa's 6 items and 取消, got %v", buttons(ask))
	}
	wants(t, "photo pick", one(t, h.pressText(uMa, ask.MessageID, "2.4 保障2个在建项目稳步推进")).Text, "2.4", "佐证照片 1 张已保存")
	if rs = h.reports("2.4"); len(rs) != 1 || strings.Join(rs[0].PhotoIDs, ",") != "telegram:ph-bare" || rs[0].Percent != nil {
		t.Errorf("2.4 after the photo: %+v", rs)
	}

	// 取消 records nothing.
	ask = one(t, h.say(uXu, "直播 进度45%"))
	wants(t, "cancel", one(t, h.pressText(uXu, ask.MessageID, "取消")).Text, "已取消")
	if n := len(h.reports("3.1")) + len(h.reports("3.2")); n != 1 {
		t.Errorf("取消 recorded: %d reports on 3.1 and 3.2", n)
	}
}

// 5. /report alone walks through item → percent → note.
func TestE2EReportWalkthrough(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()

	ask := one(t, h.say(uMa, "/report"))
	wants(t, "walk", ask.Text, "汇报哪个事项？")
	step := one(t, h.pressText(uMa, ask.MessageID, "2.3 协调推进XX项目开工建设"))
	wants(t, "percent step", step.Text, "<b>2.3</b> 协调推进XX项目开工建设", "进度到多少了？")
	if step.MessageID != ask.MessageID || strings.Join(buttons(step), " ") != "10% 20% 30% 40% 50% 60% 70% 80% 90% ✅ 已完成 取消" {
		t.Errorf("percent keyboard on message %d (want %d): %v", step.MessageID, ask.MessageID, buttons(step))
	}
	done := one(t, h.pressText(uMa, ask.MessageID, "70%"))
	wants(t, "recorded", done.Text, "✅ 已记录 <b>2.3</b>", "进度 70%", "如需补充说明")
	if strings.Join(buttons(done), " ") != "不用了 撤回这条" {
		t.Errorf("after the percent: %v", buttons(done))
	}
	rs := h.reports("2.3")
	if len(rs) != 1 || percentOf(rs[0]) != 70 || rs[0].Note != "" {
		t.Fatalf("2.3 after the walk: %+v", rs)
	}

	// The next plain message is the note: a row that supersedes the first.
	r := one(t, h.say(uMa, "场地已平整，施工队进场"))
	wants(t, "note", r.Text, "✅ 已记录 <b>2.3</b>", "进度 70%", "说明：场地已平整，施工队进场")
	rs = h.reports("2.3")
	if len(rs) != 2 || rs[1].Supersedes != rs[0].ID || rs[1].Note != "场地已平整，施工队进场" || percentOf(rs[1]) != 70 {
		t.Fatalf("2.3 after the note: %+v", rs)
	}
	// Only one note: the message after it is read as a message again.
	wants(t, "after the note", one(t, h.say(uMa, "今天天气不错")).Text, "没看懂")
	if n := len(h.reports("2.3")); n != 2 {
		t.Errorf("a second message became a note too: %d reports", n)
	}

	// 不用了 closes the note step.
	ask = one(t, h.say(uMa, "汇报"))
	one(t, h.pressText(uMa, ask.MessageID, "2.1 落实全员招商责任制，提高招商频次"))
	one(t, h.pressText(uMa, ask.MessageID, "✅ 已完成"))
	wants(t, "skip", one(t, h.pressText(uMa, ask.MessageID, "不用了")).Text, "不加说明")
	wants(t, "after skip", one(t, h.say(uMa, "今天天气不错")).Text, "没看懂")
	if rs := h.reports("2.1"); len(rs) != 1 || !rs[0].Done || rs[0].Note != "" {
		t.Errorf("2.1 after the walk: %+v", rs)
	}
}

// 6. /undo and the undo button write a withdrawal; history keeps both.
func TestE2EUndo(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()

	one(t, h.say(uMa, "2.3 进度60% 已签约"))
	r := one(t, h.say(uMa, "/undo"))
	rs := h.reports("2.3")
	if len(rs) != 2 || !rs[1].Withdrawn || rs[1].Supersedes != rs[0].ID || len(planbot.Effective(rs)) != 0 {
		t.Fatalf("2.3 after /undo: %+v", rs)
	}
	wants(t, "/undo", r.Text, fmt.Sprintf("↩️ 已撤回 2.3 的汇报（#%d）", rs[0].ID), "记录仍保留在历史中")

	echo := one(t, h.say(uMa, "2.5 进度30%"))
	pressed := h.pressText(uMa, echo.MessageID, "撤回这条")
	edit := one(t, pressed)
	if edit.Method != "editMessageText" || edit.MessageID != echo.MessageID || edit.Markup != nil {
		t.Errorf("undo button: %s", telegramtest.Describe(pressed))
	}
	wants(t, "undo button", edit.Text, "↩️ 已撤回 2.5 的汇报")
	rs = h.reports("2.5")
	if len(rs) != 2 || !rs[1].Withdrawn || rs[1].Supersedes != rs[0].ID {
		t.Fatalf("2.5 after the button: %+v", rs)
	}
	// The same button again (from the old keyboard): nothing more.
	wants(t, "undo twice", one(t, h.press(uMa, echo.MessageID, fmt.Sprintf("u:%d", rs[0].ID))).Text, "已经撤回")
	if n := len(h.reports("2.5")); n != 2 {
		t.Errorf("undo twice wrote %d rows", n)
	}
	item := one(t, h.say(uMa, "/item 2.5"))
	wants(t, "history", item.Text, fmt.Sprintf("<s>#%d 6月15日 09:00 马某某 进度 30%%</s>", rs[0].ID), fmt.Sprintf("#%d 6月15日 09:00 马某某 撤回了第 %d 条", rs[1].ID, rs[0].ID))
	wants(t, "nothing to undo", one(t, h.say(uMa, "撤回")).Text, "没有可以撤回的汇报")
}

// 7. Who may report what.
func TestE2EPermissions(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()

	// zhao_cun (东村) on 1.2, which is 西河村's and xu_nongye's.
	wants(t, "other village", one(t, h.say(uZhao, "1.2 进度50%")).Text, "1.2 不是您负责的事项（责任人：许某某、钱某某）")
	if n := len(h.reports("1.2")); n != 0 || !h.audited(uZhao.ID, "report_refused") {
		t.Errorf("refused report: %d rows, audited %v", n, h.audited(uZhao.ID, "report_refused"))
	}

	// A leader reports for the owner.
	wants(t, "on behalf", one(t, h.say(uChen, "2.1 进度30% 电话了解")).Text, "代 马某某 汇报", "进度 30%")
	if rs := h.reports("2.1"); len(rs) != 1 || rs[0].Reporter != "chen_fuzhen" || rs[0].OnBehalfOf != "ma_jingfa" {
		t.Errorf("2.1 reported by a leader: %+v", rs)
	}

	// Indicators are for leaders and admins.
	wants(t, "cadre value", one(t, h.say(uMa, "固定资产投资 累计3.2亿")).Text, "由党政办或分管领导填报")
	obs := func() []planbot.Observation {
		o, err := h.db.IndicatorObservations(h.ctx, "fixed_asset_investment")
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if n := len(obs()); n != 0 || !h.audited(uMa.ID, "value_refused") {
		t.Errorf("refused value: %d observations", n)
	}
	r := one(t, h.say(uChen, "固定资产投资 累计3.2亿"))
	wants(t, "leader value", r.Text, "✅ 已记录 <b>固定资产投资</b>：3.2亿元", "全年目标 6.5亿元")
	o := obs()
	if want, _ := planbot.ParseAmountIn("3.2", "亿元"); len(o) != 1 || o[0].Value != want || o[0].Reporter != "chen_fuzhen" {
		t.Fatalf("observations: %+v", o)
	}
	if got := button(t, r, "撤回这条"); got != fmt.Sprintf("uo:fixed_asset_investment:%d", o[0].ID) {
		t.Errorf("value undo button carries %q", got)
	}

	// A year-to-date figure that falls is confirmed first.
	ask := one(t, h.say(uChen, "固定资产投资 累计3.0亿"))
	wants(t, "decrease", ask.Text, "比上次 3.2亿元 还少", "数值没错吗？")
	if strings.Join(buttons(ask), " ") != "确认 修改" || len(obs()) != 1 {
		t.Fatalf("decrease: buttons %v, %d observations", buttons(ask), len(obs()))
	}
	wants(t, "confirmed", one(t, h.pressText(uChen, ask.MessageID, "确认")).Text, "✅ 已记录 <b>固定资产投资</b>：3亿元")
	if o = obs(); len(o) != 2 {
		t.Fatalf("after 确认: %+v", o)
	}
	ask = one(t, h.say(uChen, "固投 累计2.5亿"))
	wants(t, "修改", one(t, h.pressText(uChen, ask.MessageID, "修改")).Text, "请重新发送正确的数值")
	if n := len(obs()); n != 2 {
		t.Errorf("修改 recorded: %d observations", n)
	}
	wants(t, "/targets", one(t, h.say(uZhang, "/targets")).Text, "3亿元 / 6.5亿元")
}

// rawUpdate is an update as JSON for PushRaw: a text message from u in
// u's private chat. textJSON is the text as a JSON string literal, so a
// test can put in it what json.Marshal would never write (invalid UTF-8,
// lone surrogates). id 0 lets the fake number it.
func rawUpdate(id int, u telegramtest.User, messageID int, textJSON string) string {
	from, _ := json.Marshal(u)
	chat, _ := json.Marshal(telegramtest.PrivateChat(u))
	head := "{"
	if id != 0 {
		head = fmt.Sprintf(`{"update_id":%d,`, id)
	}
	return fmt.Sprintf(`%s"message":{"message_id":%d,"from":%s,"chat":%s,"date":%d,"text":%s}}`,
		head, messageID, from, chat, fixedNow.Unix(), textJSON)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// brokenConfig is the example with n more items, each wrong four ways.
func brokenConfig(tb testing.TB, path string, n int) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var bad strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&bad, "  - code: \"9.%d\"\n    section: \"9\"\n    title: 坏事项 <b>&amp;</b>\n    owners: [nobody_%d]\n    start: 2027-13-01\n    due: 2027-02-30\n", i, i)
	}
	text := strings.Replace(string(data), "\nitems:\n", "\nitems:\n"+bad.String(), 1)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
}

// 8. Hostile input never panics, and Telegram accepts every reply.
func TestE2EHostileInput(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()
	var seen []telegramtest.Call
	keep := func(calls []telegramtest.Call) []telegramtest.Call {
		seen = append(seen, calls...)
		return calls
	}

	// 10,000 characters (more than Telegram lets a user send): refused
	// politely, nothing recorded.
	r := one(t, keep(h.say(uMa, "2.3 进度60% "+strings.Repeat("很长的说明", 2000))))
	wants(t, "10,000 characters", r.Text, "消息太长")
	wants(t, "10,000 characters of chatter", one(t, keep(h.say(uMa, strings.Repeat("啊", 10000)))).Text, "消息太长")
	if n := h.allReports(); n != 0 {
		t.Errorf("a 10,000-character message recorded %d reports", n)
	}
	// 4,000: recorded whole, echoed clipped.
	long := "2.3 进度60% " + strings.Repeat("很长的说明", 798)
	r = one(t, keep(h.say(uMa, long)))
	wants(t, "long report", r.Text, "✅ 已记录 <b>2.3</b>", "说明：很长的说明", "…")
	if rs := h.reports("2.3"); len(rs) != 1 || len([]rune(rs[0].Note)) != 5*798 {
		t.Errorf("the long note was not kept whole: %d reports", len(rs))
	}
	wants(t, "long command", one(t, keep(h.say(uMa, "/"+strings.Repeat("x", 10000)))).Text, "不认识的命令")
	wants(t, "long item", one(t, keep(h.say(uMa, "/item "+strings.Repeat("<b>", 3400)))).Text, "没有编号为 &lt;b&gt;")

	// Markup in user text is shown as typed, never interpreted.
	typed := `<b>&amp;</b> <i>x</i> *粗* _斜_ [链接](http://x) ` + "`code`" + ` &lt; &#0; <a href="javascript:x">`
	r = one(t, keep(h.say(uMa, "2.5 进度20% "+typed)))
	if m, _ := h.srv.Message(uMa.ID, r.MessageID); !strings.Contains(m.Plain, "说明："+typed) {
		t.Errorf("the user sees %q, want the note as typed %q", m.Plain, typed)
	}
	if rs := h.reports("2.5"); len(rs) != 1 || rs[0].Note != typed {
		t.Errorf("2.5 note stored as %+v", rs)
	}
	r = one(t, keep(h.say(uMa, "/item 2.5")))
	if m, _ := h.srv.Message(uMa.ID, r.MessageID); !strings.Contains(m.Plain, "<b>&amp;</b> <i>x</i>") {
		t.Errorf("/item shows %q", m.Plain)
	}

	// Invalid UTF-8 and a lone surrogate (the client decodes both to U+FFFD).
	r = one(t, keep(h.do(func() int {
		return h.srv.PushRaw(rawUpdate(0, uMa, 901, `"2.4 进度10% `+"\xff\xfe坏\xc3\x28"+` \ud800 尾"`))
	})))
	wants(t, "invalid UTF-8", r.Text, "✅ 已记录 <b>2.4</b>", "进度 10%")
	if rs := h.reports("2.4"); len(rs) != 1 || !utf8.ValidString(rs[0].Note) {
		t.Errorf("2.4 after invalid UTF-8: %+v", rs)
	}

	// Buttons nobody made.
	for _, data := range []string{"u:abc", "uo:nosuch:1", "p:x:y", "plan:<b>", "zzz", "p:1:\xff", "u:-1"} {
		keep(h.press(uMa, r.MessageID, data))
	}

	// An anonymous group admin is not a person.
	group := telegramtest.SupergroupChat(-1001234567890, "镇干部群")
	r = one(t, keep(h.do(func() int { return h.srv.SendAnonymous(group, "/mine") })))
	wants(t, "anonymous admin", r.Text, "请以个人身份发送命令")
	if r.ChatID != group.ID {
		t.Errorf("answer to the anonymous admin went to %d", r.ChatID)
	}
	before := h.allReports()
	if calls := keep(h.do(func() int { return h.srv.SendAnonymous(group, "2.3 进度90%") })); len(calls) != 0 {
		t.Errorf("the bot answered an anonymous report: %s", telegramtest.Describe(calls))
	}
	if h.allReports() != before {
		t.Error("an anonymous admin's report was recorded")
	}
	// Group chatter is not for the bot; commands are.
	if calls := keep(h.sayIn(uMa, group, "今天下午三点开会")); len(calls) != 0 {
		t.Errorf("the bot answered group chatter: %s", telegramtest.Describe(calls))
	}
	wants(t, "command in a group", one(t, keep(h.sayIn(uMa, group, "/overdue@planbot_test_bot"))).Text, "您名下没有逾期事项")
	if calls := keep(h.sayIn(uStranger, group, "hello")); len(calls) != 0 {
		t.Errorf("the bot answered a stranger's chatter: %s", telegramtest.Describe(calls))
	}
	wants(t, "stranger's command in a group", one(t, keep(h.sayIn(uStranger, group, "/mine"))).Text, "请私聊")

	// A long error list is capped to one message, escaped, the rest left
	// to planbot check (issue 11): /reload with sixty problems.
	brokenConfig(t, h.cfgPath, 15)
	parts := keep(h.say(uZheng, "/reload"))
	if len(parts) != 1 {
		t.Fatalf("the error list came in %d message(s)", len(parts))
	}
	var all strings.Builder
	for _, p := range parts {
		if p.Method != "sendMessage" || p.Status != http.StatusOK {
			t.Errorf("part: %s", telegramtest.Describe([]telegramtest.Call{p}))
		}
		all.WriteString(p.Text + "\n")
	}
	wants(t, "/reload", parts[0].Text, "❌ 配置有错误，<b>仍按原配置运行</b>。共 60 处")
	wants(t, "/reload", all.String(), "nobody_1&#34;", "nobody_5&#34;", "2027-13-01", "另有 40 处问题，请在服务器上运行 planbot check 查看全部")
	if n := strings.Count(all.String(), "\n• "); n != 20 {
		t.Errorf("%d problems listed across %d parts, want the first 20", n, len(parts))
	}
	wants(t, "the old plan stays", one(t, keep(h.say(uZheng, "/plan"))).Text, "共 22 项")

	for _, c := range seen {
		if strings.Contains(c.Text, "系统出了点问题") {
			t.Errorf("the bot apologised for a failure: %s", telegramtest.Describe([]telegramtest.Call{c}))
		}
	}
}

// stopAfter stops polling once the n-th update has committed: the
// process dies between handling an update and asking Telegram for more.
type stopAfter struct {
	telegram.UpdateLog
	n, after int32
	stop     context.CancelFunc
}

func (s *stopAfter) HandleUpdate(ctx context.Context, id, next int, now time.Time, fn func(planbot.Tx) ([]planbot.OutboxMessage, error)) (bool, error) {
	done, err := s.UpdateLog.HandleUpdate(ctx, id, next, now, fn)
	if atomic.AddInt32(&s.n, 1) == s.after {
		s.stop()
	}
	return done, err
}

// HandleUpdates stops within a batch as the process would die between two
// commits: the updates before the n-th are committed as a batch of their
// own, the batch's call fails, and the poller, going one by one, finds
// its context ended.
func (s *stopAfter) HandleUpdates(ctx context.Context, batch []planbot.PolledUpdate) ([]planbot.PolledOutcome, error) {
	left := int(s.after - atomic.LoadInt32(&s.n))
	if left <= 0 || left >= len(batch) {
		out, err := s.UpdateLog.HandleUpdates(ctx, batch)
		if err == nil && atomic.AddInt32(&s.n, int32(len(batch))) == s.after {
			s.stop()
		}
		return out, err
	}
	if _, err := s.UpdateLog.HandleUpdates(ctx, batch[:left]); err != nil {
		return nil, err
	}
	atomic.AddInt32(&s.n, int32(left))
	s.stop()
	return nil, errors.New("stopped within the batch")
}

// 9. Each update is handled exactly once across a restart, and an update
// Telegram delivers again is not applied twice.
func TestE2EExactlyOnceAcrossRestart(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	id0 := telegramtest.DefaultFirstUpdateID
	texts := []string{"2.1 进度10%", "2.2 进度20%", "2.4 进度40%", "2.5 进度50%", "2.6 进度60%"}
	var raws []string
	for i, text := range texts {
		raws = append(raws, rawUpdate(id0+i, uMa, 100+i, jsonString(text)))
		h.srv.PushRaw(raws[i])
	}

	first := h.start(func(o *instanceOptions) {
		o.updates = func(u telegram.UpdateLog, stop context.CancelFunc) telegram.UpdateLog {
			return &stopAfter{UpdateLog: u, after: 3, stop: stop}
		}
	})
	if err := first.wait(t); err != nil {
		t.Fatalf("first instance: %v", err)
	}
	if n := h.allReports(); n != 3 {
		t.Fatalf("%d reports after the first instance, want 3", n)
	}
	if off, err := h.db.Offset(h.ctx); err != nil || off != id0+3 {
		t.Errorf("stored offset %d (%v), want %d", off, err, id0+3)
	}
	if h.srv.Offset() > id0 || h.srv.Pending() != 5 {
		t.Fatalf("Telegram was told of progress: offset %d, %d pending", h.srv.Offset(), h.srv.Pending())
	}

	// A new process on the same database file.
	h.db.Close()
	h.openDB()
	base := len(h.srv.Calls())
	h.start()
	calls := h.srv.WaitFor(t, waitLimit, func(calls []telegramtest.Call) bool { return h.settled(calls, id0+4) })
	for _, c := range calls[base:] {
		if c.Method == "getUpdates" {
			if got := c.Params.Get("offset"); got != fmt.Sprint(id0+3) || fmt.Sprint(c.UpdateIDs) != fmt.Sprint([]int{id0 + 3, id0 + 4}) {
				t.Errorf("after the restart the bot asked from offset %s and got %v", got, c.UpdateIDs)
			}
			break
		}
	}
	check := func(wantSent int) {
		t.Helper()
		for _, text := range texts {
			code := text[:3]
			rs := h.reports(code)
			if len(rs) != 1 || fmt.Sprintf("%s 进度%g%%", code, percentOf(rs[0])) != text {
				t.Errorf("%s: %d reports %+v, want exactly one: %s", code, len(rs), rs, text)
			}
		}
		sent := h.srv.Sent(uMa.ID)
		if len(sent) != wantSent {
			t.Errorf("%d replies, want %d:\n%s", len(sent), wantSent, telegramtest.Describe(sent))
		}
		for _, text := range texts {
			code := text[:3]
			n := 0
			for _, c := range sent {
				if strings.Contains(c.Text, "<b>"+code+"</b>") {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%d replies about %s, want 1", n, code)
			}
		}
	}
	check(5)

	// Telegram delivers updates 3 and 5 again, although the database
	// recorded them (as when the bot dies before its next getUpdates
	// confirms them): they are skipped, not applied twice.
	h.srv.WaitPolling(t, waitLimit)
	h.srv.PushRawBatch(raws[2], raws[4])
	wants(t, "after the redelivery", one(t, h.say(uMa, "/start")).Text, "您好")
	check(6)
	logs := h.logs.String()
	for _, id := range []int{id0 + 2, id0 + 4} {
		if !strings.Contains(logs, fmt.Sprintf(`msg="update already handled, skipped" update_id=%d`, id)) {
			t.Errorf("no log of update %d skipped:\n%s", id, logs)
		}
	}
	if off, _ := h.db.Offset(h.ctx); off != id0+6 {
		t.Errorf("stored offset %d, want %d", off, id0+6)
	}
}

// 10a. Another instance polling: Poll gives up with ErrConflict.
func TestE2EConflict(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.srv.Conflict(10)
	in := h.start(func(o *instanceOptions) { o.maxConflicts = 2 })
	if err := in.wait(t); !errors.Is(err, telegram.ErrConflict) {
		t.Fatalf("Poll = %v, want ErrConflict", err)
	}
	got := telegramtest.Filter(h.srv.Calls(), func(c telegramtest.Call) bool { return c.Method == "getUpdates" })
	if len(got) != 2 || got[0].Status != http.StatusConflict || got[1].Status != http.StatusConflict {
		t.Errorf("getUpdates calls:\n%s", telegramtest.Describe(got))
	}
	if n := strings.Count(h.logs.String(), "getUpdates conflict"); n != 2 {
		t.Errorf("%d conflict warnings logged, want 2", n)
	}
}

// 10b. 429 on one chat: that chat waits retry_after, in order; others go on.
func TestE2ERateLimited(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.srv.FailNext("sendMessage", 1, telegramtest.Fault{RetryAfter: 1, ChatID: uMa.ID})
	h.start()
	h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "/start")
	h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "/help")
	h.srv.SendText(uZhao, telegramtest.PrivateChat(uZhao), "/start")
	calls := h.srv.WaitFor(t, waitLimit, func(calls []telegramtest.Call) bool {
		return len(telegramtest.SentTo(calls, uMa.ID)) == 2 && len(telegramtest.SentTo(calls, uZhao.ID)) == 1
	})
	sends := telegramtest.Filter(calls, func(c telegramtest.Call) bool { return c.Method == "sendMessage" })
	var order []string
	for _, c := range sends {
		who := "ma"
		if c.ChatID == uZhao.ID {
			who = "zhao"
		}
		order = append(order, fmt.Sprintf("%s:%d", who, c.Status))
	}
	if strings.Join(order, " ") != "ma:429 zhao:200 ma:200 ma:200" {
		t.Errorf("sends: %v, want ma:429 zhao:200 ma:200 ma:200", order)
	}
	if len(sends) == 4 {
		if sends[0].RetryAfter != 1 || !strings.Contains(sends[2].Text, "您好") || !strings.Contains(sends[3].Text, "工作计划督办助手") {
			t.Errorf("ma's messages out of order:\n%s", telegramtest.Describe(sends))
		}
	}
	if times := h.srv.SendTimes(uMa.ID); len(times) != 3 || times[1].Sub(times[0]) < time.Second {
		t.Errorf("ma's sends at %v: the retry came before retry_after", times)
	}
}

// 10c. 403: the chat blocked the bot; its messages fail, none is retried.
func TestE2EBlockedChat(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.srv.BlockChat(uZhao.ID)
	h.srv.SendText(uZhao, telegramtest.PrivateChat(uZhao), "/start")
	h.srv.SendText(uZhao, telegramtest.PrivateChat(uZhao), "/help")
	h.start()
	h.srv.WaitConfirmed(t, telegramtest.DefaultFirstUpdateID+1, waitLimit)
	h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "/start")
	h.srv.WaitSent(t, uMa.ID, 1, waitLimit)

	// Usually both replies are queued when the first is refused, and
	// FailChat fails both; if the sender raced ahead of the second update,
	// that one is tried once too. Never more than once each.
	toZhao := telegramtest.Filter(h.srv.Calls(), func(c telegramtest.Call) bool { return c.ChatID == uZhao.ID && c.Method == "sendMessage" })
	if len(toZhao) < 1 || len(toZhao) > 2 {
		t.Errorf("sends to the blocked chat:\n%s", telegramtest.Describe(toZhao))
	}
	for _, c := range toZhao {
		if c.Status != http.StatusForbidden {
			t.Errorf("send to the blocked chat: %s", telegramtest.Describe([]telegramtest.Call{c}))
		}
	}
	failed, err := h.db.FailedMessages(h.ctx, fixedNow.Add(-time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 2 {
		t.Fatalf("%d failed messages, want both of zhao_cun's: %+v", len(failed), failed)
	}
	for _, m := range failed {
		if m.ChatID != tgChat(uZhao.ID) || m.Status != storage.OutboxFailed || m.Attempts > 1 ||
			!strings.Contains(m.LastError, "403 Forbidden: bot was blocked by the user") {
			t.Errorf("failed message: chat %s, %s after %d attempts, %q", m.ChatID, m.Status, m.Attempts, m.LastError)
		}
	}
	counts, _ := h.db.OutboxCounts(h.ctx)
	if counts[storage.OutboxPending] != 0 {
		t.Errorf("messages left to retry: %v", counts)
	}
}

// 10d. A dropped connection while polling: the loop recovers, and the
// token is in no log line (finish checks that for every test; here the
// error that would carry it is logged, redacted).
func TestE2EDroppedConnection(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()
	h.srv.WaitPolling(t, waitLimit)
	h.srv.SetDown(telegramtest.Refuse)
	h.srv.WaitFor(t, waitLimit, func(calls []telegramtest.Call) bool {
		return len(telegramtest.Filter(calls, func(c telegramtest.Call) bool { return c.Method == "getUpdates" && c.Status == 0 })) > 0
	})
	h.srv.SetDown(telegramtest.Up)
	wants(t, "after the outage", one(t, h.say(uMa, "/start")).Text, "您好")
	wants(t, "logs", h.logs.String(), `msg="getUpdates failed"`, "/bot<token>/getUpdates")
}

// 10e. A send whose connection drops after Telegram delivered it is sent
// again: a rare duplicate is preferred to a lost message (see Sender).
func TestE2ESendDroppedAfterDelivery(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.srv.FailNext("sendMessage", 1, telegramtest.Fault{Drop: true, Delivered: true})
	h.start()
	h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "/start")
	sent := h.srv.WaitSent(t, uMa.ID, 2, waitLimit)
	if sent[0].Status != 0 || sent[1].Status != http.StatusOK || sent[0].Text != sent[1].Text {
		t.Errorf("want the greeting delivered, dropped, and sent again:\n%s", telegramtest.Describe(sent))
	}
	wants(t, "logs", h.logs.String(), "send failed without an answer; will retry", "/bot<token>/sendMessage")
}

// 10f. A group upgraded to a supergroup (400 with migrate_to_chat_id):
// the reply in hand and the ones queued behind it go to the supergroup,
// in order, and nothing is left in flight.
func TestE2EGroupMigrated(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	group := telegramtest.GroupChat(-4001, "镇干部群")
	const super = -1001234504001
	h.srv.KnownChat(group)
	h.srv.MigrateChat(group.ID, super)
	h.start()
	h.srv.SendText(uMa, group, "/overdue")
	h.srv.SendText(uMa, group, "/targets")
	sent := h.srv.WaitSent(t, super, 2, waitLimit)
	if !strings.Contains(sent[0].Text, "您名下没有逾期事项") || !strings.Contains(sent[1].Text, "重点指标") {
		t.Errorf("in the supergroup:\n%s", telegramtest.Describe(sent))
	}
	for _, c := range telegramtest.Filter(h.srv.Calls(), func(c telegramtest.Call) bool { return c.ChatID == group.ID && c.Method == "sendMessage" }) {
		if c.Status != http.StatusBadRequest || !strings.Contains(c.Description, "upgraded") {
			t.Errorf("send to the old group: %s", telegramtest.Describe([]telegramtest.Call{c}))
		}
	}
}

// The outbox keeps whole seconds: a reply stamped 09:00:00.5 must be due
// at once, not at 09:00:01. With the sender's clock frozen at half past
// the second, a reply due "next second" would never go.
func TestE2EReplyIsDueAtOnce(t *testing.T) {
	t.Parallel()
	frozen := fixedNow.Add(500 * time.Millisecond)
	h := newE2E(t, func() time.Time { return frozen })
	h.start()
	wants(t, "greeting", one(t, h.say(uMa, "/start")).Text, "您好")
}

// The real entry point: `planbot run -config …` against the fake.
func TestE2ERunCommand(t *testing.T) {
	t.Parallel()
	clock := shiftedClock()
	srv := telegramtest.New(t, telegramtest.WithClock(clock))
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "bot.db")
	cfgPath := writeConfig(t, dir, srv.Endpoint(), dbPath)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	newEnv := func(stderr *syncBuffer) *env {
		return &env{ctx: ctx, stdout: io.Discard, stderr: stderr, now: clock,
			getenv: func(k string) string {
				if k == config.DefaultTokenEnv {
					return srv.Token()
				}
				return ""
			}}
	}
	var stderr syncBuffer
	code := make(chan int, 1)
	go func() { code <- run([]string{"run", "-config", cfgPath}, newEnv(&stderr)) }()
	srv.WaitPolling(t, waitLimit)

	for _, m := range []string{"deleteWebhook", "setMyCommands"} {
		if c := srv.CallsTo(m); len(c) != 1 || c[0].Status != http.StatusOK {
			t.Errorf("%s at start: %s", m, telegramtest.Describe(c))
		}
	}
	// A second instance on the same database is refused by the lock.
	var stderr2 syncBuffer
	if got := run([]string{"run", "-config", cfgPath}, newEnv(&stderr2)); got != exitFail || !strings.Contains(stderr2.String(), "already running") {
		t.Errorf("second instance = %d: %s", got, stderr2.String())
	}

	srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度60% 已与XX酒店签约")
	r := srv.WaitSent(t, uMa.ID, 1, waitLimit)[0]
	wants(t, "report echo", r.Text, "✅ 已记录 <b>2.3</b>", "说明：已与XX酒店签约")
	if _, ok := r.Markup.Find("撤回这条"); !ok {
		t.Errorf("no undo button: %v", buttons(r))
	}
	srv.SendText(uStranger, telegramtest.PrivateChat(uStranger), "/start")
	wants(t, "refusal", srv.WaitSent(t, uStranger.ID, 1, waitLimit)[0].Text, "<code>555000111</code>")

	cancel()
	select {
	case c := <-code:
		if c != exitOK {
			t.Errorf("run = %d\n%s", c, stderr.String())
		}
	case <-time.After(waitLimit):
		t.Fatal("run did not stop when its context ended")
	}
	out := stderr.String()
	wants(t, "run's log", out, "planbot is running", "planbot stopped")
	token := srv.Token()
	if strings.Contains(out, token[strings.IndexByte(token, ':')+1:]) || strings.Contains(stderr2.String(), token) {
		t.Errorf("the token is in run's output:\n%s", out)
	}

	db, err := storage.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.ItemReports(context.Background(), "2.3")
	if err != nil || len(rs) != 1 || rs[0].Note != "已与XX酒店签约" || rs[0].Reporter != "ma_jingfa" {
		t.Errorf("2.3 in the database: %+v, %v", rs, err)
	}
	if counts, _ := db.OutboxCounts(context.Background()); counts[storage.OutboxSent] != 2 || counts[storage.OutboxPending] != 0 {
		t.Errorf("outbox after run: %v", counts)
	}
}

// countSent signals when the sender has recorded want messages delivered.
type countSent struct {
	delivery.Outbox
	n    atomic.Int64
	want int64
	done chan struct{}
}

func (c *countSent) ClaimBatchAfter(ctx context.Context, platform string, now time.Time, n, perLane int, skip func(planbot.ChatID) bool, delivered []planbot.Delivered) ([]planbot.OutboxMessage, error) {
	out, err := c.Outbox.ClaimBatchAfter(ctx, platform, now, n, perLane, skip, delivered)
	if err == nil {
		if k := int64(len(delivered)); k > 0 && c.n.Add(k) >= c.want && c.n.Load()-k < c.want {
			close(c.done)
		}
	}
	return out, err
}

// BenchmarkInboundReport is the whole inbound path of a report: the fake
// Bot API's getUpdates → parse → one SQLite transaction (HandleUpdate:
// the report, its reply into the outbox, the update and offset) → the
// sender delivers the reply to the fake. Cadres report on their items;
// Telegram's pacing (1 message/s per chat, 30/s overall) is off,
// since it would measure only itself. Compare with
// storage.BenchmarkHandleUpdate and storage.BenchmarkRawInsert.
func BenchmarkInboundReport(b *testing.B) {
	h := newE2E(b, nil)
	counter := &countSent{want: int64(b.N), done: make(chan struct{})}
	h.start(func(o *instanceOptions) {
		o.outbox = func(ob delivery.Outbox) delivery.Outbox {
			counter.Outbox = ob
			return counter
		}
	})
	h.srv.WaitPolling(b, waitLimit)
	// The reports BenchmarkInboundPeer sends: the example's items, each by
	// its first owner, percentages that never fall (a lower one is
	// questioned, not recorded).
	reports := exampleReports(b, b.N)
	b.ResetTimer()
	for _, r := range reports {
		h.srv.SendText(r.from, telegramtest.PrivateChat(r.from), r.text)
	}
	select {
	case <-counter.done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("%d of %d replies delivered", counter.n.Load(), b.N)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
	if n := h.allReports(); n != b.N {
		b.Fatalf("%d reports recorded, want %d", n, b.N)
	}
}
