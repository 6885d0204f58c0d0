package delivery

import (
	"sync"
	"time"

	"planbot"
)

// Limits are a platform's pace, as its adapter knows it (telegram.Limits
// has Telegram's documented ones).
type Limits struct {
	// Gap is the least time between the starts of any two requests: the
	// platform's overall rate. Button answers count for it too.
	Gap time.Duration
	// PerChat is the least time between two messages to one chat, PerGroup
	// to one group chat, counted from the platform's answer to the first:
	// the answer came after the request reached the platform, so the pause
	// holds on the platform's clock too. Button answers are not messages
	// to the chat and do not count.
	PerChat, PerGroup time.Duration
	// Group says whether a chat is a group (PerGroup applies); nil: none is.
	Group func(planbot.ChatID) bool
}

// pacer keeps when each chat, and the platform, may next be sent to.
// Workers note answers while Run's goroutine reads, hence the lock.
type pacer struct {
	lim Limits

	mu        sync.Mutex
	lastSent  map[planbot.ChatID]time.Time // the answer to the chat's last message
	until     map[planbot.ChatID]time.Time // a chat the platform asked to wait (RetryAfterError)
	lastStart time.Time                    // the start of the last request, to any chat
}

func newPacer(lim Limits) *pacer {
	return &pacer{lim: lim, lastSent: map[planbot.ChatID]time.Time{}, until: map[planbot.ChatID]time.Time{}}
}

// readyAt is when chat may next receive a message.
func (p *pacer) readyAt(chat planbot.ChatID) time.Time {
	gap := p.lim.PerChat
	if p.lim.Group != nil && p.lim.Group(chat) {
		gap = p.lim.PerGroup
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.lastSent[chat].Add(gap)
	if u := p.until[chat]; u.After(t) {
		t = u
	}
	return t
}

// answered notes that the platform answered a message to chat at at: the
// chat's pause runs from then.
func (p *pacer) answered(chat planbot.ChatID, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastSent[chat] = at
}

// cool holds chat until until, as the platform asked.
func (p *pacer) cool(chat planbot.ChatID, until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.until[chat] = until
}

// nextStart is when the next request, to any chat, may start.
func (p *pacer) nextStart() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastStart.Add(p.lim.Gap)
}

// started notes that a request started at at.
func (p *pacer) started(at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastStart = at
}

// outage is the pause of all sending after requests that got no answer
// (or a server error): during an outage the sender knocks once per
// backoff instead of trying every queued message in turn. Any answer ends
// it.
type outage struct {
	mu    sync.Mutex
	down  int       // such failures in a row
	until time.Time // no request starts before this; zero when not paused
}

// failed notes a request without an answer at now, and pauses sending for
// the backoff of the failures in a row so far, which it returns with
// their count.
func (o *outage) failed(now time.Time, backoff func(n int) time.Duration) (down int, pause time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.down++
	pause = backoff(o.down)
	o.until = now.Add(pause)
	return o.down, pause
}

// answered notes a request the platform answered, and ends the pause; it
// returns how many failures in a row it ends (0: there was no outage).
func (o *outage) answered() (ended int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	ended = o.down
	o.down, o.until = 0, time.Time{}
	return ended
}

// lift ends the pause without forgetting the failures (another request,
// a poll, got an answer, not ours); false if there was no pause.
func (o *outage) lift() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	paused := !o.until.IsZero()
	o.until = time.Time{}
	return paused
}

// pausedUntil is the end of the pause (zero when not paused).
func (o *outage) pausedUntil() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.until
}
