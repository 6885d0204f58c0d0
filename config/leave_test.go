package config_test

import (
	"os"
	"strings"
	"testing"

	"planbot"
	"planbot/config"
)

// A person's leave: spans load into Plan.Leaves with their note, marked as
// the YAML's; a single mapping where a list is expected is refused with
// its line.
func TestLeaveFromYAML(t *testing.T) {
	data, err := os.ReadFile("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	anchor := "    telegram_id: 300\n    roles: [cadre]\n"
	text := strings.Replace(string(data), anchor, anchor+
		"    leave:\n      - from: 2027-12-01\n        to: 2027-12-15\n        note: 住院\n      - {from: 2027-12-20, to: 2027-12-20}\n", 1)
	cfg, err := config.Parse("leave.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := []planbot.Leave{
		{Person: "zhao_cadre", From: planbot.Date{Year: 2027, Month: 12, Day: 1}, To: planbot.Date{Year: 2027, Month: 12, Day: 15}, Source: planbot.LeaveFromYAML, Note: "住院"},
		{Person: "zhao_cadre", From: planbot.Date{Year: 2027, Month: 12, Day: 20}, To: planbot.Date{Year: 2027, Month: 12, Day: 20}, Source: planbot.LeaveFromYAML},
	}
	if len(cfg.Plan.Leaves) != len(want) {
		t.Fatalf("leaves = %+v, want %+v", cfg.Plan.Leaves, want)
	}
	for i := range want {
		if cfg.Plan.Leaves[i] != want[i] {
			t.Errorf("leave %d = %+v, want %+v", i, cfg.Plan.Leaves[i], want[i])
		}
	}
	if l, ok := planbot.OnLeave(cfg.Plan.Leaves, "zhao_cadre", planbot.Date{Year: 2027, Month: 12, Day: 15}); !ok || l.Note != "住院" {
		t.Errorf("OnLeave on the last day = %+v, %v; want the first span", l, ok)
	}

	text = strings.Replace(string(data), anchor, anchor+"    leave: {from: 2027-12-01, to: 2027-12-15}\n", 1)
	_, err = config.Parse("leave.yaml", []byte(text))
	wantErr := `leave.yaml:11: people[2].leave: 应为列表（以 - 开头的多行，或 [a, b]），而不是映射（键: 值）`
	if err == nil || err.Error() != wantErr {
		t.Errorf("a mapping for leave: %v\nwant %s", err, wantErr)
	}
	text = strings.Replace(string(data), anchor, anchor+"    leave:\n      - from: 2027-12-01\n        untill: 2027-12-15\n", 1)
	_, err = config.Parse("leave.yaml", []byte(text))
	wantErr = "leave.yaml:12: people[2].leave[1]: 缺少 to：应写请假结束日期（含当天），格式 YYYY-MM-DD，如 2027-06-30\n" +
		`leave.yaml:13: people[2].leave[1].untill: 未知字段 "untill"，这里可用的字段：from, to, note`
	if err == nil || err.Error() != wantErr {
		t.Errorf("a misspelt key: %v\nwant %s", err, wantErr)
	}
}
