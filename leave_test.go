package planbot

import (
	"testing"
	"time"
)

func TestOnLeave(t *testing.T) {
	d := func(m, day int) Date { return Date{2027, time.Month(m), day} }
	leaves := []Leave{
		{Person: "sun", From: d(12, 1), To: d(12, 15)},
		{Person: "sun", From: d(12, 10), To: d(12, 20)},
		{Person: "ma", From: d(12, 5), To: d(12, 5)},
	}
	cases := []struct {
		who  string
		day  Date
		ok   bool
		ends Date
	}{
		{"sun", d(11, 30), false, Date{}},
		{"sun", d(12, 1), true, d(12, 15)},
		{"sun", d(12, 12), true, d(12, 20)},
		{"sun", d(12, 20), true, d(12, 20)},
		{"sun", d(12, 21), false, Date{}},
		{"ma", d(12, 5), true, d(12, 5)},
		{"ma", d(12, 6), false, Date{}},
		{"li", d(12, 5), false, Date{}},
	}
	for _, c := range cases {
		l, ok := OnLeave(leaves, c.who, c.day)
		if ok != c.ok || (ok && l.To != c.ends) {
			t.Errorf("OnLeave(%s, %v) = %v, %v; want %v until %v", c.who, c.day, l.To, ok, c.ok, c.ends)
		}
	}
}
