package delivery

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"planbot"
)

func TestRecorderWritesAgainUntilTaken(t *testing.T) {
	ctx := context.Background()
	var logs testLog
	log := logs.logger()
	var r recorder
	var wrote []string
	fails := map[string]int{"first": 2}
	writer := func(name string) func(context.Context) error {
		return func(context.Context) error {
			if fails[name] > 0 {
				fails[name]--
				return errDiskFull
			}
			wrote = append(wrote, name)
			return nil
		}
	}
	r.settle(ctx, log, "sent", writer("first"))
	if r.left() != 1 || len(wrote) != 0 {
		t.Fatalf("a refused write: %d kept, %v written", r.left(), wrote)
	}
	if r.resettle(ctx) {
		t.Error("resettle reported success while the database still refuses")
	}
	// A later outcome goes straight in, and does not overtake the kept one
	// in the queue of those still to write.
	r.settle(ctx, log, "retry", writer("second"))
	if !r.resettle(ctx) || r.left() != 0 {
		t.Errorf("resettle once the database takes writes: %d left", r.left())
	}
	if !slices.Equal(wrote, []string{"second", "first"}) {
		t.Errorf("written %v", wrote)
	}
	if !r.resettle(ctx) {
		t.Error("resettle with nothing kept reported a failure")
	}
	for _, want := range []string{"could not record delivery outcome; will record it again", "delivery outcome recorded after all"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

// TestRecording: the outbox writes of each outcome.
func TestRecording(t *testing.T) {
	send := planbot.OutboxMessage{ID: 7, ChatID: chat("1"), Attempts: 2}
	edit := planbot.OutboxMessage{ID: 8, ChatID: chat("1"), Method: planbot.MethodEdit, EditMessageID: 5, Attempts: 1}
	failure := errors.New("the answer")
	for _, c := range []struct {
		name string
		msg  planbot.OutboxMessage
		res  result
		want []string
	}{
		{"sent", send, result{verdict: verdictSent, sentID: 42}, []string{"MarkSent 7 42"}},
		{"retry after the backoff of its attempts", send, result{verdict: verdictRetry, err: failure},
			[]string{`MarkRetry 7 09:00:02.000 "the answer"`}},
		{"give up", send, result{verdict: verdictGiveUp, err: failure}, []string{`MarkFailed 7 "the answer"`}},
		{"refused", send, result{verdict: verdictRefused, err: failure}, []string{`MarkFailed 7 "the answer"`}},
		{"cool until the platform's wait ends", send, result{verdict: verdictCool, after: 3 * time.Second, err: failure},
			[]string{`MarkRetry 7 09:00:03.000 "the answer"`}},
		{"fail chat", send, result{verdict: verdictFailChat, err: failure}, []string{`FailChat p:1 "the answer"`}},
		{"retarget a send: it goes again at once", send, result{verdict: verdictRetarget, to: chat("2"), err: failure},
			[]string{"RetargetChat p:1 p:2", `MarkRetry 7 09:00:00.000 "the answer"`}},
		{"retarget an edit: it cannot follow", edit, result{verdict: verdictRetarget, to: chat("2"), err: failure},
			[]string{"RetargetChat p:1 p:2", `MarkFailed 8 "the answer"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := &fakeOutbox{}
			var logs testLog
			s := New("p", &fakeChannel{}, o, Limits{}, logs.logger(), func() time.Time { return t0 })
			s.Backoff = func(n int) time.Duration { return time.Duration(n) * time.Second }
			if err := s.recording(c.msg, c.res, t0, logs.logger())(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := o.Calls(); !slices.Equal(got, c.want) {
				t.Errorf("writes %q, want %q", got, c.want)
			}
		})
	}
}
