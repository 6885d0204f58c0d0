package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"planbot"
	"planbot/config"
	"planbot/storage"
)

// planbot people tells the office who the bot cannot reach yet: sun_cun,
// invite only, until he binds; then nobody.
func TestPeopleCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "planbot.db")
	cfgPath := writeConfig(t, dir, "", dbPath)
	r := runCmd(t, "people", "-config", cfgPath)
	if r.code != exitOK || !regexp.MustCompile(`(?m)^sun_cun +孙某某 +干部 +南岭村 +未绑定：邀请码还没用`).MatchString(r.stdout) ||
		!strings.Contains(r.stdout, "14 人中 1 人还收不到提醒：孙某某") ||
		!regexp.MustCompile(`(?m)^zhao_cun +赵某某 +干部 +东村 +100000008（配置中）`).MatchString(r.stdout) {
		t.Fatalf("people = %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SyncPlan(ctx, cfg.Plan, fixedNow); err != nil {
		t.Fatal(err)
	}
	if err := db.InSession(ctx, func(s planbot.Tx) error {
		return s.Bind(ctx, "sun_cun", tgAccount(uSun.ID), "NL7Q4K9M2X", fixedNow)
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r = runCmd(t, "people", "-config", cfgPath)
	if r.code != exitOK || !strings.Contains(r.stdout, "700000001（已用邀请码绑定）") || !strings.Contains(r.stdout, "14 人都能收到机器人的消息") {
		t.Errorf("people after sun_cun bound = %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
