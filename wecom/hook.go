package wecom

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"planbot"
	"planbot/delivery"
)

// DefaultWebhookURL is the group robots' base URL.
const DefaultWebhookURL = "https://qyapi.weixin.qq.com/cgi-bin/webhook"

// The group robot's documented limits (B).
const (
	maxHookMarkdown = 4096    // bytes of markdown.content
	maxHookImage    = 2 << 20 // an image before base64; a larger picture goes as a file
	maxHookFile     = 20 << 20
	minHookFile     = 6 // upload_media takes more than 5 bytes
	maxHookAnswer   = 64 << 10
	hookTimeout     = 30 * time.Second
)

// HookChannel sends outbox rows through group robots' webhooks (it is a
// delivery.Channel, platform "wecomhook"): a row's chat names the robot
// ("wecomhook:leaders"), whose key the channel holds. The text goes as
// markdown; a picture as an image (base64 and md5), or as a file when over
// 2 MiB; a file is uploaded (upload_media) and sent by its media_id.
// Buttons are left out (nobody can press them: a robot receives nothing),
// an edit is a new message, and a button answer sends nothing.
//
// The keys are the robots' only credential: they appear in no error the
// channel returns (delivery logs and stores those).
type HookChannel struct {
	base   string
	keys   map[string]string
	client *http.Client

	mu   sync.Mutex
	done map[int64]int // row id → requests already sent, for a row tried again
}

var _ delivery.Channel = (*HookChannel)(nil)

// NewHookChannel is a HookChannel posting to baseURL ("" is
// DefaultWebhookURL) with keys, robot name → webhook key. A nil client
// is one with a 30 s timeout.
func NewHookChannel(baseURL string, keys map[string]string, client *http.Client) *HookChannel {
	if baseURL == "" {
		baseURL = DefaultWebhookURL
	}
	if client == nil {
		client = &http.Client{Timeout: hookTimeout}
	}
	return &HookChannel{base: strings.TrimSuffix(baseURL, "/"), keys: keys, client: client, done: map[int64]int{}}
}

// Send posts m (see HookChannel) and classifies the robot's answer for
// delivery. sentMessageID is 0: the webhook numbers nothing.
func (h *HookChannel) Send(ctx context.Context, m planbot.OutboxMessage) (int, bool, error) {
	if m.Method == planbot.MethodAnswer {
		return 0, false, nil
	}
	name, ok := robotName(m.ChatID)
	if !ok {
		return 0, false, fmt.Errorf("not a WeCom group robot chat: %q", m.ChatID)
	}
	key := h.keys[name]
	if key == "" {
		return 0, false, &delivery.ChatGoneError{Err: fmt.Errorf("no webhook key for the robot %q", name)}
	}
	parts, err := h.parts(key, m)
	if err != nil {
		return 0, false, err
	}
	h.mu.Lock()
	start := h.done[m.ID]
	h.mu.Unlock()
	for i := start; i < len(parts); i++ {
		if err := parts[i](ctx); err != nil {
			retry, err := classifyHook(redact(err, key))
			var cool *delivery.RetryAfterError
			h.setProgress(m.ID, i, retry || errors.As(err, &cool))
			return 0, retry, err
		}
	}
	h.setProgress(m.ID, 0, false)
	return 0, false, nil
}

// setProgress remembers that n requests of row id went, if it is to be
// tried again (keep); else forgets it.
func (h *HookChannel) setProgress(id int64, n int, keep bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n <= 0 || !keep || id == 0 {
		delete(h.done, id)
		return
	}
	h.done[id] = n
}

// parts lists m's requests in order.
func (h *HookChannel) parts(key string, m planbot.OutboxMessage) ([]part, error) {
	var parts []part
	if text := toMarkdown(m.Text); strings.TrimSpace(text) != "" {
		if len(text) > maxHookMarkdown {
			return nil, fmt.Errorf("markdown of %d bytes, over the robot's %d", len(text), maxHookMarkdown)
		}
		parts = append(parts, func(ctx context.Context) error {
			return h.send(ctx, key, map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": text}})
		})
	}
	if m.Attachment != planbot.AttachNone {
		switch n := len(m.FileData); {
		case n == 0:
			return nil, fmt.Errorf("the %s %q has no data to upload", m.Attachment, m.FileName)
		case n > maxHookFile:
			return nil, fmt.Errorf("the %s %q is %d bytes, over the robot's %d", m.Attachment, m.FileName, n, maxHookFile)
		case m.Attachment == planbot.AttachPicture && n <= maxHookImage:
			parts = append(parts, func(ctx context.Context) error { return h.sendImage(ctx, key, m.FileData) })
		case n < minHookFile:
			return nil, fmt.Errorf("the %s %q is %d bytes: the robot takes files of %d bytes or more", m.Attachment, m.FileName, n, minHookFile)
		default:
			parts = append(parts, func(ctx context.Context) error { return h.sendFile(ctx, key, m) })
		}
	}
	if len(parts) == 0 {
		return nil, errors.New("nothing to send: no text or file")
	}
	return parts, nil
}

func (h *HookChannel) sendImage(ctx context.Context, key string, data []byte) error {
	sum := md5.Sum(data)
	return h.send(ctx, key, map[string]any{"msgtype": "image",
		"image": map[string]string{"base64": base64.StdEncoding.EncodeToString(data), "md5": hex.EncodeToString(sum[:])}})
}

// sendFile uploads m's file and sends it by its media_id.
func (h *HookChannel) sendFile(ctx context.Context, key string, m planbot.OutboxMessage) error {
	name := m.FileName
	if name == "" {
		name = "file"
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, err := w.CreateFormFile("media", name)
	if err == nil {
		_, err = fw.Write(m.FileData)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return err
	}
	ans, err := h.post(ctx, "/upload_media?"+url.Values{"key": {key}, "type": {"file"}}.Encode(), w.FormDataContentType(), &body)
	if err != nil {
		return err
	}
	if ans.MediaID == "" {
		return errors.New("upload_media: no media_id in the answer")
	}
	return h.send(ctx, key, map[string]any{"msgtype": "file", "file": map[string]string{"media_id": ans.MediaID}})
}

// send posts one message.
func (h *HookChannel) send(ctx context.Context, key string, msg any) error {
	data, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	_, err = h.post(ctx, "/send?"+url.Values{"key": {key}}.Encode(), "application/json", bytes.NewReader(data))
	return err
}

// hookAnswer is the webhook's JSON answer (HTTP 200 for errors too).
type hookAnswer struct {
	Errcode int    `json:"errcode"`
	Errmsg  string `json:"errmsg"`
	MediaID string `json:"media_id"`
}

// hookHTTPError is an HTTP failure of the webhook (a proxy's page, a 5xx).
type hookHTTPError struct{ status int }

func (e *hookHTTPError) Error() string {
	return fmt.Sprintf("group robot webhook: HTTP %d %s", e.status, http.StatusText(e.status))
}

// post sends one request to the webhook's path and reads its answer: an
// *Error for an errcode, a *hookHTTPError for an HTTP failure.
func (h *HookChannel) post(ctx context.Context, path, contentType string, body io.Reader) (hookAnswer, error) {
	op := strings.TrimPrefix(path[:strings.IndexByte(path, '?')], "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+path, body)
	if err != nil {
		return hookAnswer{}, fmt.Errorf("group robot webhook: bad URL: %w", stripURL(err))
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := h.client.Do(req)
	if err != nil {
		return hookAnswer{}, fmt.Errorf("group robot %s: %w", op, stripURL(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxHookAnswer))
	if err != nil {
		return hookAnswer{}, fmt.Errorf("group robot %s: %w", op, stripURL(err))
	}
	if resp.StatusCode != http.StatusOK {
		return hookAnswer{}, &hookHTTPError{status: resp.StatusCode}
	}
	var ans hookAnswer
	if err := json.Unmarshal(data, &ans); err != nil {
		// A 200 that is not WeCom's JSON: a captive portal, a proxy.
		return hookAnswer{}, &hookHTTPError{status: http.StatusBadGateway}
	}
	if ans.Errcode != 0 {
		return ans, &Error{Cmd: "webhook " + op, Code: ans.Errcode, Msg: ans.Errmsg}
	}
	return ans, nil
}

// classifyHook reads a webhook failure for delivery: retry true when the
// robot did not answer or failed on its side.
func classifyHook(err error) (retry bool, _ error) {
	var httpErr *hookHTTPError
	var we *Error
	switch {
	case errors.As(err, &httpErr):
		return httpErr.status >= 500, err
	case !errors.As(err, &we):
		// No answer: a network error, a timeout.
		return true, err
	}
	switch we.Code {
	case codeRateLimited:
		// 20 a minute per robot: the block lasts the minute.
		return false, &delivery.RetryAfterError{After: rateLimitBlock, Err: err}
	case codeBadWebhook:
		// The key is wrong or the robot removed: nothing will reach it.
		return false, &delivery.ChatGoneError{Err: err}
	case codeBusy:
		return true, err
	}
	// Too long (40058), a bad md5 (301019), too large …: this row never goes.
	return false, err
}

// redact removes key from err's text, should anything have carried it
// (a URL in a transport error).
func redact(err error, key string) error {
	if err == nil || key == "" || !strings.Contains(err.Error(), key) {
		return err
	}
	return redacted{err: err, key: key}
}

type redacted struct {
	err error
	key string
}

func (r redacted) Error() string { return strings.ReplaceAll(r.err.Error(), r.key, "REDACTED") }
func (r redacted) Unwrap() error { return r.err }
