package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"planbot"
	"planbot/storage"
)

type result struct {
	code           int
	stdout, stderr string
}

var fixedNow = time.Date(2027, time.June, 15, 1, 0, 0, 0, time.UTC) // 09:00 in Shanghai

func runCmd(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdout: &out, stderr: &errOut, now: func() time.Time { return fixedNow },
		dbOptions: []storage.Option{storage.WithBusyTimeout(200 * time.Millisecond)}}
	code := run(args, e)
	r := result{code, out.String(), errOut.String()}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
		t.Fatalf("planbot %v printed a stack trace:\n%s", args, r.stderr)
	}
	return r
}

func TestCheckExample(t *testing.T) {
	r := runCmd(t, "check", "-config", "../../config.example.yaml")
	if r.code != exitOK || !strings.Contains(r.stdout, "配置无误") || !strings.Contains(r.stdout, "22 个事项") {
		t.Fatalf("check example = %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	r = runCmd(t, "check")
	if r.code != exitOK || !strings.Contains(r.stdout, "内置示例") {
		t.Fatalf("check of the embedded example = %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestCheckReportsEveryMistake(t *testing.T) {
	r := runCmd(t, "check", "-config", "../../config/testdata/five_mistakes.yaml")
	if r.code != exitFail {
		t.Fatalf("exit = %d, want %d", r.code, exitFail)
	}
	located := regexp.MustCompile(`(?m)^\.\./\.\./config/testdata/five_mistakes\.yaml:\d+: `)
	if n := len(located.FindAllString(r.stderr, -1)); n != 5 {
		t.Errorf("got %d located errors, want 5:\n%s", n, r.stderr)
	}
	if !strings.Contains(r.stderr, "配置有 5 处错误") {
		t.Errorf("no summary line:\n%s", r.stderr)
	}
}

func TestOneClearLineOnBadInput(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, []byte("year: 2027\nitems:\n  - code: \"1.1\n"), 0o600)
	notDB := filepath.Join(dir, "not.db")
	os.WriteFile(notDB, []byte("this is not a database, it is a note"), 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unreadable path", []string{"check", "-config", filepath.Join(dir, "nope", "c.yaml")}, "文件不存在"},
		{"broken yaml", []string{"check", "-config", broken}, "broken.yaml:3: YAML 格式错误"},
		{"not a database", []string{"status", "-db", notDB}, notDB},
		{"database in a missing directory", []string{"status", "-db", filepath.Join(dir, "no", "such", "x.db")}, "x.db"},
		{"bad -at", []string{"status", "-at", "next week", "-db", filepath.Join(dir, "a.db")}, "-at \"next week\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, tt.args...)
			if r.code == exitOK {
				t.Fatalf("exit 0, want failure")
			}
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr does not name %q:\n%s", tt.want, r.stderr)
			}
			if tt.args[0] == "status" && len(lines) != 1 {
				t.Errorf("want one line, got %d:\n%s", len(lines), r.stderr)
			}
		})
	}
}

func TestStatusLockedDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "planbot.db")
	if r := runCmd(t, "status", "-db", path); r.code != exitOK {
		t.Fatalf("first status = %d: %s", r.code, r.stderr)
	}
	other, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")

	r := runCmd(t, "status", "-db", path)
	if r.code != exitFail {
		t.Fatalf("status on a locked database = %d, want %d", r.code, exitFail)
	}
	if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 || !strings.Contains(r.stderr, "locked") {
		t.Errorf("want one line saying the database is locked, got:\n%s", r.stderr)
	}
}

func TestStatusShowsReportedProgress(t *testing.T) {
	path := filepath.Join(t.TempDir(), "planbot.db")
	if r := runCmd(t, "status", "-db", path); r.code != exitOK {
		t.Fatalf("status = %d: %s", r.code, r.stderr)
	}
	ctx := context.Background()
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	sixty := 60.0
	reports := []planbot.Report{
		{ItemCode: "3.4", Reporter: "qian_cun", At: fixedNow.Add(-48 * time.Hour), Percent: &sixty, Note: "蟹苗投放18万只"},
		{ItemCode: "3.2", Reporter: "xu_nongye", At: fixedNow.Add(-24 * time.Hour), Done: true},
	}
	for _, rep := range reports {
		if _, err := db.AddReport(ctx, rep); err != nil {
			t.Fatalf("add report %s: %v", rep.ItemCode, err)
		}
	}
	v, _ := planbot.ParseAmountIn("3.2", "亿元")
	if _, err := db.AddObservation(ctx, planbot.Observation{Indicator: "fixed_asset_investment", At: fixedNow.Add(-time.Hour), Value: v}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	r := runCmd(t, "status", "-db", path)
	if r.code != exitOK {
		t.Fatalf("status = %d: %s", r.code, r.stderr)
	}
	row := func(prefix string) string {
		for _, line := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(line, prefix) {
				return line
			}
		}
		t.Fatalf("no row starting %q in:\n%s", prefix, r.stdout)
		return ""
	}
	if l := row("3.2 "); !strings.Contains(l, "已完成") {
		t.Errorf("item 3.2 reported done, row: %s", l)
	}
	if l := row("3.4 "); !strings.Contains(l, "60%") || !strings.Contains(l, "06-13（2天前）") {
		t.Errorf("item 3.4 at 60%% reported two days ago, row: %s", l)
	}
	if l := row("固定资产投资"); !strings.Contains(l, "3.2亿元") || !strings.Contains(l, "6.5亿元") || !strings.Contains(l, "49.2%") {
		t.Errorf("indicator row: %s", l)
	}
	if !strings.Contains(r.stdout, "截至 2027-06-15 09:00（Asia/Shanghai）") {
		t.Errorf("header does not show the plan-zone time:\n%s", r.stdout)
	}
}

// Columns line up in a terminal only if CJK characters count double: in
// every item table, each row's status starts in the header's 状态 column.
func TestStatusColumnsAlign(t *testing.T) {
	r := runCmd(t, "status", "-db", filepath.Join(t.TempDir(), "p.db"))
	labels := regexp.MustCompile(`  (逾期|有风险|未汇报|未开始|正常推进|已完成)`)
	col, rows := -1, 0
	for _, line := range strings.Split(r.stdout, "\n") {
		switch {
		case strings.HasPrefix(line, "编号"):
			col = displayWidth(line[:strings.Index(line, "状态")])
		case line == "":
			col = -1
		case col >= 0:
			m := labels.FindStringIndex(line)
			if m == nil {
				t.Fatalf("no status in row %q", line)
			}
			if got := displayWidth(line[:m[0]+2]); got != col {
				t.Errorf("status at column %d, header at %d: %q", got, col, line)
			}
			rows++
		}
	}
	if rows != 22 {
		t.Errorf("checked %d rows, want the example's 22 items", rows)
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, c := range commands() {
		r := runCmd(t, c.name, "-help")
		if r.code != exitOK || !strings.Contains(r.stderr, "Usage of planbot "+c.name) {
			t.Errorf("%s -help = %d:\n%s", c.name, r.code, r.stderr)
		}
	}
	if r := runCmd(t, "frobnicate"); r.code != exitUsage || !strings.Contains(r.stderr, "unknown command") {
		t.Errorf("unknown command = %d: %s", r.code, r.stderr)
	}
	if r := runCmd(t, "-help"); r.code != exitOK || !strings.Contains(r.stdout, "status") {
		t.Errorf("-help = %d: %s", r.code, r.stdout)
	}
}

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{"abc": 3, "固定资产投资": 12, "１２": 4, "a，b": 4, "e\u0301": 1, "✅": 1, "🔴": 2, "": 0} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, want)
		}
	}
	if got := truncate("落实全员招商责任制，提高招商频次", 10); displayWidth(got) > 10 || !strings.HasSuffix(got, "…") {
		t.Errorf("truncate = %q (width %d)", got, displayWidth(got))
	}
}

func TestOneProcessorForRunOnly(t *testing.T) {
	unset := func(string) string { return "" }
	for _, c := range []struct {
		args   []string
		getenv func(string) string
		want   bool
	}{
		{[]string{"run", "-config", "c.yaml"}, unset, true},
		{[]string{"run"}, func(k string) string { return map[string]string{"GOMAXPROCS": "2"}[k] }, false},
		{[]string{"gen", "-o", "county.db"}, unset, false},
		{[]string{"chat"}, unset, false},
		{nil, unset, false},
	} {
		if got := oneProcessor(c.args, c.getenv); got != c.want {
			t.Errorf("oneProcessor(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}
