package importdoc

import (
	"regexp"
	"testing"
)

// Every expression compiles: compiled on first use, a bad one would
// otherwise fail only on the document that reaches it.
func TestExpressionsCompile(t *testing.T) {
	if len(allExpressions) < 50 {
		t.Fatalf("only %d expressions registered", len(allExpressions))
	}
	for _, l := range allExpressions {
		if _, err := regexp.Compile(l.expr); err != nil {
			t.Errorf("%q: %v", l.expr, err)
		}
	}
}
