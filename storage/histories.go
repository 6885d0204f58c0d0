package storage

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"planbot"
)

// Histories returns, by item code, the reports of items that need asks
// for: exactly planbot.Needed of each item's history, ordered by ID, read
// by indexed queries that do not grow with the years of history kept
// (docs/BENCHMARKS.md, "Cost against history"). The items' targets and
// tallies are the ones given, not the database's copy, so that a status is
// derived with the plan the caller holds. Items without reports are not in
// the map; the recent reports from need.From() on are there for every
// item, archived ones included.
func (db *DB) Histories(ctx context.Context, items []planbot.Item, need planbot.HistoryNeed) (map[string][]planbot.Report, error) {
	return histories(ctx, db.read, items, need)
}

// Histories is DB.Histories inside the session: it sees the session's own
// reports.
func (s *Session) Histories(ctx context.Context, items []planbot.Item, need planbot.HistoryNeed) (map[string][]planbot.Report, error) {
	return histories(ctx, s.tx, items, need)
}

func histories(ctx context.Context, q sqlx.QueryerContext, items []planbot.Item, need planbot.HistoryNeed) (map[string][]planbot.Report, error) {
	out, err := readHistories(ctx, q, items, need)
	if err != nil {
		return nil, fmt.Errorf("histories of %d items: %w", len(items), err)
	}
	return out, nil
}

func readHistories(ctx context.Context, q sqlx.QueryerContext, items []planbot.Item, need planbot.HistoryNeed) (map[string][]planbot.Report, error) {
	want, err := wantedItems(items)
	if err != nil {
		return nil, err
	}
	cutoffs := []int64{math.MaxInt64}
	for _, t := range need.Before {
		cutoffs = append(cutoffs, unixBefore(t))
	}
	out := map[string][]planbot.Report{}
	seen := map[int64]bool{}
	add := func(r planbot.Report) {
		if !seen[r.ID] {
			seen[r.ID] = true
			out[r.ItemCode] = append(out[r.ItemCode], r)
		}
	}
	perOwner := slices.ContainsFunc(items, func(it planbot.Item) bool { return it.Tally == planbot.TallyPerOwner })
	for _, cut := range cutoffs {
		for _, query := range [2]string{standingQuery, shareStandingQuery} {
			if query == shareStandingQuery && !perOwner {
				continue
			}
			if err := queryReports(ctx, q, `WHERE r.id IN (`+query+`)`, add, want, cut); err != nil {
				return nil, fmt.Errorf("standing reports: %w", err)
			}
		}
	}
	if from := need.From(); !from.IsZero() {
		err := queryReports(ctx, q, recentWhere, add, unixBefore(from))
		if err != nil {
			return nil, fmt.Errorf("reports since %s: %w", from.Format(time.RFC3339), err)
		}
	}
	for code := range out {
		slices.SortFunc(out[code], func(a, b planbot.Report) int { return cmp.Compare(a.ID, b.ID) })
	}
	return out, nil
}

// wantedItems is the items as the queries take them, one JSON array of
// [code, unit, per_owner]: unit is the target's unit when a figure in it
// counts toward the target (planbot's valueCounts), else null, which
// equals nothing.
func wantedItems(items []planbot.Item) (string, error) {
	rows := make([][3]any, 0, len(items))
	for _, it := range items {
		var unit any
		if it.Target != nil && it.Target.Value > 0 {
			unit = it.Target.Unit
		}
		rows = append(rows, [3]any{it.Code, unit, it.Tally == planbot.TallyPerOwner})
	}
	data, err := json.Marshal(rows)
	if err != nil {
		return "", fmt.Errorf("encode the items: %w", err)
	}
	return string(data), nil
}

// unixBefore is the reported_at (whole seconds) that a report stamped
// before t is below: a report at 09:00:00 is before 09:00:00.5.
func unixBefore(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// recentWhere is, for each item, its reports from the first one stamped at
// or after ?1 on. The first bound finds that moment's first report on
// reports_at and keeps the rest to a range of ids; the second is the
// item's own first, found on reports_item within that range.
const recentWhere = `
	WHERE r.id >= (SELECT MIN(id) FROM reports INDEXED BY reports_at WHERE reported_at >= ?1)
		AND r.id >= (SELECT MIN(x.id) FROM reports x WHERE x.item_id = r.item_id
			AND x.id >= (SELECT MIN(id) FROM reports INDEXED BY reports_at WHERE reported_at >= ?1) AND +x.reported_at >= ?1)
	ORDER BY r.id`

// effectiveBefore is the condition of a report x that counts at cutoff ?2:
// stamped before it, not a withdrawal, and superseded by nothing stamped
// before it. The unary + keeps the planner on reports_item (or
// reports_share) and reports_supersedes instead of a range of reports_at,
// which would read every report before the cutoff.
const effectiveBefore = `+x.reported_at < ?2 AND x.withdrawn = 0
	AND NOT EXISTS (SELECT 1 FROM reports s WHERE s.supersedes = x.id AND +s.reported_at < ?2)`

// wantedCTE is the items asked for, with their ids.
const wantedCTE = `want (item_id, unit, per_owner) AS (
		SELECT i.id, json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]')
		FROM json_each(?1) j JOIN items i ON i.code = json_extract(j.value, '$[0]'))`

// The standing queries are read as r.id IN (…), which keeps each id once:
// their parts are joined with UNION ALL, not a UNION that would sort them
// into a temporary table of its own first.

// standingQuery is the ids, per item, of the latest report that counts
// and of the latest that counts and gives a progress of its own (planbot's
// latestEffective): each a walk back on reports_item from the item's
// newest report, which stops at the first match.
const standingQuery = `WITH ` + wantedCTE + `
	SELECT (SELECT x.id FROM reports x WHERE x.item_id = w.item_id AND ` + effectiveBefore + `
			ORDER BY x.id DESC LIMIT 1)
	FROM want w
	UNION ALL
	SELECT (SELECT x.id FROM reports x WHERE x.item_id = w.item_id AND ` + effectiveBefore + `
			AND (x.done = 1 OR x.percent IS NOT NULL OR x.value_unit = w.unit)
			ORDER BY x.id DESC LIMIT 1)
	FROM want w`

// shareStandingQuery is the ids, per share owner of each per_owner item, of their
// first report that counts (it orders the shares), their latest, and their
// latest whose figure counts toward the target (planbot's shareIndexes).
// The owners are found by skipping along reports_share, one probe per
// owner, not by reading the item's reports.
const shareStandingQuery = `WITH RECURSIVE ` + wantedCTE + `,
	owner (item_id, unit, who) AS (
		SELECT w.item_id, w.unit,
			(SELECT MIN(COALESCE(r.on_behalf_of_id, r.reporter_id)) FROM reports r WHERE r.item_id = w.item_id)
		FROM want w WHERE w.per_owner
		UNION ALL
		SELECT o.item_id, o.unit,
			(SELECT MIN(COALESCE(r.on_behalf_of_id, r.reporter_id)) FROM reports r
				WHERE r.item_id = o.item_id AND COALESCE(r.on_behalf_of_id, r.reporter_id) > o.who)
		FROM owner o WHERE o.who IS NOT NULL)
	SELECT (SELECT x.id FROM reports x WHERE x.item_id = o.item_id AND COALESCE(x.on_behalf_of_id, x.reporter_id) = o.who
			AND ` + effectiveBefore + ` ORDER BY x.id ASC LIMIT 1)
	FROM owner o WHERE o.who IS NOT NULL
	UNION ALL
	SELECT (SELECT x.id FROM reports x WHERE x.item_id = o.item_id AND COALESCE(x.on_behalf_of_id, x.reporter_id) = o.who
			AND ` + effectiveBefore + ` ORDER BY x.id DESC LIMIT 1)
	FROM owner o WHERE o.who IS NOT NULL
	UNION ALL
	SELECT (SELECT x.id FROM reports x WHERE x.item_id = o.item_id AND COALESCE(x.on_behalf_of_id, x.reporter_id) = o.who
			AND ` + effectiveBefore + ` AND x.value_unit = o.unit ORDER BY x.id DESC LIMIT 1)
	FROM owner o WHERE o.who IS NOT NULL`

// Report is the report with that id; ok is false when there is none.
func (db *DB) Report(ctx context.Context, id int64) (planbot.Report, bool, error) {
	return reportByID(ctx, db.read, id)
}

// Report is DB.Report inside the session.
func (s *Session) Report(ctx context.Context, id int64) (planbot.Report, bool, error) {
	return reportByID(ctx, s.tx, id)
}

func reportByID(ctx context.Context, q sqlx.QueryerContext, id int64) (planbot.Report, bool, error) {
	var out planbot.Report
	found := false
	if err := queryReports(ctx, q, `WHERE r.id = ?`, func(r planbot.Report) { out, found = r, true }, id); err != nil {
		return planbot.Report{}, false, fmt.Errorf("report %d: %w", id, err)
	}
	return out, found, nil
}

// MessageReports is every report stamped with the chat message, in order,
// found on reports_message; none for message 0.
func (db *DB) MessageReports(ctx context.Context, chat planbot.ChatID, messageID int) ([]planbot.Report, error) {
	return messageReports(ctx, db.read, chat, messageID)
}

// MessageReports is DB.MessageReports inside the session.
func (s *Session) MessageReports(ctx context.Context, chat planbot.ChatID, messageID int) ([]planbot.Report, error) {
	return messageReports(ctx, s.tx, chat, messageID)
}

func messageReports(ctx context.Context, q sqlx.QueryerContext, chat planbot.ChatID, messageID int) ([]planbot.Report, error) {
	if messageID == 0 {
		return nil, nil
	}
	var out []planbot.Report
	err := queryReports(ctx, q, `WHERE r.chat_id = ? AND r.message_id = ? AND r.message_id <> 0 ORDER BY r.id`,
		func(r planbot.Report) { out = append(out, r) }, chat, messageID)
	if err != nil {
		return nil, fmt.Errorf("reports of message %d in chat %q: %w", messageID, chat, err)
	}
	return out, nil
}
