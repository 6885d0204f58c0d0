package scheduler

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"planbot"
)

// Ma's accounts in these tests: his Telegram one of the example, and a
// WeCom one.
const (
	maTelegram = planbot.UserID(chatMaJingfa)
	maWeCom    = planbot.UserID("wecom:majingfa")
)

// withWeCom gives 马某某 a WeCom account besides his Telegram one, and a
// preferred platform (prefer, "" for none).
func withWeCom(t *testing.T, prefer string) *planbot.Plan {
	t.Helper()
	plan := examplePlan(t)
	for i, p := range plan.People {
		if p.Key == "ma_jingfa" {
			plan.People[i].Accounts = append(slices.Clip(p.Accounts), maWeCom)
			plan.People[i].Prefer = prefer
		}
	}
	return plan
}

// A person on two platforms gets each reminder once: on the platform they
// prefer, else the one they wrote from last, else their first account.
func TestRunReachesAPersonOnceOnTwoPlatforms(t *testing.T) {
	at := at27(10, 12, 9, 0) // Tuesday: 马某某 has overdue items
	early, late := at.Add(-48*time.Hour), at.Add(-time.Hour)
	tests := []struct {
		name   string
		prefer string
		seen   map[planbot.UserID]time.Time
		bound  map[string]planbot.ChatID
		want   planbot.ChatID
		served func(string) bool
	}{
		{"never wrote: the first account", "", nil, nil, chatMaJingfa, nil},
		{"wrote on WeCom last", "", map[planbot.UserID]time.Time{maTelegram: early, maWeCom: late}, nil, maWeCom.Chat(), nil},
		{"wrote on Telegram last", "", map[planbot.UserID]time.Time{maTelegram: late, maWeCom: early}, nil, chatMaJingfa, nil},
		{"prefers WeCom, wrote on Telegram last", "wecom", map[planbot.UserID]time.Time{maTelegram: late}, nil, maWeCom.Chat(), nil},
		{"prefers Telegram, wrote on WeCom last", "telegram", map[planbot.UserID]time.Time{maWeCom: late}, nil, chatMaJingfa, nil},
		{"wrote last from the account bound by invite", "", map[planbot.UserID]time.Time{maWeCom: early, "telegram:555": late},
			map[string]planbot.ChatID{"ma_jingfa": tg(555)}, tg(555), nil},
		{"wrote on Telegram last, but only WeCom is served", "", map[planbot.UserID]time.Time{maTelegram: late, maWeCom: early}, nil,
			maWeCom.Chat(), func(p string) bool { return p == "wecom" }},
		{"prefers Telegram, but only WeCom is served", "telegram", nil, nil,
			maWeCom.Chat(), func(p string) bool { return p == "wecom" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := withWeCom(t, tt.prefer)
			s := addressScheduler(plan, &memStore{tx: &memTx{seen: tt.seen, bound: tt.bound}}, at)
			s.Served = tt.served
			_, msgs, err := s.Run(context.Background(), reminder(t, plan, "overdue_daily"), at)
			if err != nil {
				t.Fatal(err)
			}
			var his []planbot.ChatID
			for _, m := range msgs {
				if m.ChatID == chatMaJingfa || m.ChatID == maWeCom.Chat() || m.ChatID == tg(555) {
					his = append(his, m.ChatID)
				}
			}
			if !slices.Equal(his, []planbot.ChatID{tt.want}) {
				t.Errorf("马某某 was sent to %v, want once to %s", his, tt.want)
			}
		})
	}
}

// The daily cap counts a person's reminders on every platform: one sent
// to his Telegram chat today counts against the next, due on WeCom.
func TestDailyCapCountsBothPlatforms(t *testing.T) {
	plan := withWeCom(t, "wecom")
	plan.Limits.PerPersonPerDay = 1
	at := at27(10, 12, 9, 0)
	tx := &memTx{queued: map[planbot.ChatID]int{chatMaJingfa: 1}}
	s := addressScheduler(plan, &memStore{tx: tx}, at)
	_, msgs, err := s.Run(context.Background(), reminder(t, plan, "overdue_daily"), at)
	if err != nil {
		t.Fatal(err)
	}
	if got := chatsOf(msgs); slices.Contains(got, maWeCom.Chat()) || slices.Contains(got, chatMaJingfa) || !slices.Contains(got, chatLvAnquan) {
		t.Errorf("chats %v: want 马某某 capped on both platforms, 吕某某 sent", got)
	}
}

// A run held for a person's Telegram chat follows him to WeCom when he
// wrote from there in the night: he is not dropped for having moved.
func TestReleaseFollowsAPersonToTheOtherPlatform(t *testing.T) {
	plan := withWeCom(t, "")
	at := at27(10, 12, 8, 0)
	r := reminder(t, plan, "overdue_daily")
	plan.Reminders = []planbot.Reminder{r}
	tx := &memTx{seen: map[planbot.UserID]time.Time{maTelegram: at.Add(-48 * time.Hour), maWeCom: at.Add(-6 * time.Hour)}}
	store := &memStore{tx: tx, held: []HeldRun{{Job: r.Name, ScheduledAt: at.Add(-11 * time.Hour), Chats: []planbot.ChatID{chatMaJingfa}}}}
	s := addressScheduler(plan, store, at)
	if n, err := s.Release(context.Background()); err != nil || n != 1 {
		t.Fatalf("Release = %d, %v", n, err)
	}
	if got, want := chatsOf(store.released), []planbot.ChatID{maWeCom.Chat()}; !slices.Equal(got, want) {
		t.Errorf("released to %v, want %v", got, want)
	}
}

// A group robot named in To ("robot:leaders" in the YAML, the chat
// "wecomhook:leaders") gets the digest as a group chat does: the picture,
// then the text; and a reminder however many it was sent today, since
// the daily cap is for people.
func TestRobotRecipient(t *testing.T) {
	const robot planbot.ChatID = "wecomhook:leaders"
	plan := examplePlan(t)
	plan.Limits.PerPersonPerDay = 1
	tx := &memTx{queued: map[planbot.ChatID]int{robot: 9}}

	at := at27(12, 13, 8, 30)
	digest := reminder(t, plan, "weekly_digest")
	digest.To = append(slices.Clip(digest.To), "chat:"+string(robot))
	s := addressScheduler(plan, &memStore{tx: tx}, at)
	s.Chart = func(planbot.Overview, *planbot.Plan) ([]byte, error) { return []byte("PNG"), nil }
	_, msgs, err := s.Run(context.Background(), digest, at)
	if err != nil {
		t.Fatal(err)
	}
	var got []planbot.OutboxMessage
	for _, m := range msgs {
		if m.ChatID == robot {
			got = append(got, m)
		}
	}
	name, caption := planbot.DigestPicture(plan.Year, at)
	if len(got) != 2 || got[0].Attachment != planbot.AttachPicture || got[0].FileName != name || !bytes.Equal(got[0].FileData, []byte("PNG")) ||
		got[0].Text != caption || got[1].Attachment != "" || !strings.Contains(got[1].Text, "工作计划周报") {
		t.Errorf("to the robot: %+v\nwant the picture %s, then the digest's text", got, name)
	}

	at = at27(10, 12, 9, 0)
	overdue := reminder(t, plan, "overdue_daily")
	overdue.To = []string{"owners", "chat:" + string(robot)}
	s = addressScheduler(plan, &memStore{tx: tx}, at)
	_, msgs, err = s.Run(context.Background(), overdue, at)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(chatsOf(msgs), robot) {
		t.Errorf("chats %v: want the robot's group sent the overdue list, uncapped", chatsOf(msgs))
	}
}

// A failure on the platform a person has since left is still named by
// the person in the admins' notice.
func TestFailureNoticeNamesEitherPlatform(t *testing.T) {
	plan := withWeCom(t, "wecom")
	s := Snapshot{Plan: plan, ChatOf: map[string]planbot.ChatID{"ma_jingfa": maWeCom.Chat()},
		ChatsOf: map[string][]planbot.ChatID{"ma_jingfa": {chatMaJingfa, maWeCom.Chat()}},
		Failed:  []planbot.OutboxMessage{{ChatID: chatMaJingfa}, {ChatID: "wecomhook:leaders"}}}
	if got, want := FailureNotice(s), "⚠️ 2 条消息发送失败（如对方屏蔽了机器人）：马某某、chat:wecomhook:leaders"; got != want {
		t.Errorf("notice %q, want %q", got, want)
	}
}
