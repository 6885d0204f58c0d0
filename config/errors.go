package config

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Error is one problem in a configuration file: where it is and what is
// wrong. Messages are in Chinese because admins read them, on the command
// line and in the admin chat after /reload.
type Error struct {
	File string
	Line int    // 0 when the problem is the file as a whole
	Key  string // path of the key, e.g. "items[3].due"
	Msg  string
}

func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one load, in file and line order.
type Errors []Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es *Errors) add(file string, line int, key, msg string) {
	*es = append(*es, Error{File: file, Line: line, Key: key, Msg: tokenLike.ReplaceAllString(msg, "[令牌已隐去]")})
}

// tokenLike is a Telegram bot token (bot id, colon, 35 characters): a
// message quotes values, and one pasted or included by mistake must not
// reach the admin chat or the log.
var tokenLike = regexp.MustCompile(`[0-9]{5,}:[A-Za-z0-9_-]{30,}`)

// sorted orders problems by file (in the order the files were read) and line.
func (es Errors) sorted(fileRank map[string]int) Errors {
	out := slices.Clone(es)
	slices.SortStableFunc(out, func(a, b Error) int {
		return cmp.Or(cmp.Compare(fileRank[a.File], fileRank[b.File]), cmp.Compare(a.Line, b.Line))
	})
	return out
}
