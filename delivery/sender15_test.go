package delivery

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"planbot"
)

// recordedChannel checks, at each request, that every message it took
// before is recorded as sent in o: the at-most-one-in-flight bound that
// recording in the claim's commit must keep.
type recordedChannel struct {
	o       *fakeOutbox
	mu      sync.Mutex
	took    []int64
	broken  []string
	allSent chan struct{}
	want    int
}

func (c *recordedChannel) Send(_ context.Context, m planbot.OutboxMessage) (int, bool, error) {
	calls := c.o.Calls()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range c.took {
		if !slices.Contains(calls, fmt.Sprintf("MarkSent %d %d", id, 100+id)) {
			c.broken = append(c.broken, fmt.Sprintf("message %d started before message %d was recorded", m.ID, id))
		}
	}
	c.took = append(c.took, m.ID)
	if len(c.took) == c.want {
		close(c.allSent)
	}
	return 100 + int(m.ID), false, nil
}

// TestRunRecordsBeforeTheNextRequest: the sender records what the
// platform took before its next request, in the commit that claims the
// next messages when it claims (one write per reply, not two), and at the
// stop what it took last.
func TestRunRecordsBeforeTheNextRequest(t *testing.T) {
	o := &fakeOutbox{honourN: true}
	for i := range 6 {
		o.queue = append(o.queue, planbot.OutboxMessage{ID: int64(i + 1), ChatID: chat(fmt.Sprint(i % 2))})
	}
	ch := &recordedChannel{o: o, allSent: make(chan struct{}), want: 6}
	var logs testLog
	s := New("p", ch, o, Limits{}, logs.logger(), func() time.Time { return t0 })
	s.service.observe(batchHorizon) // a slow platform: claims of one message
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-ch.allSent:
	case <-time.After(10 * time.Second):
		t.Fatalf("sent %v", ch.took)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(ch.broken) > 0 {
		t.Errorf("%q", ch.broken)
	}
	want := []string{"RequeueInFlight p"}
	for id := 1; id <= 6; id++ {
		want = append(want, fmt.Sprintf("MarkSent %d %d", id, 100+id))
	}
	if got := o.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls %q, want %q", got, want)
	}
	// Six claims of one, the first with nothing to record: each later
	// claim recorded the message before it in the same write; only the
	// last one may be recorded alone, at the stop.
	if len(o.claimN) < 6 || o.recordOnly > 1 {
		t.Errorf("%d claims and %d writes of their own for 6 messages claimed one at a time; want every record but the last in a claim", len(o.claimN), o.recordOnly)
	}
}

// fileChannel keeps the attachment each request carried.
type fileChannel struct {
	mu   sync.Mutex
	got  map[int64]string
	done chan struct{}
}

func (c *fileChannel) Send(_ context.Context, m planbot.OutboxMessage) (int, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got[m.ID] = string(m.FileData)
	if len(c.got) == 2 {
		close(c.done)
	}
	return 1, false, nil
}

// A claimed message's attachment is read just before its request, not
// with the claim: a batch of digests does not hold all their pictures.
func TestRunReadsTheAttachmentBeforeTheRequest(t *testing.T) {
	o := &fakeOutbox{
		queue: []planbot.OutboxMessage{{ID: 1, ChatID: chat("1"), Attachment: planbot.AttachPicture}, {ID: 2, ChatID: chat("2"), Text: "文字"}},
		files: map[int64][]byte{1: []byte("PNG")},
	}
	ch := &fileChannel{got: map[int64]string{}, done: make(chan struct{})}
	var logs testLog
	s := New("p", ch, o, Limits{}, logs.logger(), func() time.Time { return t0 })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	select {
	case <-ch.done:
	case <-time.After(10 * time.Second):
		t.Fatal("not sent")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ch.got[1] != "PNG" || ch.got[2] != "" {
		t.Errorf("attachments sent %v", ch.got)
	}
	if calls := o.Calls(); !slices.Contains(calls, "FileData 1") || slices.Contains(calls, "FileData 2") {
		t.Errorf("calls %q: want the picture's attachment read, and none for the text", calls)
	}
}
