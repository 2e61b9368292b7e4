// Package pipeline is the JetStream mechanics every stage shares, written
// once: streams and durable consumers, the worker loop that takes one message
// per free slot, heartbeats long work, publishes the next job before acking,
// dead-letters exclusions before terminating, retries transient failures with
// backoff, and catches the max-deliveries advisory so no job vanishes.
//
// A stage only decides: the job advanced, Exclude(reason), or an error to retry.
package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/job"
)

// Stage is one region step (dump, stats, check, …).
type Stage interface {
	// Name is the stage's consumer name and subject token.
	Name() string
	// Handle works on one job and returns it advanced. It may run again for
	// the same job (redelivery after a crash or a timeout), so it must be
	// idempotent. Return Exclude(…) to drop the region now; any other error
	// is retried with backoff and excludes the region once retries run out.
	Handle(ctx context.Context, j *job.Job) (*job.Job, error)
}

// Planner turns a trigger into one job per region.
type Planner interface {
	// Plan returns the jobs of the run; an error excludes the whole trigger
	// (ExcludeError) or retries it.
	Plan(ctx context.Context, t *job.Trigger) ([]*job.Job, error)
}

// Options tune every worker of a pipeline.
type Options struct {
	// Route is the ordered list of region stages; after the last one a job is
	// announced done. A stage not on the route is never published to, so no
	// subject fills up without a consumer.
	Route      []string
	AckWait    time.Duration
	MaxDeliver int
	RetryDelay time.Duration
	Worker     string // identifies this process in job history
	Logger     *slog.Logger
	// Bind makes workers use the consumers an admin created (`gravedancer
	// setup`) instead of creating them: per-role NATS users may not.
	Bind bool
	// Replicas is how many copies of each stream a clustered JetStream
	// keeps (GD_NATS_REPLICAS); 1 on a single server.
	Replicas int
	// Observer is told of every delivery (metrics); nil means nobody.
	Observer Observer
}

// Pipeline publishes and settles jobs on one JetStream connection.
type Pipeline struct {
	js   jetstream.JetStream
	opts Options
	log  *slog.Logger
}

// New returns a pipeline on js.
func New(js jetstream.JetStream, opts Options) *Pipeline {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Worker == "" {
		host, _ := os.Hostname()
		opts.Worker = host + ":" + strconv.Itoa(os.Getpid())
	}
	if opts.MaxDeliver < 1 {
		opts.MaxDeliver = 1
	}
	if opts.Observer == nil {
		opts.Observer = noObserver{}
	}
	return &Pipeline{js: js, opts: opts, log: opts.Logger}
}

// JetStream returns the underlying context, for commands that read streams.
func (p *Pipeline) JetStream() jetstream.JetStream { return p.js }

// Setup creates the streams.
func (p *Pipeline) Setup(ctx context.Context) error { return EnsureStreams(ctx, p.js, p.opts.Replicas) }

// next is the stage after stage on the route, or "" at its end.
func (p *Pipeline) next(stage string) string {
	if stage == job.StagePlan {
		if len(p.opts.Route) == 0 {
			return ""
		}
		return p.opts.Route[0]
	}
	i := slices.Index(p.opts.Route, stage)
	if i < 0 || i+1 >= len(p.opts.Route) {
		return ""
	}
	return p.opts.Route[i+1]
}

// backoff doubles the retry delay per attempt, capped at ten minutes.
func (p *Pipeline) backoff(attempt int) time.Duration {
	d := p.opts.RetryDelay
	for i := 1; i < attempt && d < 10*time.Minute; i++ {
		d *= 2
	}
	return min(d, 10*time.Minute)
}

// msgID makes publishes idempotent: the same job published twice (a crash
// between publish and ack) is stored once. Replay bumps the generation so a
// replayed job is not mistaken for the first one.
func msgID(j *job.Job, what string) string {
	return fmt.Sprintf("%s.%s.%s.%d", j.Run, j.Region, what, j.Replay)
}

func (p *Pipeline) publish(ctx context.Context, subject, id string, data []byte, hdr nats.Header) error {
	if hdr == nil {
		hdr = nats.Header{}
	}
	return publishOnce(ctx, p.js, subject, id, data, hdr)
}

// forward publishes j to the next stage on the route, or announces it done.
func (p *Pipeline) forward(ctx context.Context, from string, j *job.Job) error {
	next := p.next(from)
	if j.Purpose == job.PurposeVerify && from == job.StageRestore {
		next = "" // re-proved: an old backup is neither shipped again nor made latest
	}
	if next == "" {
		j.Stage = job.StageDone
		return p.publish(ctx, DoneSubject(j.Region), msgID(j, "done"), job.Encode(j), runHeader(j))
	}
	n := j.Next(next)
	return p.publish(ctx, JobSubject(next, j.Region), msgID(n, next), job.Encode(n), runHeader(j))
}

func runHeader(j *job.Job) nats.Header {
	h := nats.Header{}
	h.Set(HdrRun, j.Run)
	h.Set(HdrRegion, j.Region)
	return h
}

// Trigger publishes a run request. Its Msg-Id is the run id, so the same run
// triggered twice within a day is one run.
func Trigger(ctx context.Context, js jetstream.JetStream, t *job.Trigger) (duplicate bool, err error) {
	h := nats.Header{}
	h.Set(HdrRun, t.Run)
	ack, err := publishRetry(ctx, js, SubjectTrigger, t.Run, job.Encode(t), h)
	if err != nil {
		return false, fmt.Errorf("trigger %s: %w", t.Run, err)
	}
	return ack.Duplicate, nil
}

// RunFinished publishes a finished run's report on gd.run.finished.
func RunFinished(ctx context.Context, js jetstream.JetStream, run string, report []byte) error {
	h := nats.Header{}
	h.Set(HdrRun, run)
	if err := publishOnce(ctx, js, SubjectRunFinished, "finished."+run, report, h); err != nil {
		return fmt.Errorf("run %s finished: %w", run, err)
	}
	return nil
}
