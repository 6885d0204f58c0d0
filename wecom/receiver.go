package wecom

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"planbot"
)

// Inbox is the storage side of exactly-once handling (storage.DB is one).
// WeCom pushes a frame once and never again, so each is stored as it
// arrives and handled from the store: an event's effects, its replies
// and its being handled commit together (HandleInbound).
type Inbox interface {
	// StoreInbound keeps an event before it is handled; false: it was
	// stored before (WeCom pushed the msgid twice).
	StoreInbound(ctx context.Context, platform, eventID string, payload []byte, now time.Time) (bool, error)
	// PendingInbound lists the events stored and not handled, oldest
	// first: what a crash left.
	PendingInbound(ctx context.Context, platform string) ([]planbot.InboundEvent, error)
	// HandleInbound runs fn in one transaction with marking the event
	// handled, unless it was (then it returns true and skips fn).
	HandleInbound(ctx context.Context, platform, eventID string, now time.Time, fn func(planbot.Tx) ([]planbot.OutboxMessage, error)) (bool, error)
	// RecordInbound marks an event handled whose handling failed, queuing
	// msgs (the apology) in the same transaction.
	RecordInbound(ctx context.Context, platform, eventID string, now time.Time, msgs ...planbot.OutboxMessage) error
	// ProbeWrite commits a small write: it tells an event that fails by
	// itself from a database that fails every event.
	ProbeWrite(ctx context.Context, now time.Time) error
}

// Receiver serves the conversation over the AI bot's long connection: it
// runs the Conn, and hands each callback to the conversation exactly
// once, in the order WeCom pushed them.
//
// A callback's files are fetched and decrypted as it arrives (their URLs
// last five minutes); the frame and its files are then stored
// (StoreInbound, which drops a duplicate msgid) and handled
// (HandleInbound), its replies marked with the callback's req_id to go as
// replies. At start, the events a crash left stored and unhandled are
// handled first. While the database cannot be written, events wait in
// memory, in order, and are tried again with a backoff (see outage.go).
type Receiver struct {
	Conv  planbot.Conversation
	Inbox Inbox
	// Bindings tells whether a person is on the list (whose files are
	// kept, who is told their message waits out an outage); nil: Inbox,
	// if it reads bindings (storage.DB does).
	Bindings planbot.BindingReader
	Conn     *Conn
	// Name is the bot's name as people @ it in groups (the YAML's): the
	// conversation answers a group message only when it names it.
	Name string
	// HTTP fetches the callbacks' files; nil: http.DefaultClient (each
	// fetch has its own deadline).
	HTTP  *http.Client
	Log   *slog.Logger
	Clock Clock // nil: the wall clock
	// HandlerTimeout bounds one event's handling (default 30 s).
	HandlerTimeout time.Duration
	// MaxMedia is the largest file kept (default MaxMedia).
	MaxMedia int64
	// OnHandled, if set, is told after an event was handled: its replies
	// are queued (the sender's Wake).
	OnHandled func()

	outage *planbot.WriteOutage // Run's goroutine only

	// Set by Run for Close: the connection outlives Run, so that the
	// senders finish what is in flight over it before it closes.
	stopConn context.CancelFunc
	connDone chan struct{}
	q        *queue
}

// maxFetches is how many callbacks' files are fetched at once.
const maxFetches = 4

func (r *Receiver) log() *slog.Logger {
	if r.Log == nil {
		return discard
	}
	return r.Log
}

func (r *Receiver) clock() Clock {
	if r.Clock == nil {
		return realClock{}
	}
	return r.Clock
}

func (r *Receiver) handlerTimeout() time.Duration {
	if r.HandlerTimeout <= 0 {
		return 30 * time.Second
	}
	return r.HandlerTimeout
}

// item is one event on its way: fetched (ready), stored, handled.
type item struct {
	id       string // the msgid, the store's key
	ev       event  // written by the fetch before ready closes
	received time.Time
	ready    chan struct{} // closed once the files are fetched
	corrupt  error         // a stored payload that cannot be read

	// The loop's goroutine only:
	stored, dup bool
}

// Run connects (it runs the Conn: do not run it separately) and serves
// until ctx ends: then it handles no more events, but the connection
// stays up until Close, so that what the senders have in flight over it
// is acknowledged (shutdown stops receiving first and sending last).
func (r *Receiver) Run(ctx context.Context) error {
	if r.Conn == nil || r.Inbox == nil || r.Conv == nil {
		return errors.New("wecom: the receiver needs a Conn, an Inbox and a Conversation")
	}
	r.Conv.SetSelf(User(r.Conn.BotID), r.name())
	connCtx, stopConn := context.WithCancel(context.WithoutCancel(ctx))
	r.stopConn, r.connDone, r.q = stopConn, make(chan struct{}), newQueue()
	go func() {
		defer close(r.connDone)
		if err := r.Conn.Run(connCtx); err != nil {
			r.log().Error("the WeCom connection did not run", errAttr(err))
		}
	}()
	go r.intake(r.q)
	r.q.prepend(r.pending(ctx))
	r.loop(ctx, r.q)
	return nil
}

// Close closes the connection Run opened, once nothing is sent over it
// any more, and stores the events received but not handled, to be
// handled at the next start. Call it after Run returned.
func (r *Receiver) Close() {
	if r.stopConn == nil {
		return
	}
	r.stopConn()
	<-r.connDone // Callbacks is closed, and the intake ends
	<-r.q.done
	r.storeRest(r.q)
	r.stopConn = nil
}

// pending reads the events a crash left, trying until it can or ctx ends.
func (r *Receiver) pending(ctx context.Context) []*item {
	for n := 1; ; n++ {
		in, err := r.Inbox.PendingInbound(ctx, Platform)
		if err == nil {
			if len(in) > 0 {
				r.log().Info("handling WeCom events stored before the last stop", slog.Int("count", len(in)))
			}
			items := make([]*item, len(in))
			for i, p := range in {
				items[i] = restored(p)
			}
			return items
		}
		if ctx.Err() != nil {
			return nil
		}
		wait := planbot.BackoffJitter(n)
		r.log().Warn("could not read the stored WeCom events; trying again", errAttr(err), slog.Duration("retry_in", wait))
		if !sleep(ctx, r.clock(), wait, nil) {
			return nil
		}
	}
}

// restored is a stored event as an item.
func restored(p planbot.InboundEvent) *item {
	it := &item{id: p.EventID, received: p.ReceivedAt, ready: make(chan struct{}), stored: true}
	it.ev, it.corrupt = decodeEvent(p.Payload)
	close(it.ready)
	return it
}

// intake queues each callback the connection hands over, fetching its
// files at once, until the connection closes Callbacks.
func (r *Receiver) intake(q *queue) {
	defer q.close()
	fetchers := make(chan struct{}, maxFetches)
	for f := range r.Conn.Callbacks() {
		it, atts, ok := r.accept(f)
		if !ok {
			continue
		}
		q.push(it)
		r.log().Debug("WeCom callback queued", slog.String("event_id", it.id), slog.String("cmd", f.Cmd))
		if len(atts) == 0 {
			close(it.ready)
			continue
		}
		go func() {
			fetchers <- struct{}{}
			defer func() { <-fetchers }()
			r.fetch(it, atts)
			close(it.ready)
		}()
	}
}

// accept makes an item of a callback the conversation may want, and
// lists the files to fetch for it.
func (r *Receiver) accept(f Frame) (*item, []attachment, bool) {
	var b callbackBody
	if err := json.Unmarshal(f.Body, &b); err != nil {
		r.log().Warn("unreadable WeCom callback, skipped", errAttr(err), slog.String("req_id", f.ReqID))
		return nil, nil, false
	}
	if f.Cmd == cmdEventCallback && (b.Event == nil || b.Event.EventType != templateCardEvent) {
		// enter_chat, feedback_event …: nothing the conversation answers.
		var et string
		if b.Event != nil {
			et = b.Event.EventType
		}
		r.log().Debug("WeCom event ignored", slog.String("event", et))
		return nil, nil, false
	}
	id := eventID(f, &b)
	if id == "" {
		r.log().Warn("WeCom callback without msgid or req_id, skipped", slog.String("cmd", f.Cmd))
		return nil, nil, false
	}
	it := &item{id: id, ev: event{Cmd: f.Cmd, ReqID: f.ReqID, Body: f.Body}, received: r.clock().Now(), ready: make(chan struct{})}
	return it, b.attachments(), true
}

// fetch downloads and decrypts an item's files. One that cannot be had
// (expired, too large) is noted in the event, and the message goes on
// without it.
func (r *Receiver) fetch(it *item, atts []attachment) {
	client := r.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	limit := r.MaxMedia
	if limit <= 0 {
		limit = MaxMedia
	}
	for _, a := range atts {
		name, data, err := fetchMedia(context.Background(), client, a.ref.URL, a.ref.AESKey, limit)
		if err != nil {
			r.log().Warn("could not fetch a file from WeCom; the message goes on without it",
				slog.String("event_id", it.id), slog.String("kind", string(a.kind)), errAttr(err))
			it.ev.Media = append(it.ev.Media, media{Kind: a.kind, Err: err.Error()})
			continue
		}
		it.ev.Media = append(it.ev.Media, media{Kind: a.kind, Name: name, Size: len(data), Data: data})
	}
}

// loop handles the queue's events in order until ctx ends or the queue
// is closed and empty.
func (r *Receiver) loop(ctx context.Context, q *queue) {
	for {
		it := q.waitHead(ctx)
		if it == nil {
			return
		}
		select {
		case <-it.ready:
		case <-ctx.Done():
			return
		}
		wait, done := r.process(ctx, q, it)
		if !done {
			r.tellWaiting(ctx, q)
			if !sleep(ctx, r.clock(), wait, nil) {
				return
			}
			continue
		}
		q.pop()
		r.writable()
		if r.OnHandled != nil {
			r.OnHandled()
		}
	}
}

// process stores and handles the head event, and stores the ready events
// behind it (so that a crash loses as little as possible). done false
// means it is held: try again after wait.
func (r *Receiver) process(ctx context.Context, q *queue, it *item) (wait time.Duration, done bool) {
	if it.dup {
		return 0, true
	}
	if !it.stored {
		if err := r.store(ctx, it); err != nil {
			return r.unwritable(ctx, it, err)
		}
		if it.dup {
			return 0, true
		}
	}
	r.storeAhead(ctx, q)
	if err := r.handle(context.WithoutCancel(ctx), it); err != nil {
		return r.unwritable(ctx, it, err)
	}
	return 0, true
}

// store keeps an event before it is handled; a duplicate msgid is marked
// dup, to be dropped.
func (r *Receiver) store(ctx context.Context, it *item) error {
	fresh, err := r.Inbox.StoreInbound(context.WithoutCancel(ctx), Platform, it.id, it.ev.encode(), r.clock().Now())
	if err != nil {
		return err
	}
	it.stored, it.dup = fresh, !fresh
	if it.dup {
		r.log().Info("WeCom pushed an event again; the duplicate is dropped", slog.String("event_id", it.id))
	}
	return nil
}

// storeAhead stores the fetched events queued behind the head, in order,
// stopping at the first not yet fetched or not stored.
func (r *Receiver) storeAhead(ctx context.Context, q *queue) {
	items := q.snapshot()
	for _, it := range items[min(1, len(items)):] {
		if !isReady(it) {
			return
		}
		if it.stored || it.dup {
			continue
		}
		if err := r.store(ctx, it); err != nil {
			return // the head's turn will meet it again
		}
	}
}

func isReady(it *item) bool {
	select {
	case <-it.ready:
		return true
	default:
		return false
	}
}

// storeRest stores, at the stop, the events received and not handled yet,
// for the next start; one that cannot be stored is lost, and logged.
func (r *Receiver) storeRest(q *queue) {
	kept, lost := 0, 0
	for _, it := range q.snapshot() {
		if it.stored || it.dup {
			continue
		}
		<-it.ready // a fetch ends within its deadline
		if err := r.store(context.Background(), it); err != nil {
			lost++
			r.log().Error("a WeCom message received at the stop could not be stored: it is lost",
				slog.String("event_id", it.id), errAttr(err))
			continue
		}
		if it.stored {
			kept++
		}
	}
	if kept > 0 || lost > 0 {
		r.log().Info("WeCom messages received at the stop are stored for the next start", slog.Int("stored", kept), slog.Int("lost", lost))
	}
}

// handle runs one stored event exactly once. A handler that fails, panics
// or runs past its deadline rolls back its effects; the event is then
// recorded with an apology, so a poison event cannot block the queue or be
// applied twice. The error is for an event that could not be recorded at
// all (the database cannot be written): it is held and tried again.
func (r *Receiver) handle(ctx context.Context, it *item) error {
	now := r.clock().Now().Truncate(time.Second) // the outbox keeps whole seconds
	log := r.log().With(slog.String("event_id", it.id), slog.String("req_id", it.ev.ReqID))
	if it.corrupt != nil {
		log.Error("a stored WeCom event cannot be read; recorded without handling", errAttr(it.corrupt))
		return r.Inbox.RecordInbound(ctx, Platform, it.id, now)
	}
	m, ok, err := toMessage(it.id, it.ev, it.received)
	if err != nil || !ok {
		if err != nil {
			log.Warn("unreadable WeCom callback; recorded without handling", errAttr(err))
		}
		return r.Inbox.RecordInbound(ctx, Platform, it.id, now)
	}
	if m.Chat == planbot.ChatGroup && m.Callback == nil {
		m.Text = addressed(m.Text, r.name())
	}
	log = log.With(slog.String("chat_id", string(m.ChatID)), slog.String("user_id", string(m.UserID)))
	done, err := r.Inbox.HandleInbound(ctx, Platform, it.id, now, func(tx planbot.Tx) ([]planbot.OutboxMessage, error) {
		return r.serve(ctx, tx, m, it)
	})
	switch {
	case done:
		log.Info("WeCom event already handled, skipped")
	case errors.Is(err, planbot.ErrUnwritable):
		// Not the message's fault: it is handled again once the database
		// takes writes, instead of being recorded with an apology.
		return err
	case err != nil:
		log.Error("handling failed; apologising", errAttr(err))
		if err := r.recordFailed(ctx, it.id, now, asReplies(m, r.Conv.ApologyFor(m))); err != nil {
			log.Error("record the failed WeCom event", errAttr(err))
			return err
		}
	}
	return nil
}

// recordFailed records an event whose handling failed, with msgs (the
// apology). An apology the outbox refuses is a bug, not an outage: the
// event is then recorded without it, so one bad reply cannot hold every
// later event back.
func (r *Receiver) recordFailed(ctx context.Context, id string, now time.Time, msgs []planbot.OutboxMessage) error {
	err := r.Inbox.RecordInbound(ctx, Platform, id, now, msgs...)
	if err == nil || len(msgs) == 0 || errors.Is(err, planbot.ErrUnwritable) {
		return err
	}
	r.log().Error("the apology could not be queued; the WeCom event is recorded without it", slog.String("event_id", id), errAttr(err))
	return r.Inbox.RecordInbound(ctx, Platform, id, now)
}

// serve keeps the event's files (a known person's) and runs the
// conversation on m under the handler's deadline, a panic turned into an
// error (the transaction then rolls back).
func (r *Receiver) serve(ctx context.Context, tx planbot.Tx, m planbot.Message, it *item) ([]planbot.OutboxMessage, error) {
	return planbot.ServeWithin(ctx, r.handlerTimeout(), func(ctx context.Context) ([]planbot.OutboxMessage, error) {
		if err := r.saveEvidence(ctx, tx, m, it); err != nil {
			return nil, err
		}
		msgs, err := r.Conv.Serve(ctx, tx, m)
		if err != nil {
			return nil, err
		}
		return asReplies(m, quietToasts(m, msgs)), nil
	})
}

// quietToasts drops the toast of a button press that was also answered
// by a message in its chat. WeCom shows no toasts, so the channel pushes
// one as a message of its own: beside the answer it would read twice
// ("已记录", then "✅ 已记录 2.5 …"). Alone (a press on someone else's
// list, a stale card) it is all the person hears, and stays.
func quietToasts(m planbot.Message, msgs []planbot.OutboxMessage) []planbot.OutboxMessage {
	if m.Callback == nil || !slices.ContainsFunc(msgs, func(o planbot.OutboxMessage) bool {
		return o.Method != planbot.MethodAnswer && o.ChatID == m.ChatID
	}) {
		return msgs
	}
	for i := range msgs {
		if msgs[i].Method == planbot.MethodAnswer {
			msgs[i].Text = ""
		}
	}
	return msgs
}

// saveEvidence keeps the files of a known person's message under their
// evidence references: WeCom's links expire in minutes. A stranger's are
// not kept (the conversation only refuses them).
func (r *Receiver) saveEvidence(ctx context.Context, tx planbot.Tx, m planbot.Message, it *item) error {
	if len(it.ev.Media) == 0 || m.UserID == "" || !r.Conv.Known(ctx, tx, m.UserID) {
		return nil
	}
	for i, f := range it.ev.Media {
		if f.Err != "" {
			continue
		}
		if err := tx.SaveEvidence(ctx, evidenceRef(it.id, i), f.Name, f.Data); err != nil {
			return err
		}
	}
	return nil
}

// asReplies marks the messages to m's chat as replies to it: the channel
// answers them through the callback's req_id (or pushes them if it can
// no longer). Button answers are not messages to the chat.
func asReplies(m planbot.Message, msgs []planbot.OutboxMessage) []planbot.OutboxMessage {
	if m.EventRef == "" {
		return msgs
	}
	for i := range msgs {
		if msgs[i].ChatID == m.ChatID && msgs[i].ReplyRef == "" && msgs[i].Method != planbot.MethodAnswer {
			msgs[i].ReplyRef = m.EventRef
		}
	}
	return msgs
}

// queue is the events received and not yet handled, in order: the intake
// appends, the loop takes from the front.
type queue struct {
	mu     sync.Mutex
	items  []*item
	closed bool
	wake   chan struct{} // something was queued
	done   chan struct{} // closed: nothing more will be
}

func newQueue() *queue {
	return &queue{wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (q *queue) push(it *item) {
	q.mu.Lock()
	q.items = append(q.items, it)
	q.mu.Unlock()
	q.signal()
}

// prepend puts stored events before everything queued.
func (q *queue) prepend(its []*item) {
	if len(its) == 0 {
		return
	}
	q.mu.Lock()
	q.items = append(its, q.items...)
	q.mu.Unlock()
	q.signal()
}

func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	close(q.done)
	q.signal()
}

// waitHead is the first event, once there is one; nil when ctx ends or
// the queue is closed and empty.
func (q *queue) waitHead(ctx context.Context) *item {
	for {
		q.mu.Lock()
		var it *item
		if len(q.items) > 0 {
			it = q.items[0]
		}
		closed := q.closed
		q.mu.Unlock()
		switch {
		case it != nil:
			return it
		case closed:
			return nil
		}
		select {
		case <-q.wake:
		case <-ctx.Done():
			return nil
		}
	}
}

func (q *queue) pop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items[0] = nil
	q.items = q.items[1:]
}

func (q *queue) snapshot() []*item {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]*item(nil), q.items...)
}

// name is the bot's name in groups: the YAML's, else its BotID.
func (r *Receiver) name() string { return cmp.Or(r.Name, r.Conn.BotID) }

// addressed is a group text as the conversation reads one written to the
// bot: WeCom sends the bot a group message only when it @s the bot, so
// the mention that leads it is the bot's, however the YAML spells the
// bot's name (a name changed in the admin console, a nickname). It leads
// with "@name" then, and the conversation's own @mention rule applies.
func addressed(text, name string) string {
	rest := strings.TrimLeft(text, " \t\u00a0\u2005")
	if strings.HasPrefix(rest, "@") {
		if i := strings.IndexAny(rest, " \t\n\u00a0\u2005"); i > 0 {
			rest = rest[i:]
		} else {
			rest = ""
		}
	}
	return "@" + name + " " + strings.TrimLeft(rest, " \t\u00a0\u2005")
}
