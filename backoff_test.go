package planbot

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	want := []time.Duration{time.Second, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
		16 * time.Second, 32 * time.Second, time.Minute, time.Minute}
	for i, w := range want {
		if got := Backoff(i); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", i, got, w)
		}
	}
	if got := Backoff(1000); got != time.Minute {
		t.Errorf("Backoff(1000) = %v, want a minute", got)
	}
	for n := 1; n < 10; n++ {
		for range 20 {
			if d, b := BackoffJitter(n), Backoff(n); d < b/2 || d > b {
				t.Fatalf("BackoffJitter(%d) = %v, outside [%v, %v]", n, d, b/2, b)
			}
		}
	}
}
