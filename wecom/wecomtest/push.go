package wecomtest

import (
	"encoding/json"
	"time"
)

// cbKind is what a callback's req_id may be answered with.
type cbKind int

const (
	cbOther   cbKind = iota // nothing (feedback, disconnected …)
	cbMessage               // aibot_respond_msg
	cbEnter                 // aibot_respond_welcome_msg, within 5 s
	cbCard                  // aibot_respond_update_msg, within 5 s
)

// callback is a pushed callback, by its req_id.
type callback struct {
	kind                     cbKind
	chatID, chatType, userID string
	msgID, taskID            string
	at                       time.Time
}

// pushed is a callback kept for Resend.
type pushed struct {
	cmd  string
	body json.RawMessage
	cb   callback
}

// SendText pushes a text message from userid in their single chat with
// the bot (aibot_msg_callback, chattype single, no chatid) and returns its
// msgid.
func (s *Server) SendText(userid, text string) (msgid string) {
	now := s.now()
	b := s.newBody(userid, "single", userid, now)
	b.MsgType, b.Text = "text", &textContent{Content: text}
	return s.pushMessage(b, now)
}

// SendGroupText pushes a text message userid wrote in group chatid,
// mentioning the bot: the content is "@<bot name> " + text, as WeCom
// delivers it (group messages reach the bot only when it is mentioned).
func (s *Server) SendGroupText(chatid, userid, text string) (msgid string) {
	now := s.now()
	b := s.newBody(chatid, "group", userid, now)
	b.MsgType, b.Text = "text", &textContent{Content: "@" + s.botName + " " + text}
	return s.pushMessage(b, now)
}

// SendImage pushes an image from userid (images come only from single
// chats): the body has {url, aeskey}; the URL serves data encrypted (see
// the package doc) until the media TTL passes.
func (s *Server) SendImage(userid string, data []byte) (msgid string) {
	now := s.now()
	b := s.newBody(userid, "single", userid, now)
	b.MsgType, b.Image = "image", s.addDownload(data, "", now)
	return s.pushMessage(b, now)
}

// SendFile pushes a file from userid, like SendImage; the body has no
// name, the download names the file in Content-Disposition.
func (s *Server) SendFile(userid, name string, data []byte) (msgid string) {
	now := s.now()
	b := s.newBody(userid, "single", userid, now)
	b.MsgType, b.File = "file", s.addDownload(data, name, now)
	return s.pushMessage(b, now)
}

// EnterChat pushes enter_chat: userid opened the single chat. Its req_id
// may be answered only by aibot_respond_welcome_msg within 5 s. It does
// not count as the user having written [?].
func (s *Server) EnterChat(userid string) (msgid string) {
	now := s.now()
	b := s.newBody(userid, "single", userid, now)
	b.ResponseURL = ""
	b.MsgType, b.Event = "event", &event{EventType: "enter_chat"}
	s.deliver(CmdEvtCallback, b, callback{kind: cbEnter, chatID: userid, chatType: "single", userID: userid, msgID: b.MsgID, at: now})
	return b.MsgID
}

// Click pushes template_card_event: userid pressed the button with key on
// the card with taskID that the bot sent, in the chat it was sent to. It
// fails the test (FailNow) if the bot sent no such card or button, or if
// userid is not the user of the card's single chat.
func (s *Server) Click(userid, taskID, key string) (msgid string) {
	s.tb.Helper()
	now := s.now()
	s.mu.Lock()
	cs := s.cards[taskID]
	var st cardState
	if cs != nil {
		st = *cs
	}
	s.mu.Unlock()
	if cs == nil {
		s.tb.Fatalf("wecomtest: Click: the bot sent no card with task_id %q", taskID)
	}
	found := false
	for _, b := range st.card.Buttons {
		found = found || b.Key == key
	}
	if !found {
		s.tb.Fatalf("wecomtest: Click: card %q has no button with key %q; buttons %+v", taskID, key, st.card.Buttons)
	}
	if st.chatType == "single" && st.chatID != userid {
		s.tb.Fatalf("wecomtest: Click: card %q is in %s's single chat, not %s's", taskID, st.chatID, userid)
	}
	b := s.newBody(st.chatID, st.chatType, userid, now)
	b.MsgType = "event"
	b.Event = &event{EventType: "template_card_event",
		TemplateCardEvent: &cardEvent{CardType: st.card.CardType, EventKey: key, TaskID: taskID}}
	s.deliver(CmdEvtCallback, b, callback{kind: cbCard, chatID: st.chatID, chatType: st.chatType,
		userID: userid, msgID: b.MsgID, taskID: taskID, at: now})
	return b.MsgID
}

// Resend pushes the callback with this msgid again, byte for byte, under a
// new req_id: the duplicate WeCom may deliver. Both req_ids can be
// answered. It fails the test (FailNow) for a msgid never pushed, and
// returns the new req_id.
func (s *Server) Resend(msgid string) (reqID string) {
	s.tb.Helper()
	s.mu.Lock()
	p := s.pushes[msgid]
	s.mu.Unlock()
	if p == nil {
		s.tb.Fatalf("wecomtest: Resend: no callback with msgid %q was pushed", msgid)
	}
	cb := p.cb
	cb.at = s.now()
	return s.deliverRaw(p.cmd, p.body, cb)
}

// PushRaw pushes any callback body (mixed, voice, quote, feedback_event …)
// under cmd and returns its req_id. The body's chattype, chatid and
// from.userid tell which chat it is; an aibot_msg_callback may be answered
// with aibot_respond_msg and makes its chat one that has written, an
// enter_chat or template_card_event event opens its 5 s window. A body
// that is not a JSON object fails the test (Errorf) and returns "".
func (s *Server) PushRaw(cmd, body string) (reqID string) {
	var b callbackBody
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		s.tb.Errorf("wecomtest: PushRaw: %v in %q", err, body)
		return ""
	}
	cb := callback{kind: cbOther, chatType: b.ChatType, msgID: b.MsgID, at: s.now()}
	if b.From != nil {
		cb.userID, cb.chatID = b.From.UserID, b.From.UserID
	}
	if b.ChatType == "group" {
		cb.chatID = b.ChatID
	} else if cb.userID != "" {
		cb.chatType = "single"
	}
	switch {
	case cmd == CmdMsgCallback:
		cb.kind = cbMessage
	case b.Event != nil && b.Event.EventType == "enter_chat":
		cb.kind = cbEnter
	case b.Event != nil && b.Event.TemplateCardEvent != nil:
		cb.kind, cb.taskID = cbCard, b.Event.TemplateCardEvent.TaskID
	}
	return s.deliverRaw(cmd, json.RawMessage(body), cb)
}

// newBody starts a callback body; chatid appears only for groups, as in
// WeCom's frames.
func (s *Server) newBody(chatID, chatType, userID string, now time.Time) callbackBody {
	b := callbackBody{MsgID: newMsgID(), AIBotID: s.botID, ChatType: chatType, From: &userRef{UserID: userID},
		CreateTime: now.Unix(), ResponseURL: s.srv.URL + "/cgi-bin/aibot/response?response_code=" + newID()}
	if chatType == "group" {
		b.ChatID = chatID
	}
	return b
}

// pushMessage delivers an aibot_msg_callback.
func (s *Server) pushMessage(b callbackBody, now time.Time) string {
	chatID := b.From.UserID
	if b.ChatType == "group" {
		chatID = b.ChatID
	}
	s.deliver(CmdMsgCallback, b, callback{kind: cbMessage, chatID: chatID, chatType: b.ChatType,
		userID: b.From.UserID, msgID: b.MsgID, at: now})
	return b.MsgID
}

func (s *Server) deliver(cmd string, body callbackBody, cb callback) {
	raw, err := json.Marshal(body)
	if err != nil {
		panic(err) // our own types always marshal
	}
	s.deliverRaw(cmd, raw, cb)
}

// deliverRaw registers the callback before writing it (the bot may answer
// at once) and writes it to the live connection. Without one the frame is
// lost, as far as is known of WeCom [?]; the test log says so.
func (s *Server) deliverRaw(cmd string, body json.RawMessage, cb callback) (reqID string) {
	reqID = newID()
	s.mu.Lock()
	s.callbacks[reqID] = &cb
	if cb.msgID != "" {
		s.pushes[cb.msgID] = &pushed{cmd: cmd, body: body, cb: cb}
	}
	if cb.kind == cbMessage && cb.chatID != "" {
		s.chats[cb.chatID] = cb.chatType
	}
	c := s.live
	s.notifyLocked()
	s.mu.Unlock()
	if c == nil {
		s.tb.Logf("wecomtest: %s %s lost: no subscribed connection", cmd, cb.msgID)
		return reqID
	}
	if err := s.write(c, serverFrame{Cmd: cmd, Headers: headers{ReqID: reqID}, Body: body}); err != nil {
		s.tb.Logf("wecomtest: %s %s lost: %v", cmd, cb.msgID, err)
	}
	return reqID
}
