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
