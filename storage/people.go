package storage

import (
	"database/sql"
	"fmt"
	"strings"

	"planbot"
)

// personFields are the columns of people that come from the plan.
type personFields struct {
	Name       string
	TelegramID int64
	Roles      string // comma-separated
	Unit       string
	Principal  bool
	Invite     string
}

func personFieldsOf(p planbot.Person) personFields {
	roles := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = string(r)
	}
	return personFields{
		Name:       p.Name,
		TelegramID: p.TelegramID,
		Roles:      strings.Join(roles, ","),
		Unit:       p.Unit,
		Principal:  p.Principal,
		Invite:     p.Invite,
	}
}

func (s *planSync) syncPeople(people []planbot.Person) (map[string]int64, error) {
	var rows []struct {
		ID         int64         `db:"id"`
		Key        string        `db:"person_key"`
		Name       string        `db:"name"`
		TelegramID sql.NullInt64 `db:"telegram_id"`
		Roles      string        `db:"roles"`
		Unit       string        `db:"unit"`
		Principal  bool          `db:"principal"`
		Invite     string        `db:"invite"`
		Archived   sql.NullInt64 `db:"archived_at"`
	}
	if err := s.tx.SelectContext(s.ctx, &rows, `
		SELECT id, person_key, name, telegram_id, roles, unit, principal, invite, archived_at
		FROM people`); err != nil {
		return nil, fmt.Errorf("load people: %w", err)
	}
	have := make(map[string]stored[personFields], len(rows))
	for _, r := range rows {
		have[r.Key] = stored[personFields]{id: r.ID, archived: r.Archived.Valid, fields: personFields{
			Name: r.Name, TelegramID: r.TelegramID.Int64, Roles: r.Roles, Unit: r.Unit,
			Principal: r.Principal, Invite: r.Invite,
		}}
	}
	want := make([]wanted[personFields], len(people))
	for i, p := range people {
		want[i] = wanted[personFields]{key: p.Key, fields: personFieldsOf(p)}
	}
	ids, err := syncEntities(s, entityTable[personFields]{
		kind:  "person",
		table: "people",
		insert: func(key string, f personFields) (int64, error) {
			var id int64
			err := s.tx.GetContext(s.ctx, &id, `
				INSERT INTO people (person_key, name, telegram_id, roles, unit, principal, invite, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
				RETURNING id`,
				key, f.Name, nullInt(f.TelegramID), f.Roles, f.Unit, f.Principal, f.Invite, s.now, s.now)
			return id, err
		},
		update: func(id int64, _ string, old, f personFields) error {
			_, err := s.tx.ExecContext(s.ctx, `
				UPDATE people SET name = ?, telegram_id = ?, roles = ?, unit = ?, principal = ?, invite = ?, updated_at = ?
				WHERE id = ?`,
				f.Name, nullInt(f.TelegramID), f.Roles, f.Unit, f.Principal, f.Invite, s.now, id)
			if err != nil {
				return err
			}
			// Whoever used the old code is not vouched for by the new
			// identity: the admin may have replaced the invite because
			// the wrong person used it.
			switch {
			case old.TelegramID != f.TelegramID && f.TelegramID != 0:
				return voidBindings(s.ctx, s.tx, id, VoidTelegramID, s.now)
			case old.TelegramID != f.TelegramID || old.Invite != f.Invite:
				return voidBindings(s.ctx, s.tx, id, VoidInvite, s.now)
			}
			return nil
		},
	}, have, want)
	if err != nil {
		return nil, err
	}
	for _, name := range s.rep.Archived {
		if strings.HasPrefix(name, "person ") {
			return ids, voidRemoved(s.ctx, s.tx, s.now)
		}
	}
	return ids, nil
}
