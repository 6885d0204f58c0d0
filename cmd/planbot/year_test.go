package main

import (
	"os"
	"strings"
	"testing"
)

// A new year's plan is refused over a database that holds this year's
// reports, by /reload and at start, with what to do instead; the running
// plan stays in force.
func TestNewYearNeedsNewDatabase(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()
	wants(t, "a report", one(t, h.say(uMa, "2.3 进度60%")).Text, "✅ 已记录")

	data, err := os.ReadFile(h.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "\nyear: 2027\n") {
		t.Fatal("the example config no longer has year: 2027")
	}
	next := strings.Replace(string(data), "\nyear: 2027\n", "\nyear: 2028\n", 1)
	if err := os.WriteFile(h.cfgPath, []byte(next), 0o600); err != nil {
		t.Fatal(err)
	}
	wants(t, "/reload of the 2028 plan", one(t, h.say(uZheng, "/reload")).Text,
		"❌ 配置没有重载，<b>仍按原配置运行</b>", "这个数据库记录的是 2027 年的计划（已有 1 条汇报），不能装入 2028 年的计划", "database: planbot-2028.db")
	wants(t, "/plan after it", one(t, h.say(uZheng, "/plan")).Text, "2027 年度工作计划")
	h.inst.stop()
	h.db.Close()
	h.db = nil

	r := runCmd(t, "status", "-config", h.cfgPath)
	if r.code == exitOK || !strings.Contains(r.stderr, "不能装入 2028 年的计划") {
		t.Errorf("status with the 2028 plan over 2027's database = %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
