package telegramtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// methods maps lower-case method names (Telegram's are case-insensitive)
// to their canonical spelling.
var methods = map[string]string{}

func init() {
	for _, m := range []string{
		"getMe", "getUpdates", "sendMessage", "editMessageText", "editMessageReplyMarkup",
		"answerCallbackQuery", "sendPhoto", "sendDocument", "setMyCommands", "deleteWebhook",
		"getFile", "sendChatAction", "deleteMessage",
	} {
		methods[strings.ToLower(m)] = m
	}
}

func canonicalMethod(name string) (string, bool) {
	m, ok := methods[strings.ToLower(name)]
	return m, ok
}

// reply is a method's answer: ok with result, or an error.
type reply struct {
	status int
	result any
	desc   string
	params *responseParameters
}

func ok(result any) reply { return reply{status: http.StatusOK, result: result} }

func badRequest(desc string) reply {
	return reply{status: http.StatusBadRequest, desc: "Bad Request: " + desc}
}

func errReply(status int, desc string) reply { return reply{status: status, desc: desc} }

type upload struct {
	name string
	data []byte
}

// request is one parsed API call.
type request struct {
	r      *http.Request
	params url.Values
	files  map[string]upload
	call   *Call
	result any // the result of a successful run
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	call := &Call{At: s.now(), Method: r.URL.Path}
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down != Up {
		s.serveDown(w, call, down)
		return
	}

	p := r.URL.Path
	if rest, isFile := strings.CutPrefix(p, "/file/bot"); isFile {
		s.serveFile(w, call, rest)
		return
	}
	rest, isBot := strings.CutPrefix(p, "/bot")
	slash := strings.IndexByte(rest, '/')
	if !isBot || slash < 0 {
		s.finish(w, call, errReply(http.StatusNotFound, "Not Found"))
		return
	}
	token, name := rest[:slash], rest[slash+1:]
	call.Method = name
	if token != s.token {
		s.finish(w, call, errReply(http.StatusUnauthorized, "Unauthorized"))
		return
	}
	method, known := canonicalMethod(name)
	if !known {
		s.finish(w, call, errReply(http.StatusNotFound, "Not Found"))
		return
	}
	call.Method = method

	params, files, err := parseParams(r)
	if err != nil {
		s.finish(w, call, badRequest(err.Error()))
		return
	}
	req := &request{r: r, params: params, files: files, call: call}
	fillCall(call, params, files)

	if method == "sendMessage" || method == "sendPhoto" || method == "sendDocument" {
		if call.ChatID != 0 {
			s.mu.Lock()
			s.sendTimes[call.ChatID] = append(s.sendTimes[call.ChatID], call.At)
			s.mu.Unlock()
		}
	}

	if f := s.takeFault(method, call.ChatID); f != nil {
		if f.Delay > 0 && !s.hold(r, f.Delay) {
			call.Status = 0
			call.Description = "client gave up or server closed during Delay"
			s.record(call)
			return
		}
		if f.Delivered {
			s.run(req, method) // sets call.OK and the result we do not send
		}
		switch {
		case f.Drop:
			call.Status, call.Description = 0, "connection dropped"
			s.record(call)
			hijackClose(w)
			return
		case f.Status != 0:
			var rp *responseParameters
			if f.RetryAfter != 0 || f.MigrateToChatID != 0 {
				rp = &responseParameters{RetryAfter: f.RetryAfter, MigrateToChatID: f.MigrateToChatID}
			}
			s.finish(w, call, reply{status: f.Status, desc: f.Description, params: rp})
			return
		case f.Delivered:
			// Performed already: answer with that result (running the
			// method again would deliver twice).
			s.finish(w, call, s.resultOf(req, method))
			return
		}
	}

	if method == "getUpdates" {
		s.getUpdates(w, req)
		return
	}
	s.finish(w, call, s.run(req, method))
}

// run performs a non-blocking method under the lock.
func (s *Server) run(req *request, method string) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	var rp reply
	switch method {
	case "getMe":
		rp = ok(wireBotUser{User: s.bot, CanJoinGroups: true})
	case "sendMessage":
		rp = s.sendMessage(req)
	case "editMessageText":
		rp = s.editMessageText(req)
	case "editMessageReplyMarkup":
		rp = s.editMessageReplyMarkup(req)
	case "answerCallbackQuery":
		rp = s.answerCallbackQuery(req)
	case "sendPhoto":
		rp = s.sendFile(req, "photo")
	case "sendDocument":
		rp = s.sendFile(req, "document")
	case "setMyCommands":
		rp = s.setMyCommands(req)
	case "deleteWebhook":
		if req.params.Get("drop_pending_updates") == "true" {
			s.updates = nil
		}
		s.webhook = ""
		rp = ok(true)
	case "getFile":
		rp = s.getFile(req)
	case "sendChatAction":
		rp = s.sendChatAction(req)
	case "deleteMessage":
		rp = s.deleteMessage(req)
	case "getUpdates":
		// Only reached for Fault.Delivered: confirm like a real call.
		s.confirmLocked(atoi(req.params.Get("offset")))
		rp = ok([]any{})
	default:
		rp = errReply(http.StatusNotFound, "Not Found")
	}
	req.call.OK = rp.status == http.StatusOK
	if req.call.OK {
		req.result = rp.result
	}
	return rp
}

// resultOf answers a call that Fault.Delivered already performed.
func (s *Server) resultOf(req *request, method string) reply {
	if req.call.OK {
		return ok(req.result)
	}
	return s.run(req, method)
}

// finish records the call and writes the reply.
func (s *Server) finish(w http.ResponseWriter, call *Call, rp reply) {
	call.Status = rp.status
	var body []byte
	if rp.status == http.StatusOK {
		res, err := json.Marshal(rp.result)
		if err != nil {
			panic(err)
		}
		body = append(append([]byte(`{"ok":true,"result":`), res...), '}')
	} else {
		call.Description = rp.desc
		if rp.params != nil {
			call.RetryAfter = rp.params.RetryAfter
		}
		body, _ = json.Marshal(errorResponse{ErrorCode: rp.status, Description: rp.desc, Parameters: rp.params})
	}
	s.record(call)
	writeJSON(w, rp.status, body)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Server) record(call *Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, *call)
	if call.OK {
		s.okCounts[okKey{call.Method, call.ChatID}]++
	}
	s.notifyLocked()
}

const nginx502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"

func (s *Server) serveDown(w http.ResponseWriter, call *Call, mode DownMode) {
	if name, ok := strings.CutPrefix(call.Method, "/bot"); ok {
		if i := strings.IndexByte(name, '/'); i >= 0 {
			call.Method = name[i+1:]
			if m, ok := canonicalMethod(call.Method); ok {
				call.Method = m
			}
		}
	}
	switch mode {
	case Refuse:
		call.Status, call.Description = 0, "connection refused (SetDown)"
		s.record(call)
		hijackClose(w)
	default:
		call.Status, call.Description = http.StatusBadGateway, "502 Bad Gateway (SetDown)"
		s.record(call)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, nginx502)
	}
}

// hijackClose closes the connection without writing a response.
func hijackClose(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("telegramtest: connection cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(interface{ SetLinger(int) error }); ok {
		_ = tc.SetLinger(0) // reset, like a dropped connection
	}
	_ = conn.Close()
}

// hold waits d, and reports false if the server closed or the client gave
// up first.
func (s *Server) hold(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.done:
		return false
	case <-r.Context().Done():
		return false
	}
}

func (s *Server) takeFault(method string, chatID int64) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, fr := range s.faults {
		if fr.method != "" && fr.method != method {
			continue
		}
		if fr.f.ChatID != 0 && fr.f.ChatID != chatID {
			continue
		}
		fr.left--
		if fr.left <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		f := fr.f
		return &f
	}
	return nil
}

func (s *Server) serveFile(w http.ResponseWriter, call *Call, rest string) {
	call.Method = "file"
	slash := strings.IndexByte(rest, '/')
	if slash < 0 || rest[:slash] != s.token {
		s.finish(w, call, errReply(http.StatusNotFound, "Not Found"))
		return
	}
	p := rest[slash+1:]
	call.Params = url.Values{"file_path": {p}}
	s.mu.Lock()
	f := s.paths[p]
	s.mu.Unlock()
	if f == nil {
		s.finish(w, call, errReply(http.StatusNotFound, "Not Found"))
		return
	}
	call.Status, call.OK, call.FileID = http.StatusOK, true, f.id
	s.record(call)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
	_, _ = w.Write(f.data)
}

// parseParams reads form, multipart or JSON parameters.
func parseParams(r *http.Request) (url.Values, map[string]upload, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			return nil, nil, fmt.Errorf("can't parse multipart request: %v", err)
		}
		defer r.MultipartForm.RemoveAll()
		vals := url.Values{}
		for k, v := range r.URL.Query() {
			vals[k] = v
		}
		for k, v := range r.MultipartForm.Value {
			vals[k] = v
		}
		files := map[string]upload{}
		for field, fhs := range r.MultipartForm.File {
			if len(fhs) == 0 {
				continue
			}
			f, err := fhs[0].Open()
			if err != nil {
				return nil, nil, err
			}
			data, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return nil, nil, err
			}
			files[field] = upload{name: fhs[0].Filename, data: data}
		}
		return vals, files, nil
	case "application/json":
		var obj map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&obj); err != nil {
			return nil, nil, errors.New("can't parse JSON request body")
		}
		vals := r.URL.Query()
		for k, raw := range obj {
			var str string
			if json.Unmarshal(raw, &str) == nil {
				vals.Set(k, str)
			} else {
				vals.Set(k, string(raw))
			}
		}
		return vals, nil, nil
	default:
		if err := r.ParseForm(); err != nil {
			return nil, nil, fmt.Errorf("can't parse request: %v", err)
		}
		return r.Form, nil, nil
	}
}

func fillCall(c *Call, p url.Values, files map[string]upload) {
	c.Params = make(url.Values, len(p))
	for k, v := range p {
		c.Params[k] = append([]string(nil), v...)
	}
	c.ChatID, _ = strconv.ParseInt(p.Get("chat_id"), 10, 64)
	c.Text = p.Get("text")
	c.ParseMode = p.Get("parse_mode")
	c.Caption = p.Get("caption")
	c.CallbackID = p.Get("callback_query_id")
	c.ReplyTo = atoi(p.Get("reply_to_message_id"))
	if c.Method != "sendMessage" && c.Method != "sendPhoto" && c.Method != "sendDocument" {
		c.MessageID = atoi(p.Get("message_id"))
	}
	if kb, _, err := parseMarkup(p.Get("reply_markup")); err == "" {
		c.Markup = kb
	}
	for _, field := range []string{"photo", "document"} {
		if u, ok := files[field]; ok {
			c.File, c.FileName = u.data, u.name
		} else if v := p.Get(field); v != "" {
			c.FileID = v
		}
	}
	if raw := p.Get("commands"); raw != "" {
		_ = json.Unmarshal([]byte(raw), &c.Commands)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// parseMarkup decodes reply_markup. kb is non-nil only for an inline
// keyboard; errDesc is Telegram's error for a bad one.
func parseMarkup(raw string) (kb *InlineKeyboard, present bool, errDesc string) {
	if raw == "" {
		return nil, false, ""
	}
	var probe struct {
		InlineKeyboard *[][]wireButton `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &probe); err != nil {
		return nil, true, "can't parse reply keyboard markup JSON object"
	}
	if probe.InlineKeyboard == nil {
		return nil, true, "" // a reply keyboard, force_reply or remove_keyboard
	}
	kb = &InlineKeyboard{InlineKeyboard: [][]Button{}}
	for _, row := range *probe.InlineKeyboard {
		out := []Button{}
		for _, b := range row {
			if b.Text == "" {
				return nil, true, "BUTTON_TEXT_INVALID"
			}
			switch {
			case b.CallbackData != nil:
				if n := len(*b.CallbackData); n == 0 || n > 64 {
					return nil, true, "BUTTON_DATA_INVALID"
				}
			case b.URL != nil:
				u, err := url.Parse(*b.URL)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "tg") || (u.Scheme != "tg" && u.Host == "") {
					return nil, true, "BUTTON_URL_INVALID"
				}
			case b.SwitchInlineQuery != nil, b.SwitchInlineQueryCurrentChat != nil, b.LoginURL != nil, b.CallbackGame != nil, b.WebApp != nil, b.Pay:
			default:
				return nil, true, "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
			}
			nb := Button{Text: b.Text}
			if b.CallbackData != nil {
				nb.CallbackData = *b.CallbackData
			}
			if b.URL != nil {
				nb.URL = *b.URL
			}
			out = append(out, nb)
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, out)
	}
	return kb, true, ""
}

// storedMarkup is what a message keeps: no keyboard when it is empty.
func storedMarkup(kb *InlineKeyboard) *InlineKeyboard {
	if len(kb.Buttons()) == 0 {
		return nil
	}
	return kb
}

func sameMarkup(a, b *InlineKeyboard) bool {
	ja, _ := json.Marshal(storedMarkup(a))
	jb, _ := json.Marshal(storedMarkup(b))
	return bytes.Equal(ja, jb)
}

func sameEntities(a, b []Entity) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// formatted checks text (or a caption) as Telegram does and returns its
// plain form and entities; desc is the error description otherwise.
//
// Limits count UTF-16 code units of the text after entity parsing (tags
// stripped, &lt; decoded) for parse_mode HTML. Markdown and MarkdownV2 are
// not parsed: the raw text is counted, which is stricter.
func formatted(text, parseMode string, limit int, caption bool) (plain string, ents []Entity, desc string) {
	if !utf8.ValidString(text) {
		if caption {
			return "", nil, "Bad Request: caption must be encoded in UTF-8"
		}
		return "", nil, "Bad Request: text must be encoded in UTF-8"
	}
	switch strings.ToLower(parseMode) {
	case "":
		plain = text
	case "html":
		var err error
		plain, ents, err = ParseHTML(text)
		if err != nil {
			return "", nil, "Bad Request: can't parse entities: " + err.Error()
		}
	case "markdown", "markdownv2":
		plain = text
	default:
		return "", nil, "Bad Request: unsupported parse_mode"
	}
	if !caption && strings.TrimSpace(plain) == "" {
		return "", nil, "Bad Request: message text is empty"
	}
	if UTF16Len(plain) > limit {
		if caption {
			return "", nil, "Bad Request: message caption is too long"
		}
		return "", nil, "Bad Request: message is too long"
	}
	return plain, ents, ""
}

// targetChat resolves chat_id for a call that acts on a chat.
func (s *Server) targetChat(req *request) (*chatState, reply, bool) {
	raw := req.params.Get("chat_id")
	if raw == "" {
		return nil, badRequest("chat_id is empty"), false
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		for _, cs := range s.chats {
			if cs.chat.Username != "" && "@"+cs.chat.Username == raw {
				id = cs.chat.ID
			}
		}
		if id == 0 {
			return nil, badRequest("chat not found"), false
		}
		req.call.ChatID = id
	}
	if to, ok := s.migrated[id]; ok {
		return nil, reply{status: http.StatusBadRequest, desc: "Bad Request: group chat was upgraded to a supergroup chat",
			params: &responseParameters{MigrateToChatID: to}}, false
	}
	cs := s.chats[id]
	if s.blocked[id] {
		desc := "Forbidden: bot was blocked by the user"
		switch {
		case cs != nil && cs.chat.Type == "supergroup", cs == nil && id < -1000000000000:
			desc = "Forbidden: bot was kicked from the supergroup chat"
		case cs != nil && cs.chat.Type == "group", cs == nil && id < 0:
			desc = "Forbidden: bot was kicked from the group chat"
		case cs != nil && cs.chat.Type == "channel":
			desc = "Forbidden: bot is not a member of the channel chat"
		}
		return nil, errReply(http.StatusForbidden, desc), false
	}
	if cs == nil {
		if s.strictChats {
			return nil, badRequest("chat not found"), false
		}
		c := Chat{ID: id, Type: "private", FirstName: "User " + raw}
		switch {
		case id < -1000000000000:
			c = SupergroupChat(id, "Supergroup "+raw)
		case id < 0:
			c = GroupChat(id, "Group "+raw)
		}
		cs = s.chatLocked(c)
	}
	return cs, reply{}, true
}

func (s *Server) botMessage(cs *chatState, req *request) (*Msg, reply, bool) {
	m := &Msg{FromBot: true, From: s.bot, Date: req.call.At}
	if to := req.call.ReplyTo; to != 0 {
		if cs.msgs[to] == nil && req.params.Get("allow_sending_without_reply") != "true" {
			return nil, badRequest("reply message not found"), false
		}
		if cs.msgs[to] != nil {
			m.replyTo = to
		}
	}
	kb, _, desc := parseMarkup(req.params.Get("reply_markup"))
	if desc != "" {
		return nil, badRequest(desc), false
	}
	m.Markup = storedMarkup(kb)
	return m, reply{}, true
}

func (s *Server) sendMessage(req *request) reply {
	cs, rp, good := s.targetChat(req)
	if !good {
		return rp
	}
	text, mode := req.params.Get("text"), req.params.Get("parse_mode")
	plain, ents, desc := formatted(text, mode, 4096, false)
	if desc != "" {
		return reply{status: http.StatusBadRequest, desc: desc}
	}
	m, rp, good := s.botMessage(cs, req)
	if !good {
		return rp
	}
	m.Text, m.ParseMode, m.Plain, m.Entities = text, mode, plain, ents
	cs.add(m)
	req.call.MessageID = m.ID
	return ok(s.wire(m, true))
}

func (s *Server) sendFile(req *request, field string) reply {
	cs, rp, good := s.targetChat(req)
	if !good {
		return rp
	}
	caption, mode := req.params.Get("caption"), req.params.Get("parse_mode")
	capPlain, capEnts, desc := formatted(caption, mode, 1024, true)
	if desc != "" {
		return reply{status: http.StatusBadRequest, desc: desc}
	}
	var f *storedFile
	if up, isUpload := req.files[field]; isUpload {
		if len(up.data) == 0 {
			return badRequest("file must be non-empty")
		}
		limit := 50 << 20
		if field == "photo" {
			limit = 10 << 20
		}
		if len(up.data) > limit {
			return errReply(http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		}
		dir := "documents"
		if field == "photo" {
			dir = "photos"
		}
		f = s.addFileLocked(s.newFileIDLocked(field), up.name, up.data, dir)
	} else {
		ref := req.params.Get(field)
		switch {
		case ref == "":
			return badRequest("there is no " + field + " in the request")
		case s.files[ref] != nil:
			f = s.files[ref]
		case strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://"):
			name := path.Base(ref)
			f = s.addFileLocked(s.newFileIDLocked(field), name, []byte("fetched from "+ref), "documents")
		default:
			return badRequest("wrong file identifier/HTTP URL specified")
		}
	}
	m, rp, good := s.botMessage(cs, req)
	if !good {
		return rp
	}
	m.Caption, m.ParseMode, m.capEntities, m.FileID = capPlain, mode, capEnts, f.id
	if field == "photo" {
		m.photo = []photoSize{{FileID: f.id, FileUniqueID: f.uniqueID, Width: 800, Height: 600, FileSize: len(f.data)}}
	} else {
		mt := mime.TypeByExtension(path.Ext(f.name))
		if i := strings.IndexByte(mt, ';'); i >= 0 {
			mt = mt[:i]
		}
		m.doc = &document{FileID: f.id, FileUniqueID: f.uniqueID, FileName: path.Base(f.name), MimeType: mt, FileSize: len(f.data)}
	}
	cs.add(m)
	req.call.MessageID = m.ID
	req.call.FileID = f.id
	return ok(s.wire(m, true))
}

// editTarget finds the bot's message an edit names.
func (s *Server) editTarget(req *request) (*Msg, reply, bool) {
	if req.params.Get("inline_message_id") != "" {
		return nil, badRequest("MESSAGE_ID_INVALID"), false
	}
	cs, rp, good := s.targetChat(req)
	if !good {
		return nil, rp, false
	}
	if req.params.Get("message_id") == "" {
		return nil, badRequest("message identifier is not specified"), false
	}
	m := cs.msgs[req.call.MessageID]
	if m == nil {
		return nil, badRequest("message to edit not found"), false
	}
	if !m.FromBot {
		return nil, badRequest("message can't be edited"), false
	}
	return m, reply{}, true
}

const notModified = "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"

func (s *Server) editMessageText(req *request) reply {
	m, rp, good := s.editTarget(req)
	if !good {
		return rp
	}
	if m.photo != nil || m.doc != nil {
		return badRequest("there is no text in the message to edit")
	}
	text, mode := req.params.Get("text"), req.params.Get("parse_mode")
	plain, ents, desc := formatted(text, mode, 4096, false)
	if desc != "" {
		return reply{status: http.StatusBadRequest, desc: desc}
	}
	kb, _, kdesc := parseMarkup(req.params.Get("reply_markup"))
	if kdesc != "" {
		return badRequest(kdesc)
	}
	if plain == m.Plain && sameEntities(ents, m.Entities) && sameMarkup(kb, m.Markup) {
		return badRequest(notModified)
	}
	m.Text, m.ParseMode, m.Plain, m.Entities, m.Markup = text, mode, plain, ents, storedMarkup(kb)
	m.Edits++
	m.editDate = req.call.At
	return ok(s.wire(m, true))
}

func (s *Server) editMessageReplyMarkup(req *request) reply {
	m, rp, good := s.editTarget(req)
	if !good {
		return rp
	}
	kb, _, kdesc := parseMarkup(req.params.Get("reply_markup"))
	if kdesc != "" {
		return badRequest(kdesc)
	}
	if sameMarkup(kb, m.Markup) {
		return badRequest(notModified)
	}
	m.Markup = storedMarkup(kb)
	m.Edits++
	m.editDate = req.call.At
	return ok(s.wire(m, true))
}

func (s *Server) answerCallbackQuery(req *request) reply {
	id := req.params.Get("callback_query_id")
	cb := s.callbacks[id]
	if cb != nil {
		req.call.ChatID = cb.chatID
	}
	if cb == nil || cb.answered {
		return badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	if UTF16Len(req.params.Get("text")) > 200 {
		return badRequest("MESSAGE_TOO_LONG")
	}
	cb.answered = true
	return ok(true)
}

func commandName(c string) bool {
	if len(c) == 0 || len(c) > 32 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if b := c[i]; !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_') {
			return false
		}
	}
	return true
}

func (s *Server) setMyCommands(req *request) reply {
	var cmds []BotCommand
	if err := json.Unmarshal([]byte(req.params.Get("commands")), &cmds); err != nil {
		return badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return badRequest("too many commands")
	}
	for _, c := range cmds {
		if !commandName(c.Command) {
			return badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf8.RuneCountInString(c.Description); n < 1 || n > 256 {
			return badRequest("command description is empty or too long")
		}
	}
	s.commands = cmds
	return ok(true)
}

func (s *Server) getFile(req *request) reply {
	f := s.files[req.params.Get("file_id")]
	if f == nil {
		return badRequest("invalid file_id")
	}
	req.call.FileID = f.id
	return ok(wireFile{FileID: f.id, FileUniqueID: f.uniqueID, FileSize: len(f.data), FilePath: f.path})
}

func (s *Server) sendChatAction(req *request) reply {
	if _, rp, good := s.targetChat(req); !good {
		return rp
	}
	if req.params.Get("action") == "" {
		return badRequest("action is empty")
	}
	return ok(true)
}

func (s *Server) deleteMessage(req *request) reply {
	cs, rp, good := s.targetChat(req)
	if !good {
		return rp
	}
	if cs.msgs[req.call.MessageID] == nil {
		return badRequest("message to delete not found")
	}
	delete(cs.msgs, req.call.MessageID)
	return ok(true)
}

// ---- getUpdates ----

// confirmLocked drops updates below offset (a negative offset keeps only
// the last -offset updates, as Telegram does).
func (s *Server) confirmLocked(offset int) {
	switch {
	case offset > 0:
		i := 0
		for i < len(s.updates) && s.updates[i].id < offset {
			i++
		}
		if i > 0 {
			s.updates = append([]pendingUpdate(nil), s.updates[i:]...)
			s.notifyLocked()
		}
		if offset > s.offset {
			s.offset = offset
			s.notifyLocked()
		}
	case offset < 0:
		if keep := -offset; keep < len(s.updates) {
			s.updates = append([]pendingUpdate(nil), s.updates[len(s.updates)-keep:]...)
			s.notifyLocked()
		}
	}
}

// availableLocked returns up to limit updates, dropping those of types not
// in allowed_updates (Telegram would not have produced them).
func (s *Server) availableLocked(limit int) []pendingUpdate {
	if s.allowed != nil {
		kept := s.updates[:0:0]
		for _, u := range s.updates {
			if s.allowed[u.kind] {
				kept = append(kept, u)
			}
		}
		s.updates = kept
	}
	if len(s.updates) < limit {
		limit = len(s.updates)
	}
	return s.updates[:limit]
}

func (s *Server) getUpdates(w http.ResponseWriter, req *request) {
	call := req.call
	offset := atoi(req.params.Get("offset"))
	limit := atoi(req.params.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	if s.maxUpdates > 0 {
		limit = min(limit, s.maxUpdates)
	}
	wait := time.Duration(atoi(req.params.Get("timeout"))) * time.Second
	if wait < 0 {
		wait = 0
	}
	if s.maxPoll > 0 && wait > s.maxPoll {
		wait = s.maxPoll
	}
	var allowed map[string]bool
	setAllowed := false
	if raw := req.params.Get("allowed_updates"); raw != "" && raw != "null" {
		var list []string
		if err := json.Unmarshal([]byte(raw), &list); err != nil {
			s.finish(w, call, badRequest("can't parse allowed updates JSON"))
			return
		}
		setAllowed = true
		if len(list) > 0 {
			allowed = map[string]bool{}
			for _, k := range list {
				allowed[k] = true
			}
		}
	}

	s.mu.Lock()
	if s.webhook != "" {
		s.mu.Unlock()
		s.finish(w, call, errReply(http.StatusConflict, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"))
		return
	}
	if setAllowed {
		s.allowed = allowed
	}
	s.pollGen++
	gen := s.pollGen
	s.notifyLocked() // a poll still waiting ends with 409
	s.confirmLocked(offset)
	s.mu.Unlock()

	timer := time.NewTimer(wait)
	defer timer.Stop()
	expired := wait == 0
	held := false
	defer func() {
		if held {
			s.mu.Lock()
			s.polling--
			s.notifyLocked()
			s.mu.Unlock()
		}
	}()
	for {
		s.mu.Lock()
		switch {
		case s.closed:
			s.mu.Unlock()
			call.OK = true
			s.finish(w, call, ok([]any{}))
			return
		case s.down != Up:
			mode := s.down
			s.mu.Unlock()
			s.serveDown(w, call, mode)
			return
		case s.pollGen != gen:
			s.mu.Unlock()
			s.finish(w, call, errReply(http.StatusConflict, conflictDescription))
			return
		}
		ups := s.availableLocked(limit)
		if len(ups) > 0 || expired {
			raws := make([][]byte, len(ups))
			for i, u := range ups {
				raws[i] = u.raw
				call.UpdateIDs = append(call.UpdateIDs, u.id)
			}
			s.mu.Unlock()
			body := append([]byte(`{"ok":true,"result":[`), bytes.Join(raws, []byte{','})...)
			body = append(body, "]}"...)
			call.Status, call.OK = http.StatusOK, true
			s.record(call)
			writeJSON(w, http.StatusOK, body)
			return
		}
		if !held {
			held = true
			s.polling++
			s.notifyLocked()
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-timer.C:
			expired = true
		case <-req.r.Context().Done():
			call.Status, call.Description = 0, "client gave up"
			s.record(call)
			return
		}
	}
}
