package planbot

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is the wait after the n-th failure in a row of something that
// is tried until it works (reaching Telegram, writing a full disk): 1 s
// doubling to a minute. n below 1 counts as 1.
func Backoff(n int) time.Duration {
	return min(time.Second<<min(max(n, 1)-1, 6), time.Minute)
}

// BackoffJitter is Backoff spread over its upper half, for a wait that
// several processes may share a cause of (Telegram down for everyone):
// instances restarted together then do not retry in step.
func BackoffJitter(n int) time.Duration {
	d := Backoff(n)
	return d/2 + rand.N(d/2+1)
}

// Sleep waits d, or until ctx ends; false means ctx ended first.
func Sleep(ctx context.Context, d time.Duration) bool { return SleepOrWake(ctx, d, nil) }

// SleepOrWake waits d, or until something arrives on wake (a loop waiting
// out a failure is told to try now), or ctx ends; false means ctx ended
// first. A nil wake never arrives.
func SleepOrWake(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-wake:
		return true
	case <-t.C:
		return true
	}
}
