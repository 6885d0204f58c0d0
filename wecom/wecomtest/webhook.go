package wecomtest

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// hookBody is a webhook send request; each msgtype uses its field.
type hookBody struct {
	MsgType string `json:"msgtype"`
	Text    *struct {
		Content       string   `json:"content"`
		MentionedList []string `json:"mentioned_list"`
	} `json:"text"`
	Markdown   *textContent `json:"markdown"`
	MarkdownV2 *textContent `json:"markdown_v2"`
	Image      *struct {
		Base64 string `json:"base64"`
		MD5    string `json:"md5"`
	} `json:"image"`
	File  *mediaID `json:"file"`
	Voice *mediaID `json:"voice"`
	News  *struct {
		Articles []json.RawMessage `json:"articles"`
	} `json:"news"`
	TemplateCard json.RawMessage `json:"template_card"`
}

// hookLimits are upload_media's size caps per type.
var hookLimits = map[string]int{"file": MaxHookFile, "voice": 2 << 20}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

// hookFault answers with the next FailNextHook rule, if any.
func (s *Server) hookFault(w http.ResponseWriter) bool {
	s.mu.Lock()
	if len(s.hookFaults) == 0 {
		s.mu.Unlock()
		return false
	}
	f := s.hookFaults[0]
	s.hookFaults = s.hookFaults[1:]
	s.mu.Unlock()
	if f.status != 0 && f.status != http.StatusOK {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.status)
		fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>", f.status, http.StatusText(f.status))
		return true
	}
	writeJSON(w, map[string]any{"errcode": f.code, "errmsg": errmsg(f.code, "")})
	return true
}

func (s *Server) serveHookSend(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	if s.hookFault(w) {
		return
	}
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, 8<<20))
	h := Hook{Key: r.URL.Query().Get("key"), At: now}
	s.mu.Lock()
	code, detail := s.hookSendLocked(&h, body, readErr, now)
	h.Errcode, h.Errmsg = code, errmsg(code, detail)
	s.hooks = append(s.hooks, h)
	s.notifyLocked()
	s.mu.Unlock()
	writeJSON(w, map[string]any{"errcode": h.Errcode, "errmsg": h.Errmsg})
}

// hookSendLocked checks a send request in the order key, JSON, content,
// rate; only an accepted message counts against the 20/min [?].
func (s *Server) hookSendLocked(h *Hook, body []byte, readErr error, now time.Time) (int, string) {
	if !s.robots[h.Key] {
		return ErrBadWebhookKey, ""
	}
	if readErr != nil {
		return ErrBadJSON, "body: " + readErr.Error()
	}
	var b hookBody
	if err := json.Unmarshal(body, &b); err != nil {
		return ErrBadJSON, err.Error()
	}
	h.MsgType = b.MsgType
	if code, detail := s.hookContentLocked(h, &b, now); code != 0 {
		return code, detail
	}
	kept, minute := recent(s.hookSends[h.Key], now, time.Minute)
	if minute >= HookPerMinute {
		s.hookSends[h.Key] = kept
		s.violations++
		return ErrRateLimit, ""
	}
	s.hookSends[h.Key] = append(kept, now)
	return 0, ""
}

func (s *Server) hookContentLocked(h *Hook, b *hookBody, now time.Time) (int, string) {
	text := func(field string, c *textContent, limit int) (int, string) {
		if c == nil || c.Content == "" {
			return ErrEmptyContent, field + ".content missing"
		}
		if len(c.Content) > limit {
			return ErrInvalidParam, fmt.Sprintf("%s.content exceed max length %d", field, limit)
		}
		h.Content = c.Content
		return 0, ""
	}
	switch b.MsgType {
	case "text":
		if b.Text == nil {
			return text("text", nil, MaxHookText)
		}
		h.Mentioned = b.Text.MentionedList
		return text("text", &textContent{Content: b.Text.Content}, MaxHookText)
	case "markdown":
		return text("markdown", b.Markdown, MaxHookMarkdown)
	case "markdown_v2":
		return text("markdown_v2", b.MarkdownV2, MaxHookMarkdown)
	case "image":
		return hookImage(h, b)
	case "file", "voice":
		ref := b.File
		if b.MsgType == "voice" {
			ref = b.Voice
		}
		if ref == nil || ref.MediaID == "" {
			return ErrInvalidParam, b.MsgType + ".media_id missing"
		}
		m := s.hookMedia[ref.MediaID]
		if m == nil || m.key != h.Key || m.typ != b.MsgType || now.Sub(m.created) > mediaIDLife {
			return ErrInvalidMediaID, ""
		}
		h.FileName, h.FileData = m.name, m.data
		return 0, ""
	case "news":
		if b.News == nil || len(b.News.Articles) < 1 || len(b.News.Articles) > 8 {
			return ErrInvalidParam, "news.articles must hold 1-8 articles"
		}
		return 0, ""
	case "template_card":
		if len(b.TemplateCard) == 0 {
			return ErrInvalidParam, "template_card missing"
		}
		return 0, ""
	}
	return ErrInvalidMsgType, fmt.Sprintf("msgtype %q", b.MsgType)
}

func hookImage(h *Hook, b *hookBody) (int, string) {
	if b.Image == nil || b.Image.Base64 == "" {
		return ErrInvalidParam, "image.base64 missing"
	}
	data, err := base64.StdEncoding.DecodeString(b.Image.Base64)
	if err != nil {
		return ErrInvalidParam, "image.base64: " + err.Error()
	}
	if len(data) > MaxHookImage {
		return ErrImageSize, fmt.Sprintf("image of %d bytes, at most %d", len(data), MaxHookImage)
	}
	if sum := md5.Sum(data); !strings.EqualFold(b.Image.MD5, hex.EncodeToString(sum[:])) {
		return ErrMD5Mismatch, ""
	}
	h.Image = data
	return 0, ""
}

func (s *Server) serveHookUpload(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	if s.hookFault(w) {
		return
	}
	key, typ := r.URL.Query().Get("key"), r.URL.Query().Get("type")
	m, code, detail := s.readHookUpload(w, r, key, typ)
	if code != 0 {
		writeJSON(w, map[string]any{"errcode": code, "errmsg": errmsg(code, detail)})
		return
	}
	m.created = now
	id := newID()
	s.mu.Lock()
	s.hookMedia[id] = m
	s.notifyLocked()
	s.mu.Unlock()
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "type": typ, "media_id": id,
		"created_at": strconv.FormatInt(now.Unix(), 10)})
}

// readHookUpload reads the multipart field "media" of an upload_media
// request.
func (s *Server) readHookUpload(w http.ResponseWriter, r *http.Request, key, typ string) (*storedMedia, int, string) {
	if !s.robots[key] { // robots is fixed by New: no lock needed
		return nil, ErrBadWebhookKey, ""
	}
	limit, ok := hookLimits[typ]
	if !ok {
		return nil, ErrInvalidMediaTyp, fmt.Sprintf("type %q", typ)
	}
	r.Body = http.MaxBytesReader(w, r.Body, int64(limit)+1<<20)
	f, fh, err := r.FormFile("media")
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, http.ErrMissingFile):
		return nil, ErrMediaMissing, `multipart field "media" missing`
	case errors.As(err, &tooBig):
		return nil, ErrMediaSize, fmt.Sprintf("%s over %d bytes", typ, limit)
	case err != nil:
		return nil, ErrBadJSON, "multipart: " + err.Error()
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, ErrBadJSON, err.Error()
	}
	if len(data) <= 5 || len(data) > limit {
		return nil, ErrMediaSize, fmt.Sprintf("%d bytes, want 6-%d for %s", len(data), limit, typ)
	}
	return &storedMedia{typ: typ, name: fh.Filename, data: data, key: key}, 0, ""
}
