package ledger_test

import (
	"testing"

	. "planbot/ledger"
)

func TestCellName(t *testing.T) {
	for _, c := range []struct {
		col, row int
		want     string
	}{{1, 1, "A1"}, {26, 2, "Z2"}, {27, 3, "AA3"}, {28, 3, "AB3"}, {52, 9, "AZ9"}, {53, 10, "BA10"}, {702, 1, "ZZ1"}, {703, 1, "AAA1"}, {16384, 1048576, "XFD1048576"}} {
		if got := CellName(c.col, c.row); got != c.want {
			t.Errorf("CellName(%d, %d) = %q, want %q", c.col, c.row, got, c.want)
		}
	}
}
