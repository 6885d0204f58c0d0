package delivery

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"planbot"
)

// A claim takes, in one transaction, what can be sent in the next
// batchHorizon: one message every Gap or, over a slow link, every time a
// message takes in flight over the requests in flight at once. That is 4
// at Telegram's 30/s over a fast link, 450 at 3,000/s, and 1 over a link
// with a 300 ms round trip. A message queued meanwhile, even a reply,
// waits for the batch in hand to go, so the horizon is short.
const batchHorizon = 150 * time.Millisecond

// maxBatch caps a batch claim.
const maxBatch = 512

// batchSize is how many messages to claim at once with requests starting
// at least gap apart, inFlight at a time, each taking service in flight:
// one until a message was sent and service is known.
func batchSize(gap, service time.Duration, inFlight int) int {
	if service <= 0 {
		return 1
	}
	period := max(gap, service/time.Duration(max(1, inFlight)), time.Microsecond)
	return int(max(1, min(batchHorizon/period, maxBatch)))
}

// perLane is how many messages of one chat's lane a claim may take (its
// head and those right behind it): as many as can go within the batch's
// horizon after the chat's pause (PerChat), or 1 with more than one
// request in flight, where two messages of a chat must never be in
// flight at once. At Telegram's pause of a second it is 1; without a
// pause, a chat with a backlog of replies is claimed once per batch
// instead of once per reply (issue 15).
func (s *Sender) perLane() int {
	switch {
	case s.MaxInFlight > 1:
		return 1
	case s.pace.lim.PerChat <= 0:
		return maxBatch
	}
	return 1 + int(batchHorizon/s.pace.lim.PerChat)
}

// serviceTime is a moving average of how long a message stays in flight,
// from its request's start to its outcome's recording.
type serviceTime struct {
	mu sync.Mutex
	d  time.Duration // 0 until a message was sent
}

func (s *serviceTime) observe(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.d == 0 {
		s.d = d
	} else {
		s.d += (d - s.d) / 8
	}
}

func (s *serviceTime) get() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.d
}

// claim records delivered as sent and fills s.held with messages that may
// go now, in one transaction, and reports whether it did; if not, it
// first waits for the next due message, the end of a chat's pause, or
// Wake. When the transaction fails, delivered waits for the next try.
func (s *Sender) claim(ctx context.Context, delivered []planbot.Delivered) bool {
	now := s.now()
	var earliest time.Time // the soonest end of a pause that held a due message back
	skip := func(chat planbot.ChatID) bool {
		at := s.pace.readyAt(chat)
		if !at.After(now) {
			return false
		}
		if earliest.IsZero() || at.Before(earliest) {
			earliest = at
		}
		return true
	}
	n := batchSize(s.pace.lim.Gap, s.service.get(), s.MaxInFlight)
	var err error
	// Not cancellable: a cancellable context costs a goroutine per
	// statement in database/sql and go-sqlite3, and a claim is short (the
	// busy timeout bounds it); ctx is looked at once it returns.
	s.held, err = s.outbox.ClaimBatchAfter(context.WithoutCancel(ctx), s.platform, now, n, s.perLane(), skip, delivered)
	s.sentRecorded(ctx, delivered, err)
	switch {
	case err != nil && ctx.Err() != nil:
		return false
	case err != nil:
		s.claimFailures++
		wait := s.backoff(s.claimFailures - 1)
		s.log.Error("claim next message", errAttr(err), slog.Duration("retry_in", wait))
		s.wait(ctx, wait)
		return false
	case len(s.held) == 0:
		s.claimFailures = 0
		due, ok, err := s.outbox.NextDue(ctx, s.platform)
		s.wait(ctx, idleWait(now, due, ok && err == nil, earliest))
		return false
	}
	s.claimFailures = 0
	return true
}

// idleWait is how long to wait after a claim at now found nothing to
// send: until the next due message (due, if known), the end of a chat's
// pause (earliest, zero if no due message was passed over), a minute at
// most (Wake cuts any wait short).
func idleWait(now, due time.Time, known bool, earliest time.Time) time.Duration {
	const soon = 10 * time.Millisecond
	wait := time.Minute
	if known {
		switch d := due.Sub(now); {
		case d > 0:
			wait = min(wait, d)
		case earliest.IsZero():
			// Due, yet not claimed: queued since the claim (Wake will
			// come too). Look again soon.
			wait = soon
		}
		// Otherwise what is due was passed over for its chat's pause,
		// which ends at earliest: polling before then finds nothing.
	}
	if !earliest.IsZero() {
		wait = min(wait, max(earliest.Sub(now), 0))
	}
	if wait <= 0 {
		wait = soon
	}
	return wait
}
