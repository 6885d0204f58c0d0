package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"planbot"
)

func yuan(v int64) planbot.Amount {
	return planbot.Amount{Value: planbot.Decimal(v * 10000), Unit: "元"}
}

func TestLatestObservations(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	add := func(o planbot.Observation) planbot.Observation {
		t.Helper()
		out, err := db.AddObservation(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	jan := time.Date(2024, 1, 31, 18, 0, 0, 0, cst)
	feb := time.Date(2024, 2, 29, 18, 0, 0, 0, cst)
	mar := time.Date(2024, 3, 31, 18, 0, 0, 0, cst)
	yearStart := time.Date(2024, 1, 1, 0, 0, 0, 0, cst)
	apr1 := time.Date(2024, 4, 1, 0, 0, 0, 0, cst)

	add(planbot.Observation{Indicator: "fai", At: jan, Value: yuan(100_000_000), Reporter: "zhao"})
	febFAI := add(planbot.Observation{Indicator: "fai", At: feb, Value: yuan(150_000_000), Reporter: "zhao"})
	// March's figure is typed wrong, then corrected (the correction keeps the
	// figure's date).
	marFAI := add(planbot.Observation{Indicator: "fai", At: mar, Value: yuan(3_200_000_000), Reporter: "zhao", Note: "累计32亿"})
	fixed := add(planbot.Observation{Indicator: "fai", At: mar, Value: yuan(320_000_000), Reporter: "zhao",
		Supersedes: marFAI.ID, Note: "更正：累计3.2亿"})
	// Tax: March's figure is withdrawn, so February's counts.
	febTax := add(planbot.Observation{Indicator: "tax", At: feb, Value: yuan(5_000_000)})
	marTax := add(planbot.Observation{Indicator: "tax", At: mar, Value: yuan(9_000_000)})
	add(planbot.Observation{Indicator: "tax", At: mar.Add(time.Hour), Supersedes: marTax.ID, Withdrawn: true})
	// A figure after the window.
	add(planbot.Observation{Indicator: "fai", At: apr1, Value: yuan(400_000_000)})

	got, err := db.LatestObservations(ctx, yearStart, apr1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d indicators: %+v", len(got), got)
	}
	if o := got["fai"]; o.ID != fixed.ID || o.Value != yuan(320_000_000) || o.Reporter != "zhao" || !o.At.Equal(mar) {
		t.Errorf("fai = %+v; want the corrected March figure %+v", o, fixed)
	}
	if o := got["tax"]; o.ID != febTax.ID {
		t.Errorf("tax = %+v; want February's %+v (March's was withdrawn)", o, febTax)
	}

	// The window is [from, to): a figure exactly at `to` is out, at `from` in.
	got, _ = db.LatestObservations(ctx, feb, mar)
	if o := got["fai"]; o.ID != febFAI.ID {
		t.Errorf("[feb, mar) fai = %+v; want %+v", o, febFAI)
	}
	if _, ok := got["export"]; ok {
		t.Error("an indicator without observations is in the map")
	}
	got, _ = db.LatestObservations(ctx, apr1, apr1.AddDate(0, 1, 0))
	if o := got["fai"]; !o.At.Equal(apr1) {
		t.Errorf("[apr1, may1) fai = %+v; want the April 1 figure", o)
	}
	// A sub-second bound does not let in the figure of the second before it.
	got, _ = db.LatestObservations(ctx, apr1.Add(time.Millisecond), apr1.AddDate(0, 1, 0))
	if len(got) != 0 {
		t.Errorf("window starting just after April 1 00:00 = %+v; want nothing", got)
	}

	hist, err := db.IndicatorObservations(ctx, "fai")
	if err != nil || len(hist) != 5 {
		t.Errorf("fai history = %d observations, %v; want 5", len(hist), err)
	}
}

func TestAddObservationErrors(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	fai, err := db.AddObservation(ctx, planbot.Observation{Indicator: "fai", At: t0, Value: yuan(1)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		o    planbot.Observation
		is   error
	}{
		{"unknown indicator", planbot.Observation{Indicator: "gdp", At: t0}, ErrNotFound},
		{"unknown reporter", planbot.Observation{Indicator: "fai", At: t0, Reporter: "nobody"}, ErrNotFound},
		{"no time", planbot.Observation{Indicator: "fai"}, ErrInvalid},
		{"correction of another indicator", planbot.Observation{Indicator: "tax", At: t0, Supersedes: fai.ID}, ErrInvalid},
		{"withdraw nothing", planbot.Observation{Indicator: "fai", At: t0, Withdrawn: true}, ErrInvalid},
	} {
		if _, err := db.AddObservation(ctx, tc.o); !errors.Is(err, tc.is) {
			t.Errorf("%s: err = %v; want %v", tc.name, err, tc.is)
		}
	}
	plan := testPlan()
	plan.Indicators = plan.Indicators[1:]
	mustSync(t, db, plan, t0.Add(time.Hour))
	if _, err := db.AddObservation(ctx, planbot.Observation{Indicator: "fai", At: t0, Value: yuan(2)}); !errors.Is(err, ErrArchived) {
		t.Errorf("observation of an archived indicator: err = %v; want ErrArchived", err)
	}
}
