package planbot

import (
	"fmt"
	"strings"
)

// Evidence (佐证材料) is kept in Report.PhotoIDs as the platform's
// reference to the file, opaque to the domain: the adapter that received
// it makes it (starting with its platform's name, "telegram:…") and is the
// one that can fetch it. A photo's reference is stored as it is; a
// document's or a video's carries its kind as a prefix. No platform is
// named "doc" or "video", so the prefix is unambiguous.
const (
	documentPrefix = "doc:"
	videoPrefix    = "video:"
)

// EvidenceKind says what an evidence id is.
type EvidenceKind int

const (
	EvidencePhoto EvidenceKind = iota
	EvidenceDocument
	EvidenceVideo
)

// DocumentEvidence and VideoEvidence make the stored id of a document or
// video file from the platform's reference to it.
func DocumentEvidence(fileID string) string { return documentPrefix + fileID }
func VideoEvidence(fileID string) string    { return videoPrefix + fileID }

// KindOf returns what id is and the platform's reference to the file.
func KindOf(id string) (EvidenceKind, string) {
	if f, ok := strings.CutPrefix(id, documentPrefix); ok {
		return EvidenceDocument, f
	}
	if f, ok := strings.CutPrefix(id, videoPrefix); ok {
		return EvidenceVideo, f
	}
	return EvidencePhoto, id
}

// EvidenceSummary says how much evidence ids hold, in Chinese: "照片 2 张",
// "文件 1 份、视频 1 段"; "" for none.
func EvidenceSummary(ids []string) string {
	var n [3]int
	for _, id := range ids {
		k, _ := KindOf(id)
		n[k]++
	}
	var parts []string
	for k, f := range []string{"照片 %d 张", "文件 %d 份", "视频 %d 段"} {
		if n[k] > 0 {
			parts = append(parts, fmt.Sprintf(f, n[k]))
		}
	}
	return strings.Join(parts, "、")
}

// EvidenceNoun names one piece of evidence of id's kind: "这张照片",
// "这份文件", "这段视频".
func EvidenceNoun(id string) string {
	switch k, _ := KindOf(id); k {
	case EvidenceDocument:
		return "这份文件"
	case EvidenceVideo:
		return "这段视频"
	}
	return "这张照片"
}
