//go:build unix

package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"planbot/telegram/telegramtest"
)

// SIGHUP (`systemctl reload planbot`) reloads the YAML as /reload does,
// and the admin is told through the chat: what changed; or, for a broken
// file, every problem with its line while the running plan stays in force.
// The process keeps serving throughout.
func TestFaultReloadOnSIGHUP(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newBinHarness(t, telegramtest.WithMaxPollWait(2*time.Second))
	_, cfg := h.runConfig(fastSends...)
	good, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const title, retitled = "title: 聘请专家开展合作社培训\n", "title: 聘请省农科院专家开展合作社培训\n"
	if !strings.Contains(string(good), title) {
		t.Fatalf("the example config no longer has %q", title)
	}
	renamed := strings.Replace(string(good), title, retitled, 1)
	broken := strings.Replace(renamed, "timezone: Asia/Shanghai", "timzone: Asia/Shanghai", 1)

	p := h.startRun("run", cfg)
	h.srv.WaitPolling(t, faultGuard)
	hangup := func(text string, want ...string) {
		t.Helper()
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		before := len(h.srv.Sent(uZheng.ID))
		if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		wants(t, "the admin's notice of the SIGHUP", h.srv.WaitSent(t, uZheng.ID, before+1, faultGuard)[before].Text,
			append([]string{"服务器上重新读取了配置（SIGHUP）"}, want...)...)
		if !p.running() {
			t.Fatalf("planbot exited on SIGHUP: %v", p.err)
		}
	}
	item := func() string {
		t.Helper()
		before := len(h.srv.Sent(uZheng.ID))
		h.srv.SendText(uZheng, telegramtest.PrivateChat(uZheng), "/item 1.1")
		return h.srv.WaitSent(t, uZheng.ID, before+1, faultGuard)[before].Text
	}

	hangup(renamed, "✅ 配置已重载：22 个事项", "修改 1")
	wants(t, "/item after the reload", item(), "聘请省农科院专家")
	hangup(broken, "❌ 配置有错误，<b>仍按原配置运行</b>", "config.yaml:", "timzone: 未知字段")
	wants(t, "/item after the broken reload", item(), "聘请省农科院专家")
	p.stop(t)
	wants(t, "the log", p.Output(), "configuration reloaded on SIGHUP", "configuration not reloaded on SIGHUP")
}
