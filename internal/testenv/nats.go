package testenv

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// StartNATS starts an embedded nats-server with JetStream enabled, its store
// under t.TempDir(), listening on a random port on 127.0.0.1, without logging
// or signal handlers. It returns once the server accepts connections, together
// with its client URL ("nats://127.0.0.1:PORT"). The server is shut down, and
// waited for, when the test ends.
func StartNATS(t testing.TB) (*server.Server, string) {
	t.Helper()
	opts := &server.Options{
		ServerName:         "gravedancer-test",
		Host:               "127.0.0.1",
		Port:               server.RANDOM_PORT,
		HTTPPort:           0, // no monitoring endpoint
		Cluster:            server.ClusterOpts{Port: 0},
		NoLog:              true,
		NoSigs:             true,
		JetStream:          true,
		StoreDir:           t.TempDir(),
		JetStreamMaxMemory: 256 << 20,
		JetStreamMaxStore:  4 << 30,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("testenv: StartNATS: new server: %v", err)
	}
	go s.Start()
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	if !s.ReadyForConnections(30 * time.Second) {
		t.Fatalf("testenv: StartNATS: server not ready for connections after 30s")
	}
	if !s.JetStreamEnabled() {
		t.Fatalf("testenv: StartNATS: JetStream is not enabled")
	}
	return s, s.ClientURL()
}

// ConnectNATS connects a test's own client to urls (comma-separated),
// with the nats.go defaults unless opts say otherwise (e.g.
// nats.MaxReconnects(-1) to ride out server restarts), and returns a
// JetStream context on it. The connection is closed when the test ends.
func ConnectNATS(t testing.TB, urls string, opts ...nats.Option) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(urls, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}
