package intake

import (
	"testing"
	"time"

	"planbot"
)

// A cadre's own leave in words is read with its span (the plan year for a
// day without a year, today for a span without a start); someone else's
// leave inside a report is the report's words, never a leave.
func TestUnderstandLeave(t *testing.T) {
	plan := loadParsePlan(t) // year 2027
	today := planbot.Date{Year: 2027, Month: 12, Day: 4}
	d := func(m, day int) string { return planbot.Date{Year: 2027, Month: time.Month(m), Day: day}.String() }
	cases := []struct {
		text           string
		kind           IntentKind
		from, to, note string // for a leave
		problem        bool
	}{
		{text: "请假到12月15日", kind: IntentLeave, from: d(12, 4), to: d(12, 15)},
		{text: "我请假到12月15号", kind: IntentLeave, from: d(12, 4), to: d(12, 15)},
		{text: "请假到15号", kind: IntentLeave, from: d(12, 4), to: d(12, 15)},
		{text: "我12月10日到15日请假", kind: IntentLeave, from: d(12, 10), to: d(12, 15)},
		{text: "12月10日至12月15日请假，住院", kind: IntentLeave, from: d(12, 10), to: d(12, 15), note: "住院"},
		{text: "请假 12月10日-15日", kind: IntentLeave, from: d(12, 10), to: d(12, 15)},
		{text: "请假三天", kind: IntentLeave, from: d(12, 4), to: d(12, 6)},
		{text: "因病请假两天", kind: IntentLeave, from: d(12, 4), to: d(12, 5), note: "因病"},
		{text: "明天起请假一周", kind: IntentLeave, from: d(12, 5), to: d(12, 11)},
		{text: "明天请假", kind: IntentLeave, from: d(12, 5), to: d(12, 5)},
		{text: "家里有事，明天请假。", kind: IntentLeave, from: d(12, 5), to: d(12, 5), note: "家里有事"},
		{text: "请假到１２月１５日", kind: IntentLeave, from: d(12, 4), to: d(12, 15)},
		{text: "我要请假", kind: IntentLeave, problem: true},
		{text: "我下周请假", kind: IntentLeave, problem: true},
		{text: "请假到12月1日", kind: IntentLeave, problem: true},                        // over already
		{text: "请假到2028年1月5日", kind: IntentLeave, from: d(12, 4), to: "2028-01-05"}, // across the year end: reminders stop either way
		{text: "请假到1月5日", kind: IntentLeave, from: d(12, 4), to: "2028-01-05"},      // the next 5 January
		{text: "请假到2029年1月5日", kind: IntentLeave, problem: true},                    // over a year
		{text: "请假到12月15日，2.3进度60%", kind: IntentUnknown, problem: true},
		{text: "销假", kind: IntentLeaveEnd},
		{text: "我已经销假了", kind: IntentLeaveEnd},
		// Someone else's leave is what a report says, not a leave.
		{text: "2.3 因村支书请假，进度推迟", kind: IntentItemReport},
		{text: "因村支书请假，4.5进度推迟", kind: IntentItemReport},
		{text: "村支书请假了，2.4 签约推迟到下周", kind: IntentItemReport},
		{text: "请假怎么请？", kind: IntentQuestion},
	}
	for _, tt := range cases {
		in := Understand(tt.text, Context{Plan: plan, Owned: []string{"2.1", "2.2", "2.3", "2.4", "2.5", "2.6"}, Today: today})
		if in.Kind != tt.kind || (in.Problem != "") != tt.problem {
			t.Errorf("%q: kind %s, problem %q; want %s, problem %v", tt.text, in.Kind, in.Problem, tt.kind, tt.problem)
			continue
		}
		if tt.from == "" {
			continue
		}
		if in.Leave == nil || in.Leave.From.String() != tt.from || in.Leave.To.String() != tt.to || in.Leave.Note != tt.note {
			t.Errorf("%q: leave %+v, want %s to %s, note %q", tt.text, in.Leave, tt.from, tt.to, tt.note)
		}
	}
}

// What follows /leave: a last day, a span, days, 销假.
func TestReadLeave(t *testing.T) {
	today := planbot.Date{Year: 2027, Month: 12, Day: 4}
	cases := []struct{ args, kind, from, to, note string }{
		{"12月15日", "leave", "2027-12-04", "2027-12-15", ""},
		{"12月15日 住院", "leave", "2027-12-04", "2027-12-15", "住院"},
		{"12月10日到15日", "leave", "2027-12-10", "2027-12-15", ""},
		{"3天", "leave", "2027-12-04", "2027-12-06", ""},
		{"明天", "leave", "2027-12-04", "2027-12-05", ""},
		{"off", "leave_end", "", "", ""},
		{"销假", "leave_end", "", "", ""},
	}
	for _, tt := range cases {
		in, ok := ReadLeave(tt.args, 2027, today)
		if !ok || string(in.Kind) != tt.kind || in.Problem != "" {
			t.Errorf("/leave %s = %v %+v, want %s", tt.args, ok, in, tt.kind)
			continue
		}
		if tt.from != "" && (in.Leave == nil || in.Leave.From.String() != tt.from || in.Leave.To.String() != tt.to || in.Leave.Note != tt.note) {
			t.Errorf("/leave %s: leave %+v, want %s to %s, note %q", tt.args, in.Leave, tt.from, tt.to, tt.note)
		}
	}
	if _, ok := ReadLeave("下周再说", 2027, today); ok {
		t.Error("/leave 下周再说 read as a leave")
	}
}

// In December before the plan year a cadre's 12月15日 is this December's,
// not the plan year's: the leave starts today and ends in ten days.
func TestLeaveBeforeThePlanYear(t *testing.T) {
	plan := loadParsePlan(t) // year 2027
	today := planbot.Date{Year: 2026, Month: 12, Day: 5}
	in := Understand("请假到12月15日", Context{Plan: plan, Today: today})
	if in.Kind != IntentLeave || in.Problem != "" || in.Leave == nil {
		t.Fatalf("请假到12月15日 on 2026-12-05 = %+v; want a leave", in)
	}
	if in.Leave.From != today || in.Leave.To != (planbot.Date{Year: 2026, Month: 12, Day: 15}) {
		t.Errorf("leave = %v..%v; want 2026-12-05..2026-12-15", in.Leave.From, in.Leave.To)
	}
}
