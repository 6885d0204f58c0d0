package wecomtest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// storedMedia is an uploaded file with its media_id's birth.
type storedMedia struct {
	typ, name string
	data      []byte
	created   time.Time
	key       string // the webhook key it was uploaded with; "" on the long connection
}

// upload is an aibot_upload_media_* session.
type upload struct {
	typ, name, md5 string
	total          int
	parts          [][]byte // by chunk_index; nil until received
	got            int
}

// uploadLimits are the per-type size caps reported for the long
// connection (the official plugin's constants); [?] for images, which one
// third party puts at 2 MB.
var uploadLimits = map[string]int{"image": 10 << 20, "video": 10 << 20, "voice": 2 << 20, "file": 20 << 20}

func (s *Server) uploadInitLocked(body json.RawMessage) reply {
	var b struct {
		Type        string `json:"type"`
		Filename    string `json:"filename"`
		TotalSize   int    `json:"total_size"`
		TotalChunks int    `json:"total_chunks"`
		MD5         string `json:"md5"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return reply{code: ErrBadJSON, detail: err.Error()}
	}
	limit, ok := uploadLimits[b.Type]
	switch {
	case !ok:
		return reply{code: ErrInvalidMediaTyp, detail: fmt.Sprintf("type %q", b.Type)}
	case b.Filename == "":
		return reply{code: ErrInvalidParam, detail: "filename missing"}
	case b.TotalSize <= 5 || b.TotalSize > limit:
		return reply{code: ErrMediaSize, detail: fmt.Sprintf("total_size %d, want 6-%d for %s", b.TotalSize, limit, b.Type)}
	case b.TotalChunks < 1 || b.TotalChunks > MaxChunks:
		return reply{code: ErrInvalidParam, detail: fmt.Sprintf("total_chunks %d, want 1-%d", b.TotalChunks, MaxChunks)}
	case b.TotalChunks*MaxChunkBytes < b.TotalSize:
		return reply{code: ErrInvalidParam, detail: fmt.Sprintf("%d chunks of at most 512 KiB cannot hold %d bytes", b.TotalChunks, b.TotalSize)}
	}
	id := newID()
	s.uploads[id] = &upload{typ: b.Type, name: b.Filename, md5: b.MD5, total: b.TotalSize, parts: make([][]byte, b.TotalChunks)}
	return reply{body: map[string]string{"upload_id": id}}
}

func (s *Server) uploadChunkLocked(body json.RawMessage) reply {
	var b struct {
		UploadID   string `json:"upload_id"`
		ChunkIndex *int   `json:"chunk_index"`
		Base64Data string `json:"base64_data"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return reply{code: ErrBadJSON, detail: err.Error()}
	}
	u := s.uploads[b.UploadID]
	if u == nil {
		return reply{code: ErrInvalidParam, detail: "unknown upload_id"}
	}
	if b.ChunkIndex == nil || *b.ChunkIndex < 0 || *b.ChunkIndex >= len(u.parts) {
		return reply{code: ErrInvalidParam, detail: fmt.Sprintf("chunk_index must be 0-%d", len(u.parts)-1)}
	}
	data, err := base64.StdEncoding.DecodeString(b.Base64Data)
	switch {
	case err != nil:
		return reply{code: ErrInvalidParam, detail: "base64_data: " + err.Error()}
	case len(data) == 0 || len(data) > MaxChunkBytes:
		return reply{code: ErrInvalidParam, detail: fmt.Sprintf("chunk of %d bytes, want 1-%d before base64", len(data), MaxChunkBytes)}
	}
	if u.parts[*b.ChunkIndex] == nil { // a repeated chunk is ignored
		u.parts[*b.ChunkIndex] = data
		u.got++
	}
	return reply{}
}

func (s *Server) uploadFinishLocked(body json.RawMessage, now time.Time) reply {
	var b struct {
		UploadID string `json:"upload_id"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return reply{code: ErrBadJSON, detail: err.Error()}
	}
	u := s.uploads[b.UploadID]
	if u == nil {
		return reply{code: ErrInvalidParam, detail: "unknown upload_id"}
	}
	if u.got < len(u.parts) {
		return reply{code: ErrInvalidParam, detail: fmt.Sprintf("%d of %d chunks received", u.got, len(u.parts))}
	}
	data := bytes.Join(u.parts, nil)
	if len(data) != u.total {
		return reply{code: ErrInvalidParam, detail: fmt.Sprintf("received %d bytes, total_size %d", len(data), u.total)}
	}
	if sum := md5.Sum(data); u.md5 != "" && !strings.EqualFold(u.md5, hex.EncodeToString(sum[:])) {
		return reply{code: ErrMD5Mismatch}
	}
	delete(s.uploads, b.UploadID)
	id := newID()
	s.media[id] = &storedMedia{typ: u.typ, name: u.name, data: data, created: now}
	return reply{body: map[string]string{"type": u.typ, "media_id": id, "created_at": strconv.FormatInt(now.Unix(), 10)}}
}

// ---- callback media: encrypted downloads ----

// download is a callback's encrypted media.
type download struct {
	data    []byte // encrypted
	name    string // "" for images
	expires time.Time
}

// addDownload encrypts plain as WeCom does and serves it until the media
// TTL passes; it returns the body's {url, aeskey}.
func (s *Server) addDownload(plain []byte, name string, now time.Time) *mediaRef {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	token := newID()
	s.mu.Lock()
	s.downloads[token] = &download{data: encryptMedia(key, plain), name: name, expires: now.Add(s.mediaTTL)}
	s.mu.Unlock()
	return &mediaRef{URL: s.srv.URL + "/media/" + token, AESKey: base64.RawStdEncoding.EncodeToString(key)}
}

// encryptMedia is AES-256-CBC with IV = key[:16] and PKCS#7 padding to a
// multiple of 32 bytes (1–32 bytes of padding, never 0): the scheme of
// WECOM-PROTOCOL.md A.11, which standard 16-byte unpadding gets wrong.
func encryptMedia(key, plain []byte) []byte {
	pad := 32 - len(plain)%32
	buf := make([]byte, len(plain), len(plain)+pad)
	copy(buf, plain)
	buf = append(buf, bytes.Repeat([]byte{byte(pad)}, pad)...)
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // the key is always 32 bytes
	}
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(buf, buf)
	return buf
}

func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	s.mu.Lock()
	d := s.downloads[r.PathValue("token")]
	s.mu.Unlock()
	if d == nil || !now.Before(d.expires) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if d.name != "" {
		w.Header().Set("Content-Disposition", contentDisposition(d.name))
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(d.data)))
	_, _ = w.Write(d.data)
}

// contentDisposition names the file both ways clients read it: an ASCII
// filename="…" (other characters as '_') and the exact RFC 5987
// filename* (UTF-8, percent-encoded), which wins in mime.ParseMediaType.
func contentDisposition(name string) string {
	var ascii, ext strings.Builder
	for _, r := range name {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			ascii.WriteByte('_')
		} else {
			ascii.WriteRune(r)
		}
	}
	for _, c := range []byte(name) {
		if isAttrChar(c) {
			ext.WriteByte(c)
		} else {
			fmt.Fprintf(&ext, "%%%02X", c)
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii.String(), ext.String())
}

// isAttrChar is RFC 5987's attr-char: what may stay unescaped in
// filename*.
func isAttrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}

// ---- ids ----

// newID is an opaque id for req_ids, upload_ids, media_ids and URL
// tokens.
func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newMsgID looks like a real msgid ("CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI="):
// standard base64 with '/', '+' and '=', which a client must not put into
// file names or URLs unescaped.
func newMsgID() string {
	b := make([]byte, 23)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
