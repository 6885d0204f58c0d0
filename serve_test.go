package planbot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// An event's handling that panics, or ends past its limit, fails (its
// transaction then rolls back); one that ends in time keeps its replies,
// and an outage stays an outage, late or not.
func TestServeWithin(t *testing.T) {
	ctx := context.Background()
	ok := []OutboxMessage{{Text: "已记录"}}
	if msgs, err := ServeWithin(ctx, time.Minute, func(c context.Context) ([]OutboxMessage, error) {
		if c.Done() != nil {
			t.Error("the handler's context can be cancelled: every statement would cost a goroutine")
		}
		return ok, nil
	}); err != nil || len(msgs) != 1 {
		t.Errorf("in time: %v, %v", msgs, err)
	}
	if msgs, err := ServeWithin(ctx, time.Minute, func(context.Context) ([]OutboxMessage, error) { panic("poison") }); err == nil || msgs != nil || !strings.Contains(err.Error(), "panicked: poison") {
		t.Errorf("panic: %v, %v", msgs, err)
	}
	// A limit of 0 has passed when the handling starts.
	late := func(err error) func(context.Context) ([]OutboxMessage, error) {
		return func(context.Context) ([]OutboxMessage, error) { return ok, err }
	}
	if msgs, err := ServeWithin(ctx, 0, late(nil)); err == nil || msgs != nil || !strings.Contains(err.Error(), "ran past its 0s deadline") {
		t.Errorf("late: %v, %v", msgs, err)
	}
	boom := errors.New("boom")
	if _, err := ServeWithin(ctx, 0, late(boom)); !errors.Is(err, boom) || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("late and failed: %v", err)
	}
	if _, err := ServeWithin(ctx, 0, late(ErrUnwritable)); err != ErrUnwritable {
		t.Errorf("late outage: %v, want ErrUnwritable as it is", err)
	}
}
