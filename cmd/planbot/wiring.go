package main

import (
	"context"
	"time"

	"planbot"
	"planbot/bot"
	"planbot/storage"
)

// storeAdapter lets the bot run its work inside storage's transactions:
// storage hands a *storage.Session, the bot wants its own Store interface,
// and neither package may import the other.
type storeAdapter struct{ *storage.DB }

func (a storeAdapter) HandleUpdate(ctx context.Context, id, next int, now time.Time, fn func(bot.Store) ([]planbot.OutboxMessage, error)) (bool, error) {
	return a.DB.HandleUpdate(ctx, id, next, now, func(s *storage.Session) ([]planbot.OutboxMessage, error) { return fn(s) })
}

func (a storeAdapter) InSession(ctx context.Context, fn func(bot.Store) error) error {
	return a.DB.InSession(ctx, func(s *storage.Session) error { return fn(s) })
}

var (
	_ bot.UpdateLog = storeAdapter{}
	_ bot.Sessions  = storeAdapter{}
	_ bot.Outbox    = (*storage.DB)(nil)
	_ bot.Store     = (*storage.Session)(nil)
)
