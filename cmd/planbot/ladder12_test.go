package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"planbot"
	"planbot/config"
	"planbot/storage"
	"planbot/telegram"
	"planbot/telegram/telegramtest"
)

// exampleThisYear writes the example config moved to the current year
// (every date of it) into a temporary directory, with its database there.
func exampleThisYear(t *testing.T) (cfgPath string, year int) {
	t.Helper()
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	year = thisYear()
	dir := t.TempDir()
	text := strings.ReplaceAll(string(data), "2027", fmt.Sprint(year))
	text = strings.Replace(text, "\ndatabase: planbot.db\n", "\ndatabase: "+filepath.Join(dir, "planbot.db")+"\n", 1)
	cfgPath = filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, year
}

// dryRunBlocks splits `planbot fire -dry-run` output into each
// recipient's text, by name; a name twice is an error.
func dryRunBlocks(t *testing.T, out string) map[string]string {
	t.Helper()
	blocks := map[string]string{}
	parts := strings.Split(out, "\n——— 发给 ")
	for _, p := range parts[1:] {
		name, body, ok := strings.Cut(p, " ———\n")
		if !ok {
			t.Fatalf("a block without its recipient: %q", p)
		}
		if _, dup := blocks[name]; dup {
			t.Errorf("%s gets two messages", name)
		}
		blocks[name] = body
	}
	return blocks
}

// listing is item code's line in a plain-text ladder and the step it is
// under, and how many times it is listed.
func listing(body, code string) (line, step string, n int) {
	lines := strings.Split(body, "\n")
	cur := ""
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "🔴 红色"), strings.HasPrefix(l, "🟡 黄色"), strings.HasPrefix(l, "🔵 蓝色"):
			cur = l[:len("🔴")]
		case strings.HasPrefix(l, code+" "):
			n++
			if n == 1 && i+1 < len(lines) {
				line, step = l+"\n"+lines[i+1], cur
			}
		}
	}
	return line, step, n
}

// Done when of issue 12, as the issue saw it: `planbot fire
// escalate_ladder -at "<year>-12-10 10:00" -dry-run` on the example moved
// to the current year, nobody having reported: every item behind pace is
// in exactly one step of each of its recipients' one message, the
// recipients being its owners, its leader from the yellow step and the
// principals at the red one; 2.4 and 2.6 are on the yellow step, 未汇报.
func TestFireLadderNamesEveryItemBehindPace(t *testing.T) {
	cfgPath, year := exampleThisYear(t)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	plan := cfg.Plan
	at := time.Date(year, time.December, 10, 10, 0, 0, 0, plan.Location)
	var out, errOut bytes.Buffer
	e := &env{stdout: &out, stderr: &errOut, now: func() time.Time { return at }}
	if code := run([]string{"fire", "escalate_ladder", "-at", fmt.Sprintf("%d-12-10 10:00", year), "-dry-run", "-config", cfgPath}, e); code != exitOK {
		t.Fatalf("fire = %d\n%s%s", code, out.String(), errOut.String())
	}
	blocks := dryRunBlocks(t, out.String())

	var r planbot.Reminder
	for _, x := range plan.Reminders {
		if x.Name == "escalate_ladder" {
			r = x
		}
	}
	name := func(key string) string {
		p, _ := plan.Person(key)
		if telegramID(p) == 0 {
			return "" // no chat: sun_cun has only an invite code
		}
		return p.Name
	}
	var principals []string
	for _, p := range plan.People {
		if p.Principal {
			principals = append(principals, p.Key)
		}
	}
	want := map[string]bool{}
	behind := 0
	for _, it := range plan.Items {
		st := planbot.DeriveStatus(it, nil, at, plan.Location, plan.Rules)
		if st.Percent >= st.Expected-plan.Rules.Tolerance {
			continue
		}
		behind++
		keys := slices.Clone(it.Owners)
		step := "🟡"
		switch {
		case st.Status == planbot.StatusOverdue && st.DaysOverdue >= r.PrincipalAfterDays:
			step = "🔴"
			keys = append(keys, it.Leader)
			keys = append(keys, principals...)
		case st.Status == planbot.StatusOverdue && st.DaysOverdue < r.LeaderAfterDays:
			step = "🔵"
		default:
			keys = append(keys, it.Leader)
		}
		var to []string
		for _, k := range keys {
			if n := name(k); n != "" && !slices.Contains(to, n) {
				to = append(to, n)
			}
		}
		for who, body := range blocks {
			line, got, n := listing(body, it.Code)
			if !slices.Contains(to, who) {
				if n > 0 {
					t.Errorf("%s reaches %s, not one of %v", it.Code, who, to)
				}
				continue
			}
			want[who] = true
			if n != 1 || got != step || !strings.Contains(line, "未汇报") {
				t.Errorf("%s to %s: ×%d under %q, want once under %s, 未汇报:\n%s", it.Code, who, n, got, step, body)
			}
		}
		for _, who := range to {
			if _, ok := blocks[who]; !ok {
				t.Errorf("%s: %s gets no message", it.Code, who)
			}
		}
	}
	if behind != 22 {
		t.Errorf("%d items behind pace, want all 22 of the example", behind)
	}
	for who := range blocks {
		if !want[who] {
			t.Errorf("%s gets a ladder with nothing of theirs:\n%s", who, blocks[who])
		}
	}
	chen := blocks["陈某某"]
	for _, code := range []string{"2.4", "2.6"} {
		line, step, n := listing(chen, code)
		if n != 1 || step != "🟡" || !strings.Contains(line, "未汇报（应达 9") {
			t.Errorf("%s to 陈某某: ×%d under %q: %q", code, n, step, line)
		}
	}
	if !strings.Contains(chen, "黄色 · 进度落后或逾期满 3 天（已报分管领导）") {
		t.Errorf("陈某某's ladder:\n%s", chen)
	}
}

// Every reminder of the `planbot gen` county (400 items, 150 people, three
// years of reports) fits a phone: no message over 4,096 characters, one
// message per chat and run (three for the digest, its picture counted),
// the lists cut with the count of the rest.
func TestCountyRemindersFitAPhone(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a county")
	}
	f, err := county3y()
	if err != nil {
		t.Fatalf("generate the county: %v", err)
	}
	db, err := storage.Open(context.Background(), f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := &env{now: func() time.Time { return f.at }}
	sch := newScheduler(e, db, func() *planbot.Plan { return f.cfg.Plan }, slog.New(slog.DiscardHandler))
	cut := false
	for _, r := range f.cfg.Plan.Reminders {
		// Three weeks after the history, in December, when most of a
		// county's items are late and nobody has reported since: the
		// longest lists of the year.
		at := f.at.AddDate(0, 0, 21)
		if r.Kind == planbot.ReminderReportRequest {
			at = at.AddDate(0, 0, 3) // Thursday
		}
		composed, err := sch.Preview(context.Background(), r, at)
		if err != nil {
			t.Fatalf("%s: %v", r.Name, err)
		}
		// What Telegram is sent: the outbox splits a text longer than
		// Telegram takes when it is queued (storage's Enqueue).
		var msgs []planbot.OutboxMessage
		for _, m := range composed {
			msgs = append(msgs, planbot.SplitOutbox(m, telegram.MaxMessageLen)...)
		}
		per := map[planbot.ChatID]int{}
		longest := 0
		for _, m := range msgs {
			per[m.ChatID]++
			n := telegramtest.UTF16Len(m.Text)
			longest = max(longest, n)
			if n > telegram.MaxMessageLen {
				t.Errorf("%s: a message of %d characters to chat %s", r.Name, n, m.ChatID)
			}
			cut = cut || strings.Contains(m.Text, "另有 ")
		}
		// A reminder is its counts, the worst ListMax and the count of the
		// rest: one message. The digest is its picture and a text that may
		// take two.
		limit := 1
		if r.Kind == planbot.ReminderDigest {
			limit = 3
		}
		most := 0
		for c, n := range per {
			most = max(most, n)
			if n > limit {
				t.Errorf("%s: %d messages to chat %s, want at most %d", r.Name, n, c, limit)
			}
		}
		t.Logf("%s at %s: %d messages to %d chats, at most %d per chat, longest %d characters",
			r.Name, at.Format("2006-01-02 15:04"), len(msgs), len(per), most, longest)
	}
	if !cut {
		t.Error("no list was cut at county scale: the fixture is too small to measure")
	}
}
