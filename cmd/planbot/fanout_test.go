package main

// BenchmarkFanOut: a reminder fan-out through the real outbox Sender, the
// real tgbotapi client and the fake Bot API over HTTP, on a SQLite file,
// with Telegram's limits scaled up so a run takes a fraction of a second.
// At scale ×100:
//
//	per_second 30 → 3000: Gap = ⌈1 s / 3000⌉ = 333.334 µs
//	per_chat_seconds 1 → 10 ms (PerChat and PerGroup)
//
// Sub-benchmarks: 1,000 chats with one reminder each (the fan-out) and 100
// chats with ten each (the per-chat pause binds too), at ×100; and the
// fan-out at ×10 (300/s, Gap 3.33 ms), where the sender's own cost per
// message (about 0.35 ms: the request and recording its outcome) is small
// next to Gap, as at Telegram's real 30/s.
//
// Metrics, over the sends' arrival times at the fake (what Telegram would
// measure; every request counts, whatever its outcome):
//
//   - share-of-limit: (sends − 1) / (last arrival − first arrival) / the
//     configured rate.
//   - violations (must be 0): a window of the scaled second W (10 ms at
//     ×100) that holds more than 30 sends, or of 1 s that holds more than
//     per_second; or two sends to one chat less than PerChat apart. A
//     1 s window alone would prove nothing: the fan-out lasts a third of a
//     second. The sender spaces the starts of its requests by Gap, on its
//     clock; with one request in flight at a time, request k+1 starts after
//     request k reached the fake, so sends k and k+30 arrive at least
//     29 × Gap = W − Gap apart whatever their transit times. A window is
//     therefore counted when it holds more than 30 sends within W − Gap:
//     a correct sender never has one, however loaded the machine. A chat's
//     pause runs from the answer to its previous message, so it holds on
//     the fake's clock as it is.
//   - strict-windows (informational): windows of the full W holding more
//     than 30 arrivals, i.e. what transit jitter made of exact spacing.
//
// Run: go test ./cmd/planbot -run '^$' -bench BenchmarkFanOut -benchtime 5x

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"planbot"
	"planbot/delivery"
	"planbot/storage"
	"planbot/telegram"
	"planbot/telegram/telegramtest"
)

// fanoutScale is how much faster than Telegram's limits (30/s, 1 s per
// chat) the benchmark sends.
const fanoutScale = 100

// fanoutGap is the least time between two sends for perSecond a second,
// rounded up: with 1 s / 3000 rounded down to 333.333 µs, 3,001 sends fit
// in one second.
func fanoutGap(perSecond float64) time.Duration {
	g := time.Duration(float64(time.Second) / perSecond)
	if float64(g)*perSecond < float64(time.Second) {
		g++
	}
	return g
}

// fanoutCounter counts the messages the sender marked sent and closes done
// at want. (The benchmark does not wait with the fake's WaitFor: it copies
// every call on every change, a quadratic cost in CPU the sender needs.)
type fanoutCounter struct {
	*storage.DB
	n    atomic.Int64
	want int64
	done chan struct{}
}

// ClaimBatchAfter counts the messages recorded as delivered.
func (c *fanoutCounter) ClaimBatchAfter(ctx context.Context, platform string, now time.Time, n, perLane int, skip func(planbot.ChatID) bool, delivered []planbot.Delivered) ([]planbot.OutboxMessage, error) {
	out, err := c.DB.ClaimBatchAfter(ctx, platform, now, n, perLane, skip, delivered)
	if k := int64(len(delivered)); err == nil && k > 0 {
		if total := c.n.Add(k); total >= c.want && total-k < c.want {
			close(c.done)
		}
	}
	return out, err
}

// fanoutViolations counts, over the sends' arrival times, the windows
// [t, t+window) starting at a send that hold more than limit sends.
func fanoutViolations(times []time.Time, window time.Duration, limit int) int {
	times = slices.Clone(times)
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	n, j := 0, 0
	for i := range times {
		for j < len(times) && times[j].Sub(times[i]) < window {
			j++
		}
		if j-i > limit {
			n++
		}
	}
	return n
}

// fanoutChatViolations counts consecutive sends to one chat closer than gap.
func fanoutChatViolations(times []time.Time, gap time.Duration) int {
	times = slices.Clone(times)
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	n := 0
	for i := 1; i < len(times); i++ {
		if times[i].Sub(times[i-1]) < gap {
			n++
		}
	}
	return n
}

var _ delivery.Outbox = (*storage.DB)(nil)

func BenchmarkFanOut(b *testing.B) {
	for _, c := range []struct{ chats, each, scale int }{{1000, 1, fanoutScale}, {100, 10, fanoutScale}, {1000, 1, 10}, {150, 1, 1}} {
		b.Run(fmt.Sprintf("chats=%d/each=%d/scale=%d", c.chats, c.each, c.scale), func(b *testing.B) {
			benchFanOut(b, c.chats, c.each, c.scale)
		})
	}
}

// fanoutRun is what one fan-out showed.
type fanoutRun struct {
	share                 float64
	violations, jitterWin int
}

func benchFanOut(b *testing.B, chats, each, scale int) {
	var runs []fanoutRun
	for range b.N {
		runs = append(runs, fanOutOnce(b, chats, each, scale))
	}
	var share float64
	violations, jitter := 0, 0
	for _, r := range runs {
		share += r.share / float64(len(runs))
		violations = max(violations, r.violations)
		jitter = max(jitter, r.jitterWin)
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(share, "share-of-limit")
	b.ReportMetric(float64(violations), "violations")
	b.ReportMetric(float64(jitter), "strict-windows")
	if violations > 0 {
		b.Fatalf("%d limit violations", violations)
	}
}

// fanOutOnce queues each reminders to each of chats chats and sends them
// all; only the sending is timed.
func fanOutOnce(b *testing.B, chats, each, scale int) fanoutRun {
	b.StopTimer()
	ctx := context.Background()
	srv := telegramtest.New(b)
	defer srv.Close()
	db, err := storage.Open(ctx, filepath.Join(b.TempDir(), "fanout.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	total := chats * each
	msgs := make([]planbot.OutboxMessage, 0, total)
	past := time.Now().Add(-time.Minute)
	chat := func(i int) int64 { return int64(200000001 + i) }
	for k := range each {
		for i := range chats {
			msgs = append(msgs, planbot.OutboxMessage{ChatID: telegram.ChatID(chat(i)),
				Text:     fmt.Sprintf("⏰ <b>逾期提醒</b>：事项 %d.%d 已逾期 %d 天，请尽快汇报进度。", i%7+1, k+1, i%30+1),
				Priority: planbot.PriorityReminder, CreatedAt: past})
		}
	}
	if err := db.Enqueue(ctx, msgs...); err != nil {
		b.Fatal(err)
	}
	api, err := tgbotapi.NewBotAPIWithClient(srv.Token(), srv.Endpoint(), &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	counter := &fanoutCounter{DB: db, want: int64(total), done: make(chan struct{})}
	perSecond, window := 30*scale, time.Second/time.Duration(scale)
	lim := telegram.Limits(float64(perSecond), 1, 20)
	lim.Gap, lim.PerChat, lim.PerGroup = fanoutGap(float64(perSecond)), window, window
	sender := delivery.New(telegram.Platform, telegram.NewChannel(api, srv.Token()), counter, lim, slog.New(slog.DiscardHandler), time.Now)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	b.StartTimer()
	go func() {
		defer close(done)
		_ = sender.Run(runCtx)
	}()
	select {
	case <-counter.done:
	case <-time.After(2 * time.Minute):
		b.Fatalf("%d of %d messages sent", counter.n.Load(), total)
	}
	b.StopTimer()
	stop()
	<-done

	var r fanoutRun
	var all []time.Time
	for i := range chats {
		ts := srv.SendTimes(chat(i))
		if len(ts) != each {
			b.Errorf("chat %d got %d sends, want %d", chat(i), len(ts), each)
		}
		r.violations += fanoutChatViolations(ts, window)
		all = append(all, ts...)
	}
	r.violations += fanoutViolations(all, window-lim.Gap, 30)
	r.violations += fanoutViolations(all, time.Second-lim.Gap, perSecond)
	r.jitterWin = fanoutViolations(all, window, 30)
	slices.SortFunc(all, func(a, b time.Time) int { return a.Compare(b) })
	r.share = float64(len(all)-1) / all[len(all)-1].Sub(all[0]).Seconds() / float64(perSecond)
	if counts, err := db.OutboxCounts(ctx); err != nil || counts[storage.OutboxSent] != total {
		b.Errorf("outbox after the fan-out: %v, %v", counts, err)
	}
	b.StartTimer()
	return r
}
