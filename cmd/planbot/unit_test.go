package main

import (
	"os"
	"strings"
	"testing"

	"planbot/config"
	"planbot/telegram/telegramtest"
)

var uDong = telegramtest.User{ID: 100000020, FirstName: "董", LastName: "文书"} // 东村's clerk, with rules.unit_reports

// 3b. With rules.unit_reports, a village's clerk may report on the items
// of the village (item unit = their unit), recorded as on behalf of the
// item's first owner; not on another village's, and /mine shows both.
func TestE2EUnitReports(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	data, err := os.ReadFile(h.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, r := range [][2]string{
		{"  unit_reports: false\n", "  unit_reports: true\n"},
		{"  - key: qian_cun\n", "  - key: dong_wenshu\n    name: 董某某\n    telegram_id: 100000020\n    roles: [cadre]\n    unit: 东村\n\n  - key: qian_cun\n"},
		{"    owners: [zhao_cun, qian_cun, sun_cun]\n", "    owners: [zhao_cun, qian_cun, sun_cun]\n    unit: 东村\n"},
	} {
		if !strings.Contains(text, r[0]) {
			t.Fatalf("the example config no longer has %q", r[0])
		}
		text = strings.Replace(text, r[0], r[1], 1)
	}
	if err := os.WriteFile(h.cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(h.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	h.cfg, h.plan = cfg, cfg.Plan
	if _, err := h.db.SyncPlan(h.ctx, h.plan, fixedNow); err != nil {
		t.Fatal(err)
	}
	h.start()

	echo := one(t, h.say(uDong, "1.3 累计入股32户"))
	wants(t, "the clerk's report on a village item", echo.Text, "✅ 已记录 <b>1.3</b>", "32户", "代 赵某某 汇报")
	rs := h.reports("1.3")
	if len(rs) != 1 || rs[0].Reporter != "dong_wenshu" || rs[0].OnBehalfOf != "zhao_cun" {
		t.Errorf("1.3 after the clerk's report: %+v, want one by dong_wenshu on behalf of zhao_cun", rs)
	}
	wants(t, "another village's item", one(t, h.say(uDong, "2.3 进度40%")).Text, "2.3 不是您负责的事项")
	if n := len(h.reports("2.3")); n != 0 {
		t.Errorf("the clerk's report on 2.3 was recorded: %d reports", n)
	}
	wants(t, "/mine", one(t, h.say(uDong, "/mine")).Text, "董某某及东村的事项", "1.3")
}
