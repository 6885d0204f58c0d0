package storage

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"planbot"
)

func TestPendingMessagesDrainOrder(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	now := t0
	err := db.Enqueue(ctx,
		OutboxMessage{ChatID: tgChat(1), Text: "digest A", Priority: -1, CreatedAt: now},
		OutboxMessage{ChatID: tgChat(2), Text: "reply 1", Priority: 10, CreatedAt: now},
		OutboxMessage{ChatID: tgChat(1), Text: "digest B", Priority: -1, CreatedAt: now},
		OutboxMessage{ChatID: tgChat(3), Text: "retry later", CreatedAt: now, NextAttemptAt: now.Add(30 * time.Second)},
		OutboxMessage{ChatID: tgChat(2), Text: "reply 2", Priority: 10, CreatedAt: now,
			Buttons: planbot.Keyboard{{{Text: "2.3", Data: "item:2.3"}, {Text: "2.4", Data: "item:2.4"}}, {{Text: "取消", Data: "x"}}}},
		OutboxMessage{ChatID: tgChat(4), Attachment: planbot.AttachPicture, FileName: "evidence.png", FileData: []byte("PNG"),
			Text: "佐证", CreatedAt: now},
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
	wantButtons := planbot.Keyboard{{{Text: "2.3", Data: "item:2.3"}, {Text: "2.4", Data: "item:2.4"}}, {{Text: "取消", Data: "x"}}}
	if !reflect.DeepEqual(got[1].Buttons, wantButtons) || got[0].Buttons != nil ||
		got[2].Attachment != planbot.AttachPicture || got[2].FileName != "evidence.png" || got[2].FileData != nil ||
		got[0].Status != OutboxPending || got[0].ChatID != tgChat(2) {
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
	good := OutboxMessage{ChatID: tgChat(1), Text: "ok"}
	for name, bad := range map[string]OutboxMessage{
		"no chat":          {Text: "x"},
		"nothing to send":  {ChatID: tgChat(1)},
		"no platform":      {ChatID: "1", Text: "x"},
		"no chat on it":    {ChatID: "telegram:", Text: "x"},
		"unknown kind":     {ChatID: tgChat(1), Attachment: "sticker", FileName: "a", FileData: []byte("a")},
		"job without time": {ChatID: tgChat(1), Text: "x", Job: "digest"},
		"unclaimed run":    {ChatID: tgChat(1), Text: "x", Job: "digest", ScheduledAt: t0},
	} {
		if err := db.Enqueue(ctx, good, bad); err == nil {
			t.Errorf("%s: Enqueue accepted %+v", name, bad)
		}
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox`); n != 0 {
		t.Errorf("%d messages stored by failed Enqueue calls", n)
	}
}
