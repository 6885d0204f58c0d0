package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"planbot"
)

// anonymousAdminID is the user id Telegram puts on messages an anonymous
// group admin sends: it is a placeholder, never a person.
const anonymousAdminID = 1087968824

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
	// AdminChat receives the bot's own alarms (the database cannot be
	// written …); 0 sends them to every admin's private chat instead.
	AdminChat int64
	Log       *slog.Logger
}

// Bot turns messages into replies. It holds no per-chat state of its own:
// everything it must remember is in the Store, so a restart forgets nothing.
type Bot struct {
	cfg  Config
	plan atomic.Pointer[planbot.Plan]
}

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
	c.replies = append(c.replies, Reply{CallbackID: c.m.Callback.ID, CallbackText: toast})
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
	if m.ViaChat || m.UserID == 0 || m.UserID == anonymousAdminID {
		// Sent as a chat (anonymous admin, channel): nobody to authorise.
		// Say so only when spoken to, so a busy group is not spammed; a
		// button press is always answered, or its spinner keeps turning.
		switch {
		case m.Callback != nil:
			c.answerButton("请以个人身份操作：无法确认是谁。", "")
		case isCommand(m.Text):
			c.say("请以个人身份发送命令：匿名管理员或频道身份无法确认是谁。")
		}
		return c.replies, nil
	}
	if c.me, c.known, err = b.whoIs(ctx, s, plan, m.UserID); err != nil {
		return nil, fmt.Errorf("%w: identify user: %v", ErrInternal, err)
	}
	if err := b.dispatch(c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInternal, err)
	}
	return c.replies, nil
}

// Apology is what a user reads when handling their message failed: nothing
// they sent was recorded, and they can send it again.
func Apology(m Message) []Reply {
	r := []Reply{{ChatID: m.ChatID, Text: "抱歉，系统出了点问题，这条消息没有记录。请稍后再发一次；如一直不行，请联系党政办。"}}
	if m.Callback != nil {
		r = append(r, Reply{CallbackID: m.Callback.ID, CallbackText: "出错了，请重试"})
	}
	return r
}

// whoIs finds the person behind a Telegram user id: the id in YAML first,
// then a binding made with an invite code.
func (b *Bot) whoIs(ctx context.Context, s bindingReader, plan *planbot.Plan, userID int64) (planbot.Person, bool, error) {
	for _, p := range plan.People {
		if p.TelegramID == userID {
			return p, true, nil
		}
	}
	key, ok, err := s.TelegramBinding(ctx, userID)
	if err != nil || !ok {
		return planbot.Person{}, false, err
	}
	p, ok := plan.Person(key)
	return p, ok, nil
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
			c.answerButton("您还未登记", "")
			return c.audit("button", c.m.Callback.Data)
		}
		return b.onButton(c)
	}
	name, args, isCmd := splitCommand(c.m.Text)
	if name == "start" {
		return b.start(c, args)
	}
	if !c.known {
		return b.refuse(c)
	}
	if isCmd {
		cmd, ok := commandByName(name)
		if !ok {
			c.say(fmt.Sprintf("不认识的命令 %s。发送 /help 查看可用命令。", esc(clip(c.m.Text, 30))))
			return nil
		}
		if !cmd.allowed(c.me) {
			c.say(fmt.Sprintf("“%s”只限%s使用。", cmd.zh, cmd.who()))
			return nil
		}
		return cmd.run(b, c, args)
	}
	if c.m.Chat != ChatPrivate && len(c.m.PhotoIDs) == 0 {
		// In a group, plain chatter between people is not addressed to the
		// bot; reports are sent privately or as commands.
		return nil
	}
	if c.m.Unsupported {
		c.say("暂时只能看懂文字、照片、文件和视频。汇报请发文字，例如：<code>2.3 进度60% 已与XX酒店签约</code>")
		return nil
	}
	if len(c.m.PhotoIDs) == 0 && strings.TrimSpace(c.m.Text) == "" {
		return nil
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
// registered, and storing nothing of theirs but an audit line.
func (b *Bot) refuse(c *call) error {
	if c.m.Chat == ChatPrivate {
		c.say(fmt.Sprintf("您好！您还不是本系统的登记用户，暂时无法使用。\n"+
			"请把您的数字 ID <code>%d</code> 发给党政办，由其登记；\n"+
			"如果党政办已给您邀请码，请发送：/start 邀请码", c.m.UserID))
	} else if isCommand(c.m.Text) {
		c.say("您还不是本系统的登记用户。请私聊本机器人了解如何登记。")
	}
	return c.audit("refused", c.m.Text)
}

func (c *call) audit(action, detail string) error {
	return c.s.Audit(c.ctx, planbot.AuditEntry{At: c.now, TelegramID: c.m.UserID, ChatID: c.m.ChatID,
		Action: action, Detail: clip(detail, 200)})
}

func (b *Bot) start(c *call, code string) error {
	code = strings.TrimSpace(code)
	if c.known {
		c.say(fmt.Sprintf("%s，您好！我是工作计划督办助手。\n发送 /mine 查看您的事项，/help 查看全部用法。", esc(c.me.Name)))
		return nil
	}
	if code == "" {
		return b.refuse(c)
	}
	if c.m.Chat != ChatPrivate {
		c.say("请私聊本机器人发送邀请码，不要在群里公开。")
		return c.audit("invite_in_group", "")
	}
	var who planbot.Person
	for _, p := range c.plan.People {
		if p.Invite != "" && p.Invite == code {
			who = p
		}
	}
	if who.Key == "" {
		c.say("邀请码不正确或已失效。请核对后重发，或联系党政办。")
		return c.audit("bad_invite", "")
	}
	if err := c.s.BindTelegram(c.ctx, who.Key, c.m.UserID, code, c.now); errors.Is(err, planbot.ErrConflict) {
		c.say("这个邀请码已经用过了，或您的账号已绑定了别人。如有疑问，请联系党政办。")
		return c.audit("spent_invite", who.Key)
	} else if err != nil {
		return err
	}
	c.me, c.known = who, true
	c.say(fmt.Sprintf("绑定成功！%s，您好。\n发送 /mine 查看您的事项，/help 查看全部用法。", esc(who.Name)))
	return nil
}
