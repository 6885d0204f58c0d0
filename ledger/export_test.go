package ledger

// What the external tests (package ledger_test, which also imports
// ledger/xlsx) read of the layout's rules.
var (
	MaxLines     = maxLines
	LineHeight   = lineHeight
	DisplayWidth = displayWidth
	InUnit       = inUnit
)
