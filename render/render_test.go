package render

import (
	"bytes"
	"encoding/gob"
	"errors"
	"reflect"
	"strings"
	"testing"

	"planbot/ledger"
)

// A job crosses to planbot-render and its result back as they were: a
// ledger's cells keep their values' types (text stays text, an int an
// int), and a garbled or ambiguous job is refused before anything is made.
func TestServe(t *testing.T) {
	book := &ledger.Book{
		Styles: []ledger.Style{{Bold: true, Fill: "DDEBF7", NumFmt: "0.0%"}},
		Sheets: []ledger.Sheet{{Name: "事项台账", Widths: []float64{8, 30},
			Rows:    [][]ledger.Cell{{{Style: 1, Value: "编号"}, {Style: 1, Value: "=1+1"}}, {{Value: 3}, {Value: 0.25}}, {{}, {Value: "2.1"}}},
			Heights: []float64{0, 33, 0}}},
	}
	var in bytes.Buffer
	if err := gob.NewEncoder(&in).Encode(Job{Ledger: book}); err != nil {
		t.Fatal(err)
	}
	var got *ledger.Book
	var out bytes.Buffer
	err := Serve(&in, &out, func(j Job) (Result, error) {
		got = j.Ledger
		return Result{Data: []byte("xlsx")}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, book) {
		t.Errorf("the book arrived as %+v, want %+v", got, book)
	}
	var res Result
	if err := gob.NewDecoder(&out).Decode(&res); err != nil || string(res.Data) != "xlsx" {
		t.Errorf("result %q, %v", res.Data, err)
	}

	never := func(Job) (Result, error) { t.Error("made a file of a bad job"); return Result{}, nil }
	if err := Serve(strings.NewReader("not a job"), &out, never); err == nil {
		t.Error("a garbled job was taken")
	}
	for _, j := range []Job{{}, {Chart: &Chart{}, Ledger: book}} {
		in.Reset()
		gob.NewEncoder(&in).Encode(j)
		if err := Serve(&in, &out, never); err == nil {
			t.Errorf("job %+v was taken", j)
		}
	}
	in.Reset()
	gob.NewEncoder(&in).Encode(Job{Chart: &Chart{Zone: "Asia/Shanghai"}})
	if err := Serve(&in, &out, func(Job) (Result, error) { return Result{}, errors.New("no font") }); err == nil || err.Error() != "no font" {
		t.Errorf("a failed job: %v", err)
	}
}
