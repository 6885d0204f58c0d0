package ledger_test

import (
	"io"
	"time"

	"planbot"
	. "planbot/ledger"
	"planbot/ledger/xlsx"
)

// The tests read the ledger as its readers do, in the workbook: these lay
// it out and write it, as planbot-render does.

func Write(w io.Writer, plan *planbot.Plan, ov planbot.Overview, d Data, at time.Time) error {
	book, err := Lay(plan, ov, d, at)
	if err != nil {
		return err
	}
	return xlsx.Write(w, book)
}

func DataBytes(plan *planbot.Plan, ov planbot.Overview, d Data, at time.Time) ([]byte, error) {
	book, err := Lay(plan, ov, d, at)
	if err != nil {
		return nil, err
	}
	return xlsx.Bytes(book)
}

func Bytes(plan *planbot.Plan, ov planbot.Overview, reports map[string][]planbot.Report, observations map[string][]planbot.Observation, at time.Time) ([]byte, error) {
	return DataBytes(plan, ov, Data{Reports: reports, Observations: observations}, at)
}

func Workbook(w io.Writer, plan *planbot.Plan, ov planbot.Overview, reports map[string][]planbot.Report, observations map[string][]planbot.Observation, at time.Time) error {
	return Write(w, plan, ov, Data{Reports: reports, Observations: observations}, at)
}
