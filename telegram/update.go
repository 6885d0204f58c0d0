package telegram

import (
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
)

// FromUpdate converts a Telegram update to our Message; ok is false for
// kinds the bot ignores (channel posts, members joining …). The update's
// id is the poll loop's business and stays out of the Message.
func FromUpdate(u tgbotapi.Update) (planbot.Message, bool) {
	if q := u.CallbackQuery; q != nil {
		return fromCallback(q)
	}
	msg, edited := u.Message, false
	if msg == nil {
		msg, edited = u.EditedMessage, true
	}
	if msg == nil || msg.Chat == nil {
		return planbot.Message{}, false
	}
	m := planbot.Message{ChatID: ChatID(msg.Chat.ID), Chat: chatKind(msg.Chat), MessageID: msg.MessageID,
		Text: msg.Text, At: time.Unix(int64(msg.Date), 0), Edited: edited}
	if msg.From != nil {
		m.UserID, m.UserName = UserID(msg.From.ID), msg.From.UserName
	}
	// An anonymous group admin writes as the group, from Telegram's
	// placeholder account (1087968824), and a channel as itself: the
	// account is nobody's, and the conversation must not take it for a
	// person.
	m.ViaChat = msg.SenderChat != nil
	switch {
	case len(msg.Photo) > 0:
		// Telegram sends every size of one photo; the last is the largest.
		m.PhotoIDs = []string{evidenceRef(msg.Photo[len(msg.Photo)-1].FileID)}
	case msg.Document != nil:
		// A scan, a Word or Excel file, a PDF: evidence too.
		m.PhotoIDs = []string{planbot.DocumentEvidence(evidenceRef(msg.Document.FileID))}
	case msg.Video != nil:
		m.PhotoIDs = []string{planbot.VideoEvidence(evidenceRef(msg.Video.FileID))}
	case msg.Text == "" && (msg.Voice != nil || msg.Audio != nil || msg.VideoNote != nil || msg.Sticker != nil ||
		msg.Location != nil || msg.Contact != nil || msg.Animation != nil):
		m.Unsupported = true
	}
	if len(m.PhotoIDs) > 0 {
		m.Text = msg.Caption
		m.MediaGroup = msg.MediaGroupID
	}
	if r := msg.ReplyToMessage; r != nil {
		m.ReplyTo = r.MessageID
		if r.From != nil {
			m.ReplyToUser = UserID(r.From.ID)
		}
		m.ReplyText = r.Text + "\n" + r.Caption
	}
	return m, true
}

// fromCallback converts a button press.
func fromCallback(q *tgbotapi.CallbackQuery) (planbot.Message, bool) {
	m := planbot.Message{Callback: &planbot.Callback{ID: q.ID, Data: q.Data}}
	if q.From != nil {
		m.UserID, m.UserName = UserID(q.From.ID), q.From.UserName
	}
	switch {
	case q.Message != nil && q.Message.Chat != nil:
		m.ChatID, m.Chat, m.Callback.MessageID = ChatID(q.Message.Chat.ID), chatKind(q.Message.Chat), q.Message.MessageID
	case q.From != nil:
		// A button on an inline-mode message carries no chat: answer the
		// person privately.
		m.ChatID, m.Chat = m.UserID.Chat(), planbot.ChatPrivate
	}
	return m, m.ChatID != "" || m.UserID != ""
}

// evidenceRef is our reference to a file Telegram holds: its file_id,
// which only this bot's token can fetch, under Telegram's name.
func evidenceRef(fileID string) string { return Platform + ":" + fileID }

func chatKind(c *tgbotapi.Chat) planbot.ChatKind {
	switch {
	case c == nil, c.IsPrivate():
		return planbot.ChatPrivate
	case c.IsChannel():
		return planbot.ChatChannel
	}
	return planbot.ChatGroup
}
