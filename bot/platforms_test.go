package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"planbot"
	"planbot/config"
)

// memStore is the little of a transaction these tests reach: who is bound,
// when accounts were seen, the audit trail and the refusals' notices.
// Anything else is the nil planbot.Tx and panics: the messages here must
// not reach it.
type memStore struct {
	planbot.Tx
	bound   map[planbot.UserID]string
	seen    []seenCall
	seenErr error
	audits  []string
}

type seenCall struct {
	user planbot.UserID
	at   time.Time
}

func (s *memStore) Binding(_ context.Context, u planbot.UserID) (string, bool, error) {
	k, ok := s.bound[u]
	return k, ok, nil
}

func (s *memStore) AccountSeen(_ context.Context, u planbot.UserID, at time.Time) error {
	s.seen = append(s.seen, seenCall{u, at})
	return s.seenErr
}

func (s *memStore) Audit(_ context.Context, e planbot.AuditEntry) error {
	s.audits = append(s.audits, e.Action)
	return nil
}

func (s *memStore) AuditCount(context.Context, planbot.UserID, string, time.Time) (int, error) {
	return 0, nil
}

func (s *memStore) ClaimNotice(context.Context, string, time.Time, time.Duration) (bool, error) {
	return true, nil
}

func (s *memStore) Bind(_ context.Context, person string, u planbot.UserID, _ string, _ time.Time) error {
	if s.bound == nil {
		s.bound = map[planbot.UserID]string{}
	}
	s.bound[u] = person
	return nil
}

// The addresses of these tests: 马某某 (ma_jingfa, owner of 2.3) on the
// example's Telegram account and on a WeCom one, a stranger on each, and
// the bot's own account on each platform, with its name there.
const (
	maTG       planbot.UserID = "telegram:100000010"
	maWC       planbot.UserID = "wecom:majingfa"
	strangerTG planbot.UserID = "telegram:999"
	strangerWC planbot.UserID = "wecom:lisi"
	botTG      planbot.UserID = "telegram:1"
	botWC      planbot.UserID = "wecom:aibTEST"
	nameTG                    = "planbot_test_bot"
	nameWC                    = "督办助手"
	groupTG    planbot.ChatID = "telegram:-100123"
	groupWC    planbot.ChatID = "wecom:group:wrkSFfCgAAxx"
)

var now14 = time.Date(2027, 6, 15, 10, 0, 0, 0, time.UTC)

// newBot14 is a bot on the example plan, 马某某 given a WeCom account, with
// its own account set on both platforms.
func newBot14(t *testing.T) *Bot {
	t.Helper()
	cfg, err := config.Parse(planbot.ExampleConfigName, planbot.ExampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	plan := cfg.Plan
	for i, p := range plan.People {
		if p.Key == "ma_jingfa" {
			plan.People[i].Accounts = append(slices.Clip(p.Accounts), maWC)
		}
	}
	b := New(Config{Plan: plan, Now: func() time.Time { return now14 }})
	b.SetSelf(botTG, nameTG)
	b.SetSelf(botWC, nameWC)
	return b
}

func texts(rs []Reply) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Text)
	}
	return strings.Join(out, "\n---\n")
}

// A known person's message notes the account it came from as seen, at
// the message's own time (the handling's when it has none), once; a
// stranger's, a chat's and the console's do not. A failure to note it is
// an internal error, as any store's.
func TestAccountSeen(t *testing.T) {
	sent := now14.Add(-time.Hour)
	tests := []struct {
		name string
		m    Message
		want []seenCall
	}{
		{"known, private", Message{ChatID: maTG.Chat(), Chat: ChatPrivate, UserID: maTG, Text: "/help", At: sent}, []seenCall{{maTG, sent}}},
		{"known, on WeCom", Message{ChatID: maWC.Chat(), Chat: ChatPrivate, UserID: maWC, Text: "/help", At: sent}, []seenCall{{maWC, sent}}},
		{"known, in a group", Message{ChatID: groupWC, Chat: ChatGroup, UserID: maWC, Text: "@" + nameWC + " 谢谢", At: sent}, []seenCall{{maWC, sent}}},
		{"no time of its own", Message{ChatID: maTG.Chat(), Chat: ChatPrivate, UserID: maTG, Text: "/help"}, []seenCall{{maTG, now14}}},
		{"a stranger", Message{ChatID: strangerWC.Chat(), Chat: ChatPrivate, UserID: strangerWC, Text: "/help", At: sent}, nil},
		{"sent as a chat", Message{ChatID: groupTG, Chat: ChatGroup, ViaChat: true, Text: "/help", At: sent}, nil},
		{"the console", Message{ChatID: "console:1", Chat: ChatPrivate, UserID: maTG, AsPerson: "ma_jingfa", Text: "/help", At: sent}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &memStore{}
			if _, err := newBot14(t).Handle(context.Background(), s, tt.m); err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(s.seen, tt.want, func(a, b seenCall) bool { return a.user == b.user && a.at.Equal(b.at) }) {
				t.Errorf("seen %v, want %v", s.seen, tt.want)
			}
		})
	}
	s := &memStore{seenErr: errors.New("disk full")}
	m := Message{ChatID: maTG.Chat(), Chat: ChatPrivate, UserID: maTG, Text: "/help"}
	if _, err := newBot14(t).Handle(context.Background(), s, m); !errors.Is(err, ErrInternal) {
		t.Errorf("AccountSeen failing: Handle = %v, want ErrInternal", err)
	}
}

// Binding by invite is the account's first word as a known person's: it
// is noted as seen too.
func TestBindNotesSeen(t *testing.T) {
	b := newBot14(t)
	const sun planbot.UserID = "wecom:sunmoumou"
	s := &memStore{}
	rs, err := b.Handle(context.Background(), s, Message{ChatID: sun.Chat(), Chat: ChatPrivate, UserID: sun, Text: "/start NL7Q4K9M2X", At: now14})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(texts(rs), "绑定成功") || !slices.Equal(s.seen, []seenCall{{sun, now14}}) {
		t.Errorf("replies %q, seen %v: want bound and seen once", texts(rs), s.seen)
	}
}

// The bot has an account on each platform, with its own name: a group on
// one platform is addressed by the bot's name and account there, never
// by its name on the other.
func TestSelfPerPlatform(t *testing.T) {
	b := newBot14(t)
	tests := []struct {
		name string
		m    Message
		want string // a part of the reply; "" for none at all
	}{
		{"/cmd@name on Telegram", Message{ChatID: groupTG, Chat: ChatGroup, UserID: maTG, Text: "/help@" + nameTG}, "工作计划督办助手"},
		{"the WeCom name on Telegram is another bot's", Message{ChatID: groupTG, Chat: ChatGroup, UserID: maTG, Text: "/help@" + nameWC}, ""},
		{"/cmd@name on WeCom", Message{ChatID: groupWC, Chat: ChatGroup, UserID: maWC, Text: "/help@" + nameWC}, "工作计划督办助手"},
		{"the Telegram name on WeCom is another bot's", Message{ChatID: groupWC, Chat: ChatGroup, UserID: maWC, Text: "/help@" + nameTG}, ""},
		{"a reply to the bot on Telegram", Message{ChatID: groupTG, Chat: ChatGroup, UserID: strangerTG, Text: "你好", ReplyToUser: botTG}, "您还不是本系统的登记用户"},
		{"a reply to the WeCom bot's id on Telegram is not to it", Message{ChatID: groupTG, Chat: ChatGroup, UserID: strangerTG, Text: "你好", ReplyToUser: botWC}, ""},
		{"a mention on Telegram, any case", Message{ChatID: groupTG, Chat: ChatGroup, UserID: maTG, Text: "@PLANBOT_Test_Bot 2.3 进度70%"}, "请私聊 @" + nameTG + " 发送"},
		{"the WeCom name mentioned on Telegram", Message{ChatID: groupTG, Chat: ChatGroup, UserID: maTG, Text: "@" + nameWC + " 2.3 进度70%"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := b.Handle(context.Background(), &memStore{}, tt.m)
			if err != nil {
				t.Fatal(err)
			}
			got := texts(rs)
			if tt.want == "" && len(rs) != 0 || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("replies %q, want %q", got, tt.want)
			}
		})
	}
	// Connecting again replaces that platform's account only.
	b.SetSelf(botTG, "renamed_bot")
	rs, err := b.Handle(context.Background(), &memStore{}, Message{ChatID: groupWC, Chat: ChatGroup, UserID: maWC, Text: "/help@" + nameWC})
	if err != nil || !strings.Contains(texts(rs), "工作计划督办助手") {
		t.Errorf("after Telegram's SetSelf, WeCom's /help@name: %q, %v", texts(rs), err)
	}
}

// WeCom hands the bot a group message only when it is @-mentioned, and
// keeps the mention at its start: such a message is addressed to the bot,
// by the same @mention rules as anywhere, with the bot's WeCom name.
func TestWeComGroupMention(t *testing.T) {
	b := newBot14(t)
	tests := []struct {
		name string
		m    Message
		want string // a part of the reply; "" for none at all
	}{
		{"a report is told where to go", Message{ChatID: groupWC, Chat: ChatGroup, UserID: maWC, Text: "@" + nameWC + " 2.3 进度70% 已签约"}, "群里的汇报不记录。请私聊 @" + nameWC + " 发送这条汇报。"},
		{"a command after the mention", Message{ChatID: groupWC, Chat: ChatGroup, UserID: maWC, Text: "@" + nameWC + " /help"}, "工作计划督办助手"},
		{"another bot's command after the mention", Message{ChatID: groupWC, Chat: ChatGroup, UserID: maWC, Text: "@" + nameWC + " /help@other_bot"}, ""},
		{"a stranger is refused", Message{ChatID: groupWC, Chat: ChatGroup, UserID: strangerWC, Text: "@" + nameWC + " 你好"}, "您还不是本系统的登记用户"},
		{"thanks need no answer", Message{ChatID: groupWC, Chat: ChatGroup, UserID: maWC, Text: "@" + nameWC + " 谢谢"}, ""},
		{"a Chinese command word is still chatter in a group", Message{ChatID: groupWC, Chat: ChatGroup, UserID: maWC, Text: "@" + nameWC + " 我的"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := b.Handle(context.Background(), &memStore{}, tt.m)
			if err != nil {
				t.Fatal(err)
			}
			got := texts(rs)
			if tt.want == "" && len(rs) != 0 || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("replies %q, want %q", got, tt.want)
			}
		})
	}
}

// The bot's name is found whatever its case and script, and replaced
// where it is even when lower-casing would change the text's length.
func TestFoldedName(t *testing.T) {
	tests := []struct{ s, old, want string }{
		{"@PlanBot 2.3 60%", "@planbot", "_ 2.3 60%"},
		{"İ @督办助手 2.3", "@督办助手", "İ _ 2.3"},
		{"İİ @BOT x @bot", "@bot", "İİ _ x _"},
		{"ſ @ſtar", "@STAR", "ſ _"}, // ſ folds to s: one rune, two bytes for one
		{"nothing here", "@bot", "nothing here"},
	}
	for _, tt := range tests {
		if got := replaceFold(tt.s, tt.old, "_"); got != tt.want {
			t.Errorf("replaceFold(%q, %q) = %q, want %q", tt.s, tt.old, got, tt.want)
		}
	}
}

// A bot that cannot export (no planbot-render on the server) says so in
// words a cadre can act on.
func TestExportUnavailable(t *testing.T) {
	m := Message{ChatID: "console:1", Chat: ChatPrivate, UserID: maTG, AsPerson: "zheng_dzb", Text: "/export", At: now14} // the office's admin
	rs, err := newBot14(t).Handle(context.Background(), &memStore{}, m)
	if err != nil {
		t.Fatal(err)
	}
	if got := texts(rs); !strings.Contains(got, "暂时不能导出台账") || !strings.Contains(got, "请联系管理员") {
		t.Errorf("/export without an exporter: %q", got)
	}
}
