package scheduler

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"planbot"
)

// memTx is the read side of a run, in memory: nothing reported, the
// accounts bound by invite, when each account last wrote and what each
// chat was sent today. The other methods of planbot.Tx are nil and panic:
// a run must not call them.
type memTx struct {
	planbot.Tx
	bound  map[string]planbot.ChatID
	seen   map[planbot.UserID]time.Time
	queued map[planbot.ChatID]int
}

func (m *memTx) AccountsSeen(context.Context) (map[planbot.UserID]time.Time, error) {
	return m.seen, nil
}

func (m *memTx) Histories(context.Context, []planbot.Item, planbot.HistoryNeed) (map[string][]planbot.Report, error) {
	return nil, nil
}
func (m *memTx) LatestObservations(context.Context, time.Time, time.Time) (map[string]planbot.Observation, error) {
	return nil, nil
}
func (m *memTx) ChatBindings(context.Context) (map[string]planbot.ChatID, error) { return m.bound, nil }
func (m *memTx) Leaves(context.Context) ([]planbot.Leave, error)                 { return nil, nil }
func (m *memTx) RemindersQueuedSince(context.Context, time.Time) (map[planbot.ChatID]int, error) {
	return m.queued, nil
}
func (m *memTx) LastRunAt(context.Context, string) (time.Time, bool, error) {
	return time.Time{}, false, nil
}
func (m *memTx) FailedMessagesSince(context.Context, time.Time, int) ([]planbot.OutboxMessage, error) {
	return nil, nil
}

// memStore runs every job in tx and holds the runs in held for release.
type memStore struct {
	panickyStore
	tx       *memTx
	held     []HeldRun
	released []planbot.OutboxMessage
}

func (m *memStore) RunJob(_ context.Context, _ string, _, _ time.Time, fn func(planbot.Tx) ([]planbot.OutboxMessage, error)) (bool, error) {
	_, err := fn(m.tx)
	return err == nil, err
}

func (m *memStore) NextHeldRelease(context.Context) (time.Time, bool, error) {
	return time.Time{}, false, nil
}

func (m *memStore) ReleaseHeld(_ context.Context, _ time.Time, fn func(planbot.Tx, HeldRun) ([]planbot.OutboxMessage, error)) (int, error) {
	for _, run := range m.held {
		msgs, err := fn(m.tx, run)
		if err != nil {
			return 0, err
		}
		m.released = append(m.released, msgs...)
	}
	return len(m.held), nil
}

func addressScheduler(plan *planbot.Plan, store Store, now time.Time) *Scheduler {
	return &Scheduler{Plan: func() *planbot.Plan { return plan }, Store: store,
		Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }}
}

func chatsOf(msgs []planbot.OutboxMessage) []planbot.ChatID {
	var out []planbot.ChatID
	for _, m := range msgs {
		if !slices.Contains(out, m.ChatID) {
			out = append(out, m.ChatID)
		}
	}
	slices.Sort(out)
	return out
}

// A person's chat is their YAML account's, else the one bound by invite:
// a binding never redirects a person the YAML gives an account.
func TestRunReachesYAMLAccountThenBinding(t *testing.T) {
	plan := examplePlan(t)
	at := at27(11, 2, 9, 0) // Tuesday: 3.3 (赵、孙、许) overdue since Oct 29
	tx := &memTx{bound: map[string]planbot.ChatID{"sun_cun": tg(555), "zhao_cun": tg(999)}}
	s := addressScheduler(plan, &memStore{tx: tx}, at)
	_, msgs, err := s.Run(context.Background(), reminder(t, plan, "overdue_daily"), at)
	if err != nil {
		t.Fatal(err)
	}
	got := chatsOf(msgs)
	if !slices.Contains(got, tg(555)) || !slices.Contains(got, chatZhaoCun) || slices.Contains(got, tg(999)) {
		t.Errorf("chats %v: want 孙某某 at his bound chat and 赵某某 at her YAML account's", got)
	}
}

// The daily cap is per person: a person's chat at the cap gets nothing
// more today, a group however many it had still gets the run.
func TestDailyCapCountsPeopleNotGroups(t *testing.T) {
	plan := examplePlan(t)
	plan.Limits.PerPersonPerDay = 1
	at := at27(10, 12, 9, 0) // Tuesday
	r := reminder(t, plan, "overdue_daily")
	r.To = []string{"owners", "chat:" + string(chatGroup)}
	tx := &memTx{queued: map[planbot.ChatID]int{chatMaJingfa: 1, chatGroup: 5}}
	s := addressScheduler(plan, &memStore{tx: tx}, at)
	_, msgs, err := s.Run(context.Background(), r, at)
	if err != nil {
		t.Fatal(err)
	}
	got := chatsOf(msgs)
	if slices.Contains(got, chatMaJingfa) || !slices.Contains(got, chatGroup) || !slices.Contains(got, chatLvAnquan) {
		t.Errorf("chats %v: want 马某某 capped, the group and 吕某某 sent", got)
	}
}

// The digest's picture goes ahead of the text in each chat, as an
// uploaded picture with the caption of /digest's.
func TestDigestPictureIsAnAttachment(t *testing.T) {
	plan := examplePlan(t)
	at := at27(12, 13, 8, 30)
	s := addressScheduler(plan, &memStore{tx: &memTx{}}, at)
	s.Chart = func(planbot.Overview, *planbot.Plan) ([]byte, error) { return []byte("PNG"), nil }
	_, msgs, err := s.Run(context.Background(), reminder(t, plan, "weekly_digest"), at)
	if err != nil {
		t.Fatal(err)
	}
	name, caption := planbot.DigestPicture(plan.Year, at)
	pictures := 0
	for i, m := range msgs {
		if m.Attachment == "" {
			continue
		}
		pictures++
		if m.Attachment != planbot.AttachPicture || m.FileName != name || !bytes.Equal(m.FileData, []byte("PNG")) || m.Text != caption {
			t.Errorf("picture row %+v, want %s captioned %q", m, name, caption)
		}
		if i+1 == len(msgs) || msgs[i+1].ChatID != m.ChatID || msgs[i+1].Attachment != "" {
			t.Errorf("picture to %s not followed by its digest text", m.ChatID)
		}
	}
	if n := len(chatsOf(msgs)); pictures != n || n == 0 {
		t.Errorf("%d pictures for %d chats", pictures, n)
	}
}

// A held run is composed again at its release for the chats it held a
// message for, and no other.
func TestReleaseComposesForTheHeldChats(t *testing.T) {
	plan := examplePlan(t)
	at := at27(10, 12, 8, 0) // Tuesday, the end of the quiet hours
	r := reminder(t, plan, "overdue_daily")
	r.To = []string{"owners", "chat:" + string(chatGroup)}
	plan.Reminders = []planbot.Reminder{r}
	store := &memStore{tx: &memTx{}, held: []HeldRun{{Job: r.Name, ScheduledAt: at.Add(-11 * time.Hour),
		Chats: []planbot.ChatID{chatMaJingfa, chatGroup}}}}
	s := addressScheduler(plan, store, at)
	if n, err := s.Release(context.Background()); err != nil || n != 1 {
		t.Fatalf("Release = %d, %v", n, err)
	}
	if got, want := chatsOf(store.released), []planbot.ChatID{chatGroup, chatMaJingfa}; !slices.Equal(got, want) {
		t.Errorf("released to %v, want %v", got, want)
	}
}
