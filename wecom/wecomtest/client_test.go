package wecomtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"planbot/wecom/wecomtest"
)

// wait bounds every blocking step; nothing here sleeps.
const wait = 5 * time.Second

// frame is any frame the server sends: a push has a cmd, an ack has an
// errcode.
type frame struct {
	Cmd     string `json:"cmd"`
	Headers struct {
		ReqID string `json:"req_id"`
	} `json:"headers"`
	Body    json.RawMessage `json:"body"`
	Errcode *int            `json:"errcode"`
	Errmsg  string          `json:"errmsg"`
}

func (f frame) code() int {
	if f.Errcode == nil {
		return -1
	}
	return *f.Errcode
}

// body decodes the frame's body into a generic map for assertions.
func (f frame) body(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(f.Body, &m); err != nil {
		t.Fatalf("body %s: %v", f.Body, err)
	}
	return m
}

// client is a minimal long-connection client written from the protocol
// notes, independent of the package under test.
type client struct {
	t      *testing.T
	ws     *websocket.Conn
	acks   chan frame
	pushes chan frame
	done   chan struct{} // closed when reading fails; err is then set
	err    error
	mu     sync.Mutex
	seq    int
}

func dial(t *testing.T, srv *wecomtest.Server) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, srv.URL(), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(1 << 20)
	c := &client{t: t, ws: ws, acks: make(chan frame, 100), pushes: make(chan frame, 100), done: make(chan struct{})}
	go c.readLoop()
	t.Cleanup(func() {
		_ = ws.CloseNow()
		<-c.done
	})
	return c
}

func (c *client) readLoop() {
	defer close(c.done)
	for {
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.err = err
			return
		}
		var f frame
		if err := json.Unmarshal(data, &f); err != nil {
			c.err = err
			return
		}
		if f.Cmd == "" {
			c.acks <- f
		} else {
			c.pushes <- f
		}
	}
}

func (c *client) sendRaw(data []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, data); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) send(cmd, reqID string, body any) {
	c.t.Helper()
	data, err := json.Marshal(map[string]any{"cmd": cmd, "headers": map[string]string{"req_id": reqID}, "body": body})
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(data)
}

// call sends a frame under a fresh req_id shaped like the SDK's and
// returns its ack.
func (c *client) call(cmd string, body any) frame {
	c.t.Helper()
	c.mu.Lock()
	c.seq++
	reqID := fmt.Sprintf("%s_%d_%08x", cmd, time.Now().UnixMilli(), c.seq)
	c.mu.Unlock()
	c.send(cmd, reqID, body)
	return c.ack(reqID)
}

// reply sends a frame under the given (callback) req_id and returns its
// ack.
func (c *client) reply(cmd, reqID string, body any) frame {
	c.t.Helper()
	c.send(cmd, reqID, body)
	return c.ack(reqID)
}

func (c *client) next(ch chan frame, what string) frame {
	c.t.Helper()
	select {
	case f := <-ch:
		return f
	case <-c.done:
		select {
		case f := <-ch: // read before the connection ended
			return f
		default:
		}
		c.t.Fatalf("connection ended before the %s: %v", what, c.err)
	case <-time.After(wait):
		c.t.Fatalf("no %s within %v", what, wait)
	}
	return frame{}
}

func (c *client) ack(reqID string) frame {
	c.t.Helper()
	f := c.next(c.acks, "ack of "+reqID)
	if f.Headers.ReqID != reqID {
		c.t.Fatalf("ack for req_id %q, want %q", f.Headers.ReqID, reqID)
	}
	return f
}

func (c *client) push() frame {
	c.t.Helper()
	return c.next(c.pushes, "push")
}

// ended waits until the connection ends and returns the read error.
func (c *client) ended() error {
	c.t.Helper()
	select {
	case <-c.done:
		return c.err
	case <-time.After(wait):
		c.t.Fatalf("connection still open after %v", wait)
		return nil
	}
}

func (c *client) subscribe(srv *wecomtest.Server) frame {
	c.t.Helper()
	return c.call(wecomtest.CmdSubscribe, map[string]string{"bot_id": srv.BotID(), "secret": srv.Secret()})
}

// connect dials and subscribes, failing the test unless it works.
func connect(t *testing.T, srv *wecomtest.Server) *client {
	t.Helper()
	c := dial(t, srv)
	if a := c.subscribe(srv); a.code() != 0 || a.Errmsg != "ok" {
		t.Fatalf("subscribe: %+v", a)
	}
	return c
}

// clock is a settable clock for WithClock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2027, 6, 15, 9, 0, 0, 0, time.Local)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// markdown is an aibot_send_msg markdown body.
func markdown(chatID, text string) map[string]any {
	return map[string]any{"chatid": chatID, "msgtype": "markdown", "markdown": map[string]string{"content": text}}
}

// streamReply is an aibot_respond_msg stream body.
func streamReply(id, content string, finish bool) map[string]any {
	return map[string]any{"msgtype": "stream", "stream": map[string]any{"id": id, "finish": finish, "content": content}}
}

// buttonCard is a valid button_interaction card.
func buttonCard(taskID string, keys ...string) map[string]any {
	var buttons []map[string]any
	for _, k := range keys {
		buttons = append(buttons, map[string]any{"text": "按钮" + k, "style": 1, "key": k})
	}
	return map[string]any{"card_type": "button_interaction", "task_id": taskID,
		"main_title": map[string]string{"title": "提醒"}, "button_list": buttons}
}
