package intake

import (
	"strconv"
	"strings"
	"unicode"
)

// ---------------------------------------------------------------------------
// Small helpers

func isDigit(r rune) bool  { return r >= '0' && r <= '9' }
func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// isNumeral reports whether r may be part of a Chinese numeral.
func isNumeral(r rune) bool {
	return strings.ContainsRune("零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟萬億", r)
}

func isDigitNumeral(r rune) bool {
	return strings.ContainsRune("零〇一二三四五六七八九壹贰叁肆伍陆柒捌玖", r)
}

// isSep reports whether r separates words: space, punctuation, symbols.
func isSep(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
}

// isJoiner reports whether r is punctuation that only joined a removed
// token to the text around it.
func isJoiner(r rune) bool {
	return strings.ContainsRune(",，:：;；、.。!！?？【】[]()（）", r)
}

func allPunct(rs []rune) bool {
	for _, r := range rs {
		if !unicode.IsPunct(r) && !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// pctText formats a percentage without trailing zeros: 60, 60.5.
func pctText(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func unitName(u string) string {
	if u == "" {
		return "纯数字"
	}
	return u
}

// clipText shortens user text quoted in a Problem.
func clipText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if r := []rune(s); len(r) > 20 {
		return string(r[:20]) + "…"
	}
	return s
}
