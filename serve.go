package planbot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ServeWithin runs serve, a platform's handling of one inbound event inside
// its transaction, and fails it when it panics or takes longer than limit,
// so that the transaction rolls back and the event is answered with an
// apology rather than applied half or late. The limit runs from the call:
// waiting for a lock another program holds is an outage (ErrUnwritable
// after the busy timeout), not the event running late.
//
// serve gets a context without cancellation, and the limit is checked when
// it returns: go-sqlite3 watches a cancellable context with a goroutine for
// every statement it executes, and those goroutines and the thread
// switches they caused were a third of an update's CPU (issue 15). A
// statement is therefore not cut short; none is long.
func ServeWithin(ctx context.Context, limit time.Duration, serve func(context.Context) ([]OutboxMessage, error)) (msgs []OutboxMessage, err error) {
	deadline, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			msgs, err = nil, fmt.Errorf("the handler panicked: %v", r)
		}
		switch {
		case deadline.Err() == nil || errors.Is(err, ErrUnwritable):
		case err == nil:
			msgs, err = nil, fmt.Errorf("the handler ran past its %v deadline", limit)
		default:
			err = fmt.Errorf("the handler ran past its %v deadline: %w", limit, err)
		}
	}()
	return serve(context.WithoutCancel(deadline))
}
