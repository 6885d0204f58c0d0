//go:build linux

package main

// Data faults against the real `planbot run` process (issue #11, defects
// 5–8 and the full disk at start): another program's lock on the
// database, a handler past its deadline, the database file deleted while
// serving, a second instance through another name of the file. Each
// asserts what the cadre and the admin read, what the database holds and
// what the operator is told.

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"planbot"
	"planbot/bot"
	"planbot/storage"
	"planbot/telegram"
	"planbot/telegram/telegramtest"
)

// writeLock is a write transaction another program (a backup tool, a
// sqlite3 shell) holds open on the database.
type writeLock struct {
	db   *sql.DB
	conn *sql.Conn
}

// holdWriteLock takes the database's write lock (BEGIN IMMEDIATE) from a
// connection of the test's own.
func holdWriteLock(t *testing.T, path string) *writeLock {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	l := &writeLock{db: db, conn: conn}
	t.Cleanup(l.release)
	return l
}

func (l *writeLock) release() {
	if l.conn == nil {
		return
	}
	l.conn.ExecContext(context.Background(), "ROLLBACK")
	l.conn.Close()
	l.db.Close()
	l.conn = nil
}

// noneSays fails the test if any of calls holds text.
func noneSays(t *testing.T, who string, calls []telegramtest.Call, text string) {
	t.Helper()
	for _, c := range calls {
		if strings.Contains(c.Text, text) {
			t.Errorf("%s was told %q:\n%s", who, text, telegramtest.Describe(calls))
			return
		}
	}
}

// TestFaultDatabaseLocked: another program holds the database's write
// lock for longer than the busy timeout while a cadre reports. The report
// is held like on a full disk: the cadre is told once that it is kept
// (never that it was not recorded), the admin is told that another
// program locks the database, and when the lock goes the report is stored
// once, the cadre gets its ✅ and the admin the all-clear.
//
// The lock is released as soon as either the report was held three times
// or planbot started to apologise for it: a lock that ends while a
// failure is being recorded is what dropped reports before.
func TestFaultDatabaseLocked(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newBinHarness(t)
	dbPath, cfg := h.runConfig(fastSends...)
	p := h.startPlanbot("planbot run", "run", "-config", cfg, "-poll", "5s", "-busy-timeout", "1s")
	h.srv.WaitPolling(t, faultGuard)
	h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度10%")
	wants(t, "the first report's reply", h.srv.WaitSent(t, uMa.ID, 1, faultGuard)[0].Text, "已记录", "2.3")
	waitUntil(t, p, "the reply recorded as sent", func() bool { return outboxCounts(t, dbPath)[planbot.OutboxSent] == 1 })

	lock := holdWriteLock(t, dbPath)
	report := h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度60% 锁住时发的")
	waitUntil(t, p, "the report held three times, or an apology begun", func() bool {
		if strings.Contains(p.Output(), "apologising") {
			return true
		}
		n := 0
		for _, c := range h.srv.CallsTo("getUpdates") {
			if len(c.UpdateIDs) > 0 && c.UpdateIDs[0] == report {
				n++
			}
		}
		return n >= 3
	})
	heldToMa := h.srv.Sent(uMa.ID)
	heldToAdmin := h.srv.Sent(uZheng.ID)
	lock.release()

	h.srv.WaitFor(t, faultGuard, func(calls []telegramtest.Call) bool {
		return len(telegramtest.SentTo(calls, uMa.ID)) >= 3 && len(telegramtest.SentTo(calls, uZheng.ID)) >= 2
	})
	h.srv.WaitConfirmed(t, report, faultGuard)
	p.stop(t)

	if len(heldToMa) != 2 || !strings.Contains(heldToMa[1].Text, "您这条消息没有丢") {
		t.Errorf("while locked, the cadre was not told once that the report waits:\n%s", telegramtest.Describe(heldToMa))
	}
	if len(heldToAdmin) != 1 || !strings.Contains(heldToAdmin[0].Text, "无法写入数据库") || !strings.Contains(heldToAdmin[0].Text, "锁住") {
		t.Errorf("while locked, the admin was not told once that another program locks the database:\n%s", telegramtest.Describe(heldToAdmin))
	}
	toMa := h.srv.Sent(uMa.ID)
	noneSays(t, "the cadre", toMa, "没有记录")
	if len(toMa) != 3 {
		t.Errorf("the cadre got %d messages, want the first ✅, the notice and the held report's ✅:\n%s", len(toMa), telegramtest.Describe(toMa))
	}
	wants(t, "the held report's reply", toMa[len(toMa)-1].Text, "已记录", "2.3", "60%")
	wants(t, "the admin's all-clear", h.srv.Sent(uZheng.ID)[1].Text, "数据库已恢复写入")
	rs, err := openDB(t, dbPath).ItemReports(t.Context(), "2.3")
	if err != nil || len(rs) != 2 || percentOf(rs[1]) != 60 || !strings.Contains(rs[1].Note, "锁住时发的") {
		t.Errorf("reports of 2.3 after the lock: %+v (%v), want 10%% then 60%% once", rs, err)
	}
}

// TestFaultHandlerPastDeadline: every handler runs past its deadline (it
// is set to a nanosecond). Each failing message is recorded with an
// apology at once, with a context of its own: the admin gets no false
// alarm, nothing is held or retried, the message after it is answered,
// and nothing half-done is stored.
func TestFaultHandlerPastDeadline(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newBinHarness(t)
	dbPath, cfg := h.runConfig(fastSends...)
	p := h.startPlanbot("planbot run", "run", "-config", cfg, "-poll", "5s", "-handler-timeout", "1ns")
	h.srv.WaitPolling(t, faultGuard)
	first := h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度10%")
	second := h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度20%")
	h.srv.WaitSent(t, uMa.ID, 2, faultGuard)
	h.srv.WaitConfirmed(t, second, faultGuard)
	waitOutput(t, p, "ran past its")
	p.stop(t)

	toMa := h.srv.Sent(uMa.ID)
	if len(toMa) != 2 {
		t.Errorf("the cadre got %d messages, want one apology per report:\n%s", len(toMa), telegramtest.Describe(toMa))
	}
	for _, c := range toMa {
		wants(t, "the reply to a report whose handler ran late", c.Text, "没有记录", "再发一次")
	}
	noneSays(t, "the cadre", toMa, "没有丢")
	if sent := h.srv.Sent(uZheng.ID); len(sent) != 0 {
		t.Errorf("the admin was alarmed about a handler that was merely late:\n%s", telegramtest.Describe(sent))
	}
	held := 0
	for _, c := range h.srv.CallsTo("getUpdates") {
		if len(c.UpdateIDs) > 0 && c.UpdateIDs[0] == first {
			held++
		}
	}
	if held != 1 {
		t.Errorf("the first report was delivered %d times, want once (recorded, not retried)", held)
	}
	if strings.Contains(p.Output(), "the database cannot be written") {
		t.Error("a late handler was taken for a database outage")
	}
	if rs, err := openDB(t, dbPath).ItemReports(t.Context(), "2.3"); err != nil || len(rs) != 0 {
		t.Errorf("reports of 2.3: %+v (%v), want none: the late handlers' work is rolled back", rs, err)
	}
}

// TestFaultDatabaseDeleted: the database file is removed (rm) while `run`
// serves it. The next report is not answered ✅ into the deleted file: it
// is held, the cadre is told once it is kept, and the admin is told the
// file is gone and where planbot saved what it held. A restart refuses
// to start on the missing file (and creates none), with what to do; once
// the saved copy is moved back, the held report is stored and answered,
// and the year's first report is still there.
func TestFaultDatabaseDeleted(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newBinHarness(t)
	dbPath, cfg := h.runConfig(fastSends...)
	p := h.startRun("planbot run", cfg)
	h.srv.WaitPolling(t, faultGuard)
	h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度10%")
	wants(t, "the first report's reply", h.srv.WaitSent(t, uMa.ID, 1, faultGuard)[0].Text, "已记录", "2.3")
	waitUntil(t, p, "the reply recorded as sent", func() bool { return outboxCounts(t, dbPath)[planbot.OutboxSent] == 1 })

	if err := os.Remove(dbPath); err != nil {
		t.Fatal(err)
	}
	report := h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度60% 删库后发的")
	waitHeld(t, h.srv, report, 2, faultGuard)
	h.srv.WaitSent(t, uZheng.ID, 1, faultGuard)
	toMa := h.srv.Sent(uMa.ID)
	if len(toMa) != 2 || !strings.Contains(toMa[1].Text, "您这条消息没有丢") {
		t.Errorf("after the rm, the cadre was not told once that the report waits (and no ✅):\n%s", telegramtest.Describe(toMa))
	}
	rescued := dbPath + ".rescued"
	toAdmin := h.srv.Sent(uZheng.ID)
	if len(toAdmin) != 1 || !strings.Contains(toAdmin[0].Text, "被删除或替换") || !strings.Contains(toAdmin[0].Text, rescued) {
		t.Errorf("the admin was not told once that the file is gone and where its data was saved:\n%s", telegramtest.Describe(toAdmin))
	}
	p.stop(t)

	again := h.startRun("planbot run again", cfg)
	if !again.wait(faultGuard) {
		t.Fatal("run started on a deleted database")
	}
	if again.err == nil {
		t.Error("run on a deleted database exited 0")
	}
	wants(t, "the refusal", again.Output(), dbPath+" is missing or empty", "Restore your latest backup", rescued, "-new-db")
	if _, err := os.Stat(dbPath); err == nil {
		t.Error("the refused run created a database file")
	}

	// The operator moves the saved copy back.
	if err := os.Rename(rescued, dbPath); err != nil {
		t.Fatal(err)
	}
	restored := h.startRun("planbot run restored", cfg)
	h.srv.WaitFor(t, faultGuard, func(calls []telegramtest.Call) bool { return len(telegramtest.SentTo(calls, uMa.ID)) >= 3 })
	h.srv.WaitConfirmed(t, report, faultGuard)
	restored.stop(t)
	toMa = h.srv.Sent(uMa.ID)
	wants(t, "the held report's reply", toMa[2].Text, "已记录", "2.3", "60%")
	db := openDB(t, dbPath)
	rs, err := db.ItemReports(t.Context(), "2.3")
	if err != nil || len(rs) != 2 || percentOf(rs[0]) != 10 || percentOf(rs[1]) != 60 {
		t.Errorf("reports of 2.3 after the restore: %+v (%v), want 10%% then 60%%", rs, err)
	}
	if err := db.IntegrityCheck(t.Context()); err != nil {
		t.Error(err)
	}
}

// TestFaultSecondInstanceOtherName: a second `run` on the serving
// database through another name of the file, a symbolic link or a hard
// link, is refused at once; the first goes on serving.
func TestFaultSecondInstanceOtherName(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newBinHarness(t)
	dbPath, cfg := h.runConfig(fastSends...)
	p := h.startRun("planbot run", cfg)
	h.srv.WaitPolling(t, faultGuard)
	h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度10%")
	h.srv.WaitSent(t, uMa.ID, 1, faultGuard)

	sym := filepath.Join(h.dir, "link.db")
	if err := os.Symlink("planbot.db", sym); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(h.dir, "hard.db")
	if err := os.Link(dbPath, hard); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{sym, hard} {
		second := h.startPlanbot("planbot run -db "+filepath.Base(name), "run", "-config", cfg, "-poll", "5s", "-db", name)
		if !second.wait(faultGuard) {
			t.Fatalf("a second run through %s is serving the same database", name)
		}
		if second.err == nil || !strings.Contains(second.Output(), "another planbot") {
			t.Errorf("second run through %s: %v, want refused as another planbot running:\n%s", name, second.err, second.Output())
		}
	}
	h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度20%")
	wants(t, "the first instance's reply after the attempts", h.srv.WaitSent(t, uMa.ID, 2, faultGuard)[1].Text, "已记录", "20%")
	p.stop(t)
	if rs, err := openDB(t, dbPath).ItemReports(t.Context(), "2.3"); err != nil || len(rs) != 2 {
		t.Errorf("reports of 2.3: %d (%v), want 2", len(rs), err)
	}
}

// TestFaultDiskFullAtStart: planbot starts where no file may grow
// (ulimit -f 0: not the pid in the lock file, not even SQLite's shared
// memory file). The start goes on past the pid (the flock is the lock),
// the admin is told at once, in SQLite's words, and nothing is polled, so
// a report sent meanwhile stays at Telegram. When there is room again
// (the limit lifted on the running process) the database opens, the
// report is stored once and answered, and the admin gets the all-clear.
func TestFaultDiskFullAtStart(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newBinHarness(t)
	dbPath, cfg := h.runConfig(fastSends...)
	p := h.startRun("planbot run", cfg)
	h.srv.WaitPolling(t, faultGuard)
	h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度10%")
	h.srv.WaitSent(t, uMa.ID, 1, faultGuard)
	waitUntil(t, p, "the reply recorded as sent", func() bool { return outboxCounts(t, dbPath)[planbot.OutboxSent] == 1 })
	p.stop(t)

	full := &binProcess{name: "planbot run (ulimit -f 0)", out: &procOutput{}, exited: make(chan struct{})}
	full.cmd = exec.Command("/bin/sh", "-c", `ulimit -S -f 0 && exec "$0" "$@"`, h.bin, "run", "-config", cfg, "-poll", "5s")
	full.cmd.Env = append(os.Environ(), "PLANBOT_TELEGRAM_TOKEN="+h.token)
	full.cmd.Stdout, full.cmd.Stderr = full.out, full.out
	if err := full.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		full.err = full.cmd.Wait()
		close(full.exited)
	}()
	h.mu.Lock()
	h.procs = append(h.procs, full)
	h.mu.Unlock()

	report := h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度60% 满盘启动后发的")
	alarm := h.srv.WaitSent(t, uZheng.ID, 1, faultGuard)
	if !full.running() {
		t.Fatalf("planbot exited on a full disk at start: %v", full.err)
	}
	wants(t, "the admin's alarm", alarm[0].Text, "无法写入数据库", "file too large")
	if h.srv.Offset() > report {
		t.Error("the report sent while the disk is full was confirmed to Telegram")
	}

	limitFileSizeOf(t, full.cmd.Process.Pid, ^uint64(0))
	h.srv.WaitFor(t, faultGuard, func(calls []telegramtest.Call) bool {
		return len(telegramtest.SentTo(calls, uMa.ID)) >= 2 && len(telegramtest.SentTo(calls, uZheng.ID)) >= 2
	})
	h.srv.WaitConfirmed(t, report, faultGuard)
	full.stop(t)
	wants(t, "the held report's reply", h.srv.Sent(uMa.ID)[1].Text, "已记录", "2.3", "60%")
	wants(t, "the admin's all-clear", h.srv.Sent(uZheng.ID)[1].Text, "数据库已恢复写入")
	rs, err := openDB(t, dbPath).ItemReports(t.Context(), "2.3")
	if err != nil || len(rs) != 2 || percentOf(rs[1]) != 60 {
		t.Errorf("reports of 2.3: %+v (%v), want 10%% then 60%%", rs, err)
	}
	wants(t, "the log", full.Output(), "the database cannot be written at start", "file too large", "the database can be written again")
}

// poisonWrite is a database on which one update's handling always fails
// as if the disk were full, while every other write works (ProbeWrite,
// promoted from the real database, too).
type poisonWrite struct {
	*storage.DB
	update int
}

func (p *poisonWrite) HandleUpdate(ctx context.Context, id, next int, now time.Time, fn func(bot.Store) ([]planbot.OutboxMessage, error)) (bool, error) {
	if id == p.update {
		return false, errDiskFull
	}
	return p.DB.HandleUpdate(ctx, id, next, now, fn)
}

// HandleUpdates fails a batch holding the update as the disk would: the
// poller then handles the batch one by one.
func (p *poisonWrite) HandleUpdates(ctx context.Context, batch []planbot.PolledUpdate) ([]planbot.PolledOutcome, error) {
	if slices.ContainsFunc(batch, func(u planbot.PolledUpdate) bool { return u.ID == p.update }) {
		return nil, errDiskFull
	}
	return p.DB.HandleUpdates(ctx, batch)
}

// TestE2EOneUpdateNotRetriedForever (in process): an update that fails as
// an outage would while the database takes other writes is not retried
// forever: after a few tries, each followed by a write that worked, it is
// recorded with an apology and the messages behind it are handled.
func TestE2EOneUpdateNotRetriedForever(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	poison := &poisonWrite{}
	h.start(func(o *instanceOptions) {
		o.updates = func(u telegram.UpdateLog, _ context.CancelFunc) telegram.UpdateLog {
			poison.DB = u.(*storage.DB)
			return poison
		}
	})
	h.srv.WaitPolling(t, waitLimit)
	poison.update = h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度60%")
	next := h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "/item 2.3")
	h.srv.WaitConfirmed(t, next, 2*waitLimit)
	h.srv.WaitSent(t, uMa.ID, 3, waitLimit)
	toMa := h.srv.Sent(uMa.ID)
	wants(t, "the first notice", toMa[0].Text, "没有丢")
	wants(t, "the given-up update's apology", toMa[1].Text, "没有记录", "再发一次")
	wants(t, "the reply behind it", toMa[2].Text, "2.3")
	if n := len(h.reports("2.3")); n != 0 {
		t.Errorf("%d reports of 2.3, want none", n)
	}
	wants(t, "logs", h.logs.String(), "given up with an apology")
}
