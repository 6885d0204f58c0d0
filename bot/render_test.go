package bot

import (
	"strings"
	"testing"
	"unicode/utf8"

	"planbot"
	"planbot/telegram/telegramtest"
)

func TestSplitKeepsEveryPartValid(t *testing.T) {
	line := "<b>2.3</b> " + esc("协调推进XX项目 <script> & “引号” 🦀") + "\n"
	long := strings.Repeat(line, 400) // far over 4096
	hostile := strings.Repeat("&amp;<b>", 1) + strings.Repeat("蟹&amp;", 3000) + "</b>\n"
	tests := []struct {
		name string
		text string
	}{
		{"many short lines", long},
		{"one huge line with tags and entities", hostile},
		{"short", "<b>ok</b>"},
		{"emoji at every boundary", strings.Repeat("🦀", 5000)},
	}
	// Telegram's limit on a message's text, as its HTML parser (telegramtest)
	// checks the parts.
	const limit = 4096
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := planbot.SplitMessage(tt.text, limit)
			var plainAll strings.Builder
			for i, p := range parts {
				if n := telegramtest.UTF16Len(p); n > limit {
					t.Errorf("part %d has %d UTF-16 units", i, n)
				}
				if !utf8.ValidString(p) {
					t.Errorf("part %d is not valid UTF-8 (cut inside a rune)", i)
				}
				plain, _, err := telegramtest.ParseHTML(p)
				if err != nil {
					t.Errorf("part %d would be refused by Telegram: %v", i, err)
				}
				plainAll.WriteString(plain)
			}
			want, _, _ := telegramtest.ParseHTML(tt.text)
			got := strings.ReplaceAll(plainAll.String(), "\n", "")
			if got != strings.ReplaceAll(want, "\n", "") {
				t.Errorf("text was lost or changed in splitting (%d → %d runes)", utf8.RuneCountInString(want), utf8.RuneCountInString(got))
			}
		})
	}
}

func TestEscapeInvalidUTF8(t *testing.T) {
	got := esc("2.3 \xff\xfe <b>")
	if !utf8.ValidString(got) || strings.Contains(got, "<b>") {
		t.Errorf("esc = %q, want valid UTF-8 with the tag escaped", got)
	}
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in, name, args string
		ok             bool
	}{
		{"/report 2.3 60%", "report", "2.3 60%", true},
		{"/report@planbot_bot 2.3", "report", "2.3", true},
		{"/汇报 2.3 60%", "汇报", "2.3 60%", true},
		{"汇报 2.3 60%", "report", "2.3 60%", true},
		{"我的", "mine", "", true},
		{"/START abc123", "start", "abc123", true},
		{"2.3 进度60%", "", "", false},
		{"汇报：2.3 60%", "", "", false},
	}
	for _, tt := range tests {
		name, args, ok := splitCommand(tt.in)
		if name != tt.name || args != tt.args || ok != tt.ok {
			t.Errorf("splitCommand(%q) = %q, %q, %v; want %q, %q, %v", tt.in, name, args, ok, tt.name, tt.args, tt.ok)
		}
	}
}
