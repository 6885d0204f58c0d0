package main

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"planbot"
	"planbot/bot"
	"planbot/storage"
	"planbot/telegram"
	"planbot/telegram/telegramtest"
)

// fullDisk is the database while its disk is full: every write fails with
// ErrUnwritable, reads work (as SQLite's do on a full disk).
type fullDisk struct {
	*storage.DB
	full atomic.Bool
}

var errDiskFull = fmt.Errorf("commit: %w: database or disk is full", planbot.ErrUnwritable)

func (f *fullDisk) HandleUpdate(ctx context.Context, id, next int, now time.Time, fn func(bot.Store) ([]planbot.OutboxMessage, error)) (bool, error) {
	if f.full.Load() {
		return false, errDiskFull
	}
	return f.DB.HandleUpdate(ctx, id, next, now, fn)
}

func (f *fullDisk) HandleUpdates(ctx context.Context, batch []planbot.PolledUpdate) ([]planbot.PolledOutcome, error) {
	if f.full.Load() {
		return nil, errDiskFull
	}
	return f.DB.HandleUpdates(ctx, batch)
}

func (f *fullDisk) RecordUpdate(ctx context.Context, id, next int, now time.Time, msgs ...planbot.OutboxMessage) error {
	if f.full.Load() {
		return errDiskFull
	}
	return f.DB.RecordUpdate(ctx, id, next, now, msgs...)
}

// 10g. While the database cannot be written, updates stay at Telegram
// (the offset does not move past them), the person whose report waits is
// told once that it is kept, a stranger hears nothing, and the admins are
// told when it starts and ends. Once the disk has room, each held update
// is handled exactly once. (The same against the real binary and a real
// full file: TestFaultDiskFull.)
func TestE2EDiskFullHoldsUpdates(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	var disk *fullDisk
	h.start(func(o *instanceOptions) {
		o.updates = func(u telegram.UpdateLog, _ context.CancelFunc) telegram.UpdateLog {
			disk = &fullDisk{DB: u.(*storage.DB)}
			disk.full.Store(true)
			return disk
		}
	})
	h.srv.WaitPolling(t, waitLimit)
	before := h.srv.Offset()
	report := h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度60%")
	h.srv.SendText(uStranger, telegramtest.PrivateChat(uStranger), "你好")
	h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "/item 2.3")

	// Held: delivered three times (the wait doubles from a second).
	waitHeld(t, h.srv, report, 3, waitLimit)
	if h.srv.Offset() != before || h.srv.Pending() != 3 {
		t.Errorf("Telegram was told the held updates were done: offset %d (was %d), %d pending", h.srv.Offset(), before, h.srv.Pending())
	}
	if n := len(h.reports("2.3")); n != 0 {
		t.Errorf("%d reports of 2.3 while the disk is full", n)
	}
	toMa := h.srv.Sent(uMa.ID)
	if len(toMa) != 1 || !strings.Contains(toMa[0].Text, "服务器暂时无法保存数据。您这条消息没有丢") {
		t.Errorf("the cadre was not told once that the report waits:\n%s", telegramtest.Describe(toMa))
	}
	if sent := h.srv.Sent(uStranger.ID); len(sent) != 0 {
		t.Errorf("a stranger heard about the database:\n%s", telegramtest.Describe(sent))
	}
	toAdmin := h.srv.Sent(uZheng.ID)
	if len(toAdmin) != 1 || !strings.Contains(toAdmin[0].Text, "planbot 无法写入数据库") || !strings.Contains(toAdmin[0].Text, "database or disk is full") {
		t.Errorf("the admin was not told once of the outage:\n%s", telegramtest.Describe(toAdmin))
	}

	disk.full.Store(false)
	h.srv.WaitFor(t, waitLimit, func(calls []telegramtest.Call) bool {
		return len(telegramtest.SentTo(calls, uMa.ID)) >= 3 && len(telegramtest.SentTo(calls, uStranger.ID)) >= 1 &&
			len(telegramtest.SentTo(calls, uZheng.ID)) >= 2
	})
	if rs := h.reports("2.3"); len(rs) != 1 || percentOf(rs[0]) != 60 {
		t.Errorf("reports of 2.3 after the disk has room: %+v, want one at 60%%", rs)
	}
	toMa = h.srv.Sent(uMa.ID)
	wants(t, "the report's reply", toMa[1].Text, "2.3", "60%")
	wants(t, "the status reply", toMa[2].Text, "2.3")
	wants(t, "the stranger's refusal", h.srv.Sent(uStranger.ID)[0].Text, "555000111")
	wants(t, "the admin's all-clear", h.srv.Sent(uZheng.ID)[1].Text, "数据库已恢复写入")
	wants(t, "logs", h.logs.String(), "the database cannot be written", "the database can be written again")
}

// waitHeld waits until Telegram has delivered update as the first of a
// batch n times: the bot asked for it again, not having recorded it.
func waitHeld(t *testing.T, srv *telegramtest.Server, update, n int, guard time.Duration) {
	t.Helper()
	srv.WaitFor(t, guard, func(calls []telegramtest.Call) bool {
		got := 0
		for _, c := range calls {
			if c.Method == "getUpdates" && len(c.UpdateIDs) > 0 && c.UpdateIDs[0] == update {
				got++
			}
		}
		return got >= n
	})
}
