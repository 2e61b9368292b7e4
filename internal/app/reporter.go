package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
	"gravedancer/internal/store"
)

// RunsBucket holds the state of runs in service mode: which regions were
// planned and how each ended, so any worker running plan can finish a run's
// report, across restarts.
const RunsBucket = "gd_runs"

// runState is one run as the reporter knows it.
type runState struct {
	Run      string                   `json:"run"`
	Started  time.Time                `json:"started"`
	Planned  []string                 `json:"planned"`
	Regions  map[string]report.Region `json:"regions"`
	Finished *time.Time               `json:"finished,omitempty"`
}

// Reporter writes run reports in service mode. It consumes the events stream
// through a durable consumer (one event at a time, shared by every process
// that runs it) and keeps run state in KV.
type Reporter struct {
	js    jetstream.JetStream
	kv    jetstream.KeyValue
	spool *store.Spool
	log   *slog.Logger
	stop  context.CancelFunc
	done  chan struct{}
	// alerts gets an alert for each excluded event and each first
	// completion of a run with exclusions: the reporter's consumer hands
	// every event to one process, so each alert is raised once.
	alerts *alerting
}

// StartReporter binds (creating if allowed) its bucket and consumer and runs
// until Stop.
func StartReporter(ctx context.Context, js jetstream.JetStream, spool *store.Spool, create bool, replicas int, log *slog.Logger) (*Reporter, error) {
	return startReporter(ctx, js, spool, create, replicas, log, nil)
}

// startReporter is StartReporter raising alerts through alerts (nil: none).
func startReporter(ctx context.Context, js jetstream.JetStream, spool *store.Spool, create bool, replicas int, log *slog.Logger, alerts *alerting) (*Reporter, error) {
	if create {
		if err := SetupReporter(ctx, js, replicas); err != nil {
			return nil, err
		}
	}
	kv, err := js.KeyValue(ctx, RunsBucket)
	if err != nil {
		return nil, fmt.Errorf("reporter: %w", err)
	}
	cons, err := js.Consumer(ctx, pipeline.StreamEvents, "reporter")
	if err != nil {
		return nil, fmt.Errorf("reporter: %w", err)
	}
	r := &Reporter{js: js, kv: kv, spool: spool, log: log, done: make(chan struct{}), alerts: alerts}
	ctx, r.stop = context.WithCancel(ctx)
	go r.loop(ctx, cons)
	return r, nil
}

// SetupReporter creates the run-state bucket and the reporter's consumer.
func SetupReporter(ctx context.Context, js jetstream.JetStream, replicas int) error {
	if _, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: RunsBucket, History: 1, Replicas: max(replicas, 1),
		TTL: pipeline.EventsMaxAge, Storage: jetstream.FileStorage, Description: "gravedancer run state"}); err != nil {
		return fmt.Errorf("reporter bucket: %w", err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, pipeline.StreamEvents, reporterConsumer()); err != nil {
		return fmt.Errorf("reporter consumer: %w", err)
	}
	return nil
}

func reporterConsumer() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{Durable: "reporter", Description: "gravedancer run reports",
		FilterSubject: "gd.event.>", AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 1,
		AckWait: 30 * time.Second, DeliverPolicy: jetstream.DeliverNewPolicy}
}

// Stop ends the reporter and waits for it.
func (r *Reporter) Stop() {
	r.stop()
	<-r.done
}

func (r *Reporter) loop(ctx context.Context, cons jetstream.Consumer) {
	defer close(r.done)
	for ctx.Err() == nil {
		fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		msg, err := cons.Next(jetstream.FetchContext(fctx))
		cancel()
		if err != nil {
			if fctx.Err() == nil {
				// Failed at once (no responders while the consumer elects a
				// new leader after a node died, a reconnect): do not spin.
				t := time.NewTimer(time.Second)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
				}
			}
			continue
		}
		if err := r.apply(ctx, msg); err != nil {
			r.log.Warn("run report not updated; will retry", "subject", msg.Subject(), "err", err)
			_ = msg.NakWithDelay(time.Second)
			continue
		}
		if ev, ok := exclusionAlert(msg); ok {
			r.alerts.notify(ev)
		}
		_ = msg.Ack()
	}
}

// apply folds one event into its run, writing the report when complete.
func (r *Reporter) apply(ctx context.Context, msg jetstream.Msg) error {
	run := msg.Headers().Get(pipeline.HdrRun)
	if !job.ValidRunID(run) {
		return nil // not a run event we can file
	}
	for {
		st, rev, err := r.load(ctx, run)
		if err != nil {
			return err
		}
		fold(st, msg)
		complete := st.Finished == nil && st.complete()
		if complete {
			now := time.Now().UTC()
			st.Finished = &now
		}
		if err := r.save(ctx, st, rev); errors.Is(err, jetstream.ErrKeyExists) {
			continue // another reporter wrote meanwhile: fold again
		} else if err != nil {
			return err
		}
		if st.Finished != nil && st.complete() {
			return r.publish(ctx, st, complete)
		}
		return nil
	}
}

func (r *Reporter) load(ctx context.Context, run string) (*runState, uint64, error) {
	e, err := r.kv.Get(ctx, run)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return &runState{Run: run, Regions: map[string]report.Region{}}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var st runState
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		return nil, 0, fmt.Errorf("run %s state: %w", run, err)
	}
	if st.Regions == nil {
		st.Regions = map[string]report.Region{}
	}
	return &st, e.Revision(), nil
}

func (r *Reporter) save(ctx context.Context, st *runState, rev uint64) error {
	data, _ := json.Marshal(st)
	var err error
	if rev == 0 {
		_, err = r.kv.Create(ctx, st.Run, data)
	} else {
		_, err = r.kv.Update(ctx, st.Run, data, rev)
	}
	return err
}

// fold records what one event says about its run.
func fold(st *runState, msg jetstream.Msg) {
	if md, err := msg.Metadata(); err == nil && (st.Started.IsZero() || md.Timestamp.Before(st.Started)) {
		st.Started = md.Timestamp.UTC()
	}
	ev := parseEvent(msg)
	if ev.planned != nil {
		st.Planned = ev.planned
	}
	if ev.region != "" {
		st.Regions[ev.region] = ev.result
	}
}

func (st *runState) complete() bool {
	if st.Planned == nil {
		return false
	}
	for _, r := range st.Planned {
		if _, ok := st.Regions[r]; !ok {
			return false
		}
	}
	return true
}

// publish writes the report; the first completion also announces it. A
// later event (a replayed region) rewrites the report in place.
func (r *Reporter) publish(ctx context.Context, st *runState, first bool) error {
	rep := &report.Report{V: job.Version, Run: st.Run, Started: st.Started, Finished: *st.Finished}
	for _, name := range st.Planned {
		rep.Regions = append(rep.Regions, st.Regions[name])
	}
	if ev, ok := runAlert(rep); ok && first {
		r.alerts.notify(ev) // before the report: a failed write is retried with first unset
	}
	if _, err := report.Write(r.spool, rep); err != nil {
		return err
	}
	if !first {
		return nil
	}
	r.log.Info("run finished", "run", st.Run, "good", rep.Good(), "excluded", rep.Excluded())
	data, _ := json.Marshal(rep)
	return pipeline.RunFinished(ctx, r.js, st.Run, data)
}
