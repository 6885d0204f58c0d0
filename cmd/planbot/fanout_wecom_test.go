package main

// BenchmarkFanOutWeCom: BenchmarkFanOut's measurement for WeCom. A reminder
// fan-out goes from a SQLite outbox through the real delivery.Sender and
// wecom.Channel over a real wecom.Conn (a WebSocket subscribed to the fake
// WeCom, wecomtest), or through wecom.HookChannel to the fake's group robot
// webhook over HTTP.
//
// The limits are WeCom's, scaled ×S so a run takes seconds, and the fake
// runs on a clock S times faster than the wall clock (wecomtest.WithClock):
// on its clock the bot must keep WeCom's real limits, and the fake's own
// 30-a-minute per chat and 20-a-minute per robot counters (45009) count in
// WeCom's minutes. (Here no chat gets more than 10 messages and no robot
// more than 20, so those counters cannot refuse; the gap checks below are
// what catch a sender too fast.) Every figure below is on the fake's
// clock:
//
//	AI bot:      wecom.Limits(10×S, 30×S): Gap = 100 ms / S, PerChat = 2 s / S
//	             → on the fake's clock 10/s overall, one message per 2 s per chat
//	group robot: wecom.HookLimits(20×S), its 50 ms Gap also / S (the robots
//	             share no documented rate; the Gap only spreads a burst,
//	             3 s per robot stays 60 times it as in production)
//	             → on the fake's clock one message per 3 s per robot
//
// Cases (chats × messages each, scale): 1,000 × 1 at ×50 and ×20, where the
// overall 10/s binds; 50 × 10 at ×20, where it binds too (50 chats at one
// per 2 s each would be 25/s); 10 × 10 at ×10, where the per-chat rate
// binds (10 chats at one per 2 s is 5/s, half the overall rate); 50 × 1 at
// WeCom's real limits (×1, 5 s); 3 robots × 20 at ×20, where each robot's
// 20/min binds.
//
// The sender starts each request when a timer fires after Gap; the
// runtime's timers fire late by a fixed amount (about 0.7 ms on the CI
// machine), so the share of the overall rate falls as the scale shrinks
// Gap (5 ms at ×20, 2 ms at ×50) and is close to 1 at WeCom's 100 ms.
//
// Metrics, over the fake's arrival times of the accepted frames (Sent().At,
// Hooks().At), every frame accepted (any refusal fails the run):
//
//   - share-overall: (frames − 1) / (last − first arrival) / 10 per second.
//   - share-per-chat: the mean over chats (robots) with more than one
//     message of (n − 1) × PerChat / (last − first arrival).
//   - share-of-limit: the one of the two that binds in the case.
//   - violations (must be 0): a window of W − Gap (W = 1 s, as in
//     BenchmarkFanOut: one request in flight, so sends k and k+10 arrive
//     at least 9 × Gap = W − Gap apart) holding more than 10 frames; two
//     frames to one chat (robot) less than PerChat apart (its pause runs
//     from the answer, so it holds on the fake's clock as it is); and the
//     frames (requests) the fake refused with 45009 (Violations).
//   - strict-windows (informational): windows of the full W holding more
//     than 10 frames: transit jitter.
//
// Run: go test ./cmd/planbot -run '^$' -bench BenchmarkFanOutWeCom -benchtime 3x

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"planbot"
	"planbot/delivery"
	"planbot/storage"
	"planbot/wecom"
	"planbot/wecom/wecomtest"
)

// WeCom's rates, as wecom.Limits and wecom.HookLimits default them.
const (
	weComPerSecond        = 10
	weComPerChatPerMinute = 30
	weComHookPerMinute    = 20
)

// weComClock is a clock that runs scale times faster than the wall clock
// from now on: the fake's, so its minutes are WeCom's.
func weComClock(scale int) func() time.Time {
	t0 := time.Now()
	return func() time.Time { return t0.Add(time.Since(t0) * time.Duration(scale)) }
}

// weComRun is what one fan-out showed.
type weComRun struct {
	overall, perChat, binding float64 // shares; perChat NaN when no chat got two
	violations, fake, strict  int
}

func BenchmarkFanOutWeCom(b *testing.B) {
	for _, c := range []struct{ chats, each, scale int }{{1000, 1, 50}, {1000, 1, 20}, {50, 10, 20}, {10, 10, 10}, {50, 1, 1}} {
		b.Run(fmt.Sprintf("chats=%d/each=%d/scale=%d", c.chats, c.each, c.scale), func(b *testing.B) {
			reportWeCom(b, func() weComRun { return fanOutWeComOnce(b, c.chats, c.each, c.scale) })
		})
	}
	b.Run("robots=3/each=20/scale=20", func(b *testing.B) {
		reportWeCom(b, func() weComRun { return fanOutHooksOnce(b, 3, 20, 20) })
	})
}

// reportWeCom runs once b.N times and reports the mean shares and the most
// violations of any run.
func reportWeCom(b *testing.B, once func() weComRun) {
	var runs []weComRun
	for range b.N {
		runs = append(runs, once())
	}
	var overall, perChat, binding float64
	violations, fake, strict := 0, 0, 0
	for _, r := range runs {
		overall += r.overall / float64(len(runs))
		perChat += r.perChat / float64(len(runs))
		binding += r.binding / float64(len(runs))
		violations, fake, strict = max(violations, r.violations), max(fake, r.fake), max(strict, r.strict)
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(binding, "share-of-limit")
	if !math.IsNaN(overall) {
		b.ReportMetric(overall, "share-overall")
	}
	if !math.IsNaN(perChat) {
		b.ReportMetric(perChat, "share-per-chat")
	}
	b.ReportMetric(float64(violations+fake), "violations")
	b.ReportMetric(float64(fake), "refused-45009")
	b.ReportMetric(float64(strict), "strict-windows")
	if violations+fake > 0 {
		b.Fatalf("%d limit violations, %d of them refused by the fake (45009)", violations+fake, fake)
	}
}

// weComSetup opens the outbox and queues msgs; only the sending is timed.
func weComSetup(b *testing.B, msgs []planbot.OutboxMessage) *storage.DB {
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(b.TempDir(), "fanout.db"),
		storage.WithTextLimit(wecom.Platform, wecom.MaxText), storage.WithTextLimit(wecom.HookPlatform, wecom.MaxText))
	if err != nil {
		b.Fatal(err)
	}
	if err := db.Enqueue(ctx, msgs...); err != nil {
		b.Fatal(err)
	}
	return db
}

// weComReminders are each reminders to each of the chats chat(i), the
// first to every chat, then the second …
func weComReminders(chats, each int, chat func(int) planbot.ChatID) []planbot.OutboxMessage {
	msgs := make([]planbot.OutboxMessage, 0, chats*each)
	past := time.Now().Add(-time.Minute)
	for k := range each {
		for i := range chats {
			msgs = append(msgs, planbot.OutboxMessage{ChatID: chat(i),
				Text:     fmt.Sprintf("⏰ <b>逾期提醒</b>：事项 %d.%d 已逾期 %d 天，请尽快汇报进度。", i%7+1, k+1, i%30+1),
				Priority: planbot.PriorityReminder, CreatedAt: past})
		}
	}
	return msgs
}

// weComDrain runs sender until counter has seen every message marked
// sent; only that is timed.
func weComDrain(b *testing.B, sender *delivery.Sender, counter *fanoutCounter) {
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	b.StartTimer()
	go func() {
		defer close(done)
		_ = sender.Run(runCtx)
	}()
	select {
	case <-counter.done:
	case <-time.After(2 * time.Minute):
		b.Errorf("%d of %d messages sent", counter.n.Load(), counter.want)
	}
	b.StopTimer()
	stop()
	<-done
	if b.Failed() {
		b.FailNow()
	}
}

// fanOutWeComOnce queues each reminders to each of chats private chats
// and sends them over the AI bot's long connection.
func fanOutWeComOnce(b *testing.B, chats, each, scale int) weComRun {
	b.StopTimer()
	ctx := context.Background()
	// The fake's chat limit is left at WeCom's 30 a minute, on its clock.
	srv := wecomtest.New(b, wecomtest.WithClock(weComClock(scale)))
	defer srv.Close()
	user := func(i int) string { return fmt.Sprintf("zhang%04d", i) }
	for i := range chats {
		srv.KnownChat(user(i), false)
	}
	db := weComSetup(b, weComReminders(chats, each, func(i int) planbot.ChatID { return wecom.UserChat(user(i)) }))
	defer db.Close()

	conn := wecom.NewConn(srv.URL(), srv.BotID(), srv.Secret(), slog.New(slog.DiscardHandler))
	up := make(chan struct{})
	var once sync.Once
	conn.OnUp = func() { once.Do(func() { close(up) }) }
	connCtx, stopConn := context.WithCancel(ctx)
	connDone := make(chan struct{})
	go func() {
		defer close(connDone)
		_ = conn.Run(connCtx)
	}()
	defer func() { stopConn(); <-connDone }()
	select {
	case <-up:
	case <-time.After(10 * time.Second):
		b.Fatal("the connection did not subscribe")
	}

	total := chats * each
	counter := &fanoutCounter{DB: db, want: int64(total), done: make(chan struct{})}
	// As run wires it (buildWeCom): default MaxInFlight, the rates scaled.
	lim := wecom.Limits(float64(weComPerSecond*scale), float64(weComPerChatPerMinute*scale))
	sender := delivery.New(wecom.Platform, wecom.NewChannel(conn), counter, lim, slog.New(slog.DiscardHandler), time.Now)
	weComDrain(b, sender, counter)

	for _, f := range srv.Frames() {
		if f.Errcode != 0 && f.Errcode != wecomtest.ErrRateLimit {
			b.Errorf("frame %s refused: %d %s", f.Cmd, f.Errcode, f.Errmsg)
		}
	}
	perChat := 2 * time.Second // on the fake's clock: 30 a minute
	byChat := map[string][]time.Time{}
	var all []time.Time
	for _, s := range srv.Sent() {
		byChat[s.ChatID] = append(byChat[s.ChatID], s.At)
		all = append(all, s.At)
	}
	var r weComRun
	for i := range chats {
		ts := byChat[user(i)]
		if len(ts) != each {
			b.Errorf("chat %s got %d frames, want %d", user(i), len(ts), each)
		}
		r.violations += fanoutChatViolations(ts, perChat)
	}
	gap := time.Second / weComPerSecond
	r.violations += fanoutViolations(all, time.Second-gap, weComPerSecond)
	r.strict = fanoutViolations(all, time.Second, weComPerSecond)
	r.fake = srv.Violations()
	r.overall = weComRateShare(all, gap)
	r.perChat = weComChatShare(byChat, perChat)
	r.binding = r.overall
	if float64(chats)*float64(gap) < float64(perChat) {
		r.binding = r.perChat // the chats together need less than the overall rate
	}
	if counts, err := db.OutboxCounts(ctx); err != nil || counts[storage.OutboxSent] != total {
		b.Errorf("outbox after the fan-out: %v, %v", counts, err)
	}
	return r
}

// fanOutHooksOnce queues each reminders to each of robots group robots
// and sends them through the webhook.
func fanOutHooksOnce(b *testing.B, robots, each, scale int) weComRun {
	b.StopTimer()
	ctx := context.Background()
	keys := map[string]string{}
	var secrets []string
	name := func(i int) string { return fmt.Sprintf("robot%d", i+1) }
	for i := range robots {
		keys[name(i)] = fmt.Sprintf("key-%d", i+1)
		secrets = append(secrets, keys[name(i)])
	}
	srv := wecomtest.New(b, wecomtest.WithClock(weComClock(scale)), wecomtest.WithRobots(secrets...))
	defer srv.Close()
	db := weComSetup(b, weComReminders(robots, each, func(i int) planbot.ChatID { return wecom.RobotChat(name(i)) }))
	defer db.Close()

	total := robots * each
	counter := &fanoutCounter{DB: db, want: int64(total), done: make(chan struct{})}
	lim := wecom.HookLimits(float64(weComHookPerMinute * scale))
	lim.Gap = (lim.Gap + time.Duration(scale) - 1) / time.Duration(scale)
	ch := wecom.NewHookChannel(srv.WebhookURL(), keys, &http.Client{Timeout: 10 * time.Second})
	sender := delivery.New(wecom.HookPlatform, ch, counter, lim, slog.New(slog.DiscardHandler), time.Now)
	weComDrain(b, sender, counter)

	perRobot := time.Minute / weComHookPerMinute // 3 s on the fake's clock
	byKey := map[string][]time.Time{}
	var all []time.Time
	for _, h := range srv.Hooks() {
		if h.Errcode != 0 && h.Errcode != wecomtest.ErrRateLimit {
			b.Errorf("webhook request refused: %d %s", h.Errcode, h.Errmsg)
		}
		if h.Errcode == 0 {
			byKey[h.Key] = append(byKey[h.Key], h.At)
			all = append(all, h.At)
		}
	}
	var r weComRun
	for i := range robots {
		ts := byKey[keys[name(i)]]
		if len(ts) != each {
			b.Errorf("robot %s got %d messages, want %d", name(i), len(ts), each)
		}
		r.violations += fanoutChatViolations(ts, perRobot)
	}
	r.fake = srv.Violations()
	r.overall = math.NaN() // the robots share no documented rate
	r.perChat = weComChatShare(byKey, perRobot)
	r.binding = r.perChat
	if counts, err := db.OutboxCounts(ctx); err != nil || counts[storage.OutboxSent] != total {
		b.Errorf("outbox after the fan-out: %v, %v", counts, err)
	}
	return r
}

// weComRateShare is the rate of the arrivals times over the rate of one
// every gap.
func weComRateShare(times []time.Time, gap time.Duration) float64 {
	if len(times) < 2 {
		return math.NaN()
	}
	first, last := slices.MinFunc(times, time.Time.Compare), slices.MaxFunc(times, time.Time.Compare)
	return float64(len(times)-1) * gap.Seconds() / last.Sub(first).Seconds()
}

// weComChatShare is the mean over chats with two arrivals or more of
// their weComRateShare against gap; NaN if there is none.
func weComChatShare(byChat map[string][]time.Time, gap time.Duration) float64 {
	sum, n := 0.0, 0
	for _, ts := range byChat {
		if len(ts) > 1 {
			sum += weComRateShare(ts, gap)
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}
