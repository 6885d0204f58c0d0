package telegram

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
		if got := aboutDuration(d); got != want {
			t.Errorf("aboutDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
