package wecom

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// encrypt is WeCom's media encryption (A.11), written out again here:
// AES-256-CBC, IV = key[:16], PKCS#7 padded to a multiple of 32.
func encrypt(key, plain []byte) []byte {
	n := mediaBlock - len(plain)%mediaBlock
	padded := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(n)}, n)...)
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	out := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, key[:aes.BlockSize]).CryptBlocks(out, padded)
	return out
}

func TestDecryptMedia(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i * 7)
	}
	padded, raw := base64.StdEncoding.EncodeToString(key), base64.RawStdEncoding.EncodeToString(key)
	if strings.HasSuffix(raw, "=") || !strings.HasSuffix(padded, "=") {
		t.Fatal("the test key must need padding")
	}
	for _, size := range []int{0, 1, 16, 31, 32, 33, 1000} {
		plain := bytes.Repeat([]byte("证"), size)[:size]
		enc := encrypt(key, plain)
		if len(enc)%32 != 0 {
			t.Fatalf("%d bytes encrypt to %d", size, len(enc))
		}
		for _, k := range []string{padded, raw} {
			got, err := decryptMedia(k, enc)
			if err != nil || !bytes.Equal(got, plain) {
				t.Errorf("decrypt %d bytes with key %q: %v (%d bytes back)", size, k, err, len(got))
			}
		}
	}

	enc := encrypt(key, []byte("hello"))
	other := bytes.Clone(key)
	other[0] ^= 1
	for name, tc := range map[string]struct {
		key  string
		data []byte
	}{
		"wrong key":       {base64.StdEncoding.EncodeToString(other), enc},
		"short key":       {base64.StdEncoding.EncodeToString(key[:16]), enc},
		"not base64":      {"!!!", enc},
		"not whole block": {padded, enc[:len(enc)-1]},
		"empty":           {padded, nil},
	} {
		if _, err := decryptMedia(tc.key, tc.data); err == nil {
			t.Errorf("%s: decrypted", name)
		}
	}
	// A standard 16-byte padding (what a naive encoder makes) is read as
	// long as it is valid PKCS#7 of ≤ 32: 16 bytes of 16.
	block, _ := aes.NewCipher(key)
	p16 := append([]byte("0123456789abcdef"), bytes.Repeat([]byte{16}, 16)...)
	c16 := make([]byte, len(p16))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(c16, p16)
	if got, err := decryptMedia(padded, c16); err != nil || string(got) != "0123456789abcdef" {
		t.Errorf("16-byte padding: %q, %v", got, err)
	}
}

func TestFetchMedia(t *testing.T) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	aeskey := base64.RawStdEncoding.EncodeToString(key)
	plain := []byte("%PDF-1.4 台账")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/file":
			w.Header().Set("Content-Disposition", `attachment; filename="x.pdf"; filename*=UTF-8''%E5%8F%B0%E8%B4%A6.pdf`)
			_, _ = w.Write(encrypt(key, plain))
		case "/big":
			_, _ = w.Write(encrypt(key, bytes.Repeat([]byte{1}, 100)))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	name, data, err := fetchMedia(ctx, srv.Client(), srv.URL+"/file?token=SECRETLINK", aeskey, MaxMedia)
	if err != nil || name != "台账.pdf" || !bytes.Equal(data, plain) {
		t.Errorf("fetch = %q, %q, %v", name, data, err)
	}
	if _, _, err := fetchMedia(ctx, srv.Client(), srv.URL+"/big", aeskey, 50); !errors.Is(err, errTooLarge) {
		t.Errorf("over the cap: %v, want errTooLarge", err)
	}
	_, _, err = fetchMedia(ctx, srv.Client(), srv.URL+"/gone?token=SECRETLINK", aeskey, MaxMedia)
	if err == nil || !strings.Contains(err.Error(), "404") || strings.Contains(err.Error(), "SECRETLINK") {
		t.Errorf("an expired link: %v, want a 404 without the link", err)
	}
	_, _, err = fetchMedia(ctx, srv.Client(), "http://127.0.0.1:1/x?token=SECRETLINK", aeskey, MaxMedia)
	if err == nil || strings.Contains(err.Error(), "SECRETLINK") {
		t.Errorf("a refused connection: %v, want an error without the link", err)
	}
}

func TestFileName(t *testing.T) {
	for cd, want := range map[string]string{
		"":                              "",
		`attachment; filename="a.xlsx"`: "a.xlsx",
		`attachment; filename*=UTF-8''%E8%AF%81%E6%98%8E.jpg`: "证明.jpg",
		"garbage;;;": "",
	} {
		if got := fileName(cd); got != want {
			t.Errorf("fileName(%q) = %q, want %q", cd, got, want)
		}
	}
}
