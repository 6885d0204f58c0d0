package storage

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestPendingMessagesDrainOrder(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	now := t0
	err := db.Enqueue(ctx,
		OutboxMessage{ChatID: 1, Text: "digest A", Priority: -1, CreatedAt: now},
		OutboxMessage{ChatID: 2, Text: "reply 1", Priority: 10, CreatedAt: now},
		OutboxMessage{ChatID: 1, Text: "digest B", Priority: -1, CreatedAt: now},
		OutboxMessage{ChatID: 3, Text: "retry later", CreatedAt: now, NextAttemptAt: now.Add(30 * time.Second)},
		OutboxMessage{ChatID: 2, Text: "reply 2", Priority: 10, CreatedAt: now,
			ReplyMarkup: `{"inline_keyboard":[[{"text":"2.3","callback_data":"item:2.3"}]]}`},
		OutboxMessage{ChatID: 4, Photo: "AgACAgUAAxkBAAI", Text: "佐证", CreatedAt: now},
	)
	if err != nil {
		t.Fatal(err)
	}
	texts := func(msgs []OutboxMessage) []string {
		var out []string
		for _, m := range msgs {
			out = append(out, m.Text)
		}
		return out
	}
	got, err := db.PendingMessages(ctx, now, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"reply 1", "reply 2", "佐证", "digest A", "digest B"}
	if !slices.Equal(texts(got), want) {
		t.Errorf("drain order %q, want %q", texts(got), want)
	}
	if got[1].ReplyMarkup == "" || got[2].Photo != "AgACAgUAAxkBAAI" || got[0].Status != OutboxPending {
		t.Errorf("fields lost: %+v", got[:3])
	}
	if got, _ := db.PendingMessages(ctx, now, 2); !slices.Equal(texts(got), want[:2]) {
		t.Errorf("limit 2 gave %q", texts(got))
	}
	got, _ = db.PendingMessages(ctx, now.Add(30*time.Second), 100)
	if !slices.Contains(texts(got), "retry later") {
		t.Error("a message due now is not pending")
	}
	if _, err := db.PendingMessages(ctx, now, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("limit 0: err = %v; want ErrInvalid", err)
	}
}

// Enqueue is all or nothing, and refuses messages the sender could not send.
func TestEnqueueRejectsBadMessages(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	good := OutboxMessage{ChatID: 1, Text: "ok"}
	for name, bad := range map[string]OutboxMessage{
		"no chat":          {Text: "x"},
		"nothing to send":  {ChatID: 1},
		"markup not JSON":  {ChatID: 1, Text: "x", ReplyMarkup: "{inline"},
		"photo and doc":    {ChatID: 1, Photo: "a", Document: "b"},
		"job without time": {ChatID: 1, Text: "x", Job: "digest"},
		"unclaimed run":    {ChatID: 1, Text: "x", Job: "digest", ScheduledAt: t0},
	} {
		if err := db.Enqueue(ctx, good, bad); err == nil {
			t.Errorf("%s: Enqueue accepted %+v", name, bad)
		}
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox`); n != 0 {
		t.Errorf("%d messages stored by failed Enqueue calls", n)
	}
}
