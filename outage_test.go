package planbot

import (
	"testing"
	"time"
)

func TestAboutDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		6 * time.Second:                 "不到 1 分钟",
		25*time.Minute + 10*time.Second: "25 分钟",
		3*time.Hour + 10*time.Minute:    "3 小时 10 分钟",
		52 * time.Hour:                  "2 天 4 小时",
	} {
		if got := AboutDuration(d); got != want {
			t.Errorf("AboutDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

type lockedErr struct{}

func (lockedErr) Error() string { return "locked" }
func (lockedErr) Locked() bool  { return true }

func TestOutageHint(t *testing.T) {
	if got := OutageHint(lockedErr{}); got != OutageLockedHint {
		t.Errorf("a lock: %q", got)
	}
	if got := OutageHint(ErrUnwritable); got != OutageDiskHint {
		t.Errorf("a full disk: %q", got)
	}
}

// An event that keeps failing while probe writes succeed is poison after
// the rule's count; while the database itself fails, never. People are
// told once.
func TestWriteOutage(t *testing.T) {
	o := NewWriteOutage(time.Unix(0, 0))
	dbDown := func() error { return ErrUnwritable }
	dbUp := func() error { return nil }
	for i := range 10 {
		if _, poison := o.Failed("u1", dbDown); poison {
			t.Fatalf("poison after %d failures while the database is down", i+1)
		}
	}
	var poisonAt int
	for i := 1; i <= 10 && poisonAt == 0; i++ {
		if _, poison := o.Failed("u2", dbUp); poison {
			poisonAt = i
		}
	}
	if poisonAt != PoisonAfter {
		t.Errorf("poison at failure %d of a new event, want %d", poisonAt, PoisonAfter)
	}
	if !o.Tell("telegram:1") || o.Tell("telegram:1") || o.Tell("") {
		t.Error("a person is told other than once")
	}
}
