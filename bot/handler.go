package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"planbot"
	"planbot/intake"
)

// Config is what the conversation needs from the rest of the program.
type Config struct {
	// Plan is the plan in force at start; /reload replaces it.
	Plan *planbot.Plan
	Now  func() time.Time
	// LoadPlan re-reads the YAML for /reload. Its error's lines are the
	// problems, shown to the admin while the running plan stays in force.
	LoadPlan func(ctx context.Context) (*planbot.Plan, error)
	// Reloaded is told of a plan /reload put in force (the scheduler
	// rebuilds its jobs). It must not block on the database: it is called
	// inside the reloading message's transaction.
	Reloaded func(*planbot.Plan)
	// UndoWindow is how long after a report /undo may withdraw it.
	UndoWindow time.Duration
	// JumpShare: an indicator value that rises by more than this share of
	// the annual target in one report is confirmed before it is recorded.
	JumpShare float64
	// Digest writes the weekly digest (HTML) as at at, reading within s,
	// and its picture (PNG; nil when it cannot be drawn); nil leaves
	// /digest unavailable. The scheduler owns the digest, and bot may not
	// import it: cmd/planbot wires it in.
	Digest func(ctx context.Context, s Store, plan *planbot.Plan, at time.Time) (text string, picture []byte, err error)
	// Export writes the ledger (台账) as at at, reading within s: the
	// file's name and its bytes (an Excel workbook); nil leaves /export
	// unavailable. cmd/planbot wires it in, as Digest.
	Export func(ctx context.Context, s Store, plan *planbot.Plan, at time.Time) (name string, data []byte, err error)
	// AdminChat receives the bot's own alarms (the database cannot be
	// written …); "" sends them to every admin's private chat instead.
	AdminChat planbot.ChatID
	Log       *slog.Logger
}

// Bot turns messages into replies. It holds no per-chat state of its own:
// everything it must remember is in the Store, so a restart forgets nothing.
type Bot struct {
	cfg  Config
	plan atomic.Pointer[planbot.Plan]
	// self maps a platform's name to the bot's own account there. It is
	// replaced whole under selfMu, never changed in place, so a message
	// reads it without a lock while an adapter (re)connects.
	self   atomic.Pointer[map[string]botAccount]
	selfMu sync.Mutex
}

// botAccount is the bot's own account on one chat platform, as its
// adapter learnt it when it connected.
type botAccount struct {
	id       planbot.UserID
	username string
}

// SetSelf tells the bot its own account on the platform of id, so that in
// a group there it answers only what is addressed to it (/help@ThisBot,
// replies to its messages, @mentions). The bot has one account on each
// platform it serves, each with its own name: an adapter sets its own
// and leaves the others'. Until a platform's is set (the console, tests)
// every /cmd@name there is taken as addressed to it.
func (b *Bot) SetSelf(id planbot.UserID, username string) {
	b.selfMu.Lock()
	defer b.selfMu.Unlock()
	next := map[string]botAccount{}
	if cur := b.self.Load(); cur != nil {
		maps.Copy(next, *cur)
	}
	next[id.Platform()] = botAccount{id: id, username: username}
	b.self.Store(&next)
}

// account is the bot's own account on platform; zero when not set.
func (b *Bot) account(platform string) botAccount {
	if m := b.self.Load(); m != nil {
		return (*m)[platform]
	}
	return botAccount{}
}

// botSelf is the bot's own account on the platform of the message in hand:
// what its /cmd@name, @mentions and replies are compared with.
func (c *call) botSelf(b *Bot) botAccount { return b.account(c.m.ChatID.Platform()) }

// The access policy's numbers (issue 11).
const (
	// inviteGuesses wrong invite codes within inviteGuessWindow lock a user
	// out of binding until the oldest of them is an hour old: five typos
	// are plenty for a person, and a guesser gets 120 tries a day at most
	// against codes of at least 6 characters.
	inviteGuesses     = 5
	inviteGuessWindow = time.Hour
	// A stranger is told he is not registered at most once per
	// refusalEveryUser in private, and a group at most once per
	// refusalEveryGroup, however many messages they send: the refusal
	// says all there is to say, and a flood of them must not hold up
	// answers to the people on the list.
	refusalEveryUser  = time.Hour
	refusalEveryGroup = 10 * time.Minute
)

// Plan is the plan in force: what the last successful /reload loaded.
func (b *Bot) Plan() *planbot.Plan { return b.plan.Load() }

// SetPlan puts a validated plan in force (Reload does, after loading it
// into the database).
func (b *Bot) SetPlan(p *planbot.Plan) { b.plan.Store(p) }

// New returns a Bot; zero fields of cfg get defaults.
func New(cfg Config) *Bot {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.UndoWindow == 0 {
		cfg.UndoWindow = 24 * time.Hour
	}
	if cfg.JumpShare == 0 {
		cfg.JumpShare = 0.5
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	b := &Bot{cfg: cfg}
	b.plan.Store(cfg.Plan)
	return b
}

// call is one message being handled.
type call struct {
	ctx     context.Context
	s       Store
	m       Message
	plan    *planbot.Plan
	now     time.Time // in the plan's zone
	me      planbot.Person
	known   bool
	replies []Reply
	// correcting: the report being recorded corrects an earlier one in
	// words (更正…), and its echo says so.
	correcting bool
}

func (c *call) say(text string, keyboard ...[]Button) {
	c.replies = append(c.replies, Reply{ChatID: c.m.ChatID, Text: text, Keyboard: keyboard})
}

// answerButton stops the spinner on a pressed button and replaces the text
// of the message that carried it, so old keyboards can't be pressed twice.
func (c *call) answerButton(toast, newText string, keyboard ...[]Button) {
	if c.m.Callback == nil {
		if newText != "" {
			c.say(newText, keyboard...)
		}
		return
	}
	c.replies = append(c.replies, Reply{ChatID: c.m.ChatID, CallbackID: c.m.Callback.ID, CallbackText: toast})
	if newText != "" {
		c.replies = append(c.replies, Reply{ChatID: c.m.ChatID, EditMessageID: c.m.Callback.MessageID, Text: newText, Keyboard: keyboard})
	}
}

func (c *call) today() planbot.Date { return planbot.DateOf(c.now) }

// ErrInternal wraps a failure of the store or a bug: the caller rolls back
// the message's effects and apologises to the user.
var ErrInternal = errors.New("internal error")

// Handle answers one message. An error means nothing was recorded and the
// caller should apologise (see Apology); user mistakes are replies, not errors.
func (b *Bot) Handle(ctx context.Context, s Store, m Message) (replies []Reply, err error) {
	plan := b.Plan()
	c := &call{ctx: ctx, s: s, m: m, plan: plan, now: b.cfg.Now().In(plan.Location)}
	if m.AsPerson != "" {
		c.me, c.known = plan.Person(m.AsPerson)
		if err := b.dispatch(c); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInternal, err)
		}
		return c.replies, nil
	}
	if m.Chat != ChatPrivate && m.Callback == nil {
		// Whoever posts it, an invite code said in a group is known to
		// everyone there: it must not bind anyone any more.
		exposed, err := b.exposedInvite(c)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInternal, err)
		}
		if exposed {
			return c.replies, nil
		}
	}
	if m.ViaChat || m.UserID == "" {
		// Sent as a chat (anonymous admin, channel): nobody to authorise.
		// The adapter says so (ViaChat) rather than the bot knowing a
		// platform's placeholder account for it. Say so only when spoken
		// to, so a busy group is not spammed; a button press is always
		// answered, or its spinner keeps turning.
		switch cmd := c.command(b); {
		case m.Callback != nil:
			c.refusalToast("请以个人身份操作：无法确认是谁。")
		case cmd.ok && !m.Edited:
			if err := c.sayRefusal("anon:"+string(m.ChatID), refusalEveryGroup,
				"请以个人身份发送命令：匿名管理员或频道身份无法确认是谁。"); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInternal, err)
			}
		}
		return c.replies, nil
	}
	if c.me, c.known, err = b.whoIs(ctx, s, plan, m.UserID); err != nil {
		return nil, fmt.Errorf("%w: identify user: %v", ErrInternal, err)
	}
	if c.known {
		if err := c.seen(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInternal, err)
		}
	}
	if err := b.dispatch(c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInternal, err)
	}
	return c.replies, nil
}

// seen notes that the sender, a known person, wrote from their account:
// their reminders go to the platform they used last (planbot.ReminderChat).
// The message's own time counts, not the handling's, so a message handled
// late (after an outage) does not pass for a newer one. The console's
// messages (AsPerson) never get here: whoever runs it is not the person
// writing on a platform.
func (c *call) seen() error {
	at := c.m.At
	if at.IsZero() {
		at = c.now
	}
	return c.s.AccountSeen(c.ctx, c.m.UserID, at)
}

// Apology is what a user reads when handling their message failed: nothing
// they sent was recorded, and they can send it again.
func Apology(m Message) []Reply {
	r := []Reply{{ChatID: m.ChatID, Text: "抱歉，系统出了点问题，这条消息没有记录。请稍后再发一次；如一直不行，请联系党政办。"}}
	if m.Callback != nil {
		r = append(r, Reply{ChatID: m.ChatID, CallbackID: m.Callback.ID, CallbackText: "出错了，请重试"})
	}
	return r
}

// whoIs finds the person behind an account: the accounts in YAML first,
// then a binding made with an invite code.
func (b *Bot) whoIs(ctx context.Context, s planbot.BindingReader, plan *planbot.Plan, user planbot.UserID) (planbot.Person, bool, error) {
	for _, p := range plan.People {
		if p.HasAccount(user) {
			return p, true, nil
		}
	}
	key, ok, err := s.Binding(ctx, user)
	if err != nil || !ok {
		return planbot.Person{}, false, err
	}
	p, ok := plan.Person(key)
	return p, ok, nil
}

// Known reports whether u is on the list (an account in the YAML, or one
// bound by invite code): only they hear anything but a refusal. It only
// reads, so an adapter may ask while the database takes no writes (to tell
// a known person that their message waits); a failed read is "no".
func (b *Bot) Known(ctx context.Context, r planbot.BindingReader, u planbot.UserID) bool {
	if u == "" || r == nil {
		return false
	}
	_, known, err := b.whoIs(ctx, r, b.Plan(), u)
	return err == nil && known
}

// AdminChats is where the bot's own alarms go: bot.admin_chat when set,
// else every admin's private chat known from the YAML. It reads no
// database, as the alarm may be that the database cannot be used.
func (b *Bot) AdminChats() []planbot.ChatID {
	if b.cfg.AdminChat != "" {
		return []planbot.ChatID{b.cfg.AdminChat}
	}
	var chats []planbot.ChatID
	for _, p := range b.Plan().People {
		if chat := p.Chat(); p.Has(planbot.RoleAdmin) && chat != "" {
			chats = append(chats, chat)
		}
	}
	return chats
}

func (b *Bot) dispatch(c *call) error {
	if c.m.Edited {
		if !c.known || (c.m.Chat != ChatPrivate && len(c.m.PhotoIDs) == 0) {
			return nil // an edit asks nothing of a stranger; group chatter is not for the bot
		}
		return b.edited(c)
	}
	if c.m.Callback != nil {
		if !c.known {
			c.refusalToast("您还未登记")
			return c.audit("button", c.m.Callback.Data)
		}
		return b.onButton(c)
	}
	cmd := c.command(b)
	if cmd.otherBot {
		// /help@SomeOtherBot: another bot's business, not even audited.
		return nil
	}
	if cmd.name == "start" {
		return b.start(c, cmd.args)
	}
	if !c.known {
		return b.refuse(c, cmd.ok || c.addressesBot(b))
	}
	if cmd.ok {
		def, ok := commandByName(cmd.name)
		if !ok {
			c.say(fmt.Sprintf("不认识的命令 %s。发送 /help 查看可用命令。", esc(clip(c.m.Text, 30))))
			return nil
		}
		if !def.allowed(c.me) {
			c.say(fmt.Sprintf("“%s”只限%s使用。", def.zh, def.who()))
			return nil
		}
		return def.run(b, c, cmd.args)
	}
	if c.m.Chat != ChatPrivate && len(c.m.PhotoIDs) == 0 {
		// In a group, plain chatter between people is not addressed to the
		// bot; reports are sent privately or as commands. One addressed to
		// the bot (a reply to it, an @mention) that holds a report is told
		// where to send it, so it is not lost in silence.
		if c.addressesBot(b) && c.holdsReport(b) {
			c.say(fmt.Sprintf("群里的汇报不记录。请私聊 %s 发送这条汇报。", c.privateChatName(b)))
		}
		return nil
	}
	if c.m.Unsupported {
		c.say("暂时只能看懂文字、照片、文件和视频。汇报请发文字，例如：<code>2.3 进度60% 已与XX酒店签约</code>")
		return nil
	}
	if len(c.m.PhotoIDs) == 0 && strings.TrimSpace(c.m.Text) == "" {
		return nil
	}
	if handled, err := b.leaveText(c); handled || err != nil {
		return err
	}
	if handled, err := b.noteForPending(c); handled || err != nil {
		return err
	}
	if handled, err := b.answerByText(c); handled || err != nil {
		return err
	}
	if handled, err := b.albumPhoto(c); handled || err != nil {
		return err
	}
	return b.freeText(c)
}

// refuse answers an unregistered user: politely, with what they need to get
// registered, and storing nothing of theirs but an audit line. In a group
// only what is addressed to the bot is answered. Either way at most one
// refusal goes out per window (refusalEveryUser, refusalEveryGroup).
func (b *Bot) refuse(c *call, addressed bool) error {
	if err := c.audit("refused", c.m.Text); err != nil {
		return err
	}
	if c.m.Chat == ChatPrivate {
		return c.sayRefusal(userScope(c.m.UserID), refusalEveryUser, fmt.Sprintf("您好！您还不是本系统的登记用户，暂时无法使用。\n"+
			"请把您的账号 ID <code>%s</code> 发给党政办，由其登记；\n"+
			"如果党政办已给您邀请码，请发送：/start 邀请码", esc(c.m.UserID.Local())))
	}
	if addressed && !c.m.Edited {
		return c.sayRefusal(chatScope(c.m.ChatID), refusalEveryGroup, "您还不是本系统的登记用户。请私聊本机器人了解如何登记。")
	}
	return nil
}

// Refusal notices are coalesced per account or chat, by its whole
// address: the same number on two platforms is two strangers.
func userScope(u planbot.UserID) string { return "u:" + string(u) }
func chatScope(c planbot.ChatID) string { return "c:" + string(c) }

// sayRefusal says text as a refusal, unless one went out under scope
// within every.
func (c *call) sayRefusal(scope string, every time.Duration, text string) error {
	ok, err := c.s.ClaimNotice(c.ctx, scope, c.now, every)
	if err != nil || !ok {
		return err
	}
	c.replies = append(c.replies, Reply{ChatID: c.m.ChatID, Text: text, Refusal: true})
	return nil
}

// refusalToast answers a press by someone with no standing. Every press is
// answered (or its spinner keeps turning), after the replies to people on
// the list.
func (c *call) refusalToast(toast string) {
	c.replies = append(c.replies, Reply{ChatID: c.m.ChatID, CallbackID: c.m.Callback.ID, CallbackText: toast, Refusal: true})
}

// addressesBot: in a group, the message replies to one of the bot's or
// @mentions it (commands are told by their own @suffix). A platform that
// hands the bot only the group messages that mention it (WeCom) keeps the
// mention in the text, so such a message is always addressed.
func (c *call) addressesBot(b *Bot) bool {
	me := c.botSelf(b)
	if me.id != "" && c.m.ReplyToUser == me.id {
		return true
	}
	if me.username == "" {
		return false
	}
	_, _, ok := indexFold(c.m.Text, "@"+me.username)
	return ok
}

// holdsReport: what the message says would be recorded if sent privately.
func (c *call) holdsReport(b *Bot) bool {
	text := c.m.Text
	if me := c.botSelf(b); me.username != "" {
		text = replaceFold(text, "@"+me.username, " ")
	}
	in := intake.Understand(text, intake.Context{Plan: c.plan, Owned: c.ownedOpen(), Today: c.today(), ReplyText: c.m.ReplyText})
	switch {
	case in.Kind == intake.IntentAck || in.Kind == intake.IntentQuestion:
		return false
	case in.Correction || len(in.Parts) > 0:
		return true
	}
	switch in.Kind {
	case intake.IntentItemReport, intake.IntentIndicatorValue, intake.IntentAmbiguous:
		return true
	}
	return false
}

// replaceFold replaces every case-insensitive occurrence of old in s.
func replaceFold(s, old, new string) string {
	var sb strings.Builder
	for {
		i, j, ok := indexFold(s, old)
		if !ok {
			sb.WriteString(s)
			return sb.String()
		}
		sb.WriteString(s[:i])
		sb.WriteString(new)
		s = s[j:]
	}
}

// indexFold finds the first case-insensitive occurrence of sub in s: s[i:j].
// Letters are compared rune by rune, as strings.EqualFold does, so a name
// that is not ASCII (a WeCom bot's is Chinese) is found where it is, and
// the match's length is read in s, not assumed to be sub's.
func indexFold(s, sub string) (i, j int, ok bool) {
	if sub == "" {
		return 0, 0, false
	}
	for i = 0; i < len(s); {
		if n, ok := prefixFold(s[i:], sub); ok {
			return i, i + n, true
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return 0, 0, false
}

// prefixFold reports whether s begins with prefix, case-insensitively, and
// how many bytes of s that prefix takes.
func prefixFold(s, prefix string) (int, bool) {
	n := 0
	for _, r := range prefix {
		if n >= len(s) {
			return 0, false
		}
		c, size := utf8.DecodeRuneInString(s[n:])
		if c != r && !strings.EqualFold(string(c), string(r)) {
			return 0, false
		}
		n += size
	}
	return n, true
}

// privateChatName is how a hint names the bot's private chat on the
// platform of the message in hand.
func (c *call) privateChatName(b *Bot) string {
	if me := c.botSelf(b); me.username != "" {
		return "@" + esc(me.username)
	}
	return "本机器人"
}

// exposedInvite spends every unspent invite code the group message holds,
// and tells the group it is void: said in a group, it is no secret.
func (b *Bot) exposedInvite(c *call) (bool, error) {
	text := strings.ToUpper(c.m.Text)
	if len(text) < 6 {
		return false, nil
	}
	var spent []string
	for _, p := range c.plan.People {
		if p.Invite == "" || !strings.Contains(text, strings.ToUpper(p.Invite)) {
			continue
		}
		ok, err := c.s.SpendExposedInvite(c.ctx, p.Key, c.m.UserID, p.Invite, c.now)
		if err != nil {
			return false, err
		}
		if ok {
			spent = append(spent, p.Key)
		}
	}
	if len(spent) == 0 {
		return false, nil
	}
	c.say("⚠️ 邀请码在群里公开了，现已作废，谁也不能再用它绑定。请向党政办要新的邀请码；以后请私聊本机器人发送邀请码，不要发在群里。")
	return true, c.audit("invite_exposed", strings.Join(spent, ","))
}

func (c *call) audit(action, detail string) error {
	return c.s.Audit(c.ctx, planbot.AuditEntry{At: c.now, UserID: c.m.UserID, ChatID: c.m.ChatID,
		Action: action, Detail: clip(detail, 200)})
}

func (b *Bot) start(c *call, code string) error {
	code = strings.TrimSpace(code)
	if c.known {
		c.say(fmt.Sprintf("%s，您好！我是工作计划督办助手。\n发送 /mine 查看您的事项，/help 查看全部用法。", esc(c.me.Name)))
		return nil
	}
	if code == "" {
		return b.refuse(c, true)
	}
	if c.m.Chat != ChatPrivate {
		// A real code said here was spent before dispatch (exposedInvite).
		if err := c.audit("invite_in_group", ""); err != nil {
			return err
		}
		return c.sayRefusal(chatScope(c.m.ChatID), refusalEveryGroup, "请私聊本机器人发送邀请码，不要在群里公开。")
	}
	wrong, err := c.s.AuditCount(c.ctx, c.m.UserID, "bad_invite", c.now.Add(-inviteGuessWindow))
	if err != nil {
		return err
	}
	if wrong >= inviteGuesses {
		// Locked out: the code is not even looked at, the right one neither.
		if err := c.audit("invite_locked", ""); err != nil {
			return err
		}
		return c.sayRefusal("lock:"+string(c.m.UserID), inviteGuessWindow,
			fmt.Sprintf("邀请码错误次数太多（1 小时内 %d 次），暂停绑定。请 1 小时后再试，或联系党政办。", inviteGuesses))
	}
	var who planbot.Person
	for _, p := range c.plan.People {
		if p.Invite != "" && p.Invite == code {
			who = p
		}
	}
	if who.Key == "" {
		if err := c.audit("bad_invite", ""); err != nil {
			return err
		}
		text := "邀请码不正确或已失效。请核对后重发，或联系党政办。"
		if left := inviteGuesses - wrong - 1; left > 0 {
			text += fmt.Sprintf("（1 小时内还可再试 %d 次）", left)
		} else {
			text += "\n错误次数已满，请 1 小时后再试。"
		}
		c.replies = append(c.replies, Reply{ChatID: c.m.ChatID, Text: text, Refusal: true})
		return nil
	}
	if err := c.s.Bind(c.ctx, who.Key, c.m.UserID, code, c.now); errors.Is(err, planbot.ErrConflict) {
		c.replies = append(c.replies, Reply{ChatID: c.m.ChatID, Refusal: true,
			Text: "这个邀请码已经用过了或已作废，或您的账号已绑定了别人。如有疑问，请联系党政办。"})
		return c.audit("spent_invite", who.Key)
	} else if err != nil {
		return err
	}
	c.me, c.known = who, true
	// Bound just now from this account: the platform they use.
	if err := c.seen(); err != nil {
		return err
	}
	c.say(fmt.Sprintf("绑定成功！%s，您好。\n发送 /mine 查看您的事项，/help 查看全部用法。", esc(who.Name)))
	return nil
}
