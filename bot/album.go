package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"planbot"
)

// Photos sent together as an album arrive as one message each, sharing a
// media group id, with the caption (if any) on the first. The album is one
// piece of evidence: its first photo makes the report, or asks which item
// it is for, and the others join that report or that question silently,
// instead of each asking "which item?" again.

// pendingAlbum remembers the report an album's first photo made, so the
// album's other photos can join it.
const pendingAlbum = "album"

// albumWindow is how long after its first photo an album's others join it
// (they come within seconds).
const albumWindow = 10 * time.Minute

// albumPhoto adds a captionless photo to what its album's first photo
// started. handled is false when the photo is not a later photo of an
// album this user is in the middle of: it is then handled as any photo.
func (b *Bot) albumPhoto(c *call) (handled bool, err error) {
	if c.m.MediaGroup == "" || len(c.m.PhotoIDs) == 0 || strings.TrimSpace(c.m.Text) != "" {
		return false, nil
	}
	p, ok, err := c.s.PendingFor(c.ctx, c.m.ChatID, c.m.UserID)
	if err != nil || !ok || (p.Kind != pendingPick && p.Kind != pendingAlbum) || c.now.Sub(p.CreatedAt) > albumWindow {
		return false, err
	}
	var d draft
	if err := json.Unmarshal([]byte(p.Payload), &d); err != nil {
		return false, fmt.Errorf("decode pending %d: %w", p.ID, err)
	}
	if d.MediaGroup != c.m.MediaGroup {
		return false, nil
	}
	if p.Kind == pendingPick {
		// The question "which item?" is already asked for the album: the
		// answer will record every photo.
		d.Photos = append(d.Photos, c.m.PhotoIDs...)
		return true, c.savePending(p, d)
	}
	saved, ok, err := b.addPhotos(c, d.Items[0], d.ReportID, c.m.PhotoIDs)
	if err != nil || !ok {
		return ok, err
	}
	d.ReportID = saved.ID
	return true, c.savePending(p, d)
}

// addPhotos records photos as evidence of the report id: a correction that
// repeats its figures and words and adds the photos, so history shows both
// rows (reports are never changed). ok is false when the report is no
// longer the item's newest (withdrawn, or reported on since).
func (b *Bot) addPhotos(c *call, code string, id int64, photos []string) (planbot.Report, bool, error) {
	rs, err := c.s.ItemReports(c.ctx, code)
	if err != nil {
		return planbot.Report{}, false, err
	}
	i := slices.IndexFunc(rs, func(r planbot.Report) bool { return r.ID == id })
	if i < 0 || i != len(rs)-1 || rs[i].Withdrawn {
		return planbot.Report{}, false, nil
	}
	old := rs[i]
	r := old
	r.ID, r.Supersedes, r.At, r.MessageID = 0, old.ID, c.reportTime(), c.m.MessageID
	r.PhotoIDs = append(slices.Clip(old.PhotoIDs), photos...)
	saved, err := c.s.AddReport(c.ctx, r)
	if errors.Is(err, planbot.ErrConflict) || errors.Is(err, planbot.ErrInvalid) || errors.Is(err, planbot.ErrArchived) {
		return planbot.Report{}, false, nil
	}
	return saved, err == nil, err
}

// rememberAlbum notes the report an album's photo made, for the album's
// other photos (see albumPhoto).
func (c *call) rememberAlbum(group string, r planbot.Report) error {
	if group == "" {
		return nil
	}
	payload, err := json.Marshal(draft{MediaGroup: group, Items: []string{r.ItemCode}, ReportID: r.ID})
	if err != nil {
		return fmt.Errorf("encode pending album: %w", err)
	}
	_, err = c.s.SavePending(c.ctx, planbot.Pending{ChatID: c.m.ChatID, UserID: c.m.UserID, Kind: pendingAlbum, Payload: string(payload), CreatedAt: c.now})
	return err
}

// savePending stores d as the new state of the pending question p.
func (c *call) savePending(p planbot.Pending, d draft) error {
	payload, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode pending %s: %w", p.Kind, err)
	}
	p.Payload = string(payload)
	_, err = c.s.SavePending(c.ctx, p)
	return err
}
