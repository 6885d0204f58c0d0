package wecomtest

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// readLimit bounds one client frame. coder/websocket's default (32 KiB)
// is below a 512 KiB upload chunk in base64 (≈ 700 KB); the real limit is
// unknown, so this only guards the test process.
const readLimit = 4 << 20

// writeTimeout bounds one frame written to a client that stopped reading.
const writeTimeout = 5 * time.Second

// conn is one accepted WebSocket.
type conn struct {
	id  int
	ws  *websocket.Conn
	raw net.Conn   // the hijacked TCP connection: a drop half-closes it, with no close frame
	wmu sync.Mutex // orders writes: a push to a new connection waits for its subscribe ack

	// guarded by Server.mu
	subscribed bool
	gone       bool // taken over, dropped or muted: frames are read and not answered
}

// hijackTap is the ResponseWriter handed to websocket.Accept: it records
// the net.Conn Accept hijacks, which coder/websocket does not expose and
// a drop needs.
type hijackTap struct {
	http.ResponseWriter
	conn net.Conn
}

func (h *hijackTap) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	h.conn = c
	return c, rw, err
}

// drop ends the connection as the real server does on a take-over or an
// outage: no close frame. Half-closing (FIN) rather than closing lets the
// client read every frame already sent (a full close with unread input
// could reset the connection and lose them) and then see EOF; the socket
// is released when the client closes its side or the server closes.
func (c *conn) drop() {
	if tcp, ok := c.raw.(interface{ CloseWrite() error }); ok && tcp.CloseWrite() == nil {
		return
	}
	_ = c.ws.CloseNow()
}

// reply is the server's answer to a client frame.
type reply struct {
	code   int
	detail string // put before errmsg's standard text
	body   any    // the ack's body, if any
	live   bool   // a successful subscribe: c becomes the live connection
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	tap := &hijackTap{ResponseWriter: w}
	ws, err := websocket.Accept(tap, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return // Accept has answered (426 to a plain HTTP request)
	}
	ws.SetReadLimit(readLimit)
	c := s.addConn(ws, tap.conn)
	if c == nil {
		_ = ws.CloseNow()
		return
	}
	defer s.removeConn(c)
	for {
		_, data, err := ws.Read(s.ctx)
		if err != nil {
			return
		}
		s.handleFrame(c, data)
	}
}

func (s *Server) addConn(ws *websocket.Conn, raw net.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.nextConn++
	c := &conn{id: s.nextConn, ws: ws, raw: raw}
	s.conns[c] = true
	s.wg.Add(1)
	s.notifyLocked()
	return c
}

func (s *Server) removeConn(c *conn) {
	_ = c.ws.CloseNow()
	s.mu.Lock()
	delete(s.conns, c)
	if s.live == c {
		s.live = nil
	}
	s.notifyLocked()
	s.mu.Unlock()
	s.wg.Done()
}

// handleFrame decodes, applies and acks one client frame. The frame takes
// effect before the (possibly delayed) ack, as on a slow server: a client
// that times out and retries sends a duplicate.
func (s *Server) handleFrame(c *conn, data []byte) {
	now := s.now()
	var f clientFrame
	err := json.Unmarshal(data, &f)
	s.mu.Lock()
	fr := Frame{Conn: c.id, Cmd: f.Cmd, ReqID: f.Headers.ReqID, Body: f.Body, At: now}
	if f.Cmd == CmdPing {
		s.pings++
	}
	var rep reply
	switch {
	case c.gone:
		fr.Unanswered = true
	case err != nil || f.Cmd == "":
		fr.Body = data
		rep = reply{code: ErrBadJSON, detail: "a frame must be a JSON object {cmd, headers: {req_id}, body}"}
	default:
		rep = s.processLocked(c, f, now)
	}
	if !fr.Unanswered {
		fr.Errcode, fr.Errmsg = rep.code, errmsg(rep.code, rep.detail)
	}
	s.frames = append(s.frames, fr)
	delay := s.ackDelay
	s.notifyLocked()
	s.mu.Unlock()
	if fr.Unanswered || !s.pause(delay) {
		return
	}
	code := rep.code
	ack := serverFrame{Headers: headers{ReqID: f.Headers.ReqID}, Errcode: &code, Errmsg: fr.Errmsg, Body: rep.body}
	if !rep.live {
		_ = s.write(c, ack)
		return
	}
	// Live before the ack is written, so a test that saw the subscribe can
	// push at once; the write lock holds such a push until the ack is out.
	c.wmu.Lock()
	old := s.becomeLive(c)
	_ = s.writeNow(c, ack)
	c.wmu.Unlock()
	if old != nil {
		s.kick(old)
	}
}

// pause waits d (real time); false if the server closed meanwhile.
func (s *Server) pause(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

func (s *Server) write(c *conn, f serverFrame) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return s.writeNow(c, f)
}

// writeNow writes with c.wmu held.
func (s *Server) writeNow(c *conn, f serverFrame) error {
	data, err := json.Marshal(f)
	if err != nil {
		panic(err) // our own types always marshal
	}
	ctx, cancel := context.WithTimeout(s.ctx, writeTimeout)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, data)
}

func (s *Server) processLocked(c *conn, f clientFrame, now time.Time) reply {
	if f.Cmd == CmdSubscribe {
		return s.subscribeLocked(c, f.Body)
	}
	if !c.subscribed {
		return reply{code: ErrNotSubscribed, detail: "the first frame must be aibot_subscribe"}
	}
	if code, ok := s.takeFaultLocked(f.Cmd); ok {
		return reply{code: code}
	}
	switch f.Cmd {
	case CmdPing:
		return reply{}
	case CmdRespond, CmdWelcome, CmdUpdate:
		return s.replyLocked(c, f, now)
	case CmdSend:
		return s.pushLocked(c, f, now)
	case CmdUploadInit:
		return s.uploadInitLocked(f.Body)
	case CmdUploadChunk:
		return s.uploadChunkLocked(f.Body)
	case CmdUploadFinish:
		return s.uploadFinishLocked(f.Body, now)
	}
	return reply{code: ErrInvalidParam, detail: "unknown cmd " + f.Cmd}
}

func (s *Server) subscribeLocked(c *conn, body json.RawMessage) reply {
	if code, ok := s.takeFaultLocked(CmdSubscribe); ok {
		return reply{code: code}
	}
	var b struct {
		BotID  string `json:"bot_id"`
		Secret string `json:"secret"`
	}
	_ = json.Unmarshal(body, &b) // a missing or bad body is a wrong bot_id
	if s.refuse > 0 {
		s.refuse--
		return reply{code: ErrBadCredentials}
	}
	if b.BotID != s.botID || b.Secret != s.secret {
		return reply{code: ErrBadCredentials}
	}
	return reply{live: true}
}

// becomeLive makes c the connection pushes go to and returns the one it
// takes over, which the caller must kick.
func (s *Server) becomeLive(c *conn) (old *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.gone || s.closed {
		return nil
	}
	old = s.live
	if old == c {
		old = nil
	}
	if old != nil {
		old.gone = true
	}
	c.subscribed = true
	s.live = c
	s.subscribed++
	s.notifyLocked()
	return old
}

// kick pushes disconnected_event to c and drops it (after WithKickDelay).
func (s *Server) kick(c *conn) {
	body := callbackBody{MsgID: newMsgID(), AIBotID: s.botID, CreateTime: s.now().Unix(),
		MsgType: "event", Event: &event{EventType: "disconnected_event"}}
	_ = s.write(c, serverFrame{Cmd: CmdEvtCallback, Headers: headers{ReqID: newID()}, Body: body})
	if s.kickDelay > 0 {
		time.AfterFunc(s.kickDelay, c.drop)
		return
	}
	c.drop()
}

// Takeover does what a second client subscribing the bot does to the live
// connection: disconnected_event, then a drop without a close frame. No
// connection is live afterwards (pushes are lost) until the bot subscribes
// again. It does nothing when none is live.
func (s *Server) Takeover() {
	s.mu.Lock()
	c := s.live
	s.live = nil
	if c != nil {
		c.gone = true
	}
	s.notifyLocked()
	s.mu.Unlock()
	if c != nil {
		s.kick(c)
	}
}

// Drop ends every open socket abruptly, without a close frame and without
// an event, as a network outage does.
func (s *Server) Drop() {
	for _, c := range s.silence() {
		c.drop()
	}
}

// Mute makes every open socket go silent, as a connection that died
// without either side noticing (a NAT timeout): frames are read and never
// acked, nothing is pushed, the socket stays open. A client must notice
// by its missed ping acks and reconnect; a new connection works normally.
func (s *Server) Mute() {
	s.silence()
}

func (s *Server) silence() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cs []*conn
	for c := range s.conns {
		c.gone = true
		cs = append(cs, c)
	}
	s.live = nil
	s.notifyLocked()
	return cs
}
