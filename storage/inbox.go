package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"planbot"
)

// The inbox is for platforms that push an event once and never again
// (WeCom's long connection): Telegram keeps an update until the poll
// offset confirms it, so a crash there loses nothing, but a WeCom frame
// not stored when it arrived is gone. The receiver stores each event as
// it arrives (StoreInbound, which also refuses a duplicate), then handles
// it (HandleInbound, exactly once, as HandleUpdate does an update); at
// start it handles what a crash left pending (PendingInbound) first. A
// handled event keeps only its key, to refuse a duplicate, until
// PurgeInbound deletes it.

// StoreInbound stores an event of platform as received at now, before it
// is handled, and reports whether it is new: false when (platform,
// eventID) was stored before (a duplicate msgid, handled or not), which
// leaves the stored one as it was. The payload may be tens of MiB (a
// frame and a downloaded file); it is kept until the event is handled.
// It fails with ErrInvalid for an empty platform or event id.
func (db *DB) StoreInbound(ctx context.Context, platform, eventID string, payload []byte, now time.Time) (bool, error) {
	if err := checkInbound(platform, eventID); err != nil {
		return false, fmt.Errorf("store inbound event: %w", err)
	}
	if payload == nil {
		payload = []byte{} // NULL marks a handled event's cleared payload
	}
	var stored bool
	err := db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO inbound_events (platform, event_id, payload, received_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (platform, event_id) DO NOTHING`, platform, eventID, payload, unix(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		stored = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store %s event %s: %w", platform, eventID, err)
	}
	return stored, nil
}

// PendingInbound lists platform's events stored and not yet handled,
// oldest first (in the order they were stored), with their payloads: what
// a crash or an outage left to handle. They are few: each is handled as
// soon as it is stored.
func (db *DB) PendingInbound(ctx context.Context, platform string) ([]planbot.InboundEvent, error) {
	if err := checkPlatform(platform); err != nil {
		return nil, fmt.Errorf("list pending inbound events: %w", err)
	}
	var rows []struct {
		Platform   string `db:"platform"`
		EventID    string `db:"event_id"`
		Payload    []byte `db:"payload"`
		ReceivedAt int64  `db:"received_at"`
	}
	if err := db.read.SelectContext(ctx, &rows, pendingInboundQuery, platform); err != nil {
		return nil, fmt.Errorf("list pending %s events: %w", platform, classify(err))
	}
	out := make([]planbot.InboundEvent, len(rows))
	for i, r := range rows {
		out[i] = planbot.InboundEvent{Platform: r.Platform, EventID: r.EventID, Payload: r.Payload, ReceivedAt: fromUnix(r.ReceivedAt)}
	}
	return out, nil
}

// pendingInboundQuery seeks the partial index inbound_events_pending
// (platform, received_at, and rowid last), whose order is the ORDER BY's:
// no sort, and no handled row read.
const pendingInboundQuery = `
	SELECT platform, event_id, payload, received_at FROM inbound_events
	WHERE platform = ? AND handled_at IS NULL
	ORDER BY received_at, rowid`

// HandleInbound applies one event of platform exactly once, as
// HandleUpdate applies a Telegram update: in one write transaction, if the
// event was handled already it returns true without calling fn; otherwise
// it calls fn, queues the messages fn returns (see Enqueue; now stamps
// them), marks the event handled at now and clears its payload, and
// commits, so the event's effects, its replies and its being handled are
// written together or not at all. An event never stored is recorded as
// handled all the same (a later StoreInbound of it says duplicate).
//
// If fn fails, or its messages are invalid, or the commit fails, nothing
// is written and the error is returned: the event stays pending, payload
// and all. Errors matching ErrUnwritable (ErrLocked, a full disk) or a
// context error are not the event's fault: hold it and retry. For an
// error of fn itself, don't retry forever (a poison event would loop):
// record it with an apology, RecordInbound.
func (db *DB) HandleInbound(ctx context.Context, platform, eventID string, now time.Time,
	fn func(planbot.Tx) ([]OutboxMessage, error)) (bool, error) {
	if err := checkInbound(platform, eventID); err != nil {
		return false, fmt.Errorf("handle inbound event: %w", err)
	}
	already, err := db.handleOnce(ctx, inboundEvent{platform, eventID}, now, fn)
	if err != nil {
		return false, fmt.Errorf("handle %s event %s: %w", platform, eventID, err)
	}
	return already, nil
}

// RecordInbound marks an event of platform handled at now without
// handling it, clears its payload and, unless it was handled already,
// queues msgs (say, an apology for an event whose handling failed; now
// stamps them), in one transaction. Recording an event twice is harmless:
// msgs are then not queued again.
func (db *DB) RecordInbound(ctx context.Context, platform, eventID string, now time.Time, msgs ...OutboxMessage) error {
	if err := checkInbound(platform, eventID); err != nil {
		return fmt.Errorf("record inbound event: %w", err)
	}
	if err := db.recordOnce(ctx, inboundEvent{platform, eventID}, now, msgs); err != nil {
		return fmt.Errorf("record %s event %s: %w", platform, eventID, err)
	}
	return nil
}

// PurgeInbound deletes the events handled before before and returns how
// many. A purged event's id is forgotten: the platform sending it again
// after that is not taken for a duplicate, so keep them longer than any
// redelivery (the daily housekeeping purges those handled 30 days ago).
// Pending events are never purged.
func (db *DB) PurgeInbound(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM inbound_events WHERE handled_at < ?`, ceilUnix(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purge handled inbound events: %w", err)
	}
	return int(n), nil
}

// checkInbound refuses what names no event: no platform (checkPlatform),
// or no event id.
func checkInbound(platform, eventID string) error {
	if err := checkPlatform(platform); err != nil {
		return err
	}
	if eventID == "" {
		return errorf(ErrInvalid, "an inbound event of %s without an id", platform)
	}
	return nil
}

// inboundEvent is an event in the inbox, as a handledLog.
type inboundEvent struct{ platform, eventID string }

func (e inboundEvent) handled(ctx context.Context, tx *txn) (bool, error) {
	var handled bool
	err := tx.GetContext(ctx, &handled, `
		SELECT handled_at IS NOT NULL FROM inbound_events WHERE platform = ? AND event_id = ?`,
		e.platform, e.eventID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return handled, err
}

// record marks the event handled and drops its payload: once its effects
// are committed the frame and its file are not needed (the file, if
// evidence, was saved with SaveEvidence in the same transaction). An
// event handled already keeps its first handled_at.
func (e inboundEvent) record(ctx context.Context, tx *txn, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO inbound_events (platform, event_id, payload, received_at, handled_at) VALUES (?, ?, NULL, ?, ?)
		ON CONFLICT (platform, event_id) DO UPDATE SET handled_at = excluded.handled_at, payload = NULL
		WHERE inbound_events.handled_at IS NULL`,
		e.platform, e.eventID, unix(now), unix(now)); err != nil {
		return fmt.Errorf("mark handled: %w", err)
	}
	return nil
}
