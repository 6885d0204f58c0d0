package chart

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	stdfont "golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/font/liberation"
)

// FontInfo is the font Digest draws with.
type FontInfo struct {
	// CJK is true when a font with Chinese glyphs was found. When false,
	// every label is in ASCII: indicators numbered in plan order (#1)
	// instead of their names, section codes instead of titles, statuses
	// in English words, figures without their unit ("3.4 / 6.5").
	CJK  bool
	Path string // the font file; "" without a CJK font
	Name string // the face's full name, e.g. "WenQuanYi Micro Hei"
	// Reason says why no CJK font is used ("" when CJK is true).
	Reason string
}

func (f FontInfo) String() string {
	if f.CJK {
		return fmt.Sprintf("%s (%s)", f.Name, f.Path)
	}
	return "no CJK font, ASCII labels: " + f.Reason
}

// knownFonts are tried first, in order, before the walk of fontDirs. Each
// is a filepath.Glob pattern. The first file holding a face with glyphs for
// probe wins.
var knownFonts = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", // Debian/Ubuntu fonts-wqy-microhei
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",   // Debian/Ubuntu fonts-wqy-zenhei
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK*-Regular.ot[fc]",
	"/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/truetype/noto/NotoSans*CJK*-Regular.tt[fc]",
	"/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", // Arch noto-fonts-cjk
	"/usr/share/fonts/noto-cjk/NotoSans*CJK*-Regular.[ot]t[fc]",
	"/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", // Fedora
	"/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
	"/usr/share/fonts/wenquanyi/wqy-zenhei/wqy-zenhei.ttc",
}

// fontDirs are walked after knownFonts for files whose name contains one of
// fontNameParts (any case) and ends in one of fontExts: regular weights
// first, then by path.
var (
	fontDirs      = []string{"/usr/share/fonts", "/usr/local/share/fonts"}
	fontNameParts = []string{"cjk", "wqy", "hei", "song"}
	fontExts      = []string{".ttf", ".ttc", ".otf", ".otc"}
)

// probe is what a face must be able to draw to be used.
const probe = "中文"

// maxFontSize bounds what is read into memory (Noto Sans CJK is ~20 MB).
const maxFontSize = 64 << 20

// fontSet is a resolved font choice, cached per Options.FontPath for the
// life of the process: fonts are big, and the warning is said once.
type fontSet struct {
	info    FontInfo
	regular *opentype.Font
	bold    *opentype.Font // nil: draw regular twice, slightly shifted
}

var (
	fontMu sync.Mutex
	fonts  = map[string]*fontSet{}
)

// FontStatus says which font Digest draws with under opts, or that none was
// found and labels fall back to ASCII. The font is looked up once per
// process for each FontPath; a fallback is logged then, once, with
// slog.Warn to opts.Log (slog.Default() when nil).
func FontStatus(opts Options) FontInfo { return resolveFont(opts).info }

func resolveFont(opts Options) *fontSet {
	fontMu.Lock()
	defer fontMu.Unlock()
	if fs, ok := fonts[opts.FontPath]; ok {
		return fs
	}
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	fs := loadFont(opts.FontPath)
	if fs.info.CJK {
		log.Debug("chart font", "font", fs.info.Name, "path", fs.info.Path)
	} else {
		log.Warn("chart: no CJK font; labels fall back to ASCII (install fonts-wqy-microhei, or set the font path)",
			"font_path", opts.FontPath, "reason", fs.info.Reason)
	}
	fonts[opts.FontPath] = fs
	return fs
}

// loadFont finds the font for path ("" = search) or the ASCII fallback.
func loadFont(path string) *fontSet {
	if path != "" {
		f, name, err := openCJK(path)
		if err != nil {
			return fallbackFont(err.Error())
		}
		return &fontSet{info: FontInfo{CJK: true, Path: path, Name: name}, regular: f}
	}
	tried := 0
	var firstErr error
	for _, p := range fontCandidates() {
		tried++
		f, name, err := openCJK(p)
		if err == nil {
			return &fontSet{info: FontInfo{CJK: true, Path: p, Name: name}, regular: f}
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if tried == 0 {
		return fallbackFont("none of the usual CJK font files exists (e.g. " + knownFonts[0] + ")")
	}
	return fallbackFont(fmt.Sprintf("%d candidate file(s), none usable; first: %v", tried, firstErr))
}

// fontCandidates lists existing files in search order, each once.
func fontCandidates() []string {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, pat := range knownFonts {
		matches, _ := filepath.Glob(pat)
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
				add(m)
			}
		}
	}
	var walked []string
	for _, dir := range fontDirs {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !d.Type().IsRegular() {
				return nil // unreadable parts of the tree are skipped
			}
			name := strings.ToLower(d.Name())
			if !slices.Contains(fontExts, filepath.Ext(name)) {
				return nil
			}
			for _, part := range fontNameParts {
				if strings.Contains(name, part) {
					walked = append(walked, p)
					break
				}
			}
			return nil
		})
	}
	slices.SortStableFunc(walked, func(a, b string) int { return weightRank(a) - weightRank(b) })
	for _, p := range walked {
		add(p)
	}
	return out
}

// weightRank puts regular weights before bold, light and the like.
func weightRank(path string) int {
	name := strings.ToLower(filepath.Base(path))
	for _, w := range []string{"bold", "black", "heavy", "light", "thin", "medium", "semibold", "demi"} {
		if strings.Contains(name, w) {
			return 1
		}
	}
	return 0
}

// openCJK parses the font or collection at path and returns its first face
// that draws probe, preferring a Simplified Chinese face of a pan-CJK
// collection (Noto Sans CJK lists its Japanese face first).
func openCJK(path string) (*opentype.Font, string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, "", err
	}
	if st.Size() > maxFontSize {
		return nil, "", fmt.Errorf("%s: %d bytes, too big for a font", path, st.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	coll, err := opentype.ParseCollection(data)
	if err != nil {
		return nil, "", fmt.Errorf("%s: not a TrueType/OpenType font: %w", path, err)
	}
	var (
		buf       sfnt.Buffer
		first     *opentype.Font
		firstName string
	)
	for i := range coll.NumFonts() {
		f, err := coll.Font(i)
		if err != nil {
			// x/image/font/sfnt wants every table on a 4-byte boundary
			// (golang/go#46384), which the WenQuanYi fonts, the usual
			// Chinese fonts of Debian and Ubuntu, do not keep. Copy the
			// face's tables to aligned offsets and try again.
			fixed, ferr := realign(data, i)
			if ferr != nil {
				continue
			}
			if f, err = opentype.Parse(fixed); err != nil {
				continue
			}
		}
		if !covers(f, &buf, probe) {
			continue
		}
		name, _ := f.Name(&buf, sfnt.NameIDFull)
		if name == "" {
			name = filepath.Base(path)
		}
		if isSimplified(name) {
			return f, name, nil
		}
		if first == nil {
			first, firstName = f, name
		}
	}
	if first == nil {
		return nil, "", fmt.Errorf("%s: no face has glyphs for %s", path, probe)
	}
	return first, firstName, nil
}

func isSimplified(name string) bool {
	for _, s := range []string{" SC", " CN", " GB", "Hans"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// covers reports whether f has a glyph for every rune of s.
func covers(f *opentype.Font, buf *sfnt.Buffer, s string) bool {
	for _, r := range s {
		if r == ' ' {
			continue
		}
		if i, err := f.GlyphIndex(buf, r); err != nil || i == 0 {
			return false
		}
	}
	return true
}

// fallbackFont is Liberation Sans, built into gonum/plot: ASCII only.
func fallbackFont(reason string) *fontSet {
	fs := &fontSet{info: FontInfo{Reason: reason}}
	for _, f := range liberation.Collection() {
		if f.Font.Variant != "Sans" || f.Font.Style != stdfont.StyleNormal {
			continue
		}
		switch f.Font.Weight {
		case stdfont.WeightNormal:
			fs.regular = f.Face
		case stdfont.WeightBold:
			fs.bold = f.Face
		}
	}
	if fs.regular == nil {
		panic(errors.New("chart: gonum/plot's Liberation Sans is missing"))
	}
	return fs
}

// face is fs at size px (the canvas is 72 dpi: a point is a pixel).
func (fs *fontSet) face(size float64, bold bool) font.Face {
	f := fs.regular
	if bold && fs.bold != nil {
		f = fs.bold
	}
	return font.Face{Font: font.Font{Typeface: "planbot", Size: font.Length(size)}, Face: f}
}

// realign returns face i of the font or collection data as a standalone
// font whose tables start on 4-byte boundaries, as the OpenType spec asks
// and x/image/font/sfnt insists. Checksums are not recomputed: nothing here
// reads them.
func realign(data []byte, i int) ([]byte, error) {
	bad := errors.New("malformed font directory")
	u32 := func(o int) (uint32, bool) {
		if o < 0 || o+4 > len(data) {
			return 0, false
		}
		return binary.BigEndian.Uint32(data[o:]), true
	}
	off := 0
	if len(data) >= 12 && string(data[:4]) == "ttcf" {
		n, _ := u32(8)
		if i < 0 || uint32(i) >= n {
			return nil, bad
		}
		o, ok := u32(12 + 4*i)
		if !ok {
			return nil, bad
		}
		off = int(o)
	} else if i != 0 {
		return nil, bad
	}
	if off+12 > len(data) {
		return nil, bad
	}
	numTables := int(binary.BigEndian.Uint16(data[off+4:]))
	dir := off + 12
	if numTables == 0 || dir+16*numTables > len(data) {
		return nil, bad
	}
	size := 12 + 16*numTables
	for k := range numTables {
		o, _ := u32(dir + 16*k + 8)
		n, _ := u32(dir + 16*k + 12)
		if uint64(o)+uint64(n) > uint64(len(data)) {
			return nil, bad
		}
		size += int(n+3) &^ 3
	}
	out := make([]byte, 12+16*numTables, size)
	copy(out, data[off:off+12+16*numTables])
	for k := range numTables {
		e := 12 + 16*k
		o := binary.BigEndian.Uint32(out[e+8:])
		n := binary.BigEndian.Uint32(out[e+12:])
		binary.BigEndian.PutUint32(out[e+8:], uint32(len(out)))
		out = append(out, data[o:o+n]...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out, nil
}
