// Package wecomtest is a fake WeCom (企业微信) for tests: the 智能机器人
// (AI bot) long connection over a real WebSocket, the media download
// server behind the callbacks' encrypted image/file URLs, and the 群机器人
// (group robot) webhook. The adapter under test talks to it exactly as to
// WeCom (same frames, JSON and error codes), so a test exercises the
// production code paths. The protocol is the one docs/WECOM-PROTOCOL.md
// describes; section E of that file is the checklist this package follows.
//
// A test starts one with New, points the adapter at URL() and WebhookURL(),
// waits for the subscription with WaitSubscribed, then plays the users'
// side: SendText, SendGroupText, SendImage, SendFile, EnterChat, Click,
// Resend and PushRaw push callbacks; Takeover, Drop, Mute, RefuseSubscribe,
// FailNext and SetAckDelay inject the failures WeCom produces. Sent, Hooks
// and Frames show what the bot did; WaitSent, WaitHooks and WaitFor block
// on the server's change signal (never on a sleep), their timeout only a
// guard that fails the test.
//
// What the fake enforces (each from the protocol notes):
//   - every client frame is {cmd, headers{req_id}, body} and gets an ack
//     {headers{req_id}, errcode, errmsg[, body]} without cmd, req_id echoed
//     byte for byte; errmsg carries the real server's ", hint: …" suffix;
//   - the first frame must be aibot_subscribe with the right bot_id and
//     secret, else 853000 with the socket left open;
//   - one live connection per bot: a second successful subscribe pushes
//     disconnected_event to the old socket and drops it without a close
//     frame (Takeover does the same on demand);
//   - aibot_respond_msg only with the req_id of an aibot_msg_callback
//     (846605 otherwise), stream content ≤ 20480 bytes, streams are
//     snapshots keyed by stream.id and expire after WithStreamIdle without
//     update (846608); aibot_respond_welcome_msg only for enter_chat and
//     aibot_respond_update_msg only for template_card_event, both within
//     5 s of the event;
//   - aibot_send_msg only to a chat that has written to the bot (846607):
//     one a message callback came from, or KnownChat;
//   - template cards: known card_type; a button_interaction card needs a
//     task_id of 1–128 [A-Za-z0-9_\-@], a title or sub_title_text and 1–6
//     buttons with text and a unique key of 1–1024 bytes;
//   - media upload in init/chunk/finish, chunks ≤ 512 KiB before base64,
//     ≤ 100 chunks, size and md5 checked at finish; media_id valid 3 days;
//   - 30 messages per minute and 1000 per hour per chat, replies, pushes
//     and every stream frame together (45009);
//   - callback media encrypted with AES-256-CBC, a random 32-byte key,
//     IV = key[:16], PKCS#7 padding to a multiple of 32, URLs expiring
//     after WithMediaTTL;
//   - webhook: unknown key 93000, text > 2048 bytes or markdown > 4096
//     bytes 40058, image md5 301019, image > 2 MiB, 20 messages per minute
//     per key 45009, upload_media with the multipart field "media" of
//     6 B–20 MiB; errors are HTTP 200 with an errcode.
//
// Assumed where WeCom's behaviour is unknown ([?] in the protocol notes);
// change the fake if a real bot shows otherwise:
//   - a frame before a successful subscribe gets ErrNotSubscribed (853001,
//     the fake's own code) and the socket stays open;
//   - stream idleness counts from the stream's last accepted frame; the
//     first frame of a new stream.id is accepted as long as its callback is
//     less than 24 h old (older: 846605); frames after finish:true are
//     accepted and replace the bubble;
//   - every accepted message frame counts against the per-chat limit
//     (stream frames included), card updates and uploads do not; refused
//     frames do not count;
//   - aibot_send_msg: chat_type (1 single, 2 group), when sent, must match
//     the chat; markdown content ≤ 4096 bytes (the webhook's limit, as no
//     figure is documented for pushes); the ack has no body;
//   - a template card's task_id may not be reused (40058) except by
//     aibot_respond_update_msg, which must keep it; card button texts are
//     not length-checked;
//   - enter_chat does not make a chat one that has written;
//   - a media_id must be sent as the type it was uploaded as (else 40007);
//   - chunk indexes start at 0; md5 mismatch at upload finish is 301019;
//     unknown upload_id, missing chunks or a size mismatch are 40058;
//     sizes more than 5 bytes and at most image 10 MiB, video 10 MiB,
//     voice 2 MiB, file 20 MiB (else 40006);
//   - a pushed callback when no connection is subscribed is lost (WeCom
//     is not known to queue for an offline bot); Resend can deliver it
//     later;
//   - the take-over drop is immediate unless WithKickDelay; frames a
//     taken-over, dropped or muted socket sends are read and not answered;
//   - a drop is a TCP FIN without a WebSocket close frame;
//   - the aeskey is sent as unpadded base64 (43 characters), the form the
//     Go port pads by hand; an expired media URL answers HTTP 404; a file
//     download names the file in Content-Disposition (filename and
//     RFC 5987 filename*), an image download names nothing;
//   - webhook: image over 2 MiB is ErrImageSize (40009); upload_media
//     type other than file/voice is 40004, without the field "media"
//     41005, too small or large 40006; only accepted messages count
//     against 20/min; a file message needs a media_id uploaded with the
//     same key; bad JSON 47001; news and template_card messages are
//     accepted with little checking (planbot sends neither);
//   - the callbacks' response_url points at this server but is not served.
package wecomtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults of New.
const (
	DefaultBotID   = "aibtest"
	DefaultSecret  = "secret"
	DefaultBotName = "planbot助手"
)

// Documented limits the fake enforces.
const (
	MaxStreamBytes       = 20480     // stream.content per frame
	MaxPushMarkdownBytes = 4096      // [?] aibot_send_msg markdown.content
	MaxChunkBytes        = 512 << 10 // an upload chunk before base64
	MaxChunks            = 100
	MaxHookText          = 2048    // webhook text.content bytes
	MaxHookMarkdown      = 4096    // webhook markdown(_v2).content bytes
	MaxHookImage         = 2 << 20 // webhook image before base64
	MaxHookFile          = 20 << 20
	HookPerMinute        = 20
	replyWindow          = 24 * time.Hour  // [?] a message callback's req_id stays answerable this long
	eventWindow          = 5 * time.Second // welcome and card update
	mediaIDLife          = 72 * time.Hour
)

// Option configures New.
type Option func(*Server)

// WithBot sets the bot's BotID and Secret (what aibot_subscribe must
// carry) and its display name (the "@name " prefix of group texts).
func WithBot(botID, secret, name string) Option {
	return func(s *Server) { s.botID, s.secret, s.botName = botID, secret, name }
}

// WithClock sets the clock for timestamps, the rate-limit windows, stream
// idleness, media URL and media_id expiry and the 5 s event windows; it
// must be safe for concurrent use. Ack delays and WithKickDelay use real
// time regardless.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithAckDelay holds every ack this long (real time) after the frame took
// effect, as a slow server does; see also SetAckDelay.
func WithAckDelay(d time.Duration) Option { return func(s *Server) { s.ackDelay = d } }

// WithChatLimit sets how many message frames one chat may receive per
// minute and per hour (default 30 and 1000, as documented); a frame over
// either gets 45009 and counts as a violation.
func WithChatLimit(perMinute, perHour int) Option {
	return func(s *Server) { s.perMinute, s.perHour = perMinute, perHour }
}

// WithRobots sets the webhook keys the server knows; any other key gets
// 93000. By default no key is known.
func WithRobots(keys ...string) Option {
	return func(s *Server) {
		for _, k := range keys {
			s.robots[k] = true
		}
	}
}

// WithStreamIdle sets how long a stream may go without an update before
// its frames get 846608 (default 6 minutes).
func WithStreamIdle(d time.Duration) Option { return func(s *Server) { s.streamIdle = d } }

// WithMediaTTL sets how long a callback's media URL can be downloaded
// (default 5 minutes, by the clock).
func WithMediaTTL(d time.Duration) Option { return func(s *Server) { s.mediaTTL = d } }

// WithKickDelay makes a take-over drop the old socket this long (real
// time) after the disconnected_event instead of at once; the real server
// was seen waiting from 2 s to 5 minutes.
func WithKickDelay(d time.Duration) Option { return func(s *Server) { s.kickDelay = d } }

// Server is a running fake WeCom. All methods are safe for concurrent use;
// those taking a testing.TB, and Click and Resend, fail the test and must
// be called from the test goroutine.
type Server struct {
	tb                     testing.TB
	srv                    *httptest.Server
	botID, secret, botName string
	now                    func() time.Time
	perMinute, perHour     int
	robots                 map[string]bool
	streamIdle, mediaTTL   time.Duration
	kickDelay              time.Duration
	ctx                    context.Context // cancelled by Close
	cancel                 context.CancelFunc
	wg                     sync.WaitGroup // WebSocket handlers, which httptest does not track once hijacked

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced on every change
	closed     bool
	ackDelay   time.Duration
	nextConn   int
	conns      map[*conn]bool // open sockets
	live       *conn          // the subscribed connection pushes go to
	subscribed int
	refuse     int
	faults     []fault
	hookFaults []hookFault
	pings      int
	violations int
	frames     []Frame
	sent       []Sent
	hooks      []Hook
	callbacks  map[string]*callback    // by req_id
	pushes     map[string]*pushed      // by msgid, for Resend
	chats      map[string]string       // chats that wrote: id → "single" / "group"
	chatSends  map[string][]time.Time  // accepted message frames per chat, the last hour
	streams    map[string]*stream      // by stream.id
	cards      map[string]*cardState   // by task_id
	uploads    map[string]*upload      // by upload_id
	media      map[string]*storedMedia // long-connection media by media_id
	downloads  map[string]*download    // callback media by URL token
	hookSends  map[string][]time.Time  // accepted webhook messages per key, the last minute
	hookMedia  map[string]*storedMedia // webhook media by media_id
}

type fault struct {
	cmd  string
	code int
}

type hookFault struct {
	status, code int
}

// New starts a server; tb.Cleanup closes it.
func New(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := &Server{
		tb:         tb,
		botID:      DefaultBotID,
		secret:     DefaultSecret,
		botName:    DefaultBotName,
		now:        time.Now,
		perMinute:  30,
		perHour:    1000,
		robots:     map[string]bool{},
		streamIdle: 6 * time.Minute,
		mediaTTL:   5 * time.Minute,
		changed:    make(chan struct{}),
		conns:      map[*conn]bool{},
		callbacks:  map[string]*callback{},
		pushes:     map[string]*pushed{},
		chats:      map[string]string{},
		chatSends:  map[string][]time.Time{},
		streams:    map[string]*stream{},
		cards:      map[string]*cardState{},
		uploads:    map[string]*upload{},
		media:      map[string]*storedMedia{},
		downloads:  map[string]*download{},
		hookSends:  map[string][]time.Time{},
		hookMedia:  map[string]*storedMedia{},
	}
	for _, o := range opts {
		o(s)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cgi-bin/webhook/send", s.serveHookSend)
	mux.HandleFunc("POST /cgi-bin/webhook/upload_media", s.serveHookUpload)
	mux.HandleFunc("GET /media/{token}", s.serveMedia)
	mux.HandleFunc("/", s.serveWS)
	s.srv = httptest.NewServer(mux)
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server: every socket is closed at once, later dials
// fail. It waits for the WebSocket handlers, so nothing of the server
// runs after it returns. It is idempotent and called by tb.Cleanup.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.notifyLocked()
	s.mu.Unlock()
	s.cancel()
	for _, c := range conns {
		_ = c.ws.CloseNow()
	}
	s.srv.Close()
	s.wg.Wait()
}

// URL is the long connection's address, "ws://127.0.0.1:PORT" (the real
// one is wss://openws.work.weixin.qq.com, also without a path).
func (s *Server) URL() string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") }

// WebhookURL is the group robots' base URL,
// "http://127.0.0.1:PORT/cgi-bin/webhook": POST /send?key=K and
// /upload_media?key=K&type=file.
func (s *Server) WebhookURL() string { return s.srv.URL + "/cgi-bin/webhook" }

// BotID is the BotID aibot_subscribe must carry.
func (s *Server) BotID() string { return s.botID }

// Secret is the Secret aibot_subscribe must carry.
func (s *Server) Secret() string { return s.secret }

// BotName is the bot's display name, the "@name " of group texts.
func (s *Server) BotName() string { return s.botName }

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// SetAckDelay changes the ack delay of WithAckDelay from now on.
func (s *Server) SetAckDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ackDelay = d
}

// RefuseSubscribe makes the next n subscribes fail with 853000 "invalid
// bot_id or secret", whatever they carry; the socket stays open, as the
// real server leaves it.
func (s *Server) RefuseSubscribe(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse += n
}

// FailNext makes the next client frame with this cmd ("" for any cmd)
// get errcode instead of taking effect: 45009, 846605, 846607, 846608 …
// on a message frame, 45009 or 853000 on aibot_subscribe. Rules queue up
// and are consumed in order. An injected 45009 is not a violation.
func (s *Server) FailNext(cmd string, errcode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{cmd: cmd, code: errcode})
}

// FailNextHook makes the next webhook request (send or upload_media)
// fail: with status ≠ 200 and ≠ 0 an HTTP error page of that status (a 5xx
// outage), else HTTP 200 with errcode. Rules queue up; the failed request
// is not recorded in Hooks and does not count against the 20/min.
func (s *Server) FailNextHook(status, errcode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hookFaults = append(s.hookFaults, hookFault{status: status, code: errcode})
}

func (s *Server) takeFaultLocked(cmd string) (int, bool) {
	for i, f := range s.faults {
		if f.cmd == cmd || f.cmd == "" {
			s.faults = slices.Delete(s.faults, i, i+1)
			return f.code, true
		}
	}
	return 0, false
}

// KnownChat makes the server treat chat as one that has written to the
// bot (so aibot_send_msg to it is accepted) without pushing a message:
// chatID is a userid (group false) or a group chatid.
func (s *Server) KnownChat(chatID string, group bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chats[chatID] = chatTypeOf(group)
}

func chatTypeOf(group bool) string {
	if group {
		return "group"
	}
	return "single"
}

// ---- what happened ----

// Subscribed is the number of successful subscribes so far.
func (s *Server) Subscribed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.subscribed
}

// Live tells whether a connection is subscribed, so pushes reach the bot.
func (s *Server) Live() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live != nil
}

// Dials is the number of WebSocket connections accepted so far: a test of
// reconnect back-off checks it stays small.
func (s *Server) Dials() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextConn
}

// Open is the number of sockets open now. A socket the server dropped
// stays open until the client closes its side.
func (s *Server) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Pings is the number of ping frames received.
func (s *Server) Pings() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pings
}

// Violations counts the frames refused for the per-chat limit and the
// webhook requests refused for the 20/min limit (45009), not those of
// FailNext.
func (s *Server) Violations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.violations
}

// Sent returns every accepted message frame, in order.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// Hooks returns every webhook send request, accepted or refused, in order.
func (s *Server) Hooks() []Hook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hooks)
}

// Frames returns every frame the clients sent, with the answer, in order.
func (s *Server) Frames() []Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.frames)
}

// Bubble is what the stream with this id shows now (the last accepted
// snapshot) and whether it was finished; ok is false for an unknown id.
func (s *Server) Bubble(streamID string) (content string, finished, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streams[streamID]
	if st == nil {
		return "", false, false
	}
	return st.content, st.finished, true
}

// Card returns the card with this task_id as it is now (after updates).
func (s *Server) Card(taskID string) (Card, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.cards[taskID]
	if cs == nil {
		return Card{}, false
	}
	return cs.card, true
}

// ---- waiting ----

// WaitFor blocks until cond holds and fails the test (Fatalf, listing the
// frames) if it does not within timeout. cond runs without the server's
// lock, so it may call the server's accessors; it is re-evaluated on every
// change (a frame, a push, a subscribe, a socket opened or closed, a
// webhook request).
func (s *Server) WaitFor(tb testing.TB, timeout time.Duration, cond func() bool) {
	tb.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-timer.C:
			tb.Fatalf("wecomtest: condition not met within %v; %d subscribes, %d open sockets; frames:\n%s",
				timeout, s.Subscribed(), s.Open(), Describe(s.Frames()))
			return
		}
	}
}

// WaitSubscribed waits until there have been at least n successful
// subscribes.
func (s *Server) WaitSubscribed(tb testing.TB, n int, timeout time.Duration) {
	tb.Helper()
	s.WaitFor(tb, timeout, func() bool { return s.Subscribed() >= n })
}

// SentTo returns the frames of sent that went to one chat (a userid or a
// group chatid), for WaitSent predicates.
func SentTo(sent []Sent, chatID string) []Sent {
	var out []Sent
	for _, x := range sent {
		if x.ChatID == chatID {
			out = append(out, x)
		}
	}
	return out
}

// WaitSent waits until pred holds for the accepted frames and returns
// them.
func (s *Server) WaitSent(tb testing.TB, pred func([]Sent) bool, timeout time.Duration) []Sent {
	tb.Helper()
	var out []Sent
	s.WaitFor(tb, timeout, func() bool { out = s.Sent(); return pred(out) })
	return out
}

// WaitHooks waits until pred holds for the webhook requests and returns
// them.
func (s *Server) WaitHooks(tb testing.TB, pred func([]Hook) bool, timeout time.Duration) []Hook {
	tb.Helper()
	var out []Hook
	s.WaitFor(tb, timeout, func() bool { out = s.Hooks(); return pred(out) })
	return out
}

// Describe formats frames one per line for failure messages; pings are
// summarised.
func Describe(frames []Frame) string {
	var b strings.Builder
	pings := 0
	for i, f := range frames {
		if f.Cmd == CmdPing && f.Errcode == 0 && !f.Unanswered {
			pings++
			continue
		}
		fmt.Fprintf(&b, "  #%d %s conn=%d %s req_id=%s errcode=%d", i, f.At.Format("15:04:05.000"), f.Conn, f.Cmd, f.ReqID, f.Errcode)
		if f.Unanswered {
			b.WriteString(" (unanswered)")
		}
		body := string(f.Body)
		if r := []rune(body); len(r) > 120 {
			body = string(r[:120]) + "…"
		}
		fmt.Fprintf(&b, " %s\n", body)
	}
	if pings > 0 {
		fmt.Fprintf(&b, "  (%d pings acked)\n", pings)
	}
	if b.Len() == 0 {
		return "  (none)\n"
	}
	return b.String()
}
