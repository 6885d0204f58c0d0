package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const seedStyleDoc = "../../importdoc/testdata/seedstyle.txt"

func TestImportDoc(t *testing.T) {
	r := runCmd(t, "import-doc", seedStyleDoc)
	if r.code != exitOK {
		t.Fatalf("import-doc = %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"year: 2026", "title: 抓党建、强队伍，全力筑牢基层战斗堡垒", "target: 30万只", "leader: TODO", "owners: [TODO]"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("draft lacks %q", want)
		}
	}
	if !strings.Contains(r.stderr, "4 个部分、11 个事项、5 项指标") || !strings.Contains(r.stderr, "18 处 TODO") {
		t.Errorf("summary on stderr:\n%s", r.stderr)
	}

	// The draft as written fails check, naming each placeholder at its line.
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.yaml")
	if r := runCmd(t, "import-doc", "-o", plan, seedStyleDoc); r.code != exitOK || r.stdout != "" {
		t.Fatalf("import-doc -o = %d, stdout %q\n%s", r.code, r.stdout, r.stderr)
	}
	written, err := os.ReadFile(plan)
	if err != nil || string(written) != r.stdout {
		t.Fatalf("-o wrote something else than stdout would (%v)", err)
	}
	c := runCmd(t, "check", "-config", plan)
	if c.code != exitFail || !strings.Contains(c.stderr, "配置有 18 处错误") {
		t.Fatalf("check of the draft = %d\n%s", c.code, c.stderr)
	}
	located := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(plan) + `:\d+: [a-z_\[\]0-9.]+: 待填写：`)
	if n := len(located.FindAllString(c.stderr, -1)); n != 18 {
		t.Errorf("%d located 待填写 lines, want 18:\n%s", n, c.stderr)
	}

	// -o never overwrites what the admin may have filled in, unless -force.
	if r := runCmd(t, "import-doc", "-o", plan, seedStyleDoc); r.code != exitFail || !strings.Contains(r.stderr, "已存在") {
		t.Errorf("second -o = %d\n%s", r.code, r.stderr)
	}
	if r := runCmd(t, "import-doc", "-force", "-year", "2030", "-o", plan, seedStyleDoc); r.code != exitOK {
		t.Errorf("-force = %d\n%s", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(plan); !strings.Contains(string(b), "year: 2030") || !strings.Contains(string(b), "due: 2030-03-31") {
		t.Errorf("-year 2030 not applied:\n%.400s", b)
	}
}

func TestImportDocBadInput(t *testing.T) {
	dir := t.TempDir()
	noPlan := filepath.Join(dir, "summary.txt")
	os.WriteFile(noPlan, []byte("2023年工作总结\n一、抓党建\n开展培训6场。\n"), 0o600)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing file", []string{"import-doc", filepath.Join(dir, "nope.txt")}, exitFail, "文件不存在"},
		{"no plan part", []string{"import-doc", noPlan}, exitFail, "明年工作打算"},
		{"no file", []string{"import-doc"}, exitUsage, "which one"},
		{"bad year", []string{"import-doc", "-year", "1999", seedStyleDoc}, exitUsage, "-year 1999"},
	}
	for _, tt := range tests {
		r := runCmd(t, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
			t.Errorf("%s: exit %d, stderr %q, stdout %q; want exit %d and %q", tt.name, r.code, r.stderr, r.stdout, tt.code, tt.want)
		}
	}
	if r := runCmd(t, "help"); !strings.Contains(r.stdout, "import-doc") {
		t.Errorf("help does not list import-doc:\n%s", r.stdout)
	}
}

// TestImportDocStyles: import-doc drafts every test document, in each
// style offices publish, and check finds nothing wrong in a draft but its
// placeholders.
func TestImportDocStyles(t *testing.T) {
	docs, err := filepath.Glob("../../importdoc/testdata/*.txt")
	if err != nil || len(docs) < 12 {
		t.Fatalf("%d test documents (%v), want at least 12", len(docs), err)
	}
	located := regexp.MustCompile(`: 待填写：`)
	for _, doc := range docs {
		plan := filepath.Join(t.TempDir(), "plan.yaml")
		r := runCmd(t, "import-doc", "-o", plan, doc)
		if r.code != exitOK || !strings.Contains(r.stderr, "个部分") {
			t.Errorf("%s: import-doc = %d\n%s", doc, r.code, r.stderr)
			continue
		}
		c := runCmd(t, "check", "-config", plan)
		for _, l := range strings.Split(strings.TrimSpace(c.stderr), "\n") {
			if strings.HasPrefix(l, plan+":") && !located.MatchString(l) {
				t.Errorf("%s: check reports more than a placeholder: %s", filepath.Base(doc), l)
			}
		}
	}
}
