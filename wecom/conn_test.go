package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"planbot/wecom/wecomtest"
)

// TestConnSubscribesAndPings: the connection subscribes with the bot's id
// and secret, pings every 30 s and answers requests; the secret is in no
// log line.
func TestConnSubscribesAndPings(t *testing.T) {
	srv := wecomtest.New(t)
	clock, logs := newFakeClock(), &syncBuffer{}
	c := newConn(srv, clock, logs)
	up := upSignal(c)
	runConn(t, c)
	waitUp(t, up)
	if !c.Connected() {
		t.Error("not Connected after subscribing")
	}
	for n := 1; n <= 2; n++ {
		clock.waitTimer(t, 30*time.Second, 30*time.Second)
		clock.Advance(30 * time.Second)
		srv.WaitFor(t, guard, func() bool { return srv.Pings() >= n })
	}
	f := srv.Frames()[0]
	var body subscribeBody
	if err := json.Unmarshal(f.Body, &body); err != nil || f.Cmd != cmdSubscribe || body.BotID != srv.BotID() ||
		!strings.HasPrefix(f.ReqID, "aibot_subscribe_") {
		t.Errorf("first frame %+v", f)
	}
	srv.KnownChat("zhangsan", false)
	if _, err := c.Request(context.Background(), cmdSend, "", map[string]any{"chatid": "zhangsan", "chat_type": 1,
		"msgtype": "markdown", "markdown": map[string]string{"content": "hi"}}); err != nil {
		t.Errorf("push: %v", err)
	}
	_, err := c.Request(context.Background(), cmdSend, "", map[string]any{"chatid": "nobody", "msgtype": "markdown",
		"markdown": map[string]string{"content": "hi"}})
	if errCode(err) != codeNoChat {
		t.Errorf("push to a chat that never wrote: %v, want errcode 846607", err)
	}
	if strings.Contains(logs.String(), srv.Secret()) {
		t.Errorf("the secret was logged:\n%s", logs.String())
	}
}

// TestConnTakeoverLoggedOnceRetriedSlowly: a takeover is logged once as
// an error naming a second planbot, and the connection waits ten minutes
// before taking the bot back, never in a tight loop.
func TestConnTakeoverLoggedOnceRetriedSlowly(t *testing.T) {
	srv := wecomtest.New(t)
	clock, logs := newFakeClock(), &syncBuffer{}
	c := newConn(srv, clock, logs)
	runConn(t, c)
	srv.WaitSubscribed(t, 1, guard)
	for round := 1; round <= 2; round++ {
		srv.Takeover()
		// The wait after a takeover is the slow one: nothing shorter is
		// slept on (the heartbeat's 30 s timer of the dead connection
		// is not waited for).
		if d := clock.waitTimer(t, 10*time.Minute, 10*time.Minute); d != 10*time.Minute {
			t.Fatalf("waits %v after a takeover", d)
		}
		if c.Connected() {
			t.Error("still Connected after a takeover")
		}
		if _, err := c.Request(context.Background(), cmdPing, "", nil); !errors.Is(err, ErrNotConnected) {
			t.Errorf("a request while taken over: %v, want ErrNotConnected", err)
		}
		if n := srv.Dials(); n != round {
			t.Errorf("round %d: %d dials, want %d: no reconnect before the slow wait", round, n, round)
		}
		clock.Advance(10 * time.Minute)
		srv.WaitSubscribed(t, round+1, guard)
	}
	if n := logs.count("ERROR", "另一台 planbot 用同一个机器人"); n != 1 {
		t.Errorf("the takeover was logged as an error %d times, want once:\n%s", n, logs.String())
	}
	if n := logs.count("DEBUG", "took the connection over"); n != 1 {
		t.Errorf("the second takeover was logged %d times at debug level, want once", n)
	}
}

// TestConnRefusedSubscribeRetriedSlowly: a refused secret (853000) is
// logged once, naming the environment variable and not the secret, and
// tried again every ten minutes; once accepted, the connection works.
func TestConnRefusedSubscribeRetriedSlowly(t *testing.T) {
	srv := wecomtest.New(t, wecomtest.WithBot("aibX", "S3cr3t-XYZ", "planbot"))
	srv.RefuseSubscribe(2)
	clock, logs := newFakeClock(), &syncBuffer{}
	c := newConn(srv, clock, logs)
	runConn(t, c)
	for dial := 1; dial <= 2; dial++ {
		clock.waitTimer(t, 10*time.Minute, 10*time.Minute)
		if n := srv.Dials(); n != dial {
			t.Fatalf("%d dials, want %d", n, dial)
		}
		clock.Advance(10 * time.Minute)
	}
	srv.WaitSubscribed(t, 1, guard)
	if n := logs.count("ERROR", "refused the bot ID or secret"); n != 1 {
		t.Errorf("the refusal was logged as an error %d times, want once:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "secret_env=PLANBOT_WECOM_SECRET") || strings.Contains(logs.String(), srv.Secret()) {
		t.Errorf("the log should name the variable, not the secret:\n%s", logs.String())
	}
	// The refused sockets were closed by the client (the server keeps
	// them open).
	srv.WaitFor(t, guard, func() bool { return srv.Open() == 1 })
}

// TestConnDeadWithoutPingAcks: two pings in a row without an ack mean the
// connection is dead: it is dialled again after a short backoff.
func TestConnDeadWithoutPingAcks(t *testing.T) {
	srv := wecomtest.New(t)
	clock, logs := newFakeClock(), &syncBuffer{}
	c := newConn(srv, clock, logs)
	runConn(t, c)
	srv.WaitSubscribed(t, 1, guard)
	srv.Mute()
	for n := 1; n <= 3; n++ {
		clock.waitTimer(t, 30*time.Second, 30*time.Second)
		clock.Advance(30 * time.Second)
		if n < 3 {
			srv.WaitFor(t, guard, func() bool { return srv.Pings() >= n })
		}
	}
	wait := clock.waitTimer(t, 0, time.Second) // BackoffJitter(1)
	if srv.Subscribed() != 1 {
		t.Error("reconnected before the backoff")
	}
	clock.Advance(wait)
	srv.WaitSubscribed(t, 2, guard)
	if srv.Pings() != 2 {
		t.Errorf("%d pings, want 2 (the third tick found two unanswered)", srv.Pings())
	}
	if logs.count("WARN", "stopped answering pings") != 1 {
		t.Errorf("the dead connection was not logged:\n%s", logs.String())
	}
}

// TestConnReconnectsAfterDrop: an abrupt close is dialled again with a
// backoff; requests meanwhile fail at once as not connected.
func TestConnReconnectsAfterDrop(t *testing.T) {
	srv := wecomtest.New(t)
	clock, logs := newFakeClock(), &syncBuffer{}
	c := newConn(srv, clock, logs)
	runConn(t, c)
	srv.WaitSubscribed(t, 1, guard)
	srv.Drop()
	wait := clock.waitTimer(t, 0, time.Second)
	if _, err := c.Request(context.Background(), cmdPing, "", nil); !errors.Is(err, ErrNotConnected) {
		t.Errorf("a request while down: %v, want ErrNotConnected", err)
	}
	clock.Advance(wait)
	srv.WaitSubscribed(t, 2, guard)
}

// TestConnAckTimeout: a request whose ack does not come in time fails
// with ErrNoAck (it may have arrived); a late ack is ignored.
func TestConnAckTimeout(t *testing.T) {
	srv := wecomtest.New(t)
	clock, logs := newFakeClock(), &syncBuffer{}
	c := newConn(srv, clock, logs)
	up := upSignal(c)
	runConn(t, c)
	waitUp(t, up)
	srv.SetAckDelay(time.Hour) // ended by the server's Close
	mark := clock.mark()
	done := make(chan error, 1)
	go func() {
		_, err := c.Request(context.Background(), cmdPing, "", nil)
		done <- err
	}()
	clock.waitTimerAfter(t, mark, 10*time.Second, 10*time.Second)
	clock.Advance(10 * time.Second)
	select {
	case err := <-done:
		if !errors.Is(err, ErrNoAck) {
			t.Errorf("Request = %v, want ErrNoAck", err)
		}
		if retry, _ := classify(err); !retry {
			t.Error("an unacknowledged request is not retried")
		}
	case <-time.After(guard):
		t.Fatal("Request did not time out")
	}
}

// TestConnRepliesOfOneReqIDInTurn: frames sharing a req_id go one at a
// time, each after the previous one's ack.
func TestConnRepliesOfOneReqIDInTurn(t *testing.T) {
	c := NewConn("", "bot", "s", nil)
	unlock, err := c.lockReq(context.Background(), "req")
	if err != nil {
		t.Fatal(err)
	}
	second := make(chan struct{})
	go func() {
		u, err := c.lockReq(context.Background(), "req")
		if err == nil {
			u()
		}
		close(second)
	}()
	other, err := c.lockReq(context.Background(), "other")
	if err != nil {
		t.Fatal(err)
	}
	other()
	select {
	case <-second:
		t.Fatal("a second frame of the same req_id went before the first's ack")
	default:
	}
	unlock()
	<-second
	ctx, cancel := context.WithCancel(context.Background())
	u, _ := c.lockReq(ctx, "x")
	cancel()
	if _, err := c.lockReq(ctx, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("waiting on a cancelled context: %v", err)
	}
	u()
}
