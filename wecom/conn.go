package wecom

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"planbot"
)

// DefaultURL is the AI bot's long connection (政务微信 and private
// deployments have their own).
const DefaultURL = "wss://openws.work.weixin.qq.com"

// Conn is the AI bot's long connection: it dials, subscribes with the
// bot's id and secret, pings, and reads the server's frames, handing the
// callbacks to Callbacks and each ack to the request waiting for it. When
// the connection fails it dials again after planbot.BackoffJitter (1 s
// doubling to a minute); a takeover (another connection subscribed with
// the same bot) and a refused secret are logged once each as errors and
// tried again only every SlowRetry, since reconnecting at once would take
// the bot back from the other connection, which would take it back in
// turn: an endless mutual kick.
//
// Requests (Request) go over the connection subscribed now; without one
// they fail at once with ErrNotConnected, for delivery to try again later.
type Conn struct {
	URL   string // "" is DefaultURL
	BotID string
	// SecretEnv names where the secret came from (the environment
	// variable), for the error about a refused secret; never the secret.
	SecretEnv string
	Log       *slog.Logger
	Clock     Clock        // nil: the wall clock
	HTTP      *http.Client // for the handshake; nil: http.DefaultClient
	// AckTimeout is how long a request waits for its ack (default 10 s;
	// WeCom answers in well under a second).
	AckTimeout time.Duration
	// PingInterval is the heartbeat (default 30 s, as the SDK's); after
	// MaxMissedPings pings in a row without an ack (default 2) the
	// connection is taken for dead and dialled again.
	PingInterval   time.Duration
	MaxMissedPings int
	// SlowRetry is the wait after a takeover or a refused secret (default
	// 10 minutes): neither mends itself in seconds.
	SlowRetry time.Duration
	// Backoff is the wait after the n-th failure in a row to connect;
	// nil is planbot.BackoffJitter.
	Backoff func(n int) time.Duration
	// OnUp, if set, is told each time a connection is subscribed: requests
	// can go again (the sender's Reachable).
	OnUp func()

	secret    string
	callbacks chan Frame
	running   atomic.Bool

	mu      sync.Mutex
	live    *session                 // subscribed now; nil when down
	reqBusy map[string]chan struct{} // req_ids with a frame awaiting its ack

	// Run's goroutine only: each is logged once until it mends.
	toldTakeover, toldRefused bool
}

// callbackBuffer is how many callbacks may wait for the receiver: the
// read loop never blocks on it, since a blocked loop reads no acks.
const callbackBuffer = 1024

// Timeouts on the wall clock: a handshake or a write that hangs this long
// belongs to a dead connection.
const (
	dialTimeout  = 30 * time.Second
	writeTimeout = 10 * time.Second
)

// quietAfter is how long a connection must hold before a takeover is
// logged again as an error: while two instances kick each other every
// SlowRetry, once is enough.
const quietAfter = time.Hour

// NewConn is a connection of bot botID with secret (kept out of every log
// line and error) to url ("" is DefaultURL). Run connects it.
func NewConn(url, botID, secret string, log *slog.Logger) *Conn {
	return &Conn{URL: url, BotID: botID, secret: secret, Log: log,
		callbacks: make(chan Frame, callbackBuffer), reqBusy: map[string]chan struct{}{}}
}

// The settings, their defaults filled in; the fields are never written
// after NewConn's caller set them, so Run and requests read them freely.
func (c *Conn) url() string { return cmp.Or(c.URL, DefaultURL) }
func (c *Conn) clock() Clock {
	if c.Clock == nil {
		return realClock{}
	}
	return c.Clock
}
func (c *Conn) log() *slog.Logger { return cmp.Or(c.Log, discard) }
func (c *Conn) ackTimeout() time.Duration {
	return cmp.Or(max(c.AckTimeout, 0), 10*time.Second)
}
func (c *Conn) pingInterval() time.Duration {
	return cmp.Or(max(c.PingInterval, 0), 30*time.Second)
}
func (c *Conn) maxMissed() int { return cmp.Or(max(c.MaxMissedPings, 0), 2) }
func (c *Conn) slowRetry() time.Duration {
	return cmp.Or(max(c.SlowRetry, 0), 10*time.Minute)
}
func (c *Conn) backoff(n int) time.Duration {
	if c.Backoff != nil {
		return c.Backoff(n)
	}
	return planbot.BackoffJitter(n)
}

var discard = slog.New(slog.DiscardHandler)

// Callbacks are the message and event callbacks the server pushes, in
// order; a takeover's disconnected_event is the connection's own business
// and not among them. The channel is closed when Run returns.
func (c *Conn) Callbacks() <-chan Frame { return c.callbacks }

// Connected reports whether a subscribed connection is up now.
func (c *Conn) Connected() bool { return c.current() != nil }

func (c *Conn) current() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live
}

func (c *Conn) setLive(s *session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = s
}

// endKind is how a connection ended.
type endKind int

const (
	endStopped  endKind = iota // Run's context ended
	endDial                    // no connection
	endNoAck                   // the subscribe got no answer
	endRefused                 // the subscribe was refused (code)
	endLost                    // the connection dropped
	endDead                    // pings went unanswered
	endTakeover                // another connection took the bot over
)

// sessionEnd is what became of one connection.
type sessionEnd struct {
	kind    endKind
	err     error
	code    int           // endRefused
	up      time.Duration // how long it was subscribed
	healthy bool          // a ping was acked: the link worked for a while
}

// Run connects, and connects again whenever the connection ends, until
// ctx ends; then it closes the connection and Callbacks. It runs once.
func (c *Conn) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("wecom: the connection is already running")
	}
	defer close(c.callbacks)
	failures := 0
	for ctx.Err() == nil {
		end := c.session(ctx)
		if ctx.Err() != nil {
			break
		}
		if !sleep(ctx, c.clock(), c.after(end, &failures), nil) {
			break
		}
	}
	return nil
}

// after logs how a connection ended and returns how long to wait before
// the next; failures counts the connections in a row that did not work.
func (c *Conn) after(e sessionEnd, failures *int) time.Duration {
	log := c.log().With(slog.String("bot_id", c.BotID))
	if e.up >= quietAfter {
		c.toldTakeover = false
	}
	if e.healthy {
		*failures = 0
	}
	switch {
	case e.kind == endTakeover:
		c.logOnce(&c.toldTakeover, log, "WeCom took the connection over: another connection subscribed with this bot ID. "+
			"Most likely a second planbot uses the same bot (另一台 planbot 用同一个机器人) — stop it, or give each its own bot; "+
			"reconnecting only slowly, since each reconnect takes the bot back from the other",
			slog.Duration("retry_in", c.slowRetry()))
		return c.slowRetry()
	case e.kind == endRefused && (e.code == codeBadSecret || e.code == codeBadBotID):
		c.logOnce(&c.toldRefused, log, "WeCom refused the bot ID or secret: check bot_id in the YAML and the secret in the environment variable "+
			"(企业微信管理后台 → 智能机器人 → API 模式 → 长连接); trying again only slowly",
			slog.Int("errcode", e.code), slog.String("secret_env", c.SecretEnv), slog.Duration("retry_in", c.slowRetry()))
		return c.slowRetry()
	case e.kind == endRefused && e.code == codeRateLimited:
		// Too many subscribes: WeCom blocks for the limit's period.
		*failures++
		wait := max(c.backoff(*failures), rateLimitBlock)
		log.Warn("WeCom rate-limits subscribing; waiting", slog.Duration("retry_in", wait))
		return wait
	}
	*failures++
	wait := c.backoff(*failures)
	attrs := []any{errAttr(e.err), slog.Int("failures", *failures), slog.Duration("retry_in", wait)}
	switch e.kind {
	case endRefused:
		log.Warn("WeCom refused the subscription", append(attrs, slog.Int("errcode", e.code))...)
	case endDead:
		log.Warn("WeCom stopped answering pings; reconnecting", attrs...)
	case endLost:
		log.Warn("the WeCom connection dropped; reconnecting", append(attrs, slog.Duration("was_up", e.up))...)
	default:
		log.Warn("could not connect to WeCom; trying again", attrs...)
	}
	return wait
}

// logOnce logs msg as an error the first time since *told was cleared,
// and at debug level after that.
func (c *Conn) logOnce(told *bool, log *slog.Logger, msg string, attrs ...any) {
	if *told {
		log.Debug(msg, attrs...)
		return
	}
	*told = true
	log.Error(msg, attrs...)
}

// session dials, subscribes and serves one connection until it ends.
func (c *Conn) session(ctx context.Context) sessionEnd {
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	ws, _, err := websocket.Dial(dctx, c.url(), &websocket.DialOptions{HTTPClient: c.HTTP})
	cancel()
	if err != nil {
		return sessionEnd{kind: endDial, err: err}
	}
	ws.SetReadLimit(maxFrameBytes)
	sctx, stop := context.WithCancel(ctx)
	s := newSession(ws)
	go c.readLoop(sctx, s)
	defer func() {
		c.setLive(nil)
		stop()
		// No close handshake: after a takeover or silence the peer may
		// never answer one.
		_ = ws.CloseNow()
		<-s.done
	}()
	ack, err := c.exchange(sctx, s, cmdSubscribe, newReqID(cmdSubscribe, c.clock().Now()),
		subscribeBody{BotID: c.BotID, Secret: c.secret})
	switch {
	case err != nil && s.wasTakenOver():
		return sessionEnd{kind: endTakeover}
	case err != nil:
		return sessionEnd{kind: endNoAck, err: err}
	case ack.Errcode != 0:
		// WeCom keeps a refused socket open; the deferred close ends it.
		return sessionEnd{kind: endRefused, code: ack.Errcode, err: &Error{Cmd: cmdSubscribe, Code: ack.Errcode, Msg: ack.Errmsg}}
	}
	c.toldRefused = false
	since := c.clock().Now()
	c.setLive(s)
	c.log().Info("WeCom connection subscribed", slog.String("bot_id", c.BotID))
	if c.OnUp != nil {
		c.OnUp()
	}
	end := c.heartbeat(sctx, s)
	end.up, end.healthy = c.clock().Now().Sub(since), s.wasHealthy()
	return end
}

type subscribeBody struct {
	BotID  string `json:"bot_id"`
	Secret string `json:"secret"`
}

// heartbeat pings every PingInterval until the connection ends, and ends
// it after MaxMissedPings pings in a row without an ack.
func (c *Conn) heartbeat(ctx context.Context, s *session) sessionEnd {
	missed := 0
	for {
		select {
		case <-ctx.Done():
			return sessionEnd{kind: endStopped}
		case <-s.done:
			if s.wasTakenOver() {
				return sessionEnd{kind: endTakeover}
			}
			return sessionEnd{kind: endLost, err: s.readErr()}
		case <-c.clock().After(c.pingInterval()):
		}
		if s.pingUnanswered() {
			missed++
		} else {
			missed = 0
		}
		if missed >= c.maxMissed() {
			return sessionEnd{kind: endDead, err: fmt.Errorf("%d pings in a row without an ack", missed)}
		}
		if err := s.ping(newReqID(cmdPing, c.clock().Now())); err != nil {
			return sessionEnd{kind: endLost, err: err}
		}
	}
}

// readLoop reads frames until the connection ends: acks go to their
// waiters, callbacks to Callbacks; a takeover ends the connection.
func (c *Conn) readLoop(ctx context.Context, s *session) {
	defer s.close()
	for {
		typ, data, err := s.ws.Read(ctx)
		if err != nil {
			s.fail(err)
			return
		}
		if typ != websocket.MessageText {
			continue
		}
		var f inFrame
		if err := json.Unmarshal(data, &f); err != nil {
			c.log().Warn("unreadable frame from WeCom, skipped", errAttr(err), slog.Int("bytes", len(data)))
			continue
		}
		switch f.Cmd {
		case "":
			if !s.acked(f) {
				c.log().Debug("ack for no waiting request (late or unknown)", slog.String("req_id", f.Headers.ReqID))
			}
		case cmdEventCallback:
			if eventType(f.Body) == disconnectedEvent {
				s.takeover()
				return
			}
			c.deliver(f)
		case cmdMsgCallback:
			c.deliver(f)
		default:
			c.log().Debug("frame of an unknown command, skipped", slog.String("cmd", f.Cmd))
		}
	}
}

// deliver hands a callback to the receiver without blocking the read
// loop: a full buffer means nobody reads, and the frame is lost (logged).
func (c *Conn) deliver(f inFrame) {
	select {
	case c.callbacks <- Frame{Cmd: f.Cmd, ReqID: f.Headers.ReqID, Body: f.Body}:
	default:
		c.log().Error("WeCom callback dropped: the receiver is not reading", slog.String("cmd", f.Cmd),
			slog.String("req_id", f.Headers.ReqID))
	}
}

// eventType is the event type of an event callback's body; "" if none.
func eventType(body json.RawMessage) string {
	var b struct {
		Event struct {
			EventType string `json:"eventtype"`
		} `json:"event"`
	}
	_ = json.Unmarshal(body, &b)
	return b.Event.EventType
}

// Request sends cmd with body under reqID ("" makes a fresh one; a reply
// uses the callback's) and waits for WeCom's ack, returning the ack's
// body. Frames of one req_id go one at a time, each after the previous
// one's ack, as the official SDK sends them. The error is ErrNotConnected,
// ErrNoAck or ErrConnLost when WeCom did not answer (the frame may have
// arrived), an *Error when it refused, or ctx's.
func (c *Conn) Request(ctx context.Context, cmd, reqID string, body any) (json.RawMessage, error) {
	if reqID == "" {
		reqID = newReqID(cmd, c.clock().Now())
	}
	unlock, err := c.lockReq(ctx, reqID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	s := c.current()
	if s == nil {
		return nil, ErrNotConnected
	}
	ack, err := c.exchange(ctx, s, cmd, reqID, body)
	if err != nil {
		return nil, err
	}
	if ack.Errcode != 0 {
		return ack.Body, &Error{Cmd: cmd, Code: ack.Errcode, Msg: ack.Errmsg}
	}
	return ack.Body, nil
}

// lockReq waits until no frame of reqID awaits its ack, and claims it.
func (c *Conn) lockReq(ctx context.Context, reqID string) (unlock func(), err error) {
	for {
		c.mu.Lock()
		busy, held := c.reqBusy[reqID]
		if !held {
			mine := make(chan struct{})
			c.reqBusy[reqID] = mine
			c.mu.Unlock()
			return func() {
				c.mu.Lock()
				delete(c.reqBusy, reqID)
				c.mu.Unlock()
				close(mine)
			}, nil
		}
		c.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// exchange writes one frame on s and waits for its ack.
func (c *Conn) exchange(ctx context.Context, s *session, cmd, reqID string, body any) (inFrame, error) {
	data, err := json.Marshal(outFrame{Cmd: cmd, Headers: headers{ReqID: reqID}, Body: body})
	if err != nil {
		return inFrame{}, fmt.Errorf("encode %s: %w", cmd, err)
	}
	ack, err := s.await(reqID)
	if err != nil {
		return inFrame{}, err
	}
	defer s.forget(reqID)
	if err := s.write(data); err != nil {
		return inFrame{}, fmt.Errorf("%w: %s: %v", ErrConnLost, cmd, err)
	}
	select {
	case f := <-ack:
		return f, nil
	case <-s.done:
		// The ack may have come just before the end (a takeover right
		// after the subscribe): it counts.
		select {
		case f := <-ack:
			return f, nil
		default:
		}
		return inFrame{}, fmt.Errorf("%w (%s)", ErrConnLost, cmd)
	case <-c.clock().After(c.ackTimeout()):
		return inFrame{}, fmt.Errorf("%w (%s after %v)", ErrNoAck, cmd, c.ackTimeout())
	case <-ctx.Done():
		return inFrame{}, ctx.Err()
	}
}

// session is one WebSocket connection.
type session struct {
	ws   *websocket.Conn
	done chan struct{} // closed when the read loop ends

	mu        sync.Mutex
	waiters   map[string]chan inFrame
	pingID    string // the last ping sent
	pingAcked bool
	healthy   bool // some ping was acked
	taken     bool
	err       error
}

func newSession(ws *websocket.Conn) *session {
	return &session{ws: ws, done: make(chan struct{}), waiters: map[string]chan inFrame{}}
}

// write sends one text frame. Not on the caller's context: coder/websocket
// closes the connection when a write's context ends, and one request
// given up must not end everyone's.
func (s *session) write(data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	return s.ws.Write(ctx, websocket.MessageText, data)
}

// await registers a waiter for reqID's ack.
func (s *session) await(reqID string) (<-chan inFrame, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		return nil, ErrConnLost
	default:
	}
	ch := make(chan inFrame, 1)
	s.waiters[reqID] = ch
	return ch, nil
}

func (s *session) forget(reqID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.waiters, reqID)
}

// acked hands an ack to its waiter, or notes a ping's; false if nobody
// waits for it.
func (s *session) acked(f inFrame) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := f.Headers.ReqID
	if id != "" && id == s.pingID {
		s.pingAcked, s.healthy = true, true
		return true
	}
	ch, ok := s.waiters[id]
	if ok {
		delete(s.waiters, id)
		ch <- f
	}
	return ok
}

// ping sends a heartbeat, not waiting for its ack: the next tick checks.
func (s *session) ping(reqID string) error {
	data, err := json.Marshal(outFrame{Cmd: cmdPing, Headers: headers{ReqID: reqID}})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.pingID, s.pingAcked = reqID, false
	s.mu.Unlock()
	return s.write(data)
}

// pingUnanswered: a ping went out and its ack has not come.
func (s *session) pingUnanswered() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pingID != "" && !s.pingAcked
}

func (s *session) wasHealthy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.healthy
}

func (s *session) takeover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.taken = true
}

func (s *session) wasTakenOver() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.taken
}

func (s *session) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *session) readErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// close ends the session: waiters see done.
func (s *session) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.done)
}

func errAttr(err error) slog.Attr { return slog.Any("err", err) }
