package wecom

import (
	"html"
	"strings"
	"unicode/utf8"
)

// toMarkdown converts the outbox's HTML (the few tags the bot writes, user
// words escaped: see planbot.OutboxMessage) to WeCom markdown: <b> and
// <strong> to **, <i> and <em> to *, <code> to `, <a href="u">t</a> to
// [t](u), <br> to a line break, entities unescaped; other tags (<u>, <s>,
// <pre>, <blockquote> …) are dropped and their text kept, as WeCom's
// markdown has no such marks. The result is never longer than the input,
// so a row split for MaxText stays within WeCom's byte limits.
//
// User words are not escaped for markdown: WeCom documents no escape, and
// a stray * shows as written at worst.
func toMarkdown(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	var hrefs []string // the open <a>s' targets
	for s != "" {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			b.WriteString(html.UnescapeString(s))
			break
		}
		b.WriteString(html.UnescapeString(s[:lt]))
		gt := strings.IndexByte(s[lt:], '>')
		if gt < 0 {
			// Not a tag: the bot escapes every "<" it does not mean.
			b.WriteString(html.UnescapeString(s[lt:]))
			break
		}
		tag := s[lt+1 : lt+gt]
		s = s[lt+gt+1:]
		name, closing := tagName(tag)
		switch name {
		case "b", "strong":
			b.WriteString("**")
		case "i", "em":
			b.WriteString("*")
		case "code":
			b.WriteString("`")
		case "br":
			b.WriteString("\n")
		case "a":
			if closing {
				if n := len(hrefs); n > 0 {
					if hrefs[n-1] != "" {
						b.WriteString("](" + hrefs[n-1] + ")")
					}
					hrefs = hrefs[:n-1]
				}
				continue
			}
			href := attr(tag, "href")
			hrefs = append(hrefs, href)
			if href != "" {
				b.WriteString("[")
			}
		}
	}
	return b.String()
}

// tagName is a tag's lower-case name and whether it closes ("/b").
func tagName(tag string) (name string, closing bool) {
	tag = strings.TrimSpace(tag)
	tag, closing = strings.CutPrefix(tag, "/")
	tag = strings.TrimSuffix(tag, "/")
	if i := strings.IndexAny(tag, " \t\n"); i >= 0 {
		tag = tag[:i]
	}
	return strings.ToLower(tag), closing
}

// attr is the unescaped value of a tag's quoted attribute key; "" if
// none.
func attr(tag, key string) string {
	lower := strings.ToLower(tag)
	i := strings.Index(lower, key+"=")
	if i < 0 {
		return ""
	}
	rest := tag[i+len(key)+1:]
	if rest == "" {
		return ""
	}
	q := rest[0]
	if q != '"' && q != '\'' {
		end := strings.IndexAny(rest, " \t\n")
		if end < 0 {
			end = len(rest)
		}
		return html.UnescapeString(rest[:end])
	}
	end := strings.IndexByte(rest[1:], q)
	if end < 0 {
		return ""
	}
	return html.UnescapeString(rest[1 : 1+end])
}

// plainText is html's words without any markup, for a card's title.
func plainText(s string) string {
	var b strings.Builder
	for s != "" {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			b.WriteString(s)
			break
		}
		gt := strings.IndexByte(s[lt:], '>')
		if gt < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:lt])
		s = s[lt+gt+1:]
	}
	return html.UnescapeString(b.String())
}

// clipRunes shortens s to at most n runes, ending in "…" when cut.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// firstLine is s's first non-empty line, trimmed.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		if t := strings.TrimSpace(line); t != "" {
			return t
		}
	}
	return ""
}
