package wecomtest_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"planbot/wecom/wecomtest"
)

// decrypt is the documented scheme (WECOM-PROTOCOL.md A.11), written
// again here so the fake's encryption is checked against the text, not
// against itself.
func decrypt(t *testing.T, aeskey string, data []byte) []byte {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(aeskey)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(aeskey)
	}
	if err != nil || len(key) != 32 {
		t.Fatalf("aeskey %q: %v (%d bytes)", aeskey, err, len(key))
	}
	if len(data) == 0 || len(data)%32 != 0 {
		t.Fatalf("ciphertext of %d bytes is not a multiple of 32", len(data))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(out, data)
	pad := int(out[len(out)-1])
	if pad < 1 || pad > 32 || !bytes.Equal(out[len(out)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		t.Fatalf("bad PKCS#7/32 padding %d", pad)
	}
	return out[:len(out)-pad]
}

func get(t *testing.T, url string) *http.Response {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestMediaEncryption(t *testing.T) {
	clk := newClock()
	srv := wecomtest.New(t, wecomtest.WithClock(clk.Now))
	c := connect(t, srv)
	for _, n := range []int{1, 31, 32, 100} {
		img := bytes.Repeat([]byte("PNG!"), n)[:n]
		srv.SendImage("zhangsan", img)
		b := c.push().body(t)
		ref := b["image"].(map[string]any)
		resp := get(t, ref["url"].(string))
		enc, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Disposition") != "" {
			t.Fatalf("image download %d %v", resp.StatusCode, resp.Header)
		}
		if got := decrypt(t, ref["aeskey"].(string), enc); !bytes.Equal(got, img) {
			t.Errorf("%d bytes: decrypted %x, want %x", n, got, img)
		}
	}

	data := []byte("村级进度汇总, 第二季度")
	srv.SendFile("zhangsan", `进度 "Q2"; 2027.xlsx`, data)
	ref := c.push().body(t)["file"].(map[string]any)
	resp := get(t, ref["url"].(string))
	enc, _ := io.ReadAll(resp.Body)
	if got := decrypt(t, ref["aeskey"].(string), enc); !bytes.Equal(got, data) {
		t.Errorf("file decrypted to %q", got)
	}
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	if err != nil || params["filename"] != `进度 "Q2"; 2027.xlsx` {
		t.Errorf("Content-Disposition %q: %v %q", resp.Header.Get("Content-Disposition"), err, params["filename"])
	}
	clk.Add(5 * time.Minute)
	if resp := get(t, ref["url"].(string)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("expired URL: %d", resp.StatusCode)
	}
}

// hookResult is a webhook answer.
type hookResult struct {
	Errcode int    `json:"errcode"`
	Errmsg  string `json:"errmsg"`
	MediaID string `json:"media_id"`
	Type    string `json:"type"`
}

func postHook(t *testing.T, srv *wecomtest.Server, key string, body any) hookResult {
	t.Helper()
	data, _ := json.Marshal(body)
	resp, err := http.Post(srv.WebhookURL()+"/send?key="+key, "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("HTTP %d", resp.StatusCode)
	}
	var r hookResult
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func uploadHook(t *testing.T, srv *wecomtest.Server, key, typ, field, name string, data []byte) hookResult {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, _ := w.CreateFormFile(field, name)
	part.Write(data)
	w.Close()
	resp, err := http.Post(srv.WebhookURL()+"/upload_media?key="+key+"&type="+typ, w.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r hookResult
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != 200 {
		t.Fatalf("HTTP %d: %v", resp.StatusCode, err)
	}
	return r
}

func text(s string, mentioned ...string) map[string]any {
	return map[string]any{"msgtype": "text", "text": map[string]any{"content": s, "mentioned_list": mentioned}}
}

func md(s string) map[string]any {
	return map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": s}}
}

func TestWebhookShapes(t *testing.T) {
	srv := wecomtest.New(t, wecomtest.WithRobots("k1"))
	if r := postHook(t, srv, "nokey", text("hi")); r.Errcode != wecomtest.ErrBadWebhookKey || !strings.HasPrefix(r.Errmsg, "invalid webhook url") {
		t.Errorf("unknown key: %+v", r)
	}
	checks := []struct {
		name string
		body any
		code int
	}{
		{"text", text("提醒", "zhangsan", "@all"), 0},
		{"text 2048", text(strings.Repeat("a", 2048)), 0},
		{"text 2049", text(strings.Repeat("a", 2049)), wecomtest.ErrInvalidParam},
		{"markdown 4096", md(strings.Repeat("进", 1365)), 0},
		{"markdown 4097", md(strings.Repeat("a", 4097)), wecomtest.ErrInvalidParam},
		{"empty", md(""), wecomtest.ErrEmptyContent},
		{"unknown msgtype", map[string]any{"msgtype": "telepathy"}, wecomtest.ErrInvalidMsgType},
	}
	for _, c := range checks {
		if r := postHook(t, srv, "k1", c.body); r.Errcode != c.code {
			t.Errorf("%s: %+v, want %d", c.name, r, c.code)
		}
	}
	hooks := srv.WaitHooks(t, func(h []wecomtest.Hook) bool { return len(h) == len(checks)+1 }, wait)
	if h := hooks[1]; h.Key != "k1" || h.MsgType != "text" || h.Content != "提醒" || len(h.Mentioned) != 2 || h.Errcode != 0 {
		t.Errorf("hook %+v", h)
	}
	if hooks[0].Errcode != wecomtest.ErrBadWebhookKey {
		t.Errorf("refused hook not recorded: %+v", hooks[0])
	}
}

func TestWebhookImage(t *testing.T) {
	srv := wecomtest.New(t, wecomtest.WithRobots("k1"))
	img := []byte("\x89PNG fake image")
	sum := md5.Sum(img)
	image := func(data []byte, md5hex string) map[string]any {
		return map[string]any{"msgtype": "image", "image": map[string]any{"base64": base64.StdEncoding.EncodeToString(data), "md5": md5hex}}
	}
	if r := postHook(t, srv, "k1", image(img, hex.EncodeToString(sum[:]))); r.Errcode != 0 {
		t.Errorf("image: %+v", r)
	}
	if r := postHook(t, srv, "k1", image(img, strings.Repeat("0", 32))); r.Errcode != wecomtest.ErrMD5Mismatch {
		t.Errorf("md5 mismatch: %+v", r)
	}
	big := make([]byte, wecomtest.MaxHookImage+1)
	bigSum := md5.Sum(big)
	if r := postHook(t, srv, "k1", image(big, hex.EncodeToString(bigSum[:]))); r.Errcode != wecomtest.ErrImageSize {
		t.Errorf("big image: %+v", r)
	}
	if h := srv.Hooks()[0]; !bytes.Equal(h.Image, img) {
		t.Errorf("hook image %q", h.Image)
	}
}

func TestWebhookRateLimit(t *testing.T) {
	clk := newClock()
	srv := wecomtest.New(t, wecomtest.WithRobots("k1", "k2"), wecomtest.WithClock(clk.Now))
	for i := range wecomtest.HookPerMinute {
		if r := postHook(t, srv, "k1", text("m")); r.Errcode != 0 {
			t.Fatalf("message %d: %+v", i, r)
		}
	}
	if r := postHook(t, srv, "k1", text("m")); r.Errcode != wecomtest.ErrRateLimit {
		t.Errorf("21st: %+v", r)
	}
	if r := postHook(t, srv, "k2", text("m")); r.Errcode != 0 {
		t.Errorf("another key: %+v", r)
	}
	clk.Add(time.Minute)
	if r := postHook(t, srv, "k1", text("m")); r.Errcode != 0 {
		t.Errorf("next minute: %+v", r)
	}
	if srv.Violations() != 1 {
		t.Errorf("violations %d", srv.Violations())
	}
}

func TestWebhookUploadAndFaults(t *testing.T) {
	srv := wecomtest.New(t, wecomtest.WithRobots("k1", "k2"))
	data := []byte("周报内容 week 24")
	up := uploadHook(t, srv, "k1", "file", "media", "周报.docx", data)
	if up.Errcode != 0 || up.MediaID == "" || up.Type != "file" {
		t.Fatalf("upload %+v", up)
	}
	file := map[string]any{"msgtype": "file", "file": map[string]any{"media_id": up.MediaID}}
	if r := postHook(t, srv, "k2", file); r.Errcode != wecomtest.ErrInvalidMediaID {
		t.Errorf("media of another robot: %+v", r)
	}
	if r := postHook(t, srv, "k1", file); r.Errcode != 0 {
		t.Errorf("file: %+v", r)
	}
	if h := srv.Hooks()[1]; h.FileName != "周报.docx" || !bytes.Equal(h.FileData, data) {
		t.Errorf("hook file %q %q", h.FileName, h.FileData)
	}
	for name, c := range map[string]struct {
		key, typ, field string
		data            []byte
		code            int
	}{
		"field name": {"k1", "file", "file", data, wecomtest.ErrMediaMissing},
		"5 bytes":    {"k1", "file", "media", []byte("12345"), wecomtest.ErrMediaSize},
		"type":       {"k1", "image", "media", data, wecomtest.ErrInvalidMediaTyp},
		"key":        {"zz", "file", "media", data, wecomtest.ErrBadWebhookKey},
	} {
		if r := uploadHook(t, srv, c.key, c.typ, c.field, "a.txt", c.data); r.Errcode != c.code {
			t.Errorf("%s: %+v, want %d", name, r, c.code)
		}
	}

	srv.FailNextHook(http.StatusBadGateway, 0)
	resp, err := http.Post(srv.WebhookURL()+"/send?key=k1", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("FailNextHook 502: %d", resp.StatusCode)
	}
	srv.FailNextHook(0, wecomtest.ErrRateLimit)
	if r := postHook(t, srv, "k1", text("x")); r.Errcode != wecomtest.ErrRateLimit {
		t.Errorf("FailNextHook 45009: %+v", r)
	}
	if r := postHook(t, srv, "k1", `not an object`); r.Errcode != wecomtest.ErrBadJSON {
		t.Errorf("bad JSON: %+v", r)
	}
}
