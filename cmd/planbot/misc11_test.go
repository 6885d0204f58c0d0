//go:build unix

package main

// Issue 11, defects 9 and 18 (a, b): a long note in the ledger, a Bot
// API endpoint that answers with a huge body, the token inside
// api_endpoint.

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"planbot/bot/fakeapi"
	"planbot/ledger"
)

// TestE2EExportLongNote: a cadre's 650-character note and another's
// 27-line note, then /export over Telegram: the leader gets the workbook,
// and each note reads back whole from it.
func TestE2EExportLongNote(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()

	long := ""
	for len([]rune(long)) < 650 {
		long += "已组织召开村民代表会议，逐户走访核实情况并完成整改。"
	}
	long = string([]rune(long)[:650])
	var ls []string
	for i := 1; i <= 27; i++ {
		ls = append(ls, "第"+strconv.Itoa(i)+"组已走访完毕")
	}
	lines := strings.Join(ls, "\n")

	wants(t, "long note", one(t, h.say(uMa, "2.3 进度60% "+long)).Text, "2.3", "60%")
	wants(t, "27 lines", one(t, h.say(uXu, "3.2 进度50%\n"+lines)).Text, "3.2", "50%")
	notes := map[string]string{}
	for _, code := range []string{"2.3", "3.2"} {
		rs := h.reports(code)
		if len(rs) != 1 {
			t.Fatalf("%s has %d reports, want 1", code, len(rs))
		}
		notes[code] = rs[0].Note
		if rs[0].Note == "" {
			t.Fatalf("%s: the note was not stored", code)
		}
	}
	if !strings.Contains(notes["2.3"], long) {
		t.Fatalf("2.3's stored note is not the whole 650 characters: %q", notes["2.3"])
	}
	if !strings.Contains(notes["3.2"], "第27组已走访完毕") {
		t.Fatalf("3.2's stored note lost lines: %q", notes["3.2"])
	}

	calls := h.say(uZhang, "/export")
	docs := fakeapi.Filter(calls, func(c fakeapi.Call) bool { return c.Method == "sendDocument" && c.OK })
	if len(docs) != 1 {
		t.Fatalf("/export sent no document: %s", fakeapi.Describe(calls))
	}
	f, err := excelize.OpenReader(bytes.NewReader(docs[0].File))
	if err != nil {
		t.Fatalf("the ledger does not open: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(ledger.SheetNotes)
	if err != nil {
		t.Fatalf("no %s sheet: %v (sheets %q)", ledger.SheetNotes, err, f.GetSheetList())
	}
	reports, _ := f.GetRows(ledger.SheetReports)
	for code, note := range notes {
		id := ""
		for _, r := range reports[1:] {
			if strings.HasPrefix(r[1], code+" ") {
				id = r[0]
			}
		}
		var b strings.Builder
		for _, r := range rows[1:] {
			if r[0] == ledger.SheetReports && r[2] == id && r[3] == "说明" {
				b.WriteString(r[5])
			}
		}
		if b.String() != note {
			t.Errorf("%s: the ledger holds %q, want the stored note %q", code, clipText(b.String(), 80), clipText(note, 80))
		}
	}
}

// TestProcCheckTokenInEndpoint: an admin pastes the token into
// api_endpoint. `planbot check` says what is wrong without printing it,
// whether the token is the one in the environment or another.
func TestProcCheckTokenInEndpoint(t *testing.T) {
	h := newBinHarness(t)
	other := "987654321:AAH7xk3mQpL9vZ2nRw8YtE5uJc1oBd4fGs6"
	for _, c := range []struct {
		name, endpoint, secret string
		ok                     bool
		says                   string
	}{
		{"the token for bot%s, one %s left", strings.Replace(h.srv.Endpoint(), "bot%s", "bot"+h.token, 1), h.secret, false, "格式不对"},
		{"another token for bot%s", strings.Replace(h.srv.Endpoint(), "bot%s", "bot"+other, 1), "AAH7xk3mQpL9vZ2nRw8YtE5uJc1oBd4fGs6", false, "格式不对"},
		{"the token besides both %s", h.srv.Endpoint() + "?t=" + h.token, h.secret, true, "令牌（已隐去）"},
		{"another token besides both %s", h.srv.Endpoint() + "?t=" + other, "AAH7xk3mQpL9vZ2nRw8YtE5uJc1oBd4fGs6", true, "令牌（已隐去）"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := writeRunConfig(t, dir, c.endpoint, filepath.Join(dir, "planbot.db"))
			p := h.startPlanbot("check", "check", "-config", cfg)
			if !p.wait(commandBound) {
				t.Fatal("check did not finish")
			}
			out := p.Output()
			if (p.err == nil) != c.ok {
				t.Errorf("check exited with %v, want ok=%v:\n%s", p.err, c.ok, out)
			}
			if !strings.Contains(out, c.says) {
				t.Errorf("check does not say %q:\n%s", c.says, out)
			}
			if strings.Contains(out, c.secret) {
				t.Errorf("check printed the token:\n%s", out)
			}
		})
	}
}
