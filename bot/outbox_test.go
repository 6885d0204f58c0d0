package bot

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"planbot"
)

func TestToOutbox(t *testing.T) {
	const chat = planbot.ChatID("telegram:42")
	long := strings.Repeat("第一行\n", 2000) // over any platform's limit: storage splits it, not ToOutbox
	kb := [][]Button{{{Text: "是", Data: "p:1:y"}}}
	tests := []struct {
		name  string
		reply Reply
		want  []planbot.OutboxMessage
	}{
		{"press answered", Reply{ChatID: chat, CallbackID: "q1", CallbackText: "已取消"},
			[]planbot.OutboxMessage{{Method: planbot.MethodAnswer, ChatID: chat, PressID: "q1", Text: "已取消", Priority: planbot.PriorityReply}}},
		{"picture, then the words", Reply{ChatID: chat, Text: "周报", Photo: &File{Name: "d.png", Data: []byte("png"), Caption: "图"}},
			[]planbot.OutboxMessage{
				{ChatID: chat, Attachment: planbot.AttachPicture, FileName: "d.png", FileData: []byte("png"), Text: "图", Priority: planbot.PriorityReply},
				{ChatID: chat, Text: "周报", Priority: planbot.PriorityReply},
			}},
		{"file alone", Reply{ChatID: chat, Document: &File{Name: "t.xlsx", Data: []byte("x"), Caption: "台账"}},
			[]planbot.OutboxMessage{{ChatID: chat, Attachment: planbot.AttachFile, FileName: "t.xlsx", FileData: []byte("x"), Text: "台账", Priority: planbot.PriorityReply}}},
		{"edit with buttons", Reply{ChatID: chat, Text: "好", EditMessageID: 7, Keyboard: kb},
			[]planbot.OutboxMessage{{Method: planbot.MethodEdit, ChatID: chat, EditMessageID: 7, Text: "好", Buttons: planbot.Keyboard(kb), Priority: planbot.PriorityReply}}},
		{"no buttons is nil", Reply{ChatID: chat, Text: "好", Keyboard: [][]Button{}},
			[]planbot.OutboxMessage{{ChatID: chat, Text: "好", Priority: planbot.PriorityReply}}},
		{"refusal last", Reply{ChatID: chat, Text: "您还不是登记用户", Refusal: true},
			[]planbot.OutboxMessage{{ChatID: chat, Text: "您还不是登记用户", Priority: planbot.PriorityRefusal}}},
		{"long text is one row", Reply{ChatID: chat, Text: long},
			[]planbot.OutboxMessage{{ChatID: chat, Text: long, Priority: planbot.PriorityReply}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ToOutbox([]Reply{tt.reply}); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ToOutbox =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestApologyForAnswersThePress(t *testing.T) {
	b := New(Config{Plan: &planbot.Plan{}})
	m := Message{ChatID: "telegram:-100", UserID: "telegram:42", Callback: &Callback{ID: "q9"}}
	got := b.ApologyFor(m)
	if len(got) != 2 || got[0].ChatID != m.ChatID || got[0].Text == "" ||
		got[1].Method != planbot.MethodAnswer || got[1].PressID != "q9" {
		t.Errorf("ApologyFor = %+v, want the apology in the chat and the press answered", got)
	}
}

func TestAdminChats(t *testing.T) {
	plan := &planbot.Plan{People: []planbot.Person{
		{Key: "a", Roles: []planbot.Role{planbot.RoleAdmin}, Accounts: []planbot.UserID{"telegram:1"}},
		{Key: "b", Roles: []planbot.Role{planbot.RoleAdmin}}, // invite only: no chat known
		{Key: "c", Roles: []planbot.Role{planbot.RoleCadre}, Accounts: []planbot.UserID{"telegram:3"}},
	}}
	if got := New(Config{Plan: plan}).AdminChats(); !reflect.DeepEqual(got, []planbot.ChatID{"telegram:1"}) {
		t.Errorf("AdminChats = %v, want each admin's private chat", got)
	}
	set := New(Config{Plan: plan, AdminChat: "telegram:-100"})
	if got := set.AdminChats(); !reflect.DeepEqual(got, []planbot.ChatID{"telegram:-100"}) {
		t.Errorf("AdminChats = %v, want bot.admin_chat alone", got)
	}
}

// bindings is a BindingReader over a map of invite bindings.
type bindings map[planbot.UserID]string

func (bs bindings) Binding(_ context.Context, u planbot.UserID) (string, bool, error) {
	k, ok := bs[u]
	return k, ok, nil
}

func (bs bindings) ChatBindings(context.Context) (map[string]planbot.ChatID, error) { return nil, nil }

func TestKnown(t *testing.T) {
	plan := &planbot.Plan{People: []planbot.Person{
		{Key: "a", Accounts: []planbot.UserID{"telegram:1"}},
		{Key: "b"},
	}}
	b := New(Config{Plan: plan})
	r := bindings{"telegram:2": "b", "telegram:3": "gone"}
	for u, want := range map[planbot.UserID]bool{
		"telegram:1": true,  // in the YAML
		"telegram:2": true,  // bound by invite
		"telegram:3": false, // bound to someone no longer in the plan
		"telegram:4": false, // a stranger
		"console:1":  false, // the same number elsewhere is someone else
		"":           false, // sent as a chat
	} {
		if got := b.Known(context.Background(), r, u); got != want {
			t.Errorf("Known(%q) = %v, want %v", u, got, want)
		}
	}
}
