//go:build linux

package main

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"planbot"
	"planbot/telegram/telegramtest"
)

// rlimit64 is the kernel's struct rlimit64, which prlimit64 takes.
type rlimit64 struct{ Cur, Max uint64 }

// limitFileSizeOf sets the RLIMIT_FSIZE soft limit of process pid: no file
// it writes may grow past limit bytes (a write past it fails with EFBIG;
// Go ignores the SIGXFSZ that comes with it). It works without privileges
// on a child of the same user, where a full loop-mounted disk would need
// root: the disk-full case for CI.
func limitFileSizeOf(t *testing.T, pid int, limit uint64) {
	t.Helper()
	var old rlimit64
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), syscall.RLIMIT_FSIZE, 0, uintptr(unsafe.Pointer(&old)), 0, 0); errno != 0 {
		t.Skipf("prlimit64: %v", errno)
	}
	limit = min(limit, old.Max)
	next := rlimit64{Cur: limit, Max: old.Max}
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), syscall.RLIMIT_FSIZE, uintptr(unsafe.Pointer(&next)), 0, 0, 0); errno != 0 {
		t.Fatalf("prlimit64 %d: %v", limit, errno)
	}
}

// TestFaultDiskFull runs `planbot run` and takes its disk away: no file
// of the process may grow by a byte (the strictest full disk: not even
// space SQLite had already allocated may be reused). While the disk is
// full:
//   - a cadre's report is not lost: it stays at Telegram (the offset does
//     not move past it), and the cadre is told once that it is kept;
//   - a stranger hears nothing;
//   - the admin is told, with SQLite's own words ("file too large");
//   - reminders that fall due are not sent, since the sender cannot
//     claim them (mark them in flight);
//   - the process does not exit.
//
// When space returns: the held updates are handled once each, in order,
// the reminders go once each, the admin is told, SIGTERM stops the process
// cleanly, and SQLite's integrity check passes.
func TestFaultDiskFull(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newBinHarness(t)
	dbPath, cfg := h.runConfig(fastSends...)
	p := h.startRun("planbot run", cfg)
	h.srv.WaitPolling(t, faultGuard)
	h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度10%")
	wants(t, "the first report's reply", h.srv.WaitSent(t, uMa.ID, 1, faultGuard)[0].Text, "已记录", "2.3")
	// Its delivery recorded too, before the disk fills: otherwise the
	// sender holds back (rightly) until it can record that, and never
	// reaches the reminders this test wants it to try.
	waitUntil(t, p, "the reply recorded as sent", func() bool { return outboxCounts(t, dbPath)[planbot.OutboxSent] == 1 })

	// Reminders queued before the disk fills, due a moment after.
	const reminders, firstChat = 20, 910000001
	due := time.Now().Add(2 * time.Second)
	var msgs []planbot.OutboxMessage
	for i := range reminders {
		msgs = append(msgs, planbot.OutboxMessage{ChatID: tgChat(firstChat + int64(i)), Text: fmt.Sprintf("⏰ 逾期提醒 %d", i+1), NextAttemptAt: due})
	}
	enqueueAt(t, dbPath, msgs...)

	limitFileSizeOf(t, p.cmd.Process.Pid, 0)
	report := h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度60% 磁盘满时发的")
	h.srv.SendText(uStranger, telegramtest.PrivateChat(uStranger), "你好")
	h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "/item 2.3")

	// Held: the report delivered three times, never confirmed.
	waitHeld(t, h.srv, report, 3, faultGuard)
	// The sender tried to claim the reminders, and could not.
	waitOutput(t, p, `msg="claim next message"`)
	if h.srv.Pending() != 3 {
		t.Errorf("%d updates pending at Telegram while the disk is full, want the 3 sent", h.srv.Pending())
	}
	if !p.running() {
		t.Fatalf("planbot exited on a full disk: %v", p.err)
	}
	toMa := h.srv.Sent(uMa.ID)
	if len(toMa) != 2 || !strings.Contains(toMa[1].Text, "您这条消息没有丢") {
		t.Errorf("the cadre was not told once that the report waits:\n%s", telegramtest.Describe(toMa))
	}
	if sent := h.srv.Sent(uStranger.ID); len(sent) != 0 {
		t.Errorf("a stranger heard about the disk:\n%s", telegramtest.Describe(sent))
	}
	toAdmin := h.srv.Sent(uZheng.ID)
	if len(toAdmin) != 1 || !strings.Contains(toAdmin[0].Text, "无法写入数据库") || !strings.Contains(toAdmin[0].Text, "file too large") {
		t.Errorf("the admin was not told once, in SQLite's words:\n%s", telegramtest.Describe(toAdmin))
	}
	for i := range reminders {
		if n := len(h.srv.Sent(firstChat + int64(i))); n != 0 {
			t.Errorf("a reminder went out while the disk was full (chat %d, %d times)", firstChat+i, n)
		}
	}
	if rs, err := openDB(t, dbPath).ItemReports(t.Context(), "2.3"); err != nil || len(rs) != 1 {
		t.Errorf("reports of 2.3 while full: %d (%v), want the first only", len(rs), err)
	}

	limitFileSizeOf(t, p.cmd.Process.Pid, ^uint64(0))
	h.srv.WaitFor(t, faultGuard, func(calls []telegramtest.Call) bool {
		for i := range reminders {
			if len(telegramtest.SentTo(calls, firstChat+int64(i))) == 0 {
				return false
			}
		}
		return len(telegramtest.SentTo(calls, uMa.ID)) >= 4 && len(telegramtest.SentTo(calls, uStranger.ID)) >= 1 &&
			len(telegramtest.SentTo(calls, uZheng.ID)) >= 2
	})
	p.stop(t)

	toMa = h.srv.Sent(uMa.ID)
	wants(t, "the held report's reply", toMa[2].Text, "已记录", "2.3", "60%")
	wants(t, "the held /item reply", toMa[3].Text, "2.3", "60%")
	wants(t, "the stranger's refusal", h.srv.Sent(uStranger.ID)[0].Text, "555000111")
	wants(t, "the admin's all-clear", h.srv.Sent(uZheng.ID)[1].Text, "数据库已恢复写入")
	for i := range reminders {
		if n := len(h.srv.Sent(firstChat + int64(i))); n != 1 {
			t.Errorf("reminder to chat %d sent %d times, want once", firstChat+i, n)
		}
	}
	db := openDB(t, dbPath)
	rs, err := db.ItemReports(t.Context(), "2.3")
	if err != nil || len(rs) != 2 || percentOf(rs[1]) != 60 || !strings.Contains(rs[1].Note, "磁盘满时发的") {
		t.Errorf("reports of 2.3 after the disk has room: %+v (%v), want 10%% then 60%%", rs, err)
	}
	if err := db.IntegrityCheck(t.Context()); err != nil {
		t.Error(err)
	}
	wants(t, "the log", p.Output(), "the database cannot be written", "file too large", "the database can be written again")
}

// waitOutput waits until p has written want (a log line's part).
func waitOutput(t *testing.T, p *binProcess, want string) {
	t.Helper()
	waitUntil(t, p, fmt.Sprintf("%s logged %q", p.name, want), func() bool { return strings.Contains(p.Output(), want) })
}

// waitUntil checks cond every 20 ms until it holds, failing the test after
// faultGuard or if p exits first.
func waitUntil(t *testing.T, p *binProcess, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(faultGuard)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", faultGuard, what)
		}
		select {
		case <-tick.C:
		case <-p.exited:
			t.Fatalf("%s exited before %s: %v", p.name, what, p.err)
		}
	}
}
