//go:build unix

package main

// The real `planbot` binary on WeCom only (issue 14): `planbot run` with a
// wecom: section and no Telegram token, its secret and the group robot's
// key in the environment, against the fake WeCom in this process. The
// first test serves the quick start's conversation, a reminder and the
// weekly digest; the second kills the process with SIGKILL in the middle
// of a burst of reports and checks, after a restart, that every message
// was answered once and recorded once, the reminder queued meanwhile
// delivered, and at most the message in flight at the kill doubled.

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"planbot"
	"planbot/wecom/wecomtest"
)

// wc14Guard bounds each wait on the binary; a healthy step takes well
// under a second.
const wc14Guard = 30 * time.Second

// wc14FastSends scales WeCom's send limits up (wc14Config replacements):
// 200 a second, 600 a minute to a chat and to the robot. The fake's
// per-chat limit is raised to match (WithChatLimit); its webhook keeps
// the documented 20 a minute, which a test here stays under.
var wc14FastSends = [][2]string{
	{"    per_second: 10\n", "    per_second: 200\n"},
	{"    per_chat_per_minute: 30\n", "    per_chat_per_minute: 600\n"},
	{"      per_minute: 20\n", "      per_minute: 600\n"},
}

// wc14Bin is the binary and the fake WeCom of one process test.
type wc14Bin struct {
	t       *testing.T
	bin     string
	dir     string
	fake    *wecomtest.Server
	db      string
	cfg     string
	mu      sync.Mutex
	procs   []*binProcess
	secrets []string
}

// newWC14Bin builds (once) the binary, starts the fake WeCom on the wall
// clock (the binary's), and writes the WeCom-only configuration: the
// example with its wecom: block (wc14Config) and no Telegram token, with
// the extra replacements.
func newWC14Bin(t *testing.T, fakeOpts []wecomtest.Option, extra ...[2]string) *wc14Bin {
	t.Helper()
	bin := planbotTestBinary(t)
	opts := append([]wecomtest.Option{wecomtest.WithBot(wcBotID, wcSecret, wcBotName), wecomtest.WithRobots(wcRobotKey)}, fakeOpts...)
	h := &wc14Bin{t: t, bin: bin, dir: t.TempDir(), fake: wecomtest.New(t, opts...), secrets: []string{wcSecret, wcRobotKey}}
	h.db = filepath.Join(h.dir, "planbot.db")
	h.cfg = wc14Config(t, h.dir, h.fake, "", h.db, extra...)
	t.Cleanup(h.cleanup)
	return h
}

// env is the processes' environment: WeCom's secret and the robot's key,
// and no Telegram token whatever the test's environment holds.
func (h *wc14Bin) env() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PLANBOT_") {
			out = append(out, kv)
		}
	}
	return append(out, "PLANBOT_WECOM_SECRET="+wcSecret, "PLANBOT_WECOM_ROBOT_LEADERS="+wcRobotKey)
}

// run starts `planbot run` on the configuration and waits for its
// subscription to the fake.
func (h *wc14Bin) run(name string) *binProcess {
	h.t.Helper()
	subscribed := h.fake.Subscribed()
	p := &binProcess{name: name, out: &procOutput{}, exited: make(chan struct{})}
	p.cmd = exec.Command(h.bin, "run", "-config", h.cfg)
	p.cmd.Env = h.env()
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		h.t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	h.mu.Lock()
	h.procs = append(h.procs, p)
	h.mu.Unlock()
	h.fake.WaitFor(h.t, wc14Guard, func() bool { return h.fake.Subscribed() > subscribed || !p.running() })
	if !p.running() {
		h.t.Fatalf("%s exited before subscribing: %v\n%s", name, p.err, p.Output())
	}
	return p
}

// command runs a one-shot planbot command to its end and returns its
// stdout; a non-zero exit fails the test.
func (h *wc14Bin) command(args ...string) string {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, args...)
	cmd.Env = h.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		h.t.Fatalf("planbot %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	for _, s := range h.secrets {
		if strings.Contains(stdout.String()+stderr.String(), s) {
			h.t.Errorf("planbot %s printed a secret", args[0])
		}
	}
	return stdout.String()
}

// cleanup kills what still runs, checks that no output holds a secret
// and that WeCom refused no frame, and shows the outputs of a failed test.
func (h *wc14Bin) cleanup() {
	h.mu.Lock()
	procs := h.procs
	h.mu.Unlock()
	for _, p := range procs {
		if p.running() {
			p.cmd.Process.Kill()
			<-p.exited
		}
		for _, s := range h.secrets {
			if strings.Contains(p.Output(), s) {
				h.t.Errorf("%s: its output holds a secret", p.name)
			}
		}
		if h.t.Failed() {
			h.t.Logf("%s output:\n%s", p.name, clipText(p.Output(), 30000))
		}
	}
	for _, f := range h.fake.Frames() {
		if f.Errcode != 0 {
			h.t.Errorf("WeCom refused a %s frame: %d %s", f.Cmd, f.Errcode, f.Errmsg)
		}
	}
	if v := h.fake.Violations(); v != 0 {
		h.t.Errorf("%d frames over WeCom's rate limits", v)
	}
}

// probe opens the database for reading while a process may serve it.
func (h *wc14Bin) probe() *sql.DB {
	h.t.Helper()
	db, err := sql.Open("sqlite3", "file:"+h.db+"?_busy_timeout=10000")
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { db.Close() })
	return db
}

// replyTo waits for the first new frame with words in userid's chat after
// base and returns it.
func (h *wc14Bin) replyTo(userid string, base int) wecomtest.Sent {
	h.t.Helper()
	var got wecomtest.Sent
	h.fake.WaitFor(h.t, wc14Guard, func() bool {
		for _, s := range wc14Texts(wecomtest.SentTo(h.fake.Sent()[base:], userid)) {
			got = s
			return true
		}
		return false
	})
	return got
}

// say sends text from userid and returns the first answer with words.
func (h *wc14Bin) say(userid, text string) wecomtest.Sent {
	h.t.Helper()
	base := len(h.fake.Sent())
	h.fake.SendText(userid, text)
	return h.replyTo(userid, base)
}

// `planbot run` with only wecom: configured serves the README's quick
// start on WeCom (/mine, a report echoed as a reply, /item, /plan,
// /targets, /undo, /help; /digest is the fired digest below), and
// `planbot fire` from another process queues a reminder that reaches a
// WeCom-only cadre and the weekly digest that reaches the leaders' group
// robot with its chart; SIGTERM then stops it cleanly.
func TestWeCom14RunBinary(t *testing.T) {
	skipShort(t)
	t.Parallel()
	// WeCom's pacing (2 s between messages to a chat, 3 s to a robot)
	// would make the script take a minute: scaled up, here and in the fake.
	h := newWC14Bin(t, []wecomtest.Option{wecomtest.WithChatLimit(600, 10000)}, wc14FastSends...)
	p := h.run("run")
	out := p.Output()
	if !strings.Contains(out, "Telegram is not served") || !strings.Contains(out, `platforms="[wecom wecomhook]"`) {
		t.Errorf("run did not say it serves WeCom only:\n%s", out)
	}

	r := h.say(wcMa, "/mine")
	wants(t, "/mine", r.Content, "马某某的事项", "2.3")
	base := len(h.fake.Sent())
	h.fake.SendText(wcMa, "2.3 进度60% 已与XX酒店签约")
	r = h.replyTo(wcMa, base)
	wants(t, "echo", r.Content, "**2.3**", "进度 60%", "已与XX酒店签约")
	if r.Cmd != wecomtest.CmdRespond || r.ReplyTo == "" || !r.Finish {
		t.Errorf("the echo is not a reply to the report's callback: %s", wc14Describe([]wecomtest.Sent{r}))
	}
	wants(t, "/item", h.say(wcMa, "/item 2.3").Content, "2.3 协调推进XX项目开工建设", "马某某", "已与XX酒店签约")
	wants(t, "/plan", h.say(wcMa, "/plan").Content, "2027 年度工作计划", "【4】")
	wants(t, "/targets", h.say(wcZhang, "/targets").Content, "重点指标", "固定资产投资")
	wants(t, "/undo", h.say(wcMa, "/undo").Content, "撤回")
	wants(t, "/help", h.say(wcMa, "/help").Content, "/mine", "/report")
	wants(t, "xu's /mine", h.say(wcXu, "/mine").Content, "许某某的事项")

	// The operator fires the overdue reminder: 3.2 is xu_nongye's.
	base = len(h.fake.Sent())
	out = h.command("fire", "overdue_daily", "-at", "2027-06-15 09:00", "-config", h.cfg, "-db", h.db)
	if !strings.Contains(out, "已放入发送队列") {
		t.Fatalf("fire queued nothing:\n%s", out)
	}
	reminder := h.replyTo(wcXu, base)
	wants(t, "the reminder", reminder.Content, "逾期提醒", "3.2", "扩充直播队伍")
	if reminder.Cmd != wecomtest.CmdSend {
		t.Errorf("the reminder went as %s", reminder.Cmd)
	}

	// And the weekly digest: the leaders' group robot gets the chart's
	// caption, the chart and the text; zhang_shuji, last seen on WeCom,
	// gets the chart uploaded over the long connection, then the text.
	hooks := len(h.fake.Hooks())
	base = len(h.fake.Sent())
	h.command("fire", "weekly_digest", "-at", "2027-06-21 08:30", "-config", h.cfg, "-db", h.db)
	got := h.fake.WaitHooks(t, func(k []wecomtest.Hook) bool {
		for _, x := range k[hooks:] {
			if strings.Contains(x.Content, "📊 2027 年工作计划周报") {
				return true
			}
		}
		return false
	}, wc14Guard)[hooks:]
	var kinds []string
	for _, k := range got {
		kinds = append(kinds, k.MsgType)
		if k.Errcode != 0 {
			t.Errorf("the robot refused a %s: %d %s", k.MsgType, k.Errcode, k.Errmsg)
		}
	}
	if len(kinds) < 3 || kinds[1] != "image" || !bytes.HasPrefix(got[1].Image, []byte("\x89PNG")) {
		t.Fatalf("the robot got %v; want the caption, the chart (a PNG) and the digest", kinds)
	}
	h.fake.WaitFor(t, wc14Guard, func() bool {
		return wc14Saying(wecomtest.SentTo(h.fake.Sent()[base:], wcZhang), "工作计划周报") > 0
	})
	var chart []byte
	for _, s := range wecomtest.SentTo(h.fake.Sent()[base:], wcZhang) {
		if s.MsgType == "image" && s.Media != nil {
			chart = s.Media.Data
		}
	}
	if !bytes.Equal(chart, got[1].Image) {
		t.Errorf("zhang_shuji's digest came without the chart the group got:\n%s", wc14Describe(wecomtest.SentTo(h.fake.Sent()[base:], wcZhang)))
	}
	p.stop(t)
}

// wc14Report is one report of the burst: from userid, its text, and the
// marker its echo and its stored note carry.
type wc14Report struct {
	userid, text, marker, msgid string
}

// The SIGKILL scenario on WeCom's long connection: 30 reports from four
// cadres pushed at once, a reminder fired from another process
// meanwhile, and the process killed with SIGKILL as soon as every report
// is stored and the first answer is on the wire (WeCom holds each ack
// 40 ms, so the answers trickle and the first is in flight): most
// reports are stored and not yet handled, none is answered but that one.
// A second process handles what the first left and sends what it had
// queued. Every report is recorded once and answered in one bubble (a
// reply sent again keeps its stream id, so WeCom replaces the bubble),
// the reminder arrives, and at most the row in flight at the kill goes
// twice.
func TestWeCom14KillMidBurst(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newWC14Bin(t, []wecomtest.Option{wecomtest.WithChatLimit(600, 10000), wecomtest.WithAckDelay(40 * time.Millisecond)}, wc14FastSends...)
	probe := h.probe()

	items := map[string][]string{
		wcMa:   {"2.1", "2.2", "2.4", "2.5", "2.6"},
		wcXu:   {"1.1", "1.5", "3.1", "3.3", "3.5"},
		wcQian: {"1.2", "3.4", "4.3", "4.5"},
		wcZhao: {"3.6", "4.2", "2.4", "4.5"},
	}
	users := []string{wcMa, wcXu, wcQian, wcZhao}
	var burst []wc14Report
	for i := range 30 {
		u := users[i%len(users)]
		code := items[u][(i/len(users))%len(items[u])]
		marker := fmt.Sprintf("批次%02d", i+1)
		burst = append(burst, wc14Report{userid: u, marker: marker,
			text: fmt.Sprintf("%s 进度%d%% %s", code, 10+2*i, marker)})
	}

	first := h.run("first run")
	for i := range burst {
		burst[i].msgid = h.fake.SendText(burst[i].userid, burst[i].text)
	}
	// The reminder, queued by another process while the burst is served
	// (xu_nongye has written, so WeCom takes a push to him).
	fired := make(chan string, 1)
	go func() {
		cmd := exec.Command(h.bin, "fire", "overdue_daily", "-at", "2027-06-15 09:00", "-config", h.cfg, "-db", h.db)
		cmd.Env = h.env()
		out, err := cmd.CombinedOutput()
		if err != nil {
			out = append(out, []byte("\nfire: "+err.Error())...)
		}
		fired <- string(out)
	}()
	echoed := func(sent []wecomtest.Sent) int {
		n := 0
		for _, b := range burst {
			if wc14Saying(sent, b.marker) > 0 {
				n++
			}
		}
		return n
	}
	stored := func() int {
		n := 0
		for _, b := range burst {
			var k int
			if probe.QueryRow(`SELECT count(*) FROM inbound_events WHERE platform = 'wecom' AND event_id = ?`, b.msgid).Scan(&k) == nil {
				n += k
			}
		}
		return n
	}
	// The kill: every report stored, a few answered; the reminder's fire
	// may have ended or not (it runs on, in its own process).
	h.fake.WaitFor(t, wc14Guard, func() bool { return echoed(h.fake.Sent()) >= 1 && stored() == len(burst) })
	first.kill(t)
	reminderAtKill := wc14Saying(wc14Pushes(h.fake.Sent(), wcXu), "逾期提醒")
	select {
	case out := <-fired:
		if !strings.Contains(out, "已放入发送队列") || strings.Contains(out, "已放入发送队列 0 条") {
			t.Fatalf("fire queued nothing:\n%s", out)
		}
	case <-time.After(commandBound):
		t.Fatal("fire did not end")
	}
	var handled int
	probe.QueryRow(`SELECT count(*) FROM inbound_events WHERE platform = 'wecom' AND handled_at IS NOT NULL`).Scan(&handled)
	atKill := echoed(h.fake.Sent())
	t.Logf("at the SIGKILL: %d of %d reports answered, %d events handled of %d stored; the reminder sent %d time(s)", atKill, len(burst), handled, stored(), reminderAtKill)
	if atKill == len(burst) {
		t.Errorf("every report was answered before the SIGKILL: the kill did not land mid-burst")
	}

	h.fake.SetAckDelay(0)
	second := h.run("second run")
	h.fake.WaitFor(t, wc14Guard, func() bool {
		sent := h.fake.Sent()
		return echoed(sent) == len(burst) && wc14Saying(wc14Pushes(sent, wcXu), "逾期提醒") > 0
	})
	// The sender sends one row at a time: once the answer to one more
	// message has come, every row before it is settled.
	wants(t, "the last /help", h.say(wcQian, "/help").Content, "/mine")
	second.stop(t)
	if out := second.Output(); handled < len(burst) && !strings.Contains(out, "handling WeCom events stored before the last stop") {
		t.Errorf("the second run did not handle the events the first left (%d handled at the kill)", handled)
	}

	// Each report: one bubble (its stream frames all of one stream id),
	// one undo card; the row in flight at the kill may have gone twice.
	sent := h.fake.Sent()
	doubled := 0
	for _, b := range burst {
		var frames []wecomtest.Sent
		streams := map[string]bool{}
		for _, s := range wc14Texts(wecomtest.SentTo(sent, b.userid)) {
			if strings.Contains(s.Content, b.marker) {
				frames = append(frames, s)
				streams[s.StreamID] = true
			}
		}
		// The echo's undo card: its task_id is the row's, as the stream
		// id is ("pbID", and "pbID_rN" when the row went again).
		cards := 0
		for _, s := range wecomtest.SentTo(sent, b.userid) {
			if s.Card != nil && s.Card.TaskID != "" && len(frames) > 0 && frames[0].StreamID != "" &&
				(s.Card.TaskID == frames[0].StreamID || strings.HasPrefix(s.Card.TaskID, frames[0].StreamID+"_")) {
				cards++
			}
		}
		switch {
		case len(frames) == 0:
			t.Errorf("%s %q was never answered", b.userid, b.text)
		case len(streams) != 1 || frames[0].Cmd != wecomtest.CmdRespond:
			t.Errorf("%s %q answered in %d messages:\n%s", b.userid, b.text, len(frames), wc14Describe(frames))
		case len(frames) > 2 || cards > 2:
			t.Errorf("%s %q: %d frames and %d cards", b.userid, b.text, len(frames), cards)
		case len(frames) == 2 || cards == 2:
			doubled++
		}
		if cards == 0 && len(frames) > 0 {
			t.Errorf("%s %q: its undo card never came", b.userid, b.text)
		}
	}
	reminders := wc14Saying(wc14Pushes(sent, wcXu), "逾期提醒")
	if reminders == 2 {
		doubled++
	}
	if reminders < 1 || reminders > 2 || doubled > 1 {
		t.Errorf("%d reminders to xu_nongye, %d rows doubled; want the reminder once and at most the row in flight at the kill twice", reminders, doubled)
	}
	t.Logf("after the restart: every report answered; %d row(s) sent twice (in flight at the kill)", doubled)

	// Recorded once each, every event handled, nothing left to send.
	var notes []string
	rows, err := probe.Query(`SELECT note FROM reports`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		notes = append(notes, n)
	}
	rows.Close()
	all := strings.Join(notes, "\n")
	for _, b := range burst {
		if n := strings.Count(all, b.marker); n != 1 {
			t.Errorf("%q recorded %d times", b.text, n)
		}
	}
	if len(notes) != len(burst) {
		t.Errorf("%d reports stored, want %d", len(notes), len(burst))
	}
	var pending, unsent int
	probe.QueryRow(`SELECT count(*) FROM inbound_events WHERE handled_at IS NULL`).Scan(&pending)
	probe.QueryRow(`SELECT count(*) FROM outbox WHERE status <> 'sent' AND chat_id LIKE 'wecom%' AND (text LIKE '%批次%' OR text LIKE '%逾期提醒%')`).Scan(&unsent)
	if pending != 0 || unsent != 0 {
		t.Errorf("after the restart: %d events unhandled, %d echoes or reminders not sent", pending, unsent)
	}
}

// SIGTERM finishes the message in flight, on WeCom as on Telegram (the
// README's promise for run): a reply whose frame WeCom took and whose ack
// is slow is waited for, recorded as sent, and not sent again by the
// next start.
func TestWeCom14TermFinishesReplyInFlight(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newWC14Bin(t, []wecomtest.Option{wecomtest.WithChatLimit(600, 10000)}, wc14FastSends...)
	probe := h.probe()
	p := h.run("run")
	wants(t, "/mine", h.say(wcZhang, "/mine").Content, "张某某")

	// WeCom takes the next frame at once and acks it 1.5 s later; the
	// SIGTERM comes in between.
	h.fake.SetAckDelay(1500 * time.Millisecond)
	base := len(h.fake.Sent())
	h.fake.SendText(wcZhang, "/help")
	r := h.replyTo(wcZhang, base)
	wants(t, "/help", r.Content, "/targets")
	p.stop(t)
	var status string
	if err := probe.QueryRow(`SELECT status FROM outbox WHERE chat_id = ? AND text LIKE '%/targets%' ORDER BY id DESC LIMIT 1`,
		"wecom:"+wcZhang).Scan(&status); err != nil {
		t.Fatal(err)
	}
	if status != string(planbot.OutboxSent) {
		t.Errorf("the reply in flight at the SIGTERM is %q, not sent: the connection closed under it, so the next start sends it again", status)
	}
	if strings.Contains(p.Output(), "connection lost before the acknowledgement") {
		t.Errorf("the stop cut the WeCom connection before the reply in flight was acknowledged")
	}
}
