package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Counters count what became of events; the metrics package implements it
// with gravedancer_alerts_{sent,failed,dropped}_total{kind}.
type Counters interface {
	AlertSent(kind string)    // the receiver accepted it
	AlertFailed(kind string)  // given up: attempts used up, or a permanent refusal
	AlertDropped(kind string) // never tried to the end: pushed out of a full queue, or left at shutdown
}

// Options shape a Notifier. Zero values take the defaults.
type Options struct {
	QueueSize   int           // events waiting to be sent; default 256
	MaxAttempts int           // POSTs per event; default 5
	Backoff     time.Duration // delay before the second attempt, doubled after each; default 2s
	MaxBackoff  time.Duration // cap of one delay, Retry-After included; default 1m
	// Drain is how long Stop still lets queued events go out before it
	// cancels; 0 cancels at once.
	Drain    time.Duration
	Counters Counters // nil: not counted
	Logger   *slog.Logger
	// Target names the receiver in logs (Webhook.Target); never the full URL.
	Target string
}

func (o *Options) defaults() {
	if o.QueueSize <= 0 {
		o.QueueSize = 256
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = 2 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Minute
	}
	if o.Counters == nil {
		o.Counters = nopCounters{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

type nopCounters struct{}

func (nopCounters) AlertSent(string)    {}
func (nopCounters) AlertFailed(string)  {}
func (nopCounters) AlertDropped(string) {}

// Notifier queues events and sends them one at a time in the background.
// Notify never blocks, so the pipeline never waits for a receiver.
type Notifier struct {
	send Sender
	opts Options
	log  *slog.Logger

	mu    sync.Mutex
	queue []Event
	wake  chan struct{} // 1-buffered: something was queued
	busy  bool          // an event is being delivered

	stopping chan struct{}
	stopOnce sync.Once
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// New returns a Notifier that delivers through s; call Start.
func New(s Sender, opts Options) *Notifier {
	opts.defaults()
	return &Notifier{send: s, opts: opts, log: opts.Logger, wake: make(chan struct{}, 1), stopping: make(chan struct{})}
}

// Notify queues ev. When the queue is full the oldest queued event is
// dropped to make room: the newest news matters most.
func (n *Notifier) Notify(ev Event) {
	n.mu.Lock()
	var dropped *Event
	if len(n.queue) >= n.opts.QueueSize {
		d := n.queue[0]
		dropped = &d
		n.queue = n.queue[1:]
	}
	n.queue = append(n.queue, ev)
	n.mu.Unlock()
	if dropped != nil {
		n.opts.Counters.AlertDropped(string(dropped.Kind))
		n.log.Warn("alert queue full: dropped the oldest alert", "kind", dropped.Kind, "region", dropped.Region,
			"run", dropped.Run, "queue_size", n.opts.QueueSize, "webhook", n.opts.Target)
	}
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Pending is how many events wait or are being sent.
func (n *Notifier) Pending() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	p := len(n.queue)
	if n.busy {
		p++
	}
	return p
}

// Start delivers queued events until Stop or until ctx ends.
func (n *Notifier) Start(ctx context.Context) {
	ctx, n.cancel = context.WithCancel(ctx)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.loop(ctx)
	}()
}

// Stop lets queued events go out for up to Options.Drain, then cancels
// what is left and waits for the sender to return. Events still queued are
// counted as dropped.
func (n *Notifier) Stop() {
	n.stopOnce.Do(func() {
		close(n.stopping)
		if n.cancel == nil { // never started
			n.cancel = func() {}
		}
		t := time.AfterFunc(n.opts.Drain, n.cancel)
		n.wg.Wait()
		t.Stop()
		n.cancel()
		n.mu.Lock()
		left := n.queue
		n.queue = nil
		n.mu.Unlock()
		for _, ev := range left {
			n.opts.Counters.AlertDropped(string(ev.Kind))
		}
		if len(left) > 0 {
			n.log.Warn("alerts not sent before shutdown", "count", len(left), "webhook", n.opts.Target)
		}
	})
}

func (n *Notifier) loop(ctx context.Context) {
	for ctx.Err() == nil {
		ev, ok := n.next()
		if ok {
			n.deliver(ctx, ev)
			n.mu.Lock()
			n.busy = false
			n.mu.Unlock()
			continue
		}
		select {
		case <-n.wake:
		case <-n.stopping:
			return // and the queue is empty
		case <-ctx.Done():
			return
		}
	}
}

func (n *Notifier) next() (Event, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.queue) == 0 {
		return Event{}, false
	}
	ev := n.queue[0]
	n.queue = n.queue[1:]
	n.busy = true
	return ev, true
}

// deliver tries ev up to MaxAttempts times with exponential backoff.
func (n *Notifier) deliver(ctx context.Context, ev Event) {
	kind := string(ev.Kind)
	var err error
	for attempt := 1; ; attempt++ {
		err = n.send.Send(ctx, ev)
		if err == nil {
			n.opts.Counters.AlertSent(kind)
			n.log.Debug("alert sent", "kind", kind, "region", ev.Region, "run", ev.Run, "attempt", attempt, "webhook", n.opts.Target)
			return
		}
		var se *SendError
		permanent := errors.As(err, &se) && se.Permanent
		if permanent || attempt >= n.opts.MaxAttempts || ctx.Err() != nil {
			break
		}
		wait := Backoff(attempt, n.opts.Backoff, n.opts.MaxBackoff)
		if se != nil && se.RetryAfter > wait {
			wait = min(se.RetryAfter, n.opts.MaxBackoff)
		}
		n.log.Warn("alert not delivered; retrying", "kind", kind, "attempt", attempt, "retry_in", wait,
			"webhook", n.opts.Target, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	err = fmt.Errorf("alert %s: %w", kind, err)
	if ctx.Err() != nil {
		n.opts.Counters.AlertDropped(kind)
		n.log.Warn("alert not sent: shutting down", "kind", kind, "region", ev.Region, "run", ev.Run, "webhook", n.opts.Target, "err", err)
		return
	}
	n.opts.Counters.AlertFailed(kind)
	n.log.Error("alert not delivered; giving up", "kind", kind, "region", ev.Region, "run", ev.Run,
		"webhook", n.opts.Target, "err", err)
}

// Backoff is the delay after failed attempt number attempt (1-based):
// first, doubled each time, at most max.
func Backoff(attempt int, first, max time.Duration) time.Duration {
	d := first
	for i := 1; i < attempt; i++ {
		if d >= max/2 {
			return max
		}
		d *= 2
	}
	return min(d, max)
}
