//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"planbot"
	"planbot/bot"
	"planbot/config"
	"planbot/telegram/telegramtest"
)

// inboundPerRound is how many reports each process answers in one round.
const inboundPerRound = 2000

// BenchmarkInboundPeer sets planbot's inbound path against the yardstick
// of issue 15: cmd/peerbot, the simplest correct bot on the same stack
// (tgbotapi long polling, one SQLite INSERT per message with planbot's
// DSN, sendMessage). One op is one round: the built `planbot run` on the
// example config, then the peer, each a fresh process on a fresh database
// against its own fake Bot API started with the same options, each sent
// the same inboundPerRound reports from the example's owners
// ("1.1 进度NN% 已与XX酒店签约", the percentage never falling, so that
// every one is recorded, not questioned). Telegram's pacing is off in
// planbot's config (it would measure only itself); the peer has none.
//
// A round's rate is reports over the time from the first one queued to
// the last reply delivered; its CPU is the process's user+system time
// over the same span, read from /proc/<pid>/stat just after the first poll
// and just after the last reply (10 ms ticks), so start and stop are not
// in it. Pairing is by round: the ratios are planbot's over the peer's in
// the same round, reported as median and range.
//
//	go test -run '^$' -bench 'InboundPeer' -benchtime 5x ./cmd/planbot/
func BenchmarkInboundPeer(b *testing.B) {
	planbotBin, err := planbotBinary()
	if err != nil {
		b.Fatal(err)
	}
	peerBin, err := peerBinary()
	if err != nil {
		b.Fatal(err)
	}
	reports := exampleReports(b, inboundPerRound)
	// PLANBOT_AGAINST names another build of planbot to run in the peer's
	// place: an A/B of two builds paired round by round ("peer" in the
	// figures is then that build).
	against, peerStopped := os.Getenv("PLANBOT_AGAINST"), "peerbot stopped"
	if against != "" {
		peerStopped = "planbot stopped"
	}
	var fig figures
	for b.Loop() { // unlike b.N, no extra round of one first
		pRate, pCPU := inboundRound(b, "planbot", "planbot stopped", reports, func(srv *telegramtest.Server, dir string) *benchProc {
			return startPlanbot(b, planbotBin, srv, dir)
		})
		qRate, qCPU := inboundRound(b, "peer", peerStopped, reports, func(srv *telegramtest.Server, dir string) *benchProc {
			if against != "" {
				return startPlanbot(b, against, srv, dir)
			}
			return startProc(b, "peerbot", peerBin, srv, "-db", filepath.Join(dir, "peer.db"), "-endpoint", srv.Endpoint(), "-poll", "5s")
		})
		fig.add("planbot-reports/s", pRate)
		fig.add("peer-reports/s", qRate)
		fig.add("rate-planbot/peer", pRate/qRate)
		fig.add("planbot-cpu-µs/msg", pCPU)
		fig.add("peer-cpu-µs/msg", qCPU)
		fig.add("cpu-planbot/peer", pCPU/qCPU)
	}
	fig.report(b, "rate-planbot/peer", "cpu-planbot/peer")
	fig.target(b, "rate-planbot/peer", ">=", 0.5)
	fig.target(b, "cpu-planbot/peer", "<=", 2)
}

// startPlanbot starts `bin run` on the example config against srv, with
// Telegram's pacing off (it would measure only itself).
func startPlanbot(b *testing.B, bin string, srv *telegramtest.Server, dir string) *benchProc {
	cfg := writeRunConfig(b, dir, srv.Endpoint(), filepath.Join(dir, "planbot.db"),
		[2]string{"per_second: 30\n", "per_second: 10000\n"},
		[2]string{"per_chat_seconds: 1\n", "per_chat_seconds: 0\n"},
		[2]string{"per_group_per_minute: 20\n", "per_group_per_minute: 10000\n"})
	return startProc(b, "planbot run", bin, srv, "run", "-config", cfg, "-poll", "5s")
}

// inboundReport is one report and who sends it.
type inboundReport struct {
	from telegramtest.User
	text string
}

// exampleReports cycles through the example's items whose first owner has
// a Telegram id, each report of an item one point above the last (up to
// 99%), so that planbot records every one. Items counted per village
// (TallyPerOwner) are left out: a percentage there is answered with a
// question for the village's own figure, not recorded.
func exampleReports(b *testing.B, n int) []inboundReport {
	cfg, err := config.Parse(planbot.ExampleConfigName, planbot.ExampleConfig)
	if err != nil {
		b.Fatal(err)
	}
	var items []planbot.Item
	for _, it := range cfg.Plan.Items {
		if p, _ := cfg.Plan.Person(it.Owners[0]); telegramID(p) != 0 && it.Tally != planbot.TallyPerOwner {
			items = append(items, it)
		}
	}
	out := make([]inboundReport, n)
	for i := range out {
		it := items[i%len(items)]
		p, _ := cfg.Plan.Person(it.Owners[0])
		out[i] = inboundReport{telegramtest.User{ID: telegramID(p), FirstName: p.Name},
			fmt.Sprintf("%s 进度%d%% 已与XX酒店签约", it.Code, min(99, 10+i/len(items)))}
	}
	return out
}

// inboundRound starts one bot with start, sends it the reports once it
// polls, waits for every reply, and returns reports/s and CPU µs per
// report. Every reply must be an answer (planbot's "已记录", the peer's
// "已收到"), none an apology.
func inboundRound(b *testing.B, name, stoppedLine string, reports []inboundReport, start func(srv *telegramtest.Server, dir string) *benchProc) (rate, cpuPerMsg float64) {
	dir := b.TempDir()
	srv := telegramtest.New(b, telegramtest.WithMaxPollWait(time.Second))
	defer srv.Close()
	p := start(srv, dir)
	p.waitPolling(b, srv)
	chats := map[int64]bool{}
	for _, r := range reports {
		chats[r.from.ID] = true
	}
	isSender := func(id int64) bool { return chats[id] }
	already := srv.OKCount("sendMessage", isSender) // nothing, unless the bot greets at start

	cpu0, began := p.cpu(b), time.Now()
	for _, r := range reports {
		srv.SendText(r.from, telegramtest.PrivateChat(r.from), r.text)
	}
	srv.WaitUntil(b, 5*time.Minute, name+" replying", func() bool {
		select {
		case <-p.exited:
			return true
		default:
			return srv.OKCount("sendMessage", isSender) >= already+len(reports)
		}
	})
	p.failIfExited(b)
	elapsed, cpu := time.Since(began), p.cpu(b)-cpu0
	p.stop(b, stoppedLine)

	answered, apologies := 0, 0
	for _, c := range srv.CallsTo("sendMessage") { // once per round, after the clock
		text := bot.PlainText(c.Text)
		switch {
		case !c.OK || !chats[c.ChatID]:
		case strings.Contains(text, "已记录") || strings.Contains(text, "已收到"):
			answered++
		case strings.Contains(text, "抱歉"):
			apologies++
		}
	}
	if answered < len(reports) || apologies > 0 {
		b.Fatalf("%s: %d of %d reports answered as recorded, %d apologies", name, answered, len(reports), apologies)
	}
	return float64(len(reports)) / elapsed.Seconds(), float64(cpu.Microseconds()) / float64(len(reports))
}

// figures collects one value per round for each named figure, in the
// order first added.
type figures struct {
	names []string
	vals  map[string][]float64
}

func (f *figures) add(name string, v float64) {
	if f.vals == nil {
		f.vals = map[string][]float64{}
	}
	if _, ok := f.vals[name]; !ok {
		f.names = append(f.names, name)
	}
	f.vals[name] = append(f.vals[name], v)
}

// median and spread of one figure over the rounds.
func (f *figures) stats(name string) (med, lo, hi float64) {
	xs := slices.Sorted(slices.Values(f.vals[name]))
	if len(xs) == 0 {
		return 0, 0, 0
	}
	med = xs[len(xs)/2]
	if len(xs)%2 == 0 {
		med = (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
	}
	return med, xs[0], xs[len(xs)-1]
}

// report reports each figure's median over the rounds as a metric, and
// for the ratios named also their minimum and maximum (units "-min",
// "-max"). (Not logged: a benchmark's log is cut at ten lines, and the
// targets' lines come first.)
func (f *figures) report(b *testing.B, ratios ...string) {
	for _, name := range f.names {
		med, lo, hi := f.stats(name)
		b.ReportMetric(med, name)
		if slices.Contains(ratios, name) {
			b.ReportMetric(lo, name+"-min")
			b.ReportMetric(hi, name+"-max")
		}
	}
}

// target logs whether a figure's median meets issue 15's target, so that
// a run says at a glance what is met.
func (f *figures) target(b *testing.B, name, op string, bound float64) {
	b.Helper()
	med, lo, hi := f.stats(name)
	met := med <= bound
	if op == ">=" {
		met = med >= bound
	}
	verdict := "NOT MET"
	if met {
		verdict = "met"
	}
	b.Logf("target %s %s %g: median %.3f (range %.3f–%.3f): %s", name, op, bound, med, lo, hi, verdict)
}
