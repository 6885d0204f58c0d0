// Package xlsx writes a laid-out ledger (ledger.Book) as an Excel
// workbook. It is the only package that links the spreadsheet library,
// and only planbot-render (and the tests) import it: `planbot run` lays a
// ledger out and hands the Book to planbot-render (issue 15).
package xlsx

import (
	"bytes"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"planbot/ledger"
)

// Write writes book to w as an .xlsx workbook. Rows are streamed: a
// ledger of 50,000 reports stays at tens of megabytes where setting cells
// one by one took ten times as much.
func Write(w io.Writer, book *ledger.Book) error {
	if len(book.Sheets) == 0 {
		return fmt.Errorf("xlsx: a workbook needs a sheet")
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", book.Sheets[0].Name); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	styles := make([]int, len(book.Styles)+1)
	for i, st := range book.Styles {
		id, err := f.NewStyle(excelStyle(st))
		if err != nil {
			return fmt.Errorf("xlsx: style %d: %w", i+1, err)
		}
		styles[i+1] = id
	}
	for i, s := range book.Sheets {
		if err := writeSheet(f, s, i == 0, styles); err != nil {
			return fmt.Errorf("xlsx: sheet %s: %w", s.Name, err)
		}
	}
	p := book.Props
	if err := f.SetDocProps(&excelize.DocProperties{Title: p.Title, Subject: p.Subject, Creator: p.Creator,
		Description: p.Description, Created: p.Created, Modified: p.Modified, Language: p.Language}); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	f.SetActiveSheet(0)
	if err := f.Write(w); err != nil {
		return fmt.Errorf("xlsx: write workbook: %w", err)
	}
	return nil
}

// Bytes is Write into memory.
func Bytes(book *ledger.Book) ([]byte, error) {
	var buf bytes.Buffer
	if err := Write(&buf, book); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func excelStyle(st ledger.Style) *excelize.Style {
	out := &excelize.Style{Alignment: &excelize.Alignment{Horizontal: st.Horizontal, Vertical: st.Vertical, WrapText: st.Wrap}}
	if st.Bold || st.FontColor != "" {
		out.Font = &excelize.Font{Bold: st.Bold, Color: st.FontColor}
	}
	if st.Fill != "" {
		out.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{st.Fill}}
	}
	if st.BottomBorder != "" {
		out.Border = []excelize.Border{{Type: "bottom", Color: st.BottomBorder, Style: 1}}
	}
	if st.NumFmt != "" {
		out.CustomNumFmt = &st.NumFmt
	}
	return out
}

// writeSheet writes one sheet: what the stream writer writes before the
// rows (sheetPr) or copies from the sheet at Flush (autoFilter,
// pageSetup) is set first.
func writeSheet(f *excelize.File, s ledger.Sheet, first bool, styles []int) error {
	if !first { // the first sheet exists already
		if _, err := f.NewSheet(s.Name); err != nil {
			return err
		}
	}
	last := ledger.CellName(len(s.Widths), len(s.Rows))
	// The stream writer would leave the dimension at A1, and some readers
	// trust it.
	if err := f.SetSheetDimension(s.Name, "A1:"+last); err != nil {
		return err
	}
	if err := f.AutoFilter(s.Name, "A1:"+last, nil); err != nil {
		return err
	}
	// Printed, a ledger is landscape, one page wide, its header on every page.
	landscape, one, tall, fit := "landscape", 1, 0, true
	if err := f.SetPageLayout(s.Name, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &one, FitToHeight: &tall}); err != nil {
		return err
	}
	if err := f.SetSheetProps(s.Name, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + s.Name + "'!$1:$1", Scope: s.Name}); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(s.Name)
	if err != nil {
		return err
	}
	for i, w := range s.Widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{
		Freeze:      true,
		YSplit:      1,
		TopLeftCell: "A2",
		ActivePane:  "bottomLeft",
		Selection:   []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return err
	}
	row := make([]any, len(s.Widths))
	for i, cells := range s.Rows {
		for j := range row {
			row[j] = nil // SetRow skips nil: an empty cell
			if j < len(cells) && cells[j].Value != nil {
				if cells[j].Style < 0 || cells[j].Style >= len(styles) {
					return fmt.Errorf("cell %s: no style %d", ledger.CellName(j+1, i+1), cells[j].Style)
				}
				row[j] = excelize.Cell{StyleID: styles[cells[j].Style], Value: cells[j].Value}
			}
		}
		var opts []excelize.RowOpts
		if i < len(s.Heights) && s.Heights[i] > 0 {
			opts = append(opts, excelize.RowOpts{Height: s.Heights[i]})
		}
		if err := sw.SetRow(ledger.CellName(1, i+1), row, opts...); err != nil {
			return err
		}
	}
	return sw.Flush()
}
