package wecomtest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// stream is a reply bubble: each frame replaces its content.
type stream struct {
	content  string
	finished bool
	expired  bool
	last     time.Time // the last accepted frame, for WithStreamIdle
}

// cardState is a card the bot sent, for Click and updates.
type cardState struct {
	card             Card
	chatID, chatType string
}

// replyLocked handles the three cmds that answer a callback by its
// req_id: each is allowed only for its kind of callback and within its
// window, else 846605 (as the real server answers a reply to enter_chat).
func (s *Server) replyLocked(c *conn, f clientFrame, now time.Time) reply {
	cb := s.callbacks[f.Headers.ReqID]
	want, window := cbMessage, replyWindow
	switch f.Cmd {
	case CmdWelcome:
		want, window = cbEnter, eventWindow
	case CmdUpdate:
		want, window = cbCard, eventWindow
	}
	if cb == nil || cb.kind != want || now.Sub(cb.at) > window {
		return reply{code: ErrInvalidReqID}
	}
	var b msgBody
	if err := json.Unmarshal(f.Body, &b); err != nil {
		return reply{code: ErrBadJSON, detail: err.Error()}
	}
	sent := Sent{Conn: c.id, Cmd: f.Cmd, ReqID: f.Headers.ReqID, ReplyTo: f.Headers.ReqID,
		ChatID: cb.chatID, ChatType: cb.chatType, MsgType: b.MsgType, At: now}
	switch f.Cmd {
	case CmdWelcome:
		return s.welcomeLocked(sent, b, now)
	case CmdUpdate:
		return s.updateLocked(sent, b, cb.taskID, now)
	}
	return s.respondLocked(sent, b, now)
}

func (s *Server) respondLocked(sent Sent, b msgBody, now time.Time) reply {
	var commits []func()
	if b.MsgType == "stream" || b.MsgType == "stream_with_template_card" {
		fn, rep := s.streamLocked(&sent, b.Stream, now)
		if rep.code != 0 {
			return rep
		}
		commits = append(commits, fn)
	}
	switch b.MsgType {
	case "stream":
	case "template_card", "stream_with_template_card":
		fn, rep := s.cardLocked(&sent, b.TemplateCard, "")
		if rep.code != 0 {
			return rep
		}
		commits = append(commits, fn)
	case "image", "file", "voice", "video":
		if rep := s.mediaLocked(&sent, b, now); rep.code != 0 {
			return rep
		}
	default:
		return reply{code: ErrInvalidMsgType, detail: "aibot_respond_msg msgtype " + b.MsgType}
	}
	return s.acceptLocked(sent, now, true, commits...)
}

func (s *Server) welcomeLocked(sent Sent, b msgBody, now time.Time) reply {
	var commit func()
	switch b.MsgType {
	case "text":
		if b.Text == nil || b.Text.Content == "" {
			return reply{code: ErrEmptyContent}
		}
		sent.Content = b.Text.Content
	case "template_card":
		fn, rep := s.cardLocked(&sent, b.TemplateCard, "")
		if rep.code != 0 {
			return rep
		}
		commit = fn
	default:
		return reply{code: ErrInvalidMsgType, detail: "aibot_respond_welcome_msg msgtype " + b.MsgType}
	}
	return s.acceptLocked(sent, now, true, commit)
}

// updateLocked replaces the clicked card. It posts no new message, so it
// does not count against the per-chat limit [?].
func (s *Server) updateLocked(sent Sent, b msgBody, taskID string, now time.Time) reply {
	if b.ResponseType != "update_template_card" {
		return reply{code: ErrInvalidParam, detail: fmt.Sprintf("response_type %q", b.ResponseType)}
	}
	sent.MsgType = b.ResponseType
	fn, rep := s.cardLocked(&sent, b.TemplateCard, taskID)
	if rep.code != 0 {
		return rep
	}
	return s.acceptLocked(sent, now, false, fn)
}

// pushLocked handles aibot_send_msg.
func (s *Server) pushLocked(c *conn, f clientFrame, now time.Time) reply {
	var b msgBody
	if err := json.Unmarshal(f.Body, &b); err != nil {
		return reply{code: ErrBadJSON, detail: err.Error()}
	}
	if b.ChatID == "" {
		return reply{code: ErrInvalidParam, detail: "chatid missing"}
	}
	typ := s.chats[b.ChatID]
	if typ == "" {
		return reply{code: ErrChatNotWritten}
	}
	if b.ChatType != 0 && b.ChatType != map[string]int{"single": 1, "group": 2}[typ] {
		return reply{code: ErrInvalidParam, detail: fmt.Sprintf("chat_type %d for a %s chat", b.ChatType, typ)}
	}
	sent := Sent{Conn: c.id, Cmd: f.Cmd, ReqID: f.Headers.ReqID, ChatID: b.ChatID, ChatType: typ, MsgType: b.MsgType, At: now}
	var commit func()
	switch b.MsgType {
	case "markdown":
		if b.Markdown == nil || b.Markdown.Content == "" {
			return reply{code: ErrEmptyContent}
		}
		if len(b.Markdown.Content) > MaxPushMarkdownBytes {
			return reply{code: ErrInvalidParam, detail: fmt.Sprintf("markdown.content exceed max length %d", MaxPushMarkdownBytes)}
		}
		sent.Content = b.Markdown.Content
	case "template_card":
		fn, rep := s.cardLocked(&sent, b.TemplateCard, "")
		if rep.code != 0 {
			return rep
		}
		commit = fn
	case "image", "file", "voice", "video":
		if rep := s.mediaLocked(&sent, b, now); rep.code != 0 {
			return rep
		}
	default:
		return reply{code: ErrInvalidMsgType, detail: "aibot_send_msg msgtype " + b.MsgType}
	}
	return s.acceptLocked(sent, now, true, commit)
}

// acceptLocked applies the per-chat limit (when counts), then the frame's
// effects (commits), and records it. Validation happens before, so a
// refused frame changes nothing.
func (s *Server) acceptLocked(sent Sent, now time.Time, counts bool, commits ...func()) reply {
	if counts {
		kept, minute := recent(s.chatSends[sent.ChatID], now, time.Hour)
		if minute >= s.perMinute || len(kept) >= s.perHour {
			s.chatSends[sent.ChatID] = kept
			s.violations++
			return reply{code: ErrRateLimit}
		}
		s.chatSends[sent.ChatID] = append(kept, now)
	}
	for _, fn := range commits {
		if fn != nil {
			fn()
		}
	}
	s.sent = append(s.sent, sent)
	return reply{}
}

// recent keeps the times less than span before now and counts those less
// than a minute before now.
func recent(times []time.Time, now time.Time, span time.Duration) (kept []time.Time, lastMinute int) {
	for _, t := range times {
		if age := now.Sub(t); age < span {
			kept = append(kept, t)
			if age < time.Minute {
				lastMinute++
			}
		}
	}
	return kept, lastMinute
}

// streamLocked checks a stream frame; the returned commit stores the new
// snapshot.
func (s *Server) streamLocked(sent *Sent, st *streamBody, now time.Time) (func(), reply) {
	if st == nil || st.ID == "" {
		return nil, reply{code: ErrInvalidParam, detail: "stream.id missing"}
	}
	if len(st.Content) > MaxStreamBytes {
		return nil, reply{code: ErrInvalidParam, detail: fmt.Sprintf("stream.content exceed max length %d", MaxStreamBytes)}
	}
	old := s.streams[st.ID]
	if old != nil && (old.expired || now.Sub(old.last) > s.streamIdle) {
		old.expired = true // an expired stream stays expired
		return nil, reply{code: ErrStreamExpired}
	}
	sent.StreamID, sent.Finish, sent.Content = st.ID, st.Finish, st.Content
	return func() {
		finished := st.Finish || (old != nil && old.finished)
		s.streams[st.ID] = &stream{content: st.Content, finished: finished, last: now}
	}, reply{}
}

var taskIDRE = regexp.MustCompile(`^[A-Za-z0-9_\-@]{1,128}$`)

// wireCard is the part of a template_card the fake checks.
type wireCard struct {
	CardType  string `json:"card_type"`
	TaskID    string `json:"task_id"`
	MainTitle *struct {
		Title string `json:"title"`
	} `json:"main_title"`
	SubTitleText string `json:"sub_title_text"`
	ButtonList   []struct {
		Text  string `json:"text"`
		Style int    `json:"style"`
		Key   string `json:"key"`
	} `json:"button_list"`
}

// parseCard checks a template_card; detail is "" when it is valid.
func parseCard(raw json.RawMessage) (card Card, detail string) {
	var w wireCard
	if len(raw) == 0 || string(raw) == "null" {
		return card, "template_card missing"
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return card, "template_card: " + err.Error()
	}
	card = Card{CardType: w.CardType, TaskID: w.TaskID, Title: w.SubTitleText}
	if w.MainTitle != nil && w.MainTitle.Title != "" {
		card.Title = w.MainTitle.Title
	}
	interactive := false
	switch w.CardType {
	case "text_notice", "news_notice":
	case "button_interaction", "vote_interaction", "multiple_interaction":
		interactive = true
	default:
		return card, fmt.Sprintf("template_card.card_type %q", w.CardType)
	}
	if (interactive || w.TaskID != "") && !taskIDRE.MatchString(w.TaskID) {
		return card, fmt.Sprintf("template_card.task_id %q: 1-128 of A-Za-z0-9_-@", w.TaskID)
	}
	if card.Title == "" {
		return card, "template_card needs main_title.title or sub_title_text"
	}
	if w.CardType != "button_interaction" {
		return card, ""
	}
	if n := len(w.ButtonList); n < 1 || n > 6 {
		return card, fmt.Sprintf("template_card.button_list has %d buttons, want 1-6", n)
	}
	keys := map[string]bool{}
	for i, b := range w.ButtonList {
		switch {
		case b.Text == "":
			return card, fmt.Sprintf("button_list[%d].text missing", i)
		case b.Key == "" || len(b.Key) > 1024:
			return card, fmt.Sprintf("button_list[%d].key must be 1-1024 bytes", i)
		case keys[b.Key]:
			return card, fmt.Sprintf("button_list[%d].key %q repeated", i, b.Key)
		case b.Style < 0 || b.Style > 4:
			return card, fmt.Sprintf("button_list[%d].style %d", i, b.Style)
		}
		keys[b.Key] = true
		card.Buttons = append(card.Buttons, Button{Text: b.Text, Key: b.Key, Style: b.Style})
	}
	return card, ""
}

// cardLocked checks a card; updateOf is the clicked card's task_id for
// aibot_respond_update_msg, "" for a new card. The commit stores the card
// so Click can press its buttons.
func (s *Server) cardLocked(sent *Sent, raw json.RawMessage, updateOf string) (func(), reply) {
	card, detail := parseCard(raw)
	switch {
	case detail != "":
		return nil, reply{code: ErrInvalidParam, detail: detail}
	case updateOf != "" && card.TaskID != updateOf:
		return nil, reply{code: ErrInvalidParam, detail: fmt.Sprintf("task_id %q, the clicked card is %q", card.TaskID, updateOf)}
	case updateOf == "" && card.TaskID != "" && s.cards[card.TaskID] != nil:
		return nil, reply{code: ErrInvalidParam, detail: fmt.Sprintf("task_id %q already used", card.TaskID)}
	}
	sent.Card = &card
	chatID, chatType := sent.ChatID, sent.ChatType
	return func() {
		if card.TaskID != "" {
			s.cards[card.TaskID] = &cardState{card: card, chatID: chatID, chatType: chatType}
		}
	}, reply{}
}

// mediaLocked resolves the media_id of an image/file/voice/video body.
func (s *Server) mediaLocked(sent *Sent, b msgBody, now time.Time) reply {
	ref := map[string]*mediaID{"image": b.Image, "file": b.File, "voice": b.Voice, "video": b.Video}[b.MsgType]
	if ref == nil || ref.MediaID == "" {
		return reply{code: ErrInvalidParam, detail: b.MsgType + ".media_id missing"}
	}
	m := s.media[ref.MediaID]
	if m == nil || now.Sub(m.created) > mediaIDLife {
		return reply{code: ErrInvalidMediaID}
	}
	if m.typ != b.MsgType { // [?] the real server may accept any type
		return reply{code: ErrInvalidMediaID, detail: fmt.Sprintf("media uploaded as %s, sent as %s", m.typ, b.MsgType)}
	}
	sent.Media = &Media{Type: m.typ, Name: m.name, Data: m.data}
	return reply{}
}
