package nats

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/app"
	"gravedancer/internal/job"
	"gravedancer/internal/lease"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/testenv"
)

// TestJetStreamClusterLosesANode runs the service on a 3-node JetStream
// cluster on loopback with GD_NATS_REPLICAS=3 and GD_NATS_URL naming all
// three nodes. Setup must place every stream and bucket on three nodes.
// While both regions' dumps are in flight (for longer than the ack wait),
// the node that leads GD_JOBS and serves a worker's connection is SIGKILLed:
// the workers on it must fail over to the survivors, JetStream elect new
// leaders, and the run complete with both regions good, each dumped once,
// nothing lost.
func TestJetStreamClusterLosesANode(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	c := testenv.StartNATSCluster(t, 3)
	g := newGate(t, "mariadb-dump")
	env := f.env(t, c.URLs(), g.tool)
	env["GD_NATS_REPLICAS"] = "3"
	workers := startWorkers(t, env)
	ctx := scenarioContext(t)
	js := testenv.ConnectNATS(t, c.URLs(), reconnecting...)
	checkReplicas(t, ctx, js, 3)

	// The victim leads GD_JOBS and has a worker connected: the kill then
	// costs a stream leader and a client connection at once.
	victim := leaderWithWorker(t, ctx, js, c, workers)
	onVictim := workersOn(t, c, victim, workers)
	t.Logf("victim %s leads %s and serves %d worker(s)", victim.Name, pipeline.StreamJobs, len(onVictim))

	runID := "cluster"
	watch := trigger(t, ctx, js, env, runID)
	waitDumpsInFlight(t, g)
	holdPastAckWait(t, ctx, js)
	t.Logf("dump consumer leader %s", consumerInfo(t, ctx, js, job.StageDump).Cluster.Leader)

	var reconnects []int
	for _, w := range onVictim {
		reconnects = append(reconnects, w.LogCount("nats reconnected"))
	}
	start := time.Now()
	victim.Kill()
	for i, w := range onVictim {
		testenv.WaitFor(t, w.Name+" to fail over", patience, func() bool { return w.LogCount("nats reconnected") > reconnects[i] })
	}
	t.Logf("workers on %s failed over %s after the kill", victim.Name, time.Since(start).Round(time.Millisecond))
	g.release(t)

	checkRun(t, ctx, js, watch, runID, env, g, workers)
	t.Logf("run completed %s after the kill", time.Since(start).Round(time.Millisecond))
}

// checkReplicas asserts that setup placed every stream, the stage consumers
// and every KV bucket on replicas nodes.
func checkReplicas(t *testing.T, ctx context.Context, js jetstream.JetStream, replicas int) {
	t.Helper()
	streams := []string{pipeline.StreamJobs, pipeline.StreamDLQ, pipeline.StreamEvents}
	for _, b := range []string{lease.Bucket, app.RunsBucket, app.PresenceBucket, pipeline.ReplayBucket} {
		streams = append(streams, "KV_"+b)
	}
	for _, name := range streams {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Errorf("stream %s: %v", name, err)
			continue
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Errorf("stream %s: %v", name, err)
			continue
		}
		if info.Config.Replicas != replicas || info.Cluster == nil || len(info.Cluster.Replicas) != replicas-1 {
			t.Errorf("stream %s: %d replicas configured, cluster %+v; want %d", name, info.Config.Replicas, info.Cluster, replicas)
		}
	}
	for _, name := range app.AllStages() {
		info := consumerInfo(t, ctx, js, name)
		if info.Cluster == nil || len(info.Cluster.Replicas) != replicas-1 {
			t.Errorf("consumer %s: cluster %+v, want %d replicas", name, info.Cluster, replicas)
		}
	}
}

// leaderWithWorker returns the node leading GD_JOBS, after moving the
// leadership (step-downs elect another node at random) onto a node a
// worker is connected to.
func leaderWithWorker(t *testing.T, ctx context.Context, js jetstream.JetStream, c *testenv.NATSCluster, workers []*testenv.Process) *testenv.NATSServer {
	t.Helper()
	for range 20 {
		leader := streamLeader(t, ctx, js, c, pipeline.StreamJobs, "")
		if len(workersOn(t, c, leader, workers)) > 0 {
			return leader
		}
		if _, err := js.Conn().RequestWithContext(ctx, "$JS.API.STREAM.LEADER.STEPDOWN."+pipeline.StreamJobs, nil); err != nil {
			t.Fatalf("step down the leader of %s: %v", pipeline.StreamJobs, err)
		}
		streamLeader(t, ctx, js, c, pipeline.StreamJobs, leader.Name)
	}
	t.Fatalf("could not move the leadership of %s onto a node serving a worker", pipeline.StreamJobs)
	return nil
}

// streamLeader waits until stream has a leader other than not and returns it.
func streamLeader(t *testing.T, ctx context.Context, js jetstream.JetStream, c *testenv.NATSCluster, stream, not string) *testenv.NATSServer {
	t.Helper()
	var leader string
	testenv.WaitFor(t, "a leader of "+stream, patience, func() bool {
		ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		s, err := js.Stream(ictx, stream)
		if err != nil {
			return false
		}
		info, err := s.Info(ictx)
		if err != nil || info.Cluster == nil {
			return false
		}
		leader = info.Cluster.Leader
		return leader != "" && leader != not
	})
	node := c.Server(leader)
	if node == nil {
		t.Fatalf("leader %q of %s is not a node of the cluster", leader, stream)
	}
	return node
}

// workersOn returns the workers whose NATS connection goes to node.
func workersOn(t *testing.T, c *testenv.NATSCluster, node *testenv.NATSServer, workers []*testenv.Process) []*testenv.Process {
	t.Helper()
	var on []*testenv.Process
	for _, w := range workers {
		port, err := natsPeerPort(w.Pid(), c)
		if err != nil {
			t.Fatalf("%s: %v", w.Name, err)
		}
		if port == node.Port {
			on = append(on, w)
		}
	}
	return on
}

// natsPeerPort finds which node pid is connected to: the remote port of its
// established TCP connection to one of the cluster's client ports, from
// its socket inodes and the kernel's TCP table.
func natsPeerPort(pid int, c *testenv.NATSCluster) (int, error) {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, err
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(fmt.Sprintf("/proc/%d/fd", pid), fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	ports := map[int]bool{}
	for _, s := range c.Servers {
		ports[s.Port] = true
	}
	tcp, err := os.Open(fmt.Sprintf("/proc/%d/net/tcp", pid))
	if err != nil {
		return 0, err
	}
	defer tcp.Close()
	sc := bufio.NewScanner(tcp)
	for sc.Scan() {
		// sl local rem st tx:rx tr:when retrnsmt uid timeout inode …
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[3] != "01" || !inodes[f[9]] {
			continue
		}
		i := strings.LastIndexByte(f[2], ':')
		port, err := strconv.ParseInt(f[2][i+1:], 16, 32)
		if err == nil && ports[int(port)] {
			return int(port), nil
		}
	}
	return 0, fmt.Errorf("no established connection to a node of the cluster")
}
