//go:build unix

package main

// Issue 11, defect 13, on the process harness: a flood of messages from
// unregistered users must not make a leader wait. Refusals go out after
// every reply to a person on the list, and each stranger (and each group)
// is refused once per window however many messages they send.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"planbot/telegram/telegramtest"
)

func TestStrangersFloodDelaysNobody(t *testing.T) {
	skipShort(t)
	t.Parallel()
	h := newBinHarness(t, telegramtest.WithMaxPollWait(2*time.Second))
	// Twice Telegram's 30 messages a second, so the test takes seconds;
	// the leader is still answered after a few dozen refusals at most.
	_, cfg := h.runConfig([2]string{"per_second: 30\n", "per_second: 60\n"})
	const (
		single  = 460 // strangers who write once, privately
		flood   = 100 // messages from one stranger
		inGroup = 40  // strangers' commands in one group
	)
	first := int64(800000000)
	flooder := telegramtest.User{ID: 899999999, FirstName: "刷屏"}
	group := telegramtest.SupergroupChat(-1009876543210, "某某村群")
	for i := range single {
		u := telegramtest.User{ID: first + int64(i), FirstName: "路人"}
		h.srv.SendText(u, telegramtest.PrivateChat(u), "你好，我想查一下进度")
	}
	for i := range flood {
		h.srv.SendText(flooder, telegramtest.PrivateChat(flooder), fmt.Sprintf("在吗 %d", i))
	}
	for i := range inGroup {
		u := telegramtest.User{ID: first + single + int64(i), FirstName: "群友"}
		h.srv.SendText(u, group, "/mine")
	}
	// The leader asks last: behind 600 strangers' messages.
	h.srv.SendText(uChen, telegramtest.PrivateChat(uChen), "/targets")

	p := h.startRun("run", cfg)
	isRefusal := func(c telegramtest.Call) bool {
		return c.Method == "sendMessage" && c.OK && strings.Contains(c.Text, "还不是本系统的登记用户")
	}
	const refusals = single + 1 + 1
	calls := h.srv.WaitFor(t, 90*time.Second, func(calls []telegramtest.Call) bool {
		return len(telegramtest.Filter(calls, isRefusal)) >= refusals && len(telegramtest.SentTo(calls, uChen.ID)) >= 1
	})
	p.stop(t)
	calls = h.srv.Calls()

	// The leader's answer went out before most refusals.
	before, leader := 0, -1
	for i, c := range calls {
		if c.Method == "sendMessage" && c.ChatID == uChen.ID && c.OK {
			leader = i
			break
		}
		if isRefusal(c) {
			before++
		}
	}
	if leader < 0 || !strings.Contains(calls[leader].Text, "重点指标") {
		t.Fatalf("the leader got no /targets answer:\n%s", telegramtest.Describe(telegramtest.SentTo(calls, uChen.ID)))
	}
	t.Logf("the leader was answered after %d of %d refusals", before, refusals)
	if before >= refusals/2 {
		t.Errorf("the leader's answer waited behind %d of %d refusals", before, refusals)
	}

	// One refusal per stranger and per group, however many messages.
	if got := telegramtest.SentTo(calls, flooder.ID); len(got) != 1 {
		t.Errorf("the stranger who sent %d messages got %d answers, want 1:\n%s", flood, len(got), telegramtest.Describe(got))
	}
	if got := telegramtest.SentTo(calls, group.ID); len(got) != 1 || !strings.Contains(got[0].Text, "请私聊本机器人") {
		t.Errorf("the group with %d strangers' commands got %d answers, want 1:\n%s", inGroup, len(got), telegramtest.Describe(got))
	}
	if _, reached := deliveredTo(calls, first, single); reached != single {
		t.Errorf("%d of %d single strangers were told how to register", reached, single)
	}
	if n := len(telegramtest.Filter(calls, isRefusal)); n != refusals {
		t.Errorf("%d refusals sent, want %d", n, refusals)
	}
	// Every message was audited, answered or not.
	db := sqlDB(t, h.dir+"/planbot.db")
	var audited int
	if err := db.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'refused'`).Scan(&audited); err != nil {
		t.Fatal(err)
	}
	if audited != single+flood+inGroup {
		t.Errorf("%d refused messages audited, want %d", audited, single+flood+inGroup)
	}
	// Nor is a second refusal waiting in the outbox.
	var queued int
	if err := db.QueryRow(`SELECT COUNT(*) FROM outbox WHERE chat_id IN (?, ?)`, tgChat(flooder.ID), tgChat(group.ID)).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	if queued != 2 {
		t.Errorf("%d outbox rows for the flooder and the group, want one each", queued)
	}
}
