package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"planbot"
)

// SyncPlan loads the validated plan into the database in one transaction:
// people, then sections, items (with owners and milestones) and indicators
// (with aliases).
//
// Entities are matched by their key or code. One that is new is added; one
// whose fields changed is updated in place, keeping its id, so reports and
// observations stay attached (a renamed item keeps its history); one absent
// from the plan is archived, never deleted; one that comes back is restored.
// Running it again with the same plan writes nothing, not even updated_at,
// and returns an empty report. An entity restored with changed fields is
// listed under both Restored and Updated. now stamps created_at, updated_at
// and archived_at. On any error nothing is written.
func (db *DB) SyncPlan(ctx context.Context, plan *planbot.Plan, now time.Time) (planbot.SyncReport, error) {
	if plan == nil {
		return planbot.SyncReport{}, fmt.Errorf("sync plan into %s: no plan", db.path)
	}
	var rep planbot.SyncReport
	err := db.inTx(ctx, func(tx *txn) error {
		var err error
		rep, err = syncPlan(ctx, tx, plan, now)
		return err
	})
	if err != nil {
		return planbot.SyncReport{}, fmt.Errorf("sync plan into %s: %w", db.path, err)
	}
	return rep, nil
}

// planYearKey is the bot_state row holding the year of the plan the
// database keeps.
const planYearKey = "plan_year"

func syncPlan(ctx context.Context, tx *txn, plan *planbot.Plan, now time.Time) (planbot.SyncReport, error) {
	var rep planbot.SyncReport
	if err := checkPlanYear(ctx, tx, plan.Year, now); err != nil {
		return rep, err
	}
	s := &planSync{ctx: ctx, tx: tx, now: unix(now), rep: &rep}
	var err error
	if s.people, err = s.syncPeople(plan.People); err != nil {
		return rep, err
	}
	if s.sections, err = s.syncSections(plan.Sections); err != nil {
		return rep, err
	}
	if err := s.syncItems(plan.Items); err != nil {
		return rep, err
	}
	return rep, s.syncIndicators(plan.Indicators)
}

// planSync is the state of one SyncPlan transaction.
type planSync struct {
	ctx      context.Context
	tx       *txn
	now      int64
	rep      *planbot.SyncReport
	people   map[string]int64 // person key → id
	sections map[string]int64 // section code → id
}

// stored is an entity as the database has it: its id, the fields SyncPlan
// compares, and whether it is archived.
type stored[F comparable] struct {
	id       int64
	fields   F
	archived bool
}

// wanted is an entity as the plan has it.
type wanted[F comparable] struct {
	key    string
	fields F
}

// entityTable says how to add and change one kind of entity.
type entityTable[F comparable] struct {
	kind   string // "person", "item" … as shown in the SyncReport
	table  string // table with archived_at and updated_at columns
	insert func(key string, f F) (int64, error)
	update func(id int64, key string, old, f F) error // also sets updated_at
}

// syncEntities reconciles have with want and returns the id of every
// wanted key. Changes are appended to s.rep in plan order; archivals in key
// order.
func syncEntities[F comparable](s *planSync, t entityTable[F], have map[string]stored[F], want []wanted[F]) (map[string]int64, error) {
	ids := make(map[string]int64, len(want))
	for _, w := range want {
		name := t.kind + " " + w.key
		if _, dup := ids[w.key]; dup {
			return nil, fmt.Errorf("%s appears twice in the plan", name)
		}
		h, ok := have[w.key]
		if !ok {
			id, err := t.insert(w.key, w.fields)
			if err != nil {
				return nil, fmt.Errorf("add %s: %w", name, err)
			}
			ids[w.key] = id
			s.rep.Added = append(s.rep.Added, name)
			continue
		}
		ids[w.key] = h.id
		if h.archived {
			if err := s.setArchived(t.table, h.id, nil); err != nil {
				return nil, fmt.Errorf("restore %s: %w", name, err)
			}
			s.rep.Restored = append(s.rep.Restored, name)
		}
		if h.fields != w.fields {
			if err := t.update(h.id, w.key, h.fields, w.fields); err != nil {
				return nil, fmt.Errorf("update %s: %w", name, err)
			}
			s.rep.Updated = append(s.rep.Updated, name)
		}
	}
	var gone []string
	for key, h := range have {
		if _, ok := ids[key]; !ok && !h.archived {
			gone = append(gone, key)
		}
	}
	sort.Strings(gone)
	for _, key := range gone {
		name := t.kind + " " + key
		if err := s.setArchived(t.table, have[key].id, &s.now); err != nil {
			return nil, fmt.Errorf("archive %s: %w", name, err)
		}
		s.rep.Archived = append(s.rep.Archived, name)
	}
	return ids, nil
}

// setArchived archives (at != nil) or restores (at == nil) one row. table
// is one of our constant table names, never user input.
func (s *planSync) setArchived(table string, id int64, at *int64) error {
	_, err := s.tx.ExecContext(s.ctx,
		`UPDATE `+table+` SET archived_at = ?, updated_at = ? WHERE id = ?`, at, s.now, id)
	return err
}

// personID resolves a person key of the plan; "" is no person (NULL).
func (s *planSync) personID(key string) (any, error) {
	if key == "" {
		return nil, nil
	}
	id, ok := s.people[key]
	if !ok {
		return nil, fmt.Errorf("person %q is not in the plan", key)
	}
	return id, nil
}

// checkPlanYear refuses a plan of another year than the one the database
// keeps reports for: items are matched by code, and next year's "2.3" is
// another task than this year's, which must not inherit its reports (a
// "done" of last year would make it done). A new year starts a new
// database file; the old one stays as the year's record. A database with no
// report yet takes any year.
func checkPlanYear(ctx context.Context, tx *txn, year int, now time.Time) error {
	var stored string
	err := tx.GetContext(ctx, &stored, `SELECT value FROM bot_state WHERE name = ?`, planYearKey)
	if errors.Is(err, sql.ErrNoRows) {
		// A database from before the year was kept: its plan's items are
		// due within its year, nearly all of them. The most common due year
		// stands for it.
		var year sql.NullString
		err = tx.GetContext(ctx, &year, `
			SELECT substr(due_date, 1, 4) FROM items
			WHERE archived_at IS NULL AND due_date IS NOT NULL
			GROUP BY 1 ORDER BY COUNT(*) DESC, 1 DESC LIMIT 1`)
		switch {
		case errors.Is(err, sql.ErrNoRows) || (err == nil && !year.Valid):
			err = sql.ErrNoRows
		case err == nil:
			stored = year.String
		}
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("read the plan year: %w", err)
	case stored != strconv.Itoa(year):
		var reports int
		if err := tx.GetContext(ctx, &reports, `SELECT COUNT(*) FROM reports`); err != nil {
			return fmt.Errorf("count reports: %w", err)
		}
		if reports > 0 {
			return errorf(ErrConflict, "这个数据库记录的是 %s 年的计划（已有 %d 条汇报），不能装入 %d 年的计划：新一年的事项编号会沿用上一年的汇报。"+
				"请为 %d 年换一个数据库文件（在配置里写 database: planbot-%d.db），旧文件留作 %s 年的档案",
				stored, reports, year, year, year, stored)
		}
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO bot_state (name, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
		WHERE value <> excluded.value`, planYearKey, strconv.Itoa(year), unix(now))
	if err != nil {
		return fmt.Errorf("store the plan year: %w", err)
	}
	return nil
}
