package wecomtest

import (
	"encoding/json"
	"fmt"
	"time"
)

// Commands of the long connection (WECOM-PROTOCOL.md A.2).
const (
	CmdSubscribe    = "aibot_subscribe"
	CmdPing         = "ping"
	CmdRespond      = "aibot_respond_msg"
	CmdWelcome      = "aibot_respond_welcome_msg"
	CmdUpdate       = "aibot_respond_update_msg"
	CmdSend         = "aibot_send_msg"
	CmdUploadInit   = "aibot_upload_media_init"
	CmdUploadChunk  = "aibot_upload_media_chunk"
	CmdUploadFinish = "aibot_upload_media_finish"
	CmdMsgCallback  = "aibot_msg_callback"
	CmdEvtCallback  = "aibot_event_callback"
)

// Error codes the fake answers with. Those marked [?] are the fake's own
// choice where WeCom's answer is unknown (see the package doc); the
// others are documented or observed.
const (
	ErrRateLimit       = 45009  // per-chat 30/min, 1000/h; webhook 20/min per key
	ErrInvalidReqID    = 846605 // req_id not a callback this cmd may answer
	ErrChatNotWritten  = 846607 // push to a chat that never wrote to the bot
	ErrStreamExpired   = 846608 // stream idle longer than WithStreamIdle
	ErrBadCredentials  = 853000 // invalid bot_id or secret
	ErrNotSubscribed   = 853001 // [?] a frame other than aibot_subscribe before a successful subscribe
	ErrInvalidParam    = 40058  // a body that breaks a documented rule (lengths, card fields …)
	ErrBadWebhookKey   = 93000  // unknown robot key
	ErrMD5Mismatch     = 301019 // webhook image md5; [?] also aibot_upload_media_finish
	ErrInvalidMediaID  = 40007  // unknown or expired media_id
	ErrInvalidMsgType  = 40008  // msgtype not allowed for this cmd
	ErrMediaSize       = 40006  // [?] upload smaller than 6 bytes or over the type's limit
	ErrImageSize       = 40009  // [?] webhook image over 2 MiB
	ErrEmptyContent    = 44004  // empty text/markdown content
	ErrBadJSON         = 47001  // [?] a body that is not the expected JSON
	ErrMediaMissing    = 41005  // [?] upload_media without the multipart field "media"
	ErrInvalidMediaTyp = 40004  // [?] upload type other than the documented ones
)

// errText is the part of errmsg before the ", hint: …" suffix the real
// server appends.
var errText = map[int]string{
	ErrRateLimit:       "api freq out of limit",
	ErrInvalidReqID:    "invalid req_id",
	ErrChatNotWritten:  "chat not exist or user has not talked to the bot",
	ErrStreamExpired:   "stream message update expired",
	ErrBadCredentials:  "invalid bot_id or secret",
	ErrNotSubscribed:   "not subscribed",
	ErrInvalidParam:    "invalid Request Parameter",
	ErrBadWebhookKey:   "invalid webhook url",
	ErrMD5Mismatch:     "media md5 not match",
	ErrInvalidMediaID:  "invalid media_id",
	ErrInvalidMsgType:  "invalid message type",
	ErrMediaSize:       "invalid media size",
	ErrImageSize:       "invalid image size",
	ErrEmptyContent:    "empty content",
	ErrBadJSON:         "data format error",
	ErrMediaMissing:    "media data missing",
	ErrInvalidMediaTyp: "invalid media type",
}

// errmsg builds an errmsg as the real server does: the text, then a hint
// and a link, so a client that compares errmsg exactly (instead of
// errcode) fails in tests as it would in production.
func errmsg(code int, detail string) string {
	if code == 0 {
		return "ok"
	}
	text := errText[code]
	if text == "" {
		text = "error"
	}
	if detail != "" {
		text = detail + ". " + text
	}
	return fmt.Sprintf("%s, hint: [%d-fake], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=%d",
		text, time.Now().Unix(), code)
}

// Sent is one message frame the bot sent over the long connection and the
// server accepted (errcode 0). Refused frames are only in Frames.
type Sent struct {
	Conn     int    // the connection it came on: 1 for the first accepted socket, then 2 …
	Cmd      string // CmdRespond, CmdSend, CmdWelcome or CmdUpdate
	ReqID    string // the frame's req_id
	ReplyTo  string // for a reply, welcome or update: the callback's req_id (equal to ReqID); "" for a push
	ChatID   string // the userid for a single chat, the chatid for a group
	ChatType string // "single" or "group"
	MsgType  string // markdown, stream, template_card, stream_with_template_card, text, image, file, voice, video, update_template_card
	Content  string // markdown content, stream content or welcome text
	StreamID string // stream.id for stream frames
	Finish   bool   // stream.finish
	Card     *Card  // the template card, if the frame carried one
	Media    *Media // the uploaded media, for image/file/voice/video
	At       time.Time
}

// Card is a template card as the bot sent it (only what planbot uses is
// decoded).
type Card struct {
	CardType string
	TaskID   string
	Title    string // main_title.title, or sub_title_text when there is no title
	Buttons  []Button
}

// Button is one button of a button_interaction card.
type Button struct {
	Text  string
	Key   string
	Style int
}

// Media is a file the bot uploaded (long connection or webhook).
type Media struct {
	Type string // image, file, voice, video
	Name string
	Data []byte
}

// Hook is one POST to the group-robot webhook's send endpoint, accepted
// (Errcode 0) or refused.
type Hook struct {
	Key       string
	MsgType   string
	Content   string   // text or markdown(_v2) content
	Mentioned []string // text.mentioned_list
	Image     []byte   // the decoded image of an image message
	FileName  string   // for a file/voice message: the uploaded name
	FileData  []byte
	Errcode   int
	Errmsg    string
	At        time.Time
}

// Frame is any frame a client sent, with the server's answer: for
// debugging and for tests about refusals and pings.
type Frame struct {
	Conn       int
	Cmd        string
	ReqID      string
	Body       json.RawMessage
	Errcode    int
	Errmsg     string
	Unanswered bool // read on a connection that was taken over, dropped or muted: no ack
	At         time.Time
}

// wire shapes

type headers struct {
	ReqID string `json:"req_id"`
}

// clientFrame is what a client sends. Body is kept raw: each cmd decodes
// its own.
type clientFrame struct {
	Cmd     string          `json:"cmd"`
	Headers headers         `json:"headers"`
	Body    json.RawMessage `json:"body"`
}

// serverFrame is a push (it has a cmd) or an ack (it has none).
type serverFrame struct {
	Cmd     string  `json:"cmd,omitempty"`
	Headers headers `json:"headers"`
	Errcode *int    `json:"errcode,omitempty"`
	Errmsg  string  `json:"errmsg,omitempty"`
	Body    any     `json:"body,omitempty"`
}

type textContent struct {
	Content string `json:"content"`
}

type mediaRef struct {
	URL    string `json:"url"`
	AESKey string `json:"aeskey"`
}

type userRef struct {
	UserID string `json:"userid"`
}

type cardEvent struct {
	CardType string `json:"card_type"`
	EventKey string `json:"event_key"`
	TaskID   string `json:"task_id"`
}

type event struct {
	EventType         string     `json:"eventtype"`
	TemplateCardEvent *cardEvent `json:"template_card_event,omitempty"`
}

// callbackBody is the body of aibot_msg_callback / aibot_event_callback.
type callbackBody struct {
	MsgID       string       `json:"msgid"`
	AIBotID     string       `json:"aibotid"`
	ChatID      string       `json:"chatid,omitempty"`
	ChatType    string       `json:"chattype,omitempty"`
	From        *userRef     `json:"from,omitempty"`
	CreateTime  int64        `json:"create_time,omitempty"`
	ResponseURL string       `json:"response_url,omitempty"`
	MsgType     string       `json:"msgtype"`
	Text        *textContent `json:"text,omitempty"`
	Image       *mediaRef    `json:"image,omitempty"`
	File        *mediaRef    `json:"file,omitempty"`
	Event       *event       `json:"event,omitempty"`
}

type mediaID struct {
	MediaID string `json:"media_id"`
}

type streamBody struct {
	ID      string `json:"id"`
	Finish  bool   `json:"finish"`
	Content string `json:"content"`
}

// msgBody is the body of every message frame a client sends; each cmd
// uses some of the fields.
type msgBody struct {
	ChatID       string          `json:"chatid"`
	ChatType     int             `json:"chat_type"`
	MsgType      string          `json:"msgtype"`
	Markdown     *textContent    `json:"markdown"`
	Text         *textContent    `json:"text"`
	Stream       *streamBody     `json:"stream"`
	TemplateCard json.RawMessage `json:"template_card"`
	Image        *mediaID        `json:"image"`
	File         *mediaID        `json:"file"`
	Voice        *mediaID        `json:"voice"`
	Video        *mediaID        `json:"video"`
	ResponseType string          `json:"response_type"`
}
