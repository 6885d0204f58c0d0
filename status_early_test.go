package planbot

import (
	"testing"
	"time"
)

// An item reported before its start is not started, marked Early, and says
// so; after the start the early report counts as progress.
func TestEarlyReportBeforeStart(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	item := Item{Code: "2.3", Start: Date{2027, time.January, 4}, Due: Date{2027, time.June, 30}}
	p := 20.0
	reports := []Report{{ID: 1, ItemCode: "2.3", At: time.Date(2026, time.December, 10, 10, 0, 0, 0, loc), Percent: &p}}
	st := DeriveStatus(item, reports, time.Date(2026, time.December, 12, 9, 0, 0, 0, loc), loc, DefaultRules)
	if st.Status != StatusNotStarted || !st.Early || st.Percent != 20 || st.Phrase() != "未开始，已提前汇报" {
		t.Errorf("before start: %+v, phrase %q; want not_started, Early, 20%%, 未开始，已提前汇报", st, st.Phrase())
	}
	if st := DeriveStatus(item, nil, time.Date(2026, time.December, 12, 9, 0, 0, 0, loc), loc, DefaultRules); st.Early || st.Phrase() != "未开始" {
		t.Errorf("before start, never reported: %+v, phrase %q", st, st.Phrase())
	}
	if st := DeriveStatus(item, reports, time.Date(2027, time.January, 6, 9, 0, 0, 0, loc), loc, DefaultRules); st.Early || st.Status != StatusOnTrack || st.Percent != 20 {
		t.Errorf("after start: %+v; want on_track at 20%% from the early report", st)
	}
}
