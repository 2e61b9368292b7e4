package pipeline

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/job"
)

// harness is a pipeline on a private embedded JetStream.
type harness struct {
	t  *testing.T
	p  *Pipeline
	js jetstream.JetStream
}

func newHarness(t *testing.T, route []string, maxDeliver int, ackWait time.Duration) *harness {
	t.Helper()
	e, err := StartEmbedded(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	nc, err := e.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	p := New(js, Options{Route: route, AckWait: ackWait, MaxDeliver: maxDeliver,
		RetryDelay: 10 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := p.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, p: p, js: js}
}

// start runs w until the test ends.
func (h *harness) start(w *Worker) {
	h.t.Helper()
	if err := w.Start(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(w.Stop)
}

func (h *harness) publishJob(stage, region string, data []byte) {
	h.t.Helper()
	if _, err := h.js.Publish(context.Background(), JobSubject(stage, region), data); err != nil {
		h.t.Fatal(err)
	}
}

// next returns the next message on subject from the start of its stream,
// failing the test if none arrives within 20s.
func (h *harness) watch(stream, subject string) func() jetstream.Msg {
	h.t.Helper()
	c, err := h.js.OrderedConsumer(context.Background(), stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		h.t.Fatal(err)
	}
	return func() jetstream.Msg {
		h.t.Helper()
		m, err := c.Next(jetstream.FetchMaxWait(20 * time.Second))
		if err != nil {
			h.t.Fatalf("no message on %s: %v", subject, err)
		}
		return m
	}
}

// pendingJobs counts messages still in the work queue.
func (h *harness) pendingJobs() uint64 {
	h.t.Helper()
	s, err := h.js.Stream(context.Background(), StreamJobs)
	if err != nil {
		h.t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return info.State.Msgs
}

type stageFunc struct {
	name string
	f    func(ctx context.Context, j *job.Job) (*job.Job, error)
}

func (s stageFunc) Name() string { return s.name }
func (s stageFunc) Handle(ctx context.Context, j *job.Job) (*job.Job, error) {
	return s.f(ctx, j)
}

func pass(name string, calls *atomic.Int32) stageFunc {
	return stageFunc{name, func(_ context.Context, j *job.Job) (*job.Job, error) {
		calls.Add(1)
		return j, nil
	}}
}

func newJob(stage, region string) []byte {
	return job.Encode(&job.Job{V: job.Version, Run: "r1", Region: region, Addr: "127.0.0.1:3306", Stage: stage})
}

func TestJobWalksTheRouteAndIsAnnouncedDone(t *testing.T) {
	h := newHarness(t, []string{"a", "b"}, 3, 5*time.Second)
	var a, b atomic.Int32
	h.start(h.p.StageWorker(pass("a", &a), 2))
	h.start(h.p.StageWorker(pass("b", &b), 2))
	done := h.watch(StreamEvents, DoneSubject("R1"))

	h.publishJob("a", "R1", newJob("a", "R1"))
	m := done()
	j, err := job.DecodeJob(m.Data())
	if err != nil {
		t.Fatal(err)
	}
	var stages []string
	for _, r := range j.History {
		stages = append(stages, r.Stage)
	}
	if got, want := strings.Join(stages, ","), "a,b"; got != want {
		t.Errorf("history = %s, want %s", got, want)
	}
	if got := m.Headers().Get(HdrRun); got != "r1" {
		t.Errorf("run header = %q, want r1", got)
	}
	if a.Load() != 1 || b.Load() != 1 {
		t.Errorf("calls a=%d b=%d, want 1 each", a.Load(), b.Load())
	}
	// Events are published before the job is acked: wait for the ack.
	eventually(t, "the work queue to drain", func() bool { return h.pendingJobs() == 0 })
}

func TestExclusionIsDeadLetteredWithHeaders(t *testing.T) {
	h := newHarness(t, []string{"a"}, 3, 5*time.Second)
	h.start(h.p.StageWorker(stageFunc{"a", func(context.Context, *job.Job) (*job.Job, error) {
		return nil, Exclude("table nova.instances is empty\nsecond line")
	}}, 1))
	dlq := h.watch(StreamDLQ, DLQSubject("a", "R1"))
	excluded := h.watch(StreamEvents, ExcludedSubject("R1"))

	h.publishJob("a", "R1", newJob("a", "R1"))
	m := dlq()
	want := map[string]string{
		HdrReason: "table nova.instances is empty | second line", HdrStage: "a", HdrRun: "r1",
		HdrRegion: "R1", HdrDeliveries: "1", HdrSubject: JobSubject("a", "R1"),
	}
	for k, v := range want {
		if got := m.Headers().Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	j, err := job.DecodeJob(m.Data())
	if err != nil {
		t.Fatal(err)
	}
	if j.Exclusion == nil || j.Exclusion.Reason != "table nova.instances is empty\nsecond line" || j.Exclusion.Stage != "a" {
		t.Errorf("exclusion = %+v", j.Exclusion)
	}
	excluded()
	// Events are published before the job is acked: wait for the ack.
	eventually(t, "the work queue to drain", func() bool { return h.pendingJobs() == 0 })
}

func TestTransientErrorRetriesThenExcludes(t *testing.T) {
	h := newHarness(t, []string{"a"}, 3, 5*time.Second)
	var calls atomic.Int32
	h.start(h.p.StageWorker(stageFunc{"a", func(context.Context, *job.Job) (*job.Job, error) {
		calls.Add(1)
		return nil, errors.New("dial tcp 127.0.0.1:1: connection refused")
	}}, 1))
	dlq := h.watch(StreamDLQ, DLQSubject("a", "R1"))

	h.publishJob("a", "R1", newJob("a", "R1"))
	m := dlq()
	reason := m.Headers().Get(HdrReason)
	if !strings.Contains(reason, "gave up after 3 attempts") || !strings.Contains(reason, "connection refused") {
		t.Errorf("reason = %q, want attempts and the error", reason)
	}
	if got := m.Headers().Get(HdrDeliveries); got != "3" {
		t.Errorf("deliveries = %s, want 3", got)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("stage called %d times, want 3", got)
	}
}

func TestTransientErrorThenSuccess(t *testing.T) {
	h := newHarness(t, []string{"a"}, 4, 5*time.Second)
	var calls atomic.Int32
	h.start(h.p.StageWorker(stageFunc{"a", func(_ context.Context, j *job.Job) (*job.Job, error) {
		if calls.Add(1) < 3 {
			return nil, errors.New("source flapping")
		}
		return j, nil
	}}, 1))
	done := h.watch(StreamEvents, DoneSubject("R1"))
	h.publishJob("a", "R1", newJob("a", "R1"))
	j, err := job.DecodeJob(done().Data())
	if err != nil {
		t.Fatal(err)
	}
	if got := j.History[0].Attempt; got != 3 {
		t.Errorf("recorded attempt %d, want 3", got)
	}
}

func TestMalformedMessageIsDeadLetteredAndWorkerLives(t *testing.T) {
	cases := []struct {
		name, want string
		data       []byte
	}{
		{"not json", "malformed message", []byte("{not json")},
		{"unknown version", "schema version 9", []byte(`{"v":9,"run":"r1","region":"R1","addr":"x","stage":"a"}`)},
		{"unknown field", "unknown field", []byte(`{"v":1,"run":"r1","region":"R1","addr":"x","stage":"a","evil":1}`)},
		{"wrong stage", "arrived on", newJob("b", "R1")},
	}
	h := newHarness(t, []string{"a"}, 3, 5*time.Second)
	var calls atomic.Int32
	h.start(h.p.StageWorker(pass("a", &calls), 1))
	dlq := h.watch(StreamDLQ, DLQSubject("a", "R1"))
	done := h.watch(StreamEvents, DoneSubject("R1"))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.publishJob("a", "R1", c.data)
			if got := dlq().Headers().Get(HdrReason); !strings.Contains(got, c.want) {
				t.Errorf("reason = %q, want it to contain %q", got, c.want)
			}
		})
	}
	h.publishJob("a", "R1", newJob("a", "R1"))
	done()
	if got := calls.Load(); got != 1 {
		t.Errorf("stage called %d times, want 1 (only the good job)", got)
	}
}

type planFunc func(ctx context.Context, t *job.Trigger) ([]*job.Job, error)

func (f planFunc) Plan(ctx context.Context, t *job.Trigger) ([]*job.Job, error) { return f(ctx, t) }

func TestDuplicateTriggerMakesOneRun(t *testing.T) {
	h := newHarness(t, []string{"a"}, 3, 5*time.Second)
	var plans, calls atomic.Int32
	h.start(h.p.PlanWorker(planFunc(func(_ context.Context, tr *job.Trigger) ([]*job.Job, error) {
		plans.Add(1)
		var out []*job.Job
		for _, r := range []string{"R1", "R2"} {
			out = append(out, &job.Job{V: job.Version, Run: tr.Run, Region: r, Addr: "h:1"})
		}
		return out, nil
	})))
	h.start(h.p.StageWorker(pass("a", &calls), 2))
	done := h.watch(StreamEvents, "gd.event.done.*")

	tr := &job.Trigger{V: job.Version, Run: "20261127-0300", At: time.Now()}
	for i, wantDup := range []bool{false, true} {
		dup, err := Trigger(context.Background(), h.js, tr)
		if err != nil {
			t.Fatal(err)
		}
		if dup != wantDup {
			t.Errorf("publish %d: duplicate = %v, want %v", i, dup, wantDup)
		}
	}
	regions := map[string]bool{}
	for range 2 {
		regions[RegionOf(strings.Replace(done().Subject(), "gd.event.done", "gd.job.x", 1))] = true
	}
	if !regions["R1"] || !regions["R2"] {
		t.Errorf("done regions = %v, want R1 and R2", regions)
	}
	if plans.Load() != 1 || calls.Load() != 2 {
		t.Errorf("plans=%d stage calls=%d, want 1 and 2", plans.Load(), calls.Load())
	}
}

func TestUnackedJobIsRescuedByMaxDeliveriesAdvisory(t *testing.T) {
	h := newHarness(t, []string{"a"}, 1, time.Second)
	stop, err := h.p.WatchMaxDeliveries(context.Background(), []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	cons, err := EnsureConsumer(context.Background(), h.js, ConsumerSpec{Stage: "a", Filter: JobFilter("a"),
		Concurrency: 1, AckWait: time.Second, MaxDeliver: 1})
	if err != nil {
		t.Fatal(err)
	}
	dlq := h.watch(StreamDLQ, DLQSubject("a", "R1"))
	h.publishJob("a", "R1", newJob("a", "R1"))
	// A worker that takes the job and dies: never acks, never heartbeats.
	if _, err := cons.Next(jetstream.FetchMaxWait(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	m := dlq()
	if got := m.Headers().Get(HdrReason); !strings.Contains(got, "no worker finished this job in 1 deliveries") {
		t.Errorf("reason = %q", got)
	}
	if got := m.Headers().Get(HdrRun); got != "r1" {
		t.Errorf("run = %q, want r1", got)
	}
	// The rescue deletes the job only after its DLQ record is stored.
	eventually(t, "job deleted from the work queue", func() bool { return h.pendingJobs() == 0 })
}

// eventually polls cond until it holds or 10s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLongStageIsHeartbeatedNotRedelivered(t *testing.T) {
	h := newHarness(t, []string{"a"}, 5, time.Second)
	var calls atomic.Int32
	h.start(h.p.StageWorker(stageFunc{"a", func(ctx context.Context, j *job.Job) (*job.Job, error) {
		calls.Add(1)
		// Work that outlasts AckWait twice over.
		select {
		case <-time.After(2500 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return j, nil
	}}, 1))
	done := h.watch(StreamEvents, DoneSubject("R1"))
	h.publishJob("a", "R1", newJob("a", "R1"))
	j, err := job.DecodeJob(done().Data())
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 || j.History[0].Attempt != 1 {
		t.Errorf("calls=%d attempt=%d, want one delivery", calls.Load(), j.History[0].Attempt)
	}
}

func TestPublishIsIdempotentByMsgID(t *testing.T) {
	h := newHarness(t, []string{"a", "b"}, 3, 5*time.Second)
	j := &job.Job{V: job.Version, Run: "r1", Region: "R1", Stage: "a"}
	for range 2 {
		if err := h.p.forward(context.Background(), "a", j); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.pendingJobs(); n != 1 {
		t.Errorf("jobs after publishing the same job twice = %d, want 1", n)
	}
	j.Replay = 1
	if err := h.p.forward(context.Background(), "a", j); err != nil {
		t.Fatal(err)
	}
	if n := h.pendingJobs(); n != 2 {
		t.Errorf("jobs after a replay = %d, want 2", n)
	}
}

func TestGracefulStopFinishesOrHandsBack(t *testing.T) {
	for _, c := range []struct {
		name     string
		grace    time.Duration
		finishes bool
	}{{"finishes within grace", 30 * time.Second, true}, {"handed back after grace", 50 * time.Millisecond, false}} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, []string{"a"}, 5, 30*time.Second)
			started, release := make(chan struct{}), make(chan struct{})
			var calls atomic.Int32
			w := h.p.StageWorker(stageFunc{"a", func(ctx context.Context, j *job.Job) (*job.Job, error) {
				if calls.Add(1) == 1 {
					close(started)
					select {
					case <-release:
					case <-ctx.Done():
						return nil, ctx.Err()
					}
				}
				return j, nil
			}}, 1)
			if err := w.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			done := h.watch(StreamEvents, DoneSubject("R1"))
			h.publishJob("a", "R1", newJob("a", "R1"))
			<-started
			stopped := make(chan struct{})
			go func() { w.StopGracefully(c.grace); close(stopped) }()
			if c.finishes {
				close(release)
				<-stopped
				done()
				return
			}
			<-stopped
			// Handed back with Nak: a new worker gets it now, not after AckWait.
			h.start(h.p.StageWorker(pass("a", &calls), 1))
			j, err := job.DecodeJob(done().Data())
			if err != nil {
				t.Fatal(err)
			}
			if j.History[0].Attempt != 2 {
				t.Errorf("attempt = %d, want 2 (redelivered)", j.History[0].Attempt)
			}
		})
	}
}

// TestOversizedMessageIsDeadLettered: a message published just under the
// server's max_payload cannot go to the DLQ whole next to its headers; it
// is recorded cut, with the original's size and hash, rather than never
// settled. Such an entry is refused by replay.
func TestOversizedMessageIsDeadLettered(t *testing.T) {
	cases := []struct {
		name string
		data func(limit int) []byte
		want string
	}{
		{"garbage", func(limit int) []byte { return bytes.Repeat([]byte("A"), limit-64) }, "malformed"},
		{"valid job too big for its exclusion", func(limit int) []byte {
			return job.Encode(&job.Job{V: job.Version, Run: "r1", Region: "R1", Stage: "a", Addr: strings.Repeat("b", limit-128)})
		}, "excluded on purpose"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, []string{"a"}, 2, 5*time.Second)
			limit := int(h.js.Conn().MaxPayload())
			var calls atomic.Int32
			h.start(h.p.StageWorker(stageFunc{name: "a", f: func(ctx context.Context, j *job.Job) (*job.Job, error) {
				calls.Add(1)
				return nil, Exclude("excluded on purpose")
			}}, 1))
			dlq := h.watch(StreamDLQ, DLQSubject("a", "R1"))
			data := c.data(limit)
			h.publishJob("a", "R1", data)
			m := dlq()
			if got := m.Headers().Get(HdrReason); !strings.Contains(got, c.want) {
				t.Errorf("reason = %q, want %q", got, c.want)
			}
			cut := m.Headers().Get(HdrTruncated)
			if !strings.Contains(cut, "body cut from") || !strings.Contains(cut, "sha256") {
				t.Errorf("%s = %q, want the original size and hash", HdrTruncated, cut)
			}
			if len(m.Data()) >= len(data) || len(m.Data()) == 0 {
				t.Errorf("DLQ body %d bytes, want a cut of the %d-byte original", len(m.Data()), len(data))
			}
			waitEmpty(t, h)
			md, _ := m.Metadata()
			e := &Entry{Seq: md.Sequence.Stream, Header: nats.Header(m.Headers()), Data: m.Data()}
			if _, err := replayMsg(e, 1); !errors.Is(err, ErrNotReplayable) {
				t.Errorf("replay of a cut entry: %v, want %v", err, ErrNotReplayable)
			}
		})
	}
}

// waitEmpty waits until the work queue holds nothing: the job was settled.
func waitEmpty(t *testing.T, h *harness) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for h.pendingJobs() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still in the queue after 20s", h.pendingJobs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu       sync.Mutex
	started  []int
	finished []Delivery
}

func (r *recorder) Started(_ string, attempt int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = append(r.started, attempt)
}

func (r *recorder) Finished(d Delivery) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finished = append(r.finished, d)
}

// TestObserverSeesEveryDelivery: two failures then an exclusion are
// reported as retry, retry, excluded with the reason, each after its
// start, with the attempt numbers the server counted.
func TestObserverSeesEveryDelivery(t *testing.T) {
	h := newHarness(t, []string{"a"}, 3, 5*time.Second)
	rec := &recorder{}
	h.p.opts.Observer = rec
	h.start(h.p.StageWorker(stageFunc{"a", func(context.Context, *job.Job) (*job.Job, error) {
		return nil, errors.New("refused")
	}}, 1))
	dlq := h.watch(StreamDLQ, DLQSubject("a", "R1"))
	h.publishJob("a", "R1", newJob("a", "R1"))
	dlq()
	waitEmpty(t, h)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.finished) != 3 || len(rec.started) != 3 {
		t.Fatalf("started %v, finished %+v; want 3 each", rec.started, rec.finished)
	}
	want := []Result{ResultRetry, ResultRetry, ResultExcluded}
	for i, d := range rec.finished {
		if d.Result != want[i] || d.Attempt != i+1 || d.Stage != "a" || d.Region != "R1" || d.Run != "r1" {
			t.Errorf("delivery %d = %+v, want %s attempt %d", i, d, want[i], i+1)
		}
	}
	if r := rec.finished[2].Reason; !strings.Contains(r, "gave up after 3 attempts") {
		t.Errorf("exclusion reason %q", r)
	}
}
