//go:build unix

package main

// Fault scenarios against the real `planbot run` process (issue #5): each
// test runs the built binary against the fake Bot API on loopback
// (harness_test.go), injects one kind of trouble Telegram or the operator
// causes, and asserts what a user or an operator sees: the messages that
// arrive and when, the replies, the database, and the output of the
// commands an operator runs. The same guarantees have in-process tests in
// e2e_test.go; these prove them for the process as deployed.
//
// No test sleeps to wait for something: every wait is on an observable
// condition (a call the fake recorded, an update confirmed, a row
// committed), with a guard timeout. The one timed step is the outage's
// length in TestFaultOutage, which is the scenario itself. Skipped under
// -short: they build and run the binary.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"planbot"
	"planbot/storage"
	"planbot/telegram/telegramtest"
)

// faultGuard bounds every wait of these tests; each needs seconds.
const faultGuard = 30 * time.Second

var uHan = telegramtest.User{ID: 100000013, FirstName: "韩", LastName: "主任"} // cadre: owns 4.4 alone

// enqueueAt queues msgs in the database at path, as a reminder job would
// have: created a minute ago, due now.
func enqueueAt(t *testing.T, path string, msgs ...planbot.OutboxMessage) {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	past := time.Now().Add(-time.Minute)
	for i := range msgs {
		msgs[i].CreatedAt = past
	}
	if err := db.Enqueue(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}

// openDB opens the database at path for the test's checks; t.Cleanup
// closes it.
func openDB(t *testing.T, path string) *storage.DB {
	t.Helper()
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sendsTo is the sendMessage calls to chat, whatever their outcome.
func sendsTo(calls []telegramtest.Call, chat int64) []telegramtest.Call {
	return telegramtest.Filter(calls, func(c telegramtest.Call) bool { return c.Method == "sendMessage" && c.ChatID == chat })
}

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the planbot binary")
	}
}

// a. A 429 with retry_after for one chat: that chat is left alone for
// retry_after seconds, its messages then arrive once each and in order,
// and the other chats' messages keep flowing meanwhile. Telegram's
// per-chat pacing (1 s) is kept, so a chat's second message comes a
// second after its first.
func TestFault429OneChat(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newBinHarness(t, telegramtest.WithMaxPollWait(2*time.Second))
	began := time.Now()
	dbPath, cfg := h.runConfig() // Telegram's limits: 30/s, 1 s per chat
	const retryAfter = 2
	limited := uMa.ID
	others := []int64{uZhao.ID, uQian.ID, uXu.ID, uChen.ID, uZhang.ID}
	var msgs []planbot.OutboxMessage
	for _, chat := range append([]int64{limited}, others...) { // the limited chat's first: its 429 opens the run
		for i := 1; i <= 2; i++ {
			msgs = append(msgs, planbot.OutboxMessage{ChatID: tgChat(chat), Text: fmt.Sprintf("⏰ <b>逾期提醒</b> %d-%d", chat, i)})
		}
	}
	enqueueAt(t, dbPath, msgs...)
	h.srv.FailNext("sendMessage", 1, telegramtest.Fault{RetryAfter: retryAfter, ChatID: limited})

	p := h.startRun("run", cfg)
	calls := h.srv.WaitFor(t, faultGuard, func(calls []telegramtest.Call) bool {
		for _, m := range msgs {
			if len(telegramtest.SentTo(calls, chatNumber(m.ChatID))) < 2 {
				return false
			}
		}
		return true
	})
	p.stop(t)
	calls = h.srv.Calls()

	toLimited := sendsTo(calls, limited)
	if len(toLimited) != 3 || toLimited[0].Status != http.StatusTooManyRequests || toLimited[1].Status != http.StatusOK || toLimited[2].Status != http.StatusOK {
		t.Fatalf("sends to the rate-limited chat: want a 429 and then its two messages once each:\n%s", telegramtest.Describe(toLimited))
	}
	hit := toLimited[0].At
	cooldownEnd := hit.Add(retryAfter * time.Second)
	if toLimited[1].At.Before(cooldownEnd) {
		t.Errorf("the rate-limited chat was sent to %v after its 429, before retry_after (%d s)", toLimited[1].At.Sub(hit), retryAfter)
	}
	if !strings.HasSuffix(toLimited[1].Text, "-1") || !strings.HasSuffix(toLimited[2].Text, "-2") {
		t.Errorf("the rate-limited chat's messages out of order:\n%s", telegramtest.Describe(toLimited))
	}
	during := 0
	for _, chat := range others {
		sent := sendsTo(calls, chat)
		if len(sent) != 2 || !sent[0].OK || !sent[1].OK {
			t.Errorf("chat %d: want its 2 messages once each:\n%s", chat, telegramtest.Describe(sent))
			continue
		}
		for _, c := range sent {
			if c.At.After(hit) && c.At.Before(cooldownEnd) {
				during++
			}
		}
	}
	if during == 0 {
		t.Errorf("no other chat got a message during the %d s cooldown:\n%s", retryAfter, telegramtest.Describe(calls))
	}
	// Telegram's 1 message/s per chat, as the fake saw the requests arrive.
	for _, chat := range append([]int64{limited}, others...) {
		sent := sendsTo(calls, chat)
		for i := 1; i < len(sent); i++ {
			if gap := sent[i].At.Sub(sent[i-1].At); gap < time.Second {
				t.Errorf("chat %d: two sends %v apart, under Telegram's 1 s per chat", chat, gap)
			}
		}
	}
	if !strings.Contains(p.Output(), `msg="rate limited by the platform; this chat waits" platform=telegram`) {
		t.Errorf("the 429 was not logged")
	}
	if c := outboxCounts(t, dbPath); c[planbot.OutboxSent] != len(msgs) {
		t.Errorf("outbox at the end: %v, want all %d sent", c, len(msgs))
	}
	t.Logf("%d messages to 6 chats, %d delivered to others during the cooldown; %v", len(msgs), during, time.Since(began).Round(time.Millisecond))
}

// b. A user who blocked the bot (403): one attempt, no retry loop; their
// messages are failed, everyone else's delivered, and the operator sees
// the failure: `planbot outbox` lists it with Telegram's reason, and the
// admin's copy of the next digest (`planbot fire weekly_digest -dry-run`)
// names the person.
func TestFault403Blocked(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newBinHarness(t, telegramtest.WithMaxPollWait(2*time.Second))
	began := time.Now()
	dbPath, cfg := h.runConfig(fastSends...)
	blocked := uZhao.ID
	others := []int64{uMa.ID, uQian.ID, uXu.ID, uChen.ID}
	var msgs []planbot.OutboxMessage
	for i := 1; i <= 3; i++ {
		msgs = append(msgs, planbot.OutboxMessage{ChatID: tgChat(blocked), Text: fmt.Sprintf("⏰ <b>逾期提醒</b> 赵 %d", i)})
		for _, chat := range others {
			msgs = append(msgs, planbot.OutboxMessage{ChatID: tgChat(chat), Text: fmt.Sprintf("⏰ <b>逾期提醒</b> %d-%d", chat, i)})
		}
	}
	enqueueAt(t, dbPath, msgs...)
	h.srv.BlockChat(blocked)

	p := h.startRun("run", cfg)
	h.srv.WaitFor(t, faultGuard, func(calls []telegramtest.Call) bool {
		for _, chat := range others {
			if len(telegramtest.SentTo(calls, chat)) < 3 {
				return false
			}
		}
		return true
	})
	// A later event: a person writes, and the reply comes. Had the blocked
	// chat been queued for a retry, the sender would have passed over it
	// again by then.
	h.srv.SendText(uQian, telegramtest.PrivateChat(uQian), "/start")
	h.srv.WaitSent(t, uQian.ID, 4, faultGuard)
	p.stop(t)

	calls := h.srv.Calls()
	toBlocked := sendsTo(calls, blocked)
	if len(toBlocked) != 1 || toBlocked[0].Status != http.StatusForbidden {
		t.Errorf("sends to the blocked chat: want exactly one attempt, answered 403:\n%s", telegramtest.Describe(toBlocked))
	}
	db := openDB(t, dbPath)
	failed, err := db.FailedMessages(context.Background(), began.Add(-time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 3 {
		t.Errorf("%d failed messages, want the blocked chat's 3: %+v", len(failed), failed)
	}
	for _, m := range failed {
		if m.ChatID != tgChat(blocked) || m.Status != storage.OutboxFailed || !strings.Contains(m.LastError, "403 Forbidden: bot was blocked by the user") {
			t.Errorf("failed message: chat %s, %s, %q", m.ChatID, m.Status, m.LastError)
		}
	}
	if c := outboxCounts(t, dbPath); c[planbot.OutboxPending] != 0 || c[planbot.OutboxSending] != 0 || c[planbot.OutboxFailed] != 3 {
		t.Errorf("outbox at the end: %v", c)
	}

	// What the operator sees.
	out := h.command("outbox", "-config", cfg)
	wants(t, "planbot outbox", out, "失败 3", "发送失败（3）")
	if rows := regexp.MustCompile(`(?m)^\d+ +`+fmt.Sprint(blocked)+` +赵某某 .*403 Forbidden: bot was blocked by the user`).FindAllString(out, -1); len(rows) != 3 {
		t.Errorf("planbot outbox lists %d failed messages to chat %d (赵某某) with the 403, want 3:\n%s", len(rows), blocked, out)
	}
	// The admin is no digest recipient in the example: they get the
	// failure notice on its own, with the chart.
	digest := h.command("fire", "weekly_digest", "-dry-run", "-config", cfg)
	var toAdmin strings.Builder
	for _, part := range strings.Split(digest, "\n——— 发给 ")[1:] {
		if strings.HasPrefix(part, "郑某某 ———\n") {
			toAdmin.WriteString(part)
		}
	}
	wants(t, "the admin's digest (planbot fire weekly_digest -dry-run)", toAdmin.String(), "⚠️ 3 条消息发送失败", "赵某某×3")
	if strings.Count(digest, "赵某某×3") != 1 {
		t.Errorf("the failure notice goes to others than the admin:\n%s", digest)
	}
	t.Logf("blocked chat tried once, %d messages failed and shown to the admin; %v", len(failed), time.Since(began).Round(time.Millisecond))
}

// c. Updates waiting at Telegram while the bot was down, and a SIGKILL
// halfway through handling them: after a restart each update is recorded
// once, each report exists once, and each message got one reply (a reply
// in flight at the kill may come twice: at most 1).
func TestFaultRestartPendingUpdates(t *testing.T) {
	skipShort(t)
	t.Parallel()
	// Four updates an answer: the run commits them in ten batches, and the
	// kill falls between two.
	const perPoll = 4
	h := newBinHarness(t, telegramtest.WithMaxPollWait(2*time.Second), telegramtest.WithMaxUpdatesPerPoll(perPoll))
	began := time.Now()
	dbPath, cfg := h.runConfig(fastSends...)
	const n = 40
	codes := []string{"2.1", "2.2", "2.4", "2.5", "2.6"} // ma_jingfa's
	var ids []int
	for i := range n {
		// Each item's percent grows with i; the note tells the messages apart.
		ids = append(ids, h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), fmt.Sprintf("%s 进度%d%% 第%02d条", codes[i%len(codes)], 10+i, i)))
	}
	first, last := ids[0], ids[n-1]

	db := openDB(t, dbPath) // made before the run, which then finds it
	ctx := context.Background()
	p1 := h.startRun("first run", cfg)
	// Kill once about half are committed: watched in the database, since
	// neither the offset nor the replies move before the batch is done.
	handled := func() int {
		k := 0
		for _, id := range ids {
			if ok, err := db.UpdateHandled(ctx, id); err != nil {
				t.Fatal(err)
			} else if ok {
				k++
			}
		}
		return k
	}
	deadline := time.Now().Add(faultGuard)
	tick := time.NewTicker(2 * time.Millisecond)
	for {
		// Updates are handled in order: the half-way one tells.
		if ok, err := db.UpdateHandled(ctx, ids[n/2-1]); err != nil {
			t.Fatal(err)
		} else if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d updates handled after %v", handled(), n, faultGuard)
		}
		<-tick.C
	}
	tick.Stop()
	p1.kill(t)
	atKill := handled()
	repliesAtKill := len(h.srv.Sent(uMa.ID))
	t.Logf("at the SIGKILL: %d of %d updates handled, %d replies delivered, Telegram's offset %d (%d pending)",
		atKill, n, repliesAtKill, h.srv.Offset(), h.srv.Pending())
	if atKill == n && repliesAtKill == n {
		t.Logf("the kill came after everything: the restart proves little this time")
	}

	base := len(h.srv.Calls())
	p2 := h.startRun("second run", cfg)
	h.srv.WaitConfirmed(t, last, faultGuard)
	// Every message answered, not n answers: one in flight at the kill may
	// have been answered twice, and n would then come one short.
	h.srv.WaitFor(t, faultGuard, func(calls []telegramtest.Call) bool {
		answered := map[string]bool{}
		for _, c := range telegramtest.SentTo(calls, uMa.ID) {
			if m := noteRE.FindString(c.Text); m != "" {
				answered[m] = true
			}
		}
		return len(answered) >= n
	})
	p2.stop(t)
	// The second run resumed where the first had committed: it asked
	// Telegram from the first update not handled, which confirmed those
	// before it, and got the rest.
	for _, c := range h.srv.Calls()[base:] {
		if c.Method == "getUpdates" {
			if got := c.Params.Get("offset"); got != fmt.Sprint(first+atKill) || len(c.UpdateIDs) != min(perPoll, n-atKill) || (len(c.UpdateIDs) > 0 && c.UpdateIDs[0] != first+atKill) {
				t.Errorf("the second run first asked from offset %s and got %v; want offset %d and the first %d of the %d updates not handled", got, c.UpdateIDs, first+atKill, perPoll, n-atKill)
			}
			break
		}
	}

	for _, id := range ids {
		if ok, err := db.UpdateHandled(ctx, id); err != nil || !ok {
			t.Errorf("update %d not recorded (%v)", id, err)
		}
	}
	if off, err := db.Offset(ctx); err != nil || off != last+1 {
		t.Errorf("stored offset %d (%v), want %d", off, err, last+1)
	}
	if h.srv.Pending() != 0 || h.srv.Offset() != last+1 {
		t.Errorf("Telegram's side: offset %d, %d pending; want %d, 0", h.srv.Offset(), h.srv.Pending(), last+1)
	}
	all, err := db.AllReports(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reports := map[string]int{}
	total := 0
	for code, rs := range all {
		for _, r := range rs {
			total++
			reports[r.Note]++
			i, ok := noteIndex(r.Note)
			if !ok || codes[i%len(codes)] != code || percentOf(r) != float64(10+i) || r.ChatID != tgChat(uMa.ID) {
				t.Errorf("report on %s: %v%% %q by chat %s", code, percentOf(r), r.Note, r.ChatID)
			}
		}
	}
	if total != n {
		t.Errorf("%d reports, want %d (one per message)", total, n)
	}
	replies := map[string]int{}
	for _, c := range h.srv.Sent(uMa.ID) {
		if m := noteRE.FindString(c.Text); m != "" {
			replies[m]++
		}
	}
	dups := 0
	for i := range n {
		note := fmt.Sprintf("第%02d条", i)
		if reports[note] != 1 {
			t.Errorf("message %d (update %d): %d reports, want 1", i, first+i, reports[note])
		}
		switch r := replies[note]; {
		case r == 0:
			t.Errorf("message %d (update %d) got no reply", i, first+i)
		case r > 1:
			dups += r - 1
		}
	}
	if dups > 1 {
		t.Errorf("%d duplicate replies, want at most 1 (the one in flight at the SIGKILL)", dups)
	}
	t.Logf("%d updates, %d reports, %d duplicate replies; %v", n, total, dups, time.Since(began).Round(time.Millisecond))
}

// noteRE finds the note that tells TestFaultRestartPendingUpdates's
// messages apart.
var noteRE = regexp.MustCompile(`第(\d\d)条`)

func noteIndex(note string) (int, bool) {
	m := noteRE.FindStringSubmatch(note)
	if m == nil || m[0] != note {
		return 0, false
	}
	i, err := strconv.Atoi(m[1]) // not Sscan: "08" would read as octal
	return i, err == nil
}

// d. The admin breaks the YAML and sends /reload: they read every problem
// in Chinese with file:line, and the running plan stays in force (an item
// the new file drops still takes reports). Fixed and reloaded: success,
// and the new plan is in force (the dropped item is archived).
func TestFaultBrokenReload(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newBinHarness(t, telegramtest.WithMaxPollWait(2*time.Second))
	began := time.Now()
	dbPath, cfg := h.runConfig(fastSends...)
	good, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	item44 := "  - code: \"4.4\"\n    section: \"4\"\n    title: 重点时期安保维稳\n    description: 做好重点时期、重点群体安保维稳工作。\n" +
		"    owners: [han_zongzhi]\n    start: 2027-01-04\n    due: 2027-12-31\n\n"
	edit := func(text string, pairs ...string) string {
		t.Helper()
		for i := 0; i < len(pairs); i += 2 {
			if !strings.Contains(text, pairs[i]) {
				t.Fatalf("the example config no longer has %q", pairs[i])
			}
			text = strings.Replace(text, pairs[i], pairs[i+1], 1)
		}
		return text
	}
	fixed := edit(string(good), item44, "")
	broken := edit(fixed, "timezone: Asia/Shanghai", "timzone: Asia/Shanghai", "    due: 2027-06-30\n", "    due: 2027-06-31\n")
	lineOf := func(text, sub string) int { return strings.Count(text[:strings.Index(text, sub)], "\n") + 1 }

	p := h.startRun("run", cfg)
	h.srv.WaitPolling(t, faultGuard)
	// say sends text from u and returns the replies once the n-th has come.
	say := func(u telegramtest.User, text string, n int) []telegramtest.Call {
		t.Helper()
		before := len(h.srv.Sent(u.ID))
		h.srv.SendText(u, telegramtest.PrivateChat(u), text)
		return h.srv.WaitSent(t, u.ID, before+n, faultGuard)[before:]
	}

	if err := os.WriteFile(cfg, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	r := say(uZheng, "/reload", 1)[0].Text
	wants(t, "/reload of the broken file", r, "❌ 配置有错误，<b>仍按原配置运行</b>。共 2 处",
		fmt.Sprintf("config.yaml:%d: timzone: 未知字段", lineOf(broken, "timzone:")),
		fmt.Sprintf("config.yaml:%d: items[8].due: &#34;2027-06-31&#34; 不是有效日期", lineOf(broken, "due: 2027-06-31")))
	wants(t, "/plan after the broken reload", say(uZheng, "/plan", 1)[0].Text, "共 22 项")
	wants(t, "a report on 4.4 (only in the running plan)", say(uHan, "4.4 进度30% 节前排查", 1)[0].Text, "✅ 已记录 <b>4.4</b>", "进度 30%")

	if err := os.WriteFile(cfg, []byte(fixed), 0o600); err != nil {
		t.Fatal(err)
	}
	wants(t, "/reload of the fixed file", say(uZheng, "/reload", 1)[0].Text, "✅ 配置已重载：21 个事项", "归档 1")
	wants(t, "/plan after the reload", say(uZheng, "/plan", 1)[0].Text, "共 21 项")
	if r := say(uHan, "4.4 进度40%", 1)[0].Text; strings.Contains(r, "已记录") {
		t.Errorf("a report on the archived item 4.4 was recorded: %s", r)
	}
	p.stop(t)

	rs, err := openDB(t, dbPath).ItemReports(context.Background(), "4.4")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || percentOf(rs[0]) != 30 || rs[0].Reporter != "han_zongzhi" {
		t.Errorf("4.4's reports: %+v, want the one made before the fix", rs)
	}
	t.Logf("%v", time.Since(began).Round(time.Millisecond))
}

// e. An outage while the bot is sending a fan-out and polling: first the
// network drops every connection, then Telegram's front end answers 502.
// The process rides it out, delivers every message (no duplicates beyond
// the one in flight), handles what users wrote meanwhile once each, and
// backs off: a handful of send attempts during the outage, not one per
// queued message, and the queue drains soon after Telegram is back.
func TestFaultOutage(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newBinHarness(t, telegramtest.WithMaxPollWait(2*time.Second))
	began := time.Now()
	// 100/s: 200 messages take 2 s, so the outage lands mid fan-out.
	dbPath, cfg := h.runConfig([2]string{"per_second: 30\n", "per_second: 100\n"}, [2]string{"per_chat_seconds: 1\n", "per_chat_seconds: 0\n"})
	const (
		chats     = 200
		firstChat = 920000001
		downAfter = 50
		phase     = 2500 * time.Millisecond // each of the two outage phases
		maxSends  = 10                      // send attempts allowed during the outage
		minPause  = 500 * time.Millisecond  // the least pause after a failed send (1 s −50%)
		maxStall  = time.Second             // the longest pause in sending once Telegram answers again
		drainIn   = 20 * time.Second
	)
	var msgs []planbot.OutboxMessage
	for i := range chats {
		msgs = append(msgs, planbot.OutboxMessage{ChatID: tgChat(int64(firstChat + i)), Text: fmt.Sprintf("⏰ <b>逾期提醒</b>：第 %d 条", i+1)})
	}
	enqueueAt(t, dbPath, msgs...)
	delivered := func(calls []telegramtest.Call) (sends, reached int) { return deliveredTo(calls, firstChat, chats) }

	p := h.startRun("run", cfg)
	h.srv.WaitFor(t, faultGuard, func(calls []telegramtest.Call) bool { _, n := delivered(calls); return n >= downAfter })
	h.srv.SetDown(telegramtest.Refuse)
	downAt := time.Now()
	_, atDown := delivered(h.srv.Calls())
	// Users write during the outage; Telegram keeps their messages.
	texts := []string{"2.1 进度31% 停电期间第1条", "2.2 进度32% 停电期间第2条", "2.4 进度34% 停电期间第3条"}
	var ids []int
	for _, text := range texts {
		ids = append(ids, h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), text))
	}
	<-time.After(phase) // the outage's length is the scenario, not a wait for something
	h.srv.SetDown(telegramtest.Status502)
	<-time.After(phase)
	h.srv.SetDown(telegramtest.Up)
	upAt := time.Now()
	if !p.running() {
		t.Fatalf("the process exited during the outage: %v", p.err)
	}

	calls := h.srv.WaitFor(t, drainIn, func(calls []telegramtest.Call) bool {
		_, n := delivered(calls)
		return n == chats && len(telegramtest.SentTo(calls, uMa.ID)) >= len(texts)
	})
	drained := time.Since(upAt)
	h.srv.WaitConfirmed(t, ids[len(ids)-1], faultGuard)
	if !p.running() {
		t.Fatalf("the process exited after the outage: %v", p.err)
	}
	p.stop(t)
	calls = h.srv.Calls()

	var failedSends []telegramtest.Call
	var sendFails, pollFails int
	for _, c := range calls {
		if c.Status != 0 && c.Status != http.StatusBadGateway {
			continue
		}
		switch c.Method {
		case "sendMessage":
			sendFails++
			failedSends = append(failedSends, c)
		case "getUpdates":
			pollFails++
		}
	}
	slices.SortFunc(failedSends, func(a, b telegramtest.Call) int { return a.At.Compare(b.At) })
	sends, reached := delivered(calls)
	t.Logf("%d of %d chats reached at the outage; %d send attempts and %d getUpdates failed during the %v outage; all %d reached with %d sends %v after it",
		atDown, chats, sendFails, pollFails, upAt.Sub(downAt).Round(time.Millisecond), reached, sends, drained.Round(time.Millisecond))
	if atDown >= chats {
		t.Errorf("the fan-out was over before the outage")
	}
	if reached != chats || sends-chats > 1 {
		t.Errorf("%d of %d chats reached with %d sends: want every chat, at most 1 duplicate", reached, chats, sends)
	}
	if sendFails > maxSends {
		t.Errorf("%d sendMessage attempts during a %v outage, want at most %d: the sender must back off (1 s doubling) for all messages, not try the next one at once",
			sendFails, 2*phase, maxSends)
	}
	if sendFails == 0 || pollFails == 0 {
		t.Errorf("the outage was not noticed: %d failed sends, %d failed polls", sendFails, pollFails)
	}
	// Each failure pauses all sending (1 s doubling, ±50%): no attempt
	// follows a failed one at once.
	for i := 1; i < len(failedSends); i++ {
		if gap := failedSends[i].At.Sub(failedSends[i-1].At); gap < minPause {
			t.Errorf("during the outage a send attempt came %v after a failed one, want a pause of at least %v:\n%s",
				gap.Round(time.Millisecond), minPause, telegramtest.Describe(failedSends))
			break
		}
	}
	// Once Telegram answers again, the queue drains at the configured
	// rate: no stall left over from the outage's pauses. The messages
	// tried during the outage wait out their own backoff (at most a
	// minute, here seconds), so they are left out of this check.
	triedInOutage := map[int64]bool{}
	for _, c := range failedSends {
		triedInOutage[c.ChatID] = true
	}
	var after []telegramtest.Call
	for _, c := range calls {
		// The fan-out's messages only: replies to what users wrote during
		// the outage exist once the poll loop, backing off on its own
		// (1 s doubling), has fetched those messages.
		if c.Method == "sendMessage" && c.OK && c.At.After(upAt) && !triedInOutage[c.ChatID] &&
			c.ChatID >= firstChat && c.ChatID < firstChat+chats {
			after = append(after, c)
		}
	}
	slices.SortFunc(after, func(a, b telegramtest.Call) int { return a.At.Compare(b.At) })
	for i := 1; i < len(after); i++ {
		if gap := after[i].At.Sub(after[i-1].At); gap > maxStall {
			t.Errorf("after the outage, with %d messages still queued, sending stalled for %v (want no pause over %v once Telegram answers)",
				len(after)-i, gap.Round(time.Millisecond), maxStall)
			break
		}
	}
	if pollFails > maxSends {
		t.Errorf("%d getUpdates during a %v outage, want at most %d (backoff)", pollFails, 2*phase, maxSends)
	}

	// What users wrote during the outage: handled once, answered once.
	db := openDB(t, dbPath)
	ctx := context.Background()
	for i, id := range ids {
		if ok, err := db.UpdateHandled(ctx, id); err != nil || !ok {
			t.Errorf("update %d not recorded (%v)", id, err)
		}
		code := texts[i][:3]
		rs, err := db.ItemReports(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || !strings.HasPrefix(texts[i], fmt.Sprintf("%s 进度%g%% %s", code, percentOf(rs[0]), rs[0].Note)) {
			t.Errorf("%s: reports %+v, want one: %s", code, rs, texts[i])
		}
		n := 0
		for _, c := range h.srv.Sent(uMa.ID) {
			if strings.Contains(c.Text, "<b>"+code+"</b>") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d replies to %q, want 1", n, texts[i])
		}
	}
	if c := outboxCounts(t, dbPath); c[planbot.OutboxPending] != 0 || c[planbot.OutboxSending] != 0 || c[planbot.OutboxFailed] != 0 {
		t.Errorf("outbox at the end: %v", c)
	}
	t.Logf("%v", time.Since(began).Round(time.Millisecond))
}
