package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
	"planbot/delivery"
)

// Channel sends outbox rows through the Bot API (it is a
// delivery.Channel): HTML text with link previews off, the keyboard as an
// inline keyboard, a picture by sendPhoto and a file by sendDocument (the
// text as caption), an edit by editMessageText, a button press answered by
// answerCallbackQuery.
type Channel struct {
	api   API
	token string
}

var _ delivery.Channel = (*Channel)(nil)

// NewChannel is a Channel over api, whose token it keeps out of the
// errors it returns (they are logged and stored).
func NewChannel(api API, token string) *Channel { return &Channel{api: api, token: token} }

// Send makes the Bot API call for m. ctx is not passed on (tgbotapi takes
// none): the client's own timeout ends a request, so one in flight at
// shutdown is finished rather than abandoned.
func (c *Channel) Send(_ context.Context, m planbot.OutboxMessage) (int, bool, error) {
	if m.Method == planbot.MethodAnswer {
		_, err := c.api.Request(tgbotapi.NewCallback(m.PressID, m.Text))
		return c.answer(m, 0, err)
	}
	chat, ok := ChatNumber(m.ChatID)
	if !ok {
		return 0, false, fmt.Errorf("not a Telegram chat: %q", m.ChatID)
	}
	req, err := request(chat, m)
	if err != nil {
		return 0, false, err
	}
	// Only the message's number is read of the answer: decoding the whole
	// message the Bot API echoes (tgbotapi's Send) was a tenth of what a
	// reply cost (issue 15).
	resp, err := c.api.Request(req)
	var sent struct {
		MessageID int `json:"message_id"`
	}
	if err == nil {
		if err = json.Unmarshal(resp.Result, &sent); err != nil {
			err = fmt.Errorf("read the message sent: %w", err)
		}
	}
	return c.answer(m, sent.MessageID, err)
}

// request is the Bot API request that sends m to chat.
func request(chat int64, m planbot.OutboxMessage) (tgbotapi.Chattable, error) {
	markup := inlineKeyboard(m.Buttons)
	if m.Method == planbot.MethodEdit {
		e := tgbotapi.NewEditMessageText(chat, m.EditMessageID, m.Text)
		e.ParseMode, e.ReplyMarkup = tgbotapi.ModeHTML, markup
		return e, nil
	}
	if m.Attachment != planbot.AttachNone && len(m.FileData) == 0 {
		// The outbox drops a file's data once the row is settled; a row
		// without it can never go.
		return nil, fmt.Errorf("the %s %q has no data to upload", m.Attachment, m.FileName)
	}
	file := tgbotapi.FileBytes{Name: m.FileName, Bytes: m.FileData}
	// A nil markup is left out of the request (tgbotapi skips nil pointers).
	switch m.Attachment {
	case planbot.AttachPicture:
		p := tgbotapi.NewPhoto(chat, file)
		p.Caption, p.ParseMode, p.ReplyMarkup = m.Text, tgbotapi.ModeHTML, markup
		return p, nil
	case planbot.AttachFile:
		d := tgbotapi.NewDocument(chat, file)
		d.Caption, d.ParseMode, d.ReplyMarkup = m.Text, tgbotapi.ModeHTML, markup
		return d, nil
	case planbot.AttachNone:
		t := tgbotapi.NewMessage(chat, m.Text)
		t.ParseMode, t.DisableWebPagePreview, t.ReplyMarkup = tgbotapi.ModeHTML, true, markup
		return t, nil
	}
	return nil, fmt.Errorf("unknown attachment kind %q", m.Attachment)
}

// inlineKeyboard is k as Telegram's inline keyboard; nil for no buttons.
func inlineKeyboard(k planbot.Keyboard) *tgbotapi.InlineKeyboardMarkup {
	if len(k) == 0 {
		return nil
	}
	rows := make([][]tgbotapi.InlineKeyboardButton, len(k))
	for i, row := range k {
		if len(row) == 0 {
			continue // null, as the rows stored before this adapter held
		}
		rows[i] = make([]tgbotapi.InlineKeyboardButton, len(row))
		for j, b := range row {
			rows[i][j] = tgbotapi.NewInlineKeyboardButtonData(b.Text, b.Data)
		}
	}
	return &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: rows}
}

// answer classifies the Bot API's answer to m for delivery (see
// delivery.Channel), the token redacted from the error.
func (c *Channel) answer(m planbot.OutboxMessage, sentID int, err error) (int, bool, error) {
	if err == nil {
		return sentID, false, nil
	}
	err = Redact(err, c.token)
	var e *tgbotapi.Error
	if !errors.As(err, &e) {
		// No answer (timeout, dropped connection, a proxy's HTML page):
		// maybe delivered, maybe not.
		return 0, true, err
	}
	refusal := apiError{e}
	switch {
	case e.RetryAfter > 0:
		return 0, false, &delivery.RetryAfterError{After: time.Duration(e.RetryAfter) * time.Second, Err: refusal}
	case e.MigrateToChatID != 0:
		return 0, false, &delivery.ChatMovedError{To: ChatID(e.MigrateToChatID), Err: refusal}
	case e.Code == http.StatusForbidden || (e.Code == http.StatusBadRequest && strings.Contains(e.Message, "chat not found")):
		return 0, false, &delivery.ChatGoneError{Err: refusal}
	case e.Code == http.StatusBadRequest && strings.Contains(e.Message, "message is not modified"):
		// The edit asked for is what the message already says.
		return m.EditMessageID, false, nil
	}
	return 0, e.Code >= 500, refusal
}

// apiError is a Bot API error answer as recorded in the outbox: its code
// and description ("403 Forbidden: bot was blocked by the user"), where
// tgbotapi's own error text is the description alone.
type apiError struct{ e *tgbotapi.Error }

func (a apiError) Error() string { return fmt.Sprintf("%d %s", a.e.Code, a.e.Message) }
func (a apiError) Unwrap() error { return a.e }
