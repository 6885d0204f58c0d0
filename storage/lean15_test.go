package storage

import (
	"database/sql"
	"strings"
	"testing"
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
