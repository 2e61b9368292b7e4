package testenv

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestNATSServerRestartKeepsStore restarts a real nats-server gracefully and
// after SIGKILL: it comes back on the same URL with its JetStream store, and
// a client reconnects by itself.
func TestNATSServerRestartKeepsStore(t *testing.T) {
	s := StartNATSServer(t)
	reconnected := make(chan struct{}, 4)
	js := ConnectNATS(t, s.URL, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
		nats.ReconnectHandler(func(*nats.Conn) { reconnected <- struct{}{} }))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "KEEP", Subjects: []string{"keep.>"}, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "keep.1", []byte("before")); err != nil {
		t.Fatal(err)
	}
	url, port, store := s.URL, s.Port, s.StoreDir

	for i, restart := range []func(testing.TB){s.Restart, s.KillRestart} {
		restart(t)
		if s.URL != url || s.Port != port || s.StoreDir != store || !s.Running() {
			t.Fatalf("restart %d: url %s port %d store %s running %v; want %s %d %s true", i, s.URL, s.Port, s.StoreDir, s.Running(), url, port, store)
		}
		select {
		case <-reconnected:
		case <-ctx.Done():
			t.Fatalf("restart %d: client did not reconnect", i)
		}
		if _, err := js.Publish(ctx, "keep.after", []byte("after")); err != nil {
			t.Fatalf("restart %d: publish: %v", i, err)
		}
		info, err := stream.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := uint64(i + 2); info.State.Msgs != want {
			t.Fatalf("restart %d: stream holds %d messages, want %d", i, info.State.Msgs, want)
		}
	}
	if n := strings.Count(s.Log(), "Server is ready"); n != 3 {
		t.Errorf("log shows %d starts, want 3", n)
	}
	s.Kill()
	if s.Running() {
		t.Fatal("running after Kill")
	}
}

// TestNATSClusterSurvivesANode starts a 3-node JetStream cluster, places an
// R3 stream on it, kills the stream leader and publishes through the two
// survivors.
func TestNATSClusterSurvivesANode(t *testing.T) {
	c := StartNATSCluster(t, 3)
	if got := strings.Count(c.URLs(), ","); got != 2 {
		t.Fatalf("URLs() = %q", c.URLs())
	}
	js := ConnectNATS(t, c.URLs(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "R3", Subjects: []string{"r3.>"}, Storage: jetstream.FileStorage, Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("stream info: replicas %d, cluster %+v", info.Config.Replicas, info.Cluster)
	}
	leader := c.Server(info.Cluster.Leader)
	if leader == nil {
		t.Fatalf("leader %q is not a node of the cluster", info.Cluster.Leader)
	}
	leader.Kill()
	deadline := time.Now().Add(30 * time.Second)
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := js.Publish(pctx, "r3.x", []byte("x"))
		pcancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish with %s down: %v", leader.Name, err)
		}
	}
}
