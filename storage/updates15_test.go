package storage

import (
	"context"
	"errors"
	"slices"
	"testing"

	"planbot"
)

// queuedTexts is the text of every message in the outbox, in order.
func queuedTexts(t *testing.T, db *DB) []string {
	t.Helper()
	var texts []string
	if err := db.read.Select(&texts, `SELECT text FROM outbox ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return texts
}

// A batch of polled updates commits as one: each update's report and
// reply, or, for one whose handling fails, nothing of it but its apology;
// an update recorded before is skipped; an apology the outbox refuses is
// dropped and its update recorded all the same.
func TestHandleUpdatesOneTransaction(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	if err := db.RecordUpdate(ctx, 101, 102, t0); err != nil {
		t.Fatal(err)
	}
	report := func(pct float64, reply string, fail bool) func(planbot.Tx) ([]planbot.OutboxMessage, error) {
		return func(tx planbot.Tx) ([]planbot.OutboxMessage, error) {
			if _, err := tx.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: &pct}); err != nil {
				return nil, err
			}
			if fail {
				return nil, errors.New("the handler failed after writing")
			}
			return []planbot.OutboxMessage{{ChatID: tgChat(2001), Text: reply}}, nil
		}
	}
	sorry := func(text string) func() []planbot.OutboxMessage {
		return func() []planbot.OutboxMessage { return []planbot.OutboxMessage{{ChatID: tgChat(2001), Text: text}} }
	}
	malformed := func() []planbot.OutboxMessage { return []planbot.OutboxMessage{{Text: "no chat"}} }
	out, err := db.HandleUpdates(ctx, []planbot.PolledUpdate{
		{ID: 100, NextOffset: 101, Now: t0, Serve: report(10, "已记录 10%", false), Apology: sorry("抱歉 100")},
		{ID: 101, NextOffset: 102, Now: t0, Serve: report(99, "never", false), Apology: sorry("抱歉 101")},
		{ID: 102, NextOffset: 103, Now: t0, Serve: report(20, "never", true), Apology: sorry("抱歉 102")},
		{ID: 103, NextOffset: 104, Now: t0, Serve: report(30, "never", true), Apology: malformed},
		{ID: 104, NextOffset: 105, Now: t0},
		{ID: 105, NextOffset: 106, Now: t0, Serve: report(40, "已记录 40%", false), Apology: sorry("抱歉 105")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !out[1].Already || out[0].Already || out[0].Failed != nil {
		t.Errorf("outcomes %+v: want 101 already handled, 100 handled", out)
	}
	if out[2].Failed == nil || out[2].ApologyRefused != nil || out[3].Failed == nil || out[3].ApologyRefused == nil {
		t.Errorf("outcomes %+v: want 102 failed with its apology, 103 failed with its apology refused", out)
	}
	rs, err := db.ItemReports(ctx, "2.3")
	if err != nil {
		t.Fatal(err)
	}
	var pcts []float64
	for _, r := range rs {
		pcts = append(pcts, *r.Percent)
	}
	if !slices.Equal(pcts, []float64{10, 40}) {
		t.Errorf("reports %v, want 10 and 40: a failed update's report must be rolled back", pcts)
	}
	if got, want := queuedTexts(t, db), []string{"已记录 10%", "抱歉 102", "已记录 40%"}; !slices.Equal(got, want) {
		t.Errorf("queued %q, want %q", got, want)
	}
	for id := 100; id <= 105; id++ {
		if h, _ := db.UpdateHandled(ctx, id); !h {
			t.Errorf("update %d not recorded", id)
		}
	}
	if off, _ := db.Offset(ctx); off != 106 {
		t.Errorf("offset %d, want 106", off)
	}
}

// An outage in any update of a batch leaves nothing of the batch written:
// the poller then goes one by one.
func TestHandleUpdatesOutageWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	before := dump(t, db)
	pct := 10.0
	_, err := db.HandleUpdates(ctx, []planbot.PolledUpdate{
		{ID: 1, NextOffset: 2, Now: t0, Serve: func(tx planbot.Tx) ([]planbot.OutboxMessage, error) {
			_, err := tx.AddReport(ctx, planbot.Report{ItemCode: "2.3", Reporter: "li", At: t0, Percent: &pct})
			return []planbot.OutboxMessage{{ChatID: tgChat(2001), Text: "ok"}}, err
		}},
		{ID: 2, NextOffset: 3, Now: t0, Serve: func(planbot.Tx) ([]planbot.OutboxMessage, error) {
			return nil, &unwritableError{errors.New("database or disk is full")}
		}},
	})
	if !errors.Is(err, planbot.ErrUnwritable) {
		t.Fatalf("err = %v, want ErrUnwritable", err)
	}
	if after := dump(t, db); after != before {
		t.Errorf("a batch that met an outage wrote:\n%s", after)
	}
}
