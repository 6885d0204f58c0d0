package main

import (
	"context"
	"slices"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot/bot"
	"planbot/config"
	"planbot/delivery"
	"planbot/storage"
	"planbot/telegram"
	"planbot/wecom"
)

// Each chat platform is an adapter: a receiver that hands its events to
// the conversation, exactly once, and a delivery channel with the
// platform's own limits. This file builds them for the app.

// textLimits are the longest texts each platform's messages take, for the
// outbox to split a longer one: WeCom counts bytes (4096 of UTF-8), so
// its limit in UTF-16 units is what stays under that for Chinese text.
func textLimits() []storage.Option {
	return []storage.Option{
		storage.WithTextLimit(telegram.Platform, telegram.MaxMessageLen),
		storage.WithTextLimit(wecom.Platform, wecom.MaxText),
		storage.WithTextLimit(wecom.HookPlatform, wecom.MaxText),
	}
}

// storageOptions are the options every command opens the database with:
// the platforms' text limits, then the environment's (a test's shorter
// busy timeout).
func (e *env) storageOptions() []storage.Option {
	return append(textLimits(), e.dbOptions...)
}

// connectTelegram makes the poll loop's client and the sender's. A server
// that boots before its network is up keeps trying; a wrong token fails
// at once.
func (a *app) connectTelegram(ctx context.Context) (*tgbotapi.BotAPI, error) {
	var senderAPI *tgbotapi.BotAPI
	err := telegram.UntilReachable(ctx, a.env.log, "connect", func() (err error) {
		a.poller, err = telegram.Connect(ctx, a.Token, a.Config.Bot.APIEndpoint, a.PollTimeout)
		if err != nil {
			return err
		}
		// The sender's requests are not tied to ctx: a message in flight
		// at shutdown is finished, not abandoned.
		senderAPI, err = telegram.NewClient(a.Token, a.Config.Bot.APIEndpoint)
		return telegram.Redact(err, a.Token)
	})
	if ctx.Err() != nil {
		a.env.log.Info("planbot stopped before it could reach Telegram")
		return nil, errStopped
	}
	return senderAPI, err
}

// sender is platform's outbox sender through ch, paced by pace (as the
// tests adjust it), woken by every receiver.
func (a *app) sender(platform string, ch delivery.Channel, pace delivery.Limits) *delivery.Sender {
	var outbox delivery.Outbox = a.DB
	if a.WrapOutbox != nil {
		outbox = a.WrapOutbox(outbox)
	}
	if a.Pace != nil {
		pace = a.Pace(platform, pace)
	}
	// delivery.New adds the platform to its log lines itself.
	s := delivery.New(platform, ch, outbox, pace, a.env.log, a.clock())
	a.Senders = append(a.Senders, s)
	return s
}

// buildTelegram makes Telegram's sender and poll loop.
func (a *app) buildTelegram(api *tgbotapi.BotAPI) {
	rates := a.Config.Bot
	a.Sender = a.sender(telegram.Platform, telegram.NewChannel(api, a.Token),
		telegram.Limits(rates.PerSecond, rates.PerChatSeconds, rates.PerGroupPerMinute))
	var menu []telegram.Command
	for _, c := range bot.Commands() {
		menu = append(menu, telegram.Command(c))
	}
	a.Telegram = &telegram.Poller{Conv: a.Bot, Updates: a.DB, API: a.poller, Token: a.Token, Commands: menu,
		Log: a.env.log, Now: a.clock(), PollTimeout: a.PollTimeout, HandlerTimeout: a.HandlerTimeout,
		OnHandled: a.wake, OnReachable: a.Sender.Reachable}
	a.Sender.OnReachable = a.Telegram.Reachable
}

// buildWeCom makes the AI bot's long connection, its receiver and sender
// (when its secret is given), and the group robots' sender (for the
// robots whose keys are given).
func (a *app) buildWeCom(w *config.WeCom) {
	if a.WeComSecret != "" {
		conn := wecom.NewConn(w.URL, w.BotID, a.WeComSecret, a.env.log.With("platform", wecom.Platform))
		conn.SecretEnv = w.SecretEnv
		s := a.sender(wecom.Platform, wecom.NewChannel(conn), wecom.Limits(w.PerSecond, w.PerChatPerMinute))
		conn.OnUp = s.Reachable
		a.WeCom = &wecom.Receiver{Conv: a.Bot, Inbox: a.DB, Conn: conn, Name: w.Name,
			Log: a.env.log.With("platform", wecom.Platform), HandlerTimeout: a.HandlerTimeout, OnHandled: a.wake}
	}
	if len(a.WeComRobotKeys) > 0 {
		// One pace for all robots: the slowest robot's, as the documented
		// limit (20 a minute) is the same for every robot.
		perMinute := 0.0
		for _, r := range w.Robots {
			if a.WeComRobotKeys[r.Name] != "" && (perMinute == 0 || r.PerMinute < perMinute) {
				perMinute = r.PerMinute
			}
		}
		a.sender(wecom.HookPlatform, wecom.NewHookChannel(w.WebhookURL, a.WeComRobotKeys, nil), wecom.HookLimits(perMinute))
	}
}

// platforms names the platforms served, for the log.
func (a *app) platforms() []string {
	return slices.DeleteFunc([]string{telegram.Platform, wecom.Platform, wecom.HookPlatform},
		func(p string) bool { return !a.served(p) })
}

// served says whether this process sends to platform's chats: a person's
// reminders go to one of their accounts on a platform served.
func (a *app) served(platform string) bool {
	switch platform {
	case telegram.Platform:
		return a.Telegram != nil
	case wecom.Platform:
		return a.WeCom != nil
	case wecom.HookPlatform:
		return len(a.WeComRobotKeys) > 0
	}
	return false
}
