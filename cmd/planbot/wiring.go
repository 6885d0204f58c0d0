package main

import (
	"planbot"
	"planbot/bot"
	"planbot/delivery"
	"planbot/scheduler"
	"planbot/storage"
	"planbot/telegram"
	"planbot/wecom"
)

// storage's transactions hand a planbot.Tx, the interface bot and
// scheduler take, so *storage.DB serves them as it is; the Telegram
// adapter serves the conversation through the interface it declares.
var (
	_ telegram.UpdateLog      = (*storage.DB)(nil)
	_ planbot.Conversation    = (*bot.Bot)(nil)
	_ wecom.Inbox             = (*storage.DB)(nil)
	_ bot.Sessions            = (*storage.DB)(nil)
	_ delivery.Outbox         = (*storage.DB)(nil)
	_ bot.Store               = (*storage.Session)(nil)
	_ scheduler.Store         = (*storage.DB)(nil)
	_ scheduler.HoldStore     = (*storage.DB)(nil)
	_ scheduler.PendingPurger = (*storage.DB)(nil)
	_ scheduler.InboxPurger   = (*storage.DB)(nil)
	_ scheduler.Session       = (*storage.ReadSession)(nil)
)
