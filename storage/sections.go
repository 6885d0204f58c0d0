package storage

import (
	"database/sql"
	"fmt"

	"planbot"
)

// sectionFields are the columns of sections that come from the plan.
type sectionFields struct {
	Title  string
	Leader string // person key, "" for none
}

func (s *planSync) syncSections(sections []planbot.Section) (map[string]int64, error) {
	var rows []struct {
		ID       int64         `db:"id"`
		Code     string        `db:"code"`
		Title    string        `db:"title"`
		Leader   string        `db:"leader"`
		Archived sql.NullInt64 `db:"archived_at"`
	}
	if err := s.tx.SelectContext(s.ctx, &rows, `
		SELECT s.id, s.code, s.title, COALESCE(p.person_key, '') AS leader, s.archived_at
		FROM sections s LEFT JOIN people p ON p.id = s.leader_id`); err != nil {
		return nil, fmt.Errorf("load sections: %w", err)
	}
	have := make(map[string]stored[sectionFields], len(rows))
	for _, r := range rows {
		have[r.Code] = stored[sectionFields]{id: r.ID, archived: r.Archived.Valid,
			fields: sectionFields{Title: r.Title, Leader: r.Leader}}
	}
	want := make([]wanted[sectionFields], len(sections))
	for i, sec := range sections {
		want[i] = wanted[sectionFields]{key: sec.Code, fields: sectionFields{Title: sec.Title, Leader: sec.Leader}}
	}
	return syncEntities(s, entityTable[sectionFields]{
		kind:  "section",
		table: "sections",
		insert: func(code string, f sectionFields) (int64, error) {
			leader, err := s.personID(f.Leader)
			if err != nil {
				return 0, fmt.Errorf("leader: %w", err)
			}
			var id int64
			err = s.tx.GetContext(s.ctx, &id, `
				INSERT INTO sections (code, title, leader_id, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?)
				RETURNING id`,
				code, f.Title, leader, s.now, s.now)
			return id, err
		},
		update: func(id int64, _ string, _, f sectionFields) error {
			leader, err := s.personID(f.Leader)
			if err != nil {
				return fmt.Errorf("leader: %w", err)
			}
			_, err = s.tx.ExecContext(s.ctx, `
				UPDATE sections SET title = ?, leader_id = ?, updated_at = ? WHERE id = ?`,
				f.Title, leader, s.now, id)
			return err
		},
	}, have, want)
}
