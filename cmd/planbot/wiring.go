package main

import (
	"planbot/bot"
	"planbot/scheduler"
	"planbot/storage"
)

// storage's transactions hand a planbot.Tx, the interface bot and
// scheduler take, so *storage.DB serves them as it is.
var (
	_ bot.UpdateLog           = (*storage.DB)(nil)
	_ bot.Sessions            = (*storage.DB)(nil)
	_ bot.Outbox              = (*storage.DB)(nil)
	_ bot.Store               = (*storage.Session)(nil)
	_ scheduler.Store         = (*storage.DB)(nil)
	_ scheduler.HoldStore     = (*storage.DB)(nil)
	_ scheduler.PendingPurger = (*storage.DB)(nil)
	_ scheduler.Session       = (*storage.ReadSession)(nil)
)
