//go:build unix

package main

// The process-level fault harness (issue #5): the real `planbot` binary,
// built once per test binary, run as a child process against the fake Bot
// API (telegram/telegramtest) on loopback. The tests that use it (kill_test.go,
// faults_test.go) play Telegram's side and the operator's: they push
// updates, inject faults, send SIGKILL and SIGTERM, and read the database
// and the commands an operator would run (`planbot outbox`, `fire`).
//
// binHarness.cleanup (registered by newBinHarness) kills any process still
// running, fails the test if a line of any process's output holds the bot
// token's secret, and prints every output when the test failed.

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
	"planbot/storage"
	"planbot/telegram/telegramtest"
)

const (
	// stopBound is how long a process may take to exit after SIGTERM: the
	// update in hand and the message in flight are finished first.
	stopBound = 10 * time.Second
	// commandBound bounds a one-shot command (outbox, fire, digest).
	commandBound = 60 * time.Second
)

// fastSends scales Telegram's send limits up (writeRunConfig replacements)
// so a fan-out of hundreds of messages takes a fraction of a second; a
// scenario that needs the per-chat pacing leaves it out.
var fastSends = [][2]string{
	{"per_second: 30\n", "per_second: 1000\n"},
	{"per_chat_seconds: 1\n", "per_chat_seconds: 0\n"},
}

// planbotBuild is the binary the process tests run, built once per test binary into the
// package's temporary directory (scaleRoot, removed by TestMain).
var planbotBuild struct {
	once sync.Once
	bin  string
	skip string // why the binary cannot be built here (no go tool)
	err  error
}

// planbotTestBinary returns the path of the planbot binary, building it on
// first use: with -race if this test binary was built with it (the race
// build of go-sqlite3 is then in the build cache already). Several tests
// share the one build.
func planbotTestBinary(t *testing.T) string {
	t.Helper()
	b := &planbotBuild
	b.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			b.skip = "no go tool on PATH to build planbot"
			return
		}
		root, err := scaleRoot()
		if err != nil {
			b.err = err
			return
		}
		dir := filepath.Join(root, "bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.err = err
			return
		}
		bin := filepath.Join(dir, "planbot")
		// planbot-render beside it, where planbot looks for it.
		args := []string{"build", "-o", dir + string(filepath.Separator)}
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, s := range info.Settings {
				if s.Key == "-race" && s.Value == "true" {
					args = append(args, "-race")
				}
			}
		}
		began := time.Now()
		out, err := exec.Command(goTool, append(args, ".", "../planbot-render")...).CombinedOutput()
		if err != nil {
			b.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		b.bin = bin
		fmt.Fprintf(os.Stderr, "planbot binary built for the process tests in %v\n", time.Since(began).Round(time.Millisecond))
	})
	if b.skip != "" {
		t.Skip(b.skip)
	}
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.bin
}

// writeRunConfig writes the example config into dir as config.yaml,
// pointed at the Bot API endpoint and the database db, with no catch-up
// of missed reminders (a test must not get a reminder run because of the
// hour it runs at), then applies extra replacements (old, new) in order.
// Each old string must be in the text: a test never silently runs on a
// setting the example no longer has. It returns the file's path.
func writeRunConfig(t testing.TB, dir, endpoint, db string, extra ...[2]string) string {
	t.Helper()
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	base := [][2]string{
		{`api_endpoint: ""`, fmt.Sprintf("api_endpoint: %q", endpoint)},
		{"database: planbot.db", fmt.Sprintf("database: %q", db)},
		{"catch_up_window: 6h", "catch_up_window: 0s"},
	}
	for _, r := range append(base, extra...) {
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

// procOutput collects a process's stdout and stderr.
type procOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *procOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *procOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// binProcess is one run of the planbot binary.
type binProcess struct {
	name   string
	cmd    *exec.Cmd
	out    *procOutput // stdout and stderr, interleaved
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed
}

// Output is what the process wrote so far.
func (p *binProcess) Output() string { return p.out.String() }

// running reports whether the process has not exited yet.
func (p *binProcess) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// wait waits for the process to exit; false if it did not within d.
func (p *binProcess) wait(d time.Duration) bool {
	select {
	case <-p.exited:
		return true
	case <-time.After(d):
		return false
	}
}

// stop sends SIGTERM and expects a clean exit (status 0, "planbot stopped"
// logged) within stopBound.
func (p *binProcess) stop(t *testing.T) {
	t.Helper()
	if !p.running() {
		t.Fatalf("%s exited before its SIGTERM: %v", p.name, p.err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", p.name, err)
	}
	if !p.wait(stopBound) {
		t.Fatalf("%s did not exit within %v of SIGTERM", p.name, stopBound)
	}
	if p.err != nil {
		t.Errorf("%s after SIGTERM: %v, want exit status 0", p.name, p.err)
	}
	if !strings.Contains(p.Output(), "planbot stopped") {
		t.Errorf("%s did not log its stop", p.name)
	}
}

// kill sends SIGKILL and waits for the process to die of it.
func (p *binProcess) kill(t *testing.T) {
	t.Helper()
	if !p.running() {
		t.Fatalf("%s exited before its SIGKILL: %v", p.name, p.err)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("SIGKILL %s: %v", p.name, err)
	}
	if !p.wait(stopBound) {
		t.Fatalf("%s did not die within %v of SIGKILL", p.name, stopBound)
	}
	var exit *exec.ExitError
	if !errors.As(p.err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("%s ended with %v, want killed by SIGKILL", p.name, p.err)
	}
}

// binHarness is one fake Bot API and the planbot processes run against
// it in one test.
type binHarness struct {
	t      *testing.T
	bin    string
	dir    string // the test's temporary directory
	srv    *telegramtest.Server
	token  string
	secret string // the token after the colon: must never be printed

	mu    sync.Mutex
	procs []*binProcess
}

// newBinHarness builds (once) the binary and starts the fake Bot API with
// opts. Its cleanup runs before the fake closes.
func newBinHarness(t *testing.T, opts ...telegramtest.Option) *binHarness {
	t.Helper()
	bin := planbotTestBinary(t)
	srv := telegramtest.New(t, opts...)
	token := srv.Token()
	h := &binHarness{t: t, bin: bin, dir: t.TempDir(), srv: srv, token: token,
		secret: token[strings.IndexByte(token, ':')+1:]}
	t.Cleanup(h.cleanup)
	return h
}

// startPlanbot starts the binary with args, the bot token in
// PLANBOT_TELEGRAM_TOKEN, and its output captured.
func (h *binHarness) startPlanbot(name string, args ...string) *binProcess {
	h.t.Helper()
	p := &binProcess{name: name, out: &procOutput{}, exited: make(chan struct{})}
	p.cmd = exec.Command(h.bin, args...)
	p.cmd.Env = append(os.Environ(), "PLANBOT_TELEGRAM_TOKEN="+h.token)
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
	return p
}

// startRun starts `planbot run -config cfgPath -poll 5s`.
func (h *binHarness) startRun(name, cfgPath string) *binProcess {
	h.t.Helper()
	return h.startPlanbot(name, "run", "-config", cfgPath, "-poll", "5s")
}

// command runs a one-shot planbot command (outbox, fire, digest …) to its
// end, without the token in its environment, and returns its stdout; it
// fails the test on a non-zero exit.
func (h *binHarness) command(args ...string) string {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		h.t.Fatalf("planbot %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// cleanup kills what is still running, checks that no output line holds
// the token's secret, and shows every output if the test failed.
func (h *binHarness) cleanup() {
	h.mu.Lock()
	procs := h.procs
	h.mu.Unlock()
	for _, p := range procs {
		if p.running() {
			p.cmd.Process.Kill()
			<-p.exited
		}
		for _, line := range strings.Split(p.Output(), "\n") {
			if strings.Contains(line, h.secret) {
				h.t.Errorf("%s: an output line holds the bot token: %s", p.name, line)
			}
		}
		if h.t.Failed() {
			h.t.Logf("%s output:\n%s", p.name, p.Output())
		}
	}
}

// runConfig writes the run config (writeRunConfig) for the harness's fake,
// with the database planbot.db in the test's directory, and returns both
// paths.
func (h *binHarness) runConfig(extra ...[2]string) (dbPath, cfgPath string) {
	h.t.Helper()
	dbPath = filepath.Join(h.dir, "planbot.db")
	return dbPath, writeRunConfig(h.t, h.dir, h.srv.Endpoint(), dbPath, extra...)
}

// deliveredTo counts the sendMessage calls Telegram accepted for the n
// chats from first on, and how many of those chats received at least one.
func deliveredTo(calls []telegramtest.Call, first int64, n int) (sends, reached int) {
	seen := map[int64]bool{}
	for _, c := range calls {
		if c.Method == "sendMessage" && c.OK && c.ChatID >= first && c.ChatID < first+int64(n) {
			sends++
			seen[c.ChatID] = true
		}
	}
	return sends, len(seen)
}

// outboxCounts opens the database at path (another process may be
// serving it: SQLite in WAL mode lets a reader in) and counts the outbox
// by status.
func outboxCounts(t *testing.T, path string) map[planbot.OutboxStatus]int {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, path)
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
