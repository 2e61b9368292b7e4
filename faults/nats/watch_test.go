package nats

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/app"
	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
	"gravedancer/internal/testenv"
)

// TestRunWatchLosesItsConsumerNode kills, on purpose, the cluster node that
// hosts the events consumer of a run being watched (what `gravedancer
// backup` and `trigger --wait` do), with half the run's events still to
// come. The watch must move to the surviving nodes and see the run
// complete, every event once. With nats.go's ordered consumer, Wait hung
// for ever here, deaf to its ctx.
func TestRunWatchLosesItsConsumerNode(t *testing.T) {
	t.Parallel()
	c := testenv.StartNATSCluster(t, 3)
	ctx := scenarioContext(t)
	js := testenv.ConnectNATS(t, c.URLs(), reconnecting...)
	if err := pipeline.EnsureStreams(ctx, js, 3); err != nil {
		t.Fatal(err)
	}
	run := "watch-node-loss"
	watch, err := app.WatchRun(ctx, js, run)
	if err != nil {
		t.Fatal(err)
	}
	planned, _ := json.Marshal(pipeline.Planned{Run: run, Regions: []string{"A", "B"}})
	publishEvent(t, ctx, js, run, pipeline.EventPlanned, "planned."+run, planned)
	publishEvent(t, ctx, js, run, pipeline.DoneSubject("A"), "done.A", doneJob(run, "A"))

	type result struct {
		rep *report.Report
		err error
	}
	var seen []string
	done := make(chan result, 1)
	go func() {
		rep, err := watch.Wait(ctx, func(g report.Region) { seen = append(seen, g.Region) })
		done <- result{rep, err}
	}()
	node := watchConsumerNode(t, ctx, js, c)
	t.Logf("the watch's consumer lives on %s; killing it", node.Name)
	node.Kill()
	start := time.Now()
	publishEvent(t, ctx, js, run, pipeline.DoneSubject("B"), "done.B", doneJob(run, "B"))

	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("Wait: %v (report so far %+v)", r.err, r.rep.Regions)
		}
		if len(r.rep.Regions) != 2 || r.rep.Good() != 2 {
			t.Fatalf("report %+v, want A and B good", r.rep.Regions)
		}
		if got := strings.Join(seen, ","); got != "A,B" {
			t.Fatalf("regions reported as they finished: %s, want A,B (each once, in order)", got)
		}
		t.Logf("the watch saw the run complete %s after the kill", time.Since(start).Round(time.Millisecond))
	case <-time.After(75 * time.Second):
		t.Fatal("Wait did not return within 75s of the node loss, not even when its ctx ended")
	}
}

// watchConsumerNode waits for the watch's ephemeral consumer on the events
// stream (the only consumer there) and returns the node it lives on.
func watchConsumerNode(t *testing.T, ctx context.Context, js jetstream.JetStream, c *testenv.NATSCluster) *testenv.NATSServer {
	t.Helper()
	var leader string
	testenv.WaitFor(t, "the watch's consumer", patience, func() bool {
		lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		s, err := js.Stream(lctx, pipeline.StreamEvents)
		if err != nil {
			return false
		}
		for l := s.ListConsumers(lctx); ; {
			ci, ok := <-l.Info()
			if !ok {
				return false
			}
			if ci.Cluster != nil && ci.Cluster.Leader != "" {
				leader = ci.Cluster.Leader
				return true
			}
		}
	})
	node := c.Server(leader)
	if node == nil {
		t.Fatalf("consumer leader %q is not a node of the cluster", leader)
	}
	return node
}

func doneJob(run, region string) []byte {
	j := &job.Job{V: job.Version, Run: run, Region: region, Stage: job.StageDone}
	return job.Encode(j)
}

// publishEvent publishes one event of run, retrying while the stream elects
// a new leader.
func publishEvent(t *testing.T, ctx context.Context, js jetstream.JetStream, run, subject, id string, data []byte) {
	t.Helper()
	m := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
	m.Header.Set(pipeline.HdrRun, run)
	var err error
	if !testenv.Eventually(patience, func() bool {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err = js.PublishMsg(pctx, m, jetstream.WithMsgID(id))
		return err == nil
	}) {
		t.Fatalf("publish %s: %v", subject, err)
	}
}
