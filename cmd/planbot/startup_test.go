package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"planbot/config"
	"planbot/telegram/telegramtest"
)

// runInProcess starts `planbot run` on the example config pointed at srv,
// with token, and returns its stderr and a channel for its exit code.
func runInProcess(t *testing.T, ctx context.Context, srv *telegramtest.Server, token string) (*syncBuffer, <-chan int) {
	t.Helper()
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, srv.Endpoint(), filepath.Join(dir, "bot.db"))
	stderr := &syncBuffer{}
	e := &env{ctx: ctx, stdout: io.Discard, stderr: stderr, now: time.Now,
		getenv: func(k string) string {
			if k == config.DefaultTokenEnv {
				return token
			}
			return ""
		}}
	code := make(chan int, 1)
	go func() { code <- run([]string{"run", "-config", cfgPath, "-poll", "2s"}, e) }()
	return stderr, code
}

func exitCode(t *testing.T, code <-chan int) int {
	t.Helper()
	select {
	case c := <-code:
		return c
	case <-time.After(waitLimit):
		t.Fatal("planbot run did not exit")
		return -1
	}
}

// A server that boots before its network is up: `planbot run` keeps
// trying to reach Telegram (1 s doubling) instead of exiting, serves once
// it can, and a SIGTERM while it waits is a clean stop.
func TestRunWaitsForTelegramAtStart(t *testing.T) {
	t.Parallel()
	t.Run("network comes up", func(t *testing.T) {
		t.Parallel()
		srv := telegramtest.New(t)
		srv.SetDown(telegramtest.Refuse)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stderr, code := runInProcess(t, ctx, srv, srv.Token())
		srv.WaitFor(t, waitLimit, func(calls []telegramtest.Call) bool { return len(calls) >= 2 })
		srv.SetDown(telegramtest.Status502)
		srv.WaitFor(t, waitLimit, func(calls []telegramtest.Call) bool {
			return len(telegramtest.Filter(calls, func(c telegramtest.Call) bool { return c.Status == 502 })) >= 1
		})
		srv.SetDown(telegramtest.Up)
		srv.WaitPolling(t, waitLimit)
		srv.SendText(uMa, telegramtest.PrivateChat(uMa), "/start")
		wants(t, "the greeting", srv.WaitSent(t, uMa.ID, 1, waitLimit)[0].Text, "您好")
		cancel()
		if c := exitCode(t, code); c != exitOK {
			t.Errorf("exit %d:\n%s", c, stderr.String())
		}
		wants(t, "log", stderr.String(), "Telegram is not reachable yet; trying again", "planbot is running", "planbot stopped")
	})
	t.Run("stopped while waiting", func(t *testing.T) {
		t.Parallel()
		srv := telegramtest.New(t)
		srv.SetDown(telegramtest.Refuse)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stderr, code := runInProcess(t, ctx, srv, srv.Token())
		srv.WaitFor(t, waitLimit, func(calls []telegramtest.Call) bool { return len(calls) >= 1 })
		cancel()
		if c := exitCode(t, code); c != exitOK {
			t.Errorf("exit %d:\n%s", c, stderr.String())
		}
		wants(t, "log", stderr.String(), "planbot stopped before it could reach Telegram")
	})
	t.Run("wrong token fails at once", func(t *testing.T) {
		t.Parallel()
		srv := telegramtest.New(t)
		stderr, code := runInProcess(t, context.Background(), srv, "123456:not-the-token")
		if c := exitCode(t, code); c != exitFail {
			t.Errorf("exit %d, want %d:\n%s", c, exitFail, stderr.String())
		}
		out := stderr.String()
		wants(t, "stderr", out, "Unauthorized")
		if strings.Contains(out, "trying again") || strings.Contains(out, "not-the-token") {
			t.Errorf("a wrong token was retried, or printed:\n%s", out)
		}
	})
}
