package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/failpoint"
	"gravedancer/internal/job"
)

// fetchWait bounds one pull so the loop notices shutdown promptly.
const fetchWait = 5 * time.Second

// A sweep of settled jobs gives up after sweepWait and is tried again
// sweepRetry later.
const (
	sweepWait  = 2 * time.Second
	sweepRetry = 10 * time.Second
)

// Worker runs one stage's consumer with a fixed number of slots.
type Worker struct {
	p           *Pipeline
	spec        ConsumerSpec
	handle      func(ctx context.Context, d *delivery) ([]*job.Job, error)
	stopFetch   context.CancelFunc // ends the fetch loop
	stopWork    context.CancelFunc // ends in-flight jobs (they are Nak'ed)
	loopDone    chan struct{}
	wg          sync.WaitGroup // in-flight jobs
	inFlight    atomic.Int64   // the same count, readable without waiting
	log         *slog.Logger
	concurrency int // slots in this process; spec.Concurrency is the cluster-wide cap
}

// StageWorker returns a worker running s with concurrency slots.
func (p *Pipeline) StageWorker(s Stage, concurrency int) *Worker {
	w := p.newWorker(s.Name(), JobFilter(s.Name()), concurrency)
	w.handle = func(ctx context.Context, d *delivery) ([]*job.Job, error) {
		j, err := job.DecodeJob(d.msg.Data())
		if err != nil {
			return nil, &ExcludeError{Reason: err.Error()}
		}
		d.job = j
		if j.Stage != s.Name() || j.Region != d.region {
			return nil, Exclude("%v: job for stage %q region %q arrived on %s", job.ErrMalformed, j.Stage, j.Region, d.msg.Subject())
		}
		out, err := s.Handle(ctx, j)
		if err != nil {
			return nil, err
		}
		return []*job.Job{out}, nil
	}
	return w
}

// PlanWorker returns the worker that turns triggers into jobs.
func (p *Pipeline) PlanWorker(pl Planner) *Worker {
	w := p.newWorker(job.StagePlan, SubjectTrigger, 1)
	w.handle = func(ctx context.Context, d *delivery) ([]*job.Job, error) {
		t, err := job.DecodeTrigger(d.msg.Data())
		if err != nil {
			return nil, &ExcludeError{Reason: err.Error()}
		}
		d.run = t.Run
		jobs, err := pl.Plan(ctx, t)
		if err != nil {
			return nil, err
		}
		return jobs, p.announcePlan(ctx, t, jobs)
	}
	return w
}

func (p *Pipeline) newWorker(stage, filter string, concurrency int) *Worker {
	if concurrency < 1 {
		concurrency = 1
	}
	return &Worker{
		p: p, concurrency: concurrency,
		spec: ConsumerSpec{Stage: stage, Filter: filter, Concurrency: concurrency,
			AckWait: p.opts.AckWait, MaxDeliver: p.opts.MaxDeliver},
		log: p.log.With("stage", stage),
	}
}

// Spec is the consumer this worker needs, for `gravedancer setup`.
func (w *Worker) Spec() ConsumerSpec { return w.spec }

// Slots sets how many jobs this process works on at once (default: the
// stage's cluster-wide cap). The server still enforces the cap across all
// processes.
func (w *Worker) Slots(n int) *Worker {
	if n > 0 {
		w.concurrency = n
	}
	return w
}

// Start ensures (or binds) the consumer and runs the fetch loop until Stop
// or ctx ends.
func (w *Worker) Start(ctx context.Context) error {
	var cons jetstream.Consumer
	var err error
	if w.p.opts.Bind {
		cons, err = w.p.js.Consumer(ctx, StreamJobs, w.spec.Stage)
		if err != nil {
			err = fmt.Errorf("consumer %s (run `gravedancer setup` as the NATS admin first): %w", w.spec.Stage, err)
		}
	} else {
		cons, err = EnsureConsumer(ctx, w.p.js, w.spec)
	}
	if err != nil {
		return err
	}
	workCtx, stopWork := context.WithCancel(ctx)
	fetchCtx, stopFetch := context.WithCancel(workCtx)
	w.stopWork, w.stopFetch, w.loopDone = stopWork, stopFetch, make(chan struct{})
	go func() {
		defer close(w.loopDone)
		w.loop(fetchCtx, workCtx, cons)
	}()
	return nil
}

// Stop stops fetching and ends in-flight jobs at once; they are Nak'ed so
// another worker takes them without waiting for AckWait.
func (w *Worker) Stop() { w.StopGracefully(0) }

// StopGracefully stops fetching, gives in-flight jobs up to grace to finish,
// then ends the rest (Nak'ed for another worker) and waits for them.
func (w *Worker) StopGracefully(grace time.Duration) {
	if w.stopFetch == nil {
		return
	}
	w.stopFetch()
	<-w.loopDone
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	if w.inFlight.Load() > 0 && !waitDone(done, grace) {
		w.log.Warn("grace period over; returning unfinished jobs to the queue", "grace", grace)
	}
	w.stopWork()
	<-done
}

// waitDone reports whether done closed within grace.
func waitDone(done <-chan struct{}, grace time.Duration) bool {
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// loop takes one message per free slot: a prefetched message would sit
// unheartbeated behind a minutes-long dump and be redelivered elsewhere.
func (w *Worker) loop(ctx, workCtx context.Context, cons jetstream.Consumer) {
	slots := make(chan struct{}, w.concurrency)
	swept, retry := ^uint64(0), time.Time{}
	for {
		// After a reconnect the server may have restarted from a crash.
		if n := w.p.js.Conn().Stats().Reconnects; n != swept && time.Now().After(retry) {
			if err := w.sweep(ctx, cons); err != nil {
				// Mid-election, say: try again shortly, without holding up jobs.
				w.log.Warn("cannot sweep settled jobs; will retry", "err", err)
				retry = time.Now().Add(sweepRetry)
			} else {
				swept = n
			}
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		msg, err := w.fetch(ctx, cons)
		if err != nil {
			<-slots
			if ctx.Err() != nil {
				// A message that arrived as the fetch was cancelled goes back.
				if msg != nil {
					_ = msg.Nak()
				}
				return
			}
			if !isTimeout(err) {
				w.log.Warn("fetch failed", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		w.wg.Add(1)
		w.inFlight.Add(1)
		go func() {
			defer w.wg.Done()
			defer w.inFlight.Add(-1)
			defer func() { <-slots }()
			w.process(workCtx, msg)
		}()
	}
}

// sweep runs sweepSettled within a short bound: it must not hold up the
// fetch loop while the server is unavailable.
func (w *Worker) sweep(ctx context.Context, cons jetstream.Consumer) error {
	ctx, cancel := context.WithTimeout(ctx, sweepWait)
	defer cancel()
	k, err := sweepSettled(ctx, w.p.js, cons)
	if k > 0 {
		w.log.Info("deleted settled jobs the work queue kept", "count", k)
	}
	return err
}

func (w *Worker) fetch(ctx context.Context, cons jetstream.Consumer) (jetstream.Msg, error) {
	fctx, cancel := context.WithTimeout(ctx, fetchWait)
	defer cancel()
	return cons.Next(jetstream.FetchContext(fctx))
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// delivery is one received message and what is known of it so far.
type delivery struct {
	msg     jetstream.Msg
	seq     uint64
	attempt int
	stage   string
	region  string
	run     string
	job     *job.Job // nil until decoded
	started time.Time
}

func (w *Worker) process(ctx context.Context, msg jetstream.Msg) {
	d := &delivery{msg: msg, stage: w.spec.Stage, region: RegionOf(msg.Subject()), started: time.Now().UTC()}
	if md, err := msg.Metadata(); err == nil {
		d.seq, d.attempt = md.Sequence.Stream, int(md.NumDelivered)
	}
	w.p.opts.Observer.Started(d.stage, d.attempt)
	hctx, stop := w.heartbeat(ctx, msg)
	outs, err := w.handle(hctx, d)
	if d.job != nil {
		d.run = d.job.Run
	}
	log := w.log.With("region", d.region, "run", d.run, "attempt", d.attempt)
	if err == nil {
		// The work is done: hand it on even if shutdown began meanwhile, or
		// the job would be redone after a restart. Publishes carry their own
		// timeout.
		err = w.advance(context.WithoutCancel(ctx), d, outs)
	}
	if failpoint.Enabled && err == nil {
		failpoint.Hit(failpoint.AfterPublish + w.spec.Stage)
	}
	w.settle(ctx, d, err, log)
	// The heartbeat runs until the job is settled, not only while the
	// handler works: publishing the next job (or the DLQ entry) and the ack
	// are retried through a stream leader election, which takes seconds
	// after a cluster node dies, and the job must not time out and go to
	// another worker to be done again meanwhile.
	stop()
}

// heartbeat tells the server the job is still being worked on, well inside
// AckWait, until it is settled.
func (w *Worker) heartbeat(ctx context.Context, msg jetstream.Msg) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	every := max(w.spec.AckWait/4, 100*time.Millisecond)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = msg.InProgress()
			case <-ctx.Done():
				return
			}
		}
	}()
	return ctx, func() { cancel(); <-done }
}

// advance records the stage in each job's history and publishes it onward.
func (w *Worker) advance(ctx context.Context, d *delivery, outs []*job.Job) error {
	finished := time.Now().UTC()
	for _, j := range outs {
		if w.spec.Stage != job.StagePlan {
			j.History = append(j.History, job.StageRecord{Stage: w.spec.Stage, Started: d.started,
				Finished: finished, Attempt: d.attempt, Worker: w.p.opts.Worker})
		}
		if err := w.p.forward(ctx, w.spec.Stage, j); err != nil {
			return err
		}
	}
	return nil
}

// settle acks, retries or dead-letters the message. Every path either hands
// the job on (next stage or DLQ, with a PubAck) before removing it, or leaves
// it in the stream for redelivery: nothing is dropped.
func (w *Worker) settle(ctx context.Context, d *delivery, err error, log *slog.Logger) {
	res, reason := w.settleOnce(ctx, d, err, log)
	w.p.opts.Observer.Finished(Delivery{Stage: d.stage, Region: d.region, Run: d.run, Attempt: d.attempt,
		Took: time.Since(d.started), Result: res, Reason: reason, Job: d.job})
}

func (w *Worker) settleOnce(ctx context.Context, d *delivery, err error, log *slog.Logger) (Result, string) {
	if err == nil {
		if aerr := doubleAck(context.WithoutCancel(ctx), d.msg); aerr != nil {
			// The next job is already published; a redelivery is deduplicated.
			log.Warn("ack failed; job will be redelivered", "err", aerr)
		}
		log.Info("stage done", "took", time.Since(d.started).Round(time.Millisecond))
		return ResultDone, ""
	}
	if ctx.Err() != nil {
		// Shutting down: hand the job back now rather than after AckWait.
		_ = d.msg.Nak()
		log.Info("stage interrupted by shutdown; job returned to the queue")
		return ResultInterrupted, ""
	}
	reason, exclude := IsExclude(err)
	if !exclude && d.attempt >= w.p.opts.MaxDeliver {
		reason, exclude = fmt.Sprintf("gave up after %d attempts: %v", d.attempt, err), true
	}
	if !exclude {
		delay := w.p.backoff(d.attempt)
		log.Warn("stage failed; will retry", "err", err, "retry_in", delay)
		_ = d.msg.NakWithDelay(delay)
		return ResultRetry, ""
	}
	if !w.exclude(ctx, d, reason, log) {
		return ResultRetry, ""
	}
	return ResultExcluded, reason
}

// exclude dead-letters the job and removes it, reporting whether it did.
func (w *Worker) exclude(ctx context.Context, d *delivery, reason string, log *slog.Logger) bool {
	ctx = context.WithoutCancel(ctx)
	if err := w.p.deadLetter(ctx, deadLetter{
		stage: d.stage, region: d.region, run: d.run, seq: d.seq, deliveries: d.attempt,
		subject: d.msg.Subject(), reason: reason, job: d.job, raw: d.msg.Data(),
	}); err != nil {
		// Without a DLQ record the job must stay where it is.
		log.Error("dead-letter failed; job left for redelivery", "err", err, "reason", reason)
		_ = d.msg.NakWithDelay(w.p.backoff(1))
		return false
	}
	if err := d.msg.Term(); err != nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
		log.Warn("term failed; redelivery will be deduplicated", "err", err)
	}
	log.Warn("region excluded", "reason", reason)
	return true
}
