package telegramtest

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
	p := &htmlParser{s: text}
	var (
		out   strings.Builder
		off   int // UTF-16 length of out
		stack []htmlOpen
	)
	for !p.eof() {
		switch c := p.s[p.i]; c {
		case '&':
			r, next, ok := decodeHTMLEntity(p.s, p.i)
			if !ok {
				return "", nil, errUnescapedAmp(p.i)
			}
			out.WriteRune(r)
			off += utf16Len(r)
			p.i = next
		case '<':
			begin := p.i
			p.i++
			if p.eof() {
				return "", nil, errUnclosedStart(begin)
			}
			if p.s[p.i] != '/' {
				o, err := p.startTag(begin)
				if err != nil {
					return "", nil, err
				}
				o.start = off
				stack = append(stack, o)
				continue
			}
			if len(stack) == 0 {
				return "", nil, fmt.Errorf("Unexpected end tag at byte offset %d", begin)
			}
			endName, err := p.endTag(begin)
			if err != nil {
				return "", nil, err
			}
			top := stack[len(stack)-1]
			if endName != "" && endName != top.name {
				return "", nil, fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", begin, top.name, endName)
			}
			stack = stack[:len(stack)-1]
			if e, ok := top.close(off); ok {
				entities = append(entities, e)
			}
		default:
			r, size := utf8.DecodeRuneInString(p.s[p.i:])
			out.WriteString(p.s[p.i : p.i+size])
			off += utf16Len(r)
			p.i += size
		}
	}
	if len(stack) > 0 {
		return "", nil, fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1].name)
	}
	sortEntities(entities)
	return out.String(), entities, nil
}

// htmlOpen is a start tag waiting for its end tag.
type htmlOpen struct {
	name  string
	start int // UTF-16 offset in plain
	ent   Entity
}

// close returns the entity the tag produces when it ends at UTF-16 offset
// end, or false when it produces none: an empty span, or a link without a
// URL, which Telegram drops.
func (o htmlOpen) close(end int) (Entity, bool) {
	if end <= o.start {
		return Entity{}, false
	}
	e := o.ent
	e.Offset, e.Length = o.start, end-o.start
	if e.Type == "text_link" && e.URL == "" {
		return Entity{}, false
	}
	return e, true
}

// sortEntities orders entities as Telegram returns them: by offset, the
// outer (longer) of two at one offset first.
func sortEntities(entities []Entity) {
	sort.SliceStable(entities, func(a, b int) bool {
		if entities[a].Offset != entities[b].Offset {
			return entities[a].Offset < entities[b].Offset
		}
		return entities[a].Length > entities[b].Length
	})
}

// htmlParser is a cursor over the text being parsed: s[i] is the next
// byte to read.
type htmlParser struct {
	s string
	i int
}

func (p *htmlParser) eof() bool { return p.i >= len(p.s) }

func (p *htmlParser) skipSpace() {
	for !p.eof() && isHTMLSpace(p.s[p.i]) {
		p.i++
	}
}

// tagName reads a tag's name up to a space or '>', lower-cased.
func (p *htmlParser) tagName() string {
	start := p.i
	for !p.eof() && !isHTMLSpace(p.s[p.i]) && p.s[p.i] != '>' {
		p.i++
	}
	return strings.ToLower(p.s[start:p.i])
}

func errUnclosedStart(begin int) error {
	return fmt.Errorf("Unclosed start tag at byte offset %d", begin)
}

func errUnescapedAmp(at int) error {
	return fmt.Errorf("unescaped \"&\" at byte offset %d (write &amp;)", at)
}

// startTag reads a start tag whose '<' is at byte offset begin, the cursor
// just past it, through its '>'.
func (p *htmlParser) startTag(begin int) (htmlOpen, error) {
	name := p.tagName()
	if p.eof() {
		return htmlOpen{}, errUnclosedStart(begin)
	}
	typ, ok := htmlTags[name]
	if !ok {
		return htmlOpen{}, fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", name, begin)
	}
	o := htmlOpen{name: name, ent: Entity{Type: typ}}
	spanClass := ""
	for {
		p.skipSpace()
		if p.eof() {
			return htmlOpen{}, errUnclosedStart(begin)
		}
		if p.s[p.i] == '>' {
			p.i++
			break
		}
		attr, val, hasVal, err := p.attribute(name, begin)
		if err != nil {
			return htmlOpen{}, err
		}
		if !hasVal { // only blockquote's expandable goes without a value
			o.ent.Type = "expandable_blockquote"
			continue
		}
		switch {
		case name == "a" && attr == "href":
			o.ent.URL = val
		case name == "code" && attr == "class" && strings.HasPrefix(val, "language-"):
			o.ent.Language = strings.TrimPrefix(val, "language-")
		case name == "span" && attr == "class":
			spanClass = val
		}
	}
	if name == "span" && spanClass != "tg-spoiler" {
		return htmlOpen{}, fmt.Errorf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", begin)
	}
	return o, nil
}

// attribute reads one attribute of the start tag tag (at byte offset
// begin): its lower-cased name and, when it has one, its value.
func (p *htmlParser) attribute(tag string, begin int) (attr, val string, hasVal bool, err error) {
	attrStart := p.i
	for !p.eof() && !isHTMLSpace(p.s[p.i]) && p.s[p.i] != '=' && p.s[p.i] != '>' {
		p.i++
	}
	attr = strings.ToLower(p.s[attrStart:p.i])
	if attr == "" {
		return "", "", false, fmt.Errorf("Empty attribute name in the tag \"%s\" at byte offset %d", tag, begin)
	}
	p.skipSpace()
	if p.eof() {
		return "", "", false, errUnclosedStart(begin)
	}
	if p.s[p.i] != '=' {
		if tag == "blockquote" && attr == "expandable" {
			return attr, "", false, nil
		}
		return "", "", false, fmt.Errorf("Expected equal sign in declaration of an attribute of the tag \"%s\" at byte offset %d", tag, begin)
	}
	p.i++
	p.skipSpace()
	if p.eof() {
		return "", "", false, errUnclosedStart(begin)
	}
	val, err = p.attrValue(begin)
	return attr, val, err == nil, err
}

// attrValue reads an attribute's value: a quoted string, in which
// character references are decoded, or a name token, lower-cased.
func (p *htmlParser) attrValue(begin int) (string, error) {
	q := p.s[p.i]
	if q != '"' && q != '\'' {
		tokStart := p.i
		for !p.eof() && (isAlnum(p.s[p.i]) || p.s[p.i] == '.' || p.s[p.i] == '-') {
			p.i++
		}
		if p.eof() {
			return "", errUnclosedStart(begin)
		}
		if !isHTMLSpace(p.s[p.i]) && p.s[p.i] != '>' {
			return "", fmt.Errorf("Unexpected end of name token at byte offset %d", tokStart)
		}
		return strings.ToLower(p.s[tokStart:p.i]), nil
	}
	p.i++
	var vb strings.Builder
	for !p.eof() && p.s[p.i] != q {
		if p.s[p.i] == '&' {
			r, next, ok := decodeHTMLEntity(p.s, p.i)
			if !ok {
				return "", errUnescapedAmp(p.i)
			}
			vb.WriteRune(r)
			p.i = next
			continue
		}
		vb.WriteByte(p.s[p.i])
		p.i++
	}
	if p.eof() {
		return "", errUnclosedStart(begin)
	}
	p.i++
	return vb.String(), nil
}

// endTag reads an end tag whose '<' is at byte offset begin, the cursor at
// its '/', through its '>', and returns its lower-cased name ("" for "</>").
func (p *htmlParser) endTag(begin int) (string, error) {
	p.i++
	name := p.tagName()
	p.skipSpace()
	if p.eof() || p.s[p.i] != '>' {
		return "", fmt.Errorf("Unclosed end tag at byte offset %d", begin)
	}
	p.i++
	return name, nil
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
