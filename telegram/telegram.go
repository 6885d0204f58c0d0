// Package telegram is the Telegram adapter: the rest of the program speaks
// of chats, accounts, messages and outbox rows in its own terms, and this
// package alone converts between those and the Bot API's. It owns the
// addresses of Telegram chats and accounts (ChatID, UserID, ChatNumber),
// reading updates as Messages (FromUpdate), the poll loop that hands each
// update to the conversation exactly once and rides out a database that
// cannot be written (Poller), the delivery Channel that turns outbox rows
// into Bot API calls and classifies Telegram's answers, Telegram's rate
// limits as delivery.Limits, and the HTTP client's guards (timeouts,
// capped answers, the token kept out of errors). The program's wiring
// only makes the clients (Connect, NewClient) and hands them over.
package telegram

import (
	"math"
	"strconv"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
	"planbot/delivery"
)

// Platform is Telegram's name in our addresses: "telegram:-1001234567".
const Platform = "telegram"

// MaxMessageLen is the most text, in UTF-16 units after entity parsing,
// a Telegram message takes (storage splits longer ones).
const MaxMessageLen = 4096

// ChatID is the address of Telegram chat id.
func ChatID(id int64) planbot.ChatID { return planbot.NewChatID(Platform, strconv.FormatInt(id, 10)) }

// UserID is the address of Telegram user id.
func UserID(id int64) planbot.UserID { return planbot.NewUserID(Platform, strconv.FormatInt(id, 10)) }

// ChatNumber is Telegram's id of the chat at c; false if c is not a
// Telegram chat.
func ChatNumber(c planbot.ChatID) (int64, bool) {
	if c.Platform() != Platform {
		return 0, false
	}
	n, err := strconv.ParseInt(c.Local(), 10, 64)
	return n, err == nil
}

// isGroup: Telegram numbers groups, supergroups and channels below zero,
// people above.
func isGroup(c planbot.ChatID) bool {
	n, ok := ChatNumber(c)
	return ok && n < 0
}

// API is the part of the Bot API client the adapter calls;
// *tgbotapi.BotAPI satisfies it, and a test may stand in for it. The
// client's token and its own account (BotAPI's fields, not methods) are
// given separately where needed.
type API interface {
	GetUpdates(config tgbotapi.UpdateConfig) ([]tgbotapi.Update, error)
	Request(c tgbotapi.Chattable) (*tgbotapi.APIResponse, error)
	Send(c tgbotapi.Chattable) (tgbotapi.Message, error)
}

// Command is one entry of the bot's command menu.
type Command struct{ Command, Description string }

// Telegram's documented rates, for a rate given as 0 (which would divide
// by zero).
const (
	defaultPerSecond         = 30
	defaultPerGroupPerMinute = 20
)

// Limits are Telegram's rate limits as delivery paces them: perSecond
// requests overall, one message per perChatSeconds to a person (0: no
// pause), perGroupPerMinute messages a minute to a group. Telegram
// documents 30/s, 1 s and 20/min; a rate of 0 or less is taken as that.
func Limits(perSecond, perChatSeconds, perGroupPerMinute float64) delivery.Limits {
	if perSecond <= 0 {
		perSecond = defaultPerSecond
	}
	if perGroupPerMinute <= 0 {
		perGroupPerMinute = defaultPerGroupPerMinute
	}
	return delivery.Limits{
		// Rounded up: rounding down would let 31 requests into a second at 30/s.
		Gap:      time.Duration(math.Ceil(float64(time.Second) / perSecond)),
		PerChat:  time.Duration(max(perChatSeconds, 0) * float64(time.Second)),
		PerGroup: time.Duration(float64(time.Minute) / perGroupPerMinute),
		Group:    isGroup,
	}
}
