package storage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
)

// ClaimBatch is ClaimNext for up to n messages in one transaction: the
// first n, in ClaimNext's order (priority, then id), of the due candidates
// that skip does not pass over, each marked sending (attempts + 1). They
// are the heads of lanes of different chats: a chat's reply and reminder
// lanes may both have a head due, and only the first (a reply, by its
// priority) is claimed, so never two of one chat (callback answers aside,
// which are in no lane). skip is asked as in ClaimNext.
//
// It reads the queue once where n calls of ClaimNext would read it n
// times: with a thousand chats waiting, that read (one index seek per
// chat) is most of a claim's cost. Every message must be settled as after
// ClaimNext.
func (db *DB) ClaimBatch(ctx context.Context, now time.Time, n int, skip func(chatID int64) bool) ([]OutboxMessage, error) {
	if n <= 0 {
		return nil, nil
	}
	var out []OutboxMessage
	err := db.inTx(ctx, func(tx *sqlx.Tx) error {
		out = nil
		var cands []struct {
			ID     int64        `db:"id"`
			ChatID int64        `db:"chat_id"`
			Method OutboxMethod `db:"method"`
		}
		if err := tx.SelectContext(ctx, &cands, claimable+`
			SELECT id, chat_id, method FROM candidates
			WHERE next_attempt_at <= ?
			ORDER BY priority DESC, id`, unix(now)); err != nil {
			return err
		}
		var ids []int64
		order := map[int64]int{}
		chats := map[int64]bool{}
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
			order[c.ID] = len(ids)
			ids = append(ids, c.ID)
		}
		if len(ids) == 0 {
			return nil
		}
		query, args, err := sqlx.In(`
			UPDATE outbox SET status = 'sending', attempts = attempts + 1
			WHERE id IN (?) AND status = 'pending'
			RETURNING `+outboxColumns+`, file_data`, ids)
		if err != nil {
			return err
		}
		var rows []outboxRow
		if err := tx.SelectContext(ctx, &rows, query, args...); err != nil {
			return err
		}
		slices.SortFunc(rows, func(a, b outboxRow) int { return order[a.ID] - order[b.ID] })
		out = messages(rows)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim messages: %w", err)
	}
	return out, nil
}
