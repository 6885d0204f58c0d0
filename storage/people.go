package storage

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"planbot"
)

// personFields are the columns of people that come from the plan, and the
// person's accounts (person_accounts).
type personFields struct {
	Name string
	// Accounts is the JSON array of the person's accounts, in the YAML's
	// order: a string, so that the fields compare with ==.
	Accounts  string
	Roles     string // comma-separated
	Unit      string
	Principal bool
	Invite    string
	Prefer    string // the platform reminders go to; "" for none
}

func personFieldsOf(p planbot.Person) (personFields, error) {
	roles := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		roles[i] = string(r)
	}
	// An account listed twice is one account (person_accounts holds it
	// once): as stored, it compares equal, and a sync again writes nothing.
	var once []planbot.UserID
	for _, a := range p.Accounts {
		if !slices.Contains(once, a) {
			once = append(once, a)
		}
	}
	accounts, err := encodeAccounts(once)
	if err != nil {
		return personFields{}, fmt.Errorf("person %s: %w", p.Key, err)
	}
	return personFields{
		Name:      p.Name,
		Accounts:  accounts,
		Roles:     strings.Join(roles, ","),
		Unit:      p.Unit,
		Principal: p.Principal,
		Invite:    p.Invite,
		Prefer:    p.Prefer,
	}, nil
}

// encodeAccounts is personFields.Accounts of accounts; "" for none.
func encodeAccounts(accounts []planbot.UserID) (string, error) {
	if len(accounts) == 0 {
		return "", nil
	}
	b, err := json.Marshal(accounts)
	if err != nil {
		return "", fmt.Errorf("encode accounts: %w", err)
	}
	return string(b), nil
}

func decodeAccounts(s string) []planbot.UserID {
	var out []planbot.UserID
	if s != "" {
		_ = json.Unmarshal([]byte(s), &out) // encodeAccounts made it
	}
	return out
}

func (s *planSync) syncPeople(people []planbot.Person) (map[string]int64, error) {
	have, err := s.storedPeople()
	if err != nil {
		return nil, err
	}
	want := make([]wanted[personFields], len(people))
	for i, p := range people {
		f, err := personFieldsOf(p)
		if err != nil {
			return nil, err
		}
		want[i] = wanted[personFields]{key: p.Key, fields: f}
	}
	ids, err := syncEntities(s, entityTable[personFields]{
		kind:  "person",
		table: "people",
		insert: func(key string, f personFields) (int64, error) {
			var id int64
			err := s.tx.GetContext(s.ctx, &id, `
				INSERT INTO people (person_key, name, roles, unit, principal, invite, prefer, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
				RETURNING id`,
				key, f.Name, f.Roles, f.Unit, f.Principal, f.Invite, f.Prefer, s.now, s.now)
			if err != nil {
				return 0, err
			}
			return id, s.insertAccounts(id, decodeAccounts(f.Accounts))
		},
		update: func(id int64, _ string, old, f personFields) error {
			_, err := s.tx.ExecContext(s.ctx, `
				UPDATE people SET name = ?, roles = ?, unit = ?, principal = ?, invite = ?, prefer = ?, updated_at = ?
				WHERE id = ?`,
				f.Name, f.Roles, f.Unit, f.Principal, f.Invite, f.Prefer, s.now, id)
			if err != nil {
				return err
			}
			if old.Accounts != f.Accounts {
				if _, err := s.tx.ExecContext(s.ctx, `DELETE FROM person_accounts WHERE person_id = ?`, id); err != nil {
					return fmt.Errorf("replace accounts: %w", err)
				}
				if err := s.insertAccounts(id, decodeAccounts(f.Accounts)); err != nil {
					return err
				}
			}
			if reason := voidReason(old, f); reason != "" {
				return voidBindings(s.ctx, s.tx, id, reason, s.now)
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

// voidReason says why a change of a person's fields from old to f voids
// their invite binding, "" if it does not. Whoever used the old code is
// not vouched for by the new identity: the admin may have written the
// accounts in, or replaced the invite, because the wrong person used it.
// The accounts' order alone, or the platform preferred (which one gets
// the reminders), is no change of identity.
func voidReason(old, f personFields) string {
	was, is := decodeAccounts(old.Accounts), decodeAccounts(f.Accounts)
	for _, a := range is {
		if !slices.Contains(was, a) {
			return VoidAccount
		}
	}
	for _, a := range was {
		if !slices.Contains(is, a) {
			return VoidInvite
		}
	}
	if old.Invite != f.Invite {
		return VoidInvite
	}
	return ""
}

// storedPeople reads every person as the database has them, with their
// accounts.
func (s *planSync) storedPeople() (map[string]stored[personFields], error) {
	var rows []struct {
		ID        int64         `db:"id"`
		Key       string        `db:"person_key"`
		Name      string        `db:"name"`
		Roles     string        `db:"roles"`
		Unit      string        `db:"unit"`
		Principal bool          `db:"principal"`
		Invite    string        `db:"invite"`
		Prefer    string        `db:"prefer"`
		Archived  sql.NullInt64 `db:"archived_at"`
	}
	if err := s.tx.SelectContext(s.ctx, &rows, `
		SELECT id, person_key, name, roles, unit, principal, invite, prefer, archived_at
		FROM people`); err != nil {
		return nil, fmt.Errorf("load people: %w", err)
	}
	var accounts []struct {
		PersonID int64          `db:"person_id"`
		User     planbot.UserID `db:"user_id"`
	}
	if err := s.tx.SelectContext(s.ctx, &accounts, `
		SELECT person_id, user_id FROM person_accounts ORDER BY person_id, position`); err != nil {
		return nil, fmt.Errorf("load people's accounts: %w", err)
	}
	accountsOf := make(map[int64][]planbot.UserID)
	for _, a := range accounts {
		accountsOf[a.PersonID] = append(accountsOf[a.PersonID], a.User)
	}
	have := make(map[string]stored[personFields], len(rows))
	for _, r := range rows {
		acc, err := encodeAccounts(accountsOf[r.ID])
		if err != nil {
			return nil, fmt.Errorf("person %s: %w", r.Key, err)
		}
		have[r.Key] = stored[personFields]{id: r.ID, archived: r.Archived.Valid, fields: personFields{
			Name: r.Name, Accounts: acc, Roles: r.Roles, Unit: r.Unit,
			Principal: r.Principal, Invite: r.Invite, Prefer: r.Prefer,
		}}
	}
	return have, nil
}

// insertAccounts stores person id's accounts (each once), in order.
func (s *planSync) insertAccounts(personID int64, accounts []planbot.UserID) error {
	for i, a := range accounts {
		if _, err := s.tx.ExecContext(s.ctx, `
			INSERT INTO person_accounts (person_id, user_id, position) VALUES (?, ?, ?)`,
			personID, a, i); err != nil {
			return fmt.Errorf("add account %q: %w", a, err)
		}
	}
	return nil
}
