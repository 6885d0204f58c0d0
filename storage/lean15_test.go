package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Since 0015 the outbox has no index on status alone: the queries that
// read the unsent messages of the whole outbox or of one chat read them
// from the lanes', answers' and held reminders' partial indexes, never
// the table (a year of messages).
func TestUnsentQueriesReadIndexes(t *testing.T) {
	db := openTest(t)
	chat := sql.Named("chat", tgChat(1))
	now, newChat := sql.Named("now", 0), sql.Named("new", tgChat(2))
	for name, q := range map[string]struct {
		query string
		args  []any
	}{
		"PendingMessages":      {pendingMessages, []any{0, 10}},
		"OutboxSummary":        {outboxSummaryPending, []any{10}},
		"FailChat":             {failChat, []any{chat, now, sql.Named("err", "")}},
		"RetargetChat (edits)": {failEditsOfChat, []any{chat, now, sql.Named("err", "")}},
		"RetargetChat (sends)": {moveSendsOfChat, []any{chat, newChat}},
	} {
		plan := queryPlan(t, db, q.query, q.args...)
		joined := strings.Join(plan, "\n")
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN outbox") && !strings.Contains(step, "INDEX") {
				t.Errorf("%s scans the outbox:\n%s", name, joined)
			}
		}
		for _, index := range []string{"outbox_lane_reply", "outbox_lane_job", "outbox_held"} {
			if !strings.Contains(joined, index) {
				t.Errorf("%s does not read %s:\n%s", name, index, joined)
			}
		}
		if (strings.HasPrefix(name, "FailChat") || strings.HasPrefix(name, "Retarget")) && !strings.Contains(joined, "outbox_lane_reply (chat_id=?)") {
			t.Errorf("%s does not seek the chat's lane:\n%s", name, joined)
		}
	}
}

// texts is the texts of msgs, in order.
func texts(msgs []OutboxMessage) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Text
	}
	return out
}

// A claim with perLane takes, behind each head, the next messages of its
// lane that are due, in lane order: the heads first, then each lane's
// second… A reminder lane follows its own head, an answer nothing, and a
// message not yet due ends its lane's run. Unclaim puts them back as they
// were, and the next claim hands them out in the same order.
func TestClaimLaneFollowers(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	later := t0.Add(time.Minute)
	mustEnqueue(t, db,
		OutboxMessage{ChatID: tgChat(1), Text: "A1", Priority: 10},
		OutboxMessage{ChatID: tgChat(2), Text: "B1", Priority: 10},
		OutboxMessage{ChatID: tgChat(1), Text: "A2", Priority: 10},
		OutboxMessage{ChatID: tgChat(1), Text: "A3"}, // a lower priority does not overtake A2
		OutboxMessage{ChatID: tgChat(2), Text: "B2 later", NextAttemptAt: later},
		OutboxMessage{ChatID: tgChat(2), Text: "B3"}, // behind B2, which is not due
		OutboxMessage{Method: MethodAnswer, ChatID: tgChat(1), PressID: "cb", Text: "toast"},
		OutboxMessage{ChatID: tgChat(1), Text: "A4", Priority: 10},
	)
	if err := db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO job_runs (job, scheduled_at, status, started_at) VALUES ('remind', 1, 'done', 1)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	mustEnqueue(t, db,
		OutboxMessage{ChatID: tgChat(3), Text: "C1 reminder", Job: "remind", ScheduledAt: time.Unix(1, 0)},
		OutboxMessage{ChatID: tgChat(3), Text: "C2 reminder", Job: "remind", ScheduledAt: time.Unix(1, 0)},
		OutboxMessage{ChatID: tgChat(3), Text: "C3 reply", Priority: -1},
	)
	claimAll := func(perLane int) []OutboxMessage {
		t.Helper()
		got, err := db.ClaimBatchAfter(ctx, tg, t0, 20, perLane, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	one := claimAll(1)
	if want := []string{"A1", "B1", "toast", "C1 reminder"}; !slices.Equal(texts(one), want) {
		t.Fatalf("one per lane: %q, want %q", texts(one), want)
	}
	if err := db.Unclaim(ctx, ids(one)); err != nil {
		t.Fatal(err)
	}
	got := claimAll(10)
	want := []string{"A1", "B1", "toast", "C1 reminder", "A2", "C2 reminder", "A3", "A4"}
	if !slices.Equal(texts(got), want) {
		t.Fatalf("claimed %q, want %q", texts(got), want)
	}
	for _, m := range got {
		if m.Status != OutboxSending || m.Attempts != 1 {
			t.Errorf("%s: %s, attempts %d; want sending, 1 (the first claim was undone)", m.Text, m.Status, m.Attempts)
		}
	}
	if m := claim(t, db, t0, nil); m.ID != 0 {
		t.Errorf("claimed %q with every due message in flight", m.Text)
	}
	// The sender sent A1, then A2 failed: it gives back what it holds of
	// chat 1, which waits behind A2's retry.
	sent(t, db, got[0], t0)
	if err := db.MarkRetry(ctx, got[4].ID, later, "EOF"); err != nil {
		t.Fatal(err)
	}
	if err := db.Unclaim(ctx, []int64{got[6].ID, got[7].ID}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attempts = 0 AND text IN ('A3', 'A4')`); n != 2 {
		t.Errorf("%d of A3, A4 put back as they were, want 2", n)
	}
	for _, m := range got[1:4] {
		sent(t, db, m, t0)
	}
	sent(t, db, got[5], t0)
	if again := claimAll(10); !slices.Equal(texts(again), []string{"C3 reply"}) {
		t.Errorf("then claimed %q, want only C3's reply (A2 and B2 wait)", texts(again))
	}
	if later := drain(t, db, later); !slices.Equal(later, []string{"A2", "A3", "A4", "B2 later", "B3"}) {
		t.Errorf("a minute later: %q", later)
	}
}

func ids(msgs []OutboxMessage) []int64 {
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

// A claim holds its messages' texts until they are sent: it takes
// maxFollowers at most behind its heads, however large the batch.
func TestClaimFollowersCapped(t *testing.T) {
	db := openTest(t)
	var msgs []OutboxMessage
	for i := range 2 * maxFollowers {
		msgs = append(msgs, OutboxMessage{ChatID: tgChat(1), Text: fmt.Sprint("A", i+1)})
	}
	mustEnqueue(t, db, msgs...)
	got, err := db.ClaimBatchAfter(context.Background(), tg, t0, 512, 512, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1+maxFollowers || got[0].Text != "A1" || got[len(got)-1].Text != fmt.Sprint("A", maxFollowers+1) {
		t.Errorf("claimed %d: %q … %q; want A1 to A%d", len(got), got[0].Text, got[len(got)-1].Text, maxFollowers+1)
	}
}
