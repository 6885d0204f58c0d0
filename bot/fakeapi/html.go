package fakeapi

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// htmlTags maps the tags Telegram's HTML parse mode accepts to the entity
// type each produces.
var htmlTags = map[string]string{
	"b": "bold", "strong": "bold",
	"i": "italic", "em": "italic",
	"u": "underline", "ins": "underline",
	"s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
	"a":          "text_link",
	"code":       "code",
	"pre":        "pre",
	"tg-spoiler": "spoiler", "span": "spoiler",
	"blockquote": "blockquote",
}

// ParseHTML parses text the way Telegram parses parse_mode=HTML and returns
// the plain text and its entities, or the error Telegram reports after
// "Bad Request: can't parse entities: ".
//
// It follows Telegram's parser (tdlib's parse_html): tags are those of
// htmlTags, case-insensitive; attributes are quoted strings or name tokens;
// only href (a), class (span: must be "tg-spoiler"; code: "language-…")
// and expandable (blockquote) mean anything; tags must nest properly.
// Entities: &lt; &gt; &amp; &quot; and numeric (&#NN; &#xHH;).
//
// One deliberate difference: Telegram keeps an "&" that starts no entity
// as a literal, but this parser rejects it, so that a handler which
// forgets html.EscapeString on user text ("R&D") fails here too.
func ParseHTML(text string) (plain string, entities []Entity, err error) {
	type open struct {
		name  string
		begin int // byte offset of '<'
		start int // UTF-16 offset in plain
		ent   Entity
	}
	var (
		out   strings.Builder
		off   int // UTF-16 length of out
		stack []open
		s     = text
		n     = len(s)
	)
	unclosed := func(begin int) error { return fmt.Errorf("Unclosed start tag at byte offset %d", begin) }
	for i := 0; i < n; {
		switch c := s[i]; c {
		case '&':
			r, next, ok := decodeHTMLEntity(s, i)
			if !ok {
				return "", nil, fmt.Errorf("unescaped \"&\" at byte offset %d (write &amp;)", i)
			}
			out.WriteRune(r)
			off += utf16Len(r)
			i = next
		case '<':
			begin := i
			i++
			if i >= n {
				return "", nil, unclosed(begin)
			}
			if s[i] != '/' {
				nameStart := i
				for i < n && !isHTMLSpace(s[i]) && s[i] != '>' {
					i++
				}
				if i >= n {
					return "", nil, unclosed(begin)
				}
				name := strings.ToLower(s[nameStart:i])
				typ, ok := htmlTags[name]
				if !ok {
					return "", nil, fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", name, begin)
				}
				ent := Entity{Type: typ}
				spanClass := ""
				for {
					for i < n && isHTMLSpace(s[i]) {
						i++
					}
					if i >= n {
						return "", nil, unclosed(begin)
					}
					if s[i] == '>' {
						i++
						break
					}
					attrStart := i
					for i < n && !isHTMLSpace(s[i]) && s[i] != '=' && s[i] != '>' {
						i++
					}
					attr := strings.ToLower(s[attrStart:i])
					if attr == "" {
						return "", nil, fmt.Errorf("Empty attribute name in the tag \"%s\" at byte offset %d", name, begin)
					}
					for i < n && isHTMLSpace(s[i]) {
						i++
					}
					if i >= n {
						return "", nil, unclosed(begin)
					}
					if s[i] != '=' {
						if name == "blockquote" && attr == "expandable" {
							ent.Type = "expandable_blockquote"
							continue
						}
						return "", nil, fmt.Errorf("Expected equal sign in declaration of an attribute of the tag \"%s\" at byte offset %d", name, begin)
					}
					i++
					for i < n && isHTMLSpace(s[i]) {
						i++
					}
					if i >= n {
						return "", nil, unclosed(begin)
					}
					var val string
					if q := s[i]; q != '"' && q != '\'' {
						tokStart := i
						for i < n && (isAlnum(s[i]) || s[i] == '.' || s[i] == '-') {
							i++
						}
						if i >= n {
							return "", nil, unclosed(begin)
						}
						if !isHTMLSpace(s[i]) && s[i] != '>' {
							return "", nil, fmt.Errorf("Unexpected end of name token at byte offset %d", tokStart)
						}
						val = strings.ToLower(s[tokStart:i])
					} else {
						i++
						var vb strings.Builder
						for i < n && s[i] != q {
							if s[i] == '&' {
								r, next, ok := decodeHTMLEntity(s, i)
								if !ok {
									return "", nil, fmt.Errorf("unescaped \"&\" at byte offset %d (write &amp;)", i)
								}
								vb.WriteRune(r)
								i = next
								continue
							}
							vb.WriteByte(s[i])
							i++
						}
						if i >= n {
							return "", nil, unclosed(begin)
						}
						i++
						val = vb.String()
					}
					switch {
					case name == "a" && attr == "href":
						ent.URL = val
					case name == "code" && attr == "class" && strings.HasPrefix(val, "language-"):
						ent.Language = strings.TrimPrefix(val, "language-")
					case name == "span" && attr == "class":
						spanClass = val
					}
				}
				if name == "span" && spanClass != "tg-spoiler" {
					return "", nil, fmt.Errorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", begin)
				}
				stack = append(stack, open{name: name, begin: begin, start: off, ent: ent})
				continue
			}
			// An end tag.
			if len(stack) == 0 {
				return "", nil, fmt.Errorf("Unexpected end tag at byte offset %d", begin)
			}
			i++
			nameStart := i
			for i < n && !isHTMLSpace(s[i]) && s[i] != '>' {
				i++
			}
			endName := strings.ToLower(s[nameStart:i])
			for i < n && isHTMLSpace(s[i]) {
				i++
			}
			if i >= n || s[i] != '>' {
				return "", nil, fmt.Errorf("Unclosed end tag at byte offset %d", begin)
			}
			i++
			top := stack[len(stack)-1]
			if endName != "" && endName != top.name {
				return "", nil, fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", begin, top.name, endName)
			}
			stack = stack[:len(stack)-1]
			if off > top.start {
				e := top.ent
				e.Offset, e.Length = top.start, off-top.start
				if e.Type == "text_link" && e.URL == "" {
					continue // Telegram drops a link without a URL
				}
				entities = append(entities, e)
			}
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			out.WriteString(s[i : i+size])
			off += utf16Len(r)
			i += size
		}
	}
	if len(stack) > 0 {
		return "", nil, fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1].name)
	}
	sort.SliceStable(entities, func(a, b int) bool {
		if entities[a].Offset != entities[b].Offset {
			return entities[a].Offset < entities[b].Offset
		}
		return entities[a].Length > entities[b].Length
	})
	return out.String(), entities, nil
}

// decodeHTMLEntity decodes the character reference at s[i] == '&' the way
// tdlib does (the ';' is optional), returning ok false when none starts
// there.
func decodeHTMLEntity(s string, i int) (r rune, next int, ok bool) {
	n := len(s)
	j := i + 1
	if j < n && s[j] == '#' {
		j++
		var v int64
		digits := 0
		if j < n && (s[j] == 'x' || s[j] == 'X') {
			j++
			for j < n && isHex(s[j]) && digits < 8 {
				v = v*16 + int64(hexVal(s[j]))
				j++
				digits++
			}
		} else {
			for j < n && s[j] >= '0' && s[j] <= '9' && digits < 8 {
				v = v*10 + int64(s[j]-'0')
				j++
				digits++
			}
		}
		if digits == 0 || v == 0 || v > utf8.MaxRune || (v >= 0xD800 && v <= 0xDFFF) {
			return 0, 0, false
		}
		r = rune(v)
	} else {
		start := j
		for j < n && isAlpha(s[j]) {
			j++
		}
		switch s[start:j] {
		case "lt":
			r = '<'
		case "gt":
			r = '>'
		case "amp":
			r = '&'
		case "quot":
			r = '"'
		default:
			return 0, 0, false
		}
	}
	if j < n && s[j] == ';' {
		j++
	}
	return r, j, true
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isAlpha(c) || c >= '0' && c <= '9' }
func isHex(c byte) bool   { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	default:
		return int(c-'A') + 10
	}
}

func utf16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// UTF16Len is the length of s in UTF-16 code units: what Telegram's
// 4096/1024 limits and entity offsets count.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Len(r)
	}
	return n
}

// commandEntities marks /commands (optionally /command@bot) that start the
// text or follow whitespace, as Telegram does for inbound messages.
func commandEntities(text string) []Entity {
	var ents []Entity
	off := 0
	prevSpace := true
	rs := []rune(text)
	for k := 0; k < len(rs); {
		r := rs[k]
		if r == '/' && prevSpace {
			j := k + 1
			for j < len(rs) && j-k-1 < 32 && isCommandRune(rs[j]) {
				j++
			}
			if j > k+1 {
				if j < len(rs) && rs[j] == '@' {
					m := j + 1
					for m < len(rs) && isCommandRune(rs[m]) {
						m++
					}
					if m > j+1 {
						j = m
					}
				}
				length := 0
				for _, c := range rs[k:j] {
					length += utf16Len(c)
				}
				ents = append(ents, Entity{Type: "bot_command", Offset: off, Length: length})
				off += length
				k = j
				prevSpace = false
				continue
			}
		}
		prevSpace = r == ' ' || r == '\n' || r == '\t'
		off += utf16Len(r)
		k++
	}
	return ents
}

func isCommandRune(r rune) bool {
	return r < utf8.RuneSelf && (isAlnum(byte(r)) || r == '_')
}
