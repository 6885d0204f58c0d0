package delivery

import (
	"testing"
	"time"
)

func TestPacerChatPauses(t *testing.T) {
	p := newPacer(Limits{PerChat: time.Second, PerGroup: 3 * time.Second, Group: groups})
	alice, team := chat("1"), chat("g1")
	if at := p.readyAt(alice); at.After(t0) {
		t.Errorf("a chat never sent to is ready at %v, want at once", at)
	}
	p.answered(alice, t0)
	p.answered(team, t0)
	if at := p.readyAt(alice); !at.Equal(t0.Add(time.Second)) {
		t.Errorf("private chat ready at %v, want PerChat after the answer", at)
	}
	if at := p.readyAt(team); !at.Equal(t0.Add(3 * time.Second)) {
		t.Errorf("group ready at %v, want PerGroup after the answer", at)
	}
	// The platform's wait outranks the pause when longer, not when shorter.
	p.cool(alice, t0.Add(5*time.Second))
	p.cool(team, t0.Add(time.Second))
	if at := p.readyAt(alice); !at.Equal(t0.Add(5 * time.Second)) {
		t.Errorf("cooled chat ready at %v, want at the end of the platform's wait", at)
	}
	if at := p.readyAt(team); !at.Equal(t0.Add(3 * time.Second)) {
		t.Errorf("group with a shorter wait ready at %v, want its own pause", at)
	}
	if at := p.readyAt(chat("2")); at.After(t0) {
		t.Errorf("another chat is held too, until %v", at)
	}
}

func TestPacerWithoutGroups(t *testing.T) {
	p := newPacer(Limits{PerChat: time.Second, PerGroup: time.Hour})
	p.answered(chat("g1"), t0)
	if at := p.readyAt(chat("g1")); !at.Equal(t0.Add(time.Second)) {
		t.Errorf("with no Group func every chat is private: ready at %v", at)
	}
}

func TestPacerGap(t *testing.T) {
	p := newPacer(Limits{Gap: 30 * time.Millisecond})
	p.started(t0)
	if at := p.nextStart(); !at.Equal(t0.Add(30 * time.Millisecond)) {
		t.Errorf("next request at %v, want Gap after the last start", at)
	}
}

func TestOutagePause(t *testing.T) {
	var o outage
	backoff := func(n int) time.Duration { return time.Duration(n) * time.Second }
	if o.lift() {
		t.Error("lift reported a pause that was not there")
	}
	o.failed(t0, backoff)
	down, pause := o.failed(t0.Add(time.Second), backoff)
	if down != 2 || pause != 2*time.Second || !o.pausedUntil().Equal(t0.Add(3*time.Second)) {
		t.Errorf("after two failures: %d down, pause %v until %v", down, pause, o.pausedUntil())
	}
	// Another request got through: the pause ends, the count stays (our
	// own next failure is the third in a row).
	if !o.lift() || !o.pausedUntil().IsZero() {
		t.Errorf("lift left the pause until %v", o.pausedUntil())
	}
	if down, _ := o.failed(t0.Add(2*time.Second), backoff); down != 3 {
		t.Errorf("failure after lift counted %d in a row, want 3", down)
	}
	if ended := o.answered(); ended != 3 || !o.pausedUntil().IsZero() {
		t.Errorf("answered ended %d failures, paused until %v", ended, o.pausedUntil())
	}
	if ended := o.answered(); ended != 0 {
		t.Errorf("a second answer ended %d failures, want none", ended)
	}
}
