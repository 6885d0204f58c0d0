package telegramtest

import (
	"fmt"
	"html"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseHTML(t *testing.T) {
	tests := []struct {
		in, plain string
		ents      string // fmt of entities
		err       string
	}{
		{in: "plain", plain: "plain", ents: "[]"},
		{in: "<b>粗</b>体", plain: "粗体", ents: "[{bold 0 1  }]"},
		{in: "😀<i>x</i>", plain: "😀x", ents: "[{italic 2 1  }]"}, // UTF-16 offsets
		{in: "<B>x</B>", plain: "x", ents: "[{bold 0 1  }]"},
		{in: "<b><i>x</i>y</b>", plain: "xy", ents: "[{bold 0 2  } {italic 0 1  }]"},
		{in: `<a href="https://e.org/?a=1&amp;b=2">l</a>`, plain: "l", ents: "[{text_link 0 1 https://e.org/?a=1&b=2 }]"},
		{in: `<a href='x'>l</a>`, plain: "l", ents: "[{text_link 0 1 x }]"},
		{in: `<code class="language-go">f()</code>`, plain: "f()", ents: "[{code 0 3  go}]"},
		{in: `<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>`, plain: "st", ents: "[{spoiler 0 1  } {spoiler 1 1  }]"},
		{in: `<blockquote expandable>q</blockquote>`, plain: "q", ents: "[{expandable_blockquote 0 1  }]"},
		{in: "<s>a</s><strike>b</strike><del>c</del><u>d</u><ins>e</ins><em>f</em><strong>g</strong><pre>h</pre>", plain: "abcdefgh",
			ents: "[{strikethrough 0 1  } {strikethrough 1 1  } {strikethrough 2 1  } {underline 3 1  } {underline 4 1  } {italic 5 1  } {bold 6 1  } {pre 7 1  }]"},
		{in: "&lt;&gt;&amp;&quot;&#39;&#x4E2D;&#20013;", plain: `<>&"'中中`, ents: "[]"},
		{in: "a > b", plain: "a > b", ents: "[]"},
		{in: "<b>x</>", plain: "x", ents: "[{bold 0 1  }]"},
		{in: "<b></b>", plain: "", ents: "[]"},

		{in: "a < b", err: `Unsupported start tag "" at byte offset 2`},
		{in: "1<2", err: `Unclosed start tag at byte offset 1`},
		{in: "x<", err: `Unclosed start tag at byte offset 1`},
		{in: "<br>", err: `Unsupported start tag "br" at byte offset 0`},
		{in: "<b>x", err: `Can't find end tag corresponding to start tag "b"`},
		{in: "x</b>", err: `Unexpected end tag at byte offset 1`},
		{in: "<b>x</i>", err: `Unmatched end tag at byte offset 4, expected "</b>", found "</i>"`},
		{in: "<b>x</b", err: `Unclosed end tag at byte offset 4`},
		{in: `<span>x</span>`, err: `Tag "span" must have class "tg-spoiler" at byte offset 0`},
		{in: `<a href>x</a>`, err: `Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0`},
		{in: `<a href=x/y>l</a>`, err: `Unexpected end of name token at byte offset 8`},
		{in: "R&D", err: `unescaped "&" at byte offset 1 (write &amp;)`},
		{in: "&nbsp;", err: `unescaped "&" at byte offset 0 (write &amp;)`},
		{in: "&#0;", err: `unescaped "&" at byte offset 0 (write &amp;)`},
	}
	for _, tt := range tests {
		plain, ents, err := ParseHTML(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseHTML(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseHTML(%q): %v", tt.in, err)
			continue
		}
		if got := fmt.Sprint(ents); plain != tt.plain || (got != tt.ents && !(got == "[]" && len(ents) == 0 && tt.ents == "[]")) {
			t.Errorf("ParseHTML(%q) = %q %s, want %q %s", tt.in, plain, got, tt.plain, tt.ents)
		}
	}
}

func TestCommandEntities(t *testing.T) {
	got := fmt.Sprint(commandEntities("/report@planbot_bot 5 😀 /undo, a/b /"))
	want := "[{bot_command 0 19  } {bot_command 25 5  }]"
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// FuzzParseHTML: escaped text always parses back to itself, and entities
// of any accepted input lie within the text.
func FuzzParseHTML(f *testing.F) {
	for _, s := range []string{"", "a < b & c", "<b>x</b>", "😀<i>y</i>", `<a href="u">l</a>`, "&#x1F600;", "<b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if utf8.ValidString(s) {
			plain, ents, err := ParseHTML(html.EscapeString(s))
			if err != nil || plain != s || len(ents) != 0 {
				t.Fatalf("escaped %q: %q %v %v", s, plain, ents, err)
			}
		}
		plain, ents, err := ParseHTML(s)
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("empty error")
			}
			return
		}
		n := UTF16Len(plain)
		for _, e := range ents {
			if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > n {
				t.Fatalf("%q: entity %+v outside %d units", s, e, n)
			}
		}
	})
}
