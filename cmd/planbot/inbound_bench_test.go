//go:build unix

package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"planbot"
	"planbot/config"
	"planbot/telegram/telegramtest"
)

// BenchmarkInboundBinary is the inbound path as deployed: reports pushed
// into the fake Bot API, long-polled by the built `planbot run` process,
// each parsed and committed with its reply, and the reply delivered back
// to the fake over HTTP. One op is one report, counted when its reply has
// arrived. Telegram's pacing is off (it would measure only itself).
//
// In the same run it measures the ceiling: one-row INSERT transactions on
// a SQLite file in the same directory, with the DSN storage uses (WAL,
// synchronous=NORMAL, immediate transactions), and reports the ratio.
func BenchmarkInboundBinary(b *testing.B) {
	bin, err := planbotBinary()
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Parse(planbot.ExampleConfigName, planbot.ExampleConfig)
	if err != nil {
		b.Fatal(err)
	}
	type source struct {
		u    telegramtest.User
		code string
	}
	var sources []source
	for _, it := range cfg.Plan.Items {
		if p, _ := cfg.Plan.Person(it.Owners[0]); telegramID(p) != 0 {
			sources = append(sources, source{telegramtest.User{ID: telegramID(p), FirstName: p.Name}, it.Code})
		}
	}
	chats := map[int64]bool{}
	for _, s := range sources {
		chats[s.u.ID] = true
	}

	dir := b.TempDir()
	srv := telegramtest.New(b, telegramtest.WithMaxPollWait(time.Second))
	dbPath := filepath.Join(dir, "planbot.db")
	cfgPath := writeRunConfig(b, dir, srv.Endpoint(), dbPath,
		[2]string{"per_second: 30\n", "per_second: 10000\n"},
		[2]string{"per_chat_seconds: 1\n", "per_chat_seconds: 0\n"},
		[2]string{"per_group_per_minute: 20\n", "per_group_per_minute: 10000\n"})
	cmd := exec.Command(bin, "run", "-config", cfgPath, "-poll", "5s")
	cmd.Env = append(os.Environ(), config.DefaultTokenEnv+"="+srv.Token())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				b.Errorf("planbot run: %v\n%s", err, out.String())
			}
		case <-time.After(stopBound):
			cmd.Process.Kill()
			b.Errorf("planbot run did not stop within %v of SIGTERM", stopBound)
		}
	}()
	srv.WaitPolling(b, time.Minute)

	b.ResetTimer()
	for i := range b.N {
		s := sources[i%len(sources)]
		srv.SendText(s.u, telegramtest.PrivateChat(s.u), fmt.Sprintf("%s 进度%d%% 已与XX酒店签约", s.code, 10+i%80))
	}
	// A counter, not the call list: copying every call on every change
	// made the wait itself quadratic in b.N.
	srv.WaitOK(b, "sendMessage", func(id int64) bool { return chats[id] }, b.N, 5*time.Minute)
	b.StopTimer()
	inbound := float64(b.N) / b.Elapsed().Seconds()

	ceiling := rawInsertRate(b, filepath.Join(dir, "raw.db"), 2000)
	b.ReportMetric(inbound, "reports/s")
	b.ReportMetric(ceiling, "raw-inserts/s")
	b.ReportMetric(inbound/ceiling, "ratio")
}

// rawInsertRate commits n one-row INSERT transactions to a new SQLite file
// at path, opened as storage opens its writer, and returns commits/s.
func rawInsertRate(b *testing.B, path string, n int) float64 {
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate&_busy_timeout=5000")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE raw_bench (id INTEGER PRIMARY KEY, at INTEGER, note TEXT)`); err != nil {
		b.Fatal(err)
	}
	began := time.Now()
	for range n {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO raw_bench (at, note) VALUES (?, ?)`, 1700000000, "已与XX酒店签约"); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return float64(n) / time.Since(began).Seconds()
}
