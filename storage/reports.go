package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"planbot"
)

// AddReport records a progress report and returns it with its ID set and At
// truncated to the second in UTC, as it will be read back.
//
// It fails with ErrNotFound for an unknown item code, reporter or
// superseded report; ErrArchived for an item removed from the plan;
// ErrInvalid for a correction of another item's report, a withdrawal that
// supersedes nothing, a percentage outside 0–100 or a report without a time;
// ErrConflict when the superseded report was already corrected or withdrawn
// (correct the latest report instead).
func (db *DB) AddReport(ctx context.Context, r planbot.Report) (planbot.Report, error) {
	var out planbot.Report
	err := db.inTx(ctx, func(tx *txn) error {
		var err error
		out, err = addReport(ctx, tx, r)
		return err
	})
	if err != nil {
		return planbot.Report{}, fmt.Errorf("add report for item %s: %w", r.ItemCode, err)
	}
	return out, nil
}

func addReport(ctx context.Context, tx *txn, r planbot.Report) (planbot.Report, error) {
	switch {
	case r.At.IsZero():
		return r, errorf(ErrInvalid, "report has no time")
	case r.Reporter == "":
		return r, errorf(ErrInvalid, "report has no reporter")
	case r.Percent != nil && (*r.Percent < 0 || *r.Percent > 100):
		return r, errorf(ErrInvalid, "percentage %g is outside 0–100", *r.Percent)
	case r.Withdrawn && r.Supersedes == 0:
		return r, errorf(ErrInvalid, "a withdrawal must name the report it withdraws")
	case r.AsOf != nil && r.AsOf.IsZero():
		return r, errorf(ErrInvalid, "the report's as-of date is empty")
	}
	itemID, err := activeItemID(ctx, tx, r.ItemCode)
	if err != nil {
		return r, err
	}
	reporter, err := personID(ctx, tx, r.Reporter)
	if err != nil {
		return r, fmt.Errorf("reporter: %w", err)
	}
	var onBehalf sql.NullInt64
	if r.OnBehalfOf != "" {
		id, err := personID(ctx, tx, r.OnBehalfOf)
		if err != nil {
			return r, fmt.Errorf("on behalf of: %w", err)
		}
		onBehalf = sql.NullInt64{Int64: id, Valid: true}
	}
	if r.Supersedes != 0 {
		if err := checkSupersedes(ctx, tx, "reports", "item_id", "report", r.Supersedes, itemID, "item "+r.ItemCode); err != nil {
			return r, err
		}
	}
	photos := "[]"
	if len(r.PhotoIDs) > 0 {
		b, err := json.Marshal(r.PhotoIDs)
		if err != nil {
			return r, fmt.Errorf("encode photo ids: %w", err)
		}
		photos = string(b)
	}
	var value sql.NullInt64
	var unit sql.NullString
	if r.Value != nil {
		value = sql.NullInt64{Int64: int64(r.Value.Value), Valid: true}
		unit = sql.NullString{String: r.Value.Unit, Valid: true}
	}
	var asOf sql.NullString
	if r.AsOf != nil {
		asOf = nullString(r.AsOf.String())
	}
	// The new id is the connection's last rowid, not a RETURNING clause:
	// SQLite gathers what RETURNING returns in a temporary table, made and
	// freed for every report (issue 15).
	res, err := tx.ExecContext(ctx, `
		INSERT INTO reports (item_id, reporter_id, on_behalf_of_id, reported_at, as_of_date, percent, value, value_unit,
			done, note, photo_ids, chat_id, message_id, supersedes, withdrawn, words)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		itemID, reporter, onBehalf, unix(r.At), asOf, r.Percent, value, unit,
		r.Done, r.Note, photos, r.ChatID, r.MessageID, nullInt(r.Supersedes), r.Withdrawn, r.Words)
	if err != nil {
		return r, err
	}
	if r.ID, err = res.LastInsertId(); err != nil {
		return r, err
	}
	r.At = fromUnix(unix(r.At))
	return r, nil
}

// activeItemID resolves an item code that can take new reports.
func activeItemID(ctx context.Context, tx *txn, code string) (int64, error) {
	var it struct {
		ID       int64         `db:"id"`
		Archived sql.NullInt64 `db:"archived_at"`
	}
	err := tx.GetContext(ctx, &it, `SELECT id, archived_at FROM items WHERE code = ?`, code)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, errorf(ErrNotFound, "item %s not found", code)
	case err != nil:
		return 0, fmt.Errorf("look up item %s: %w", code, err)
	case it.Archived.Valid:
		return 0, errorf(ErrArchived, "item %s was removed from the plan", code)
	}
	return it.ID, nil
}

// personID resolves a person key (archived people included: history may
// name them).
func personID(ctx context.Context, tx *txn, key string) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, `SELECT id FROM people WHERE person_key = ?`, key)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, errorf(ErrNotFound, "person %s not found", key)
	case err != nil:
		return 0, fmt.Errorf("look up person %s: %w", key, err)
	}
	return id, nil
}

// checkSupersedes checks that row id of table (reports or observations)
// exists, belongs to the same parent (item or indicator), is not a
// withdrawal and has not been superseded yet. noun is "report" or
// "observation"; parent names the parent for messages.
func checkSupersedes(ctx context.Context, tx *txn, table, parentCol, noun string, id, parentID int64, parent string) error {
	var old struct {
		ParentID  int64 `db:"parent_id"`
		Withdrawn bool  `db:"withdrawn"`
	}
	err := tx.GetContext(ctx, &old, `SELECT `+parentCol+` AS parent_id, withdrawn FROM `+table+` WHERE id = ?`, id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return errorf(ErrNotFound, "%s %d not found", noun, id)
	case err != nil:
		return fmt.Errorf("look up %s %d: %w", noun, id, err)
	case old.ParentID != parentID:
		return errorf(ErrInvalid, "%s %d is not about %s", noun, id, parent)
	case old.Withdrawn:
		return errorf(ErrInvalid, "%s %d is a withdrawal; it cannot be corrected or withdrawn", noun, id)
	}
	var by struct {
		ID        int64 `db:"id"`
		Withdrawn bool  `db:"withdrawn"`
	}
	err = tx.GetContext(ctx, &by, `SELECT id, withdrawn FROM `+table+` WHERE supersedes = ?`, id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("look up corrections of %s %d: %w", noun, id, err)
	case by.Withdrawn:
		return errorf(ErrConflict, "%s %d was already withdrawn by %s %d", noun, id, noun, by.ID)
	default:
		return errorf(ErrConflict, "%s %d was already corrected by %s %d; correct that one instead", noun, id, noun, by.ID)
	}
}

// reportRow is one row of selectReports, its columns in order.
type reportRow struct {
	ID         int64           `db:"id"`
	ItemCode   string          `db:"item_code"`
	Reporter   string          `db:"reporter"`
	OnBehalfOf string          `db:"on_behalf_of"`
	At         int64           `db:"reported_at"`
	AsOf       sql.NullString  `db:"as_of_date"`
	Percent    sql.NullFloat64 `db:"percent"`
	Value      sql.NullInt64   `db:"value"`
	ValueUnit  sql.NullString  `db:"value_unit"`
	Done       bool            `db:"done"`
	Note       string          `db:"note"`
	PhotoIDs   string          `db:"photo_ids"`
	ChatID     planbot.ChatID  `db:"chat_id"`
	MessageID  int             `db:"message_id"`
	Supersedes int64           `db:"supersedes"`
	Withdrawn  bool            `db:"withdrawn"`
	Words      string          `db:"words"`
}

const selectReports = `
	SELECT r.id, i.code AS item_code, p.person_key AS reporter,
		COALESCE(b.person_key, '') AS on_behalf_of, r.reported_at, r.as_of_date, r.percent,
		r.value, r.value_unit, r.done, r.note, r.photo_ids, r.chat_id, r.message_id,
		COALESCE(r.supersedes, 0) AS supersedes, r.withdrawn, r.words
	FROM reports r
	JOIN items i ON i.id = r.item_id
	JOIN people p ON p.id = r.reporter_id
	LEFT JOIN people b ON b.id = r.on_behalf_of_id`

func (row *reportRow) report() (planbot.Report, error) {
	r := planbot.Report{
		ID:         row.ID,
		ItemCode:   row.ItemCode,
		Reporter:   row.Reporter,
		OnBehalfOf: row.OnBehalfOf,
		At:         fromUnix(row.At),
		Done:       row.Done,
		Note:       row.Note,
		ChatID:     row.ChatID,
		MessageID:  row.MessageID,
		Supersedes: row.Supersedes,
		Withdrawn:  row.Withdrawn,
		Words:      row.Words,
	}
	if row.AsOf.Valid {
		d, err := planbot.ParseDate(row.AsOf.String)
		if err != nil {
			return r, fmt.Errorf("report %d: as-of date: %w", row.ID, err)
		}
		r.AsOf = &d
	}
	if row.Percent.Valid {
		p := row.Percent.Float64
		r.Percent = &p
	}
	if row.Value.Valid {
		r.Value = &planbot.Amount{Value: planbot.Decimal(row.Value.Int64), Unit: row.ValueUnit.String}
	}
	if row.PhotoIDs != "" && row.PhotoIDs != "[]" {
		if err := json.Unmarshal([]byte(row.PhotoIDs), &r.PhotoIDs); err != nil {
			return r, fmt.Errorf("report %d: decode photo ids: %w", row.ID, err)
		}
	}
	return r, nil
}

// queryReports runs selectReports + where through q (the read pool, or a
// session's transaction) and calls fn for each report, in the order the
// query gives. Rows are scanned by position (StructScan's reflection was a
// fifth of AllReports' time).
func queryReports(ctx context.Context, q sqlx.QueryerContext, where string, fn func(planbot.Report), args ...any) error {
	rows, err := q.QueryContext(ctx, selectReports+" "+where, args...)
	if err != nil {
		return classify(err)
	}
	defer rows.Close()
	var row reportRow
	for rows.Next() {
		if err := rows.Scan(&row.ID, &row.ItemCode, &row.Reporter, &row.OnBehalfOf, &row.At, &row.AsOf, &row.Percent,
			&row.Value, &row.ValueUnit, &row.Done, &row.Note, &row.PhotoIDs, &row.ChatID, &row.MessageID,
			&row.Supersedes, &row.Withdrawn, &row.Words); err != nil {
			return err
		}
		r, err := row.report()
		if err != nil {
			return err
		}
		fn(r)
	}
	return classify(rows.Err())
}

// ItemReports is the full history of an item, ordered by ID, including
// superseded reports and withdrawals (planbot.Effective filters them). It
// works for archived items too, and fails with ErrNotFound for a code that
// was never in the plan.
func (db *DB) ItemReports(ctx context.Context, code string) ([]planbot.Report, error) {
	return itemReports(ctx, db.read, code)
}

func itemReports(ctx context.Context, q sqlx.QueryerContext, code string) ([]planbot.Report, error) {
	var itemID int64
	err := sqlx.GetContext(ctx, q, &itemID, `SELECT id FROM items WHERE code = ?`, code)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("reports of item %s: %w", code, errorf(ErrNotFound, "item %s not found", code))
	case err != nil:
		return nil, fmt.Errorf("reports of item %s: %w", code, classify(err))
	}
	var out []planbot.Report
	if err := queryReports(ctx, q, `WHERE r.item_id = ? ORDER BY r.id`,
		func(r planbot.Report) { out = append(out, r) }, itemID); err != nil {
		return nil, fmt.Errorf("reports of item %s: %w", code, err)
	}
	return out, nil
}

// AllReports is the history of every item that has reports (archived items
// included), by item code, each ordered by ID: for the ledger, which lists
// them all. Views read Histories, which does not grow with the years kept;
// nothing keeps the reports in memory between calls (a cache of them was
// nine tenths of the heap at six years of history, issue 15).
func (db *DB) AllReports(ctx context.Context) (map[string][]planbot.Report, error) {
	return allReports(ctx, db.read)
}

func allReports(ctx context.Context, q sqlx.QueryerContext) (map[string][]planbot.Report, error) {
	// One backing array, sized by a count (a hint: a report added in between
	// only costs a reallocation), cut into one slice per item: growing 400
	// slices separately allocated three times as much.
	var n int
	if err := sqlx.GetContext(ctx, q, &n, `SELECT COUNT(*) FROM reports`); err != nil {
		return nil, fmt.Errorf("all reports: %w", classify(err))
	}
	flat := make([]planbot.Report, 0, n)
	if err := queryReports(ctx, q, `ORDER BY r.item_id, r.id`,
		func(r planbot.Report) { flat = append(flat, r) }); err != nil {
		return nil, fmt.Errorf("all reports: %w", err)
	}
	out := make(map[string][]planbot.Report)
	for start := 0; start < len(flat); {
		end := start + 1
		for end < len(flat) && flat[end].ItemCode == flat[start].ItemCode {
			end++
		}
		out[flat[start].ItemCode] = flat[start:end:end]
		start = end
	}
	return out, nil
}

// LastReportBy returns the newest report (by ID, that is the last one
// stored) that reporter sent and that still counts: not a withdrawal and
// not superseded. It may be about an item archived since, which takes no
// withdrawal (AddReport fails with ErrArchived). ok is false if there is
// none, or no such person.
func (db *DB) LastReportBy(ctx context.Context, reporter string) (planbot.Report, bool, error) {
	return lastReportBy(ctx, db.read, reporter)
}

// lastReportBy walks the reporter's rows newest first on reports_reporter
// (reporter_id, id) and stops at the first effective one; the NOT EXISTS
// is one probe of the unique index reports_supersedes:
//
//	SEARCH r USING INDEX reports_reporter (reporter_id=?)
//	CORRELATED SCALAR SUBQUERY: SEARCH s USING COVERING INDEX reports_supersedes (supersedes=?)
//
// TestLastByUsesIndex keeps it so.
const lastReportWhere = `
	WHERE r.reporter_id = (SELECT id FROM people WHERE person_key = ?)
		AND r.withdrawn = 0
		AND NOT EXISTS (SELECT 1 FROM reports s WHERE s.supersedes = r.id)
	ORDER BY r.reporter_id DESC, r.id DESC
	LIMIT 1`

func lastReportBy(ctx context.Context, q sqlx.QueryerContext, reporter string) (planbot.Report, bool, error) {
	var out planbot.Report
	found := false
	err := queryReports(ctx, q, lastReportWhere, func(r planbot.Report) { out, found = r, true }, reporter)
	if err != nil {
		return planbot.Report{}, false, fmt.Errorf("last report by %s: %w", reporter, err)
	}
	return out, found, nil
}

// ReportFromMessage returns the report the chat message made (the first
// row stamped with it: later corrections may carry other message ids);
// ok is false when the message made none.
func (db *DB) ReportFromMessage(ctx context.Context, chat planbot.ChatID, messageID int) (planbot.Report, bool, error) {
	return reportFromMessage(ctx, db.read, chat, messageID)
}

// reportFromMessageWhere seeks reports_message (chat_id, message_id);
// TestReportFromMessage keeps it so.
const reportFromMessageWhere = `
	WHERE r.chat_id = ? AND r.message_id = ? AND r.message_id <> 0
	ORDER BY r.id
	LIMIT 1`

func reportFromMessage(ctx context.Context, q sqlx.QueryerContext, chat planbot.ChatID, messageID int) (planbot.Report, bool, error) {
	var out planbot.Report
	found := false
	if messageID == 0 {
		return out, false, nil
	}
	err := queryReports(ctx, q, reportFromMessageWhere, func(r planbot.Report) { out, found = r, true }, chat, messageID)
	if err != nil {
		return planbot.Report{}, false, fmt.Errorf("report from message %d in chat %q: %w", messageID, chat, err)
	}
	return out, found, nil
}
