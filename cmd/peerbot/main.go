// Command peerbot is the simplest correct bot on planbot's stack, the
// yardstick of BenchmarkInboundPeer; not for deployment.
//
// It long-polls getUpdates with go-telegram-bot-api, stores each message
// with one INSERT into SQLite (mattn/go-sqlite3 through sqlx, opened as
// planbot's storage opens its writer), replies with sendMessage, and
// confirms what it handled through the next poll's offset. "Correct" means
// what planbot also guarantees of its inbound path: an update redelivered
// after a crash (Telegram resends what was not confirmed) is not stored
// twice, because update_id is UNIQUE. Its reply may then be sent twice, the
// same choice planbot makes (a rare duplicate rather than a lost message).
//
//	PLANBOT_TELEGRAM_TOKEN=… peerbot -db peer.db -endpoint 'http://127.0.0.1:PORT/bot%s/%s'
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3"
)

// schema is one table; update_id UNIQUE is what makes a redelivered update
// a no-op.
const schema = `CREATE TABLE IF NOT EXISTS messages (
	id        INTEGER PRIMARY KEY,
	update_id INTEGER NOT NULL UNIQUE,
	chat_id   INTEGER NOT NULL,
	user_id   INTEGER NOT NULL,
	text      TEXT    NOT NULL,
	at        INTEGER NOT NULL -- UTC unix seconds
)`

// reply is short and plain: the peer measures the stack, not formatting.
const reply = "已收到，已记录。"

func main() {
	dbPath := flag.String("db", "peerbot.db", "SQLite database `path`")
	endpoint := flag.String("endpoint", tgbotapi.APIEndpoint, "Bot API `endpoint` in tgbotapi's form (…/bot%s/%s)")
	tokenEnv := flag.String("token-env", "PLANBOT_TELEGRAM_TOKEN", "environment `variable` holding the bot token")
	poll := flag.Duration("poll", 50*time.Second, "long-poll `timeout` (Telegram ends polls near 50s)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	token := os.Getenv(*tokenEnv)
	if token == "" {
		log.Error("the bot token is not set", "env", *tokenEnv)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, log, *dbPath, *endpoint, token, *poll); err != nil {
		// tgbotapi's errors carry the request URL, and the URL the token.
		log.Error("peerbot failed", "err", strings.ReplaceAll(err.Error(), token, "<token>"))
		os.Exit(1)
	}
	log.Info("peerbot stopped")
}

// serve polls until ctx ends. Each batch is handled whole before ctx is
// looked at, so a stop never cuts a message between its INSERT and its
// reply unless the process is killed.
func serve(ctx context.Context, log *slog.Logger, dbPath, endpoint, token string, poll time.Duration) error {
	db, err := openDB(dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	// No timeout in tgbotapi's own client: bound every request by more
	// than the long poll, and cancel a poll (only a poll) at stop.
	client := pollClient{stop: ctx, http: &http.Client{Timeout: poll + 10*time.Second}}
	api, err := tgbotapi.NewBotAPIWithClient(token, endpoint, client)
	if err != nil {
		return err
	}
	log.Info("peerbot polling", "bot", api.Self.UserName)
	cfg := tgbotapi.UpdateConfig{Limit: 100, Timeout: int(poll.Seconds())}
	for ctx.Err() == nil {
		updates, err := api.GetUpdates(cfg) // cfg.Offset confirms the previous batch
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			log.Warn("getUpdates failed; retrying in a second", "err", strings.ReplaceAll(err.Error(), token, "<token>"))
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		for _, u := range updates {
			if err := handle(db, api, u); err != nil {
				return err // not confirmed: Telegram redelivers it at the next start
			}
			cfg.Offset = u.UpdateID + 1
		}
	}
	return nil
}

// handle stores a message and replies to it; other updates are only
// confirmed.
func handle(db *sqlx.DB, api *tgbotapi.BotAPI, u tgbotapi.Update) error {
	m := u.Message
	if m == nil || m.From == nil {
		return nil
	}
	// One statement is one transaction: BEGIN IMMEDIATE (the DSN's
	// _txlock), INSERT, COMMIT.
	_, err := db.Exec(`INSERT INTO messages (update_id, chat_id, user_id, text, at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (update_id) DO NOTHING`,
		u.UpdateID, m.Chat.ID, m.From.ID, m.Text, m.Time().Unix())
	if err != nil {
		return fmt.Errorf("store update %d: %w", u.UpdateID, err)
	}
	if _, err := api.Send(tgbotapi.NewMessage(m.Chat.ID, reply)); err != nil {
		return fmt.Errorf("reply to update %d: %w", u.UpdateID, err)
	}
	return nil
}

// openDB opens the file as planbot's storage opens its writer: one
// connection, WAL, synchronous=NORMAL, immediate transactions, a busy
// timeout, foreign keys and the same statement cache.
func openDB(path string) (*sqlx.DB, error) {
	q := url.Values{}
	q.Set("_foreign_keys", "1")
	q.Set("_busy_timeout", "5000")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_stmt_cache_size", "64")
	q.Set("_txlock", "immediate")
	dsn := (&url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath(), RawQuery: q.Encode()}).String()
	db, err := sqlx.Open("sqlite3", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// pollClient cancels a long poll when the bot is stopped, so SIGTERM is
// answered at once rather than at the end of the poll. A poll cut short
// loses nothing (its updates are confirmed only by the next poll); other
// requests (a reply) run to completion.
type pollClient struct {
	stop context.Context
	http *http.Client
}

func (c pollClient) Do(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/getUpdates") {
		req = req.WithContext(c.stop)
	}
	return c.http.Do(req)
}
