package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
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

// startWorker starts `gravedancer worker args…` (without TZ, in the
// machine's time zone); it is killed when the test ends and its log is
// shown if the test failed.
func startWorker(t *testing.T, env map[string]string, name string, args ...string) *testenv.Process {
	t.Helper()
	e := map[string]string{"TZ": testenv.Unset}
	for k, v := range env {
		e[k] = v
	}
	return testenv.StartProcess(t, binary, e, name, append([]string{"worker"}, args...)...)
}

// stop sends SIGTERM and requires a clean exit.
func stop(t *testing.T, p *testenv.Process) {
	t.Helper()
	p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.Done():
		if err := p.Wait(); err != nil {
			t.Errorf("%s exited with %v after SIGTERM", p.Name, err)
		}
	case <-time.After(60 * time.Second):
		t.Errorf("%s did not stop within 60s of SIGTERM", p.Name)
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
	reg3.CreateUser(t, "backupuser", password, testenv.BackupGrants)
	reg3.Stop() // down for the first run: excluded, then replayed

	// The first restore hangs until its worker is killed; later ones run.
	tool, pidFile := testenv.BlockingTool(t, "mariadb")

	env["GD_NATS_URL"] = nats.URL
	env["GD_REGIONS"] = strings.Split(env["GD_REGIONS"], ",REG3=")[0] + ",REG3=" + reg3.Addr()
	env["GD_TEST_SERVERS"] += "," + test2.Addr()
	env["GD_RESTORE_TOOL"] = tool
	env["GD_RESTORE_METHOD"] = "client" // the hang is injected through the client tool
	env["GD_ACK_WAIT"] = "5s"
	env["GD_LEASE_TTL"] = "5s"
	delete(env, "GD_DUMP_TOOL")

	if r := run(t, env, "setup"); r.Code != exitOK || !strings.Contains(r.Stdout, "consumer restore") {
		t.Fatalf("setup: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
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

	js := testenv.ConnectNATS(t, nats.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	watch, err := app.WatchRun(ctx, js, "F1")
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, env, "trigger", "--run", "F1"); r.Code != exitOK {
		t.Fatalf("trigger: %d %s", r.Code, r.Stderr)
	}

	// Kill whichever restore worker took the hanging restore.
	testenv.WaitFor(t, "the first restore to start", 2*time.Minute, func() bool { return testenv.ReadPID(pidFile) > 0 })
	toolPid := testenv.ReadPID(pidFile)
	victim, survivor := restoreA, restoreB
	if testenv.ParentPID(toolPid) == restoreB.Pid() {
		victim, survivor = restoreB, restoreA
	}
	victim.Kill()
	testenv.KillPID(toolPid)

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
				if !strings.HasSuffix(s.Worker, ":"+strconv.Itoa(survivor.Pid())) {
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

	for _, p := range []*testenv.Process{front, survivor, back} {
		stop(t, p)
	}
}

func checkStatus(t *testing.T, env map[string]string) {
	t.Helper()
	r := run(t, env, "status", "--json")
	if r.Code != exitOK {
		t.Fatalf("status: %d %s", r.Code, r.Stderr)
	}
	var st app.Status
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.Stdout)
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
	lines := strings.Split(strings.TrimSpace(list.Stdout), "\n")
	if list.Code != exitOK || len(lines) != 2 {
		t.Fatalf("dlq list --region REG3:\n%s%s", list.Stdout, list.Stderr)
	}
	seq := strings.Fields(lines[1])[0]
	if r := run(t, env, "dlq", "replay", "--dry-run", seq); r.Code != exitOK || !strings.Contains(r.Stdout, "would replay "+seq) {
		t.Errorf("dry run: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	done, err := js.OrderedConsumer(ctx, pipeline.StreamEvents, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{pipeline.DoneSubject("REG3")}})
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, env, "dlq", "replay", seq); r.Code != exitOK || !strings.Contains(r.Stdout, "replayed "+seq) {
		t.Fatalf("replay: %d %s %s", r.Code, r.Stdout, r.Stderr)
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
	if again.Code != exitFailed || !strings.Contains(again.Stderr, "--force") {
		t.Errorf("second replay: exit %d %s; want a refusal naming --force", again.Code, again.Stderr)
	}
	if l := run(t, env, "dlq", "list", "--region", "REG3"); !strings.Contains(l.Stdout, "1x") {
		t.Errorf("dlq list does not show the replay:\n%s", l.Stdout)
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
