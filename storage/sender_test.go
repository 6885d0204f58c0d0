package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"planbot"
)

// claim claims the next message at now; a zero message when there is none.
func claim(t *testing.T, db *DB, now time.Time, skip func(planbot.ChatID) bool) OutboxMessage {
	t.Helper()
	m, ok, err := db.claimOne(context.Background(), now, skip)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return OutboxMessage{}
	}
	if m.Status != OutboxSending {
		t.Errorf("claimed message %d is %s", m.ID, m.Status)
	}
	return m
}

// mustEnqueue queues msgs as created at t0 unless they say otherwise.
func mustEnqueue(t *testing.T, db *DB, msgs ...OutboxMessage) {
	t.Helper()
	for i := range msgs {
		if msgs[i].CreatedAt.IsZero() {
			msgs[i].CreatedAt = t0
		}
	}
	if err := db.Enqueue(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
}

func sent(t *testing.T, db *DB, m OutboxMessage, now time.Time) {
	t.Helper()
	if err := db.MarkSent(context.Background(), m.ID, int(m.ID)+1000, now); err != nil {
		t.Fatal(err)
	}
}

// drain claims and sends everything due at now, returning the texts in
// the order they went.
func drain(t *testing.T, db *DB, now time.Time) []string {
	t.Helper()
	var out []string
	for {
		m := claim(t, db, now, nil)
		if m.ID == 0 {
			return out
		}
		out = append(out, m.Text)
		sent(t, db, m, now)
	}
}

func TestClaimOrder(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	now := t0
	mustEnqueue(t, db,
		OutboxMessage{ChatID: tgChat(1), Text: "digest A1", Priority: -1},
		OutboxMessage{ChatID: tgChat(2), Text: "reply B1", Priority: 10},
		OutboxMessage{ChatID: tgChat(1), Text: "reply A2", Priority: 10}, // behind A1 in its chat
		OutboxMessage{ChatID: tgChat(3), Text: "later C1", NextAttemptAt: now.Add(time.Minute)},
		OutboxMessage{ChatID: tgChat(2), Text: "reply B2", Priority: 10},
		OutboxMessage{ChatID: tgChat(4), Text: "D1"},
		OutboxMessage{Method: MethodAnswer, ChatID: tgChat(5), PressID: "cb1", Text: "toast", Priority: 5},
	)
	if d, ok, err := db.NextDue(ctx, tg); err != nil || !ok || d.After(now) {
		t.Errorf("NextDue = %v, %v, %v; want due now", d, ok, err)
	}
	got := drain(t, db, now)
	want := []string{"reply B1", "reply B2", "toast", "D1", "digest A1", "reply A2"}
	if !slices.Equal(got, want) {
		t.Errorf("sent %q, want %q", got, want)
	}
	if d, ok, _ := db.NextDue(ctx, tg); !ok || !d.Equal(now.Add(time.Minute)) {
		t.Errorf("NextDue = %v, %v; want %v", d, ok, now.Add(time.Minute))
	}
	if got := drain(t, db, now.Add(time.Minute)); !slices.Equal(got, []string{"later C1"}) {
		t.Errorf("a minute later: %q", got)
	}
	if _, ok, _ := db.NextDue(ctx, tg); ok {
		t.Error("NextDue with nothing queued")
	}
}

// A message waiting for a retry, or in flight, holds back its chat's later
// messages (whatever their priority) but no other chat's.
func TestClaimRetryBlocksItsChatOnly(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	now := t0
	mustEnqueue(t, db,
		OutboxMessage{ChatID: tgChat(1), Text: "A1"},
		OutboxMessage{ChatID: tgChat(1), Text: "A2", Priority: 100},
		OutboxMessage{ChatID: tgChat(2), Text: "B1"},
		OutboxMessage{Method: MethodAnswer, ChatID: tgChat(1), PressID: "cb", Text: "answer in A"},
	)
	a1 := claim(t, db, now, nil)
	if a1.Text != "A1" || a1.Attempts != 1 {
		t.Fatalf("first claim %q attempts %d", a1.Text, a1.Attempts)
	}
	// A1 in flight: A2 waits, B1 and the answer go.
	b1 := claim(t, db, now, nil)
	ans := claim(t, db, now, nil)
	if b1.Text != "B1" || ans.Text != "answer in A" {
		t.Fatalf("claims while A1 in flight: %q, %q", b1.Text, ans.Text)
	}
	if m := claim(t, db, now, nil); m.ID != 0 {
		t.Fatalf("claimed %q while A1 is in flight", m.Text)
	}
	// A1 fails for now (429): A2 still waits, through the backoff.
	retryAt := now.Add(30 * time.Second)
	if err := db.MarkRetry(ctx, a1.ID, retryAt, "429 Too Many Requests: retry after 30"); err != nil {
		t.Fatal(err)
	}
	if m := claim(t, db, now.Add(10*time.Second), nil); m.ID != 0 {
		t.Fatalf("%q overtook A1 waiting for its retry", m.Text)
	}
	if d, ok, _ := db.NextDue(ctx, tg); !ok || !d.Equal(retryAt) {
		t.Errorf("NextDue = %v, %v; want the retry at %v (A2 is not due before A1)", d, ok, retryAt)
	}
	again := claim(t, db, retryAt, nil)
	if again.ID != a1.ID || again.Attempts != 2 || again.LastError == "" {
		t.Fatalf("retry claim = %+v", again)
	}
	sent(t, db, again, retryAt)
	if m := claim(t, db, retryAt, nil); m.Text != "A2" {
		t.Fatalf("after A1: %q", m.Text)
	}
}

// skip passes over rate-limited chats, never over answers.
func TestClaimSkip(t *testing.T) {
	db := openTest(t)
	mustEnqueue(t, db,
		OutboxMessage{ChatID: tgChat(1), Text: "A1", Priority: 1},
		OutboxMessage{ChatID: tgChat(2), Text: "B1"},
		OutboxMessage{Method: MethodAnswer, ChatID: tgChat(1), PressID: "cb", Priority: -5},
	)
	var asked []planbot.ChatID
	busy := func(chat planbot.ChatID) bool { asked = append(asked, chat); return chat == tgChat(1) }
	if m := claim(t, db, t0, busy); m.Text != "B1" {
		t.Errorf("claimed %q, want B1", m.Text)
	}
	if m := claim(t, db, t0, busy); m.PressID != "cb" {
		t.Errorf("claimed %+v, want the answer", m)
	}
	if m := claim(t, db, t0, busy); m.ID != 0 {
		t.Errorf("claimed %q from a busy chat", m.Text)
	}
	if !slices.Equal(asked, []planbot.ChatID{tgChat(1), tgChat(2), tgChat(1), tgChat(1)}) {
		t.Errorf("skip asked about %v", asked)
	}
}

// Several senders at once never send two messages of one chat at the same
// time, and each chat gets its messages in order.
func TestClaimConcurrentSenders(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	const chats, per = 5, 20
	var msgs []OutboxMessage
	for i := range per {
		for c := range chats {
			msgs = append(msgs, OutboxMessage{ChatID: tgChat(int64(c + 1)), Text: fmt.Sprint(i), Priority: i % 3})
		}
	}
	mustEnqueue(t, db, msgs...)
	var mu sync.Mutex
	inFlight := map[planbot.ChatID]bool{}
	got := map[planbot.ChatID][]string{}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, ok, err := db.claimOne(ctx, t0, nil)
				if err != nil {
					errs <- err
					return
				}
				if !ok {
					return
				}
				mu.Lock()
				if inFlight[m.ChatID] {
					errs <- fmt.Errorf("two messages of chat %q in flight", m.ChatID)
				}
				inFlight[m.ChatID] = true
				got[m.ChatID] = append(got[m.ChatID], m.Text)
				mu.Unlock()
				runtime.Gosched() // let the others try this chat meanwhile
				mu.Lock()
				inFlight[m.ChatID] = false // before MarkSent frees the chat
				mu.Unlock()
				if err := db.MarkSent(ctx, m.ID, 1, t0); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// A sender stops when it finds nothing, which happens while the others
	// hold the last heads: finish what is left.
	for {
		m := claim(t, db, t0, nil)
		if m.ID == 0 {
			break
		}
		got[m.ChatID] = append(got[m.ChatID], m.Text)
		sent(t, db, m, t0)
	}
	all := count(t, db, `SELECT COUNT(*) FROM outbox WHERE status = 'sent'`)
	if all != chats*per {
		t.Fatalf("%d sent, want %d", all, chats*per)
	}
	for c := int64(1); c <= chats; c++ {
		for i, text := range got[tgChat(c)] {
			if text != fmt.Sprint(i) {
				t.Errorf("chat %d got %q", c, got[tgChat(c)])
				break
			}
		}
	}
}

func TestSettleMessages(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	photo := bytes.Repeat([]byte{0xff, 0xd8}, 1000)
	mustEnqueue(t, db,
		OutboxMessage{ChatID: tgChat(1), Attachment: planbot.AttachPicture, FileName: "report.png", FileData: photo, Text: "caption"},
		OutboxMessage{ChatID: tgChat(2), Text: "blocked"},
		OutboxMessage{ChatID: tgChat(3), Method: MethodEdit, EditMessageID: 77, Text: "step 2",
			Buttons: planbot.Keyboard{{{Text: "下一步", Data: "s:2"}}}},
	)
	up := claim(t, db, t0, nil)
	if !bytes.Equal(up.FileData, photo) || up.FileName != "report.png" || up.Attachment != planbot.AttachPicture || up.Method != MethodSend {
		t.Fatalf("upload claimed as %+v", up.FileName)
	}
	if err := db.MarkSent(ctx, up.ID, 555, t0); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE file_data IS NOT NULL`); n != 0 {
		t.Errorf("file data kept after sending")
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE id = ? AND sent_message_id = 555 AND sent_at IS NOT NULL`, up.ID); n != 1 {
		t.Error("MarkSent did not store the message id and time")
	}
	blocked := claim(t, db, t0, nil)
	edit := claim(t, db, t0, nil)
	if edit.Method != MethodEdit || edit.EditMessageID != 77 || len(edit.Buttons) != 1 || edit.Buttons[0][0].Data != "s:2" {
		t.Fatalf("edit claimed as %+v", edit)
	}
	if err := db.MarkFailed(ctx, blocked.ID, "Forbidden: bot was blocked by the user", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := db.markUncertain(ctx, edit.ID, "timeout", t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	// Settling what is not in flight is a conflict; an unknown id is not found.
	for name, err := range map[string]error{
		"sent again":  db.MarkSent(ctx, up.ID, 1, t0),
		"retry sent":  db.MarkRetry(ctx, up.ID, t0, "x"),
		"fail failed": db.MarkFailed(ctx, blocked.ID, "x", t0),
	} {
		if !errors.Is(err, ErrConflict) {
			t.Errorf("%s: %v, want ErrConflict", name, err)
		}
	}
	if err := db.MarkSent(ctx, 999, 1, t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown message: %v", err)
	}
	failed, err := db.FailedMessages(ctx, t0, 10)
	if err != nil || len(failed) != 2 {
		t.Fatalf("FailedMessages = %+v, %v", failed, err)
	}
	if failed[0].ID != edit.ID || failed[0].Status != OutboxUncertain || failed[1].Status != OutboxFailed ||
		!failed[1].GivenUpAt.Equal(t0.Add(time.Second)) || !strings.Contains(failed[1].LastError, "blocked") {
		t.Errorf("FailedMessages, newest first: %+v", failed)
	}
	if f, _ := db.FailedMessages(ctx, t0.Add(2*time.Second), 10); len(f) != 1 {
		t.Errorf("since the last: %d", len(f))
	}
	counts, err := db.OutboxCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[OutboxStatus]int{OutboxPending: 0, OutboxSending: 0, OutboxSent: 1, OutboxFailed: 1, OutboxUncertain: 1}
	for st, n := range want {
		if counts[st] != n {
			t.Errorf("OutboxCounts = %v, want %v", counts, want)
			break
		}
	}
}

// 403: the chat's whole queue is given up, not one message per request.
func TestFailChat(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustEnqueue(t, db,
		OutboxMessage{ChatID: tgChat(1), Text: "A1"},
		OutboxMessage{ChatID: tgChat(1), Text: "A2"},
		OutboxMessage{ChatID: tgChat(2), Text: "B1"},
		OutboxMessage{ChatID: tgChat(1), Method: MethodAnswer, PressID: "cb"},
	)
	a1 := claim(t, db, t0, nil)
	if n, err := db.FailChat(ctx, tgChat(1), "Forbidden: bot was blocked by the user", t0); err != nil || n != 2 {
		t.Fatalf("FailChat = %d, %v; want 2", n, err)
	}
	if err := db.MarkFailed(ctx, a1.ID, "x", t0); !errors.Is(err, ErrConflict) {
		t.Errorf("the in-flight message was not failed with its chat: %v", err)
	}
	got := drain(t, db, t0)
	if len(got) != 2 || got[0] != "B1" {
		t.Errorf("left after FailChat: %q", got)
	}
}

// At start, messages the dead process had in flight are sent again.
func TestRequeueInFlight(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustEnqueue(t, db,
		OutboxMessage{ChatID: tgChat(1), Text: "A1"},
		OutboxMessage{ChatID: tgChat(1), Text: "A2"},
		OutboxMessage{ChatID: tgChat(2), Text: "B1"},
	)
	a1 := claim(t, db, t0, nil)
	claim(t, db, t0, nil) // B1
	// The process dies here: A1 and B1 are "sending" forever.
	if m := claim(t, db, t0, nil); m.ID != 0 {
		t.Fatalf("claimed %q", m.Text)
	}
	if _, ok, _ := db.NextDue(ctx, tg); ok {
		t.Error("NextDue with every chat blocked in flight")
	}
	n, err := db.RequeueInFlight(ctx, tg)
	if err != nil || n != 2 {
		t.Fatalf("RequeueInFlight = %d, %v; want 2", n, err)
	}
	if n, _ := db.RequeueInFlight(ctx, tg); n != 0 {
		t.Errorf("requeued %d twice", n)
	}
	again := claim(t, db, t0, nil)
	if again.ID != a1.ID || again.Attempts != 2 || !strings.Contains(again.LastError, "interrupted") {
		t.Errorf("after requeue: %+v", again)
	}
	sent(t, db, again, t0)
	if got := drain(t, db, t0); !slices.Equal(got, []string{"A2", "B1"}) {
		t.Errorf("then %q", got)
	}
}

// A group migrated to a supergroup: its queue moves, in order, and the
// in-flight message is resent there.
func TestRetargetChat(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	group, super := tgChat(-4001), tgChat(-1004001)
	mustEnqueue(t, db,
		OutboxMessage{ChatID: group, Text: "G1"},
		OutboxMessage{ChatID: group, Text: "G2"},
		OutboxMessage{ChatID: group, Method: MethodEdit, EditMessageID: 12, Text: "edited"},
		OutboxMessage{ChatID: tgChat(7), Text: "other"},
		OutboxMessage{ChatID: group, Text: "G3"},
	)
	old := mustAddSent(t, db, group)
	g1 := claim(t, db, t0, nil)
	if g1.Text != "G1" {
		t.Fatalf("claimed %q", g1.Text)
	}
	// 400 Bad Request: group chat was upgraded to a supergroup chat.
	n, err := db.RetargetChat(ctx, group, super)
	if err != nil || n != 3 {
		t.Fatalf("RetargetChat = %d, %v; want 3 (G1 in flight, G2, G3)", n, err)
	}
	if err := db.MarkRetry(ctx, g1.ID, t0, "migrated"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		m := claim(t, db, t0, nil)
		if m.ID == 0 {
			break
		}
		if m.Text != "other" && m.ChatID != super {
			t.Errorf("%q still goes to %q", m.Text, m.ChatID)
		}
		got = append(got, m.Text)
		sent(t, db, m, t0)
	}
	if !slices.Equal(got, []string{"G1", "G2", "other", "G3"}) {
		t.Errorf("sent %q", got)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE method = 'edit' AND status = 'failed' AND last_error LIKE '%migrated%'`); n != 1 {
		t.Error("the pending edit of the old group was not failed")
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE id = ? AND chat_id = ?`, old, group); n != 1 {
		t.Error("sent history was rewritten")
	}
	if _, err := db.RetargetChat(ctx, group, group); !errors.Is(err, ErrInvalid) {
		t.Errorf("same chat: %v", err)
	}
	if _, err := db.RetargetChat(ctx, super, "wecom:g1"); !errors.Is(err, ErrInvalid) {
		t.Errorf("another platform: %v", err)
	}
}

// mustAddSent stores a message already sent to chat, as history.
func mustAddSent(t *testing.T, db *DB, chat planbot.ChatID) int64 {
	t.Helper()
	var id int64
	if err := db.write.GetContext(context.Background(), &id, `
		INSERT INTO outbox (chat_id, text, status, next_attempt_at, created_at, sent_at)
		VALUES (?, 'history', 'sent', 0, 0, 0) RETURNING id`, chat); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestEnqueueMethods(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	ok := []OutboxMessage{
		{Method: MethodAnswer, PressID: "cb", ChatID: tgChat(5)},
		{Method: MethodAnswer, PressID: "cb", ChatID: tgChat(5), Text: "已记录"},
		{Method: MethodEdit, ChatID: tgChat(5), EditMessageID: 3, Text: "x", Buttons: planbot.Keyboard{{{Text: "x", Data: "y"}}}},
		{ChatID: tgChat(5), Attachment: planbot.AttachFile, FileName: "周报.xlsx", FileData: []byte("PK")},
		{ChatID: tgChat(5), Attachment: planbot.AttachPicture, FileName: "周报.png", FileData: []byte("PNG")},
	}
	if err := db.Enqueue(ctx, ok...); err != nil {
		t.Fatalf("valid messages refused: %v", err)
	}
	for name, bad := range map[string]OutboxMessage{
		"unknown method":    {Method: "delete", ChatID: tgChat(1), Text: "x"},
		"answer without id": {Method: MethodAnswer, ChatID: tgChat(1), Text: "x"},
		// The platform's sender answers the press: it must know whose.
		"answer without chat": {Method: MethodAnswer, PressID: "cb"},
		"answer with photo":   {Method: MethodAnswer, ChatID: tgChat(1), PressID: "cb", Attachment: planbot.AttachPicture, FileName: "a", FileData: []byte("a")},
		"answer with buttons": {Method: MethodAnswer, ChatID: tgChat(1), PressID: "cb", Buttons: planbot.Keyboard{{{Text: "x", Data: "y"}}}},
		"edit without chat":   {Method: MethodEdit, EditMessageID: 3, Text: "x"},
		"edit without id":     {Method: MethodEdit, ChatID: tgChat(1), Text: "x"},
		"edit without text":   {Method: MethodEdit, ChatID: tgChat(1), EditMessageID: 3},
		"edit with file":      {Method: MethodEdit, ChatID: tgChat(1), EditMessageID: 3, Text: "x", FileName: "a", FileData: []byte("a")},
		"send with edit id":   {ChatID: tgChat(1), Text: "x", EditMessageID: 3},
		"send with callback":  {ChatID: tgChat(1), Text: "x", PressID: "cb"},
		"upload no name":      {ChatID: tgChat(1), Attachment: planbot.AttachPicture, FileData: []byte("a")},
		"name no data":        {ChatID: tgChat(1), Attachment: planbot.AttachPicture, FileName: "a"},
		// The bot uploads every file: it never sends one again by the
		// platform's id.
		"picture by id":     {ChatID: tgChat(1), Attachment: planbot.AttachPicture},
		"upload of no kind": {ChatID: tgChat(1), Text: "x", FileName: "a", FileData: []byte("a")},
		"picture too big":   {ChatID: tgChat(1), Attachment: planbot.AttachPicture, FileName: "a", FileData: make([]byte, maxPictureUpload+1)},
		"file too big":      {ChatID: tgChat(1), Attachment: planbot.AttachFile, FileName: "a", FileData: make([]byte, maxFileUpload+1)},
	} {
		if err := db.Enqueue(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Enqueue = %v, want ErrInvalid", name, err)
		}
	}
	pending, err := db.PendingMessages(ctx, time.Now().Add(time.Second), 10)
	if err != nil || len(pending) != len(ok) {
		t.Fatalf("PendingMessages = %d, %v", len(pending), err)
	}
	if pending[0].Method != MethodAnswer || pending[2].EditMessageID != 3 || pending[3].FileName != "周报.xlsx" ||
		pending[3].FileData != nil || pending[4].Method != MethodSend {
		t.Errorf("fields read back: %+v", pending)
	}
}

// The claim query seeks one index entry per chat: no table scan, and the
// only index scans are the first head (LIMIT 1: one entry) and the
// partial index of pending answers.
func TestClaimQueryPlan(t *testing.T) {
	db := openTest(t)
	platform, err := platformRange(tg)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		claimable + ` SELECT id, chat_id, method FROM candidates WHERE next_attempt_at <= 0 ORDER BY priority DESC, id`,
		claimable + ` SELECT MIN(next_attempt_at) FROM candidates`,
	} {
		plan := queryPlan(t, db, q, platform...)
		joined := strings.Join(plan, "\n")
		for _, step := range plan {
			if (strings.HasPrefix(step, "SCAN outbox") || strings.HasPrefix(step, "SCAN o ") || strings.HasPrefix(step, "SCAN n ")) &&
				!strings.Contains(step, "USING INDEX outbox_answer") && !strings.Contains(step, "USING INDEX outbox_lane") {
				t.Errorf("table scan %q in\n%s", step, joined)
			}
		}
		for _, lane := range []string{"outbox_lane_reply", "outbox_lane_job"} {
			if !strings.Contains(joined, "SEARCH n USING INDEX "+lane+" (chat_id>? AND chat_id<?)") &&
				!strings.Contains(joined, "SEARCH n USING COVERING INDEX "+lane+" (chat_id>? AND chat_id<?)") {
				t.Errorf("the next head is not a seek on %s:\n%s", lane, joined)
			}
		}
	}
}

// BenchmarkClaim claims and sends one message with 10,000 queued in 50
// chats, half of the chats blocked behind a retry.
func BenchmarkClaim(b *testing.B) {
	ctx := context.Background()
	db := openTest(b)
	fill := func() {
		msgs := make([]OutboxMessage, 10000)
		for i := range msgs {
			msgs[i] = OutboxMessage{ChatID: tgChat(-1000 - int64(i%50)), Text: "进度提醒", Priority: i % 3, CreatedAt: t0}
			if i < 25 {
				msgs[i].NextAttemptAt = t0.Add(time.Hour)
			}
		}
		if err := db.Enqueue(ctx, msgs...); err != nil {
			b.Fatal(err)
		}
	}
	fill()
	b.ResetTimer()
	for b.Loop() {
		m, ok, err := db.claimOne(ctx, t0, nil)
		if err != nil {
			b.Fatal(err)
		}
		if !ok {
			b.StopTimer()
			fill()
			b.StartTimer()
			continue
		}
		if err := db.MarkSent(ctx, m.ID, 1, t0); err != nil {
			b.Fatal(err)
		}
	}
}
