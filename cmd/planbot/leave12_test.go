package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"planbot"
	"planbot/storage"
)

// leavesOf is person's leaves said in chat, as the database holds them.
func (h *e2e) leavesOf(person string) []planbot.Leave {
	h.t.Helper()
	all, err := h.db.Leaves(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []planbot.Leave
	for _, l := range all {
		if l.Person == person {
			out = append(out, l)
		}
	}
	return out
}

// Issue 12.6: a cadre says 请假到…, the database holds the span, /mine
// says so at the top, a report that mentions someone's 请假 is a report,
// and 销假 ends the leave. The conversation's day is 15 June 2027.
func TestE2ELeave(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()
	june := func(d int) planbot.Date { return planbot.Date{Year: 2027, Month: 6, Day: d} }

	r := one(t, h.say(uMa, "请假到6月25日"))
	wants(t, "leave", r.Text, "已登记请假：6月15日至6月25日。期间不再给您发提醒，您的事项在分管领导处标注“请假”。发送 销假 可提前结束。")
	ls := h.leavesOf("ma_jingfa")
	if len(ls) != 1 || ls[0].From != june(15) || ls[0].To != june(25) || ls[0].Source != planbot.LeaveFromChat {
		t.Fatalf("leaves after 请假到6月25日: %+v", ls)
	}
	if !h.audited(uMa.ID, "leave") {
		t.Error("the leave is not in the audit log")
	}

	r = one(t, h.say(uMa, "/mine"))
	if first, _, _ := strings.Cut(r.Text, "\n"); !strings.Contains(first, "您在请假（至6月25日）") {
		t.Errorf("/mine does not open with the leave:\n%s", r.Text)
	}

	// Someone else's 请假 inside a report is the report's words.
	r = one(t, h.say(uMa, "2.3 因村支书请假，进度推迟"))
	wants(t, "report mentioning 请假", r.Text, "2.3")
	if rs := h.reports("2.3"); len(rs) != 1 || !strings.Contains(rs[0].Note, "村支书请假") {
		t.Errorf("2.3 after a report mentioning 请假: %+v", rs)
	}
	if ls := h.leavesOf("ma_jingfa"); len(ls) != 1 || ls[0].To != june(25) {
		t.Errorf("the report changed the leave: %+v", ls)
	}

	// A later word about the same days replaces the earlier one.
	r = one(t, h.say(uMa, "我6月20日到28日请假"))
	wants(t, "second leave", r.Text, "已登记请假：6月20日至6月28日")
	if l, ok := planbot.OnLeave(h.leavesOf("ma_jingfa"), "ma_jingfa", june(25)); !ok || l.From != june(20) || l.To != june(28) {
		t.Errorf("on 25 June after the second leave: %+v %v; all %+v", l, ok, h.leavesOf("ma_jingfa"))
	}

	r = one(t, h.say(uMa, "销假"))
	wants(t, "销假", r.Text, "已销假")
	for _, d := range []int{15, 20, 28} {
		if l, ok := planbot.OnLeave(h.leavesOf("ma_jingfa"), "ma_jingfa", june(d)); ok {
			t.Errorf("still on leave on 6月%d after 销假: %+v", d, l)
		}
	}
	r = one(t, h.say(uMa, "/mine"))
	if first, _, _ := strings.Cut(r.Text, "\n"); strings.Contains(first, "请假") {
		t.Errorf("/mine after 销假 still mentions the leave:\n%s", r.Text)
	}
	wants(t, "销假 twice", one(t, h.say(uMa, "销假")).Text, "您目前没有登记请假")

	// A leave already over is refused, and nothing is stored.
	wants(t, "past leave", one(t, h.say(uQian, "请假到6月1日")).Text, "已过")
	if ls := h.leavesOf("qian_cun"); len(ls) != 0 {
		t.Errorf("a past leave was stored: %+v", ls)
	}

	// /leave for oneself in days, and a leader for someone else; a
	// cadre may not register someone else's.
	wants(t, "/leave 3天", one(t, h.say(uQian, "/leave 3天")).Text, "已登记请假：6月15日至6月17日")
	wants(t, "leader for sun_cun", one(t, h.say(uChen, "/leave sun_cun 6月20日")).Text, "已为孙某某登记请假：6月15日至6月20日")
	if ls := h.leavesOf("sun_cun"); len(ls) != 1 || ls[0].To != june(20) {
		t.Errorf("sun_cun's leave: %+v", ls)
	}
	wants(t, "cadre for another", one(t, h.say(uZhao, "/leave qian_cun 6月30日")).Text, "只有领导和党政办可以为别人登记请假")
	if ls := h.leavesOf("qian_cun"); len(ls) != 1 || ls[0].To != june(17) {
		t.Errorf("a cadre changed qian_cun's leave: %+v", ls)
	}
	wants(t, "/leave alone", one(t, h.say(uQian, "/leave")).Text, "6月15日至6月17日")
}

// planbot people shows who is on leave now and who will be, from the
// YAML and from chat.
func TestPeopleShowsLeave(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "planbot.db")
	cfgPath := writeConfig(t, dir, "", dbPath)
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "    unit: 南岭村\n", "    unit: 南岭村\n    leave:\n      - {from: 2027-06-10, to: 2027-06-20, note: 住院}\n", 1)
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.InSession(ctx, func(s planbot.Tx) error {
		_, err := s.AddLeave(ctx, planbot.Leave{Person: "zhao_cun", From: planbot.Date{Year: 2027, Month: 7, Day: 1}, To: planbot.Date{Year: 2027, Month: 7, Day: 5}, At: fixedNow})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r := runCmd(t, "people", "-config", cfgPath)
	if r.code != exitOK {
		t.Fatalf("people = %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, re := range []string{
		`(?m)^sun_cun +孙某某 +干部 +南岭村 +未绑定：邀请码还没用 🏖 请假至6月20日`,
		`(?m)^sun_cun +孙某某 +6月10日至6月20日 +请假中 +配置 +住院$`,
		`(?m)^zhao_cun +赵某某 +7月1日至7月5日 +将要请假 +聊天 06-15 09:00`,
		`请假（正在请假和已登记将要请假的，2 条）`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("people does not match %s:\n%s", re, r.stdout)
		}
	}
}
