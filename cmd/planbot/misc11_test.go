//go:build unix

package main

// Issue 11, defects 9 and 18 (a, b): a long note in the ledger, a Bot
// API endpoint that answers with a huge body, the token inside
// api_endpoint.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"planbot"
	"planbot/ledger"
	"planbot/storage"
	"planbot/telegram"
	"planbot/telegram/telegramtest"
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
		// 说明 files what the cadre wrote (issue 12): the words kept with
		// the report.
		notes[code] = rs[0].Words
		if rs[0].Words == "" || rs[0].Note == "" {
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
	docs := telegramtest.Filter(calls, func(c telegramtest.Call) bool { return c.Method == "sendDocument" && c.OK })
	if len(docs) != 1 {
		t.Fatalf("/export sent no document: %s", telegramtest.Describe(calls))
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
		id, inCell := "", ""
		for _, r := range reports[1:] {
			if strings.HasPrefix(r[1], code+" ") {
				id, inCell = r[0], r[7]
			}
		}
		var b strings.Builder
		for _, r := range rows[1:] {
			if r[0] == ledger.SheetReports && r[2] == id && r[3] == "说明" {
				b.WriteString(r[5])
			}
		}
		if b.Len() == 0 {
			// Short enough for its row: the cell holds it whole.
			b.WriteString(inCell)
		}
		if want := note; b.String() != want {
			t.Errorf("%s: the ledger holds %q, want the stored note %q", code, clipText(b.String(), 80), clipText(want, 80))
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

// hugeBody is the size of the answer a broken endpoint gives to getUpdates.
const hugeBody = 200 << 20

// peakRSS is vmHWM (scale_test.go) in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	kib, err := vmHWM(pid)
	if err != nil {
		t.Skipf("no peak memory to read: %v", err)
	}
	return int64(kib) << 10
}

// TestProcHugeAnswer: the Bot API endpoint (a proxy in front of the fake)
// answers getUpdates with 200 MB, streamed or with its length declared.
// planbot reads no answer past its cap, so its peak memory stays near
// where it was, it says in its log why the poll failed (without the
// token), backs off, and answers a cadre as soon as the endpoint behaves.
func TestProcHugeAnswer(t *testing.T) {
	skipShort(t)
	h := newBinHarness(t, telegramtest.WithMaxPollWait(time.Second))
	target, err := url.Parse(h.srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	forward.ErrorLog = log.New(io.Discard, "", 0) // the long poll in flight at SIGTERM is cut
	var huge atomic.Bool
	var served atomic.Int32 // huge answers ended (the client stopped reading, or all was sent)
	var written atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !huge.Load() || !strings.HasSuffix(r.URL.Path, "/getUpdates") {
			forward.ServeHTTP(w, r)
			return
		}
		defer served.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if served.Load()%2 == 1 {
			w.Header().Set("Content-Length", strconv.Itoa(hugeBody))
		}
		head := `{"ok":true,"result":[{"update_id":1,"message":{"message_id":1,"date":0,"chat":{"id":1,"type":"private"},"text":"`
		n, _ := io.WriteString(w, head)
		chunk := bytes.Repeat([]byte("a"), 64<<10)
		for total := n; total < hugeBody; {
			k, err := w.Write(chunk[:min(len(chunk), hugeBody-total)])
			total += k
			written.Add(int64(k))
			if err != nil {
				return
			}
		}
	}))
	t.Cleanup(proxy.Close)

	_, cfg := h.runConfig([2]string{fmt.Sprintf("api_endpoint: %q", h.srv.Endpoint()), fmt.Sprintf("api_endpoint: %q", proxy.URL+"/bot%s/%s")})
	p := h.startRun("run", cfg)
	h.srv.WaitPolling(t, faultGuard)
	base := peakRSS(t, p.cmd.Process.Pid)
	huge.Store(true)
	const answers = 4
	for deadline := time.Now().Add(faultGuard); served.Load() < answers; {
		if time.Now().After(deadline) {
			t.Fatalf("%d huge answers in %v, want %d", served.Load(), faultGuard, answers)
		}
		if !p.running() {
			t.Fatalf("planbot exited: %v", p.err)
		}
		<-time.After(50 * time.Millisecond) // polling a condition another process changes
	}
	peak := peakRSS(t, p.cmd.Process.Pid)
	huge.Store(false)
	t.Logf("peak RSS %d MiB before, %d MiB after %d answers of %d MiB (%d MiB written before planbot hung up)",
		base>>20, peak>>20, answers, hugeBody>>20, written.Load()>>20)
	// The cap is 16 MiB; decoding what was read costs a few times that,
	// and the race detector's shadow memory a few times more again (one
	// answer read whole took 900 MiB without it).
	bound := int64(160 << 20)
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "-race" && s.Value == "true" {
				bound *= 4
			}
		}
	}
	if grown := peak - base; grown > bound {
		t.Errorf("peak memory grew by %d MiB reading %d answers of %d MiB", grown>>20, answers, hugeBody>>20)
	}
	if w := written.Load(); w > answers*(telegram.MaxAnswer+8<<20) {
		t.Errorf("%d MiB of the answers were read, want at most the cap of each", w>>20)
	}

	// The endpoint behaves again: a cadre's report is answered.
	id := h.srv.SendText(uMa, telegramtest.PrivateChat(uMa), "2.3 进度60%")
	h.srv.WaitConfirmed(t, id, faultGuard)
	h.srv.WaitSent(t, uMa.ID, 1, faultGuard)
	out := p.Output()
	if !strings.Contains(out, "getUpdates failed") || !strings.Contains(out, "answer to getUpdates is larger than 16 MiB") {
		t.Errorf("the log does not say why polling failed:\n%s", out)
	}
	p.stop(t)
}

// TestExportCommandLongNote: `planbot export` of a database holding a
// 27-line note writes a ledger that holds it whole.
func TestExportCommandLongNote(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "planbot.db")
	if r := runCmd(t, "status", "-db", path); r.code != exitOK {
		t.Fatalf("status = %d: %s", r.code, r.stderr)
	}
	ctx := context.Background()
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var ls []string
	for i := 1; i <= 27; i++ {
		ls = append(ls, "第"+strconv.Itoa(i)+"户已核实")
	}
	note := strings.Join(ls, "\n")
	saved, err := db.AddReport(ctx, planbot.Report{ItemCode: "3.4", Reporter: "qian_cun", At: fixedNow.Add(-time.Hour), Done: true, Note: note})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ledger.xlsx")
	if r := runCmd(t, "export", "-o", out, "-db", path); r.code != exitOK {
		t.Fatalf("export = %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	f := openWorkbook(t, b)
	var got strings.Builder
	for _, r := range sheetRows(t, f, ledger.SheetNotes)[1:] {
		if r[0] == ledger.SheetReports && r[2] == strconv.FormatInt(saved.ID, 10) {
			got.WriteString(r[5])
		}
	}
	if got.String() != "完成；"+note {
		t.Errorf("the ledger holds %q, want 完成 and the 27 lines", got.String())
	}
}
