package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/proc"
)

// natsStopTimeout is how long Stop waits for a SIGTERMed server before
// SIGKILLing it: JetStream flushes its store first, which takes a moment.
const natsStopTimeout = 10 * time.Second

// NATSServer is a real nats-server process (Debian's binary), for tests
// that must prove the service against the server operators run, not only
// the embedded library. It can be stopped, killed and started again on the
// same port with the same JetStream store, as a restart in production would.
type NATSServer struct {
	URL  string // nats://127.0.0.1:Port
	Port int    // client port
	// Name is the server_name ("" for a standalone server started by
	// StartNATSServer, which lets nats-server pick one).
	Name string
	// ClusterPort is the route port of a cluster node, 0 otherwise.
	ClusterPort int
	// StoreDir is the JetStream store; it survives Stop, Kill and Restart.
	StoreDir string

	bin     string
	args    []string
	dir     string // holds the store, the log and any config
	logPath string
	daemon
}

// StartNATSServer starts `nats-server -js` on a free loopback port with its
// store in a temp dir, plus extra arguments (e.g. "-c", conf), and stops it
// when the test ends. A missing binary is reported through Require.
func StartNATSServer(t testing.TB, extra ...string) *NATSServer {
	t.Helper()
	s := newNATSServer(t)
	for attempt := 1; ; attempt++ {
		s.Port = FreePort(t)
		s.URL = "nats://127.0.0.1:" + strconv.Itoa(s.Port)
		s.args = append([]string{"--addr", "127.0.0.1", "--port", strconv.Itoa(s.Port), "--jetstream", "--store_dir", s.StoreDir}, extra...)
		err := s.start()
		if err == nil {
			return s
		}
		if !errors.Is(err, errPortTaken) || attempt == portAttempts {
			t.Fatalf("testenv: nats-server: %v\n%s", err, tail(s.logPath, 40))
		}
	}
}

// portAttempts is how often a server is started on fresh ports when one
// FreePort picked was taken by someone else before the server bound it
// (parallel tests, outgoing connections from the same ephemeral range).
const portAttempts = 5

// errPortTaken is a start that failed because a port was in use.
var errPortTaken = errors.New("a port is already in use")

func newNATSServer(t testing.TB) *NATSServer {
	t.Helper()
	bin, ok := lookBin("nats-server")
	if !ok {
		Require(t, "nats-server not found (apt-get install nats-server)")
	}
	dir := t.TempDir()
	s := &NATSServer{bin: bin, dir: dir, StoreDir: filepath.Join(dir, "jetstream"), logPath: filepath.Join(dir, "nats-server.log")}
	if err := os.Mkdir(s.StoreDir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("testenv: tail of %s:\n%s", s.logPath, tail(s.logPath, 40))
		}
	})
	return s
}

// Start starts the server again after Stop or Kill, on the same port with
// the same store and configuration, and returns once it accepts
// connections (and, for a cluster node, listens for routes). It fails the
// test if the server is already running.
func (s *NATSServer) Start(t testing.TB) {
	t.Helper()
	if s.Running() {
		t.Fatalf("testenv: nats-server %s is already running", s.URL)
	}
	if err := s.start(); err != nil {
		t.Fatalf("testenv: nats-server: %v\n%s", err, tail(s.logPath, 40))
	}
}

// start runs the server and waits until it is ready; on failure the
// process is gone and the error says why (errPortTaken when a port was).
func (s *NATSServer) start() error {
	// Readiness is read from what this start logs, not from the port
	// alone: another process may hold the port we were given.
	from := proc.FileSize(s.logPath)
	done, err := s.launch(exec.Command(s.bin, s.args...), s.logPath, 0o644, s.dir)
	if err != nil {
		return err
	}
	if err := s.waitReady(done, from); err != nil {
		s.Kill()
		if strings.Contains(s.logSince(from), "address already in use") {
			return fmt.Errorf("%w: %v", errPortTaken, err)
		}
		return err
	}
	return nil
}

// logSince is what the server logged from offset from on.
func (s *NATSServer) logSince(from int64) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil || int64(len(b)) < from {
		return ""
	}
	return string(b[from:])
}

// waitReady waits until this start logged that it serves clients and, for
// a cluster node, that it listens for routes: nats-server opens the route
// listener after it reports ready, and a route port taken meanwhile ends
// the process.
func (s *NATSServer) waitReady(done <-chan struct{}, from int64) error {
	want := []string{"Server is ready"}
	if s.ClusterPort != 0 {
		want = append(want, "Listening for route connections on")
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("exited before it was ready")
		default:
		}
		log, ready := s.logSince(from), true
		for _, w := range want {
			ready = ready && strings.Contains(log, w)
		}
		if ready {
			if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(s.Port), time.Second); err == nil {
				c.Close()
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not ready on port %d after 30s", s.Port)
}

// Stop shuts the server down (SIGTERM, then SIGKILL after 10s) and waits
// for it. It does nothing if the server is not running.
func (s *NATSServer) Stop() { s.stop(syscall.SIGTERM, natsStopTimeout) }

// Kill SIGKILLs the server, as a crash or an OOM kill would, and waits for
// it to exit. Start brings it back.
func (s *NATSServer) Kill() { s.stop(syscall.SIGKILL, 0) }

// Restart stops the server gracefully (SIGTERM) and starts it again on the
// same port with the same store.
func (s *NATSServer) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.Start(t)
}

// KillRestart SIGKILLs the server and starts it again on the same port with
// the same store: JetStream recovers from a store it did not close.
func (s *NATSServer) KillRestart(t testing.TB) {
	t.Helper()
	s.Kill()
	s.Start(t)
}

// Running reports whether the server process is alive.
func (s *NATSServer) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Log returns the server's log (every start appends to it).
func (s *NATSServer) Log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// NATSCluster is n real nats-server processes forming a JetStream cluster
// on loopback.
type NATSCluster struct {
	Name    string
	Servers []*NATSServer
}

// URLs returns the client URLs of every node, comma-separated, as a client
// configured for the whole cluster (GD_NATS_URL) takes them.
func (c *NATSCluster) URLs() string {
	urls := make([]string, len(c.Servers))
	for i, s := range c.Servers {
		urls[i] = s.URL
	}
	return strings.Join(urls, ",")
}

// Server returns the node named name (a server_name, as StreamInfo's
// Cluster.Leader reports it), or nil.
func (c *NATSCluster) Server(name string) *NATSServer {
	for _, s := range c.Servers {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// StartNATSCluster starts n nats-server processes with JetStream, each with
// its own client port, route port, store and server_name, routed to each
// other, and returns once the cluster can place a stream with n replicas
// (its meta leader is elected and every node has joined). Each node's config
// file is written to its dir; Stop, Kill and Start work per node. The nodes
// are stopped when the test ends.
func StartNATSCluster(t testing.TB, n int) *NATSCluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("testenv: StartNATSCluster: n = %d", n)
	}
	c := &NATSCluster{Name: "gdtest"}
	for i := range n {
		s := newNATSServer(t)
		s.Name = "n" + strconv.Itoa(i+1)
		c.Servers = append(c.Servers, s)
	}
	for attempt := 1; ; attempt++ {
		err := c.start(t)
		if err == nil {
			break
		}
		for _, s := range c.Servers {
			s.Kill()
		}
		if !errors.Is(err, errPortTaken) || attempt == portAttempts {
			t.Fatalf("testenv: StartNATSCluster: %v", err)
		}
		// Fresh ports, fresh stores: the nodes must not remember peers
		// that were never reachable.
		for _, s := range c.Servers {
			if err := os.RemoveAll(s.StoreDir); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(s.StoreDir, 0o700); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := c.WaitJetStream(60*time.Second, n); err != nil {
		t.Fatalf("testenv: StartNATSCluster: %v", err)
	}
	return c
}

// start picks ports, writes each node's config and starts the nodes.
func (c *NATSCluster) start(t testing.TB) error {
	for _, s := range c.Servers {
		s.Port, s.ClusterPort = FreePort(t), FreePort(t)
		s.URL = "nats://127.0.0.1:" + strconv.Itoa(s.Port)
	}
	for _, s := range c.Servers {
		var routes []string
		for _, o := range c.Servers {
			if o != s {
				routes = append(routes, strconv.Quote("nats-route://127.0.0.1:"+strconv.Itoa(o.ClusterPort)))
			}
		}
		conf := fmt.Sprintf(`server_name: %s
listen: "127.0.0.1:%d"
jetstream {
  store_dir: %s
  max_memory_store: 64M
  max_file_store: 1G
}
cluster {
  name: %s
  listen: "127.0.0.1:%d"
  routes: [%s]
}
`, s.Name, s.Port, strconv.Quote(s.StoreDir), c.Name, s.ClusterPort, strings.Join(routes, ", "))
		path := filepath.Join(s.dir, "nats.conf")
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			return err
		}
		s.args = []string{"-c", path}
	}
	// Started one after another: each waits only for itself, and routes
	// retry until their peers listen.
	for _, s := range c.Servers {
		if err := s.start(); err != nil {
			return fmt.Errorf("node %s: %w\n%s", s.Name, err, tail(s.logPath, 20))
		}
	}
	return nil
}

// WaitJetStream polls until the running nodes can place a stream with
// replicas copies: a meta leader is elected and enough peers are current.
// It creates and deletes a small memory stream to prove it.
func (c *NATSCluster) WaitJetStream(timeout time.Duration, replicas int) error {
	nc, err := nats.Connect(c.URLs(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	name := "TESTENV_READY_" + strconv.Itoa(os.Getpid())
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err = js.AccountInfo(ctx)
		if err == nil {
			_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{"testenv.ready." + strconv.Itoa(os.Getpid())},
				Storage: jetstream.MemoryStorage, Replicas: replicas})
		}
		if err == nil {
			err = js.DeleteStream(ctx, name)
		}
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("JetStream cluster not ready for R%d after %s: %v", replicas, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
