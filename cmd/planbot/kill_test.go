//go:build unix

package main

// TestKillMidFanOut runs the real planbot binary (`planbot run`) against the
// fake Bot API in this process, on an outbox holding a fan-out of 1,000
// reminders to 1,000 chats, and stops it three ways:
//
//  1. SIGKILL after about 300 deliveries: the second run sends the rest.
//     Nothing is lost; a message is sent twice only if its request was in
//     flight at the kill (the sender has one in flight at a time: at most 1
//     duplicate).
//  2. SIGTERM mid-way through the rest: the process exits 0 within 10 s,
//     having finished the request in flight and put back what it had
//     claimed, so the third run finds nothing in flight.
//  3. SIGTERM once all is sent.
//
// The first two sends are dropped without an answer, so the error the
// client logs carries the request URL, which holds the token: no line of
// any run's output may hold it.
//
// The send limits are scaled up (per_second 1000, per_chat_seconds 0) so a
// run takes about a second; 1,000/s rather than 3,000/s leaves the stops
// time to land mid fan-out. Skipped under -short: it builds the binary.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"planbot"
	"planbot/bot/fakeapi"
	"planbot/storage"
)

const (
	killChats     = 1000
	killFirstChat = 900000001
	killAfter     = 300
	termAfter     = 600
	killGuard     = 60 * time.Second // a run needs about a second
	termBound     = 10 * time.Second
)

// killOutput collects a process's stdout and stderr.
type killOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *killOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *killOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// killProcess is one `planbot run`.
type killProcess struct {
	name   string
	cmd    *exec.Cmd
	out    *killOutput
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed
}

// buildPlanbot builds the binary into dir, with -race if this test binary
// was (the race build of go-sqlite3 is then in the build cache already).
func buildPlanbot(t *testing.T, dir string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH to build planbot")
	}
	bin := filepath.Join(dir, "planbot")
	args := []string{"build", "-o", bin}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "-race" && s.Value == "true" {
				args = append(args, "-race")
			}
		}
	}
	cmd := exec.Command(goTool, append(args, ".")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// killConfig writes the example config pointed at the fake and at db, with
// the send limits scaled up and no catch-up of missed reminders.
func killConfig(t *testing.T, dir, endpoint, db string) string {
	t.Helper()
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, r := range [][2]string{
		{`api_endpoint: ""`, fmt.Sprintf("api_endpoint: %q", endpoint)},
		{"database: planbot.db", fmt.Sprintf("database: %q", db)},
		{"per_second: 30\n", "per_second: 1000\n"},
		{"per_chat_seconds: 1\n", "per_chat_seconds: 0\n"},
		{"catch_up_window: 6h", "catch_up_window: 0s"},
	} {
		if !strings.Contains(text, r[0]) {
			t.Fatalf("the example config no longer has %q", r[0])
		}
		text = strings.Replace(text, r[0], r[1], 1)
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// killDelivered counts, over calls, the messages to the fan-out's chats
// that Telegram accepted, and the chats that received at least one.
func killDelivered(calls []fakeapi.Call) (sends, chats int) {
	seen := map[int64]bool{}
	for _, c := range calls {
		if c.Method == "sendMessage" && c.OK && c.ChatID >= killFirstChat && c.ChatID < killFirstChat+killChats {
			sends++
			seen[c.ChatID] = true
		}
	}
	return sends, len(seen)
}

func TestKillMidFanOut(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the planbot binary")
	}
	t.Parallel()
	dir := t.TempDir()
	began := time.Now()
	bin := buildPlanbot(t, dir)
	t.Logf("built in %v", time.Since(began).Round(time.Millisecond))
	srv := fakeapi.New(t, fakeapi.WithMaxPollWait(2*time.Second))
	dbPath := filepath.Join(dir, "planbot.db")
	cfgPath := killConfig(t, dir, srv.Endpoint(), dbPath)
	token := srv.Token()
	secret := token[strings.IndexByte(token, ':')+1:]

	// The fan-out, queued as a reminder job would have queued it.
	ctx := context.Background()
	db, err := storage.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Minute)
	msgs := make([]planbot.OutboxMessage, killChats)
	for i := range msgs {
		msgs[i] = planbot.OutboxMessage{ChatID: int64(killFirstChat + i), ParseMode: "HTML", CreatedAt: past,
			Text: fmt.Sprintf("⏰ <b>逾期提醒</b>：第 %d 条，请尽快汇报进度。", i+1)}
	}
	if err := db.Enqueue(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	db.Close()
	counts := func() map[planbot.OutboxStatus]int {
		t.Helper()
		db, err := storage.Open(ctx, dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		c, err := db.OutboxCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	var procs []*killProcess
	start := func(name string) *killProcess {
		t.Helper()
		p := &killProcess{name: name, out: &killOutput{}, exited: make(chan struct{})}
		p.cmd = exec.Command(bin, "run", "-config", cfgPath, "-poll", "5s")
		p.cmd.Env = append(os.Environ(), "PLANBOT_TELEGRAM_TOKEN="+token)
		p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
		if err := p.cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		go func() {
			p.err = p.cmd.Wait()
			close(p.exited)
		}()
		procs = append(procs, p)
		return p
	}
	t.Cleanup(func() {
		for _, p := range procs {
			select {
			case <-p.exited:
			default:
				p.cmd.Process.Kill()
				<-p.exited
			}
			for _, line := range strings.Split(p.out.String(), "\n") {
				if strings.Contains(line, secret) {
					t.Errorf("%s: an output line holds the bot token: %s", p.name, line)
				}
			}
			if t.Failed() {
				t.Logf("%s output:\n%s", p.name, p.out.String())
			}
		}
	})
	// wait waits for the process to exit; false if it did not within d.
	wait := func(p *killProcess, d time.Duration) bool {
		select {
		case <-p.exited:
			return true
		case <-time.After(d):
			return false
		}
	}
	// stop sends SIGTERM and expects a clean exit within termBound.
	stop := func(p *killProcess) {
		t.Helper()
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatalf("SIGTERM %s: %v", p.name, err)
		}
		if !wait(p, termBound) {
			t.Fatalf("%s did not exit within %v of SIGTERM", p.name, termBound)
		}
		if p.err != nil {
			t.Errorf("%s after SIGTERM: %v, want exit status 0", p.name, p.err)
		}
		if !strings.Contains(p.out.String(), "planbot stopped") {
			t.Errorf("%s did not log its stop", p.name)
		}
	}
	deliveredAtLeast := func(n int) func([]fakeapi.Call) bool {
		return func(calls []fakeapi.Call) bool { _, chats := killDelivered(calls); return chats >= n }
	}

	// 1. SIGKILL mid fan-out; its first two requests get no answer.
	srv.FailNext("sendMessage", 2, fakeapi.Fault{Drop: true})
	first := start("first run")
	srv.WaitFor(t, killGuard, deliveredAtLeast(killAfter))
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if !wait(first, killGuard) {
		t.Fatal("the killed process did not exit")
	}
	var exit *exec.ExitError
	if !errors.As(first.err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("first run ended with %v, want killed by SIGKILL", first.err)
	}
	sends, chats := killDelivered(srv.Calls())
	c := counts()
	t.Logf("%v: at the SIGKILL: %d chats reached (%d sends); outbox %v", time.Since(began).Round(time.Millisecond), chats, sends, c)
	if !strings.Contains(first.out.String(), "send failed without an answer") {
		t.Errorf("the dropped requests were not logged:\n%s", first.out.String())
	}

	// 2. SIGTERM mid-way through the rest.
	second := start("second run")
	srv.WaitFor(t, killGuard, deliveredAtLeast(termAfter))
	stop(second)
	sends, chats = killDelivered(srv.Calls())
	c = counts()
	t.Logf("%v: at the SIGTERM: %d chats reached (%d sends); outbox %v", time.Since(began).Round(time.Millisecond), chats, sends, c)
	if c[planbot.OutboxSending] != 0 {
		t.Errorf("%d messages left in flight after SIGTERM", c[planbot.OutboxSending])
	}
	if !strings.Contains(second.out.String(), "messages in flight at the last stop are sent again") {
		t.Errorf("the second run did not requeue what the killed one had in flight")
	}

	// 3. The rest, then SIGTERM.
	third := start("third run")
	srv.WaitFor(t, killGuard, deliveredAtLeast(killChats))
	stop(third)
	if strings.Contains(third.out.String(), "messages in flight at the last stop") {
		t.Errorf("the third run found messages in flight after a SIGTERM")
	}
	sends, chats = killDelivered(srv.Calls())
	dups := sends - killChats
	t.Logf("%v: all %d chats reached with %d sends: %d duplicates", time.Since(began).Round(time.Millisecond), chats, sends, dups)
	if chats != killChats || dups < 0 || dups > 1 {
		t.Errorf("%d of %d chats reached, %d duplicates (want every chat, at most 1 duplicate: the request in flight at the SIGKILL)", chats, killChats, dups)
	}
	if c := counts(); c[planbot.OutboxPending] != 0 || c[planbot.OutboxSending] != 0 || c[planbot.OutboxFailed] != 0 {
		t.Errorf("outbox at the end: %v", c)
	}
}
