package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"planbot"
	"planbot/bot"
	"planbot/storage"
	"planbot/telegram"
	"planbot/telegram/telegramtest"
)

// poisonStore panics when asked to record a report whose note holds "💣":
// a bug in a handler or a driver, as the poll loop meets it.
type poisonStore struct{ bot.Store }

func (p poisonStore) AddReport(ctx context.Context, r planbot.Report) (planbot.Report, error) {
	if strings.Contains(r.Note, "💣") {
		panic("poison report")
	}
	return p.Store.AddReport(ctx, r)
}

type poisonLog struct{ *storage.DB }

func (p poisonLog) HandleUpdate(ctx context.Context, id, next int, now time.Time, fn func(bot.Store) ([]planbot.OutboxMessage, error)) (bool, error) {
	return p.DB.HandleUpdate(ctx, id, next, now, func(s bot.Store) ([]planbot.OutboxMessage, error) { return fn(poisonStore{s}) })
}

func (p poisonLog) HandleUpdates(ctx context.Context, batch []planbot.PolledUpdate) ([]planbot.PolledOutcome, error) {
	poisoned := slices.Clone(batch)
	for i, u := range poisoned {
		if serve := u.Serve; serve != nil {
			poisoned[i].Serve = func(s bot.Store) ([]planbot.OutboxMessage, error) { return serve(poisonStore{s}) }
		}
	}
	return p.DB.HandleUpdates(ctx, poisoned)
}

// 10h. A message whose handling panics: its effects roll back, the person
// gets an apology asking them to send it again, the update is recorded
// (so it is not handled again and does not block the queue), and the next
// message is handled as usual.
func TestE2EPanicApologises(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.panics = true
	h.start(func(o *instanceOptions) {
		o.updates = func(u telegram.UpdateLog, _ context.CancelFunc) telegram.UpdateLog { return poisonLog{u.(*storage.DB)} }
	})
	poison := h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度60% 💣")
	h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度70% 已签约")
	sent := h.srv.WaitSent(t, uMa.ID, 2, waitLimit)
	wants(t, "the apology", sent[0].Text, "抱歉，系统出了点问题，这条消息没有记录。请稍后再发一次")
	wants(t, "the next report's echo", sent[1].Text, "已记录", "2.3", "70%")
	h.srv.WaitConfirmed(t, poison+1, waitLimit)
	if rs := h.reports("2.3"); len(rs) != 1 || percentOf(rs[0]) != 70 {
		t.Errorf("reports of 2.3: %+v, want only the 70%% one", rs)
	}
	if ok, err := h.db.UpdateHandled(h.ctx, poison); err != nil || !ok {
		t.Errorf("the poison update is not recorded (%v): Telegram would send it again", err)
	}
	wants(t, "logs", h.logs.String(), "handling failed; apologising", "poison report")
}
