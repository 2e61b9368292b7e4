package nats

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
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

// binary is the gravedancer binary under test, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(testenv.MainWithBinary(m, &binary, "gravedancer/cmd/gravedancer"))
}

const (
	sourcePassword  = `n4ts"src pw#'`
	restorePassword = `n4ts"rst pw#'`
	restoreGrants   = "ALL PRIVILEGES ON *.*"
)

// regions are the two regions of every run here, each on its own source
// server so their dumps run at the same time.
var regions = []string{"REG1", "REG2"}

// run executes the binary with exactly env (see testenv.Command) and waits
// for it.
func run(t *testing.T, env map[string]string, args ...string) testenv.Result {
	t.Helper()
	return testenv.Run(t, binary, env, args...)
}

// fleet is the source side of a run: one MariaDB server per region. Runs of
// several subtests share it; each run gets its own test server and spool.
type fleet struct {
	secrets string
	sources map[string]*testenv.MariaDB
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	f := &fleet{secrets: t.TempDir(), sources: map[string]*testenv.MariaDB{}}
	for _, r := range regions {
		m := testenv.StartMariaDB(t)
		testenv.LoadSample(t, m, r)
		m.CreateUser(t, "backupuser", sourcePassword, testenv.BackupGrants)
		f.sources[r] = m
	}
	testenv.WriteFile(t, filepath.Join(f.secrets, "source.password"), sourcePassword, 0o600)
	testenv.WriteFile(t, filepath.Join(f.secrets, "restore.password"), restorePassword, 0o600)
	return f
}

// env starts a test server and returns the configuration of one run
// against natsURL, with its own spool, ship dir and state, dumping through
// tool.
func (f *fleet) env(t *testing.T, natsURL, tool string) map[string]string {
	t.Helper()
	testServer := testenv.StartMariaDB(t)
	testServer.CreateUser(t, "restoreuser", restorePassword, restoreGrants)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "shipped"), 0o755); err != nil {
		t.Fatal(err)
	}
	var regs []string
	for _, r := range regions {
		regs = append(regs, r+"="+f.sources[r].Addr())
	}
	return map[string]string{
		"GD_NATS_URL":              natsURL,
		"GD_REGIONS":               strings.Join(regs, ","),
		"GD_SOURCE_USER":           "backupuser",
		"GD_SOURCE_PASSWORD_FILE":  filepath.Join(f.secrets, "source.password"),
		"GD_DUMP_TOOL":             tool,
		"GD_TEST_SERVERS":          testServer.Addr(),
		"GD_RESTORE_USER":          "restoreuser",
		"GD_RESTORE_PASSWORD_FILE": filepath.Join(f.secrets, "restore.password"),
		"GD_CHECK_DATABASES":       "keystone,nova,neutron",
		"GD_CHECK_TABLES":          "keystone.project,nova.instances,neutron.ports",
		"GD_SHIP":                  "dir",
		"GD_SHIP_DIR":              filepath.Join(dir, "shipped"),
		"GD_SPOOL_DIR":             filepath.Join(dir, "spool"),
		"GD_ENCRYPT":               "off", // plaintext: these tests read the dumps
		"GD_STATE_DIR":             filepath.Join(dir, "state"),
		"GD_MAX_DELIVER":           "3",
		"GD_ACK_WAIT":              ackWait.String(),
		"GD_LEASE_TTL":             "5s",
		"GD_RETRY_DELAY":           "100ms",
		"GD_LOG_LEVEL":             "debug",
		"GD_LOG_FORMAT":            "json",
	}
}

// ackWait is GD_ACK_WAIT of every run here.
const ackWait = 5 * time.Second

// gate is a dump-tool wrapper: every invocation records its pid in
// dir/started and waits until dir/release exists, then execs the real tool.
// The test knows which dumps are in flight and decides when they may go on.
type gate struct {
	dir, tool string
}

func newGate(t *testing.T, real string) *gate {
	t.Helper()
	g := &gate{dir: t.TempDir()}
	started := filepath.Join(g.dir, "started")
	if err := os.Mkdir(started, 0o755); err != nil {
		t.Fatal(err)
	}
	release := filepath.Join(g.dir, "release")
	// The wait gives up after 5 minutes so a wrapper orphaned by a failed
	// test cannot loop forever.
	script := fmt.Sprintf(`#!/bin/bash
echo $$ > %[1]q/$$.tmp && mv %[1]q/$$.tmp %[1]q/$$
for _ in $(seq 1 6000); do
  [ -e %[2]q ] && exec %[3]s "$@"
  sleep 0.05
done
exit 99
`, started, release, real)
	g.tool = testenv.WriteFile(t, filepath.Join(g.dir, "dump-tool"), script, 0o755)
	t.Cleanup(func() {
		g.release(t)
		for _, pid := range g.started() {
			testenv.KillPID(pid)
		}
	})
	return g
}

// started returns the pids of the invocations so far, in no order.
func (g *gate) started() []int {
	ents, _ := os.ReadDir(filepath.Join(g.dir, "started"))
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// release lets every waiting and future invocation run the real tool.
func (g *gate) release(t *testing.T) {
	if err := os.WriteFile(filepath.Join(g.dir, "release"), nil, 0o644); err != nil {
		t.Error(err)
	}
}

// startWorker starts `gravedancer worker args…`; it is killed when the test
// ends and its log is shown if the test failed.
func startWorker(t *testing.T, env map[string]string, name string, args ...string) *testenv.Process {
	t.Helper()
	return testenv.StartProcess(t, binary, env, name, append([]string{"worker"}, args...)...)
}

// startWorkers runs `gravedancer setup` for env and starts two worker
// processes running every stage, each with its own state dir, binding
// what setup created as per-role workers do.
func startWorkers(t *testing.T, env map[string]string) []*testenv.Process {
	t.Helper()
	if r := run(t, env, "setup"); r.Code != 0 {
		t.Fatalf("setup: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	var ps []*testenv.Process
	for _, name := range []string{"workerA", "workerB"} {
		e := map[string]string{}
		for k, v := range env {
			e[k] = v
		}
		e["GD_STATE_DIR"] = filepath.Join(env["GD_STATE_DIR"], name)
		e["GD_NATS_SETUP"] = "false"
		ps = append(ps, startWorker(t, e, name, "--stages", "all", "--grace", "1s"))
	}
	// Running means connected, with every stage's consumer bound: only
	// then does the test know which node serves which worker.
	for _, p := range ps {
		testenv.WaitFor(t, p.Name+" to run", patience, func() bool {
			if !p.Alive() {
				t.Fatalf("%s exited at start:\n%s", p.Name, p.Log())
			}
			return p.LogCount("worker running") > 0
		})
	}
	return ps
}

// patience bounds every wait of these tests.
const patience = time.Minute

// reconnecting are the options of the test's own NATS client: it
// reconnects for as long as it takes.
var reconnecting = []nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(100 * time.Millisecond)}

func scenarioContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// trigger starts watching run and triggers it.
func trigger(t *testing.T, ctx context.Context, js jetstream.JetStream, env map[string]string, runID string) *app.RunWatch {
	t.Helper()
	watch, err := app.WatchRun(ctx, js, runID)
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, env, "trigger", "--run", runID); r.Code != 0 {
		t.Fatalf("trigger: exit %d %s", r.Code, r.Stderr)
	}
	return watch
}

// waitDumpsInFlight waits until both regions' dumps are blocked in the gate
// and returns the pids of those tool invocations.
func waitDumpsInFlight(t *testing.T, g *gate) []int {
	t.Helper()
	testenv.WaitFor(t, "both dumps to be in flight", patience, func() bool { return len(g.started()) >= len(regions) })
	return g.started()
}

// holdPastAckWait keeps the dumps in flight for longer than the ack wait
// before the fault, as a real dump is: from then on only the workers'
// heartbeats keep the server from handing the jobs to someone else. It
// fails at once if the server redelivered one meanwhile.
func holdPastAckWait(t *testing.T, ctx context.Context, js jetstream.JetStream) {
	t.Helper()
	since := time.Now()
	testenv.WaitFor(t, "the dumps to be in flight for longer than the ack wait", patience, func() bool {
		info := consumerInfo(t, ctx, js, job.StageDump)
		if info.NumRedelivered > 0 {
			t.Fatalf("a dump job was redelivered while its dump was in flight and heartbeating: %+v", info)
		}
		return time.Since(since) > ackWait+time.Second && info.NumAckPending == len(regions)
	})
}

func consumerInfo(t *testing.T, ctx context.Context, js jetstream.JetStream, name string) *jetstream.ConsumerInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, pipeline.StreamJobs, name)
	if err != nil {
		t.Fatalf("consumer %s: %v", name, err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatalf("consumer %s: %v", name, err)
	}
	return info
}

// checkRun waits for run and asserts that it completed with every region
// good and done exactly once: one dump each (no redelivery ran it again),
// one artifact per region in the spool and a shipped copy matching the
// manifest, an empty work queue and DLQ, the run report filed, and the
// workers still alive.
func checkRun(t *testing.T, ctx context.Context, js jetstream.JetStream, watch *app.RunWatch, runID string, env map[string]string, g *gate, workers []*testenv.Process) {
	t.Helper()
	rep, err := watch.Wait(ctx, nil)
	if err != nil {
		t.Fatalf("run %s did not finish: %v; report so far: %+v", runID, err, rep.Regions)
	}
	if len(rep.Regions) != len(regions) {
		t.Fatalf("report has %d regions, want %d: %+v", len(rep.Regions), len(regions), rep.Regions)
	}
	for _, r := range rep.Regions {
		if r.Outcome != report.OutcomeGood {
			t.Errorf("%s outcome = %s (%s at %s), want %s", r.Region, r.Outcome, r.Reason, r.Stage, report.OutcomeGood)
			continue
		}
		if r.Reached != "dumped+checked+verified+shipped+pruned" {
			t.Errorf("%s reached %q, want the whole route", r.Region, r.Reached)
		}
		for _, s := range r.Stages {
			if s.Stage == job.StageDump && s.Attempt != 1 {
				t.Errorf("%s: dump attempt %d on %s; the in-flight dump was redelivered", r.Region, s.Attempt, s.Worker)
			}
		}
	}
	if n := len(g.started()); n != len(regions) {
		t.Errorf("the dump tool ran %d times, want %d (one per region): a dump in flight was run twice", n, len(regions))
	}
	// The reporter files the run report after the last event; wait for it so
	// no write is in flight when the spool is checked.
	testenv.WaitFor(t, "the run report in the spool", patience, func() bool {
		m, _ := filepath.Glob(filepath.Join(env["GD_SPOOL_DIR"], "*", "run-"+runID+".json"))
		return len(m) == 1
	})
	for _, r := range regions {
		testenv.CheckOneShippedBackup(t, env["GD_SPOOL_DIR"], env["GD_SHIP_DIR"], r)
	}
	// The last stage acks after it announced the region done.
	if !testenv.Eventually(patience, func() bool { return streamMsgs(ctx, js, pipeline.StreamJobs) == 0 }) {
		t.Fatalf("the work queue is not empty after the run:%s", leftovers(ctx, js, pipeline.StreamJobs))
	}
	if n := streamMsgs(ctx, js, pipeline.StreamDLQ); n != 0 {
		t.Errorf("DLQ holds %d entries, want 0", n)
	}
	for _, w := range workers {
		if !w.Alive() {
			t.Errorf("%s exited: %v", w.Name, w.Wait())
		}
	}
}

// streamMsgs is the message count of a stream, or -1 when it cannot be read.
func streamMsgs(ctx context.Context, js jetstream.JetStream, name string) int {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, name)
	if err != nil {
		return -1
	}
	info, err := s.Info(ctx)
	if err != nil {
		return -1
	}
	return int(info.State.Msgs)
}

// checkStatus asserts that `gravedancer status` lists every worker: the
// presence bucket must survive what the test did to the server.
func checkStatus(t *testing.T, env map[string]string, workers []*testenv.Process) {
	t.Helper()
	r := run(t, env, "status", "--json")
	if r.Code != 0 {
		t.Fatalf("status: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	var st app.Status
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.Stdout)
	}
	var got, want []string
	for _, w := range st.Workers {
		got = append(got, w.ID[strings.LastIndexByte(w.ID, ':')+1:])
	}
	for _, w := range workers {
		want = append(want, strconv.Itoa(w.Pid()))
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("status lists workers with pids %v, want %v (the running workers)", got, want)
	}
}
