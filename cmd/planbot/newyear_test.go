package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"planbot"
	"planbot/config"
	"planbot/storage"
)

// planbot newyear starts the 2028 database from the 2028 plan, carries
// over the invite-code bindings of last year, and leaves last year's file
// as it was: its reports stay there, the new one has none.
func TestNewYear(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	oldPath, newPath := filepath.Join(dir, "planbot-2027.db"), filepath.Join(dir, "planbot-2028.db")
	oldCfg := writeConfig(t, dir, "", oldPath)
	cfg, err := config.Load(oldCfg)
	if err != nil {
		t.Fatal(err)
	}
	old, err := storage.Open(ctx, oldPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.SyncPlan(ctx, cfg.Plan, fixedNow); err != nil {
		t.Fatal(err)
	}
	err = old.InSession(ctx, func(s planbot.Tx) error {
		return s.Bind(ctx, "sun_cun", tgAccount(uSun.ID), "NL7Q4K9M2X", fixedNow)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "ma_jingfa", At: fixedNow, Done: true}); err != nil {
		t.Fatal(err)
	}
	old.Close()

	data, err := os.ReadFile(oldCfg)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(strings.Replace(string(data), "\nyear: 2027\n", "\nyear: 2028\n", 1), oldPath, newPath, 1)
	newCfg := filepath.Join(dir, "config-2028.yaml")
	if err := os.WriteFile(newCfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}

	if r := runCmd(t, "newyear", "-config", newCfg); r.code != exitUsage || !strings.Contains(r.stderr, "-from") {
		t.Errorf("newyear without -from = %d: %s", r.code, r.stderr)
	}
	if r := runCmd(t, "newyear", "-config", oldCfg, "-from", oldPath); r.code != exitUsage || !strings.Contains(r.stderr, "database: planbot-2028.db") {
		t.Errorf("newyear into last year's own file = %d: %s", r.code, r.stderr)
	}
	r := runCmd(t, "newyear", "-config", newCfg, "-from", oldPath)
	if r.code != exitOK || !strings.Contains(r.stdout, "已建立 2028 年的数据库") || !strings.Contains(r.stdout, "带过来 1 个邀请码绑定（孙某某）") {
		t.Fatalf("newyear = %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCmd(t, "newyear", "-config", newCfg, "-from", oldPath); r.code == exitOK || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("newyear again = %d: %s", r.code, r.stderr)
	}

	db, err := storage.Open(ctx, newPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if key, ok, err := db.Binding(ctx, tgAccount(uSun.ID)); err != nil || !ok || key != "sun_cun" {
		t.Errorf("孙某某's binding in 2028: %q, %v, %v", key, ok, err)
	}
	if rs, err := db.ItemReports(ctx, "2.3"); err != nil || len(rs) != 0 {
		t.Errorf("2027's reports in the 2028 database: %+v, %v", rs, err)
	}
	err = db.InSession(ctx, func(s planbot.Tx) error {
		return s.Bind(ctx, "sun_cun", tgAccount(700000099), "NL7Q4K9M2X", fixedNow)
	})
	if !errors.Is(err, storage.ErrConflict) {
		t.Errorf("the carried invite is not spent in 2028: %v", err)
	}

	old, err = storage.Open(ctx, oldPath)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if rs, err := old.ItemReports(ctx, "2.3"); err != nil || len(rs) != 1 {
		t.Errorf("2027's reports after newyear: %d, %v", len(rs), err)
	}
}
