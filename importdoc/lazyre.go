package importdoc

import (
	"regexp"
	"sync"
)

// lazyRegexp is a regular expression compiled on first use. import-doc is
// one command of a binary whose every process (run's included) compiled
// its eighty expressions at start: 5 ms and 0.9 MB of heap that run never
// uses (issue 15). TestExpressionsCompile compiles them all.
type lazyRegexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

// allExpressions is every lazyRegexp made, for TestExpressionsCompile.
var allExpressions []*lazyRegexp

func lazyCompile(expr string) *lazyRegexp {
	l := &lazyRegexp{expr: expr}
	allExpressions = append(allExpressions, l)
	return l
}

func (l *lazyRegexp) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.expr) })
	return l.re
}

func (l *lazyRegexp) MatchString(s string) bool { return l.get().MatchString(s) }

func (l *lazyRegexp) FindStringSubmatch(s string) []string { return l.get().FindStringSubmatch(s) }

func (l *lazyRegexp) FindStringIndex(s string) []int { return l.get().FindStringIndex(s) }

func (l *lazyRegexp) FindStringSubmatchIndex(s string) []int {
	return l.get().FindStringSubmatchIndex(s)
}

func (l *lazyRegexp) FindAllStringIndex(s string, n int) [][]int {
	return l.get().FindAllStringIndex(s, n)
}

func (l *lazyRegexp) FindAllStringSubmatchIndex(s string, n int) [][]int {
	return l.get().FindAllStringSubmatchIndex(s, n)
}

func (l *lazyRegexp) ReplaceAllString(src, repl string) string {
	return l.get().ReplaceAllString(src, repl)
}
