package importdoc_test

import (
	"os"
	"strings"
	"testing"

	"planbot/importdoc"
)

// BenchmarkImportDoc20k drafts a 20,000-character document: a long summary
// and a plan of many sections, made of the corpus's own paragraphs.
func BenchmarkImportDoc20k(b *testing.B) {
	var body strings.Builder
	for _, f := range []string{"moulue.txt", "mubiao.txt", "yaodian.txt", "web.txt", "xiabannian.txt"} {
		src, err := os.ReadFile("testdata/" + f)
		if err != nil {
			b.Fatal(err)
		}
		body.Write(src)
		body.WriteString("\n")
	}
	// Repeating the second half makes one long plan part of many sections.
	doc := []rune(body.String())
	for len(doc) < 20000 {
		doc = append(doc, doc[len(doc)/2:]...)
	}
	src := []byte(string(doc[:20000]))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := importdoc.Draft(src, importdoc.Options{Now: clock}); err != nil {
			b.Fatal(err)
		}
	}
}
