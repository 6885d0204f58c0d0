package planbot

import "testing"

func TestEvidence(t *testing.T) {
	ids := []string{"AgACAgUAAx", DocumentEvidence("BQACAgUAAx"), "AgACAgUAAy", VideoEvidence("BAACAgUAAx")}
	if got := EvidenceSummary(ids); got != "照片 2 张、文件 1 份、视频 1 段" {
		t.Errorf("summary = %q", got)
	}
	if got := EvidenceSummary(nil); got != "" {
		t.Errorf("summary of none = %q", got)
	}
	for id, want := range map[string]EvidenceKind{"AgACAgUAAx": EvidencePhoto, ids[1]: EvidenceDocument, ids[3]: EvidenceVideo} {
		if k, f := KindOf(id); k != want || f == "" || f[0] == 'd' || f[0] == 'v' {
			t.Errorf("KindOf(%q) = %v, %q", id, k, f)
		}
	}
	if EvidenceNoun(ids[1]) != "这份文件" || EvidenceNoun(ids[0]) != "这张照片" || EvidenceNoun(ids[3]) != "这段视频" {
		t.Error("nouns")
	}
}
