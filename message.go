package planbot

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// PageBudget is how much text, in UTF-16 code units, a view puts in one
// message before it pages: about one phone screen, and under every
// platform's limit on a message, so a page is never split.
const PageBudget = 3796

// SplitOutbox is m as the rows that send it on a platform whose messages
// take at most limit UTF-16 units of text: its text split with
// SplitMessage, every part like m but the buttons only on the last (under
// the end of what they answer) and an edit only on the first (the rest
// follow as new messages). A limit of 0 or less does not split.
func SplitOutbox(m OutboxMessage, limit int) []OutboxMessage {
	if limit <= 0 || m.Method == MethodAnswer || m.Attachment != AttachNone {
		return []OutboxMessage{m}
	}
	parts := SplitMessage(m.Text, limit)
	out := make([]OutboxMessage, len(parts))
	for i, p := range parts {
		out[i] = m
		out[i].Text = p
		if i > 0 {
			out[i].Method, out[i].EditMessageID = "", 0
		}
		if i < len(parts)-1 {
			out[i].Buttons = nil
		}
	}
	return out
}

// UTF16Len is the length of s in UTF-16 code units, as Telegram and WeCom
// count a message's text.
func UTF16Len(s string) int { return utf16Len(s) }

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// SplitMessage cuts an HTML message into parts of at most limit UTF-16 units, at
// line boundaries. The bot writes every tag it uses within one line, so a
// cut between lines never splits a tag; a single line longer than the limit
// (which the bot avoids by clipping user text) loses its tags and is cut
// between runes, never inside an entity like &amp;.
func SplitMessage(text string, limit int) []string {
	if utf16Len(text) <= limit {
		return []string{text}
	}
	var parts []string
	var cur strings.Builder
	curLen := 0
	flush := func() {
		if s := strings.TrimRight(cur.String(), "\n"); strings.TrimSpace(s) != "" {
			parts = append(parts, s)
		}
		cur.Reset()
		curLen = 0
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		n := utf16Len(line)
		if curLen+n > limit {
			flush()
		}
		if n > limit {
			for _, piece := range hardSplit(line, limit) {
				parts = append(parts, piece)
			}
			continue
		}
		cur.WriteString(line)
		curLen += n
	}
	flush()
	return parts
}

// hardSplit cuts one over-long line: tags are dropped (an open <b> cut in
// half would make Telegram refuse the message) and entities kept whole.
func hardSplit(line string, limit int) []string {
	plain := stripTags(strings.TrimRight(line, "\n"))
	var parts []string
	var cur strings.Builder
	curLen := 0
	for i := 0; i < len(plain); {
		tok := plain[i : i+1]
		if plain[i] == '&' {
			if j := strings.IndexByte(plain[i:], ';'); j > 0 && j < 10 {
				tok = plain[i : i+j+1]
			}
		} else {
			_, size := utf8.DecodeRuneInString(plain[i:])
			tok = plain[i : i+size]
		}
		n := utf16Len(tok)
		if curLen+n > limit {
			parts = append(parts, cur.String())
			cur.Reset()
			curLen = 0
		}
		cur.WriteString(tok)
		curLen += n
		i += len(tok)
	}
	if cur.Len() > 0 {
		parts = append(parts, cur.String())
	}
	return parts
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>' && in:
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}
