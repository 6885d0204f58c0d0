package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"planbot/storage"
)

// The README's first command: a newcomer with no token talks to the bot
// over the built-in example, reports, and sees the report everywhere.
func TestChatNewcomerScript(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "planbot.db")
	script := strings.Join([]string{
		"/mine",
		"2.3 60% 已签约",
		"/item 2.3",
		"/plan",
		"/plan 2",
		"/targets",
		"固定资产投资 累计3.2亿",
		"/undo",
		"/item 2.3",
		"/help",
	}, "\n") + "\n"
	var out, errOut bytes.Buffer
	// Each message a minute after the last, as a person types.
	tick := fixedNow
	clock := func() time.Time { tick = tick.Add(time.Minute); return tick }
	e := &env{stdin: strings.NewReader(script), stdout: &out, stderr: &errOut, now: clock}
	if code := run([]string{"chat", "-db", dbPath}, e); code != exitOK {
		t.Fatalf("chat = %d\n%s", code, errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		"以 郑某某（zheng_dzb）的身份对话",
		"郑某某：需要关注的事项",                   // an admin's /mine: what needs attention
		"✅ 已记录 2.3 协调推进XX项目开工建设：进度 60%", // the echo
		"代 马某某 汇报",                      // an admin reports on behalf of the owner
		"[1] 撤回这条",                      // the undo button, numbered
		"郑某某 进度 60%（代报）：已签约",            // /item 2.3 history
		"🟡有风险 1",                        // /plan counts: 60% is behind 2.3's 80% milestone
		"【2】谋发展、求突破",                    // /plan 2
		"时间进度 45.",                      // /targets in mid-June
		"✅ 已记录 固定资产投资：3.2亿元",            // the value
		"↩️ 已撤回 固定资产投资 的填报 3.2亿元",       // /undo takes the newest, the value
		"/mine 或 我的",                    // /help
	} {
		if !strings.Contains(got, want) {
			t.Errorf("console output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", got)
	}

	// What the console recorded is in the database the bot serves.
	db, err := storage.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reports, err := db.ItemReports(context.Background(), "2.3")
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 1 || reports[0].Note != "已签约" || reports[0].Reporter != "zheng_dzb" || reports[0].OnBehalfOf != "ma_jingfa" {
		t.Errorf("reports of 2.3 = %+v, want one by zheng_dzb for ma_jingfa", reports)
	}
}

func TestChatUnknownPerson(t *testing.T) {
	r := runCmd(t, "chat", "-as", "nobody", "-db", filepath.Join(t.TempDir(), "x.db"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "zhao_cun") {
		t.Errorf("chat -as nobody = %d: %s", r.code, r.stderr)
	}
}

func TestRunWithoutToken(t *testing.T) {
	var out, errOut bytes.Buffer
	e := &env{stdout: &out, stderr: &errOut, now: func() time.Time { return fixedNow }, getenv: func(string) string { return "" }}
	code := run([]string{"run", "-db", filepath.Join(t.TempDir(), "x.db")}, e)
	if code != exitFail || !strings.Contains(errOut.String(), "PLANBOT_TELEGRAM_TOKEN") || !strings.Contains(errOut.String(), "planbot chat") {
		t.Errorf("run without a token = %d: %s", code, errOut.String())
	}
}

// A terminal cannot show the digest's picture or the ledger: the console
// saves them beside the database and says where.
func TestConsoleSavesFiles(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader("/digest\n/export\n"), stdout: &out, stderr: &errOut, now: func() time.Time { return fixedNow }}
	if code := run([]string{"chat", "-db", filepath.Join(dir, "planbot.db")}, e); code != exitOK {
		t.Fatalf("chat = %d\n%s", code, errOut.String())
	}
	for _, f := range []struct{ name, magic string }{
		{"digest-2027-06-15.png", "\x89PNG"},
		{"2027年度工作台账_20270615.xlsx", "PK"},
	} {
		path := filepath.Join(dir, f.name)
		if !strings.Contains(out.String(), "已存为 "+path) {
			t.Errorf("the console does not say it saved %s:\n%s", path, out.String())
		}
		data, err := os.ReadFile(path)
		if err != nil || !strings.HasPrefix(string(data), f.magic) {
			t.Errorf("%s: %d bytes, %v; want a file starting %q", f.name, len(data), err, f.magic)
		}
	}
}
