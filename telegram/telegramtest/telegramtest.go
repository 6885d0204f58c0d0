// Package telegramtest is a fake Telegram Bot API server for tests: the real
// go-telegram-bot-api client talks to it over HTTP (httptest), so a test
// exercises the same requests, JSON and errors as production.
//
// A test starts one with New, points the client at it with
//
//	api, err := tgbotapi.NewBotAPIWithAPIEndpoint(srv.Token(), srv.Endpoint())
//
// and then plays the users' side: SendText, SendPhoto, PressButton and
// PushRaw queue updates for getUpdates; Calls, Sent and WaitFor show what
// the bot did. FailNext, BlockChat, MigrateChat, Conflict and SetDown inject
// the failures Telegram produces (429 with retry_after, 403, 400 with
// migrate_to_chat_id, 409, outages).
//
// The server enforces Telegram's own rules that catch real bugs: text and
// caption limits (counted in UTF-16 code units after entity parsing),
// well-formed HTML with only Telegram's tags (see ParseHTML), UTF-8 text,
// callback_data of 1–64 bytes, "message is not modified", edits of
// messages that do not exist, answering a callback query twice, and one
// getUpdates at a time (a second one ends the first with 409).
//
// Numbering: update ids start at 100001 (WithFirstUpdateID) and grow by one;
// message ids are per chat, from 1, shared by the users' messages and the
// bot's, as in Telegram, so they collide across chats and never equal an
// update id in small tests.
package telegramtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultToken is the token a Server accepts unless WithToken says
// otherwise. The bot's user id is the part before the colon.
const DefaultToken = "123456:TEST-token-abcdef"

// DefaultFirstUpdateID is the update_id of the first queued update.
const DefaultFirstUpdateID = 100001

const conflictDescription = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"

// DownMode is how the server behaves during an outage (SetDown).
type DownMode int

const (
	// Up serves requests normally.
	Up DownMode = iota
	// Refuse closes every connection at once without a response, as a
	// dropped network does (the client sees EOF / connection reset).
	Refuse
	// Status502 answers every request with 502 and an nginx HTML page, as
	// Telegram's front end does during an outage: the client fails to
	// decode it as JSON.
	Status502
)

// Fault is an error injected by FailNext.
type Fault struct {
	// Status is the HTTP status and error_code. When 0 it is 429 if
	// RetryAfter is set, 400 if MigrateToChatID is set, and otherwise no
	// error is returned (only Delay or Drop apply).
	Status int
	// Description defaults to Telegram's text for Status ("Too Many
	// Requests: retry after N", "Forbidden: bot was blocked by the user" …).
	Description     string
	RetryAfter      int   // parameters.retry_after
	MigrateToChatID int64 // parameters.migrate_to_chat_id
	// ChatID limits the fault to calls whose chat_id is this chat; 0 means
	// any call of the method.
	ChatID int64
	// Delay holds the request this long before acting on it (released early
	// by Close or when the client gives up). Use it to trip a client timeout.
	Delay time.Duration
	// Drop closes the connection without a response.
	Drop bool
	// Delivered performs the call first (the message is delivered and
	// recorded with OK) and only then fails or drops: a timeout or error
	// after Telegram accepted the message.
	Delivered bool
}

// Option configures New.
type Option func(*Server)

// WithClock sets the clock used for message dates, Call.At and SendTimes;
// it must be safe for concurrent use. Long-poll timeouts and Fault.Delay
// use real time regardless.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithToken sets the accepted token; the bot's user id is its numeric
// prefix.
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// WithBotUser sets what getMe returns (IsBot is forced true).
func WithBotUser(u User) Option { return func(s *Server) { s.bot = u } }

// WithMaxPollWait caps how long a getUpdates request is held, whatever
// timeout the client asks for, so a test of an idle bot need not wait 50 s.
func WithMaxPollWait(d time.Duration) Option { return func(s *Server) { s.maxPoll = d } }

// WithStrictChats makes sends to a chat the server has never seen (through
// a pushed update, or KnownChat) fail with 400 "Bad Request: chat not
// found", as Telegram does. By default any chat id is accepted.
// WithMaxUpdatesPerPoll caps how many updates one getUpdates answer holds,
// below the limit the bot asks for: a bot that handles an answer in one
// transaction then commits in several steps, as when updates trickle in.
func WithMaxUpdatesPerPoll(n int) Option { return func(s *Server) { s.maxUpdates = n } }

func WithStrictChats() Option { return func(s *Server) { s.strictChats = true } }

// WithFirstUpdateID sets the first update_id.
func WithFirstUpdateID(id int) Option { return func(s *Server) { s.nextUpdateID = id } }

// Server is a running fake Bot API. All methods are safe for concurrent
// use.
type Server struct {
	tb          testing.TB
	srv         *httptest.Server
	token       string
	bot         User
	now         func() time.Time
	maxPoll     time.Duration
	maxUpdates  int // WithMaxUpdatesPerPoll; 0: the bot's limit
	strictChats bool
	albums      int           // media groups made by SendAlbum
	done        chan struct{} // closed by Close

	mu           sync.Mutex
	changed      chan struct{} // closed and replaced on every state change
	closed       bool
	calls        []Call
	okCounts     map[okKey]int // calls that took effect, by method and chat (OKCount)
	updates      []pendingUpdate
	nextUpdateID int
	offset       int
	allowed      map[string]bool // nil: every type
	pollGen      int
	polling      int // getUpdates requests being held
	chats        map[int64]*chatState
	files        map[string]*storedFile // by file_id
	paths        map[string]*storedFile // by file_path
	nextFile     int
	callbacks    map[string]*callbackState
	faults       []*faultRule
	blocked      map[int64]bool
	migrated     map[int64]int64
	down         DownMode
	webhook      string
	commands     []BotCommand
	sendTimes    map[int64][]time.Time
}

type pendingUpdate struct {
	id   int
	kind string // "message", "callback_query" …
	raw  []byte
}

type chatState struct {
	chat   Chat
	nextID int
	msgs   map[int]*Msg
}

type storedFile struct {
	id, uniqueID, path, name string
	data                     []byte
}

type callbackState struct {
	chatID   int64
	answered bool
}

type faultRule struct {
	method string // canonical, "" for any
	left   int
	f      Fault
}

// New starts a server; tb.Cleanup closes it.
func New(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{
		tb:           tb,
		token:        DefaultToken,
		now:          time.Now,
		done:         make(chan struct{}),
		changed:      make(chan struct{}),
		nextUpdateID: DefaultFirstUpdateID,
		chats:        map[int64]*chatState{},
		files:        map[string]*storedFile{},
		paths:        map[string]*storedFile{},
		callbacks:    map[string]*callbackState{},
		blocked:      map[int64]bool{},
		migrated:     map[int64]int64{},
		sendTimes:    map[int64][]time.Time{},
		okCounts:     map[okKey]int{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.bot.ID == 0 {
		id, _ := strconv.ParseInt(strings.SplitN(s.token, ":", 2)[0], 10, 64)
		s.bot = User{ID: id, FirstName: "Planbot Test", Username: "planbot_test_bot"}
	}
	s.bot.IsBot = true
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server. Pending long polls return at once with no
// updates, delayed faults are released, and later requests fail to
// connect. It is idempotent and called by tb.Cleanup.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	s.notifyLocked()
	s.mu.Unlock()
	s.srv.Close()
}

// URL is the server's base URL ("http://127.0.0.1:PORT").
func (s *Server) URL() string { return s.srv.URL }

// Endpoint is the API endpoint for tgbotapi.NewBotAPIWithAPIEndpoint:
// "http://127.0.0.1:PORT/bot%s/%s".
func (s *Server) Endpoint() string { return s.srv.URL + "/bot%s/%s" }

// FileEndpoint is the download endpoint, like tgbotapi.FileEndpoint:
// fmt.Sprintf(FileEndpoint(), token, file.FilePath). (tgbotapi's File.Link
// always uses api.telegram.org.)
func (s *Server) FileEndpoint() string { return s.srv.URL + "/file/bot%s/%s" }

// Token is the token the server accepts; any other gets 401.
func (s *Server) Token() string { return s.token }

// BotUser is what getMe returns.
func (s *Server) BotUser() User { return s.bot }

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// ---- inbound: updates for getUpdates ----

func (s *Server) chatLocked(c Chat) *chatState {
	if c.Type == "" {
		c.Type = guessType(c.ID)
	}
	cs := s.chats[c.ID]
	if cs == nil {
		cs = &chatState{chat: c, nextID: 1, msgs: map[int]*Msg{}}
		s.chats[c.ID] = cs
	} else {
		cs.chat = c
	}
	return cs
}

// guessType tells a chat's type from its id, as Telegram's ids allow.
func guessType(id int64) string {
	switch {
	case id < -1000000000000:
		return "supergroup"
	case id < 0:
		return "group"
	}
	return "private"
}

func (cs *chatState) add(m *Msg) *Msg {
	m.ChatID = cs.chat.ID
	m.ID = cs.nextID
	cs.nextID++
	cs.msgs[m.ID] = m
	return m
}

func (s *Server) wire(m *Msg, withReply bool) *wireMessage {
	cs := s.chats[m.ChatID]
	w := &wireMessage{
		MessageID:       m.ID,
		SenderChat:      m.senderChat,
		Date:            m.Date.Unix(),
		Chat:            cs.chat,
		Text:            m.Plain,
		Entities:        m.Entities,
		Photo:           m.photo,
		Document:        m.doc,
		Caption:         m.Caption,
		CaptionEntities: m.capEntities,
		MediaGroupID:    m.mediaGroup,
		ReplyMarkup:     m.Markup,
	}
	from := m.From
	w.From = &from
	if !m.editDate.IsZero() {
		w.EditDate = m.editDate.Unix()
	}
	if withReply && m.replyTo != 0 {
		if r := cs.msgs[m.replyTo]; r != nil {
			w.ReplyToMessage = s.wire(r, false)
		}
	}
	return w
}

func (s *Server) queueLocked(u wireUpdate, kind string) int {
	u.UpdateID = s.nextUpdateID
	s.nextUpdateID++
	raw, err := json.Marshal(u)
	if err != nil {
		panic(err)
	}
	s.updates = append(s.updates, pendingUpdate{id: u.UpdateID, kind: kind, raw: raw})
	s.notifyLocked()
	return u.UpdateID
}

// KnownChat makes the server know chat (its type and title) without an
// update, for WithStrictChats and for the chat object in responses.
func (s *Server) KnownChat(chat Chat) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatLocked(chat)
}

// SendText queues a text message from a user in chat and returns its
// update_id. /commands get bot_command entities, as from Telegram. It may
// be called from any goroutine.
func (s *Server) SendText(from User, chat Chat, text string) int {
	return s.sendText(from, chat, text, 0)
}

// ReplyText is SendText as a reply to message replyTo of the chat.
func (s *Server) ReplyText(from User, chat Chat, replyTo int, text string) int {
	return s.sendText(from, chat, text, replyTo)
}

func (s *Server) sendText(from User, chat Chat, text string, replyTo int) int {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chatLocked(chat)
	m := cs.add(&Msg{From: from, Date: now, Text: text, Plain: text, Entities: commandEntities(text), replyTo: replyTo})
	return s.queueLocked(wireUpdate{Message: s.wire(m, true)}, "message")
}

// SendAnonymous queues a message an anonymous administrator writes in a
// group: from is GroupAnonymousBot (AnonymousAdminID) and sender_chat is
// the group itself.
func (s *Server) SendAnonymous(chat Chat, text string) int {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chatLocked(chat)
	sc := cs.chat
	m := cs.add(&Msg{From: anonymousAdmin, senderChat: &sc, Date: now, Text: text, Plain: text, Entities: commandEntities(text)})
	return s.queueLocked(wireUpdate{Message: s.wire(m, true)}, "message")
}

// EditText queues an edited_message update: the user edited their message
// messageID to text.
func (s *Server) EditText(from User, chat Chat, messageID int, text string) int {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chatLocked(chat)
	m := cs.msgs[messageID]
	if m == nil {
		m = &Msg{ChatID: chat.ID, ID: messageID, From: from, Date: now}
		cs.msgs[messageID] = m
	}
	m.Text, m.Plain, m.Entities = text, text, commandEntities(text)
	m.editDate = now
	m.Edits++
	return s.queueLocked(wireUpdate{EditedMessage: s.wire(m, true)}, "edited_message")
}

// SendPhoto queues a photo message with caption. Each file id is one size
// of the photo, smallest first (as Telegram lists them); with none, one id
// is made up. The ids become known to getFile and to sends by file_id
// (their content is a placeholder unless AddFile set it).
func (s *Server) SendPhoto(from User, chat Chat, caption string, fileIDs ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sendPhotoLocked(from, chat, caption, "", fileIDs)
}

// SendFile queues a document message (a PDF, a Word or Excel file) named
// name with caption, and returns its update id. Its file id becomes known
// to getFile.
func (s *Server) SendFile(from User, chat Chat, caption, name string) int {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newFileIDLocked("document")
	f := s.addFileLocked(id, name, fmt.Appendf(nil, "fake document %s", name), "documents")
	cs := s.chatLocked(chat)
	m := cs.add(&Msg{From: from, Date: now, Caption: caption, FileID: id,
		doc: &document{FileID: id, FileUniqueID: f.uniqueID, FileName: name, FileSize: len(f.data)}})
	return s.queueLocked(wireUpdate{Message: s.wire(m, true)}, "message")
}

// SendAlbum queues n photos sent together as an album, as Telegram
// delivers one: a message per photo, sharing a media_group_id, the caption
// on the first. It returns their update ids.
func (s *Server) SendAlbum(from User, chat Chat, caption string, n int) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.albums++
	group := fmt.Sprintf("1%017d", s.albums)
	var ids []int
	for i := range n {
		if i > 0 {
			caption = ""
		}
		ids = append(ids, s.sendPhotoLocked(from, chat, caption, group, nil))
	}
	return ids
}

func (s *Server) sendPhotoLocked(from User, chat Chat, caption, group string, fileIDs []string) int {
	now := s.now()
	if len(fileIDs) == 0 {
		fileIDs = []string{s.newFileIDLocked("photo")}
	}
	var sizes []photoSize
	for i, id := range fileIDs {
		f := s.files[id]
		if f == nil {
			f = s.addFileLocked(id, "photo.jpg", fmt.Appendf(nil, "fake photo %s", id), "photos")
		}
		w := 90 * (i + 1) * (i + 1)
		sizes = append(sizes, photoSize{FileID: id, FileUniqueID: f.uniqueID, Width: w, Height: w * 3 / 4, FileSize: len(f.data)})
	}
	cs := s.chatLocked(chat)
	m := cs.add(&Msg{From: from, Date: now, Caption: caption, photo: sizes, mediaGroup: group, FileID: fileIDs[len(fileIDs)-1]})
	return s.queueLocked(wireUpdate{Message: s.wire(m, true)}, "message")
}

// CallbackQueryID is the callback_query id of the press queued as update
// updateID (by PressButton or PressButtonText).
func CallbackQueryID(updateID int) string { return "cq" + strconv.Itoa(updateID) }

// PressButton queues a callback_query: from pressed a button carrying data
// on message messageID of chat. The query's message is the stored message
// as it is now (text and keyboard after edits); a message the server never
// saw is sent as just its id, date and chat. The data is not checked
// against the keyboard (see PressButtonText). The query id is
// CallbackQueryID(update id).
func (s *Server) PressButton(from User, chat Chat, messageID int, data string) int {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chatLocked(chat)
	var wm *wireMessage
	if m := cs.msgs[messageID]; m != nil {
		wm = s.wire(m, true)
	} else {
		wm = &wireMessage{MessageID: messageID, Date: now.Unix(), Chat: cs.chat}
	}
	id := CallbackQueryID(s.nextUpdateID)
	s.callbacks[id] = &callbackState{chatID: chat.ID}
	q := &wireCallbackQuery{ID: id, From: from, Message: wm, ChatInstance: strconv.FormatUint(uint64(chat.ID)*2654435761, 10), Data: data}
	return s.queueLocked(wireUpdate{CallbackQuery: q}, "callback_query")
}

// PressButtonText presses the button labelled label on the current
// keyboard of message messageID. It fails the test (FailNow: call it from
// the test goroutine) if there is no such callback button.
func (s *Server) PressButtonText(from User, chat Chat, messageID int, label string) int {
	s.tb.Helper()
	s.mu.Lock()
	var markup *InlineKeyboard
	if cs := s.chats[chat.ID]; cs != nil && cs.msgs[messageID] != nil {
		markup = cs.msgs[messageID].Markup
	}
	s.mu.Unlock()
	b, ok := markup.Find(label)
	if !ok || b.CallbackData == "" {
		s.tb.Fatalf("telegramtest: message %d in chat %d has no callback button %q; buttons: %v", messageID, chat.ID, label, markup.Buttons())
	}
	return s.PressButton(from, chat, messageID, b.CallbackData)
}

// PushRaw queues an arbitrary update, given as a JSON object (sender_chat,
// channel posts, invalid UTF-8 in strings …), and returns its update_id.
// Without an "update_id" the next one is spliced in; with one, it is kept
// and later ids continue above it. Invalid JSON fails the test (Errorf) and
// returns 0.
func (s *Server) PushRaw(updateJSON string) int {
	return s.PushRawBatch(updateJSON)[0]
}

// PushRawBatch queues several updates as PushRaw does, at once: a poll
// gets all of them or none, as when Telegram redelivers a batch.
func (s *Server) PushRawBatch(updatesJSON ...string) []int {
	type parsed struct {
		raw    []byte
		fields map[string]json.RawMessage
		kind   string
	}
	var ps []parsed
	for _, u := range updatesJSON {
		raw := []byte(strings.TrimSpace(u))
		var fields map[string]json.RawMessage
		if !json.Valid(raw) || json.Unmarshal(raw, &fields) != nil {
			s.tb.Errorf("telegramtest: PushRaw: not a JSON object: %q", u)
			ps = append(ps, parsed{})
			continue
		}
		kind := ""
		for k := range fields {
			if k != "update_id" && (kind == "" || k < kind) {
				kind = k
			}
		}
		ps = append(ps, parsed{raw: raw, fields: fields, kind: kind})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int, len(ps))
	for i, p := range ps {
		if p.fields == nil {
			continue
		}
		raw := p.raw
		id := s.nextUpdateID
		if v, ok := p.fields["update_id"]; ok {
			if err := json.Unmarshal(v, &id); err != nil {
				s.tb.Errorf("telegramtest: PushRaw: bad update_id: %v", err)
				continue
			}
		} else {
			rest := strings.TrimSpace(string(raw[1:]))
			sep := ","
			if rest == "}" {
				sep = ""
			}
			raw = fmt.Appendf(nil, `{"update_id":%d%s%s`, id, sep, rest)
		}
		if id >= s.nextUpdateID {
			s.nextUpdateID = id + 1
		}
		s.updates = append(s.updates, pendingUpdate{id: id, kind: p.kind, raw: raw})
		ids[i] = id
	}
	s.notifyLocked()
	return ids
}

// AddFile registers a file the bot may fetch with getFile and download
// from FileEndpoint, or send by file_id.
func (s *Server) AddFile(fileID, name string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.files[fileID]; f != nil {
		f.name, f.data = name, data
		return
	}
	s.addFileLocked(fileID, name, data, "documents")
}

func (s *Server) newFileIDLocked(kind string) string {
	s.nextFile++
	return fmt.Sprintf("fake-%s-%d", kind, s.nextFile)
}

func (s *Server) addFileLocked(id, name string, data []byte, dir string) *storedFile {
	s.nextFile++
	ext := ".bin"
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ext = name[i:]
	}
	f := &storedFile{id: id, uniqueID: fmt.Sprintf("uniq%d", s.nextFile), path: fmt.Sprintf("%s/file_%d%s", dir, s.nextFile, ext), name: name, data: data}
	s.files[id] = f
	s.paths[f.path] = f
	return f
}

// ---- outbound: what the bot did ----

// Calls returns every request the bot made, in the order the server
// finished them (a long poll is recorded when it returns).
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// CallsTo returns the calls of one method.
func (s *Server) CallsTo(method string) []Call {
	return Filter(s.Calls(), func(c Call) bool { return c.Method == method })
}

// Sent returns the sendMessage, sendPhoto, sendDocument and
// editMessageText calls to chatID that took effect (OK), in order.
func (s *Server) Sent(chatID int64) []Call {
	return SentTo(s.Calls(), chatID)
}

// SentTo is Sent over a snapshot of calls, for WaitFor conditions.
func SentTo(calls []Call, chatID int64) []Call {
	return Filter(calls, func(c Call) bool {
		switch c.Method {
		case "sendMessage", "sendPhoto", "sendDocument", "editMessageText":
			return c.OK && c.ChatID == chatID
		}
		return false
	})
}

// Filter returns the calls keep accepts.
func Filter(calls []Call, keep func(Call) bool) []Call {
	var out []Call
	for _, c := range calls {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// Message returns message id of chatID as it is now.
func (s *Server) Message(chatID int64, id int) (Msg, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cs := s.chats[chatID]; cs != nil && cs.msgs[id] != nil {
		return *cs.msgs[id], true
	}
	return Msg{}, false
}

// Messages returns the chat's messages, users' and bot's, by id.
func (s *Server) Messages(chatID int64) []Msg {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chats[chatID]
	if cs == nil {
		return nil
	}
	out := make([]Msg, 0, len(cs.msgs))
	for _, m := range cs.msgs {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Msg) int { return a.ID - b.ID })
	return out
}

// SendTimes returns the clock times of the sendMessage, sendPhoto and
// sendDocument requests to chatID that reached the server while it was up,
// whatever their outcome (a 429 still counts as an attempt).
func (s *Server) SendTimes(chatID int64) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sendTimes[chatID])
}

// Commands returns the last command list set by setMyCommands.
func (s *Server) Commands() []BotCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands)
}

// Offset is the highest offset a getUpdates call has confirmed (0 if none).
func (s *Server) Offset() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offset
}

// Polling is the number of getUpdates requests the server is holding
// open, waiting for an update. WaitFor with Polling() > 0 tells that the
// bot is idle in a long poll.
func (s *Server) Polling() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.polling
}

// WaitPolling waits until a getUpdates request is being held open.
func (s *Server) WaitPolling(tb testing.TB, timeout time.Duration) {
	tb.Helper()
	s.WaitFor(tb, timeout, func([]Call) bool { return s.Polling() > 0 })
}

// Pending is the number of updates not yet confirmed.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// WaitFor blocks until cond holds for the calls so far and returns them.
// cond runs on a snapshot without the server's lock held, so it may call
// the server's other methods (Offset, Pending, Message …); it is
// re-evaluated on every change: a call recorded, an update queued or
// confirmed. On timeout WaitFor fails the test with tb.Fatalf listing the
// calls seen, so call it from the test goroutine.
func (s *Server) WaitFor(tb testing.TB, timeout time.Duration, cond func(calls []Call) bool) []Call {
	tb.Helper()
	var calls []Call
	s.waitChanged(tb, timeout, func() bool {
		calls = s.Calls()
		return cond(calls)
	}, func() {
		tb.Fatalf("telegramtest: condition not met within %v; offset %d, %d pending updates; calls:\n%s",
			timeout, s.Offset(), s.Pending(), Describe(calls))
	})
	return calls
}

// waitChanged re-evaluates cond on every change of the server's state
// until it holds, or calls timedOut once timeout has passed.
func (s *Server) waitChanged(tb testing.TB, timeout time.Duration, cond func() bool, timedOut func()) {
	tb.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		ch := s.changed // taken before cond looks: a change after it closes ch
		s.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-timer.C:
			timedOut()
			return
		}
	}
}

// WaitSent waits until Sent(chatID) has at least n calls and returns them;
// it fails the test like WaitFor on timeout.
func (s *Server) WaitSent(tb testing.TB, chatID int64, n int, timeout time.Duration) []Call {
	tb.Helper()
	calls := s.WaitFor(tb, timeout, func(calls []Call) bool { return len(SentTo(calls, chatID)) >= n })
	return SentTo(calls, chatID)
}

// WaitConfirmed waits until every update up to updateID has been confirmed
// by getUpdates (the bot asked for offset > updateID).
func (s *Server) WaitConfirmed(tb testing.TB, updateID int, timeout time.Duration) {
	tb.Helper()
	s.WaitFor(tb, timeout, func([]Call) bool { return s.Offset() > updateID })
}

// Describe formats calls one per line for failure messages; runs of empty
// getUpdates are summarised.
func Describe(calls []Call) string {
	var b strings.Builder
	idle := 0
	flush := func() {
		if idle > 0 {
			fmt.Fprintf(&b, "  (%d getUpdates with no updates)\n", idle)
			idle = 0
		}
	}
	for i, c := range calls {
		if c.Method == "getUpdates" && c.Status == 200 && len(c.UpdateIDs) == 0 {
			idle++
			continue
		}
		flush()
		fmt.Fprintf(&b, "  #%d %s %s", i, c.At.Format("15:04:05.000"), c.Method)
		if c.ChatID != 0 {
			fmt.Fprintf(&b, " chat=%d", c.ChatID)
		}
		if c.MessageID != 0 {
			fmt.Fprintf(&b, " msg=%d", c.MessageID)
		}
		if len(c.UpdateIDs) > 0 {
			fmt.Fprintf(&b, " updates=%v", c.UpdateIDs)
		}
		fmt.Fprintf(&b, " status=%d", c.Status)
		if c.Description != "" {
			fmt.Fprintf(&b, " %q", c.Description)
		}
		if t := c.Text + c.Caption; t != "" {
			if r := []rune(t); len(r) > 80 {
				t = string(r[:80]) + "…"
			}
			fmt.Fprintf(&b, " text=%q", t)
		}
		b.WriteByte('\n')
	}
	flush()
	if b.Len() == 0 {
		return "  (none)\n"
	}
	return b.String()
}

// ---- fault injection ----

// FailNext makes the next n calls of method (canonical name, e.g.
// "sendMessage"; "" for any method) fail with f; with f.ChatID set, only
// calls to that chat count. Rules queue up and are consumed in order.
func (s *Server) FailNext(method string, n int, f Fault) {
	if n <= 0 {
		return
	}
	if c, ok := canonicalMethod(method); ok {
		method = c
	}
	if f.Status == 0 {
		switch {
		case f.RetryAfter > 0:
			f.Status = http.StatusTooManyRequests
		case f.MigrateToChatID != 0:
			f.Status = http.StatusBadRequest
		}
	}
	if f.Status != 0 && f.Description == "" {
		f.Description = defaultDescription(f)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{method: method, left: n, f: f})
}

func defaultDescription(f Fault) string {
	switch f.Status {
	case 400:
		if f.MigrateToChatID != 0 {
			return "Bad Request: group chat was upgraded to a supergroup chat"
		}
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden: bot was blocked by the user"
	case 404:
		return "Not Found"
	case 409:
		return conflictDescription
	case 429:
		return fmt.Sprintf("Too Many Requests: retry after %d", f.RetryAfter)
	case 500:
		return "Internal Server Error"
	case 502:
		return "Bad Gateway"
	}
	return http.StatusText(f.Status)
}

// Conflict makes the next n getUpdates fail with 409 "Conflict: terminated
// by other getUpdates request; make sure that only one bot instance is
// running".
func (s *Server) Conflict(n int) {
	s.FailNext("getUpdates", n, Fault{Status: http.StatusConflict})
}

// BlockChat makes every call to chatID fail with 403: "Forbidden: bot was
// blocked by the user" for a private chat, "Forbidden: bot was kicked from
// the group chat" (or supergroup chat) for a group.
func (s *Server) BlockChat(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[chatID] = true
}

// UnblockChat undoes BlockChat.
func (s *Server) UnblockChat(chatID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.blocked, chatID)
}

// MigrateChat turns group from into supergroup to: every later call to
// from fails with 400 "Bad Request: group chat was upgraded to a
// supergroup chat" and parameters.migrate_to_chat_id = to.
func (s *Server) MigrateChat(from, to int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.migrated[from] = to
	title := ""
	if cs := s.chats[from]; cs != nil {
		title = cs.chat.Title
	}
	s.chatLocked(SupergroupChat(to, title))
}

// SetDown starts (Refuse, Status502) or ends (Up) an outage. Pending long
// polls end at once in the new mode.
func (s *Server) SetDown(mode DownMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = mode
	s.notifyLocked()
}

// SetWebhook marks a webhook as set: getUpdates then fails with 409 "Conflict:
// can't use getUpdates method while webhook is active; use deleteWebhook to
// delete the webhook first" until the bot calls deleteWebhook.
func (s *Server) SetWebhook(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = url
	s.notifyLocked()
}
