package ledger

import "strconv"

// Book is a ledger laid out, sheet by sheet and cell by cell: everything
// ledger/xlsx needs to write the workbook, in plain values only, so that
// it crosses to planbot-render (encoding/gob) as it is.
type Book struct {
	Props  Props
	Styles []Style // a cell's Style n > 0 is Styles[n-1]; 0 is the default
	Sheets []Sheet // in order; the first is the one a reader opens on
}

// Props are the workbook's document properties.
type Props struct {
	Title, Subject, Creator, Description string
	Created, Modified                    string // RFC 3339
	Language                             string
}

// Style is a cell's look. Colours are RGB hex, "" for none.
type Style struct {
	Bold         bool
	FontColor    string
	Fill         string // a solid fill
	BottomBorder string // a thin line under the cell
	Horizontal   string // "", "left", "center" or "right"
	Vertical     string // "", "top" or "center"
	Wrap         bool
	NumFmt       string // an Excel number format; "" is General
}

// Sheet is one table. Its first row is the header: frozen, filtered, and
// printed atop every page; a sheet prints landscape, one page wide.
type Sheet struct {
	Name    string
	Widths  []float64 // each column's width, in characters
	Rows    [][]Cell
	Heights []float64 // each row's height in points; 0 is the default
}

// Cell is one cell: Value is nil (empty), a string (always text, never a
// formula), a float64 or an int; dates are Excel serial numbers with a
// date format.
type Cell struct {
	Style int
	Value any
}

// CellName is the A1 name of the cell at col and row (both from 1):
// CellName(28, 3) is "AB3".
func CellName(col, row int) string {
	var letters []byte
	for ; col > 0; col = (col - 1) / 26 {
		letters = append([]byte{byte('A' + (col-1)%26)}, letters...)
	}
	return string(letters) + strconv.Itoa(row)
}
