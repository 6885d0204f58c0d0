package telegram

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Connect makes the poller's client: its HTTP requests end when ctx is
// done, and never wait longer than the long poll plus a margin (tgbotapi's
// own client has no timeout at all). Making it asks Telegram for the
// bot's own account (getMe): a wrong token fails here.
func Connect(ctx context.Context, token, endpoint string, pollTimeout time.Duration) (*tgbotapi.BotAPI, error) {
	client := &http.Client{Timeout: pollTimeout + 15*time.Second, Transport: ctxTransport{ctx: ctx, base: CapBodies(http.DefaultTransport)}}
	api, err := tgbotapi.NewBotAPIWithClient(token, endpointOr(endpoint), client)
	if err != nil {
		return nil, Redact(fmt.Errorf("connect to the Bot API: %w", err), token)
	}
	return api, nil
}

// NewClient makes the sender's client. Its requests are not tied to a
// context, so a message in flight at shutdown is finished, not abandoned;
// each ends on its own 30 s timeout.
func NewClient(token, endpoint string) (*tgbotapi.BotAPI, error) {
	api, err := tgbotapi.NewBotAPIWithClient(token, endpointOr(endpoint),
		&http.Client{Timeout: 30 * time.Second, Transport: CapBodies(http.DefaultTransport)})
	if err != nil {
		return nil, Redact(fmt.Errorf("connect to the Bot API: %w", err), token)
	}
	return api, nil
}

// endpointOr is endpoint, or Telegram's own for "".
func endpointOr(endpoint string) string {
	if endpoint == "" {
		return tgbotapi.APIEndpoint
	}
	return endpoint
}

// ctxTransport ties every request to a context, since tgbotapi takes none:
// on shutdown the long poll in flight is abandoned at once (Telegram keeps
// its updates, as the offset was not advanced).
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

// Redact removes the bot token from an error: tgbotapi's errors carry the
// request URL, which holds it.
func Redact(err error, token string) error {
	if err == nil || token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return redacted{msg: strings.ReplaceAll(err.Error(), token, "<token>"), err: err}
}

type redacted struct {
	msg string
	err error
}

func (r redacted) Error() string { return r.msg }

// Unwrap keeps errors.As working (for *tgbotapi.Error) without exposing the
// original message through Error.
func (r redacted) Unwrap() error { return r.err }

// Caps on the size of a Bot API answer. tgbotapi decodes a whole answer
// into memory, so an endpoint (or a proxy in front of it) that answers
// with 200 MB costs 200 MB and more on every poll.
//
// The largest legitimate answer is getUpdates with its 100 updates. An
// update is at most a few tens of kilobytes even when every field is
// full: a text of 4096 UTF-16 units is 24 KB as JSON \u escapes, a
// replied-to message and a quote of it carry another text each, and the
// entities, photo sizes and users add a few kilobytes. 100 of those stay
// under 8 MB; MaxAnswer leaves room twice over. Files a bot may download
// are up to 20 MB (getFile's limit), so downloads get MaxFile.
const (
	MaxAnswer = 16 << 20
	MaxFile   = 21 << 20
)

// AnswerTooLargeError is the error of reading an answer past its cap. It
// names the method, never the URL (which holds the token).
type AnswerTooLargeError struct {
	Method string // "getUpdates"; "file download" for a file
	Limit  int64  // bytes
}

func (e *AnswerTooLargeError) Error() string {
	return fmt.Sprintf("the Bot API's answer to %s is larger than %d MiB: refused unread (a misconfigured api_endpoint or proxy?)", e.Method, e.Limit>>20)
}

// CapBodies wraps base so that no answer body is read past its cap: an
// answer that declares a larger Content-Length is closed unread, and one
// that streams past the cap fails at that point. Either way the read
// fails with *AnswerTooLargeError, which tgbotapi returns as the call's
// error, so the poll loop backs off as after a network failure; closing
// the body early makes the transport drop the connection instead of
// draining it.
func CapBodies(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return capTransport{base: base}
}

type capTransport struct{ base http.RoundTripper }

func (t capTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	tooLarge := answerLimit(r.URL.Path)
	if resp.ContentLength > tooLarge.Limit {
		resp.Body.Close()
		resp.Body, resp.ContentLength = failedBody{tooLarge}, -1
		return resp, nil
	}
	resp.Body = &cappedBody{rc: resp.Body, left: tooLarge.Limit, tooLarge: tooLarge}
	return resp, nil
}

// answerLimit is the cap of an answer to a request for path: for a method
// (/bot<token>/getUpdates) MaxAnswer, for a file (/file/bot<token>/…)
// MaxFile.
func answerLimit(path string) *AnswerTooLargeError {
	if strings.HasPrefix(path, "/file/") || strings.Contains(path, "/file/bot") {
		return &AnswerTooLargeError{Method: "file download", Limit: MaxFile}
	}
	method := path[strings.LastIndexByte(path, '/')+1:]
	if method == "" || strings.ContainsRune(method, ':') { // never a token
		method = "a request"
	}
	return &AnswerTooLargeError{Method: method, Limit: MaxAnswer}
}

// cappedBody reads at most left bytes of rc and fails on the byte after.
type cappedBody struct {
	rc       io.ReadCloser
	left     int64
	tooLarge *AnswerTooLargeError
	err      error
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if int64(n) > b.left {
		n, b.left, b.err = int(b.left), 0, b.tooLarge
		return n, b.err
	}
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// failedBody is the body of an answer refused for its declared length.
type failedBody struct{ err error }

func (b failedBody) Read([]byte) (int, error) { return 0, b.err }
func (b failedBody) Close() error             { return nil }
