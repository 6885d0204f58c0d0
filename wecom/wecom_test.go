package wecom

import (
	"testing"
	"time"

	"planbot"
)

func TestAddresses(t *testing.T) {
	for _, tc := range []struct {
		chat      planbot.ChatID
		want      planbot.ChatID
		id        string
		group, ok bool
	}{
		{UserChat("zhangsan"), "wecom:zhangsan", "zhangsan", false, true},
		{GroupChat("wrABC"), "wecom:group:wrABC", "wrABC", true, true},
		{User("lisi").Chat(), "wecom:lisi", "lisi", false, true},
		{"telegram:42", "telegram:42", "", false, false},
		{"wecom:", "wecom:", "", false, false},
		{"wecom:group:", "wecom:group:", "", true, false},
		{RobotChat("leaders"), "wecomhook:leaders", "", false, false},
	} {
		if tc.chat != tc.want {
			t.Errorf("address %q, want %q", tc.chat, tc.want)
		}
		id, group, ok := target(tc.chat)
		if id != tc.id || group != tc.group || ok != tc.ok {
			t.Errorf("target(%q) = %q, %v, %v; want %q, %v, %v", tc.chat, id, group, ok, tc.id, tc.group, tc.ok)
		}
	}
	if u := User("zhangsan"); u.Platform() != Platform || u.Local() != "zhangsan" {
		t.Errorf("User: %q", u)
	}
	if name, ok := robotName(RobotChat("leaders")); !ok || name != "leaders" {
		t.Errorf("robotName = %q, %v", name, ok)
	}
	if _, ok := robotName(UserChat("leaders")); ok {
		t.Error("robotName took an AI bot chat")
	}
}

func TestLimits(t *testing.T) {
	l := Limits(0, 0)
	if l.Gap != 100*time.Millisecond || l.PerChat != 2*time.Second || l.PerGroup != 2*time.Second || l.Group != nil {
		t.Errorf("Limits(0, 0) = %+v, want 100ms apart and 2s per chat (10/s, 30/min)", l)
	}
	l = Limits(3, 7)
	if l.Gap != 333333334*time.Nanosecond || l.PerChat < time.Minute/7 || l.PerChat > time.Minute/7+1 {
		t.Errorf("Limits(3, 7) = %+v: rounded down would break the rate", l)
	}
	h := HookLimits(0)
	if h.PerChat != 3*time.Second || h.PerGroup != 3*time.Second {
		t.Errorf("HookLimits(0) = %+v, want 3s per robot (20/min)", h)
	}
	if h := HookLimits(10); h.PerChat != 6*time.Second {
		t.Errorf("HookLimits(10).PerChat = %v", h.PerChat)
	}
}

func TestReqID(t *testing.T) {
	now := time.UnixMilli(1712345678901)
	id := newReqID(cmdSubscribe, now)
	if len(id) != len("aibot_subscribe_1712345678901_")+8 || id[:30] != "aibot_subscribe_1712345678901_" {
		t.Errorf("newReqID = %q, want the SDK's <cmd>_<ms>_<8 hex>", id)
	}
	if newReqID(cmdPing, now) == newReqID(cmdPing, now) {
		t.Error("two req_ids in the same millisecond are equal")
	}
}
