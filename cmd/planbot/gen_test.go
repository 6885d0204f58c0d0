package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"planbot"
	"planbot/storage"
)

// genSmall generates a small county into dir and returns its config path.
func genSmall(t *testing.T, dir string, extra ...string) string {
	t.Helper()
	cfg := filepath.Join(dir, "county.yaml")
	args := append([]string{"gen", "-o", filepath.Join(dir, "county.db"), "-config-out", cfg,
		"-sections", "3", "-items", "12", "-people", "12", "-years", "2", "-indicators", "3", "-seed", "7"}, extra...)
	if r := runCmd(t, args...); r.code != exitOK {
		t.Fatalf("gen = %d\n%s%s", r.code, r.stdout, r.stderr)
	} else if !strings.Contains(r.stdout, "reports") {
		t.Errorf("gen's summary: %s", r.stdout)
	}
	return cfg
}

func allReportsIn(t *testing.T, path string) map[string][]planbot.Report {
	t.Helper()
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	all, err := db.AllReports(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func TestGenValidDeterministic(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	cfgA, cfgB := genSmall(t, a), genSmall(t, b)

	if r := runCmd(t, "check", "-config", cfgA); r.code != exitOK || !strings.Contains(r.stdout, "12 人、3 个板块、12 个事项、3 项指标") {
		t.Fatalf("check = %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := runCmd(t, "status", "-config", cfgA, "-at", "2027-11-29 08:30")
	if r.code != exitOK || !strings.Contains(r.stdout, "共 12 项") || !strings.Contains(r.stdout, "固定资产投资") {
		t.Fatalf("status = %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "plan loaded") {
		t.Errorf("status had to sync the plan: gen's database differs from its YAML\n%s", r.stderr)
	}

	yamlA, _ := os.ReadFile(cfgA)
	yamlB, _ := os.ReadFile(cfgB)
	if string(yamlA) != string(yamlB) {
		t.Error("the same seed gave two different plans")
	}
	repA, repB := allReportsIn(t, filepath.Join(a, "county.db")), allReportsIn(t, filepath.Join(b, "county.db"))
	if !reflect.DeepEqual(repA, repB) {
		t.Error("the same seed gave two different histories")
	}
	n, corrections, withdrawals := 0, 0, 0
	for _, rs := range repA {
		n += len(rs)
		for _, r := range rs {
			switch {
			case r.Withdrawn:
				withdrawals++
			case r.Supersedes != 0:
				corrections++
			}
		}
	}
	// 12 items, two years of weekly reports: about 12 × (50 + 45).
	if n < 800 || n > 1300 || len(repA) != 12 {
		t.Errorf("%d reports over %d items", n, len(repA))
	}
	if corrections == 0 || withdrawals == 0 {
		t.Logf("%d corrections, %d withdrawals (few at this size)", corrections, withdrawals)
	}

	c := t.TempDir()
	cfgC := genSmall(t, c, "-seed", "8")
	if yamlC, _ := os.ReadFile(cfgC); string(yamlC) == string(yamlA) {
		t.Error("another seed gave the same plan")
	}
}

func TestGenRefusesAndChecks(t *testing.T) {
	dir := t.TempDir()
	genSmall(t, dir)
	// Never over an existing database or YAML.
	r := runCmd(t, "gen", "-o", filepath.Join(dir, "county.db"), "-items", "3")
	if r.code != exitFail || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("gen over an existing database = %d: %s", r.code, r.stderr)
	}
	r = runCmd(t, "gen", "-o", filepath.Join(dir, "other.db"), "-config-out", filepath.Join(dir, "county.yaml"))
	if r.code != exitFail || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("gen over an existing YAML = %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "other.db")); err == nil {
		t.Error("gen created a database although it refused")
	}
	if r := runCmd(t, "gen"); r.code != exitUsage || !strings.Contains(r.stderr, "-o") {
		t.Errorf("gen without -o = %d: %s", r.code, r.stderr)
	}
	if r := runCmd(t, "gen", "-o", filepath.Join(dir, "x.db"), "-people", "3"); r.code != exitUsage {
		t.Errorf("gen -people 3 = %d: %s", r.code, r.stderr)
	}
	// The smallest plan gen makes is still valid.
	tiny := t.TempDir()
	cfg := filepath.Join(tiny, "tiny.yaml")
	if r := runCmd(t, "gen", "-o", filepath.Join(tiny, "tiny.db"), "-config-out", cfg,
		"-sections", "1", "-items", "1", "-people", "5", "-years", "1", "-indicators", "0"); r.code != exitOK {
		t.Fatalf("tiny gen = %d: %s", r.code, r.stderr)
	}
	if r := runCmd(t, "check", "-config", cfg); r.code != exitOK {
		t.Errorf("tiny check = %d: %s", r.code, r.stderr)
	}
}
