package telegramtest

import (
	"encoding/json"
	"net/url"
	"time"
)

// AnonymousAdminID is the user id Telegram puts in "from" when a group
// administrator writes anonymously (the GroupAnonymousBot). It is never a
// person: the real author is hidden behind sender_chat.
const AnonymousAdminID int64 = 1087968824

// User is a Telegram user as it appears in updates, with the Bot API's JSON
// field names.
type User struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name,omitempty"`
	Username     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`
}

// Chat is a Telegram chat. Type is "private", "group", "supergroup" or
// "channel".
type Chat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title,omitempty"`
	Username  string `json:"username,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}

// PrivateChat is the private chat between the bot and u (its id is u.ID).
func PrivateChat(u User) Chat {
	return Chat{ID: u.ID, Type: "private", FirstName: u.FirstName, LastName: u.LastName, Username: u.Username}
}

// GroupChat is a basic group (ids are small negative numbers, e.g. -4123).
func GroupChat(id int64, title string) Chat {
	return Chat{ID: id, Type: "group", Title: title}
}

// SupergroupChat is a supergroup (ids look like -100xxxxxxxxxx).
func SupergroupChat(id int64, title string) Chat {
	return Chat{ID: id, Type: "supergroup", Title: title}
}

// anonymousAdmin is the "from" of a message an anonymous group admin sends.
var anonymousAdmin = User{ID: AnonymousAdminID, IsBot: true, FirstName: "Group", Username: "GroupAnonymousBot"}

// InlineKeyboard is a decoded inline_keyboard reply markup.
type InlineKeyboard struct {
	InlineKeyboard [][]Button `json:"inline_keyboard"`
}

// Button is one inline keyboard button. Only the fields planbot uses are
// kept; other kinds of button (switch_inline_query, login_url …) are
// accepted by the server but not decoded here.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
}

// Buttons returns the keyboard's buttons row by row, flattened. It is safe
// on a nil keyboard.
func (k *InlineKeyboard) Buttons() []Button {
	if k == nil {
		return nil
	}
	var out []Button
	for _, row := range k.InlineKeyboard {
		out = append(out, row...)
	}
	return out
}

// Find returns the first button labelled text.
func (k *InlineKeyboard) Find(text string) (Button, bool) {
	for _, b := range k.Buttons() {
		if b.Text == text {
			return b, true
		}
	}
	return Button{}, false
}

// BotCommand is one entry of setMyCommands.
type BotCommand struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// Entity is a message entity (bold, text_link, bot_command …). Offset and
// Length are in UTF-16 code units, as in the Bot API.
type Entity struct {
	Type     string `json:"type"`
	Offset   int    `json:"offset"`
	Length   int    `json:"length"`
	URL      string `json:"url,omitempty"`
	Language string `json:"language,omitempty"`
}

// Call is one request the bot made, as the server saw it.
type Call struct {
	Method string     // canonical method name ("sendMessage"); for file downloads "file"
	Params url.Values // every non-file parameter as received
	ChatID int64      // chat_id (for answerCallbackQuery: the chat of the pressed message); 0 if absent or "@username"

	Text      string          // text (sendMessage, editMessageText) or the toast of answerCallbackQuery, as sent (HTML source)
	ParseMode string          // parse_mode
	Markup    *InlineKeyboard // decoded reply_markup when it is an inline keyboard
	MessageID int             // sends: the id assigned (0 unless OK); edits and deletes: the target message
	ReplyTo   int             // reply_to_message_id

	CallbackID string // answerCallbackQuery: callback_query_id

	File     []byte // uploaded bytes (multipart)
	FileName string // uploaded file name
	FileID   string // file id sent by reference, or the id assigned to an upload
	Caption  string

	Commands  []BotCommand // setMyCommands
	UpdateIDs []int        // getUpdates: the update ids returned

	At          time.Time // the server clock when the request arrived
	Status      int       // HTTP status returned; 0 when the connection was dropped without a response
	Description string    // the error description, when not ok
	RetryAfter  int       // parameters.retry_after of the error
	// OK is true when the call took effect: for sends, the message now
	// exists in the chat. It can be true while Status is not 200, when a
	// Fault with Delivered made the client see a failure after delivery.
	OK bool
}

// Msg is a message as the fake stores it: sent by the bot or pushed by a
// test. Edits change it in place.
type Msg struct {
	ChatID    int64
	ID        int
	FromBot   bool
	From      User
	Date      time.Time
	Text      string // as sent: HTML source when ParseMode is HTML
	ParseMode string
	Plain     string // the text after entity parsing, as Telegram shows it
	Entities  []Entity
	Caption   string
	Markup    *InlineKeyboard
	FileID    string // the photo (largest size) or document
	Edits     int    // how many times it was edited

	senderChat  *Chat
	replyTo     int
	capEntities []Entity
	photo       []photoSize
	mediaGroup  string
	doc         *document
	editDate    time.Time
}

type photoSize struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	FileSize     int    `json:"file_size,omitempty"`
}

type document struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileName     string `json:"file_name,omitempty"`
	MimeType     string `json:"mime_type,omitempty"`
	FileSize     int    `json:"file_size,omitempty"`
}

// wireMessage is the Bot API's Message object.
type wireMessage struct {
	MessageID       int             `json:"message_id"`
	From            *User           `json:"from,omitempty"`
	SenderChat      *Chat           `json:"sender_chat,omitempty"`
	Date            int64           `json:"date"`
	Chat            Chat            `json:"chat"`
	ReplyToMessage  *wireMessage    `json:"reply_to_message,omitempty"`
	EditDate        int64           `json:"edit_date,omitempty"`
	Text            string          `json:"text,omitempty"`
	Entities        []Entity        `json:"entities,omitempty"`
	Photo           []photoSize     `json:"photo,omitempty"`
	Document        *document       `json:"document,omitempty"`
	Caption         string          `json:"caption,omitempty"`
	CaptionEntities []Entity        `json:"caption_entities,omitempty"`
	MediaGroupID    string          `json:"media_group_id,omitempty"`
	ReplyMarkup     *InlineKeyboard `json:"reply_markup,omitempty"`
}

type wireCallbackQuery struct {
	ID           string       `json:"id"`
	From         User         `json:"from"`
	Message      *wireMessage `json:"message,omitempty"`
	ChatInstance string       `json:"chat_instance"`
	Data         string       `json:"data,omitempty"`
}

type wireUpdate struct {
	UpdateID      int                `json:"update_id"`
	Message       *wireMessage       `json:"message,omitempty"`
	EditedMessage *wireMessage       `json:"edited_message,omitempty"`
	CallbackQuery *wireCallbackQuery `json:"callback_query,omitempty"`
}

type wireBotUser struct {
	User
	CanJoinGroups           bool `json:"can_join_groups"`
	CanReadAllGroupMessages bool `json:"can_read_all_group_messages"`
	SupportsInlineQueries   bool `json:"supports_inline_queries"`
}

type wireFile struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileSize     int    `json:"file_size,omitempty"`
	FilePath     string `json:"file_path,omitempty"`
}

// wireButton decodes every kind of inline button, to validate it.
type wireButton struct {
	Text                         string          `json:"text"`
	CallbackData                 *string         `json:"callback_data"`
	URL                          *string         `json:"url"`
	SwitchInlineQuery            *string         `json:"switch_inline_query"`
	SwitchInlineQueryCurrentChat *string         `json:"switch_inline_query_current_chat"`
	LoginURL                     json.RawMessage `json:"login_url"`
	CallbackGame                 json.RawMessage `json:"callback_game"`
	WebApp                       json.RawMessage `json:"web_app"`
	Pay                          bool            `json:"pay"`
}

type responseParameters struct {
	MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
	RetryAfter      int   `json:"retry_after,omitempty"`
}

type errorResponse struct {
	OK          bool                `json:"ok"`
	ErrorCode   int                 `json:"error_code"`
	Description string              `json:"description"`
	Parameters  *responseParameters `json:"parameters,omitempty"`
}
