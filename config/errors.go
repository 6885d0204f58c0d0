package config

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
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

// yamlMessagesZH translates the yaml library's syntax messages that admins
// meet; a message not listed is shown as the library wrote it.
var yamlMessagesZH = map[string]string{
	"could not find expected ':'":                                  "找不到键后面的冒号“:”",
	"did not find expected key":                                    "这里应是一个键（如 title:），缩进可能没有对齐",
	"mapping values are not allowed in this context":               "这里不能再出现“键: 值”",
	"found character that cannot start any token":                  "有不能出现在这里的字符",
	"found a tab character where an indentation space is expected": "缩进里有 Tab",
	"found a tab character that violates indentation":              "缩进里有 Tab",
	"did not find expected '-' indicator":                          "列表里的这一行应以“- ”开头，或者缩进没有对齐",
	"did not find expected ',' or ']'":                             "方括号 [ ] 没有闭合，或元素之间缺少半角逗号“,”",
	"did not find expected ',' or '}'":                             "花括号 { } 没有闭合，或元素之间缺少半角逗号“,”",
	"found unexpected end of stream":                               "文件在引号或括号闭合之前就结束了：请检查引号是否成对",
	"did not find expected node content":                           "这里缺少内容",
	"found unknown escape character":                               "双引号里有无效的反斜杠转义：含 \\ 的值请改用单引号",
	"did not find expected alphabetic or numeric character":        "以 * 或 & 开头的值要加引号",
	"invalid leading UTF-8 octet":                                  "文件不是 UTF-8 编码：请用 UTF-8 保存",
	"invalid trailing UTF-8 octet":                                 "文件不是 UTF-8 编码：请用 UTF-8 保存",
	"control characters are not allowed":                           "文件里有控制字符（可能不是 UTF-8 编码）",
}

var (
	keyNoSpace   = regexp.MustCompile(`^\s*(?:-\s+)?([A-Za-z_][A-Za-z0-9_.-]*):([^\s/:])`)
	colonInValue = regexp.MustCompile(`^\s*(?:-\s+)?([A-Za-z_][A-Za-z0-9_.-]*):\s+([^"'\s|>].*?):(\s|$)`)
	tabIndent    = regexp.MustCompile(`^[ ]*(?:-[ ]*)?\t`)
)

// yamlSyntax explains a yaml syntax error in Chinese: the line where the
// document stops parsing (the library often names the line its block
// began on instead) and, when that line or the one before it shows it, the
// likely cause: a full-width colon, a tab, a missing space after ":", a
// colon inside a value.
func yamlSyntax(data []byte, err error) (int, string) {
	text := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(text); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	raw := strings.TrimPrefix(text, "yaml: ")
	raw = strings.TrimSpace(yamlLine.ReplaceAllString(raw, ""))
	raw = strings.TrimPrefix(raw, ": ")
	lines := strings.Split(string(data), "\n")
	if line > 0 {
		line = firstBadLine(lines, raw, line)
	}
	what, ok := yamlMessagesZH[raw]
	if !ok {
		for en, zh := range yamlMessagesZH { // "invalid leading UTF-8 octet" and the like carry a position
			if strings.HasPrefix(raw, en) {
				what, ok = zh, true
			}
		}
	}
	if !ok {
		what = raw
	}
	msg := "YAML 格式错误：" + what
	if line > 0 && line <= len(lines) {
		for _, n := range []int{line, previousContent(lines, line)} {
			if n <= 0 {
				continue
			}
			if cause := likelyCause(lines[n-1], raw); cause != "" {
				return n, msg + "。" + cause
			}
		}
		if cause := indentCause(lines, line); cause != "" {
			return line, msg + "。" + cause
		}
	}
	return line, msg
}

// likelyCause is what on this line most likely broke the syntax, or "".
func likelyCause(l, raw string) string {
	code := l
	if i := strings.Index(code, " #"); i >= 0 {
		code = code[:i]
	}
	switch {
	case tabIndent.MatchString(code):
		return "这一行用 Tab 缩进：YAML 只认空格，请把 Tab 换成空格"
	case fullWidthKeyColon(code):
		return "这一行用了全角冒号“：”：请改成半角冒号“:”，后面加一个空格"
	case keyNoSpace.MatchString(code):
		key := keyNoSpace.FindStringSubmatch(code)[1]
		return "“" + key + ":” 后面缺少空格：应写成 “" + key + ": 值”"
	case raw == "mapping values are not allowed in this context" && colonInValue.MatchString(code):
		key := colonInValue.FindStringSubmatch(code)[1]
		return "值里又有“: ”：含冒号的值请整个加引号，如 " + key + `: "…: …"`
	}
	return ""
}

// fullWidthKeyColon: a "：" where the key's colon belongs, before any ":".
func fullWidthKeyColon(l string) bool {
	i := strings.Index(l, "：")
	if i < 0 {
		return false
	}
	before := strings.TrimSpace(l[:i])
	before = strings.TrimSpace(strings.TrimPrefix(before, "-"))
	return before != "" && !strings.ContainsAny(before, `:"'`)
}

// previousContent is the number of the last line before n that is neither
// blank nor a comment, or 0.
func previousContent(lines []string, n int) int {
	for i := n - 2; i >= 0; i-- {
		if t := strings.TrimSpace(lines[i]); t != "" && !strings.HasPrefix(t, "#") {
			return i + 1
		}
	}
	return 0
}

// firstBadLine is the first line from which the document fails with the
// same message: the smallest n >= from whose first n lines fail so. The
// search is a bisection (a config of thousands of lines is parsed a dozen
// times); if its answer does not check out, from is kept.
func firstBadLine(lines []string, raw string, from int) int {
	fails := func(n int) bool {
		var doc yaml.Node
		err := yaml.Unmarshal([]byte(strings.Join(lines[:n], "\n")+"\n"), &doc)
		return err != nil && strings.HasSuffix(err.Error(), raw)
	}
	lo, hi := from, len(lines)
	if hi < lo || !fails(hi) {
		return from
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo > from && fails(lo-1) {
		return from
	}
	return lo
}

// indentCause names an indentation that matches neither the line before
// it nor a level that can follow it, the usual reason for "did not find
// expected key" and its kin: a key one space off.
func indentCause(lines []string, n int) string {
	prev := previousContent(lines, n)
	if prev == 0 || n > len(lines) {
		return ""
	}
	indent := func(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }
	p, c := lines[prev-1], lines[n-1]
	pi, ci := indent(p), indent(c)
	if t := strings.TrimLeft(p, " "); strings.HasPrefix(t, "- ") {
		pi += 2 // a key after "- " sits two columns in
	}
	if ci == pi || strings.HasSuffix(strings.TrimSpace(p), ":") {
		return ""
	}
	return fmt.Sprintf("这一行缩进 %d 个空格，上一行是 %d 个：同一层的键要对齐", ci, pi)
}
