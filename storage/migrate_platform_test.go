package storage

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"planbot"
)

// migrationsUpTo is the embedded migrations 1 to v: a database opened
// with them is as planbot of schema v left it.
func migrationsUpTo(t *testing.T, v int) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	for n := 1; n <= v; n++ {
		matches, err := fs.Glob(embeddedMigrations(), strings.Replace("00NN_*.sql", "NN", two(n), 1))
		if err != nil || len(matches) != 1 {
			t.Fatalf("migration %d: %v %v", n, matches, err)
		}
		data, err := fs.ReadFile(embeddedMigrations(), matches[0])
		if err != nil {
			t.Fatal(err)
		}
		out[matches[0]] = &fstest.MapFile{Data: data}
	}
	return out
}

// seedPlanAsOld stores plan's people, sections, items and owners as a
// planbot before 0012 did (a person's Telegram id in people.telegram_id),
// in SQL every schema from 0001 to 0011 takes: today's SyncPlan needs
// today's schema.
func seedPlanAsOld(t *testing.T, db *DB, plan *planbot.Plan) {
	t.Helper()
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.write.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, p := range plan.People {
		var tgID any // NULL while unknown
		if a, ok := p.Account(tg); ok {
			tgID = a.Local()
		}
		var roles []string
		for _, r := range p.Roles {
			roles = append(roles, string(r))
		}
		exec(`INSERT INTO people (person_key, name, telegram_id, roles, unit, principal, invite, created_at, updated_at)
			VALUES (?, ?, CAST(? AS INTEGER), ?, ?, ?, ?, 0, 0)`,
			p.Key, p.Name, tgID, strings.Join(roles, ","), p.Unit, p.Principal, p.Invite)
	}
	for _, s := range plan.Sections {
		exec(`INSERT INTO sections (code, title, leader_id, created_at, updated_at)
			SELECT ?, ?, (SELECT id FROM people WHERE person_key = ?), 0, 0`, s.Code, s.Title, s.Leader)
	}
	for _, it := range plan.Items {
		exec(`INSERT INTO items (code, section_id, title, due_date, created_at, updated_at)
			SELECT ?, id, ?, ?, 0, 0 FROM sections WHERE code = ?`, it.Code, it.Title, it.Due.String(), it.Section)
		for i, o := range it.Owners {
			exec(`INSERT INTO item_owners (item_id, person_id, position)
				SELECT i.id, p.id, ? FROM items i, people p WHERE i.code = ? AND p.person_key = ?`, i, it.Code, o)
		}
	}
}

// oldRows are what a planbot of schema 0011 stored with Telegram ids, one
// row of each kind migration 0012 carries over.
var oldRows = []string{
	// The outbox: a reply with buttons (one row null, as the Bot API
	// library wrote an empty row) and a plain text ('' parse mode); a
	// digest in HTML to a group; a picture upload; an answer to a button
	// press; an edit that removed its buttons, given up; a file sent.
	`INSERT INTO outbox (chat_id, text, parse_mode, reply_markup, priority, next_attempt_at, created_at)
		VALUES (2001, 'a < b & c > d', '',
		'{"inline_keyboard":[[{"text":"2.3 <蟹苗>","callback_data":"r:2.3"},{"text":"2.4","callback_data":"r:2.4"}],null,[{"text":"取消","callback_data":"x"}]]}',
		10, 100, 100)`,
	`INSERT INTO outbox (chat_id, text, parse_mode, next_attempt_at, created_at)
		VALUES (-100123, '<b>周报</b> 3 &lt; 4', 'HTML', 100, 100)`,
	`INSERT INTO outbox (chat_id, text, parse_mode, photo, file_name, file_data, next_attempt_at, created_at)
		VALUES (1002, '2024年工作计划 · 3月4日 周报图', 'HTML', 'digest.png', 'digest.png', X'89504E47', 100, 100)`,
	`INSERT INTO outbox (method, chat_id, text, callback_query_id, priority, next_attempt_at, created_at)
		VALUES ('answer', 2001, '已记录 <2.3>', 'cbq-1', 10, 100, 100)`,
	`INSERT INTO outbox (method, chat_id, text, parse_mode, reply_markup, edit_message_id, status, attempts,
			last_error, next_attempt_at, created_at, given_up_at)
		VALUES ('edit', 2001, '<b>第 2 步</b>', 'HTML', '{"inline_keyboard":[]}', 77, 'failed', 1,
			'Bad Request: message to edit not found', 100, 100, 200)`,
	`INSERT INTO outbox (chat_id, text, parse_mode, document, file_name, status, attempts, next_attempt_at,
			telegram_message_id, created_at, sent_at)
		VALUES (1002, '台账', 'HTML', 'ledger.xlsx', 'ledger.xlsx', 'sent', 1, 100, 555, 100, 101)`,
	// Two questions; the newer was answered (deleted): its id is not
	// given again.
	`INSERT INTO pending_questions (chat_id, user_id, kind, payload, created_at)
		VALUES (-100123, 2001, 'pick_item', '{"items":["2.3","2.4"]}', 100)`,
	`INSERT INTO pending_questions (chat_id, user_id, kind, created_at) VALUES (2001, 2001, 'confirm', 100)`,
	`DELETE FROM pending_questions WHERE kind = 'confirm'`,
	// wang bound Telegram user 3001 with his invite; zhang's binding was
	// voided when the YAML wrote in his Telegram id; li's invite was
	// posted in a group by an anonymous admin (0).
	`INSERT INTO telegram_bindings (telegram_id, person_id, invite, bound_at)
		SELECT 3001, id, 'K7Q2', 150 FROM people WHERE person_key = 'wang'`,
	`INSERT INTO spent_invites (invite, person_id, telegram_id, spent_at)
		SELECT 'K7Q2', id, 3001, 150 FROM people WHERE person_key = 'wang'`,
	`INSERT INTO telegram_bindings (telegram_id, person_id, invite, bound_at, void_at, void_reason)
		SELECT 3009, id, 'ZH1', 120, 160, 'telegram_id' FROM people WHERE person_key = 'zhang'`,
	`INSERT INTO spent_invites (invite, person_id, telegram_id, spent_at, void_at, void_reason)
		SELECT 'ZH1', id, 3009, 120, 160, 'telegram_id' FROM people WHERE person_key = 'zhang'`,
	`INSERT INTO spent_invites (invite, person_id, telegram_id, spent_at, how)
		SELECT 'LI-OLD', id, 0, 170, 'exposed' FROM people WHERE person_key = 'li'`,
	// A stranger's wrong invite in a group, and one of no chat.
	`INSERT INTO audit_log (at, telegram_id, chat_id, action, detail) VALUES (180, 42, -100123, 'bad_invite', '/start NOPE')`,
	`INSERT INTO audit_log (at, telegram_id, chat_id, action, detail) VALUES (181, 43, 0, 'unknown_user', '')`,
	`INSERT INTO refusal_notices (scope, sent_at) VALUES ('u:42', 180), ('c:-100123', 180)`,
	// A report from a group message with evidence of each kind, and one
	// made by a button (no chat, no message).
	`INSERT INTO reports (item_id, reporter_id, reported_at, percent, photo_ids, chat_id, message_id, words)
		SELECT i.id, p.id, 190, 30, '["AgACph0to","doc:BQACd0c","video:BAACv1d"]', -100123, 77, '2.3 进度30%'
		FROM items i, people p WHERE i.code = '2.3' AND p.person_key = 'li'`,
	`INSERT INTO reports (item_id, reporter_id, reported_at, done)
		SELECT i.id, p.id, 191, 1 FROM items i, people p WHERE i.code = '2.4' AND p.person_key = 'wang'`,
}

// TestMigratePlatformAddresses: a database of schema 0011 migrates to
// 0012 with every Telegram id turned into an address, and serves its old
// rows through the API as the new types.
func TestMigratePlatformAddresses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "planbot.db")
	old, err := Open(ctx, path, withMigrations(migrationsUpTo(t, 11)))
	if err != nil {
		t.Fatal(err)
	}
	seedPlanAsOld(t, old, testPlan())
	for _, q := range oldRows {
		if _, err := old.write.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := old.RecordUpdate(ctx, 900, 901, t0); err != nil {
		t.Fatal(err)
	}
	old.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := db.AppliedMigrations(); !slices.Equal(got, []int{12, 13, 14, 15}) {
		t.Fatalf("applied %v, want [12 13 14 15]", got)
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM pragma_foreign_key_check`); n != 0 {
		t.Errorf("%d foreign key violations", n)
	}
	checkMigratedOutbox(t, db)
	checkMigratedConversation(t, db)
	checkMigratedBindings(t, db)
	checkMigratedReports(t, db)
	if n, err := db.Offset(ctx); err != nil || n != 901 {
		t.Errorf("Offset = %d, %v; Telegram's update log keeps its offset", n, err)
	}
}

func checkMigratedOutbox(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	pending, err := db.PendingMessages(ctx, t0, 10)
	if err != nil {
		t.Fatal(err)
	}
	// Drain order: the reply and the answer (priority 10), then the rest.
	want := []OutboxMessage{
		{ID: 1, Method: MethodSend, ChatID: tgChat(2001), Text: "a &lt; b &amp; c &gt; d", Priority: 10,
			Buttons: planbot.Keyboard{{{Text: "2.3 <蟹苗>", Data: "r:2.3"}, {Text: "2.4", Data: "r:2.4"}}, {}, {{Text: "取消", Data: "x"}}}},
		{ID: 4, Method: MethodAnswer, ChatID: tgChat(2001), Text: "已记录 <2.3>", PressID: "cbq-1", Priority: 10},
		{ID: 2, Method: MethodSend, ChatID: tgChat(-100123), Text: "<b>周报</b> 3 &lt; 4"},
		{ID: 3, Method: MethodSend, ChatID: tgChat(1002), Text: "2024年工作计划 · 3月4日 周报图",
			Attachment: planbot.AttachPicture, FileName: "digest.png"},
	}
	for i := range want {
		want[i].Status, want[i].NextAttemptAt, want[i].CreatedAt = OutboxPending, fromUnix(100), fromUnix(100)
	}
	if !reflect.DeepEqual(pending, want) {
		t.Errorf("pending messages\n got %+v\nwant %+v", pending, want)
	}
	failed, err := db.FailedMessages(ctx, fromUnix(0), 10)
	if err != nil || len(failed) != 1 {
		t.Fatalf("FailedMessages = %+v, %v", failed, err)
	}
	if f := failed[0]; f.Method != MethodEdit || f.ChatID != tgChat(2001) || f.EditMessageID != 77 || f.Buttons != nil ||
		f.Text != "<b>第 2 步</b>" || f.Status != OutboxFailed || !f.GivenUpAt.Equal(fromUnix(200)) {
		t.Errorf("the failed edit reads %+v", f)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM outbox
		WHERE id = 6 AND status = 'sent' AND attachment = 'file' AND sent_message_id = 555 AND chat_id = 'telegram:1002'`); n != 1 {
		t.Error("the sent file lost its kind, chat or message id")
	}
	if n, err := db.RequeueInFlight(ctx, "wecom"); err != nil || n != 0 {
		t.Errorf("RequeueInFlight(wecom) = %d, %v", n, err)
	}
	if ms, err := db.ClaimBatch(ctx, "wecom", t0, 10, nil); err != nil || len(ms) != 0 {
		t.Errorf("another platform's sender claimed %+v, %v", ms, err)
	}
	claimed, err := db.ClaimBatch(ctx, tg, t0, 10, nil)
	if err != nil || len(claimed) != 4 {
		t.Fatalf("Telegram's sender claimed %+v, %v", claimed, err)
	}
	for _, m := range claimed {
		if (m.ID == 3) != bytes.Equal(m.FileData, []byte("\x89PNG")) {
			t.Errorf("message %d claimed with file data %q", m.ID, m.FileData)
		}
	}
}

func checkMigratedConversation(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	p, ok, err := db.PendingFor(ctx, tgChat(-100123), tgUser(2001))
	if err != nil || !ok || p.ID != 1 || p.Kind != "pick_item" || p.Payload != `{"items":["2.3","2.4"]}` ||
		p.ChatID != tgChat(-100123) || p.UserID != tgUser(2001) || !p.CreatedAt.Equal(fromUnix(100)) {
		t.Errorf("PendingFor = %+v, %v, %v", p, ok, err)
	}
	entries, err := db.AuditEntries(ctx, 10)
	wantAudit := []planbot.AuditEntry{
		{At: fromUnix(181), UserID: tgUser(43), Action: "unknown_user"},
		{At: fromUnix(180), UserID: tgUser(42), ChatID: tgChat(-100123), Action: "bad_invite", Detail: "/start NOPE"},
	}
	if err != nil || !reflect.DeepEqual(entries, wantAudit) {
		t.Errorf("AuditEntries = %+v, %v; want %+v", entries, err, wantAudit)
	}
	err = db.InSession(ctx, func(s planbot.Tx) error {
		if n, err := s.AuditCount(ctx, tgUser(42), "bad_invite", fromUnix(0)); err != nil || n != 1 {
			t.Errorf("AuditCount = %d, %v", n, err)
		}
		for _, scope := range []string{"u:telegram:42", "c:telegram:-100123"} {
			if ok, err := s.ClaimNotice(ctx, scope, fromUnix(200), time.Hour); err != nil || ok {
				t.Errorf("ClaimNotice(%s) = %v, %v; the notice sent at 180 still counts", scope, ok, err)
			}
		}
		id, err := s.SavePending(ctx, planbot.Pending{ChatID: tgChat(2001), UserID: tgUser(2001), Kind: "confirm"})
		if err != nil || id <= 2 {
			t.Errorf("a new question got id %d (%v); 2 was answered before the upgrade", id, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit_log SET detail = ''`, `DELETE FROM audit_log`} {
		if _, err := db.write.ExecContext(ctx, q); err == nil {
			t.Errorf("%s succeeded on the append-only log", q)
		}
	}
}

func checkMigratedBindings(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	if key, ok, err := db.Binding(ctx, tgUser(3001)); err != nil || !ok || key != "wang" {
		t.Errorf("Binding(3001) = %q, %v, %v", key, ok, err)
	}
	if _, ok, _ := db.Binding(ctx, tgUser(3009)); ok {
		t.Error("zhang's void binding authorises")
	}
	if got, err := db.ChatBindings(ctx); err != nil || !mapsEqual(got, map[string]planbot.ChatID{"wang": tgChat(3001)}) {
		t.Errorf("ChatBindings = %v, %v", got, err)
	}
	if got, err := db.Bindings(ctx); err != nil ||
		!reflect.DeepEqual(got, []Binding{{PersonKey: "wang", User: tgUser(3001), Invite: "K7Q2", BoundAt: fromUnix(150)}}) {
		t.Errorf("Bindings = %+v, %v", got, err)
	}
	accounts, err := db.BoundAccounts(ctx)
	wantAccounts := []BoundAccount{
		{PersonKey: "zhang", User: tgUser(3009), SpentAt: fromUnix(120), Void: VoidAccount, VoidAt: fromUnix(160)},
		{PersonKey: "wang", User: tgUser(3001), SpentAt: fromUnix(150), Live: true},
		{PersonKey: "li", SpentAt: fromUnix(170), Exposed: true},
	}
	if err != nil || !reflect.DeepEqual(accounts, wantAccounts) {
		t.Errorf("BoundAccounts = %+v, %v\nwant %+v", accounts, err, wantAccounts)
	}
	// The plan's Telegram ids are the people's accounts: syncing the same
	// plan changes no person (nor voids wang's binding; seedPlanAsOld left
	// out the items' details and the indicators), and li's account is li's
	// alone.
	rep := mustSync(t, db, testPlan(), t0)
	for _, name := range slices.Concat(rep.Added, rep.Updated, rep.Archived, rep.Restored) {
		if strings.HasPrefix(name, "person ") {
			t.Errorf("syncing the plan the old database held changed %s: %+v", name, rep)
		}
	}
	if key, ok, _ := db.Binding(ctx, tgUser(3001)); !ok || key != "wang" {
		t.Errorf("after the sync wang's binding is %q, %v", key, ok)
	}
	err = db.InSession(ctx, func(s planbot.Tx) error {
		if err := s.Bind(ctx, "wang", tgUser(2001), "NEW1", t0); !errors.Is(err, ErrConflict) {
			t.Errorf("binding li's account to wang: %v, want ErrConflict", err)
		}
		if err := s.Bind(ctx, "li", tgUser(3005), "K7Q2", t0); !errors.Is(err, ErrConflict) {
			t.Errorf("reusing wang's spent invite: %v, want ErrConflict", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func checkMigratedReports(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	hist, err := db.ItemReports(ctx, "2.3")
	if err != nil || len(hist) != 1 {
		t.Fatalf("ItemReports(2.3) = %+v, %v", hist, err)
	}
	r := hist[0]
	wantPhotos := []string{"telegram:AgACph0to", "doc:telegram:BQACd0c", "video:telegram:BAACv1d"}
	if !slices.Equal(r.PhotoIDs, wantPhotos) || r.ChatID != tgChat(-100123) || r.MessageID != 77 || r.Words != "2.3 进度30%" {
		t.Errorf("the report reads %+v", r)
	}
	for i, kind := range []planbot.EvidenceKind{planbot.EvidencePhoto, planbot.EvidenceDocument, planbot.EvidenceVideo} {
		if k, ref := planbot.KindOf(r.PhotoIDs[i]); k != kind || !strings.HasPrefix(ref, "telegram:") {
			t.Errorf("evidence %q is %v %q", r.PhotoIDs[i], k, ref)
		}
	}
	if m, ok, err := db.ReportFromMessage(ctx, tgChat(-100123), 77); err != nil || !ok || m.ID != r.ID {
		t.Errorf("ReportFromMessage = %+v, %v, %v", m, ok, err)
	}
	if hist, err := db.ItemReports(ctx, "2.4"); err != nil || len(hist) != 1 || hist[0].ChatID != "" || hist[0].PhotoIDs != nil {
		t.Errorf("the report made by a button reads %+v, %v", hist, err)
	}
	if _, err := db.write.ExecContext(ctx, `UPDATE reports SET note = 'x'`); err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Errorf("changing a report after the migration: %v, want immutable", err)
	}
	plan := queryPlan(t, db, selectReports+reportFromMessageWhere, tgChat(-100123), 77)
	if joined := strings.Join(plan, "\n"); !strings.Contains(joined, "INDEX reports_message") {
		t.Errorf("ReportFromMessage does not seek reports_message after the migration:\n%s", joined)
	}
}
