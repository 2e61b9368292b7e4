package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/job"
)

// BenchmarkOrchestration pushes 1000 no-op jobs through six stages on the
// embedded JetStream: the cost of the mechanics alone (fetch, heartbeat,
// publish-next with PubAck, double ack), the target being < 10 s.
func BenchmarkOrchestration(b *testing.B) {
	const jobs = 1000
	route := []string{"s1", "s2", "s3", "s4", "s5", "s6"}
	for range b.N {
		b.StopTimer()
		e, err := StartEmbedded(b.TempDir(), "")
		if err != nil {
			b.Fatal(err)
		}
		nc, _ := e.Connect("bench")
		js, _ := jetstream.New(nc)
		p := New(js, Options{Route: route, AckWait: 30 * time.Second, MaxDeliver: 3, RetryDelay: time.Second,
			Logger: slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))})
		if err := p.Setup(context.Background()); err != nil {
			b.Fatal(err)
		}
		var workers []*Worker
		for _, s := range route {
			w := p.StageWorker(stageFunc{s, func(_ context.Context, j *job.Job) (*job.Job, error) { return j, nil }}, 32)
			if err := w.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			workers = append(workers, w)
		}
		done, err := js.OrderedConsumer(context.Background(), StreamEvents, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"gd.event.done.>"}})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		for i := range jobs {
			region := fmt.Sprintf("R%d", i)
			data := job.Encode(&job.Job{V: job.Version, Run: "bench", Region: region, Addr: "h:1", Stage: "s1"})
			if _, err := js.PublishAsync(JobSubject("s1", region), data); err != nil {
				b.Fatal(err)
			}
		}
		<-js.PublishAsyncComplete()
		for range jobs {
			if _, err := done.Next(jetstream.FetchMaxWait(60 * time.Second)); err != nil {
				b.Fatalf("jobs done before timeout: %v", err)
			}
		}
		elapsed := time.Since(start)
		b.StopTimer()
		b.ReportMetric(elapsed.Seconds(), "s/1000jobs")
		b.ReportMetric(float64(jobs*len(route))/elapsed.Seconds(), "stage-runs/s")
		b.ReportMetric(10/elapsed.Seconds(), "x_target_10s")
		for _, w := range workers {
			w.Stop()
		}
		nc.Close()
		e.Shutdown()
		b.StartTimer()
	}
}
