package storage

import (
	"context"
	"testing"
	"time"

	"planbot"
)

func TestLeavesSaidInChat(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	day := func(m time.Month, d int) planbot.Date { return planbot.Date{Year: 2027, Month: m, Day: d} }
	err := db.InSession(ctx, func(s planbot.Tx) error {
		if _, err := s.AddLeave(ctx, planbot.Leave{Person: "sun_cun", From: day(12, 1), To: day(12, 15), Note: "住院"}); err != nil {
			return err
		}
		if _, err := s.AddLeave(ctx, planbot.Leave{Person: "sun_cun", From: day(12, 20), To: day(12, 22)}); err != nil {
			return err
		}
		if _, err := s.AddLeave(ctx, planbot.Leave{Person: "ma_cun", From: day(12, 3), To: day(12, 4)}); err != nil {
			return err
		}
		if _, err := s.AddLeave(ctx, planbot.Leave{Person: "ma_cun", From: day(12, 5), To: day(12, 4)}); err == nil {
			t.Error("a leave ending before it begins was stored")
		}
		// 销假 on 10 December: the first ends on the 9th, the one ahead is cancelled.
		n, err := s.EndLeave(ctx, "sun_cun", day(12, 10))
		if err != nil || n != 2 {
			t.Errorf("EndLeave = %d, %v; want 2 changed", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.Leaves(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("leaves = %+v; want sun_cun's shortened one and ma_cun's", got)
	}
	if got[0].Person != "sun_cun" || got[0].To != day(12, 9) || got[0].Note != "住院" || got[0].Source != planbot.LeaveFromChat {
		t.Errorf("sun_cun's leave = %+v; want 12-01..12-09, 住院, from chat", got[0])
	}
	if _, ok := planbot.OnLeave(got, "sun_cun", day(12, 21)); ok {
		t.Error("the cancelled leave still covers 21 December")
	}
	if _, ok := planbot.OnLeave(got, "ma_cun", day(12, 4)); !ok {
		t.Error("ma_cun's leave does not cover 4 December")
	}
}
