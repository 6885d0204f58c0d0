package planbot

import (
	"fmt"
	"html"
	"strings"
	"time"
	"unicode/utf8"
)

// What a reply looks like, whoever sends it: the conversation answering a
// person and the scheduler's reminders and digests write their messages
// with these, so a reminder's button is pressed into the conversation in
// the form the conversation reads, and both escape and clip user words
// alike.

// Priorities in the outbox: a person waiting for an answer goes first; a
// reminder or digest next; a refusal to a stranger goes last, so a flood of
// strangers delays nobody on the list.
const (
	PriorityReply    = 10
	PriorityReminder = 0
	PriorityRefusal  = -10
)

// Escape makes a user-supplied string safe inside an HTML message. Invalid
// UTF-8 is replaced, since the platforms reject it.
func Escape(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return html.EscapeString(s)
}

// Clip shortens a user string to at most n runes, ending in "…", keeping
// its line breaks: for words shown as written (a note, a title in a reply).
func Clip(s string, n int) string {
	r := []rune(strings.ToValidUTF8(s, "\uFFFD"))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

// ClipLine is Clip for a list line: line breaks fold to spaces first, since
// every line of a reminder must stand alone when a message is split.
func ClipLine(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.ContainsAny(s, "\r\n") {
		s = strings.Join(strings.Fields(s), " ")
	}
	return Clip(s, n)
}

// Isolate sets already escaped user words inside a line of ours, in a
// Unicode isolate, so a right-to-left mark in them cannot reorder the rest
// of the line.
func Isolate(s string) string { return "\u2068" + s + "\u2069" }

// Button is one button under a message: its label and what pressing it
// sends back (at most MaxButtonData bytes), whatever the platform draws it
// as (an inline keyboard, a template card).
type Button struct {
	Text string
	Data string
}

// Keyboard is the buttons under a message, row by row.
type Keyboard [][]Button

// MaxButtonData is the most a button may carry back, in bytes: the least
// of the platforms' limits (Telegram's callback data), so a button written
// once works on every platform.
const MaxButtonData = 64

// Column lays buttons out one to a row, for labels too long to share one.
func Column(bs []Button) Keyboard {
	rows := make(Keyboard, len(bs))
	for i := range bs {
		rows[i] = bs[i : i+1]
	}
	return rows
}

// ReportButtonPrefix starts a reminder's button: "r:CODE" asks its owner,
// step by step, for a report on item CODE. The scheduler writes it and the
// conversation reads it.
const ReportButtonPrefix = "r:"

// ReportButtonData is what a reminder's button for item code carries, and
// false when that would not fit in a button.
func ReportButtonData(code string) (string, bool) {
	data := ReportButtonPrefix + code
	return data, len(data) <= MaxButtonData
}

// DigestPicture is the file name and caption of the digest's picture drawn
// at t for a plan of year: digest-2026-03-08.png, "2026年工作计划 · 3月8日
// 周报图". The weekly job and /digest send the same picture.
func DigestPicture(year int, t time.Time) (name, caption string) {
	return fmt.Sprintf("digest-%s.png", t.Format("2006-01-02")),
		fmt.Sprintf("%d年工作计划 · %d月%d日 周报图", year, t.Month(), t.Day())
}
