package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"planbot"
)

// itemFields are the columns of items, item_owners and item_milestones that
// come from the plan. Owners and milestones are encoded into strings so the
// struct stays comparable.
type itemFields struct {
	Section     string
	Title       string
	Description string
	Leader      string
	Start, Due  string // YYYY-MM-DD or ""
	HasTarget   bool
	TargetValue int64
	TargetUnit  string
	Owners      string // person keys joined by listSep, in plan order
	Milestones  string // "date=percent" joined by listSep, by date
}

const listSep = "\x1f"

func itemFieldsOf(it planbot.Item) itemFields {
	f := itemFields{
		Section:     it.Section,
		Title:       it.Title,
		Description: it.Description,
		Leader:      it.Leader,
		Start:       dateText(it.Start),
		Due:         dateText(it.Due),
		Owners:      strings.Join(it.Owners, listSep),
	}
	if it.Target != nil {
		f.HasTarget, f.TargetValue, f.TargetUnit = true, int64(it.Target.Value), it.Target.Unit
	}
	ms := slices.Clone(it.Milestones)
	slices.SortFunc(ms, func(a, b planbot.Milestone) int { return a.Date.Compare(b.Date) })
	enc := make([]string, len(ms))
	for i, m := range ms {
		enc[i] = milestoneText(m.Date.String(), m.Percent)
	}
	f.Milestones = strings.Join(enc, listSep)
	return f
}

func milestoneText(date string, percent float64) string {
	return date + "=" + strconv.FormatFloat(percent, 'g', -1, 64)
}

func dateText(d planbot.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func (s *planSync) syncItems(items []planbot.Item) error {
	have, err := s.loadItems()
	if err != nil {
		return err
	}
	want := make([]wanted[itemFields], len(items))
	byCode := make(map[string]planbot.Item, len(items))
	for i, it := range items {
		want[i] = wanted[itemFields]{key: it.Code, fields: itemFieldsOf(it)}
		byCode[it.Code] = it
	}
	_, err = syncEntities(s, entityTable[itemFields]{
		kind:  "item",
		table: "items",
		insert: func(code string, f itemFields) (int64, error) {
			args, err := s.itemArgs(f)
			if err != nil {
				return 0, err
			}
			var id int64
			if err := s.tx.GetContext(s.ctx, &id, `
				INSERT INTO items (section_id, title, description, leader_id, start_date, due_date,
					target_value, target_unit, code, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				RETURNING id`,
				append(args, code, s.now, s.now)...); err != nil {
				return 0, err
			}
			it := byCode[code]
			if err := s.insertOwners(id, it.Owners); err != nil {
				return 0, err
			}
			return id, s.insertMilestones(id, it.Milestones)
		},
		update: func(id int64, code string, old, f itemFields) error {
			args, err := s.itemArgs(f)
			if err != nil {
				return err
			}
			if _, err := s.tx.ExecContext(s.ctx, `
				UPDATE items SET section_id = ?, title = ?, description = ?, leader_id = ?,
					start_date = ?, due_date = ?, target_value = ?, target_unit = ?, updated_at = ?
				WHERE id = ?`,
				append(args, s.now, id)...); err != nil {
				return err
			}
			it := byCode[code]
			if old.Owners != f.Owners {
				if _, err := s.tx.ExecContext(s.ctx, `DELETE FROM item_owners WHERE item_id = ?`, id); err != nil {
					return err
				}
				if err := s.insertOwners(id, it.Owners); err != nil {
					return err
				}
			}
			if old.Milestones != f.Milestones {
				if _, err := s.tx.ExecContext(s.ctx, `DELETE FROM item_milestones WHERE item_id = ?`, id); err != nil {
					return err
				}
				if err := s.insertMilestones(id, it.Milestones); err != nil {
					return err
				}
			}
			return nil
		},
	}, have, want)
	return err
}

// itemArgs are the values of section_id … target_unit, in that order.
func (s *planSync) itemArgs(f itemFields) ([]any, error) {
	section, ok := s.sections[f.Section]
	if !ok {
		return nil, fmt.Errorf("section %q is not in the plan", f.Section)
	}
	leader, err := s.personID(f.Leader)
	if err != nil {
		return nil, fmt.Errorf("leader: %w", err)
	}
	var tv sql.NullInt64
	var tu sql.NullString
	if f.HasTarget {
		tv = sql.NullInt64{Int64: f.TargetValue, Valid: true}
		tu = sql.NullString{String: f.TargetUnit, Valid: true}
	}
	return []any{section, f.Title, f.Description, leader, nullString(f.Start), nullString(f.Due), tv, tu}, nil
}

func (s *planSync) insertOwners(itemID int64, owners []string) error {
	for i, key := range owners {
		id, ok := s.people[key]
		if !ok {
			return fmt.Errorf("owner %q is not in the plan", key)
		}
		if _, err := s.tx.ExecContext(s.ctx,
			`INSERT INTO item_owners (item_id, person_id, position) VALUES (?, ?, ?)`, itemID, id, i); err != nil {
			return fmt.Errorf("owner %s: %w", key, err)
		}
	}
	return nil
}

func (s *planSync) insertMilestones(itemID int64, ms []planbot.Milestone) error {
	for _, m := range ms {
		if _, err := s.tx.ExecContext(s.ctx,
			`INSERT INTO item_milestones (item_id, due_date, percent) VALUES (?, ?, ?)`,
			itemID, m.Date.String(), m.Percent); err != nil {
			return fmt.Errorf("milestone %s: %w", m.Date, err)
		}
	}
	return nil
}

// loadItems reads every item with its owners and milestones, in three
// queries.
func (s *planSync) loadItems() (map[string]stored[itemFields], error) {
	var rows []struct {
		ID          int64          `db:"id"`
		Code        string         `db:"code"`
		Section     string         `db:"section"`
		Title       string         `db:"title"`
		Description string         `db:"description"`
		Leader      string         `db:"leader"`
		Start       sql.NullString `db:"start_date"`
		Due         sql.NullString `db:"due_date"`
		TargetValue sql.NullInt64  `db:"target_value"`
		TargetUnit  sql.NullString `db:"target_unit"`
		Archived    sql.NullInt64  `db:"archived_at"`
	}
	if err := s.tx.SelectContext(s.ctx, &rows, `
		SELECT i.id, i.code, s.code AS section, i.title, i.description,
			COALESCE(p.person_key, '') AS leader, i.start_date, i.due_date,
			i.target_value, i.target_unit, i.archived_at
		FROM items i
		JOIN sections s ON s.id = i.section_id
		LEFT JOIN people p ON p.id = i.leader_id`); err != nil {
		return nil, fmt.Errorf("load items: %w", err)
	}
	var owners []struct {
		ItemID int64  `db:"item_id"`
		Key    string `db:"person_key"`
	}
	if err := s.tx.SelectContext(s.ctx, &owners, `
		SELECT o.item_id, p.person_key
		FROM item_owners o JOIN people p ON p.id = o.person_id
		ORDER BY o.item_id, o.position`); err != nil {
		return nil, fmt.Errorf("load item owners: %w", err)
	}
	var milestones []struct {
		ItemID  int64   `db:"item_id"`
		Date    string  `db:"due_date"`
		Percent float64 `db:"percent"`
	}
	if err := s.tx.SelectContext(s.ctx, &milestones, `
		SELECT item_id, due_date, percent FROM item_milestones ORDER BY item_id, due_date`); err != nil {
		return nil, fmt.Errorf("load item milestones: %w", err)
	}
	ownersOf := make(map[int64][]string)
	for _, o := range owners {
		ownersOf[o.ItemID] = append(ownersOf[o.ItemID], o.Key)
	}
	milestonesOf := make(map[int64][]string)
	for _, m := range milestones {
		milestonesOf[m.ItemID] = append(milestonesOf[m.ItemID], milestoneText(m.Date, m.Percent))
	}
	have := make(map[string]stored[itemFields], len(rows))
	for _, r := range rows {
		have[r.Code] = stored[itemFields]{id: r.ID, archived: r.Archived.Valid, fields: itemFields{
			Section:     r.Section,
			Title:       r.Title,
			Description: r.Description,
			Leader:      r.Leader,
			Start:       r.Start.String,
			Due:         r.Due.String,
			HasTarget:   r.TargetValue.Valid,
			TargetValue: r.TargetValue.Int64,
			TargetUnit:  r.TargetUnit.String,
			Owners:      strings.Join(ownersOf[r.ID], listSep),
			Milestones:  strings.Join(milestonesOf[r.ID], listSep),
		}}
	}
	return have, nil
}

// ArchivedItems lists the codes of items removed from the plan, in code
// order. Their reports are kept.
func (db *DB) ArchivedItems(ctx context.Context) ([]string, error) {
	var codes []string
	if err := db.read.SelectContext(ctx, &codes,
		`SELECT code FROM items WHERE archived_at IS NOT NULL ORDER BY code`); err != nil {
		return nil, fmt.Errorf("list archived items: %w", classify(err))
	}
	return codes, nil
}
