package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/jmoiron/sqlx"

	"planbot"
)

// reportCache keeps every committed report in memory, by item code, each
// history in ID order, so that AllReports (which /plan, /targets, /mine,
// /overdue, /unreported, every reminder run and the digest call) reads from
// SQLite only the rows added since its last call, not the whole history:
// 57,000 reports took ≈ 0.3 s and 44 MB for every such message
// (docs/BENCHMARKS.md, "County scale").
//
// It is sound because reports are immutable (triggers forbid UPDATE and
// DELETE) and ids grow in commit order: `id INTEGER PRIMARY KEY` takes
// max(id)+1 under SQLite's single write lock, so once a row with id N is
// committed, every row with a smaller id that will ever exist already is.
// The cache holds exactly the committed rows with id <= maxID, and
// catching up is one query for id > maxID. It is filled from the read pool
// only, which sees committed data: a row a session wrote and then rolled
// back never enters it (a session adds its own rows to its answer, not to
// the cache). Should the table's largest id fall below maxID (the file was
// replaced under us), the cache starts over.
//
// The slices it hands out share its arrays, capped at their length (an
// append by a caller copies): callers must not modify the reports.
type reportCache struct {
	mu      sync.Mutex
	maxID   int64
	byItem  map[string][]planbot.Report
	strings map[string]string // item codes and person keys, stored once
}

// view catches up with the committed reports through read (the read pool)
// and returns every history, and the largest id it holds.
func (c *reportCache) view(ctx context.Context, read sqlx.QueryerContext) (map[string][]planbot.Report, int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.catchUp(ctx, read); err != nil {
		return nil, 0, err
	}
	out := make(map[string][]planbot.Report, len(c.byItem))
	for code, rs := range c.byItem {
		out[code] = rs[:len(rs):len(rs)]
	}
	return out, c.maxID, nil
}

// itemView is view for one item, only when the cache is already filled
// (ok false otherwise): one item's history is not worth reading them all.
func (c *reportCache) itemView(ctx context.Context, read sqlx.QueryerContext, code string) (rs []planbot.Report, maxID int64, ok bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byItem == nil {
		return nil, 0, false, nil
	}
	if err := c.catchUp(ctx, read); err != nil {
		return nil, 0, false, err
	}
	rs = c.byItem[code]
	return rs[:len(rs):len(rs)], c.maxID, true, nil
}

func (c *reportCache) catchUp(ctx context.Context, read sqlx.QueryerContext) error {
	var top int64
	if err := sqlx.GetContext(ctx, read, &top, `SELECT COALESCE(MAX(id), 0) FROM reports`); err != nil {
		return classify(err)
	}
	if top < c.maxID {
		c.byItem, c.maxID = nil, 0
	}
	if c.byItem == nil {
		c.byItem, c.strings = map[string][]planbot.Report{}, map[string]string{}
	}
	if top == c.maxID {
		return nil
	}
	// One statement: one snapshot. Every row it returns is committed, and
	// so is every row with a smaller id.
	maxID, n := c.maxID, 0
	err := queryReports(ctx, read, `WHERE r.id > ? ORDER BY r.id`, func(r planbot.Report) {
		r.ItemCode, r.Reporter, r.OnBehalfOf = c.intern(r.ItemCode), c.intern(r.Reporter), c.intern(r.OnBehalfOf)
		c.byItem[r.ItemCode] = append(c.byItem[r.ItemCode], r)
		maxID = r.ID
		n++
	}, c.maxID)
	c.maxID = maxID // on an error too: what was appended is complete up to maxID
	if n >= 1024 {
		// After a bulk load, appending has left most arrays up to half
		// empty: a third of the cache's memory.
		for code, rs := range c.byItem {
			if cap(rs)-len(rs) > len(rs)/8 {
				c.byItem[code] = slices.Clone(rs)
			}
		}
	}
	return err
}

func (c *reportCache) intern(s string) string {
	if s == "" {
		return ""
	}
	if t, ok := c.strings[s]; ok {
		return t
	}
	c.strings[s] = s
	return s
}

// cachedItemReports is ItemReports through the cache, when it is filled:
// the item's committed history, then what q (a session's transaction)
// sees beyond it. The echo of every report reads its item's history.
func (db *DB) cachedItemReports(ctx context.Context, q sqlx.QueryerContext, code string) ([]planbot.Report, error) {
	var itemID int64
	err := sqlx.GetContext(ctx, q, &itemID, `SELECT id FROM items WHERE code = ?`, code)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("reports of item %s: %w", code, errorf(ErrNotFound, "item %s not found", code))
	case err != nil:
		return nil, fmt.Errorf("reports of item %s: %w", code, classify(err))
	}
	rs, maxID, ok, err := db.reports.itemView(ctx, db.read, code)
	if err != nil {
		return nil, fmt.Errorf("reports of item %s: %w", code, err)
	}
	if !ok {
		return itemReports(ctx, q, code)
	}
	if err := queryReports(ctx, q, `WHERE r.item_id = ? AND r.id > ? ORDER BY r.id`,
		func(r planbot.Report) { rs = append(rs, r) }, itemID, maxID); err != nil {
		return nil, fmt.Errorf("reports of item %s: %w", code, err)
	}
	return rs, nil
}

// cachedReports is AllReports through the cache: the committed histories,
// then what q (a session's transaction) sees beyond them, its own writes.
func (db *DB) cachedReports(ctx context.Context, q sqlx.QueryerContext) (map[string][]planbot.Report, error) {
	out, maxID, err := db.reports.view(ctx, db.read)
	if err != nil {
		return nil, fmt.Errorf("all reports: %w", err)
	}
	if q == nil {
		return out, nil
	}
	if err := queryReports(ctx, q, `WHERE r.id > ? ORDER BY r.id`, func(r planbot.Report) {
		out[r.ItemCode] = append(out[r.ItemCode], r)
	}, maxID); err != nil {
		return nil, fmt.Errorf("all reports: %w", err)
	}
	return out, nil
}
