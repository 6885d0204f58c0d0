package storage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"planbot"
)

// Issue 13: the outbox serves each platform's sender its own chats, and
// splits a text under its chat's platform's limit.

// Enqueue splits a long text at its chat's platform's limit (the default
// where WithTextLimit named none): the parts in order, the buttons under
// the last, an edit only in the first.
func TestEnqueueSplitsByPlatform(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, WithTextLimit("wecom", 2000), WithTextLimit("console", 0))
	line := strings.Repeat("进", 999) + "\n" // 1,000 UTF-16 units
	text := strings.Repeat(line, 5)         // 5,000
	keys := planbot.Keyboard{{{Text: "2.3", Data: "r:2.3"}}}
	mustEnqueue(t, db,
		OutboxMessage{ChatID: tgChat(1), Text: text, Buttons: keys},
		OutboxMessage{ChatID: "wecom:zhangsan", Method: MethodEdit, EditMessageID: 9, Text: text, Buttons: keys},
		OutboxMessage{ChatID: "console:1", Text: text},
	)
	pending, err := db.PendingMessages(ctx, t0, 100)
	if err != nil {
		t.Fatal(err)
	}
	parts := map[planbot.ChatID][]OutboxMessage{}
	for _, m := range pending {
		parts[m.ChatID] = append(parts[m.ChatID], m)
	}
	for chat, n := range map[planbot.ChatID]int{tgChat(1): 2, "wecom:zhangsan": 3, "console:1": 1} {
		ps := parts[chat]
		if len(ps) != n {
			t.Errorf("%s: %d parts, want %d", chat, len(ps), n)
			continue
		}
		var joined []string
		for i, p := range ps {
			joined = append(joined, p.Text)
			if (i == len(ps)-1) != (p.Buttons != nil) && chat != "console:1" {
				t.Errorf("%s part %d has buttons %v; only the last carries them", chat, i+1, p.Buttons)
			}
		}
		want := text
		if n > 1 {
			want = strings.TrimSuffix(text, "\n") // each part ends without its line break
		}
		if got := strings.Join(joined, "\n"); got != want {
			t.Errorf("%s: the parts do not make the text", chat)
		}
	}
	if ws := parts["wecom:zhangsan"]; len(ws) == 3 &&
		(ws[0].Method != MethodEdit || ws[0].EditMessageID != 9 || ws[1].Method != MethodSend || ws[2].EditMessageID != 0) {
		t.Errorf("a split edit: %+v; want the edit first, then new messages", ws)
	}
	if DefaultTextLimit != 4096 {
		t.Errorf("DefaultTextLimit = %d", DefaultTextLimit)
	}
}

// Each platform's sender claims, counts and requeues its own chats only,
// while lanes and one-in-flight hold per chat as before.
func TestClaimByPlatform(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustEnqueue(t, db,
		OutboxMessage{ChatID: tgChat(1), Text: "T1"},
		OutboxMessage{ChatID: "wecom:a", Text: "W1"},
		OutboxMessage{ChatID: tgChat(1), Text: "T2"},
		OutboxMessage{ChatID: "wecom:a", Text: "W2", NextAttemptAt: t0.Add(time.Minute)},
		OutboxMessage{ChatID: "wecom:b", Method: MethodAnswer, PressID: "p1", Text: "ok"},
		OutboxMessage{ChatID: "telegramx:1", Text: "X1"}, // a platform whose name starts like another's
	)
	texts := func(ms []OutboxMessage) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Text)
		}
		return out
	}
	if d, ok, err := db.NextDue(ctx, "wecom"); err != nil || !ok || !d.Equal(t0) {
		t.Errorf("NextDue(wecom) = %v, %v, %v", d, ok, err)
	}
	w, err := db.ClaimBatch(ctx, "wecom", t0, 10, nil)
	if err != nil || !slices.Equal(texts(w), []string{"W1", "ok"}) {
		t.Fatalf("ClaimBatch(wecom) = %q, %v", texts(w), err)
	}
	tgs, err := db.ClaimBatch(ctx, tg, t0, 10, nil)
	if err != nil || !slices.Equal(texts(tgs), []string{"T1"}) {
		t.Fatalf("ClaimBatch(telegram) = %q, %v; want T1 alone (T2 waits behind it)", texts(tgs), err)
	}
	if x, err := db.ClaimBatch(ctx, "telegramx", t0, 10, nil); err != nil || !slices.Equal(texts(x), []string{"X1"}) {
		t.Errorf("ClaimBatch(telegramx) = %q, %v", texts(x), err)
	}
	// Telegram's sender restarts: only its message in flight goes back.
	if n, err := db.RequeueInFlight(ctx, tg); err != nil || n != 1 {
		t.Errorf("RequeueInFlight(telegram) = %d, %v; want 1", n, err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE status = 'sending'`); n != 3 {
		t.Errorf("%d in flight, want W1, the answer and X1 still", n)
	}
	if err := db.MarkSent(ctx, w[0].ID, 0, t0); err != nil {
		t.Fatal(err)
	}
	if d, ok, err := db.NextDue(ctx, "wecom"); err != nil || !ok || !d.Equal(t0.Add(time.Minute)) {
		t.Errorf("NextDue(wecom) after W1 = %v, %v, %v; want W2's time", d, ok, err)
	}
	for _, bad := range []string{"", "telegram:1"} {
		if _, err := db.ClaimBatch(ctx, bad, t0, 1, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("ClaimBatch(%q) = %v, want ErrInvalid", bad, err)
		}
		if _, _, err := db.NextDue(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("NextDue(%q) = %v, want ErrInvalid", bad, err)
		}
		if _, err := db.RequeueInFlight(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("RequeueInFlight(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

// An invite binding is void once the YAML names an account of the person
// it did not (VoidAccount), or takes one out or changes the invite
// (VoidInvite); reordering the accounts changes no identity.
func TestVoidOnAccountChange(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		accounts []planbot.UserID
		invite   string
		void     string
	}{
		{"account written in", []planbot.UserID{tgUser(3001)}, "K7Q2", VoidAccount},
		{"another account added", []planbot.UserID{"wecom:wangfang", tgUser(2999), "wecom:wang2"}, "K7Q2", VoidAccount},
		{"account taken out", []planbot.UserID{"wecom:wangfang"}, "K7Q2", VoidInvite},
		{"invite replaced", []planbot.UserID{"wecom:wangfang", tgUser(2999)}, "NEW", VoidInvite},
		{"accounts reordered", []planbot.UserID{tgUser(2999), "wecom:wangfang"}, "K7Q2", ""},
		{"nothing of identity", []planbot.UserID{"wecom:wangfang", tgUser(2999)}, "K7Q2", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t)
			plan := testPlan()
			plan.People[3].Accounts = []planbot.UserID{"wecom:wangfang", tgUser(2999)}
			mustSync(t, db, plan, t0)
			if err := bind(t, db, "wang", 3001, "K7Q2"); err != nil {
				t.Fatal(err)
			}
			plan.People[3].Accounts, plan.People[3].Invite = tc.accounts, tc.invite
			plan.People[3].Unit = "ZZ村" // a change of no identity, so the person is updated
			mustSync(t, db, plan, t0.Add(time.Hour))
			accounts, err := db.BoundAccounts(ctx)
			if err != nil || len(accounts) != 1 {
				t.Fatalf("BoundAccounts = %+v, %v", accounts, err)
			}
			a := accounts[0]
			if a.Void != tc.void || a.Live != (tc.void == "") || a.User != tgUser(3001) {
				t.Errorf("the binding: %+v; want void %q", a, tc.void)
			}
			if _, ok, _ := db.Binding(ctx, tgUser(3001)); ok != (tc.void == "") {
				t.Errorf("the binding authorises: %v", ok)
			}
			var stored []planbot.UserID
			if err := db.read.SelectContext(ctx, &stored,
				`SELECT user_id FROM person_accounts a JOIN people p ON p.id = a.person_id
				WHERE p.person_key = 'wang' ORDER BY position`); err != nil || !slices.Equal(stored, tc.accounts) {
				t.Errorf("wang's accounts stored as %q, %v; want %q", stored, err, tc.accounts)
			}
		})
	}
}

// An invite posted in a group is spent by whoever posted it, or by no
// account (an anonymous admin); it is spent once.
func TestSpendExposedInvite(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSync(t, db, testPlan(), t0)
	err := db.InSession(ctx, func(s planbot.Tx) error {
		for i, want := range []bool{true, false} {
			ok, err := s.SpendExposedInvite(ctx, "wang", "", "K7Q2", t0.Add(time.Duration(i)*time.Minute))
			if err != nil || ok != want {
				t.Errorf("SpendExposedInvite #%d = %v, %v; want %v", i+1, ok, err, want)
			}
		}
		_, err := s.SpendExposedInvite(ctx, "li", tgUser(2001), " ", t0)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("no invite: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := db.BoundAccounts(ctx)
	if err != nil || len(accounts) != 1 || accounts[0].User != "" || !accounts[0].Exposed || accounts[0].PersonKey != "wang" {
		t.Errorf("BoundAccounts = %+v, %v", accounts, err)
	}
	if err := bind(t, db, "wang", 3001, "K7Q2"); !errors.Is(err, ErrConflict) {
		t.Errorf("binding with the exposed invite: %v, want ErrConflict", err)
	}
}
