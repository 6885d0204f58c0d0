package storage

import (
	"context"
	"fmt"
	"testing"
	"time"

	"planbot"
)

// bigPlan has n items over 4 sections, each owned by one of 40 cadres.
func bigPlan(n int) *planbot.Plan {
	p := testPlan()
	for i := range 40 {
		p.People = append(p.People, planbot.Person{Key: fmt.Sprintf("cadre%02d", i), Name: fmt.Sprintf("干部%02d", i),
			Roles: []planbot.Role{planbot.RoleCadre}})
	}
	p.Items = nil
	for i := range n {
		p.Items = append(p.Items, planbot.Item{
			Code: fmt.Sprintf("%d.%d", i%2+1, i/2+1), Section: fmt.Sprint(i%2 + 1), Title: fmt.Sprintf("事项%d", i),
			Owners: []string{fmt.Sprintf("cadre%02d", i%40)}, Due: date("2024-12-31"),
		})
	}
	return p
}

// BenchmarkAddReport is one report per transaction, as the bot writes them.
func BenchmarkAddReport(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	mustSync(b, db, bigPlan(400), t0)
	r := planbot.Report{ItemCode: "2.3", Reporter: "cadre05", At: t0, Percent: ptr(42.0),
		Note: "已与XX酒店签约", PhotoIDs: []string{"telegram:AgACAgUAAxkBAAI"}}
	for b.Loop() {
		if _, err := db.AddReport(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAllReports reads the history of a whole plan: 400 items × 150
// reports.
func BenchmarkAllReports(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	plan := bigPlan(400)
	mustSync(b, db, plan, t0)
	err := db.inTx(ctx, func(tx *txn) error {
		for i := range 150 {
			for _, it := range plan.Items {
				r := planbot.Report{ItemCode: it.Code, Reporter: it.Owners[0], At: t0.Add(time.Duration(i) * time.Hour),
					Percent: ptr(float64(i) * 100 / 150), Note: "进度更新"}
				if i%10 == 0 {
					r.PhotoIDs = []string{"telegram:AgACAgUAAxkBAAI"}
				}
				if _, err := addReport(ctx, tx, r); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		all, err := db.AllReports(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(all) != 400 || len(all["1.1"]) != 150 {
			b.Fatalf("%d items, %d reports of 1.1", len(all), len(all["1.1"]))
		}
	}
}

// BenchmarkRawInsert is the ceiling AddReport is compared with in
// docs/BENCHMARKS.md: one single-row INSERT per transaction through the same
// writer connection and pragmas, with no lookups, checks or indexes.
func BenchmarkRawInsert(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE raw_bench (id INTEGER PRIMARY KEY, at INTEGER, note TEXT)`); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		err := db.inTx(ctx, func(tx *txn) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO raw_bench (at, note) VALUES (?, ?)`, 1700000000, "已与XX酒店签约")
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandleUpdate is one inbound update as the Telegram loop handles
// it: in one transaction, check the update is new, add one report, queue
// one reply, record the update and the offset. Compare with
// BenchmarkAddReport and BenchmarkRawInsert.
func BenchmarkHandleUpdate(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	mustSync(b, db, bigPlan(400), t0)
	r := planbot.Report{ItemCode: "2.3", Reporter: "cadre05", At: t0, Percent: ptr(42.0),
		Note: "已与XX酒店签约", PhotoIDs: []string{"telegram:AgACAgUAAxkBAAI"}}
	replies := []OutboxMessage{{ChatID: tgChat(5005), Text: "已记录 <b>2.3</b>：42%", Priority: 10}}
	id := 1000
	for b.Loop() {
		id++
		already, err := db.HandleUpdate(ctx, id, id+1, t0, func(s planbot.Tx) ([]OutboxMessage, error) {
			_, err := s.AddReport(ctx, r)
			return replies, err
		})
		if err != nil || already {
			b.Fatal(already, err)
		}
	}
}
