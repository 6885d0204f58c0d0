package intake

import (
	"strings"
	"unicode"
)

// note is the text outside the used tokens, as written. Each remaining
// piece is trimmed of spaces, and of the punctuation that joined it to a
// removed token ("进度60%，已签约" → "已签约"); pieces are joined by a space.
func (p *reader) note() string {
	n := len(p.rs)
	used := make([]bool, n)
	cut := false
	for i := range p.toks {
		t := &p.toks[i]
		if (t.used && !t.keep) || t.kind == tokMention {
			for k := t.start; k < t.end && k < n; k++ {
				used[k] = true
			}
			cut = true
		}
	}
	if p.hasSubject {
		for k := p.subject[0]; k < p.subject[1]; k++ {
			used[k] = true
		}
		cut = true
	}
	if !cut {
		return strings.TrimSpace(p.text)
	}
	var b strings.Builder
	for i := 0; i < n; {
		if used[i] {
			i++
			continue
		}
		j := i
		for j < n && !used[j] {
			j++
		}
		a, z := i, j
		for {
			for a < z && unicode.IsSpace(p.rs[a]) {
				a++
			}
			for z > a && unicode.IsSpace(p.rs[z-1]) {
				z--
			}
			trimmed := false
			if i > 0 && a < z && isJoiner(p.rs[a]) {
				a++
				trimmed = true
			}
			if j < n && z > a && isJoiner(p.rs[z-1]) {
				z--
				trimmed = true
			}
			if !trimmed {
				break
			}
		}
		if a < z && !allPunct(p.rs[a:z]) && !particles(p.rs[a:z]) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(p.text[p.off[a]:p.off[z]])
		}
		i = j
	}
	return b.String()
}

// particles reports whether rs is only sentence-final particles and
// punctuation: the 了 of "60%了" is no note.
func particles(rs []rune) bool {
	for _, r := range rs {
		if !strings.ContainsRune("了啦咯喽哈呀啊哦嘞哟噢", r) && !unicode.IsPunct(r) && !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}
