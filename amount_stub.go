package planbot

// Temporary stub so the package compiles while amount.go is written; the
// amount helper replaces this file.

// Decimal is a fixed-point number with four decimal places: 1.5 is Decimal(15000).
type Decimal int64

// Amount is a quantity in its base unit.
type Amount struct {
	Value Decimal
	Unit  string
}

// DecimalScale is how many Decimal units make 1.
const DecimalScale = 10000

// Float64 returns d as a float, for ratios only (never for display).
func (d Decimal) Float64() float64 { return float64(d) / DecimalScale }
