package telegram

import (
	"reflect"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
)

func TestFromUpdate(t *testing.T) {
	ma := &tgbotapi.User{ID: 42, UserName: "ma"}
	anon := &tgbotapi.User{ID: 1087968824, UserName: "GroupAnonymousBot"}
	bot := &tgbotapi.User{ID: 123456, UserName: "planbot_bot", IsBot: true}
	private := &tgbotapi.Chat{ID: 42, Type: "private"}
	group := &tgbotapi.Chat{ID: -1001234, Type: "supergroup"}
	channel := &tgbotapi.Chat{ID: -1009999, Type: "channel"}
	const date = 1773046800
	at := time.Unix(date, 0)
	for _, c := range []struct {
		name string
		u    tgbotapi.Update
		want planbot.Message
		ok   bool
	}{
		{"private text", tgbotapi.Update{UpdateID: 1, Message: &tgbotapi.Message{MessageID: 7, From: ma, Chat: private, Date: date, Text: "2.3 进度60%"}},
			planbot.Message{ChatID: "telegram:42", Chat: planbot.ChatPrivate, UserID: "telegram:42", UserName: "ma",
				MessageID: 7, Text: "2.3 进度60%", At: at}, true},
		{"edited, in a group, replying to the bot", tgbotapi.Update{EditedMessage: &tgbotapi.Message{MessageID: 8, From: ma, Chat: group, Date: date, Text: "进度70%",
			ReplyToMessage: &tgbotapi.Message{MessageID: 5, From: bot, Text: "⏰ 2.3 逾期"}}},
			planbot.Message{ChatID: "telegram:-1001234", Chat: planbot.ChatGroup, UserID: "telegram:42", UserName: "ma",
				MessageID: 8, Text: "进度70%", At: at, Edited: true, ReplyTo: 5, ReplyToUser: "telegram:123456", ReplyText: "⏰ 2.3 逾期\n"}, true},
		{"anonymous admin: via the chat", tgbotapi.Update{Message: &tgbotapi.Message{MessageID: 9, From: anon, SenderChat: group, Chat: group, Date: date, Text: "/mine"}},
			planbot.Message{ChatID: "telegram:-1001234", Chat: planbot.ChatGroup, UserID: "telegram:1087968824", UserName: "GroupAnonymousBot",
				ViaChat: true, MessageID: 9, Text: "/mine", At: at}, true},
		{"photo: the largest size, the caption, the album", tgbotapi.Update{Message: &tgbotapi.Message{MessageID: 10, From: ma, Chat: private, Date: date,
			Photo: []tgbotapi.PhotoSize{{FileID: "small"}, {FileID: "large"}}, Caption: "2.3 现场", MediaGroupID: "alb"}},
			planbot.Message{ChatID: "telegram:42", Chat: planbot.ChatPrivate, UserID: "telegram:42", UserName: "ma",
				MessageID: 10, Text: "2.3 现场", PhotoIDs: []string{"telegram:large"}, MediaGroup: "alb", At: at}, true},
		{"document", tgbotapi.Update{Message: &tgbotapi.Message{MessageID: 11, From: ma, Chat: private, Date: date,
			Document: &tgbotapi.Document{FileID: "pdf1"}, Caption: "验收单"}},
			planbot.Message{ChatID: "telegram:42", Chat: planbot.ChatPrivate, UserID: "telegram:42", UserName: "ma",
				MessageID: 11, Text: "验收单", PhotoIDs: []string{"doc:telegram:pdf1"}, At: at}, true},
		{"video", tgbotapi.Update{Message: &tgbotapi.Message{MessageID: 12, From: ma, Chat: private, Date: date, Video: &tgbotapi.Video{FileID: "v1"}}},
			planbot.Message{ChatID: "telegram:42", Chat: planbot.ChatPrivate, UserID: "telegram:42", UserName: "ma",
				MessageID: 12, PhotoIDs: []string{"video:telegram:v1"}, At: at}, true},
		{"voice: unsupported", tgbotapi.Update{Message: &tgbotapi.Message{MessageID: 13, From: ma, Chat: private, Date: date, Voice: &tgbotapi.Voice{FileID: "x"}}},
			planbot.Message{ChatID: "telegram:42", Chat: planbot.ChatPrivate, UserID: "telegram:42", UserName: "ma",
				MessageID: 13, Unsupported: true, At: at}, true},
		{"channel post as a message", tgbotapi.Update{Message: &tgbotapi.Message{MessageID: 14, SenderChat: channel, Chat: channel, Date: date, Text: "公告"}},
			planbot.Message{ChatID: "telegram:-1009999", Chat: planbot.ChatChannel, ViaChat: true, MessageID: 14, Text: "公告", At: at}, true},
		{"button press", tgbotapi.Update{CallbackQuery: &tgbotapi.CallbackQuery{ID: "cq1", From: ma, Data: "r:2.3",
			Message: &tgbotapi.Message{MessageID: 5, Chat: group}}},
			planbot.Message{ChatID: "telegram:-1001234", Chat: planbot.ChatGroup, UserID: "telegram:42", UserName: "ma",
				Callback: &planbot.Callback{ID: "cq1", Data: "r:2.3", MessageID: 5}}, true},
		{"button on an inline message: answered privately", tgbotapi.Update{CallbackQuery: &tgbotapi.CallbackQuery{ID: "cq2", From: ma, Data: "x"}},
			planbot.Message{ChatID: "telegram:42", Chat: planbot.ChatPrivate, UserID: "telegram:42", UserName: "ma",
				Callback: &planbot.Callback{ID: "cq2", Data: "x"}}, true},
		{"button press from nowhere", tgbotapi.Update{CallbackQuery: &tgbotapi.CallbackQuery{ID: "cq3"}},
			planbot.Message{Callback: &planbot.Callback{ID: "cq3"}}, false},
		{"channel post update: ignored", tgbotapi.Update{ChannelPost: &tgbotapi.Message{MessageID: 1, Chat: channel}}, planbot.Message{}, false},
		{"no chat: ignored", tgbotapi.Update{Message: &tgbotapi.Message{MessageID: 1, From: ma}}, planbot.Message{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := FromUpdate(c.u)
			if ok != c.ok {
				t.Errorf("ok = %v, want %v", ok, c.ok)
			}
			if ok && !reflect.DeepEqual(got, c.want) {
				t.Errorf("FromUpdate =\n%+v\nwant\n%+v", got, c.want)
			}
		})
	}
}

func TestAddresses(t *testing.T) {
	if got := ChatID(-1001234); got != "telegram:-1001234" {
		t.Errorf("ChatID = %q", got)
	}
	if got := UserID(42); got != "telegram:42" || got.Chat() != ChatID(42) {
		t.Errorf("UserID = %q, its chat %q", got, got.Chat())
	}
	for c, want := range map[planbot.ChatID]int64{"telegram:-1001234": -1001234, "telegram:42": 42} {
		if n, ok := ChatNumber(c); !ok || n != want {
			t.Errorf("ChatNumber(%q) = %d, %v", c, n, ok)
		}
	}
	for _, c := range []planbot.ChatID{"console:1", "telegram:abc", "", "42"} {
		if n, ok := ChatNumber(c); ok {
			t.Errorf("ChatNumber(%q) = %d, want not a Telegram chat", c, n)
		}
	}
}

func TestLimits(t *testing.T) {
	l := Limits(30, 1, 20)
	if l.Gap != 33333334*time.Nanosecond || l.PerChat != time.Second || l.PerGroup != 3*time.Second {
		t.Errorf("Telegram's limits: %+v", l)
	}
	if !l.Group(ChatID(-4001)) || l.Group(ChatID(42)) || l.Group("console:-1") {
		t.Error("a group is a Telegram chat numbered below zero")
	}
	if l := Limits(0, 0, 0); l.Gap != 33333334*time.Nanosecond || l.PerChat != 0 || l.PerGroup != 3*time.Second {
		t.Errorf("rates of 0 are Telegram's; a per-chat pause of 0 is none: %+v", l)
	}
}
