package wecom

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"time"
)

// MaxMedia is the largest file the receiver fetches from a callback (the
// AI bot's documented file limit, 20 MiB); a larger one is not kept.
const MaxMedia = 20 << 20

// mediaBlock is the PKCS#7 block WeCom pads media to: 32 bytes, not AES's
// 16, so a standard unpadding fails on real files (A.11).
const mediaBlock = 32

// fetchTimeout bounds one download: its URL lasts five minutes anyway.
const fetchTimeout = 2 * time.Minute

// parseAESKey decodes a callback's aeskey: base64 of 32 bytes, which
// WeCom may send with or without its "=" padding.
func parseAESKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		return nil, fmt.Errorf("aeskey is not base64: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("aeskey is %d bytes, want 32", len(key))
	}
	return key, nil
}

// decryptMedia decrypts a file downloaded from a callback's URL:
// AES-256-CBC with the frame's key, IV = the key's first 16 bytes, and
// PKCS#7 padding to a multiple of 32 bytes.
func decryptMedia(aeskey string, data []byte) ([]byte, error) {
	key, err := parseAESKey(aeskey)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("encrypted media of %d bytes is not whole AES blocks", len(data))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, key[:aes.BlockSize]).CryptBlocks(out, data)
	return unpad(out)
}

// unpad strips PKCS#7 padding of block size 32.
func unpad(b []byte) ([]byte, error) {
	n := int(b[len(b)-1])
	if n < 1 || n > mediaBlock || n > len(b) {
		return nil, fmt.Errorf("bad padding (%d): wrong key?", n)
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, errors.New("bad padding: wrong key?")
		}
	}
	return b[:len(b)-n], nil
}

// errTooLarge: a file over MaxMedia.
var errTooLarge = errors.New("the file is larger than WeCom's 20 MiB")

// fetchMedia downloads and decrypts a callback's file: its name (from
// Content-Disposition; "" for none) and content. Errors carry no URL.
func fetchMedia(ctx context.Context, client *http.Client, rawURL, aeskey string, limit int64) (name string, data []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", nil, errors.New("the media URL is not valid")
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", nil, fmt.Errorf("download media: %w", stripURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", nil, fmt.Errorf("download media: HTTP %s (its URL lasts five minutes)", resp.Status)
	}
	// The padding adds up to a block.
	enc, err := io.ReadAll(io.LimitReader(resp.Body, limit+mediaBlock+1))
	if err != nil {
		return "", nil, fmt.Errorf("download media: %w", stripURL(err))
	}
	if int64(len(enc)) > limit+mediaBlock {
		return "", nil, errTooLarge
	}
	data, err = decryptMedia(aeskey, enc)
	if err != nil {
		return "", nil, fmt.Errorf("decrypt media: %w", err)
	}
	if int64(len(data)) > limit {
		return "", nil, errTooLarge
	}
	return fileName(resp.Header.Get("Content-Disposition")), data, nil
}

// fileName is the file name a Content-Disposition gives (filename*= in
// UTF-8 preferred, as mime decodes it); "" for none.
func fileName(cd string) string {
	if cd == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(cd)
	if err != nil {
		return ""
	}
	return params["filename"]
}

// stripURL drops the URL from a net/http error: a media link is the
// person's file for five minutes, and a webhook's carries the key.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
