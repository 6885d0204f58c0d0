package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"planbot/wecom/wecomtest"
)

// wecomConfig writes the example config with its wecom: block enabled,
// pointed at the fake, and the admin 郑某某 on WeCom as zhengdzb.
func wecomConfig(t *testing.T, srv *wecomtest.Server) string {
	t.Helper()
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	replace := func(old, new string) {
		t.Helper()
		if !strings.Contains(text, old) {
			t.Fatalf("the example config no longer has %q", old)
		}
		text = strings.Replace(text, old, new, 1)
	}
	i := strings.Index(text, "# wecom:\n")
	if i < 0 {
		t.Fatal("the example config has no commented wecom: block")
	}
	j := i + strings.Index(text[i:], "\n\n")
	block := strings.ReplaceAll(text[i:j], "\n# ", "\n")
	block = strings.TrimPrefix(block, "# ")
	block = strings.Replace(block, "bot_id: aibXXXXXXXXXXXXXXXX", "bot_id: "+srv.BotID(), 1)
	block = strings.Replace(block, `url: ""`, `url: "`+srv.URL()+`"`, 1)
	block = strings.Replace(block, `webhook_url: ""`, `webhook_url: "`+srv.WebhookURL()+`"`, 1)
	text = text[:i] + block + text[j:]
	replace("    telegram_id: 100000007\n    roles: [admin]", "    telegram_id: 100000007\n    wecom_id: zhengdzb\n    roles: [admin]")
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runWithEnv(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdout: &out, stderr: &errOut, now: func() time.Time { return fixedNow },
		getenv: func(k string) string { return vars[k] }}
	return result{run(args, e), out.String(), errOut.String()}
}

// `planbot wecom test` tells the admin at once whether the setup works:
// the AI bot connects and reaches the admin, the group robot posts to
// its group; and what to check when not.
func TestWeComTestCommand(t *testing.T) {
	srv := wecomtest.New(t, wecomtest.WithRobots("robot-key-1"))
	srv.KnownChat("zhengdzb", false) // the admin has written to the bot before
	path := wecomConfig(t, srv)
	good := map[string]string{"PLANBOT_WECOM_SECRET": srv.Secret(), "PLANBOT_WECOM_ROBOT_LEADERS": "robot-key-1"}

	r := runWithEnv(t, good, "wecom", "test", "-config", path, "-timeout", "10s")
	if r.code != exitOK || !strings.Contains(r.stdout, "✓ 已发给管理员 郑某某（zhengdzb）") ||
		!strings.Contains(r.stdout, "✓ 群机器人 leaders 已发出测试消息") {
		t.Fatalf("wecom test = %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if got := wecomtest.SentTo(srv.Sent(), "zhengdzb"); len(got) != 1 || !strings.Contains(got[0].Content, "测试消息") {
		t.Errorf("the admin got %+v, want one test message", got)
	}
	if hooks := srv.Hooks(); len(hooks) != 1 || hooks[0].Errcode != 0 || !strings.Contains(hooks[0].Content, "测试消息") {
		t.Errorf("the group robot got %+v, want one test message", hooks)
	}

	bad := map[string]string{"PLANBOT_WECOM_SECRET": "wrong", "PLANBOT_WECOM_ROBOT_LEADERS": "not-the-key"}
	r = runWithEnv(t, bad, "wecom", "test", "-config", path, "-timeout", "1s")
	if r.code != exitFail || !strings.Contains(r.stdout, "没有连上。请核对 bot_id、环境变量 PLANBOT_WECOM_SECRET") ||
		!strings.Contains(r.stdout, "✗ 群机器人 leaders 发送失败：key 不对") {
		t.Fatalf("wecom test with a wrong secret and key = %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "not-the-key") {
		t.Error("the robot key was printed")
	}
}

// `planbot people` shows each person's accounts on every platform and,
// for one reachable on several, where their reminders go.
func TestPeopleShowsPlatforms(t *testing.T) {
	srv := wecomtest.New(t)
	path := wecomConfig(t, srv)
	db := filepath.Join(t.TempDir(), "planbot.db")
	r := runWithEnv(t, nil, "people", "-config", path, "-db", db)
	if r.code != exitOK {
		t.Fatalf("people = %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "100000007、企业微信 zhengdzb（配置中），提醒发到 Telegram") {
		t.Errorf("the admin on both platforms is not shown as such:\n%s", r.stdout)
	}
}

// `planbot check` says which of WeCom's secrets the environment lacks.
func TestCheckNamesMissingWeComSecrets(t *testing.T) {
	srv := wecomtest.New(t)
	path := wecomConfig(t, srv)
	r := runWithEnv(t, map[string]string{"PLANBOT_WECOM_SECRET": "s"}, "check", "-config", path)
	if r.code != exitOK || !strings.Contains(r.stdout, "注意：环境变量 PLANBOT_WECOM_ROBOT_LEADERS 还没有设置") ||
		strings.Contains(r.stdout, "PLANBOT_WECOM_SECRET 还没有设置") {
		t.Fatalf("check = %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
