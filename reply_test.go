package planbot

import (
	"testing"
	"time"
)

func TestClipAndClipLine(t *testing.T) {
	s := "第一行\n第二行很长很长"
	if got := Clip(s, 6); got != "第一行\n第…" {
		t.Errorf("Clip = %q, want the line break kept", got)
	}
	if got := ClipLine(s, 6); got != "第一行 第…" {
		t.Errorf("ClipLine = %q, want the line break folded", got)
	}
	if got := ClipLine("短\xff", 6); got != "短\uFFFD" {
		t.Errorf("ClipLine = %q, want invalid UTF-8 replaced", got)
	}
}

func TestReportButtonData(t *testing.T) {
	if d, ok := ReportButtonData("2.3"); !ok || d != "r:2.3" {
		t.Errorf("ReportButtonData(2.3) = %q, %v", d, ok)
	}
	long := string(make([]byte, MaxButtonData))
	if _, ok := ReportButtonData(long); ok {
		t.Error("a code too long for a button was accepted")
	}
}

func TestSplitOutboxEditFirstKeyboardLast(t *testing.T) {
	line := "一行字，足够长，要拆成几条消息。\n"
	text := ""
	const limit = 4096
	for len(text) < 3*limit*3 {
		text += line
	}
	keyboard := Keyboard{{{Text: "确认", Data: "p:7:ok"}}}
	rows := SplitOutbox(OutboxMessage{ChatID: "t:5", Text: text, Priority: PriorityReply,
		Method: MethodEdit, EditMessageID: 9, Buttons: keyboard}, limit)
	if len(rows) < 2 {
		t.Fatalf("%d rows, want the text split", len(rows))
	}
	for i, m := range rows {
		edit := m.Method == MethodEdit && m.EditMessageID == 9
		if edit != (i == 0) || (m.Buttons != nil) != (i == len(rows)-1) {
			t.Errorf("row %d: method %q edit %d buttons %v", i, m.Method, m.EditMessageID, m.Buttons)
		}
		if m.ChatID != "t:5" || m.Priority != PriorityReply || UTF16Len(m.Text) > limit {
			t.Errorf("row %d lost its chat or priority, or is too long: %+v", i, m)
		}
	}
}

func TestChatAddresses(t *testing.T) {
	c := NewChatID("telegram", "-100123")
	if c != "telegram:-100123" || c.Platform() != "telegram" || c.Local() != "-100123" {
		t.Errorf("chat %q: platform %q local %q", c, c.Platform(), c.Local())
	}
	u := NewUserID("wecom", "zhang:san")
	if u.Platform() != "wecom" || u.Local() != "zhang:san" || u.Chat() != ChatID("wecom:zhang:san") {
		t.Errorf("user %q: platform %q local %q chat %q", u, u.Platform(), u.Local(), u.Chat())
	}
	p := Person{Accounts: []UserID{"wecom:zs", "telegram:42"}}
	if a, ok := p.Account("telegram"); !ok || a != "telegram:42" || p.Chat() != "wecom:zs" || !p.HasAccount("telegram:42") || p.HasAccount("") {
		t.Errorf("person's accounts read wrong: %v %v %q", a, ok, p.Chat())
	}
}

func TestReminderChat(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2027, 3, 1, h, 0, 0, 0, time.UTC) }
	both := Person{Accounts: []UserID{"telegram:1", "wecom:zs"}}
	cases := []struct {
		name  string
		p     Person
		bound ChatID
		seen  map[UserID]time.Time
		want  ChatID
	}{
		{"nobody", Person{}, "", nil, ""},
		{"first account when never seen", both, "", nil, "telegram:1"},
		{"the one used last", both, "", map[UserID]time.Time{"telegram:1": at(8), "wecom:zs": at(9)}, "wecom:zs"},
		{"preferred beats used last", Person{Accounts: both.Accounts, Prefer: "telegram"}, "", map[UserID]time.Time{"wecom:zs": at(9)}, "telegram:1"},
		{"preferred platform without an account is ignored", Person{Accounts: []UserID{"wecom:zs"}, Prefer: "telegram"}, "", nil, "wecom:zs"},
		{"bound only", Person{}, "wecom:ls", nil, "wecom:ls"},
		{"bound and used last", Person{Accounts: []UserID{"telegram:1"}}, "wecom:ls", map[UserID]time.Time{"wecom:ls": at(9), "telegram:1": at(7)}, "wecom:ls"},
		{"another person's account seen does not count", Person{Accounts: []UserID{"telegram:1"}}, "", map[UserID]time.Time{"wecom:zs": at(9)}, "telegram:1"},
	}
	for _, c := range cases {
		if got := ReminderChat(c.p, c.bound, c.seen); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
