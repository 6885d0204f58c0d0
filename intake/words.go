package intake

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"planbot"
)

// wrappedCodeRef is codeRef with what may wrap a code (【2.3】, 第2.3项),
// for taking codes out of the words a report keeps.
var wrappedCodeRef = regexp.MustCompile(`[【\[]?第?\s*([0-9]+|[一二三四五六七八九十])\s*[.。．\-—－]\s*([0-9]+)\s*项?[】\]]?`)

// codeAt is one item code found in a text, at text[start:end].
type codeAt struct {
	code       string
	start, end int
}

// codeRefs finds the codes of plan's items in text with re (codeRef or
// wrappedCodeRef): 2.3, 2。3, 二.3, but not 12.3 inside a number, 3.2亿
// (money) or 2.35.
func codeRefs(text string, plan *planbot.Plan, re *regexp.Regexp) []codeAt {
	var refs []codeAt
	for _, m := range re.FindAllStringSubmatchIndex(text, -1) {
		major := text[m[2]:m[3]]
		if n := strings.Index("一二三四五六七八九", major); n >= 0 && len(major) == len("一") {
			major = string(rune('1' + n/len("一")))
		}
		code := major + "." + text[m[4]:m[5]]
		if _, ok := plan.Item(code); !ok {
			continue
		}
		if m[0] > 0 {
			if prev, _ := utf8.DecodeLastRuneInString(text[:m[0]]); unicode.IsDigit(prev) || prev == '.' || prev == '@' {
				continue
			}
		}
		if next, _ := utf8.DecodeRuneInString(text[m[1]:]); unicode.IsDigit(next) || next == '.' || strings.ContainsRune("亿万元%", next) {
			continue // 3.2亿 is money, 2.35 no code
		}
		refs = append(refs, codeAt{code, m[0], m[1]})
	}
	return refs
}

// WordsAbout is what text (a message, as sent) says about the item code,
// kept with the report as the cadre wrote it: the whole message without
// its command and item codes, or, when it reports on several items, the
// part from this item's code up to the next item that has words of its
// own ("2.3 60% 2.5 40% 已签约" gives 2.3 "60%"; "2.3、2.5都完成了" gives
// both "都完成了"). "" when the message said nothing but the code
// (/done 2.3): the figures stand for it. Spaces collapse; lines stay.
func WordsAbout(text, code string, plan *planbot.Plan) string {
	t := strings.TrimSpace(text)
	if strings.HasPrefix(t, "/") {
		_, t, _ = strings.Cut(t, " ")
	} else if rest, ok := strings.CutPrefix(t, "汇报 "); ok {
		t = rest
	}
	refs := codeRefs(t, plan, wrappedCodeRef)
	i := slices.IndexFunc(refs, func(r codeAt) bool { return r.code == code })
	start, end := 0, len(t)
	if i > 0 {
		start = refs[i].start
	}
	if i >= 0 {
		for j := i + 1; j < len(refs); j++ {
			if strings.Trim(t[refs[j-1].end:refs[j].start], "、，,和及与跟 \t") != "" {
				end = refs[j].start
				break
			}
		}
	}
	var sb strings.Builder
	at := start
	for _, r := range refs {
		if r.start >= start && r.end <= end {
			sb.WriteString(t[at:r.start])
			sb.WriteString(" ")
			at = r.end
		}
	}
	sb.WriteString(t[at:end])
	// A list of 27 lines is filed (ledger) as 27 lines.
	var lines []string
	for _, line := range strings.Split(sb.String(), "\n") {
		if line = strings.Join(strings.Fields(line), " "); line != "" {
			lines = append(lines, line)
		}
	}
	return strings.Trim(strings.Join(lines, "\n"), " \n、，,；;：:")
}
