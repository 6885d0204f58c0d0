package main

// Who may do what: the promise "nobody who isn't on the list gets in,
// nobody writes what they may not", asserted cell by cell.
//
// Each cell of TestAccessTable is one actor × one chat × one thing sent
// (a command, free text, a photo, a button press). It runs against its own
// copy of a seeded SQLite database, through the real storage session
// (storage.DB.InSession) and bot.Handle with a fixed clock, and asserts
//
//   (a) the kind of reply: an answer, a polite refusal, or silence, with a
//       phrase the reply must carry;
//   (b) exactly which rows were written: reports, observations, pending
//       questions, Telegram bindings, spent invites, audit rows, outbox,
//       counted before and after straight from the database file.
//
// Replies of every cell must also be well formed: HTML Telegram would
// accept (telegramtest.ParseHTML), valid UTF-8, sent to the chat the message
// came from, every button press answered exactly once, and a refusal to
// someone unregistered must reveal nothing of the plan.
//
// TestAccessHostileNotes sends notes built to break storage or markup and
// checks that each is stored verbatim and shown escaped wherever it is shown.

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	_ "github.com/mattn/go-sqlite3"

	"planbot"
	"planbot/bot"
	"planbot/config"
	"planbot/storage"
	"planbot/telegram/telegramtest"
)

// accessNow is the conversation's clock: 2027-06-15 09:00 in Shanghai,
// inside the plan year (the example's 2.3 is due 6月30日, 3.2 is overdue).
var accessNow = time.Date(2027, time.June, 15, 1, 0, 0, 0, time.UTC)

const (
	accessConfig     = "../../config.example.yaml"
	accessGroup      = int64(-1001234567890) // the town's cadre group
	accessStrangerID = int64(555000111)      // nobody in the plan
	accessAnonID     = int64(1087968824)     // Telegram's GroupAnonymousBot
	accessInvite     = "NL7Q4K9M2X"          // sun_cun's invite in the example
)

// accessRole is who sends: one column of the table.
type accessRole int

const (
	roleUnknown   accessRole = iota // a Telegram user in no list
	roleAnonymous                   // an anonymous group admin: a chat, not a person
	roleOwner                       // ma_jingfa, cadre, owns 2.3 alone
	roleOther                       // zhao_cun, 东村 cadre: owns items, but not 2.3
	roleLeader                      // chen_fuzhen, leader of section 2
	roleAdmin                       // zheng_dzb, 党政办 admin
)

type accessActor struct {
	role    accessRole
	name    string
	userID  int64
	viaChat bool
}

var accessActors = []accessActor{
	{roleUnknown, "unknown", accessStrangerID, false},
	{roleAnonymous, "anonymous", accessAnonID, true},
	{roleOwner, "owner", 100000010, false},
	{roleOther, "other", 100000008, false},
	{roleLeader, "leader", 100000004, false},
	{roleAdmin, "admin", 100000007, false},
}

// accessCounts are the rows of the tables a message may write.
type accessCounts struct {
	Reports, Observations, Pending, Bindings, SpentInvites, Audit, Outbox int
}

func (a accessCounts) minus(b accessCounts) accessCounts {
	return accessCounts{a.Reports - b.Reports, a.Observations - b.Observations, a.Pending - b.Pending,
		a.Bindings - b.Bindings, a.SpentInvites - b.SpentInvites, a.Audit - b.Audit, a.Outbox - b.Outbox}
}

// accessAudit is one row of the audit log.
type accessAudit struct {
	UserID         planbot.UserID
	ChatID         planbot.ChatID
	Action, Detail string
}

// accessCount reads the counts, and the newest audit row, from the file.
func accessCount(tb testing.TB, path string) (accessCounts, accessAudit) {
	tb.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	n := func(table string) int {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			tb.Fatalf("count %s: %v", table, err)
		}
		return n
	}
	c := accessCounts{n("reports"), n("observations"), n("pending_questions"), n("account_bindings"),
		n("spent_invites"), n("audit_log"), n("outbox")}
	var last accessAudit
	err = db.QueryRow("SELECT user_id, chat_id, action, detail FROM audit_log ORDER BY id DESC LIMIT 1").
		Scan(&last.UserID, &last.ChatID, &last.Action, &last.Detail)
	if err != nil && err != sql.ErrNoRows {
		tb.Fatal(err)
	}
	return c, last
}

// accessWorld is the example plan and a template database seeded with
// other people's rows, copied afresh for every cell.
type accessWorld struct {
	plan        *planbot.Plan
	template    string
	before      accessCounts
	qianReport  int64 // qian_cun's report on 3.4: someone else's, for every actor
	qianPending int64 // qian_cun's open /report question: someone else's
	maReport    int64 // ma_jingfa's own report on 2.3 an hour ago: his /undo takes it
}

func newAccessWorld(tb testing.TB) *accessWorld {
	tb.Helper()
	cfg, err := config.Load(accessConfig)
	if err != nil {
		tb.Fatalf("load the example config: %v", err)
	}
	w := &accessWorld{plan: cfg.Plan, template: filepath.Join(tb.TempDir(), "template.db")}
	ctx := context.Background()
	db, err := storage.Open(ctx, w.template)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.SyncPlan(ctx, w.plan, accessNow); err != nil {
		tb.Fatal(err)
	}
	b := w.newBot()
	seed := func(user int64, text string) []bot.Reply {
		m := bot.Message{ChatID: tgChat(user), Chat: bot.ChatPrivate, UserID: tgAccount(user), MessageID: 1, Text: text, At: accessNow.Add(-time.Hour)}
		replies, err := accessHandle(ctx, db, b, m)
		if err != nil {
			tb.Fatalf("seed %q: %v", text, err)
		}
		return replies
	}
	const qian, ma = 100000009, 100000010
	w.maReport = accessButtonID(tb, seed(ma, "2.3 进度40% 手续已办完"), "u:")
	w.qianReport = accessButtonID(tb, seed(qian, "3.4 进度50% 蟹苗已投放"), "u:")
	w.qianPending = accessButtonID(tb, seed(qian, "/report"), "p:")
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	w.before, _ = accessCount(tb, w.template)
	if want := (accessCounts{Reports: 2, Pending: 1}); w.before != want {
		tb.Fatalf("seeded rows %+v, want %+v", w.before, want)
	}
	return w
}

// accessButtonID is the number in the first button whose data starts with
// prefix ("u:12" → 12, "p:3:0" → 3).
func accessButtonID(tb testing.TB, replies []bot.Reply, prefix string) int64 {
	tb.Helper()
	for _, r := range replies {
		for _, row := range r.Keyboard {
			for _, btn := range row {
				if rest, ok := strings.CutPrefix(btn.Data, prefix); ok {
					var id int64
					if _, err := fmt.Sscanf(rest, "%d", &id); err == nil {
						return id
					}
				}
			}
		}
	}
	tb.Fatalf("no %q button in %+v", prefix, replies)
	return 0
}

func (w *accessWorld) newBot() *bot.Bot {
	return bot.New(bot.Config{
		Plan:   w.plan,
		Now:    func() time.Time { return accessNow },
		Digest: digestIn(&env{log: slog.New(slog.DiscardHandler)}),
		Export: exportIn(&env{log: slog.New(slog.DiscardHandler)}),
		LoadPlan: func(context.Context) (*planbot.Plan, error) {
			cfg, err := config.Load(accessConfig)
			if err != nil {
				return nil, err
			}
			return cfg.Plan, nil
		},
	})
}

// fresh copies the template into dir and opens it.
func (w *accessWorld) fresh(tb testing.TB) (*storage.DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "planbot.db")
	for _, suffix := range []string{"", "-wal"} {
		src, err := os.Open(w.template + suffix)
		if os.IsNotExist(err) && suffix != "" {
			continue
		} else if err != nil {
			tb.Fatal(err)
		}
		dst, err := os.Create(path + suffix)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			tb.Fatal(err)
		}
		src.Close()
		if err := dst.Close(); err != nil {
			tb.Fatal(err)
		}
	}
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	return db, path
}

// accessHandle is one message in one session, as the console drives it.
func accessHandle(ctx context.Context, db *storage.DB, b *bot.Bot, m bot.Message) (replies []bot.Reply, err error) {
	err = db.InSession(ctx, func(s bot.Store) error {
		var err error
		replies, err = b.Handle(ctx, s, m)
		return err
	})
	return replies, err
}

// What a cell expects back.
type accessKind int

const (
	silence accessKind = iota // no reply at all
	answer                    // the thing asked for
	refusal                   // a polite no
)

func (k accessKind) String() string { return [...]string{"silence", "answer", "refusal"}[k] }

// accessRefusals mark a reply as a refusal: every way the bot says no.
var accessRefusals = []string{
	"您还不是本系统的登记用户", "您还未登记", "请以个人身份", "不是您负责的事项", "由党政办或分管领导填报",
	"只限", "已撤回或不能撤回", "已过期", "只有本人可以", "请私聊本机器人发送邀请码", "邀请码不正确", "请私聊本机器人发送 /export",
}

type accessOutcome struct {
	kind  accessKind
	says  string       // a phrase the replies (text or toast) must contain
	lacks string       // a phrase they must not contain
	wrote accessCounts // rows added by the message
	audit string       // the action of the audit row it added, if it added one
}

func answered(says string) accessOutcome { return accessOutcome{kind: answer, says: says} }
func refused(says string) accessOutcome  { return accessOutcome{kind: refusal, says: says} }
func silent() accessOutcome              { return accessOutcome{kind: silence} }

func (o accessOutcome) adds(c accessCounts) accessOutcome { o.wrote = c; return o }
func (o accessOutcome) without(s string) accessOutcome    { o.lacks = s; return o }

// audited: the refusal left one audit row, action, and nothing else.
func (o accessOutcome) audited(action string) accessOutcome {
	o.audit, o.wrote = action, accessCounts{Audit: 1}
	return o
}

// How a row's message is sent; it decides the rules for those with no
// standing (unknown users, anonymous admins) and for group chatter.
type accessVia int

const (
	viaCommand accessVia = iota
	viaText
	viaPhoto
	viaButton
)

type accessRow struct {
	send string // the text, the caption, or the button's data (see data)
	via  accessVia
	data func(w *accessWorld) string // a button's data, when it names stored rows
	// known is the outcome for the owner, the other cadre, the leader and
	// the admin (in that order), in a private chat and, unless a rule
	// below says otherwise, in a group.
	known [4]accessOutcome
	// knownGroup, when set, replaces known in a group.
	knownGroup *[4]accessOutcome
	// unknownPrivate, unknownGroup replace the general rules for an
	// unregistered user (used by /start with an invite).
	unknownPrivate, unknownGroup *accessOutcome
	// anyGroup, when set, is the outcome in a group for every actor.
	anyGroup *accessOutcome
}

func all4(o accessOutcome) [4]accessOutcome { return [4]accessOutcome{o, o, o, o} }

// cadresLeaders: one outcome for both cadres, one for the leader and admin.
func cadresLeaders(cadres, leaders accessOutcome) [4]accessOutcome {
	return [4]accessOutcome{cadres, cadres, leaders, leaders}
}

// expect is the table's rule for one cell.
func (row accessRow) expect(a accessActor, group bool) accessOutcome {
	if group && row.anyGroup != nil {
		return *row.anyGroup
	}
	switch a.role {
	case roleUnknown:
		// Unregistered users are told how to get registered and nothing of
		// theirs is kept but one audit row per message. In private every
		// message gets the polite refusal (with their numeric id); in a
		// group only a command gets a short one (plain chatter and photos
		// are not for the bot: silence, but still audited); a button press
		// gets a toast.
		switch {
		case group && row.unknownGroup != nil:
			return *row.unknownGroup
		case !group && row.unknownPrivate != nil:
			return *row.unknownPrivate
		case row.via == viaButton:
			return refused("您还未登记").audited("button")
		case !group:
			return refused("请把您的账号 ID").audited("refused")
		case row.via == viaCommand:
			return refused("请私聊本机器人了解如何登记").audited("refused")
		}
		return silent().audited("refused")
	case roleAnonymous:
		// An anonymous admin is a chat, not a person: nobody to authorise,
		// nothing written, not even an audit row. A command is told to send
		// it in person; a button press gets a toast saying the same; plain
		// text and photos get silence.
		switch row.via {
		case viaCommand:
			return refused("请以个人身份发送命令")
		case viaButton:
			return refused("请以个人身份")
		}
		return silent()
	}
	if group && row.via == viaText {
		// Plain chatter in a group is between people, not for the bot:
		// silence, nothing written, whoever says it.
		return silent()
	}
	if group && row.knownGroup != nil {
		return row.knownGroup[a.role-roleOwner]
	}
	return row.known[a.role-roleOwner]
}

func accessRows() []accessRow {
	report := accessCounts{Reports: 1}
	onBehalf := answered("代 马某某 汇报").adds(report)
	notYours := refused("2.3 不是您负责的事项（责任人：马某某）").audited("report_refused")
	valueRefused := refused("指标“固定资产投资”由党政办或分管领导填报").audited("value_refused")
	valueRecorded := answered("✅ 已记录 <b>固定资产投资</b>：3.2亿元").adds(accessCounts{Observations: 1})
	greeting := answered("您好！我是工作计划督办助手")
	section2 := answered("【2】谋发展、求突破")
	return []accessRow{
		// /start greets every registered person and writes nothing.
		{send: "/start", via: viaCommand, known: all4(greeting)},
		// /start with sun_cun's invite: a registered person is greeted and
		// the invite stays unspent; an unknown user in private is bound
		// (one binding, one spent invite: the invite is the authorisation).
		// In a group, whoever says it, the code is spent without binding
		// anyone (it was said in public: issue 11) and the group is told
		// it is void.
		{send: "/start " + accessInvite, via: viaCommand, known: all4(greeting),
			unknownPrivate: ptr(answered("绑定成功！孙某某").adds(accessCounts{Bindings: 1, SpentInvites: 1})),
			anyGroup: ptr(accessOutcome{kind: refusal, says: "邀请码在群里公开了，现已作废", audit: "invite_exposed",
				wrote: accessCounts{SpentInvites: 1, Audit: 1}})},
		// A wrong invite is refused and audited.
		{send: "/start WRONGCODE1", via: viaCommand, known: all4(greeting),
			unknownPrivate: ptr(refused("邀请码不正确").audited("bad_invite")),
			unknownGroup:   ptr(refused("请私聊本机器人发送邀请码").audited("invite_in_group"))},
		// /help lists what the reader may use: /unreported for leaders and
		// admins, /reload for the admin only.
		{send: "/help", via: viaCommand, known: [4]accessOutcome{
			answered("/mine 或 我的").without("/unreported"),
			answered("/mine 或 我的").without("/unreported"),
			answered("/unreported 或 未汇报").without("/reload"),
			answered("/reload 或 重载"),
		}},
		// Views answer every registered person and write nothing.
		{send: "/mine", via: viaCommand, known: [4]accessOutcome{
			answered("<b>马某某的事项</b>"),
			answered("<b>赵某某的事项</b>"),
			answered("<b>陈某某分管的事项</b>"),
			answered("<b>郑某某：需要关注的事项</b>"),
		}},
		{send: "/plan", via: viaCommand, known: all4(answered("<b>2027 年度工作计划</b>"))},
		{send: "/plan 2", via: viaCommand, known: all4(section2)},
		{send: "/item 2.3", via: viaCommand, known: all4(answered("<b>2.3 协调推进XX项目开工建设</b>"))},
		{send: "/targets", via: viaCommand, known: all4(answered("<b>重点指标</b>"))},
		{send: "/overdue", via: viaCommand, known: cadresLeaders(answered("您名下没有逾期事项"), answered("<b>逾期事项</b>"))},
		// /unreported is for leaders and admins: cadres are told so (no
		// audit: a role mismatch is not an intrusion).
		{send: "/unreported", via: viaCommand, known: cadresLeaders(
			refused("“未汇报”只限领导和党政办管理员使用"), answered("<b>本周未汇报</b>"))},
		// The ledger (every report, with names) is for leaders and admins,
		// and only in private: a group may hold anyone.
		{send: "/export", via: viaCommand,
			known: cadresLeaders(refused("“导出”只限领导和党政办管理员使用"), answered("年度工作台账")),
			knownGroup: &[4]accessOutcome{refused("“导出”只限领导和党政办管理员使用"), refused("“导出”只限领导和党政办管理员使用"),
				refused("请私聊本机器人发送 /export"), refused("请私聊本机器人发送 /export")}},
		// So is the weekly digest on demand.
		{send: "/digest", via: viaCommand, known: cadresLeaders(
			refused("“周报”只限领导和党政办管理员使用"), answered("<b>📊 2027 年工作计划周报</b>"))},
		// A report on 2.3: its owner records it; a cadre who does not own
		// it is refused (audited); a leader or the admin records it on the
		// owner's behalf.
		{send: "/report 2.3 60%", via: viaCommand, known: [4]accessOutcome{
			answered("✅ 已记录 <b>2.3</b>").adds(report), notYours, onBehalf, onBehalf}},
		// /report alone asks which of your items (one pending question);
		// a leader or admin owns none and is told to name the item.
		{send: "/report", via: viaCommand, known: cadresLeaders(
			answered("汇报哪个事项？").adds(accessCounts{Pending: 1}), answered("您名下没有事项"))},
		// Indicator values are for leaders and admins only.
		{send: "/value 固定资产投资 3.2亿", via: viaCommand, known: cadresLeaders(valueRefused, valueRecorded)},
		{send: "/done 2.3", via: viaCommand, known: [4]accessOutcome{
			answered("：已完成").adds(report), notYours, onBehalf, onBehalf}},
		// /undo withdraws the sender's own newest row only: the owner's
		// seeded report (one withdrawal row); nobody else has one, and
		// nobody's /undo reaches another person's report.
		{send: "/undo", via: viaCommand, known: [4]accessOutcome{
			answered("↩️ 已撤回 2.3 的汇报").adds(report),
			answered("没有可以撤回的汇报"), answered("没有可以撤回的汇报"), answered("没有可以撤回的汇报")}},
		// /reload is the admin's (re-syncing the same plan adds no rows).
		{send: "/reload", via: viaCommand, known: [4]accessOutcome{
			refused("“重载”只限党政办管理员使用"), refused("“重载”只限党政办管理员使用"),
			refused("“重载”只限党政办管理员使用"), answered("✅ 配置已重载")}},

		// Free text in private: the same rules as the commands. In a
		// group: silence (see expect).
		{send: "2.3 进度60% 已签约", via: viaText, known: [4]accessOutcome{
			answered("✅ 已记录 <b>2.3</b>").adds(report), notYours, onBehalf, onBehalf}},
		{send: "固定资产投资 累计3.2亿", via: viaText, known: cadresLeaders(valueRefused, valueRecorded)},
		// A photo with a caption is a report with evidence, in private and
		// in a group alike.
		{send: "2.3 进度60% 现场照片", via: viaPhoto, known: [4]accessOutcome{
			answered("佐证照片 1 张已保存").adds(report), notYours,
			answered("佐证照片 1 张已保存").adds(report), answered("佐证照片 1 张已保存").adds(report)}},

		// Buttons. Someone else's undo button and someone else's question
		// are refused to everyone, writing nothing (the question stays
		// open for its owner).
		{via: viaButton, data: func(w *accessWorld) string { return fmt.Sprintf("u:%d", w.qianReport) },
			known: all4(refused("这是钱某某的汇报，只有本人可以撤回。"))},
		{via: viaButton, data: func(w *accessWorld) string { return fmt.Sprintf("p:%d:0", w.qianPending) },
			known: all4(refused("这是钱某某的问题，只有本人可以回答。"))},
		// A reminder's "report on 2.3" button asks for the percent (one
		// pending question) of whoever may report on 2.3.
		{send: "r:2.3", via: viaButton, known: [4]accessOutcome{
			answered("进度到多少了？").adds(accessCounts{Pending: 1}), refused("不是您负责的事项"),
			answered("进度到多少了？").adds(accessCounts{Pending: 1}), answered("进度到多少了？").adds(accessCounts{Pending: 1})}},
		{send: "plan:2", via: viaButton, known: all4(section2)},
	}
}

func ptr[T any](v T) *T { return &v }

// TestAccessTable runs every cell of the table; the rule of each cell is
// in accessRow.expect and the comments on accessRows.
func TestAccessTable(t *testing.T) {
	t.Parallel()
	w := newAccessWorld(t)
	for _, row := range accessRows() {
		send := row.send
		if row.data != nil {
			send = row.data(w)
		}
		for _, a := range accessActors {
			for _, group := range []bool{false, true} {
				chat := map[bool]string{false: "private", true: "group"}[group]
				t.Run(fmt.Sprintf("%s/%s/%s", send, a.name, chat), func(t *testing.T) {
					t.Parallel()
					w.cell(t, row, send, a, group)
				})
			}
		}
	}
}

func (w *accessWorld) cell(t *testing.T, row accessRow, send string, a accessActor, group bool) {
	want := row.expect(a, group)
	m := bot.Message{ChatID: tgChat(a.userID), Chat: bot.ChatPrivate, UserID: tgAccount(a.userID), UserName: "someone",
		ViaChat: a.viaChat, MessageID: 500, At: accessNow}
	if group {
		m.ChatID, m.Chat = tgChat(accessGroup), bot.ChatGroup
	}
	switch row.via {
	case viaButton:
		m.Callback = &bot.Callback{ID: "cb-42", Data: send, MessageID: 77}
	case viaPhoto:
		m.Text, m.PhotoIDs = send, []string{"telegram:AgACAgIAAxkBAAIBc2ZfakePhoto"}
	default:
		m.Text = send
	}

	db, path := w.fresh(t)
	replies, err := accessHandle(context.Background(), db, w.newBot(), m)
	if cerr := db.Close(); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	after, last := accessCount(t, path)

	// (a) The kind of reply.
	var text strings.Builder
	for _, r := range replies {
		text.WriteString(r.Text + "\n" + r.CallbackText + "\n")
		if r.Document != nil {
			text.WriteString(r.Document.Caption + "\n")
		}
	}
	got := silence
	switch {
	case len(replies) == 0:
	case slices.ContainsFunc(accessRefusals, func(s string) bool { return strings.Contains(text.String(), s) }):
		got = refusal
	default:
		got = answer
	}
	if got != want.kind {
		t.Errorf("reply is %v, want %v: %q", got, want.kind, text.String())
	}
	if want.says != "" && !strings.Contains(text.String(), want.says) {
		t.Errorf("reply lacks %q: %q", want.says, text.String())
	}
	if want.lacks != "" && strings.Contains(text.String(), want.lacks) {
		t.Errorf("reply has %q: %q", want.lacks, text.String())
	}
	accessWellFormed(t, m, replies)
	if a.role == roleUnknown || a.role == roleAnonymous {
		// Nothing of the plan reaches someone with no standing: no names
		// (every example name ends in 某某), no item titles or codes.
		for _, secret := range []string{"某某", "XX", "2.3", "协调推进", "进度"} {
			if strings.Contains(text.String(), secret) && want.kind != answer {
				t.Errorf("a refusal to %s shows %q: %q", a.name, secret, text.String())
			}
		}
	}

	// (b) What was written.
	if d := after.minus(w.before); d != want.wrote {
		t.Errorf("rows written %+v, want %+v", d, want.wrote)
	}
	if want.audit != "" && (last.Action != want.audit || last.UserID != tgAccount(a.userID) || last.ChatID != m.ChatID) {
		t.Errorf("audit row %+v, want action %q by %s in %s", last, want.audit, tgAccount(a.userID), m.ChatID)
	}
}

// accessWellFormed checks what holds for every reply to m: valid HTML and
// UTF-8, sent back to m's chat, a button press answered exactly once.
func accessWellFormed(tb testing.TB, m bot.Message, replies []bot.Reply) {
	tb.Helper()
	answers := 0
	for i, r := range replies {
		if r.CallbackID != "" {
			answers++
			if m.Callback == nil || r.CallbackID != m.Callback.ID {
				tb.Errorf("reply %d answers callback %q, the message is %+v", i, r.CallbackID, m.Callback)
			}
			if !utf8.ValidString(r.CallbackText) || utf8.RuneCountInString(r.CallbackText) > 200 {
				tb.Errorf("reply %d: toast %q is not valid UTF-8 of ≤ 200 characters", i, r.CallbackText)
			}
			if r.Text != "" {
				tb.Errorf("reply %d answers a callback and carries text %q", i, r.Text)
			}
			continue
		}
		if r.ChatID != m.ChatID {
			tb.Errorf("reply %d goes to chat %s, the message came from %s: %q", i, r.ChatID, m.ChatID, r.Text)
		}
		if r.EditMessageID != 0 && (m.Callback == nil || r.EditMessageID != m.Callback.MessageID) {
			tb.Errorf("reply %d edits message %d, not the pressed keyboard's", i, r.EditMessageID)
		}
		if !utf8.ValidString(r.Text) {
			tb.Errorf("reply %d is not valid UTF-8: %q", i, r.Text)
		}
		if _, _, err := telegramtest.ParseHTML(r.Text); err != nil {
			tb.Errorf("reply %d: Telegram would refuse it: %v\n%s", i, err, r.Text)
		}
		for _, row := range r.Keyboard {
			for _, b := range row {
				if len(b.Data) > 64 || !utf8.ValidString(b.Text) {
					tb.Errorf("reply %d: button %+v is not one Telegram accepts", i, b)
				}
			}
		}
	}
	if want := map[bool]int{false: 0, true: 1}[m.Callback != nil]; answers != want {
		tb.Errorf("%d callback answers, want %d", answers, want)
	}
}

// TestAccessHostileNotes: notes made to break markup, SQL or text handling
// are stored verbatim and shown escaped in every view that shows them.
func TestAccessHostileNotes(t *testing.T) {
	t.Parallel()
	w := newAccessWorld(t)
	notes := []struct{ name, note string }{
		{"markup", `<b>x</b> & *y* _z_ [a](b)`},
		{"sql", `'); DROP TABLE reports;--`},
		{"4000 characters", strings.Repeat("说明<&>", 800)},
		{"invalid UTF-8", "坏\xff\xfe字节\xc3\x28尾"},
		{"emoji", "签约成功🎉👍🏽🇨🇳"},
		{"right-to-left override", "\u202e已签约 <b>gnp.exe</b>"},
		{"zero-width joiners", "👨\u200d👩\u200d👧 家庭农场\u200d\u200c\u200b合作"},
	}
	const ma, chen = int64(100000010), int64(100000004)
	for _, n := range notes {
		t.Run(n.name, func(t *testing.T) {
			t.Parallel()
			if utf8.RuneCountInString(n.note) > 4000 {
				t.Fatalf("note of %d characters", utf8.RuneCountInString(n.note))
			}
			ctx := context.Background()
			db, _ := w.fresh(t)
			defer db.Close()
			b := w.newBot()
			msgID := 600
			send := func(user, chat int64, text string, cb *bot.Callback) []bot.Reply {
				t.Helper()
				msgID++
				m := bot.Message{ChatID: tgChat(chat), Chat: bot.ChatPrivate, UserID: tgAccount(user), MessageID: msgID, Text: text, At: accessNow, Callback: cb}
				if chat < 0 {
					m.Chat = bot.ChatGroup
				}
				replies, err := accessHandle(ctx, db, b, m)
				if err != nil {
					t.Fatalf("%q: %v", text, err)
				}
				accessWellFormed(t, m, replies)
				return replies
			}
			// shown checks that the first reply with text shows the note
			// as typed (its beginning: views clip it), with none of its
			// markup taken as markup.
			shown := func(what string, replies []bot.Reply) {
				t.Helper()
				visible := []rune(strings.ToValidUTF8(n.note, "\uFFFD"))
				head := string(visible[:min(len(visible), 20)])
				for _, r := range replies {
					if r.Text == "" {
						continue
					}
					plain, ents, err := telegramtest.ParseHTML(r.Text)
					if err != nil {
						t.Errorf("%s: Telegram would refuse the reply: %v", what, err)
						continue
					}
					if !strings.Contains(plain, head) {
						t.Errorf("%s: the reply does not show the note %q as typed:\n%s", what, head, plain)
					}
					for _, raw := range []string{"<b>x</b>", "<b>gnp.exe</b>", "<&>"} {
						if strings.Contains(n.note, raw) && strings.Contains(r.Text, raw) {
							t.Errorf("%s: the user's %q is raw in the reply HTML", what, raw)
						}
					}
					for _, e := range ents {
						if e.Type == "text_link" && e.URL == "b" {
							t.Errorf("%s: the note's [a](b) became a link", what)
						}
					}
					return
				}
				t.Errorf("%s: no reply shows the note: %+v", what, replies)
			}
			stored := func(what string, wantReporter string, count int) {
				t.Helper()
				rs, err := db.ItemReports(ctx, "2.3")
				if err != nil {
					t.Fatal(err)
				}
				if len(rs) != count {
					t.Fatalf("%s: 2.3 has %d reports, want %d", what, len(rs), count)
				}
				if r := rs[len(rs)-1]; r.Note != n.note || r.Reporter != wantReporter {
					t.Errorf("%s: stored note %q by %s, want %q verbatim by %s", what, r.Note, r.Reporter, n.note, wantReporter)
				}
			}

			// 1. Free text from the owner, in private (the template holds
			//    his earlier 2.3 report).
			shown("free text echo", send(ma, ma, "2.3 进度60% "+n.note, nil))
			stored("free text", "ma_jingfa", 2)
			// 2. A leader's /report in the group, on the owner's behalf.
			shown("/report echo", send(chen, accessGroup, "/report 2.3 70% "+n.note, nil))
			stored("/report", "chen_fuzhen", 3)
			// 3. The walk-through's note step: /report → 2.3 → 80% → note.
			ask := send(ma, ma, "/report", nil)
			pid := accessButtonID(t, ask, "p:")
			ask = send(ma, ma, "", &bot.Callback{ID: "cb-1", Data: fmt.Sprintf("p:%d:2", pid), MessageID: 601}) // 2.3 is ma's third item
			pid = accessButtonID(t, ask, "p:")
			send(ma, ma, "", &bot.Callback{ID: "cb-2", Data: fmt.Sprintf("p:%d:80", pid), MessageID: 602})
			shown("walk-through note echo", send(ma, ma, n.note, nil))
			stored("walk-through note", "ma_jingfa", 5) // the 80% row, then the row with the note

			// Every view that shows the note.
			shown("/item 2.3", send(ma, ma, "/item 2.3", nil))
			shown("/mine", send(ma, ma, "/mine", nil))
			shown("/plan 2", send(chen, accessGroup, "/plan 2", nil))

			// Views that echo what was typed as an argument.
			for _, cmd := range []string{"/item ", "/plan ", "/done "} {
				for _, r := range send(ma, ma, cmd+n.note, nil) {
					if _, _, err := telegramtest.ParseHTML(r.Text); err != nil || !utf8.ValidString(r.Text) {
						t.Errorf("%s<note>: reply %q: %v", cmd, r.Text, err)
					}
					for _, raw := range []string{"<b>", "<&>"} {
						if strings.Contains(n.note, raw) && strings.Contains(r.Text, raw) {
							t.Errorf("%s<note>: the user's %q is raw in the reply HTML", cmd, raw)
						}
					}
				}
			}
			// The reports table survived the SQL-looking note.
			if all, err := db.AllReports(ctx); err != nil || len(all["2.3"]) != 5 {
				t.Errorf("reports after the notes: %d of 2.3, %v", len(all["2.3"]), err)
			}
		})
	}
}
