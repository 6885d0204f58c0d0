package wecom

import (
	"cmp"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"planbot"
	"planbot/delivery"
)

// Channel sends outbox rows over the AI bot's long connection (it is a
// delivery.Channel, platform "wecom"):
//
//   - the text, as WeCom markdown: a reply to the callback the row answers
//     (ReplyRef: aibot_respond_msg, one finished stream frame, its stream
//     id the row's, so a resend replaces the same bubble) or, when that
//     req_id can no longer be answered (846605, 846608) or there is none,
//     a push (aibot_send_msg);
//   - a picture or a file, uploaded in chunks, then pushed;
//   - the buttons, as button_interaction template cards pushed after the
//     text (task_id from the row's id; a press comes back as a callback
//     with the button's Data);
//   - an edit is sent as a new message (WeCom edits no message); a button
//     answer pushes its toast as a short message, if it has one.
//
// A row is one to several requests. When a later one fails after earlier
// ones went, the row is tried again from the one that failed (the parts
// sent are remembered in memory, not across a restart).
type Channel struct {
	conn *Conn

	mu   sync.Mutex
	done map[int64]int // row id → requests already sent, for a row tried again
}

var _ delivery.Channel = (*Channel)(nil)

// NewChannel is a Channel over conn.
func NewChannel(conn *Conn) *Channel { return &Channel{conn: conn, done: map[int64]int{}} }

// WeCom's limits on what a push carries (A.8, A.12, D).
const (
	maxImage      = 10 << 20  // a larger picture goes as a file
	maxFile       = 20 << 20  // the AI bot's file limit
	chunkSize     = 512 << 10 // an upload chunk, before base64
	maxButtons    = 6         // per card
	maxButtonText = 10        // runes
	maxCardTitle  = 26        // runes
)

// part is one request of a row.
type part func(ctx context.Context) error

// Send makes the requests for m (see Channel) and classifies WeCom's
// answer for delivery. WeCom numbers no message: sentMessageID is 0.
func (c *Channel) Send(ctx context.Context, m planbot.OutboxMessage) (int, bool, error) {
	parts, err := c.parts(m)
	if err != nil {
		return 0, false, err
	}
	start := c.progress(m.ID)
	for i := start; i < len(parts); i++ {
		if err := parts[i](ctx); err != nil {
			retry, err := classify(err)
			// Remembered only for a row that goes again (not for one
			// failed for good: the chat gone, the row refused).
			var cool *delivery.RetryAfterError
			c.setProgress(m.ID, i, retry || errors.As(err, &cool))
			return 0, retry, err
		}
	}
	c.setProgress(m.ID, 0, false)
	return 0, false, nil
}

func (c *Channel) progress(id int64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done[id]
}

// setProgress remembers that n requests of row id went, if it is to be
// tried again (keep); else forgets it.
func (c *Channel) setProgress(id int64, n int, keep bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n <= 0 || !keep || id == 0 {
		delete(c.done, id)
		return
	}
	c.done[id] = n
}

// parts lists m's requests in order.
func (c *Channel) parts(m planbot.OutboxMessage) ([]part, error) {
	chat, group, ok := target(m.ChatID)
	if !ok {
		return nil, fmt.Errorf("not a WeCom AI bot chat: %q", m.ChatID)
	}
	to := pushTarget{chatID: chat, group: group}
	if m.Method == planbot.MethodAnswer {
		// A toast is plain text; WeCom shows none, so it becomes a short
		// message, and an empty one nothing.
		if strings.TrimSpace(m.Text) == "" {
			return nil, nil
		}
		return []part{func(ctx context.Context) error { return c.pushMarkdown(ctx, to, m.Text) }}, nil
	}
	var parts []part
	if text := toMarkdown(m.Text); strings.TrimSpace(text) != "" {
		parts = append(parts, func(ctx context.Context) error { return c.sendText(ctx, to, m.ReplyRef, streamID(m.ID), text) })
	}
	if m.Attachment != planbot.AttachNone {
		if len(m.FileData) == 0 {
			// The outbox drops a file's data once the row is settled; a
			// row without it can never go.
			return nil, fmt.Errorf("the %s %q has no data to upload", m.Attachment, m.FileName)
		}
		if len(m.FileData) > maxFile {
			return nil, fmt.Errorf("the %s %q is %d bytes, over WeCom's %d", m.Attachment, m.FileName, len(m.FileData), maxFile)
		}
		parts = append(parts, func(ctx context.Context) error { return c.pushFile(ctx, to, m) })
	}
	for i, cd := range cards(m) {
		parts = append(parts, func(ctx context.Context) error {
			return c.push(ctx, to, "template_card", cd.withTaskID(taskID(m, i)))
		})
	}
	if len(parts) == 0 {
		return nil, errors.New("nothing to send: no text, file or buttons")
	}
	return parts, nil
}

// pushTarget is whom a push goes to: a userid, or a group's chatid.
type pushTarget struct {
	chatID string
	group  bool
}

func (t pushTarget) chatType() int {
	if t.group {
		return chatTypeGroup
	}
	return chatTypeSingle
}

// streamID is a reply's stream id: the row's, so that the row sent again
// (after an ack that never came) replaces its bubble instead of adding
// one.
func streamID(rowID int64) string {
	if rowID == 0 {
		return newReqID(streamIDPrefix, time.Now())
	}
	return streamIDPrefix + strconv.FormatInt(rowID, 10)
}

// taskID is the task_id of the i-th card of m: unique per bot, so a row
// tried again (its card may have arrived) gets a new one.
func taskID(m planbot.OutboxMessage, i int) string {
	id := streamIDPrefix + strconv.FormatInt(m.ID, 10)
	if i > 0 {
		id += "_" + strconv.Itoa(i+1)
	}
	if m.Attempts > 1 {
		id += "_r" + strconv.Itoa(m.Attempts)
	}
	return id
}

// sendText answers the callback replyRef with text, or pushes it when
// there is none or it can no longer be answered.
func (c *Channel) sendText(ctx context.Context, to pushTarget, replyRef, stream, text string) error {
	if replyRef != "" {
		err := c.reply(ctx, replyRef, stream, text)
		switch errCode(err) {
		case codeInvalidReqID, codeStreamExpired:
			// The req_id is not one a reply may use (an event's, one from
			// before a restart) or its stream expired: push instead.
		default:
			return err
		}
	}
	return c.pushMarkdown(ctx, to, text)
}

// reply answers a message callback: one stream frame, finished at once.
func (c *Channel) reply(ctx context.Context, reqID, stream, text string) error {
	body := map[string]any{"msgtype": "stream", "stream": map[string]any{"id": stream, "finish": true, "content": text}}
	_, err := c.conn.Request(ctx, cmdRespond, reqID, body)
	return err
}

func (c *Channel) pushMarkdown(ctx context.Context, to pushTarget, text string) error {
	return c.push(ctx, to, "markdown", map[string]string{"content": text})
}

// push sends one aibot_send_msg of msgtype with its payload.
func (c *Channel) push(ctx context.Context, to pushTarget, msgtype string, payload any) error {
	body := map[string]any{"chatid": to.chatID, "chat_type": to.chatType(), "msgtype": msgtype, msgtype: payload}
	_, err := c.conn.Request(ctx, cmdSend, "", body)
	return err
}

// pushFile uploads m's file and pushes it: a picture as an image (a large
// one as a file), anything else as a file.
func (c *Channel) pushFile(ctx context.Context, to pushTarget, m planbot.OutboxMessage) error {
	kind := "file"
	if m.Attachment == planbot.AttachPicture && len(m.FileData) <= maxImage {
		kind = "image"
	}
	name := m.FileName
	if name == "" {
		name = kind
	}
	id, err := upload(ctx, c.conn, kind, name, m.FileData)
	if err != nil {
		return err
	}
	return c.push(ctx, to, kind, map[string]string{"media_id": id})
}

// upload sends data as temporary media in chunks (init, chunk …,
// finish) and returns its media_id (valid three days).
func upload(ctx context.Context, conn *Conn, kind, name string, data []byte) (string, error) {
	sum := md5.Sum(data)
	chunks := (len(data) + chunkSize - 1) / chunkSize
	ack, err := conn.Request(ctx, cmdUploadInit, "", map[string]any{"type": kind, "filename": name,
		"total_size": len(data), "total_chunks": chunks, "md5": hex.EncodeToString(sum[:])})
	if err != nil {
		return "", err
	}
	var init struct {
		UploadID string `json:"upload_id"`
	}
	if err := json.Unmarshal(ack, &init); err != nil || init.UploadID == "" {
		return "", fmt.Errorf("wecom %s: no upload_id in the answer", cmdUploadInit)
	}
	for i := range chunks {
		chunk := data[i*chunkSize : min((i+1)*chunkSize, len(data))]
		// Indexes from 0, as the official SDK numbers them.
		if _, err := conn.Request(ctx, cmdUploadChunk, "", map[string]any{"upload_id": init.UploadID,
			"chunk_index": i, "base64_data": base64.StdEncoding.EncodeToString(chunk)}); err != nil {
			return "", err
		}
	}
	ack, err = conn.Request(ctx, cmdUploadFinish, "", map[string]string{"upload_id": init.UploadID})
	if err != nil {
		return "", err
	}
	var fin struct {
		MediaID string `json:"media_id"`
	}
	if err := json.Unmarshal(ack, &fin); err != nil || fin.MediaID == "" {
		return "", fmt.Errorf("wecom %s: no media_id in the answer", cmdUploadFinish)
	}
	return fin.MediaID, nil
}

// card is a button_interaction template card without its task_id.
type card struct {
	Title   string
	Buttons []planbot.Button
}

// cards lays m's buttons out as cards of at most six, in order (WeCom's
// limit per card), titled by the text's first line.
func cards(m planbot.OutboxMessage) []card {
	var all []planbot.Button
	seen := map[string]bool{}
	for _, row := range m.Buttons {
		for _, b := range row {
			// WeCom refuses a card with an empty or repeated key; such a
			// button could not tell its press apart anyway.
			if b.Data != "" && !seen[b.Data] {
				seen[b.Data] = true
				all = append(all, b)
			}
		}
	}
	if len(all) == 0 {
		return nil
	}
	title := clipRunes(firstLine(plainText(m.Text)), maxCardTitle)
	if title == "" {
		title = "请选择"
	}
	var out []card
	for b := range slices.Chunk(all, maxButtons) {
		out = append(out, card{Title: title, Buttons: b})
	}
	return out
}

// withTaskID is the card's JSON body.
func (c card) withTaskID(taskID string) map[string]any {
	buttons := make([]map[string]any, len(c.Buttons))
	for i, b := range c.Buttons {
		text := cmp.Or(strings.TrimSpace(b.Text), b.Data)
		buttons[i] = map[string]any{"text": clipRunes(text, maxButtonText), "style": 1, "key": b.Data}
	}
	return map[string]any{"card_type": "button_interaction", "task_id": taskID,
		"main_title": map[string]string{"title": c.Title}, "button_list": buttons}
}

// classify reads a request's failure for delivery (see delivery.Channel):
// retry true when WeCom did not answer or failed on its side.
func classify(err error) (retry bool, _ error) {
	var we *Error
	switch {
	case errors.Is(err, ErrNotConnected), errors.Is(err, ErrNoAck), errors.Is(err, ErrConnLost),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		// Maybe arrived, maybe not.
		return true, err
	case !errors.As(err, &we):
		return false, err
	}
	switch we.Code {
	case codeRateLimited:
		// The chat's 30/min (or 1000/h): WeCom blocks for the period.
		return false, &delivery.RetryAfterError{After: rateLimitBlock, Err: err}
	case codeNoChat:
		// The person never wrote to the bot (or not lately): pushes
		// cannot reach them until they do.
		return false, &delivery.ChatGoneError{Err: err}
	case codeBusy, codeConcurrency:
		return true, err
	}
	// Too long, too large, a bad md5, a malformed card …: this row will
	// never go.
	return false, err
}
