package wecom

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"planbot"
)

// callbackBody is the body of aibot_msg_callback and aibot_event_callback
// (A.5, A.6): only what planbot reads.
type callbackBody struct {
	MsgID    string `json:"msgid"`
	ChatID   string `json:"chatid"`   // groups only
	ChatType string `json:"chattype"` // single | group
	From     struct {
		UserID string `json:"userid"`
	} `json:"from"`
	CreateTime int64     `json:"create_time"`
	MsgType    string    `json:"msgtype"`
	Text       *content  `json:"text"`
	Voice      *content  `json:"voice"` // transcribed by WeCom
	Image      *mediaRef `json:"image"`
	File       *mediaRef `json:"file"`
	Video      *mediaRef `json:"video"`
	Mixed      *struct {
		Items []mixedItem `json:"msg_item"`
	} `json:"mixed"`
	Quote *mixedItem `json:"quote"`
	Event *struct {
		EventType string `json:"eventtype"`
		Card      *struct {
			EventKey string `json:"event_key"`
			TaskID   string `json:"task_id"`
		} `json:"template_card_event"`
	} `json:"event"`
}

type content struct {
	Content string `json:"content"`
}

type mediaRef struct {
	URL    string `json:"url"`
	AESKey string `json:"aeskey"`
}

// mixedItem is one part of a 图文混排 message, or a quoted message.
type mixedItem struct {
	MsgType string    `json:"msgtype"`
	Text    *content  `json:"text"`
	Voice   *content  `json:"voice"`
	Image   *mediaRef `json:"image"`
	Mixed   *struct {
		Items []mixedItem `json:"msg_item"`
	} `json:"mixed"`
}

// mediaKind is what a fetched file is as evidence.
type mediaKind string

const (
	kindImage mediaKind = "image"
	kindFile  mediaKind = "file"
	kindVideo mediaKind = "video"
)

// attachment is a file a callback points at.
type attachment struct {
	kind mediaKind
	ref  mediaRef
}

// attachments lists a callback's files in order.
func (b *callbackBody) attachments() []attachment {
	var out []attachment
	add := func(k mediaKind, r *mediaRef) {
		if r != nil && r.URL != "" {
			out = append(out, attachment{k, *r})
		}
	}
	switch b.MsgType {
	case "image":
		add(kindImage, b.Image)
	case "file":
		add(kindFile, b.File)
	case "video":
		add(kindVideo, b.Video)
	case "mixed":
		if b.Mixed != nil {
			for _, it := range b.Mixed.Items {
				if it.MsgType == "image" {
					add(kindImage, it.Image)
				}
			}
		}
	}
	return out
}

// media is a file fetched for a callback, or why it could not be.
type media struct {
	Kind mediaKind `json:"kind"`
	Name string    `json:"name,omitempty"`
	Size int       `json:"size"`
	Err  string    `json:"err,omitempty"` // not fetched: too large, expired …
	Data []byte    `json:"-"`
}

// event is a callback as the receiver stores and handles it: the frame,
// and the files fetched for it.
type event struct {
	Cmd   string          `json:"cmd"`
	ReqID string          `json:"req_id"`
	Body  json.RawMessage `json:"body"`
	Media []media         `json:"media,omitempty"`
}

// encode is the stored payload: the header's length (uvarint), the
// header (JSON), then the files' bytes one after another. The files stay
// out of the JSON, which would grow them by a third in base64.
func (e event) encode() []byte {
	head, err := json.Marshal(e)
	if err != nil {
		panic(err) // a RawMessage from the wire and plain fields: cannot fail
	}
	size := len(head) + binary.MaxVarintLen64
	for _, m := range e.Media {
		size += len(m.Data)
	}
	out := binary.AppendUvarint(make([]byte, 0, size), uint64(len(head)))
	out = append(out, head...)
	for _, m := range e.Media {
		out = append(out, m.Data...)
	}
	return out
}

// decodeEvent reads a payload encode made.
func decodeEvent(p []byte) (event, error) {
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)-k) {
		return event{}, errors.New("stored event: bad header length")
	}
	var e event
	if err := json.Unmarshal(p[k:k+int(n)], &e); err != nil {
		return event{}, fmt.Errorf("stored event: %w", err)
	}
	rest := p[k+int(n):]
	for i := range e.Media {
		sz := e.Media[i].Size
		if sz < 0 || sz > len(rest) {
			return event{}, errors.New("stored event: file data cut short")
		}
		if sz > 0 {
			e.Media[i].Data, rest = rest[:sz:sz], rest[sz:]
		}
	}
	return e, nil
}

// eventID is the key an event is stored and deduplicated by: its msgid
// (unique per callback; WeCom may push one twice), else its req_id.
func eventID(f Frame, b *callbackBody) string {
	if b.MsgID != "" {
		return b.MsgID
	}
	return f.ReqID
}

// evidenceRef is our reference to the i-th file of message msgid, under
// which the file is saved (SaveEvidence): "wecom:<msgid>", and
// "wecom:<msgid>/2" … for the further images of a mixed message.
func evidenceRef(msgid string, i int) string {
	ref := Platform + ":" + msgid
	if i > 0 {
		ref += "/" + strconv.Itoa(i+1)
	}
	return ref
}

// evidenceID is the evidence id a report keeps for a file (see
// planbot.KindOf).
func evidenceID(k mediaKind, ref string) string {
	switch k {
	case kindFile:
		return planbot.DocumentEvidence(ref)
	case kindVideo:
		return planbot.VideoEvidence(ref)
	}
	return ref
}

// toMessage converts a stored callback, stored under id, to our Message;
// ok is false for events the bot ignores (enter_chat, feedback, unknown
// ones). received stands in for a missing create_time.
func toMessage(id string, e event, received time.Time) (planbot.Message, bool, error) {
	var b callbackBody
	if err := json.Unmarshal(e.Body, &b); err != nil {
		return planbot.Message{}, false, fmt.Errorf("callback body: %w", err)
	}
	m := planbot.Message{At: received}
	if b.CreateTime > 0 {
		m.At = time.Unix(b.CreateTime, 0)
	}
	if b.From.UserID != "" {
		m.UserID = User(b.From.UserID)
	}
	switch {
	case b.ChatType == "group" && b.ChatID != "":
		m.ChatID, m.Chat = GroupChat(b.ChatID), planbot.ChatGroup
	case b.From.UserID != "":
		// A single chat has no chatid: it is the person's.
		m.ChatID, m.Chat = UserChat(b.From.UserID), planbot.ChatPrivate
	default:
		return planbot.Message{}, false, nil
	}
	if e.Cmd == cmdEventCallback {
		// Only a button press is for the conversation. Its req_id answers
		// only with a card update (aibot_respond_msg gives 846605), so
		// it is no EventRef: the replies are pushed.
		if b.Event == nil || b.Event.EventType != templateCardEvent || b.Event.Card == nil {
			return planbot.Message{}, false, nil
		}
		m.Callback = &planbot.Callback{ID: e.ReqID, Data: b.Event.Card.EventKey}
		return m, true, nil
	}
	m.EventRef = e.ReqID
	m.Text = messageText(&b)
	for i, f := range e.Media {
		if f.Err == "" {
			m.PhotoIDs = append(m.PhotoIDs, evidenceID(f.Kind, evidenceRef(id, i)))
		}
	}
	if b.Quote != nil {
		m.ReplyText = itemText(*b.Quote)
	}
	m.Unsupported = m.Text == "" && len(m.PhotoIDs) == 0
	return m, true, nil
}

// messageText is what a callback says in words. A group text keeps its
// "@BotName": the conversation answers only what is addressed to it, and
// strips the mention itself. Voice comes transcribed by WeCom.
func messageText(b *callbackBody) string {
	switch b.MsgType {
	case "text":
		if b.Text != nil {
			return b.Text.Content
		}
	case "voice":
		if b.Voice != nil {
			return b.Voice.Content
		}
	case "mixed":
		if b.Mixed != nil {
			return itemText(mixedItem{MsgType: "mixed", Mixed: b.Mixed})
		}
	}
	return ""
}

// itemText is the words of a mixed item or a quote.
func itemText(it mixedItem) string {
	switch {
	case it.MsgType == "text" && it.Text != nil:
		return it.Text.Content
	case it.MsgType == "voice" && it.Voice != nil:
		return it.Voice.Content
	case it.MsgType == "mixed" && it.Mixed != nil:
		var parts []string
		for _, sub := range it.Mixed.Items {
			if t := itemText(sub); t != "" {
				parts = append(parts, t)
			}
		}
		return strings.Join(parts, "\n")
	}
	return ""
}
