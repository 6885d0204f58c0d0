// Package wecom is the WeCom (企业微信) adapter, beside telegram: the rest
// of the program speaks of chats, accounts, messages and outbox rows in
// its own terms, and this package alone converts between those and
// WeCom's. It owns
//
//   - the addresses of WeCom chats and accounts (UserChat, GroupChat,
//     RobotChat, User) and WeCom's rates as delivery.Limits;
//   - the AI bot (智能机器人) long connection (Conn): dial, subscribe,
//     heartbeat, request/ack correlation, reconnecting, and riding out a
//     takeover or a refused secret without a tight loop;
//   - reading its callback frames as Messages, exactly once (Receiver):
//     media fetched and decrypted at once, the frame stored before it is
//     handled, stored-but-unhandled frames handled first at start, and a
//     database that cannot be written waited out;
//   - the delivery Channels: Channel over the long connection (reply by
//     the callback's req_id, or push) and HookChannel over the group robot
//     (群机器人) webhook, each turning outbox rows into WeCom requests,
//     their HTML into WeCom markdown, and WeCom's answers into delivery's
//     verdicts.
//
// The protocol is known from the official Node SDK and third parties
// more than from WeCom's pages (docs/WECOM-PROTOCOL.md tags each point).
// Assumed here, not documented:
//
//   - acks carry no cmd and echo the req_id; frames of one req_id go one
//     at a time; an ack comes within 10 s or the frame is taken for lost
//     (delivery sends it again: a reply's stream id is the row's, so a
//     resent reply replaces its bubble, while a resent push may double);
//   - a reply is one stream frame finished at once; a card event's req_id
//     takes no aibot_respond_msg (846605, as enter_chat's), so presses are
//     answered by push; 846605/846608 on a reply fall back to a push;
//   - a push's markdown limit is no lower than the 4096 bytes our rows are
//     split to; chat_type 1/2 on a push is harmless; a card's task_id is
//     never reused (a row tried again gets a new one); button text ≤ 10
//     characters (longer ones are clipped);
//   - upload chunk indexes count from 0;
//   - media decrypt as AES-256-CBC, IV = key[:16], PKCS#7 padded to 32,
//     the aeskey with or without its base64 padding; a file's name comes
//     in the download's Content-Disposition;
//   - a voice message arrives transcribed, and is read as its text;
//     enter_chat and feedback events are not for the conversation;
//   - a takeover is an event before the server drops the socket; a
//     refused subscribe (853000) leaves the socket open. Both are waited
//     out for 10 minutes, as neither mends in seconds.
//
// Secrets (the bot's secret, the robots' keys) never appear in an error
// or a log line: the subscribe frame is never logged, and the webhook's
// URLs are redacted.
package wecom

import (
	"context"
	"math"
	"strings"
	"time"

	"planbot"
	"planbot/delivery"
)

// Platform is the AI bot's name in our addresses: "wecom:zhangsan",
// "wecom:group:wrXXXX".
const Platform = "wecom"

// HookPlatform is the group robots' name in our addresses:
// "wecomhook:leaders", by the robot's name in the YAML.
const HookPlatform = "wecomhook"

// MaxText is the most text, in UTF-16 units, one outbox row to WeCom
// holds (storage splits longer ones): 1365 units are at most 4095 UTF-8
// bytes, within the webhook's 4096-byte markdown limit, the least of
// WeCom's text limits we know.
const MaxText = 1365

// groupPrefix marks a group chat's id in a wecom address: userids have
// no colon, so "group:…" is never a person's.
const groupPrefix = "group:"

// UserChat is the address of userid's private chat with the bot.
func UserChat(userid string) planbot.ChatID { return planbot.NewChatID(Platform, userid) }

// GroupChat is the address of the group chat chatid the bot is in.
func GroupChat(chatid string) planbot.ChatID { return planbot.NewChatID(Platform, groupPrefix+chatid) }

// RobotChat is the address of the group robot name (its name in the YAML).
func RobotChat(name string) planbot.ChatID { return planbot.NewChatID(HookPlatform, name) }

// User is the address of WeCom account userid.
func User(userid string) planbot.UserID { return planbot.NewUserID(Platform, userid) }

// target is where a wecom chat address points: the chatid a push names
// (a userid for a private chat) and whether it is a group; ok is false
// for an address that is not the AI bot's.
func target(c planbot.ChatID) (id string, group, ok bool) {
	if c.Platform() != Platform || c.Local() == "" {
		return "", false, false
	}
	if g, isGroup := strings.CutPrefix(c.Local(), groupPrefix); isGroup {
		return g, true, g != ""
	}
	return c.Local(), false, true
}

// robotName is the robot a wecomhook address names; ok is false for
// another platform's.
func robotName(c planbot.ChatID) (string, bool) {
	if c.Platform() != HookPlatform || c.Local() == "" {
		return "", false
	}
	return c.Local(), true
}

// WeCom's documented (or widely quoted) rates, for a rate given as 0.
const (
	defaultPerSecond        = 10
	defaultPerChatPerMinute = 30 // 101463: replies and pushes together, per chat
	defaultHookPerMinute    = 20 // 91770: per robot
)

// Limits are the AI bot's rates as delivery paces them: perSecond
// requests overall, and perChatPerMinute messages a minute to any one
// chat, private or group alike (WeCom counts per 会话). A rate of 0 or
// less is taken as the default: 10/s, 30/min.
//
// A row with buttons is two frames (the text, then the card) but one
// message to the pacer: a chat flooded with such rows may meet 45009,
// which cools it for the minute WeCom's block lasts.
func Limits(perSecond, perChatPerMinute float64) delivery.Limits {
	if perSecond <= 0 {
		perSecond = defaultPerSecond
	}
	if perChatPerMinute <= 0 {
		perChatPerMinute = defaultPerChatPerMinute
	}
	perChat := ceilDuration(float64(time.Minute) / perChatPerMinute)
	return delivery.Limits{
		// Rounded up: rounding down would let one request too many into
		// the period.
		Gap:      ceilDuration(float64(time.Second) / perSecond),
		PerChat:  perChat,
		PerGroup: perChat,
	}
}

// HookLimits are a group robot's rate as delivery paces it: perMinute
// messages a minute to each robot (each robot is one chat); 0 or less is
// the documented 20. The robots share no documented overall rate; a small
// gap keeps a burst to several robots polite.
func HookLimits(perMinute float64) delivery.Limits {
	if perMinute <= 0 {
		perMinute = defaultHookPerMinute
	}
	perChat := ceilDuration(float64(time.Minute) / perMinute)
	return delivery.Limits{Gap: 50 * time.Millisecond, PerChat: perChat, PerGroup: perChat}
}

func ceilDuration(ns float64) time.Duration { return time.Duration(math.Ceil(ns)) }

// Clock is the time the connection and the receiver read and wait on:
// pings, ack timeouts, backoffs. A test steps a fake one instead of
// sleeping.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// sleep waits d on clock, or until wake (nil: never) or ctx ends; false
// means ctx ended first.
func sleep(ctx context.Context, clock Clock, d time.Duration, wake <-chan struct{}) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-wake:
		return true
	case <-clock.After(d):
		return true
	}
}
