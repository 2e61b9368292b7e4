package kill

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gravedancer/internal/app"
	"gravedancer/internal/job"
	"gravedancer/internal/report"
	"gravedancer/internal/testenv"
)

// TestWorkerKilledDuringDump SIGKILLs the dump worker whose dump tool is
// running. The dump job must be redelivered to the other dump worker and the
// region completed exactly once: good in the report, one artifact in the
// spool, no temp files, and a shipped copy whose sha256 equals the manifest.
func TestWorkerKilledDuringDump(t *testing.T) {
	f := newFleet(t)
	ns := testenv.StartNATSServer(t)
	tool, pidFile := blockingTool(t, "mariadb-dump")
	env := f.env
	env["GD_NATS_URL"] = ns.URL
	env["GD_DUMP_TOOL"] = tool
	env["GD_ACK_WAIT"] = "5s"
	env["GD_LEASE_TTL"] = "5s"

	if r := run(t, env, "setup"); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	workerEnv := func(name string) map[string]string {
		e := map[string]string{}
		for k, v := range env {
			e[k] = v
		}
		e["GD_STATE_DIR"] = filepath.Join(f.dir, "state-"+name)
		e["GD_NATS_SETUP"] = "false"
		return e
	}
	dumpA := startWorker(t, workerEnv("dumpA"), "dumpA", "--stages", "dump", "--slots", "1", "--grace", "1s")
	dumpB := startWorker(t, workerEnv("dumpB"), "dumpB", "--stages", "dump", "--slots", "1", "--grace", "1s")
	startWorker(t, workerEnv("rest"), "rest", "--stages", "plan,stats,check,restore,ship,retain")

	ctx := context4m(t)
	js := connect(t, ns.URL)
	watch, err := app.WatchRun(ctx, js, "K1")
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, env, "trigger", "--run", "K1"); r.code != 0 {
		t.Fatalf("trigger: exit %d %s", r.code, r.stderr)
	}

	waitFor(t, "the first dump to start", func() bool { return readPid(pidFile) > 0 })
	toolPid := readPid(pidFile)
	victim, survivor := dumpA, dumpB
	switch ppid(toolPid) {
	case dumpA.cmd.Process.Pid:
	case dumpB.cmd.Process.Pid:
		victim, survivor = dumpB, dumpA
	default:
		t.Fatalf("blocked dump tool %d has parent %d, want one of the dump workers (%d, %d)",
			toolPid, ppid(toolPid), dumpA.cmd.Process.Pid, dumpB.cmd.Process.Pid)
	}
	victim.kill()
	_ = syscallKill(toolPid)

	rep, err := watch.Wait(ctx, nil)
	if err != nil {
		t.Fatalf("run K1: %v", err)
	}
	if len(rep.Regions) != 1 {
		t.Fatalf("report has %d regions, want 1: %+v", len(rep.Regions), rep.Regions)
	}
	g := rep.Regions[0]
	if g.Outcome != report.OutcomeGood {
		t.Fatalf("REG1 outcome = %s (%s at %s), want %s", g.Outcome, g.Reason, g.Stage, report.OutcomeGood)
	}
	redelivered := false
	for _, s := range g.Stages {
		if s.Stage == job.StageDump && s.Attempt > 1 {
			redelivered = true
			if !strings.HasSuffix(s.Worker, ":"+itoa(survivor.cmd.Process.Pid)) {
				t.Errorf("redelivered dump ran on %s, want the surviving worker (pid %d)", s.Worker, survivor.cmd.Process.Pid)
			}
		}
	}
	if !redelivered {
		t.Errorf("no dump attempt > 1 in %+v; the killed dump was not redelivered", g.Stages)
	}
	// The service files the run report after the last region event; wait
	// for it so no write of it is still in flight when the spool is checked.
	waitFor(t, "the run report in the spool", func() bool {
		m, _ := filepath.Glob(filepath.Join(f.env["GD_SPOOL_DIR"], "*", "run-K1.json"))
		return len(m) == 1
	})
	checkSpool(t, f, "REG1")
}

// checkSpool asserts one artifact per region in the spool, no temp files in
// the spool or the ship dir, and a shipped copy matching the manifest.
func checkSpool(t *testing.T, f *fleet, region string) {
	t.Helper()
	spool := f.env["GD_SPOOL_DIR"]
	var artifacts []string
	for _, n := range walkNames(t, spool) {
		if strings.Contains(n, ".tmp-") {
			t.Errorf("temp file %s left in the spool", n)
		}
		if strings.HasPrefix(n, "mdb_bkp_"+region+"-") && (strings.HasSuffix(n, ".sql.gz") || strings.HasSuffix(n, ".sql.zst")) {
			artifacts = append(artifacts, n)
		}
	}
	if len(artifacts) != 1 {
		t.Fatalf("%s artifacts in the spool = %v, want exactly 1", region, artifacts)
	}
	for _, n := range walkNames(t, f.env["GD_SHIP_DIR"]) {
		if strings.Contains(n, ".tmp-") {
			t.Errorf("temp file %s left in the ship dir", n)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(spool, "*", strings.TrimSuffix(strings.TrimSuffix(artifacts[0], ".gz"), ".sql")+".manifest.json"))
	if len(matches) != 1 {
		t.Fatalf("manifest of %s: found %v, want 1", artifacts[0], matches)
	}
	var m job.Manifest
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	shipped, _ := filepath.Glob(filepath.Join(f.env["GD_SHIP_DIR"], "*", artifacts[0]))
	if len(shipped) != 1 {
		t.Fatalf("shipped copies of %s = %v, want 1", artifacts[0], shipped)
	}
	data, err := os.ReadFile(shipped[0])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != m.SHA256 {
		t.Errorf("shipped %s sha256 = %s, want %s (manifest)", shipped[0], got, m.SHA256)
	}
}
