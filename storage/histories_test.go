package storage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"planbot"
)

// historyPlan is testPlan with n more items on random histories: shared
// and per_owner, with and without a target.
func historyPlan(n int) *planbot.Plan {
	p := testPlan()
	for i := range n {
		it := planbot.Item{Code: fmt.Sprintf("9.%d", i+1), Section: "2", Title: "随机事项", Owners: []string{"li", "wang"},
			Leader: "zhao", Start: date("2024-01-01"), Due: date("2024-12-31")}
		if i%3 != 2 {
			it.Target = &planbot.Amount{Value: 200 * planbot.DecimalScale, Unit: "户"}
		}
		if i%2 == 1 {
			it.Tally = planbot.TallyPerOwner
		}
		p.Items = append(p.Items, it)
	}
	return p
}

// addRandomHistory stores a random history on it as cadres make them:
// reports with a percent, a figure (now and then in another unit), done or
// words only, some for another owner, some corrected or withdrawn later,
// and clocks that now and then run behind the order of arrival.
func addRandomHistory(t *testing.T, db *DB, rng *rand.Rand, it planbot.Item, start time.Time) {
	t.Helper()
	var open []int64 // reports neither withdrawn nor superseded
	people := []string{"li", "wang", "zhao"}
	at := start
	for range rng.IntN(30) {
		at = at.Add(time.Duration(1+rng.IntN(48)) * time.Hour)
		r := planbot.Report{ItemCode: it.Code, Reporter: people[rng.IntN(len(people))], At: at}
		if rng.IntN(8) == 0 {
			r.At = at.Add(-time.Duration(rng.IntN(20)) * time.Hour)
		}
		if rng.IntN(4) == 0 {
			r.OnBehalfOf = people[rng.IntN(2)]
		}
		switch rng.IntN(6) {
		case 0:
			r.Done = true
		case 1, 2:
			r.Percent = ptr(float64(rng.IntN(101)))
		case 3:
			unit := "户"
			if rng.IntN(3) == 0 {
				unit = "亩"
			}
			r.Value = &planbot.Amount{Value: planbot.Decimal(rng.IntN(300)) * planbot.DecimalScale, Unit: unit}
		default:
			r.Note = "推进中"
		}
		if len(open) > 0 && rng.IntN(4) == 0 {
			k := rng.IntN(len(open))
			r.Supersedes = open[k]
			open = slices.Delete(open, k, k+1)
			if rng.IntN(2) == 0 {
				r = planbot.Report{ItemCode: it.Code, Reporter: r.Reporter, At: r.At, Supersedes: r.Supersedes, Withdrawn: true}
			}
		}
		saved := mustAddReport(t, db, r)
		if !saved.Withdrawn {
			open = append(open, saved.ID)
		}
	}
}

func reportIDs(rs []planbot.Report) []int64 {
	ids := make([]int64, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}

// Histories must hand out exactly the reports planbot.Needed names, for
// every kind of item and need, read from a real SQLite file, so that every
// view derives from it what it would from the whole history.
func TestHistoriesAreWhatStatusNeeds(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	plan := historyPlan(60)
	mustSync(t, db, plan, t0)
	rng := rand.New(rand.NewPCG(15, 2))
	for _, it := range plan.Items {
		addRandomHistory(t, db, rng, it, t0)
	}
	whole := map[string][]planbot.Report{}
	for _, it := range plan.Items {
		rs, err := db.ItemReports(ctx, it.Code)
		if err != nil {
			t.Fatal(err)
		}
		whole[it.Code] = rs
	}
	moment := func() time.Time {
		return t0.Add(time.Duration(rng.IntN(30*48))*time.Hour + time.Duration(rng.IntN(2))*time.Second/2)
	}
	for round := range 40 {
		var need planbot.HistoryNeed
		if round%2 == 0 {
			need.Since = moment()
		}
		for range round % 3 {
			need.Before = append(need.Before, moment())
		}
		got, err := db.Histories(ctx, plan.Items, need)
		if err != nil {
			t.Fatal(err)
		}
		read := 0
		for _, it := range plan.Items {
			want := reportIDs(planbot.Needed(it, whole[it.Code], need))
			if g := reportIDs(got[it.Code]); !slices.Equal(g, want) {
				t.Fatalf("round %d, need %+v, item %s (tally %q): got %v, want %v\nhistory %+v", round, need, it.Code, it.Tally, g, want, whole[it.Code])
			}
			read += len(want)
		}
		if round == 1 {
			all := 0
			for _, rs := range whole {
				all += len(rs)
			}
			if read*2 > all {
				t.Fatalf("now only: read %d of %d reports", read, all)
			}
		}
	}
}

// The queries walk indexes: none may read the reports table in bulk, or a
// county's twelve years would be read for every view.
func TestHistoriesUseIndexes(t *testing.T) {
	db := openTest(t)
	for _, query := range []string{selectReports + ` WHERE r.id IN (` + standingQuery + `)`, selectReports + ` WHERE r.id IN (` + shareStandingQuery + `)`, selectReports + recentWhere} {
		rows, err := db.read.Query("EXPLAIN QUERY PLAN "+query, `[["2.3","只",true]]`, 1)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		for _, line := range plan {
			scan := strings.HasPrefix(line, "SCAN ") && line != "SCAN o" && !strings.HasPrefix(line, "SCAN j VIRTUAL TABLE")
			if scan || line == "SEARCH reports" || (query != selectReports+recentWhere && strings.Contains(line, "reports_at")) {
				t.Errorf("query plan reads the reports in bulk (%q):\n%s", line, text)
			}
		}
	}
}
