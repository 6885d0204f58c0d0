package main

import (
	"bytes"
	"image/png"
	"testing"

	"planbot/telegram/telegramtest"
)

// 3c. /digest gives a leader the weekly digest now: its picture first, then
// the text, as the Monday job sends it.
func TestE2EDigestCommand(t *testing.T) {
	t.Parallel()
	h := newE2E(t, nil)
	h.start()
	h.say(uMa, "2.3 进度60% 已签约")
	calls := h.say(uZhang, "/digest")
	if len(calls) != 2 || calls[0].Method != "sendPhoto" || calls[1].Method != "sendMessage" {
		t.Fatalf("/digest sent:\n%s", telegramtest.Describe(calls))
	}
	wants(t, "the picture's caption", calls[0].Caption, "周报图")
	if _, err := png.Decode(bytes.NewReader(calls[0].File)); err != nil {
		t.Errorf("the digest picture is not a PNG: %v", err)
	}
	wants(t, "the digest", calls[1].Text, "📊 2027 年工作计划周报", "收到汇报 1 条")
}
