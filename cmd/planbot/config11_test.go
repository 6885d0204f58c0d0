//go:build linux

package main

// Issue 11, defects 15–17: a hostile or careless config, reloaded into the
// running binary by SIGHUP and /reload. The bot must refuse what it must
// not read, stay within memory, keep serving and stop promptly, and tell
// the admin in a message or two, once.

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"planbot/telegram/telegramtest"
)

// memLimitKiB is where the watchdog kills a planbot child: far above what
// the race-built bot ever needs, far below what would hurt the machine.
const memLimitKiB = 1 << 20 // 1 GiB

// procStatusKiB reads one "Field:   123 kB" line of /proc/<pid>/status.
func procStatusKiB(pid int, field string) (int64, error) {
	fh, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// watchMemory kills p if its resident set passes memLimitKiB, so a test
// of an unbounded read fails instead of taking the machine down. The
// returned func stops the watch and reports whether it had to kill.
func watchMemory(t *testing.T, p *binProcess) (stop func() (killed bool)) {
	t.Helper()
	done := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	killed := false
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-p.exited:
				return
			case <-tick.C:
			}
			if kib, err := procStatusKiB(p.cmd.Process.Pid, "VmRSS"); err == nil && kib > memLimitKiB {
				t.Logf("watchdog: %s passed %d KiB resident (%d KiB); killed", p.name, memLimitKiB, kib)
				p.cmd.Process.Kill()
				mu.Lock()
				killed = true
				mu.Unlock()
				return
			}
		}
	}()
	stop = func() bool {
		once.Do(func() { close(done) })
		mu.Lock()
		defer mu.Unlock()
		return killed
	}
	t.Cleanup(func() { stop() }) // before the harness's: no log after the test
	return stop
}

// hupNotice sends SIGHUP to p and returns the admin's notice of it.
func hupNotice(t *testing.T, h *binHarness, p *binProcess) string {
	t.Helper()
	before := len(h.srv.Sent(uZheng.ID))
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	text := h.srv.WaitSent(t, uZheng.ID, before+1, faultGuard)[before].Text
	wants(t, "the admin's notice of the SIGHUP", text, "服务器上重新读取了配置（SIGHUP）")
	return text
}

// stillServing asks /item 1.1 as the admin and expects the answer.
func stillServing(t *testing.T, h *binHarness, p *binProcess) {
	t.Helper()
	if !p.running() {
		t.Fatalf("planbot exited: %v", p.err)
	}
	before := len(h.srv.Sent(uZheng.ID))
	h.srv.SendText(uZheng, telegramtest.PrivateChat(uZheng), "/item 1.1")
	wants(t, "/item after the refused reload", h.srv.WaitSent(t, uZheng.ID, before+1, faultGuard)[before].Text, "1.1")
}

// Defect 15: an include outside the config's directory, a FIFO, a device
// and an env file are refused on SIGHUP without being read: the notice
// and the log quote none of them, the bot keeps serving, and SIGTERM
// stops it promptly.
func TestConfigIncludeRefusedOnSIGHUP(t *testing.T) {
	skipShort(t)
	t.Parallel()
	tests := []struct {
		name    string
		include string
		setup   func(t *testing.T, dir, token string)
		want    string
	}{
		{name: "passwd", include: "/etc/passwd",
			want: "include[1]: 不能包含 &#34;/etc/passwd&#34;：这是绝对路径"},
		{name: "fifo", include: "pipe.yaml",
			setup: func(t *testing.T, dir, _ string) {
				if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o600); err != nil {
					t.Skip("no FIFO here:", err)
				}
			},
			want: "include[1]: 不能包含 &#34;pipe.yaml&#34;：它不是普通文件，而是命名管道（FIFO）"},
		{name: "zero", include: "/dev/zero",
			want: "include[1]: 不能包含 &#34;/dev/zero&#34;：这是绝对路径"},
		{name: "zero-link", include: "zero.yaml",
			setup: func(t *testing.T, dir, _ string) {
				if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.yaml")); err != nil {
					t.Fatal(err)
				}
			},
			want: "include[1]: 不能包含 &#34;zero.yaml&#34;：它是指向主文件所在目录（"},
		{name: "env", include: "planbot.env",
			setup: func(t *testing.T, dir, token string) {
				if err := os.WriteFile(filepath.Join(dir, "planbot.env"), []byte("PLANBOT_TELEGRAM_TOKEN="+token+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			want: "include[1]: 不能包含 &#34;planbot.env&#34;：只能包含 .yaml 或 .yml 配置文件"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newBinHarness(t, telegramtest.WithMaxPollWait(2*time.Second))
			_, cfg := h.runConfig(fastSends...)
			good, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				tt.setup(t, h.dir, h.token)
			}
			p := h.startRun("run", cfg)
			stopWatch := watchMemory(t, p)
			h.srv.WaitPolling(t, faultGuard)
			bad := string(good) + "\ninclude: [" + tt.include + "]\n"
			if err := os.WriteFile(cfg, []byte(bad), 0o600); err != nil {
				t.Fatal(err)
			}
			notice := hupNotice(t, h, p)
			wants(t, "the notice of the refused include", notice, "❌ 配置有错误，<b>仍按原配置运行</b>", "config.yaml:", tt.want)
			for _, leak := range []string{"root:x:0", h.secret, "PLANBOT_TELEGRAM_TOKEN="} {
				if strings.Contains(notice, leak) || strings.Contains(p.Output(), leak) {
					t.Errorf("the notice or the log quotes the refused file (%q):\n%s", leak, notice)
				}
			}
			stillServing(t, h, p)
			if stopWatch() {
				t.Fatalf("planbot passed %d KiB resident and was killed", memLimitKiB)
			}
			p.stop(t)
		})
	}
}

// Defect 16: an alias bomb (9,000 aliases of a 20,000-element list: 195 kB,
// 180 million values expanded) sent by SIGHUP is refused with one
// message, the bot stays up, and its peak memory stays bounded.
func TestConfigAliasBombOnSIGHUP(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newBinHarness(t, telegramtest.WithMaxPollWait(2*time.Second))
	_, cfg := h.runConfig(fastSends...)
	p := h.startRun("run", cfg)
	stopWatch := watchMemory(t, p)
	h.srv.WaitPolling(t, faultGuard)
	stillServing(t, h, p)
	baseKiB, err := procStatusKiB(p.cmd.Process.Pid, "VmHWM")
	if err != nil {
		t.Fatal(err)
	}

	var bomb strings.Builder
	bomb.WriteString("year: 2027\nsections:\n  - code: \"1\"\n    title: 党建\n    leader: &a [a")
	bomb.WriteString(strings.Repeat(", a", 19_999))
	bomb.WriteString("]\nitems:\n")
	bomb.WriteString(strings.Repeat("  - owners: *a\n", 9_000))
	if err := os.WriteFile(cfg, []byte(bomb.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	notice := hupNotice(t, h, p)
	wants(t, "the notice of the bomb", notice, "❌ 配置有错误，<b>仍按原配置运行</b>。共 2 处",
		"config.yaml:16: items[10].owners: 内容太多：引用 *a 展开后全部配置超过 200000 个值")
	stillServing(t, h, p)
	if stopWatch() {
		t.Fatalf("planbot passed %d KiB resident on the bomb and was killed", memLimitKiB)
	}
	peakKiB, err := procStatusKiB(p.cmd.Process.Pid, "VmHWM")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("VmHWM %d KiB before the bomb, %d KiB after", baseKiB, peakKiB)
	// Generous: the race detector multiplies memory; the unbounded
	// expansion needs gigabytes.
	if grew := peakKiB - baseKiB; grew > 256<<10 {
		t.Errorf("VmHWM grew by %d KiB on the bomb (from %d), want under 256 MiB", grew, baseKiB)
	}
	p.stop(t)
}

// Defect 17, signals: 30 SIGHUPs in 1.5 s make a reload or two and one
// notice, not 30 of each; a later SIGHUP with a changed file is still
// reloaded and told.
func TestConfigSIGHUPBurst(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newBinHarness(t, telegramtest.WithMaxPollWait(2*time.Second))
	_, cfg := h.runConfig(fastSends...)
	good, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := h.startRun("run", cfg)
	h.srv.WaitPolling(t, faultGuard)
	notices := func() int {
		n := 0
		for _, c := range h.srv.Sent(uZheng.ID) {
			if strings.Contains(c.Text, "服务器上重新读取了配置（SIGHUP）") {
				n++
			}
		}
		return n
	}

	// The stimulus is paced as the attack was: a signal every 50 ms.
	for range 30 {
		if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.srv.WaitFor(t, faultGuard, func([]telegramtest.Call) bool { return notices() >= 1 })

	// A changed file after the burst: its notice is the last, so every
	// reload of the burst is done once it arrives.
	const title, retitled = "title: 聘请专家开展合作社培训\n", "title: 聘请省农科院专家开展合作社培训\n"
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(good), title, retitled, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	wants(t, "the notice of the changed file", hupNotice(t, h, p), "✅ 配置已重载：22 个事项", "修改 1")

	reloads := strings.Count(p.Output(), "configuration reloaded on SIGHUP")
	if n := notices(); n > 3 {
		t.Errorf("%d SIGHUP notices to the admin for a burst of 30 and one change, want at most 3", n)
	}
	if reloads > 4 {
		t.Errorf("%d reloads for a burst of 30 SIGHUPs and one change, want at most 4", reloads)
	}
	t.Logf("%d reloads, %d notices", reloads, notices())

	// The same outcome twice within the minute: reloaded and logged, told
	// once.
	wants(t, "the notice of the unchanged file", hupNotice(t, h, p), "✅ 配置已重载：22 个事项", "修改 0")
	told, quiet := notices(), strings.Count(p.Output(), "SIGHUP notice not sent again")
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, p, "the repeated notice held back", func() bool {
		return strings.Count(p.Output(), "SIGHUP notice not sent again") > quiet
	})
	stillServing(t, h, p)
	if n := notices(); n != told {
		t.Errorf("%d SIGHUP notices after a reload with the same outcome, want still %d", n, told)
	}
	p.stop(t)
}

// Defect 17, lists: a file with 24,000 problems gives the admin one
// message per /reload and per SIGHUP, listing the first problems and
// pointing to `planbot check` for the rest; the outbox holds no more.
func TestConfigThousandsOfProblems(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newBinHarness(t, telegramtest.WithMaxPollWait(2*time.Second))
	dbPath, cfg := h.runConfig(fastSends...)
	p := h.startRun("run", cfg)
	h.srv.WaitPolling(t, faultGuard)
	brokenConfig(t, cfg, 6_000) // 4 problems an item

	// messagesUntilMarker counts what the admin got from index before up
	// to the answer to a marker /item, which is queued behind it.
	messagesUntilMarker := func(before int) []telegramtest.Call {
		t.Helper()
		h.srv.WaitSent(t, uZheng.ID, before+1, faultGuard)
		h.srv.SendText(uZheng, telegramtest.PrivateChat(uZheng), "/item 1.1")
		calls := h.srv.WaitFor(t, faultGuard, func(calls []telegramtest.Call) bool {
			sent := telegramtest.SentTo(calls, uZheng.ID)
			return len(sent) > before && strings.Contains(sent[len(sent)-1].Text, "1.1")
		})
		sent := telegramtest.SentTo(calls, uZheng.ID)
		return sent[before : len(sent)-1]
	}
	const head, tail = "❌ 配置有错误，<b>仍按原配置运行</b>。共 24000 处", "……另有 23980 处问题，请在服务器上运行 planbot check 查看全部。"

	before := len(h.srv.Sent(uZheng.ID))
	h.srv.SendText(uZheng, telegramtest.PrivateChat(uZheng), "/reload")
	got := messagesUntilMarker(before)
	if len(got) != 1 {
		t.Fatalf("/reload of 24,000 problems came in %d messages, want 1", len(got))
	}
	wants(t, "/reload", got[0].Text, head, "nobody_1&#34;", tail)
	if n := strings.Count(got[0].Text, "\n• "); n != 20 {
		t.Errorf("%d problems listed, want the first 20", n)
	}

	before = len(h.srv.Sent(uZheng.ID))
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	got = messagesUntilMarker(before)
	if len(got) != 1 {
		t.Fatalf("the SIGHUP notice of 24,000 problems came in %d messages, want 1", len(got))
	}
	wants(t, "the SIGHUP notice", got[0].Text, "服务器上重新读取了配置（SIGHUP）", head, tail)

	total := 0
	for _, n := range outboxCounts(t, dbPath) {
		total += n
	}
	if total > 10 {
		t.Errorf("the outbox holds %d messages after two refused reloads and two /item, want a handful", total)
	}
	if lines := strings.Count(p.Output(), "\n"); lines > 200 {
		t.Errorf("the log has %d lines: the problems are for planbot check, not the journal", lines)
	}
	p.stop(t)
}
