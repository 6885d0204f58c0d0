package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"planbot"
)

// Claiming: the sender's side of the outbox.
//
// Each chat has two lanes: its replies (messages of no job run: answers to
// what a person wrote, alerts) and its reminders (messages of job runs),
// each in id (enqueue) order. Only the lowest unsent (pending or sending)
// message of a lane, its head, may be handed out: a message waiting for a
// retry, or one in flight, holds back every later message of its lane,
// whatever their priority, so the parts of a long message and the replies
// to a conversation never arrive out of order. The lanes of a chat are
// independent in order (a reminder waiting for a retry never holds back a
// reply), but not in time: while one of a chat's messages is in flight,
// nothing else of that chat is handed out, so a chat never gets two at
// once and the sender's per-chat pacing holds. Across lanes, the highest
// priority goes first, then the oldest. Answers to button presses are in
// no lane: each goes as soon as it is due (a button press must be answered
// within seconds, even while its chat has a backlog). Reminders held for
// quiet hours (Held) are in no lane and are never handed out: the
// scheduler replaces them when they are due (ReleaseHeld).

// claimable lists what ClaimBatch may hand out (before the due-time check):
// the pending heads of all lanes of chats with nothing in flight, and
// pending answers. Each lane kind's heads are found by a loose index scan
// of its partial index (outbox_lane_reply, outbox_lane_job: chat_id, id):
// the first entry after the previous head's chat is the next chat's head,
// so it is one index seek and one row lookup per chat and lane, never a
// scan of the queue. Each platform has its own sender, which claims only
// its platform's chats: their addresses ("telegram:…") are the range
// :lo ("telegram:") to :hi ("telegram;", ';' following ':'), so the scan
// walks that range only (platformRange). The plan (TestClaimQueryPlan
// keeps it so), for each of the two lanes:
//
//	SEARCH outbox USING INDEX outbox_lane_reply (chat_id>? AND chat_id<?) -- the first head
//	RECURSIVE STEP: SCAN h
//	  SEARCH o USING INTEGER PRIMARY KEY (rowid=?)   -- the head's row
//	  CORRELATED SCALAR SUBQUERY:
//	    SEARCH n USING INDEX outbox_lane_reply (chat_id>? AND chat_id<?) -- the next chat's head: one seek
//	SCAN outbox USING INDEX outbox_answer            -- partial: pending answers only
//
// INDEXED BY, because the planner once took outbox_job_run (job,
// scheduled_at) for "job IS NULL", a scan of every reply ever sent (that
// index holds job runs only since 0015, but the plan must not depend on it).
// The heads are materialized once: the candidates read them twice (the
// pending heads, and the chats with a head in flight).
//
// BenchmarkClaim measures it with 10,000 queued messages in 50 chats.
// The status, method, job and held terms must stay word for word those of
// the partial indexes' WHERE, or SQLite cannot use them. Its parameters
// are named (:lo, :hi), as each appears several times.
const claimable = `
	WITH RECURSIVE replies(id, chat_id, method, status, priority, next_attempt_at) AS (
		SELECT * FROM (
			SELECT id, chat_id, method, status, priority, next_attempt_at FROM outbox INDEXED BY outbox_lane_reply
			WHERE status IN ('pending', 'sending') AND method <> 'answer' AND job IS NULL
				AND chat_id >= :lo AND chat_id < :hi
			ORDER BY chat_id, id LIMIT 1)
	UNION ALL
		SELECT o.id, o.chat_id, o.method, o.status, o.priority, o.next_attempt_at
		FROM replies h JOIN outbox o ON o.id = (
			SELECT n.id FROM outbox n INDEXED BY outbox_lane_reply
			WHERE n.status IN ('pending', 'sending') AND n.method <> 'answer' AND n.job IS NULL
				AND n.chat_id > h.chat_id AND n.chat_id < :hi
			ORDER BY n.chat_id, n.id LIMIT 1)
	), reminders(id, chat_id, method, status, priority, next_attempt_at) AS (
		SELECT * FROM (
			SELECT id, chat_id, method, status, priority, next_attempt_at FROM outbox INDEXED BY outbox_lane_job
			WHERE status IN ('pending', 'sending') AND method <> 'answer' AND job IS NOT NULL AND held = 0
				AND chat_id >= :lo AND chat_id < :hi
			ORDER BY chat_id, id LIMIT 1)
	UNION ALL
		SELECT o.id, o.chat_id, o.method, o.status, o.priority, o.next_attempt_at
		FROM reminders h JOIN outbox o ON o.id = (
			SELECT n.id FROM outbox n INDEXED BY outbox_lane_job
			WHERE n.status IN ('pending', 'sending') AND n.method <> 'answer' AND n.job IS NOT NULL AND n.held = 0
				AND n.chat_id > h.chat_id AND n.chat_id < :hi
			ORDER BY n.chat_id, n.id LIMIT 1)
	), heads AS MATERIALIZED (
		SELECT * FROM replies UNION ALL SELECT * FROM reminders
	), candidates AS (
		SELECT id, chat_id, method, priority, next_attempt_at FROM heads
		WHERE status = 'pending' AND chat_id NOT IN (SELECT chat_id FROM heads WHERE status = 'sending')
	UNION ALL
		SELECT id, chat_id, method, priority, next_attempt_at FROM outbox
		WHERE status = 'pending' AND method = 'answer' AND chat_id >= :lo AND chat_id < :hi
	)`

// platformRange is the range of chat_id that holds platform's chats, as
// claimable's named arguments :lo and :hi: every address "platform:…"
// sorts at or after "platform:" and before "platform;", and no other
// platform's does. It fails with ErrInvalid for a name that is no
// platform's ("", or one with a ':' in it).
func platformRange(platform string) ([]any, error) {
	if err := checkPlatform(platform); err != nil {
		return nil, err
	}
	return []any{sql.Named("lo", platform+":"), sql.Named("hi", platform+";")}, nil
}

// checkPlatform fails with ErrInvalid for a name that is no platform's:
// "", or one with a ':' (which ends the platform in an address) or a ';'
// (which bounds platformRange).
func checkPlatform(platform string) error {
	if platform == "" || strings.ContainsAny(platform, ":;") {
		return errorf(ErrInvalid, "%q is not a platform", platform)
	}
	return nil
}

// NextDue is when ClaimBatch will next have something to hand out, as far
// as the queue knows: the earliest NextAttemptAt of the lanes' pending
// heads and of pending answers. It may be in the past (something is due
// now). ok is false when nothing is waiting; a lane whose head is in
// flight counts for nothing until that head is settled, so call NextDue
// again after every Mark… and Enqueue. It ignores ClaimBatch's skip, and
// sees only the chats of platform.
func (db *DB) NextDue(ctx context.Context, platform string) (time.Time, bool, error) {
	args, err := platformRange(platform)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due message: %w", err)
	}
	var next sql.NullInt64
	if err := db.read.GetContext(ctx, &next, claimable+`
		SELECT MIN(next_attempt_at) FROM candidates`, args...); err != nil {
		return time.Time{}, false, fmt.Errorf("next due message on %s: %w", platform, classify(err))
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return fromUnix(next.Int64), true, nil
}

// ClaimBatch hands out up to n messages to chats of platform to send at
// now and marks them sending (attempts + 1), in one transaction; none
// when nothing can go now (other platforms' chats are their senders').
// They are the first n, by priority (higher first) then id, of those
// due (NextAttemptAt not after now) that are the oldest unsent message of
// their chat's lane (replies or reminders) in a chat with nothing in
// flight, or answers to button presses; never two of one chat (answers
// aside): a chat's reply and reminder lanes may both have a head due, and
// only the first (a reply, by its priority) is claimed. They carry
// FileData.
//
// skip, if not nil, is asked about each candidate's chat in that order
// (never about answers) and returning true passes over it: the sender's
// per-chat rate limit. It runs inside the write transaction: keep it
// quick, and don't touch the database from it.
//
// It reads the queue once for the whole batch: with a thousand chats
// waiting, that read (one index seek per chat) is most of a claim's cost.
// Every claimed message must be settled with MarkSent, MarkRetry or
// MarkFailed: until then its chat gets nothing else. Two senders may
// claim concurrently; they never get the same chat's messages at once.
func (db *DB) ClaimBatch(ctx context.Context, platform string, now time.Time, n int, skip func(planbot.ChatID) bool) ([]OutboxMessage, error) {
	out, err := db.ClaimBatchAfter(ctx, platform, now, n, 1, skip, nil)
	for i := range out {
		if err == nil && out[i].Attachment != planbot.AttachNone {
			out[i].FileData, err = db.FileData(ctx, out[i].ID)
		}
	}
	return out, err
}

// FileData is the bytes of message id's attachment: the sender reads them
// just before sending it (ClaimBatchAfter leaves them out: a claimed batch
// of digests, each with its chart, held the pictures of a hundred leaders
// at once, a third of run's peak memory).
func (db *DB) FileData(ctx context.Context, id int64) ([]byte, error) {
	var data []byte
	if err := db.read.GetContext(ctx, &data, `SELECT COALESCE(file_data, x'') FROM outbox WHERE id = ?`, id); err != nil {
		return nil, fmt.Errorf("the attachment of message %d: %w", id, classify(err))
	}
	return data, nil
}

// ClaimBatchAfter is ClaimBatch after recording delivered as sent, in the
// same transaction: the sender records its last request's outcome and
// claims the next messages with one commit (issue 15). A message no longer
// in flight (its chat was given up meanwhile) is left as it is. With n 0
// it only records, in the sent log when it can (sentlog.go), and the next
// claim folds that log in. The messages carry no FileData: see FileData.
//
// With perLane above 1 and room left in the batch once the heads are
// claimed, it also claims, behind each claimed head, up to perLane-1 of
// the next messages of the head's lane (maxFollowers in all), as long as
// they are due: a chat with a backlog of replies then costs one claim per
// batch, not one per reply. A lane's messages come in lane order, after
// their head: the heads first, then each lane's second, then each lane's
// third… The caller sends them in that order, one at a time, and puts
// back (Unclaim) what it holds of a chat whose message was not sent.
func (db *DB) ClaimBatchAfter(ctx context.Context, platform string, now time.Time, n, perLane int, skip func(planbot.ChatID) bool, delivered []planbot.Delivered) ([]OutboxMessage, error) {
	args, err := platformRange(platform)
	if err != nil {
		return nil, fmt.Errorf("claim messages: %w", err)
	}
	if n <= 0 && len(delivered) == 0 {
		return nil, nil
	}
	if n <= 0 && db.sent != nil && db.sent.appendSent(delivered) == nil {
		return nil, nil // folded at the next claim (see sentlog.go)
	}
	var out []OutboxMessage
	err = db.inTxFolding(ctx, func(tx *txn) error {
		out = nil
		if err := markDelivered(ctx, tx, delivered); err != nil {
			return err
		}
		if n <= 0 {
			return nil
		}
		heads, err := pickHeads(ctx, tx, args, now, n, skip)
		if err != nil || len(heads) == 0 {
			return err
		}
		rows, err := markSending(ctx, tx, heads)
		if err != nil {
			return err
		}
		if perLane > 1 && len(rows) < n {
			more, err := laneFollowers(ctx, tx, rows, now, perLane-1, min(n-len(rows), maxFollowers))
			if err != nil {
				return err
			}
			if len(more) > 0 {
				followers, err := markSending(ctx, tx, more)
				if err != nil {
					return err
				}
				rows = append(rows, followers...)
			}
		}
		out, err = messages(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim messages on %s: %w", platform, err)
	}
	return out, nil
}

// pickHeads is the ids of up to n claimable messages due at now, in claim
// order (see ClaimBatch).
func pickHeads(ctx context.Context, tx *txn, platform []any, now time.Time, n int, skip func(planbot.ChatID) bool) ([]int64, error) {
	var cands []struct {
		ID     int64          `db:"id"`
		ChatID planbot.ChatID `db:"chat_id"`
		Method OutboxMethod   `db:"method"`
	}
	if err := tx.SelectContext(ctx, &cands, claimable+`
		SELECT id, chat_id, method FROM candidates
		WHERE next_attempt_at <= :now
		ORDER BY priority DESC, id`, append(platform, sql.Named("now", unix(now)))...); err != nil {
		return nil, err
	}
	var ids []int64
	chats := map[planbot.ChatID]bool{}
	for _, c := range cands {
		if len(ids) == n {
			break
		}
		if c.Method != MethodAnswer && chats[c.ChatID] {
			continue
		}
		if skip != nil && c.Method != MethodAnswer && skip(c.ChatID) {
			continue
		}
		if c.Method != MethodAnswer {
			chats[c.ChatID] = true
		}
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// markSending marks pending messages ids in flight (attempts + 1) and
// returns their rows in the order of ids.
func markSending(ctx context.Context, tx *txn, ids []int64) ([]outboxRow, error) {
	query, args, err := sqlx.In(`
		UPDATE outbox SET status = 'sending', attempts = attempts + 1
		WHERE id IN (?) AND status = 'pending'
		RETURNING `+outboxColumns, ids)
	if err != nil {
		return nil, err
	}
	var rows []outboxRow
	if err := tx.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, err
	}
	order := make(map[int64]int, len(ids))
	for i, id := range ids {
		order[id] = i
	}
	slices.SortFunc(rows, func(a, b outboxRow) int { return order[a.ID] - order[b.ID] })
	return rows, nil
}

// maxFollowers caps the messages a claim takes behind the heads: the
// sender holds a claim's texts until it sends them, and a reminder catch-up
// with several runs queued for each of a county's chats filled a batch of
// up to 512 long texts (RunMix's peak, about 2 MiB of it). 64 more are
// under a megabyte of text, and a chat's backlog of replies still costs a
// claim per 64.
const maxFollowers = 64

// Each lane's messages after a given one (its head), in lane order: chat,
// id and how many. The terms are the lanes' partial indexes' (claimable).
const (
	replyLaneAfter = `SELECT id, status, next_attempt_at FROM outbox INDEXED BY outbox_lane_reply
		WHERE status IN ('pending', 'sending') AND method <> 'answer' AND job IS NULL
			AND chat_id = ? AND id > ? ORDER BY chat_id, id LIMIT ?`
	jobLaneAfter = `SELECT id, status, next_attempt_at FROM outbox INDEXED BY outbox_lane_job
		WHERE status IN ('pending', 'sending') AND method <> 'answer' AND job IS NOT NULL AND held = 0
			AND chat_id = ? AND id > ? ORDER BY chat_id, id LIMIT ?`
)

// laneFollowers is the ids of the messages that may go right behind the
// claimed heads, in the order ClaimBatchAfter hands them out: behind each
// head that is in a lane, up to perLane of the next messages of its lane
// that are pending and due at now (the first that is not ends the run),
// room in all, shared out among the lanes.
func laneFollowers(ctx context.Context, tx *txn, heads []outboxRow, now time.Time, perLane, room int) ([]int64, error) {
	var lanes []outboxRow
	for _, h := range heads {
		if h.Method != MethodAnswer {
			lanes = append(lanes, h)
		}
	}
	if len(lanes) == 0 {
		return nil, nil
	}
	share := min(perLane, max(1, room/len(lanes)))
	runs := make([][]int64, len(lanes))
	for i, h := range lanes {
		query := replyLaneAfter
		if h.Job.Valid {
			query = jobLaneAfter
		}
		var next []struct {
			ID     int64        `db:"id"`
			Status OutboxStatus `db:"status"`
			Due    int64        `db:"next_attempt_at"`
		}
		if err := tx.SelectContext(ctx, &next, query, h.ChatID, h.ID, share); err != nil {
			return nil, fmt.Errorf("the lane of message %d: %w", h.ID, err)
		}
		for _, m := range next {
			if m.Status != OutboxPending || m.Due > unix(now) {
				break
			}
			runs[i] = append(runs[i], m.ID)
		}
	}
	var out []int64
	for k := 0; len(out) < room; k++ {
		added := false
		for _, run := range runs {
			if k < len(run) && len(out) < room {
				out = append(out, run[k])
				added = true
			}
		}
		if !added {
			break
		}
	}
	return out, nil
}

// Unclaim puts messages claimed but not sent back in their place, as they
// were before the claim (pending, the claim's attempt undone): the sender
// gives back what it holds of a chat whose message was not sent, and all
// it holds when it stops. A message no longer in flight (given up with its
// chat meanwhile) is left as it is.
func (db *DB) Unclaim(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	err := db.inTxFolding(ctx, func(tx *txn) error {
		for chunk := range slices.Chunk(ids, 500) {
			query, args, err := sqlx.In(`UPDATE outbox SET status = 'pending', attempts = attempts - 1
				WHERE id IN (?) AND status = 'sending'`, chunk)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, query, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put back %d claimed messages: %w", len(ids), err)
	}
	return nil
}
