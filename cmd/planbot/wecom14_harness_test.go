package main

// The WeCom end-to-end harness (issue 14): the app `planbot run` serves,
// built as e2e_test.go's start() builds it, but from a configuration with
// the wecom: section enabled and pointed at the fake WeCom
// (wecom/wecomtest): the AI bot's long connection over a real WebSocket,
// the group robots' webhook over HTTP. With telegram set, the fake Bot API
// serves beside it, as an office running both would.
//
// No wait sleeps: each wait is re-evaluated on a signal (an event handled
// by a receiver, an outbox row settled by a sender), its timeout only a
// guard that fails the test.

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"planbot"
	"planbot/config"
	"planbot/delivery"
	"planbot/storage"
	"planbot/telegram/telegramtest"
	"planbot/wecom/wecomtest"
)

// The fake WeCom's bot, as the test configuration names it.
const (
	wcBotID    = "aibPlanbotE2E"
	wcSecret   = "wecom-e2e-secret-7f3a9c"
	wcBotName  = "督办助手"
	wcRobotKey = "e2e-robot-key-leaders-5d1c"
)

// The example's people on WeCom, as wc14Config gives them ids.
const (
	wcZhang    = "zhangshuji" // zhang_shuji, principal leader: Telegram 100000001 and WeCom
	wcMa       = "MaJingFa"   // ma_jingfa, cadre owning 2.x: WeCom only
	wcXu       = "xunongye"   // xu_nongye, cadre owning 3.2 (overdue): WeCom only
	wcZhao     = "zhaocun"    // zhao_cun, cadre: Telegram 100000008 and WeCom, prefer: telegram
	wcQian     = "qiancun"    // qian_cun, cadre: Telegram 100000009 and WeCom, no preference
	wcSun      = "sunnanling" // sun_cun, cadre with only an invite code in the YAML
	wcStranger = "wangwu"     // on nobody's list
)

// wc14Config is the example configuration with its commented wecom:
// block enabled (the bot above, the fake's addresses, the robot
// "leaders"), WeCom ids for the people above, the weekly digest also to
// robot:leaders, and no catch-up of missed reminders; endpoint, if not
// "", is the Bot API's. extra replacements (old, new) follow; each old
// string must be in the text.
func wc14Config(tb testing.TB, dir string, fake *wecomtest.Server, endpoint, db string, extra ...[2]string) string {
	tb.Helper()
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	text := string(data)
	replace := func(old, new string) {
		tb.Helper()
		if !strings.Contains(text, old) {
			tb.Fatalf("the example config no longer has %q", old)
		}
		text = strings.Replace(text, old, new, 1)
	}
	// Uncomment the wecom: block: from "# wecom:" to its last line.
	const first, last = "\n# wecom:\n", "#       per_minute: 20\n"
	i := strings.Index(text, first)
	j := strings.Index(text[max(i, 0):], last)
	if i < 0 || j < 0 {
		tb.Fatal("the example config no longer has its commented wecom: block")
	}
	block := text[i+1 : i+j+len(last)]
	var on strings.Builder
	for _, line := range strings.SplitAfter(block, "\n") {
		on.WriteString(strings.TrimPrefix(line, "# "))
	}
	enabled := on.String()
	for _, r := range [][2]string{
		{"bot_id: aibXXXXXXXXXXXXXXXX", "bot_id: " + wcBotID},
		{"name: 督办助手", "name: " + wcBotName},
		{`webhook_url: ""`, fmt.Sprintf("webhook_url: %q", fake.WebhookURL())},
		{`  url: ""`, fmt.Sprintf("  url: %q", fake.URL())},
	} {
		if !strings.Contains(enabled, r[0]) {
			tb.Fatalf("the example's wecom: block no longer has %q:\n%s", r[0], enabled)
		}
		enabled = strings.Replace(enabled, r[0], r[1], 1)
	}
	text = text[:i+1] + enabled + text[i+j+len(last):]

	if endpoint != "" {
		replace(`api_endpoint: ""`, fmt.Sprintf("api_endpoint: %q", endpoint))
	}
	replace("database: planbot.db", fmt.Sprintf("database: %q", db))
	replace("catch_up_window: 6h", "catch_up_window: 0s")
	replace("    telegram_id: 100000001\n", "    telegram_id: 100000001\n    wecom_id: "+wcZhang+"\n")
	replace("    telegram_id: 100000010\n", "    wecom_id: "+wcMa+"\n")
	replace("    telegram_id: 100000011\n", "    wecom_id: "+wcXu+"\n")
	replace("    telegram_id: 100000008\n", "    telegram_id: 100000008\n    wecom_id: "+wcZhao+"\n    prefer: telegram\n")
	replace("    telegram_id: 100000009\n", "    telegram_id: 100000009\n    wecom_id: "+wcQian+"\n")
	replace(`    to: ["role:leader"]`, `    to: ["role:leader", "robot:leaders"]`)
	for _, r := range extra {
		replace(r[0], r[1])
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// wc14Signal is a signal: every notify wakes whoever waits on the channel
// taken before it.
type wc14Signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func newWC14Signal() *wc14Signal { return &wc14Signal{ch: make(chan struct{})} }

func (c *wc14Signal) notify() {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.ch)
	c.ch = make(chan struct{})
}

func (c *wc14Signal) next() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ch
}

// wc14Outbox tells the harness each time a sender settled a row
// (sent, to retry, failed): the moment a wait on the outbox can end.
type wc14Outbox struct {
	delivery.Outbox
	sig *wc14Signal
}

func (o *wc14Outbox) ClaimBatchAfter(ctx context.Context, platform string, now time.Time, n, perLane int, skip func(planbot.ChatID) bool, delivered []planbot.Delivered) ([]planbot.OutboxMessage, error) {
	if len(delivered) > 0 {
		defer o.sig.notify()
	}
	return o.Outbox.ClaimBatchAfter(ctx, platform, now, n, perLane, skip, delivered)
}

func (o *wc14Outbox) MarkRetry(ctx context.Context, id int64, next time.Time, errText string) error {
	defer o.sig.notify()
	return o.Outbox.MarkRetry(ctx, id, next, errText)
}

func (o *wc14Outbox) MarkFailed(ctx context.Context, id int64, errText string, now time.Time) error {
	defer o.sig.notify()
	return o.Outbox.MarkFailed(ctx, id, errText, now)
}

func (o *wc14Outbox) FailChat(ctx context.Context, chat planbot.ChatID, errText string, now time.Time) (int, error) {
	defer o.sig.notify()
	return o.Outbox.FailChat(ctx, chat, errText, now)
}

// WatchCommits keeps the sender's watch for other processes' commits, as
// on the unwrapped database.
func (o *wc14Outbox) WatchCommits(ctx context.Context, interval time.Duration, changed func()) error {
	if w, ok := o.Outbox.(delivery.CommitWatcher); ok {
		return w.WatchCommits(ctx, interval, changed)
	}
	<-ctx.Done()
	return nil
}

// wc14E2E is one fake WeCom (and, with telegram, one fake Bot API), one
// database file and the app serving them.
type wc14E2E struct {
	t       testing.TB
	ctx     context.Context
	fake    *wecomtest.Server
	tg      *telegramtest.Server // nil: WeCom only, no Telegram token
	path    string
	cfgPath string
	cfg     *config.Config
	db      *storage.DB
	probe   *sql.DB // reads what storage has no accessor for
	logs    *syncBuffer
	log     *slog.Logger
	clock   func() time.Time
	sig     *wc14Signal
	inst    *instance
	// refusals are error codes WeCom may answer a frame with in this
	// test; any other refusal fails it. failing allows rows to WeCom to
	// fail (for good), which otherwise fails the test.
	refusals map[int]bool
	failing  bool
	skipped  atomic.Int64 // advance's total, added to the clock
}

// advance moves the clock (the fakes', the senders', the reminders') d
// ahead: two messages a minute apart are seen in that order, whatever
// the second they are sent in.
func (h *wc14E2E) advance(d time.Duration) { h.skipped.Add(int64(d)) }

// newWC14E2E starts the fake WeCom, its clock the test's (fixedNow at
// real speed, moved on by advance), with the robot "leaders", and, if
// telegram, the fake Bot API; writes wc14Config and opens a database
// synced with its plan. start runs the app.
func newWC14E2E(tb testing.TB, telegram bool, fakeOpts ...wecomtest.Option) *wc14E2E {
	tb.Helper()
	dir := tb.TempDir()
	logs := &syncBuffer{}
	h := &wc14E2E{t: tb, ctx: context.Background(), path: filepath.Join(dir, "planbot.db"), logs: logs,
		log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		sig: newWC14Signal(), refusals: map[int]bool{}}
	began := time.Now()
	h.clock = func() time.Time { return fixedNow.Add(time.Since(began) + time.Duration(h.skipped.Load())) }
	h.fake = wecomtest.New(tb, append([]wecomtest.Option{wecomtest.WithBot(wcBotID, wcSecret, wcBotName),
		wecomtest.WithClock(h.clock), wecomtest.WithRobots(wcRobotKey)}, fakeOpts...)...)
	endpoint := ""
	if telegram {
		h.tg = telegramtest.New(tb, telegramtest.WithClock(h.clock))
		endpoint = h.tg.Endpoint()
	}
	h.cfgPath = wc14Config(tb, dir, h.fake, endpoint, h.path)
	cfg, err := config.Load(h.cfgPath)
	if err != nil {
		tb.Fatalf("load the WeCom test config: %v", err)
	}
	if cfg.WeCom == nil || cfg.WeCom.URL != h.fake.URL() || len(cfg.WeCom.Robots) != 1 {
		tb.Fatalf("the config's wecom: section is %+v", cfg.WeCom)
	}
	h.cfg = cfg
	db, err := storage.Open(h.ctx, h.path, textLimits()...)
	if err != nil {
		tb.Fatalf("open database: %v", err)
	}
	if _, err := db.SyncPlan(h.ctx, cfg.Plan, fixedNow); err != nil {
		db.Close()
		tb.Fatalf("sync plan: %v", err)
	}
	h.db = db
	if h.probe, err = sql.Open("sqlite3", "file:"+h.path+"?_busy_timeout=10000"); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(h.finish)
	return h
}

// start runs the app on the database: WeCom's AI bot (the fake's secret)
// and group robot (its key), Telegram if the harness has it; the
// conversation's clock fixed at fixedNow, the senders', the reminders'
// and the fakes' the test's clock; the reminders' cron off (the tests fire jobs through the
// app's Scheduler); no pacing, so a scripted conversation takes no
// minute (the fake still counts 30 a minute per chat: finish checks no
// frame was refused). It returns once the AI bot is subscribed.
func (h *wc14E2E) start() *instance {
	h.t.Helper()
	cfg := *h.cfg
	now := fixedNow
	subscribed := h.fake.Subscribed()
	a := &app{env: &env{now: func() time.Time { return now }, log: h.log}, Config: &cfg, ConfigPath: h.cfgPath,
		WeComSecret: wcSecret, WeComRobotKeys: map[string]string{"leaders": wcRobotKey},
		PollTimeout: 10 * time.Second, Clock: h.clock, DB: h.db, NoReminders: true,
		WrapOutbox: func(o delivery.Outbox) delivery.Outbox { return &wc14Outbox{Outbox: o, sig: h.sig} },
		Pace: func(_ string, l delivery.Limits) delivery.Limits {
			l.PerChat, l.PerGroup, l.Gap = 0, 0, 0
			return l
		}}
	if h.tg != nil {
		cfg.Bot.APIEndpoint = h.tg.Endpoint()
		a.Token = h.tg.Token()
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := a.Open(ctx); err != nil {
		cancel()
		a.Close()
		h.t.Fatalf("open the app: %v", err)
	}
	if a.WeCom == nil || (h.tg == nil) != (a.Telegram == nil) {
		cancel()
		a.Close()
		h.t.Fatalf("the app serves %v; want WeCom (and Telegram: %v)", a.platforms(), h.tg != nil)
	}
	for _, on := range []*func(){&a.WeCom.OnHandled, wc14TelegramOnHandled(a)} {
		if on == nil {
			continue
		}
		prev := *on
		*on = func() {
			if prev != nil {
				prev()
			}
			h.sig.notify()
		}
	}
	in := &instance{app: a, cancel: cancel, done: make(chan error, 1)}
	go func() { in.done <- a.Run(ctx) }()
	h.inst = in
	h.fake.WaitSubscribed(h.t, subscribed+1, waitLimit)
	return in
}

func wc14TelegramOnHandled(a *app) *func() {
	if a.Telegram == nil {
		return nil
	}
	return &a.Telegram.OnHandled
}

// finish stops the app and checks what must hold in every test: WeCom
// refused no frame and no webhook request (beyond the injected ones),
// the per-chat limits were kept, no secret is in the log, nothing
// panicked, and no row to WeCom failed.
func (h *wc14E2E) finish() {
	if h.inst != nil {
		h.inst.stop()
	}
	defer func() {
		if h.probe != nil {
			h.probe.Close()
		}
		if h.db != nil {
			h.db.Close()
		}
	}()
	for _, f := range h.fake.Frames() {
		if f.Errcode != 0 && !h.refusals[f.Errcode] {
			h.t.Errorf("WeCom refused a %s frame: %d %s\n%s", f.Cmd, f.Errcode, f.Errmsg, clipText(string(f.Body), 300))
		}
	}
	for _, k := range h.fake.Hooks() {
		if k.Errcode != 0 && !h.refusals[k.Errcode] {
			h.t.Errorf("the group robot refused a %s message: %d %s", k.MsgType, k.Errcode, k.Errmsg)
		}
	}
	if v := h.fake.Violations(); v != 0 {
		h.t.Errorf("%d frames over WeCom's rate limits", v)
	}
	logs := h.logs.String()
	for _, secret := range []string{wcSecret, wcRobotKey} {
		if strings.Contains(logs, secret) {
			h.t.Errorf("a log line holds the secret %q", secret)
		}
	}
	if strings.Contains(logs, "panic") {
		h.t.Errorf("a handler panicked:\n%s", logs)
	}
	var failed []string
	if err := h.probeRows(&failed, `SELECT chat_id || ': ' || last_error FROM outbox
		WHERE status IN ('failed', 'uncertain') AND (chat_id LIKE 'wecom:%' OR chat_id LIKE 'wecomhook:%')`); err == nil && len(failed) > 0 && !h.failing {
		h.t.Errorf("messages to WeCom failed:\n%s", strings.Join(failed, "\n"))
	}
	if h.t.Failed() {
		h.t.Logf("log:\n%s", clipText(logs, 20000))
	}
}

func (h *wc14E2E) probeRows(out *[]string, query string, args ...any) error {
	rows, err := h.probe.QueryContext(h.ctx, query, args...)
	if err != nil {
		h.t.Errorf("probe %q: %v", query, err)
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		*out = append(*out, s)
	}
	return rows.Err()
}

// waitFor waits until cond holds, re-evaluating it after each event a
// receiver handled and each row a sender settled.
func (h *wc14E2E) waitFor(what string, cond func() bool) {
	h.t.Helper()
	guard := time.NewTimer(waitLimit)
	defer guard.Stop()
	for {
		next := h.sig.next()
		if cond() {
			return
		}
		select {
		case <-next:
		case <-guard.C:
			h.t.Fatalf("%s: not within %v\nframes:\n%s", what, waitLimit, wecomtest.Describe(h.fake.Frames()))
		}
	}
}

// handled says whether the WeCom event (a msgid) has been handled.
func (h *wc14E2E) handled(msgid string) bool {
	var done bool
	err := h.probe.QueryRowContext(h.ctx, `SELECT handled_at IS NOT NULL FROM inbound_events WHERE platform = 'wecom' AND event_id = ?`, msgid).Scan(&done)
	return err == nil && done
}

// drained says whether every row to the platforms served is settled
// (none pending or in flight). A row to Telegram where Telegram is not
// served waits forever and does not count.
func (h *wc14E2E) drained() bool {
	like := "(chat_id LIKE 'wecom:%' OR chat_id LIKE 'wecomhook:%'"
	if h.tg != nil {
		like += " OR chat_id LIKE 'telegram:%'"
	}
	var n int
	err := h.probe.QueryRowContext(h.ctx, `SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending') AND `+like+")").Scan(&n)
	return err == nil && n == 0
}

// do pushes one callback with push (which returns its msgid), waits until
// it is handled and every row queued is sent, and returns the frames
// WeCom accepted meanwhile.
func (h *wc14E2E) do(push func() string) []wecomtest.Sent {
	h.t.Helper()
	base := len(h.fake.Sent())
	id := push()
	h.waitFor("WeCom event "+id+" handled and its replies sent", func() bool { return h.handled(id) && h.drained() })
	return h.fake.Sent()[base:]
}

// say is text from userid in their private chat with the bot.
func (h *wc14E2E) say(userid, text string) []wecomtest.Sent {
	h.t.Helper()
	return h.do(func() string { return h.fake.SendText(userid, text) })
}

// sayIn is text userid wrote in group chatid, @-ing the bot.
func (h *wc14E2E) sayIn(chatid, userid, text string) []wecomtest.Sent {
	h.t.Helper()
	return h.do(func() string { return h.fake.SendGroupText(chatid, userid, text) })
}

// click presses the button key of the card taskID.
func (h *wc14E2E) click(userid string, b wc14Button) []wecomtest.Sent {
	h.t.Helper()
	return h.do(func() string { return h.fake.Click(userid, b.TaskID, b.Key) })
}

// pushText pushes a text callback as SendText does, but with a msgid of
// the test's, and returns the req_id WeCom gave it: to check that the
// answer is a reply to this very callback.
func (h *wc14E2E) pushText(userid, msgid, text string) (reqID string) {
	h.t.Helper()
	body := fmt.Sprintf(`{"msgid":%q,"aibotid":%q,"chattype":"single","from":{"userid":%q},"create_time":%d,"msgtype":"text","text":{"content":%q}}`,
		msgid, wcBotID, userid, h.clock().Unix(), text)
	return h.fake.PushRaw(wecomtest.CmdMsgCallback, body)
}

// wc14Texts are the frames that carry words (a reply's stream, a pushed
// markdown), in order.
func wc14Texts(sent []wecomtest.Sent) []wecomtest.Sent {
	var out []wecomtest.Sent
	for _, s := range sent {
		if s.MsgType == "stream" || s.MsgType == "markdown" {
			out = append(out, s)
		}
	}
	return out
}

// wc14OneText is the single frame with words among sent.
func wc14OneText(tb testing.TB, sent []wecomtest.Sent) wecomtest.Sent {
	tb.Helper()
	texts := wc14Texts(sent)
	if len(texts) != 1 {
		tb.Fatalf("want one message with words, got %d:\n%s", len(texts), wc14Describe(sent))
	}
	return texts[0]
}

// wc14Button is a button of a card the bot sent.
type wc14Button struct {
	TaskID, Key, Text string
}

// wc14Buttons lists the buttons of the cards among sent, in order.
func wc14Buttons(sent []wecomtest.Sent) []wc14Button {
	var out []wc14Button
	for _, s := range sent {
		if s.Card == nil {
			continue
		}
		for _, b := range s.Card.Buttons {
			out = append(out, wc14Button{TaskID: s.Card.TaskID, Key: b.Key, Text: b.Text})
		}
	}
	return out
}

// wc14ButtonTexts is the labels of wc14Buttons(sent), space-separated.
func wc14ButtonTexts(sent []wecomtest.Sent) string {
	var out []string
	for _, b := range wc14Buttons(sent) {
		out = append(out, b.Text)
	}
	return strings.Join(out, " ")
}

// wc14ButtonLabelled is the button whose label starts with label.
func wc14ButtonLabelled(tb testing.TB, sent []wecomtest.Sent, label string) wc14Button {
	tb.Helper()
	for _, b := range wc14Buttons(sent) {
		if strings.HasPrefix(b.Text, label) {
			return b
		}
	}
	tb.Fatalf("no button %q on the cards; buttons: %s\n%s", label, wc14ButtonTexts(sent), wc14Describe(sent))
	return wc14Button{}
}

// wc14Describe formats frames for failure messages.
func wc14Describe(sent []wecomtest.Sent) string {
	var b strings.Builder
	for i, s := range sent {
		fmt.Fprintf(&b, "  #%d conn=%d %s %s to %s (%s) reply_to=%q", i, s.Conn, s.Cmd, s.MsgType, s.ChatID, s.ChatType, s.ReplyTo)
		if s.Content != "" {
			fmt.Fprintf(&b, " %q", clipText(s.Content, 200))
		}
		if s.Card != nil {
			fmt.Fprintf(&b, " card %s %q %d buttons", s.Card.TaskID, s.Card.Title, len(s.Card.Buttons))
		}
		if s.Media != nil {
			fmt.Fprintf(&b, " %s %q %d bytes", s.Media.Type, s.Media.Name, len(s.Media.Data))
		}
		b.WriteString("\n")
	}
	if b.Len() == 0 {
		return "  (none)\n"
	}
	return b.String()
}

// reports is the item's history in the database, oldest first.
func (h *wc14E2E) reports(code string) []planbot.Report {
	h.t.Helper()
	rs, err := h.db.ItemReports(h.ctx, code)
	if err != nil {
		h.t.Fatalf("reports of %s: %v", code, err)
	}
	return rs
}

// runJob fires the plan's reminder name, as scheduled at when (in the
// plan's zone, "2027-06-15 09:00"), through the
// running app's Scheduler (as cron would), and returns what it queued.
func (h *wc14E2E) runJob(name, when string) []planbot.OutboxMessage {
	h.t.Helper()
	for _, r := range h.inst.app.Bot.Plan().Reminders {
		if r.Name == name {
			ran, msgs, err := h.inst.app.Scheduler.Run(h.ctx, r, at(when))
			if err != nil || !ran {
				h.t.Fatalf("run %s at %s: ran %v, %v", name, when, ran, err)
			}
			return msgs
		}
	}
	h.t.Fatalf("no reminder %s in the plan", name)
	return nil
}

// wc14Chats lists the chats among msgs, with how many rows each got.
func wc14Chats(msgs []planbot.OutboxMessage) map[planbot.ChatID]int {
	out := map[planbot.ChatID]int{}
	for _, m := range msgs {
		out[m.ChatID]++
	}
	return out
}
