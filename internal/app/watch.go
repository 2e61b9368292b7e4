package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
)

// RunWatch follows one run on the events stream until every planned region
// has finished or been excluded.
type RunWatch struct {
	run     string
	events  *pipeline.Reader
	planned []string
	regions map[string]report.Region
	started time.Time
}

// WatchRun starts following run. Call it before publishing the trigger. The
// start is pinned to the stream's sequence now, so every event of the run
// is seen however long the first read takes.
//
// The events are read through a pipeline.Reader, not jetstream's ordered
// consumer: in a cluster that loses the node the ordered consumer's R1
// ephemeral lives on, nats.go (v1.55) retries recreating it forever inside
// Next, ignoring ctx, so Wait never returned. The Reader bounds every call
// by ctx and moves to a new consumer from the last event it saw.
func WatchRun(ctx context.Context, js jetstream.JetStream, run string) (*RunWatch, error) {
	s, err := js.Stream(ctx, pipeline.StreamEvents)
	if err != nil {
		return nil, fmt.Errorf("watch run %s: %w", run, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("watch run %s: %w", run, err)
	}
	events := pipeline.NewReader(js, pipeline.StreamEvents, pipeline.ReaderConfig{
		Filter: []string{"gd.event.>"}, StartSeq: info.State.LastSeq + 1,
	})
	return &RunWatch{run: run, events: events, regions: map[string]report.Region{}, started: time.Now().UTC()}, nil
}

// Wait blocks until the run is complete or ctx ends; onRegion is called as
// each region finishes. On ctx end the report marks unfinished regions pending.
// Wait may be called again after ctx ended; it goes on where it stopped.
func (w *RunWatch) Wait(ctx context.Context, onRegion func(report.Region)) (*report.Report, error) {
	defer w.events.Close()
	var err error
	for !w.complete() {
		var msg jetstream.Msg
		msg, err = w.next(ctx)
		if err != nil {
			break
		}
		if g, ok := w.apply(msg); ok && onRegion != nil {
			onRegion(g)
		}
	}
	return w.report(), err
}

// next returns the next event, or ctx's error once ctx ends. Failures to
// reach the server (a node lost, a reconnect) are retried until then.
func (w *RunWatch) next(ctx context.Context) (jetstream.Msg, error) {
	for {
		msg, err := w.events.Next(ctx, 5*time.Second)
		if err == nil {
			return msg, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
}

func (w *RunWatch) complete() bool {
	if w.planned == nil {
		return false
	}
	for _, r := range w.planned {
		if _, ok := w.regions[r]; !ok {
			return false
		}
	}
	return true
}

// apply records one event of this run; events of other runs are ignored.
func (w *RunWatch) apply(msg jetstream.Msg) (report.Region, bool) {
	if msg.Headers().Get(pipeline.HdrRun) != w.run {
		return report.Region{}, false
	}
	ev := parseEvent(msg)
	if ev.planned != nil {
		w.planned = ev.planned
	}
	if ev.region == "" {
		return report.Region{}, false
	}
	w.regions[ev.region] = ev.result
	return ev.result, true
}

// event is what one events-stream message says about its run.
type event struct {
	planned []string      // set by the planned event, or [RunLevel] when the trigger failed
	region  string        // "" for the planned event
	result  report.Region // how region ended
}

// parseEvent reads a planned, done or excluded event. An excluded event
// whose body is not a job (a malformed message) still yields the region and
// the reason from its headers.
func parseEvent(msg jetstream.Msg) event {
	subj := msg.Subject()
	if subj == pipeline.EventPlanned {
		var p pipeline.Planned
		if json.Unmarshal(msg.Data(), &p) == nil {
			return event{planned: append([]string{}, p.Regions...)}
		}
		return event{}
	}
	ev := event{region: subj[strings.LastIndexByte(subj, '.')+1:]}
	ev.result = report.Region{Region: ev.region, Outcome: report.OutcomeExcluded}
	if j, err := job.DecodeJob(msg.Data()); err == nil {
		ev.result = report.FromJob(j)
	}
	if strings.HasPrefix(subj, "gd.event.excluded.") {
		ev.result.Outcome = report.OutcomeExcluded
		if ev.result.Reason == "" {
			ev.result.Stage, ev.result.Reason = msg.Headers().Get(pipeline.HdrStage), msg.Headers().Get(pipeline.HdrReason)
		}
	}
	if ev.region == pipeline.RunLevel {
		ev.planned = []string{pipeline.RunLevel} // the trigger itself failed: nothing more will come
	}
	return ev
}

func (w *RunWatch) report() *report.Report {
	r := &report.Report{V: job.Version, Run: w.run, Started: w.started, Finished: time.Now().UTC()}
	for _, name := range w.planned {
		g, ok := w.regions[name]
		if !ok {
			g = report.Region{Region: name, Outcome: report.OutcomePending, Reason: "run ended before this region finished"}
		}
		r.Regions = append(r.Regions, g)
	}
	return r
}
