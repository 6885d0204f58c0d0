package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"planbot"
)

// AddObservation records a value of an indicator and returns it with its ID
// set and At and Received truncated to the second in UTC (Received zero
// means At: received when observed). Reporter may be "" for a
// figure no person reported (e.g. imported from statistics). Errors are
// those of AddReport, for the indicator instead of the item.
func (db *DB) AddObservation(ctx context.Context, o planbot.Observation) (planbot.Observation, error) {
	var out planbot.Observation
	err := db.inTx(ctx, func(tx *txn) error {
		var err error
		out, err = addObservation(ctx, tx, o)
		return err
	})
	if err != nil {
		return planbot.Observation{}, fmt.Errorf("add observation of indicator %s: %w", o.Indicator, err)
	}
	return out, nil
}

func addObservation(ctx context.Context, tx *txn, o planbot.Observation) (planbot.Observation, error) {
	switch {
	case o.At.IsZero():
		return o, errorf(ErrInvalid, "observation has no time")
	case o.Withdrawn && o.Supersedes == 0:
		return o, errorf(ErrInvalid, "a withdrawal must name the observation it withdraws")
	}
	var ind struct {
		ID       int64         `db:"id"`
		Archived sql.NullInt64 `db:"archived_at"`
	}
	err := tx.GetContext(ctx, &ind, `SELECT id, archived_at FROM indicators WHERE indicator_key = ?`, o.Indicator)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return o, errorf(ErrNotFound, "indicator %s not found", o.Indicator)
	case err != nil:
		return o, fmt.Errorf("look up indicator %s: %w", o.Indicator, err)
	case ind.Archived.Valid:
		return o, errorf(ErrArchived, "indicator %s was removed from the plan", o.Indicator)
	}
	var reporter sql.NullInt64
	if o.Reporter != "" {
		id, err := personID(ctx, tx, o.Reporter)
		if err != nil {
			return o, fmt.Errorf("reporter: %w", err)
		}
		reporter = sql.NullInt64{Int64: id, Valid: true}
	}
	var received sql.NullInt64
	if !o.Received.IsZero() && !o.Received.Equal(o.At) {
		received = sql.NullInt64{Int64: unix(o.Received), Valid: true}
	}
	if o.Supersedes != 0 {
		if err := checkSupersedes(ctx, tx, "observations", "indicator_id", "observation", o.Supersedes, ind.ID, "indicator "+o.Indicator); err != nil {
			return o, err
		}
	}
	if err := tx.GetContext(ctx, &o.ID, `
		INSERT INTO observations (indicator_id, observed_at, value, value_unit, reporter_id, note, supersedes, withdrawn, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		ind.ID, unix(o.At), int64(o.Value.Value), o.Value.Unit, reporter, o.Note,
		nullInt(o.Supersedes), o.Withdrawn, received); err != nil {
		return o, err
	}
	o.At = fromUnix(unix(o.At))
	o.Received = o.At
	if received.Valid {
		o.Received = fromUnix(received.Int64)
	}
	return o, nil
}

type observationRow struct {
	ID         int64  `db:"id"`
	Indicator  string `db:"indicator_key"`
	At         int64  `db:"observed_at"`
	Received   int64  `db:"received_at"`
	Value      int64  `db:"value"`
	Unit       string `db:"value_unit"`
	Reporter   string `db:"reporter"`
	Note       string `db:"note"`
	Supersedes int64  `db:"supersedes"`
	Withdrawn  bool   `db:"withdrawn"`
}

func (row observationRow) observation() planbot.Observation {
	return planbot.Observation{
		ID:         row.ID,
		Indicator:  row.Indicator,
		At:         fromUnix(row.At),
		Received:   fromUnix(row.Received),
		Value:      planbot.Amount{Value: planbot.Decimal(row.Value), Unit: row.Unit},
		Reporter:   row.Reporter,
		Note:       row.Note,
		Supersedes: row.Supersedes,
		Withdrawn:  row.Withdrawn,
	}
}

const selectObservations = `
	SELECT o.id, i.indicator_key, o.observed_at, COALESCE(o.received_at, o.observed_at) AS received_at, o.value, o.value_unit,
		COALESCE(p.person_key, '') AS reporter, o.note,
		COALESCE(o.supersedes, 0) AS supersedes, o.withdrawn
	FROM observations o
	JOIN indicators i ON i.id = o.indicator_id
	LEFT JOIN people p ON p.id = o.reporter_id`

// IndicatorObservations is the full history of an indicator, ordered by ID,
// including superseded observations and withdrawals.
func (db *DB) IndicatorObservations(ctx context.Context, key string) ([]planbot.Observation, error) {
	return indicatorObservations(ctx, db.read, key)
}

func indicatorObservations(ctx context.Context, q sqlx.QueryerContext, key string) ([]planbot.Observation, error) {
	var rows []observationRow
	if err := sqlx.SelectContext(ctx, q, &rows, selectObservations+`
		WHERE i.indicator_key = ? ORDER BY o.id`, key); err != nil {
		return nil, fmt.Errorf("observations of indicator %s: %w", key, classify(err))
	}
	return observations(rows), nil
}

func observations(rows []observationRow) []planbot.Observation {
	out := make([]planbot.Observation, len(rows))
	for i, r := range rows {
		out[i] = r.observation()
	}
	return out
}

// LatestObservations returns, for each indicator key, the latest effective
// observation with At in [from, to): effective means not a withdrawal and
// not superseded by any later row (whatever that row's At). The latest is
// the one with the greatest At, then the greatest ID. Archived indicators
// are included.
func (db *DB) LatestObservations(ctx context.Context, from, to time.Time) (map[string]planbot.Observation, error) {
	return latestObservations(ctx, db.read, from, to)
}

func latestObservations(ctx context.Context, q sqlx.QueryerContext, from, to time.Time) (map[string]planbot.Observation, error) {
	var rows []observationRow
	if err := sqlx.SelectContext(ctx, q, &rows, selectObservations+`
		WHERE o.withdrawn = 0
			AND NOT EXISTS (SELECT 1 FROM observations s WHERE s.supersedes = o.id)
			AND o.observed_at >= ? AND o.observed_at < ?
		ORDER BY o.observed_at, o.id`, ceilUnix(from), ceilUnix(to)); err != nil {
		return nil, fmt.Errorf("latest observations: %w", classify(err))
	}
	out := make(map[string]planbot.Observation)
	for _, r := range rows {
		out[r.Indicator] = r.observation() // later rows win
	}
	return out, nil
}

// LastObservationBy is LastReportBy for observations: the newest effective
// observation reporter sent, by ID, on observations_reporter.
func (db *DB) LastObservationBy(ctx context.Context, reporter string) (planbot.Observation, bool, error) {
	return lastObservationBy(ctx, db.read, reporter)
}

const lastObservationWhere = `
	WHERE o.reporter_id = (SELECT id FROM people WHERE person_key = ?)
		AND o.withdrawn = 0
		AND NOT EXISTS (SELECT 1 FROM observations s WHERE s.supersedes = o.id)
	ORDER BY o.reporter_id DESC, o.id DESC
	LIMIT 1`

func lastObservationBy(ctx context.Context, q sqlx.QueryerContext, reporter string) (planbot.Observation, bool, error) {
	var rows []observationRow
	if err := sqlx.SelectContext(ctx, q, &rows, selectObservations+lastObservationWhere, reporter); err != nil {
		return planbot.Observation{}, false, fmt.Errorf("last observation by %s: %w", reporter, classify(err))
	}
	if len(rows) == 0 {
		return planbot.Observation{}, false, nil
	}
	return rows[0].observation(), true, nil
}
