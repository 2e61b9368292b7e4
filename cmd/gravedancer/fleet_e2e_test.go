package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/app"
	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
	"gravedancer/internal/testenv"
)

// process is a worker binary running in the background.
type process struct {
	name string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startWorker(t *testing.T, env map[string]string, name string, args ...string) *process {
	t.Helper()
	p := &process{name: name, log: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(binary, append([]string{"worker"}, args...)...)
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stderr, p.cmd.Stdout = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("--- %s log ---\n%s", name, p.log.String())
		}
	})
	return p
}

// stop sends SIGTERM and requires a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("%s exited with %v after SIGTERM", p.name, err)
		}
	case <-time.After(60 * time.Second):
		t.Errorf("%s did not stop within 60s of SIGTERM", p.name)
	}
}

// TestFleetOfWorkers runs the service as a fleet does: separate worker
// processes per stage group against the real nats-server, a restore worker
// killed mid-restore, and a DLQ replay after the cause is fixed.
func TestFleetOfWorkers(t *testing.T) {
	env, _ := fleetEnv(t)
	nats := testenv.StartNATSServer(t)
	test2 := testenv.StartMariaDB(t)
	test2.CreateUser(t, "restoreuser", restorePassword, restoreGrants)
	reg3 := testenv.StartMariaDB(t)
	testenv.LoadSample(t, reg3, "REG3")
	reg3.CreateUser(t, "backupuser", password, grants)
	reg3.Stop() // down for the first run: excluded, then replayed

	// The first restore hangs until its worker is killed; later ones run.
	marker := filepath.Join(t.TempDir(), "first-restore")
	tool := filepath.Join(t.TempDir(), "restore-tool")
	script := fmt.Sprintf("#!/bin/bash\nif mkdir %q 2>/dev/null; then echo $$ > %q/pid; exec sleep 300; fi\nexec mariadb \"$@\"\n", marker, marker)
	if err := os.WriteFile(tool, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if b, err := os.ReadFile(filepath.Join(marker, "pid")); err == nil {
			if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})

	env["GD_NATS_URL"] = nats.URL
	env["GD_REGIONS"] = strings.Split(env["GD_REGIONS"], ",REG3=")[0] + ",REG3=" + reg3.Addr()
	env["GD_TEST_SERVERS"] += "," + test2.Addr()
	env["GD_RESTORE_TOOL"] = tool
	env["GD_RESTORE_METHOD"] = "client" // the hang is injected through the client tool
	env["GD_ACK_WAIT"] = "5s"
	env["GD_LEASE_TTL"] = "5s"
	delete(env, "GD_DUMP_TOOL")

	if r := run(t, env, "setup"); r.code != exitOK || !strings.Contains(r.stdout, "consumer restore") {
		t.Fatalf("setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	workerEnv := func(name string) map[string]string {
		e := map[string]string{}
		for k, v := range env {
			e[k] = v
		}
		e["GD_STATE_DIR"] = filepath.Join(t.TempDir(), name)
		e["GD_NATS_SETUP"] = "false"
		return e
	}
	front := startWorker(t, workerEnv("front"), "front", "--stages", "plan,dump,stats,check")
	restoreA := startWorker(t, workerEnv("restoreA"), "restoreA", "--stages", "restore", "--slots", "1", "--grace", "1s")
	restoreB := startWorker(t, workerEnv("restoreB"), "restoreB", "--stages", "restore", "--slots", "1", "--grace", "1s")
	healthAddr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	back := startWorker(t, workerEnv("back"), "back", "--stages", "ship,retain", "--health", healthAddr)

	js := connect(t, nats.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	watch, err := app.WatchRun(ctx, js, "F1")
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, env, "trigger", "--run", "F1"); r.code != exitOK {
		t.Fatalf("trigger: %d %s", r.code, r.stderr)
	}

	// Kill whichever restore worker took the hanging restore.
	pidFile := filepath.Join(marker, "pid")
	waitFor(t, "the first restore to start", func() bool { _, err := os.Stat(pidFile); return err == nil })
	b, _ := os.ReadFile(pidFile)
	toolPid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	victim, survivor := restoreA, restoreB
	if ppid(toolPid) == restoreB.cmd.Process.Pid {
		victim, survivor = restoreB, restoreA
	}
	victim.cmd.Process.Kill()
	<-victim.done
	syscall.Kill(toolPid, syscall.SIGKILL)

	rep, err := watch.Wait(ctx, nil)
	if err != nil {
		t.Fatalf("run F1: %v", err)
	}
	byRegion := map[string]report.Region{}
	for _, g := range rep.Regions {
		byRegion[g.Region] = g
	}
	redelivered := false
	for _, r := range []string{"REG1", "REG2"} {
		g := byRegion[r]
		if g.Outcome != report.OutcomeGood || g.Reached != "dumped+checked+verified+shipped+pruned" {
			t.Errorf("%s: %s %q %s", r, g.Outcome, g.Reached, g.Reason)
		}
		for _, s := range g.Stages {
			if s.Stage == job.StageRestore && s.Attempt > 1 {
				redelivered = true
				if !strings.HasSuffix(s.Worker, ":"+strconv.Itoa(survivor.cmd.Process.Pid)) {
					t.Errorf("redelivered restore ran on %s, want the surviving worker", s.Worker)
				}
			}
		}
	}
	if !redelivered {
		t.Error("no restore was redelivered after its worker was killed")
	}
	if g := byRegion["REG3"]; g.Outcome != report.OutcomeExcluded || g.Stage != job.StageDump {
		t.Fatalf("REG3 = %+v, want excluded at dump while its server is down", g)
	}

	waitRunFinished(t, ctx, js, "F1") // the service's reporter has filed the report
	checkStatus(t, env)
	checkHealth(t, healthAddr)
	replayRoundTrip(t, ctx, env, js, reg3)

	for _, p := range []*process{front, survivor, back} {
		p.stop(t)
	}
}

// ppid returns the parent of pid, or 0.
func ppid(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// pid (comm) state ppid …: comm may hold spaces, so cut after the last ')'.
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(fields) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(fields[1])
	return n
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func checkStatus(t *testing.T, env map[string]string) {
	t.Helper()
	r := run(t, env, "status", "--json")
	if r.code != exitOK {
		t.Fatalf("status: %d %s", r.code, r.stderr)
	}
	var st app.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	regions := map[string]app.RegionStatus{}
	for _, rs := range st.Regions {
		regions[rs.Region] = rs
	}
	for _, name := range []string{"REG1", "REG2"} {
		rs := regions[name]
		if rs.LastGood == nil || rs.Bytes == 0 || rs.VerifiedRows == 0 || rs.LastRun != "F1" || rs.LastOutcome != "" && rs.LastOutcome != report.OutcomeGood {
			t.Errorf("status %s = %+v", name, rs)
		}
	}
	if rs := regions["REG3"]; rs.LastGood != nil {
		t.Errorf("status REG3 has a good backup while it was never dumped: %+v", rs)
	}
	workers := map[string]int{}
	for _, s := range st.Stages {
		workers[s.Stage] = s.Workers
		if s.Pending != 0 || s.InFlight != 0 {
			t.Errorf("stage %s: %d pending, %d in flight after the run", s.Stage, s.Pending, s.InFlight)
		}
	}
	if workers["dump"] != 1 || workers["restore"] < 1 || workers["ship"] != 1 {
		t.Errorf("workers per stage = %v", workers)
	}
}

// replayRoundTrip brings REG3's server back and replays its DLQ entry.
func replayRoundTrip(t *testing.T, ctx context.Context, env map[string]string, js jetstream.JetStream, reg3 *testenv.MariaDB) {
	t.Helper()
	reg3.Restart(t)
	list := run(t, env, "dlq", "list", "--region", "REG3")
	lines := strings.Split(strings.TrimSpace(list.stdout), "\n")
	if list.code != exitOK || len(lines) != 2 {
		t.Fatalf("dlq list --region REG3:\n%s%s", list.stdout, list.stderr)
	}
	seq := strings.Fields(lines[1])[0]
	if r := run(t, env, "dlq", "replay", "--dry-run", seq); r.code != exitOK || !strings.Contains(r.stdout, "would replay "+seq) {
		t.Errorf("dry run: %d %s %s", r.code, r.stdout, r.stderr)
	}
	done, err := js.OrderedConsumer(ctx, pipeline.StreamEvents, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{pipeline.DoneSubject("REG3")}})
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, env, "dlq", "replay", seq); r.code != exitOK || !strings.Contains(r.stdout, "replayed "+seq) {
		t.Fatalf("replay: %d %s %s", r.code, r.stdout, r.stderr)
	}
	m, err := done.Next(jetstream.FetchContext(ctx))
	if err != nil {
		t.Fatalf("REG3 not done after replay: %v", err)
	}
	j, err := job.DecodeJob(m.Data())
	if err != nil || j.Run != "F1" || j.Replay != 1 || j.Restore == nil || j.Restore.RowsVerified == 0 {
		t.Errorf("replayed REG3 = %+v, %v", j, err)
	}
	again := run(t, env, "dlq", "replay", seq)
	if again.code != exitFailed || !strings.Contains(again.stderr, "--force") {
		t.Errorf("second replay: exit %d %s; want a refusal naming --force", again.code, again.stderr)
	}
	if l := run(t, env, "dlq", "list", "--region", "REG3"); !strings.Contains(l.stdout, "1x") {
		t.Errorf("dlq list does not show the replay:\n%s", l.stdout)
	}
}

func checkHealth(t *testing.T, addr string) {
	t.Helper()
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != want {
			t.Errorf("%s = %d %q, want 200 %q", path, resp.StatusCode, body, want)
		}
	}
}

// waitRunFinished waits for the run's report on gd.run.finished.
func waitRunFinished(t *testing.T, ctx context.Context, js jetstream.JetStream, run string) {
	t.Helper()
	c, err := js.OrderedConsumer(ctx, pipeline.StreamEvents, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{pipeline.SubjectRunFinished}})
	if err != nil {
		t.Fatal(err)
	}
	for {
		m, err := c.Next(jetstream.FetchContext(ctx))
		if err != nil {
			t.Fatalf("no gd.run.finished for %s: %v", run, err)
		}
		if m.Headers().Get(pipeline.HdrRun) == run {
			return
		}
	}
}
