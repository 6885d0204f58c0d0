package storage

import (
	"database/sql"
	"fmt"
	"strings"

	"planbot"
)

// indicatorFields are the columns of indicators and indicator_aliases that
// come from the plan.
type indicatorFields struct {
	Name          string
	Unit          string
	TargetValue   int64
	TargetUnit    string
	HasLastYear   bool
	LastYearValue int64
	LastYearUnit  string
	Accumulate    string
	Aliases       string // joined by listSep, in plan order
}

func indicatorFieldsOf(in planbot.Indicator) indicatorFields {
	f := indicatorFields{
		Name:        in.Name,
		Unit:        in.Unit,
		TargetValue: int64(in.Target.Value),
		TargetUnit:  in.Target.Unit,
		Accumulate:  string(in.Accumulate),
		Aliases:     strings.Join(in.Aliases, listSep),
	}
	if in.LastYear != nil {
		f.HasLastYear, f.LastYearValue, f.LastYearUnit = true, int64(in.LastYear.Value), in.LastYear.Unit
	}
	return f
}

func (s *planSync) syncIndicators(indicators []planbot.Indicator) error {
	var rows []struct {
		ID            int64          `db:"id"`
		Key           string         `db:"indicator_key"`
		Name          string         `db:"name"`
		Unit          string         `db:"unit"`
		TargetValue   int64          `db:"target_value"`
		TargetUnit    string         `db:"target_unit"`
		LastYearValue sql.NullInt64  `db:"last_year_value"`
		LastYearUnit  sql.NullString `db:"last_year_unit"`
		Accumulate    string         `db:"accumulate"`
		Archived      sql.NullInt64  `db:"archived_at"`
	}
	if err := s.tx.SelectContext(s.ctx, &rows, `
		SELECT id, indicator_key, name, unit, target_value, target_unit,
			last_year_value, last_year_unit, accumulate, archived_at
		FROM indicators`); err != nil {
		return fmt.Errorf("load indicators: %w", err)
	}
	var aliases []struct {
		IndicatorID int64  `db:"indicator_id"`
		Alias       string `db:"alias"`
	}
	if err := s.tx.SelectContext(s.ctx, &aliases, `
		SELECT indicator_id, alias FROM indicator_aliases ORDER BY indicator_id, position`); err != nil {
		return fmt.Errorf("load indicator aliases: %w", err)
	}
	aliasesOf := make(map[int64][]string)
	for _, a := range aliases {
		aliasesOf[a.IndicatorID] = append(aliasesOf[a.IndicatorID], a.Alias)
	}
	have := make(map[string]stored[indicatorFields], len(rows))
	for _, r := range rows {
		have[r.Key] = stored[indicatorFields]{id: r.ID, archived: r.Archived.Valid, fields: indicatorFields{
			Name:          r.Name,
			Unit:          r.Unit,
			TargetValue:   r.TargetValue,
			TargetUnit:    r.TargetUnit,
			HasLastYear:   r.LastYearValue.Valid,
			LastYearValue: r.LastYearValue.Int64,
			LastYearUnit:  r.LastYearUnit.String,
			Accumulate:    r.Accumulate,
			Aliases:       strings.Join(aliasesOf[r.ID], listSep),
		}}
	}
	want := make([]wanted[indicatorFields], len(indicators))
	byKey := make(map[string]planbot.Indicator, len(indicators))
	for i, in := range indicators {
		want[i] = wanted[indicatorFields]{key: in.Key, fields: indicatorFieldsOf(in)}
		byKey[in.Key] = in
	}
	_, err := syncEntities(s, entityTable[indicatorFields]{
		kind:  "indicator",
		table: "indicators",
		insert: func(key string, f indicatorFields) (int64, error) {
			var id int64
			if err := s.tx.GetContext(s.ctx, &id, `
				INSERT INTO indicators (name, unit, target_value, target_unit, last_year_value, last_year_unit,
					accumulate, indicator_key, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				RETURNING id`,
				append(indicatorArgs(f), key, s.now, s.now)...); err != nil {
				return 0, err
			}
			return id, s.insertAliases(id, byKey[key].Aliases)
		},
		update: func(id int64, key string, old, f indicatorFields) error {
			if _, err := s.tx.ExecContext(s.ctx, `
				UPDATE indicators SET name = ?, unit = ?, target_value = ?, target_unit = ?,
					last_year_value = ?, last_year_unit = ?, accumulate = ?, updated_at = ?
				WHERE id = ?`,
				append(indicatorArgs(f), s.now, id)...); err != nil {
				return err
			}
			if old.Aliases == f.Aliases {
				return nil
			}
			if _, err := s.tx.ExecContext(s.ctx, `DELETE FROM indicator_aliases WHERE indicator_id = ?`, id); err != nil {
				return err
			}
			return s.insertAliases(id, byKey[key].Aliases)
		},
	}, have, want)
	return err
}

// indicatorArgs are the values of name … accumulate, in that order.
func indicatorArgs(f indicatorFields) []any {
	var lv sql.NullInt64
	var lu sql.NullString
	if f.HasLastYear {
		lv = sql.NullInt64{Int64: f.LastYearValue, Valid: true}
		lu = sql.NullString{String: f.LastYearUnit, Valid: true}
	}
	return []any{f.Name, f.Unit, f.TargetValue, f.TargetUnit, lv, lu, f.Accumulate}
}

func (s *planSync) insertAliases(indicatorID int64, aliases []string) error {
	for i, a := range aliases {
		if _, err := s.tx.ExecContext(s.ctx,
			`INSERT INTO indicator_aliases (indicator_id, alias, position) VALUES (?, ?, ?)`,
			indicatorID, a, i); err != nil {
			return fmt.Errorf("alias %s: %w", a, err)
		}
	}
	return nil
}
