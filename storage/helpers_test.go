package storage

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"planbot"
)

// cst is the plan's zone in tests (Asia/Shanghai has no DST).
var cst = time.FixedZone("CST", 8*3600)

// t0 is a Monday morning in the plan's zone.
var t0 = time.Date(2024, 3, 4, 9, 0, 0, 0, cst)

func openTest(t testing.TB, opts ...Option) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "planbot.db"), opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// tg is Telegram's platform name: the tests' chats and accounts are
// Telegram's, as every row was before migration 0012.
const tg = "telegram"

// tgChat is the address of Telegram chat n ("telegram:-100").
func tgChat(n int64) planbot.ChatID { return planbot.NewChatID(tg, strconv.FormatInt(n, 10)) }

// tgUser is the address of Telegram account n ("telegram:2001").
func tgUser(n int64) planbot.UserID { return planbot.NewUserID(tg, strconv.FormatInt(n, 10)) }

func date(s string) planbot.Date {
	d, err := planbot.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func ptr[T any](v T) *T { return &v }

// testPlan is a small plan modelled on the seed document: two sections,
// three items, two indicators, four people.
func testPlan() *planbot.Plan {
	return &planbot.Plan{
		Year:     2024,
		Location: cst,
		People: []planbot.Person{
			{Key: "zhang", Name: "张书记", Accounts: []planbot.UserID{tgUser(1001)}, Roles: []planbot.Role{planbot.RoleLeader}, Unit: "党委", Principal: true},
			{Key: "zhao", Name: "赵镇长", Accounts: []planbot.UserID{tgUser(1002)}, Roles: []planbot.Role{planbot.RoleLeader, planbot.RoleAdmin}, Unit: "镇政府"},
			{Key: "li", Name: "李明", Accounts: []planbot.UserID{tgUser(2001)}, Roles: []planbot.Role{planbot.RoleCadre}, Unit: "XX村"},
			{Key: "wang", Name: "王芳", Roles: []planbot.Role{planbot.RoleCadre}, Unit: "YY村", Invite: "K7Q2"},
		},
		Sections: []planbot.Section{
			{Code: "1", Title: "（一）坚持党建引领", Leader: "zhang"},
			{Code: "2", Title: "（二）谋发展、求突破", Leader: "zhao"},
		},
		Items: []planbot.Item{
			{Code: "1.1", Section: "1", Title: "党支部领办合作社全覆盖", Owners: []string{"li"}, Leader: "zhang",
				Start: date("2024-01-01"), Due: date("2024-06-30")},
			{Code: "2.3", Section: "2", Title: "投放蟹苗20万只", Description: "水韵XX农业专业合作社",
				Owners: []string{"li", "wang"}, Leader: "zhao",
				Start: date("2024-03-01"), Due: date("2024-09-30"),
				Target: &planbot.Amount{Value: 200000 * 10000, Unit: "只"},
				Milestones: []planbot.Milestone{
					{Date: date("2024-06-30"), Percent: 50},
					{Date: date("2024-04-30"), Percent: 20},
				}},
			{Code: "2.4", Section: "2", Title: "旱稻示范种植基地", Owners: []string{"wang"}, Due: date("2024-10-31")},
		},
		Indicators: []planbot.Indicator{
			{Key: "fai", Name: "固定资产投资", Aliases: []string{"固投", "投资"}, Unit: "亿元",
				Target: planbot.Amount{Value: 500000000 * 10000, Unit: "元"}, Accumulate: planbot.AccumulateYTD},
			{Key: "tax", Name: "工商税收", Unit: "万元",
				Target:   planbot.Amount{Value: 30000000 * 10000, Unit: "元"},
				LastYear: &planbot.Amount{Value: 28000000 * 10000, Unit: "元"}, Accumulate: planbot.AccumulateYTD},
		},
	}
}

func mustSync(t testing.TB, db *DB, p *planbot.Plan, now time.Time) planbot.SyncReport {
	t.Helper()
	rep, err := db.SyncPlan(context.Background(), p, now)
	if err != nil {
		t.Fatalf("SyncPlan: %v", err)
	}
	return rep
}

func mustAddReport(t testing.TB, db *DB, r planbot.Report) planbot.Report {
	t.Helper()
	out, err := db.AddReport(context.Background(), r)
	if err != nil {
		t.Fatalf("AddReport: %v", err)
	}
	return out
}

// dump renders every row of every table, to compare the whole database
// before and after an operation.
func dump(t testing.TB, db *DB) string {
	t.Helper()
	ctx := context.Background()
	var tables []string
	if err := db.read.SelectContext(ctx, &tables,
		`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, table := range tables {
		fmt.Fprintf(&b, "== %s\n", table)
		rows, err := db.read.QueryxContext(ctx, `SELECT * FROM `+table+` ORDER BY rowid`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals, err := rows.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					vals[i] = string(bs)
				}
			}
			fmt.Fprintf(&b, "%v\n", vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}

// totalChanges is the number of rows the write connection has changed since
// it opened (the write pool has exactly one connection).
func totalChanges(t testing.TB, db *DB) int64 {
	t.Helper()
	var n int64
	if err := db.write.GetContext(context.Background(), &n, `SELECT total_changes()`); err != nil {
		t.Fatal(err)
	}
	return n
}

func count(t testing.TB, db *DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.read.GetContext(context.Background(), &n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
