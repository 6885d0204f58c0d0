package main

// BenchmarkFanOut: a reminder fan-out through the real outbox Sender, the
// real tgbotapi client and the fake Bot API over HTTP, with Telegram's
// limits scaled ×100 so a run takes a fraction of a second:
//
//	per_second 30 → 3000 (Gap = ⌈1 s / 3000⌉ = 333.334 µs)
//	per_chat_seconds 1 → 10 ms
//
// It reports the achieved rate as a share of the configured rate
// ("share-of-limit", from the first to the last send as the fake's clock saw
// them) and the number of limit violations ("violations"), which must be 0:
//
//   - global: a window [t, t+W) starting at any send that holds more than
//     W × per_second sends. W is the scaled second, 10 ms (30 sends): a
//     fan-out of 1,000 at 3,000/s lasts a third of a second, so a 1 s
//     window would hold every send and prove nothing. Windows of 1 s are
//     counted too (more than 3,000 sends).
//   - per chat: two sends to one chat less than PerChat apart.
//
// Times are the fake's arrival times (what Telegram would measure), every
// request counted (a send that failed still counts against the limit).
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
	"planbot/bot"
	"planbot/bot/fakeapi"
	"planbot/storage"
)

// fanoutLimits are Telegram's limits scaled ×100.
const (
	fanoutPerSecond = 3000
	fanoutPerChat   = 10 * time.Millisecond
	fanoutScale     = 100
)

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
	bot.Outbox
	n    atomic.Int64
	want int64
	done chan struct{}
}

func (c *fanoutCounter) MarkSent(ctx context.Context, id int64, msgID int, now time.Time) error {
	err := c.Outbox.MarkSent(ctx, id, msgID, now)
	if err == nil && c.n.Add(1) == c.want {
		close(c.done)
	}
	return err
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

func BenchmarkFanOut(b *testing.B) {
	for _, c := range []struct{ chats, each int }{{1000, 1}, {100, 10}} {
		b.Run(fmt.Sprintf("chats=%d/each=%d", c.chats, c.each), func(b *testing.B) {
			benchFanOut(b, c.chats, c.each)
		})
	}
}

func benchFanOut(b *testing.B, chats, each int) {
	ctx := context.Background()
	gap := fanoutGap(fanoutPerSecond)
	total := chats * each
	var shares, violations, rates []float64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		srv := fakeapi.New(b)
		db, err := storage.Open(ctx, filepath.Join(b.TempDir(), "fanout.db"))
		if err != nil {
			b.Fatal(err)
		}
		msgs := make([]planbot.OutboxMessage, 0, total)
		past := time.Now().Add(-time.Minute)
		for k := range each {
			for i := range chats {
				msgs = append(msgs, planbot.OutboxMessage{ChatID: int64(200000001 + i), ParseMode: "HTML",
					Text:     fmt.Sprintf("⏰ <b>逾期提醒</b>：事项 %d.%d 已逾期 %d 天，请尽快汇报进度。", i%7+1, k+1, i%30+1),
					Priority: bot.PriorityReminder, CreatedAt: past})
			}
		}
		if err := db.Enqueue(ctx, msgs...); err != nil {
			b.Fatal(err)
		}
		api, err := tgbotapi.NewBotAPIWithClient(srv.Token(), srv.Endpoint(), &http.Client{Timeout: 10 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		counter := &fanoutCounter{Outbox: db, want: int64(total), done: make(chan struct{})}
		sender := bot.NewSender(api, counter, slog.New(slog.DiscardHandler), time.Now)
		sender.Gap, sender.PerChat, sender.PerGroup = gap, fanoutPerChat, fanoutPerChat
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

		var all []time.Time
		v := 0
		for i := range chats {
			ts := srv.SendTimes(int64(200000001 + i))
			if len(ts) != each {
				b.Errorf("chat %d got %d sends, want %d", 200000001+i, len(ts), each)
			}
			v += fanoutChatViolations(ts, fanoutPerChat)
			all = append(all, ts...)
		}
		v += fanoutViolations(all, time.Second/fanoutScale, fanoutPerSecond/fanoutScale)
		v += fanoutViolations(all, time.Second, fanoutPerSecond)
		slices.SortFunc(all, func(a, b time.Time) int { return a.Compare(b) })
		span := all[len(all)-1].Sub(all[0])
		rate := float64(len(all)-1) / span.Seconds()
		rates = append(rates, rate)
		shares = append(shares, rate/fanoutPerSecond)
		violations = append(violations, float64(v))
		if counts, err := db.OutboxCounts(ctx); err != nil || counts[storage.OutboxSent] != total {
			b.Errorf("outbox after the fan-out: %v, %v", counts, err)
		}
		db.Close()
		srv.Close()
		b.StartTimer()
	}
	b.StopTimer()
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	b.ReportMetric(mean(shares), "share-of-limit")
	b.ReportMetric(mean(rates), "sends/s")
	b.ReportMetric(slices.Max(violations), "violations")
	b.ReportMetric(0, "ns/op")
	if v := slices.Max(violations); v > 0 {
		b.Fatalf("%v limit violations", v)
	}
}
