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
	tool, pidFile := testenv.BlockingTool(t, "mariadb-dump")
	f.env["GD_DUMP_TOOL"] = tool
	ns := f.startNATS(t)
	dumpA := startWorker(t, f.workerEnv("dumpA"), "dumpA", "--stages", "dump", "--slots", "1", "--grace", "1s")
	dumpB := startWorker(t, f.workerEnv("dumpB"), "dumpB", "--stages", "dump", "--slots", "1", "--grace", "1s")
	startWorker(t, f.workerEnv("rest"), "rest", "--stages", "plan,stats,check,restore,ship,retain")

	ctx := context4m(t)
	js := testenv.ConnectNATS(t, ns.URL)
	watch, err := app.WatchRun(ctx, js, "K1")
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, f.env, "trigger", "--run", "K1"); r.Code != 0 {
		t.Fatalf("trigger: exit %d %s", r.Code, r.Stderr)
	}

	testenv.WaitFor(t, "the first dump to start", patience, func() bool { return testenv.ReadPID(pidFile) > 0 })
	toolPid := testenv.ReadPID(pidFile)
	victim, survivor := dumpA, dumpB
	switch testenv.ParentPID(toolPid) {
	case dumpA.Pid():
	case dumpB.Pid():
		victim, survivor = dumpB, dumpA
	default:
		t.Fatalf("blocked dump tool %d has parent %d, want one of the dump workers (%d, %d)",
			toolPid, testenv.ParentPID(toolPid), dumpA.Pid(), dumpB.Pid())
	}
	victim.Kill()
	testenv.KillPID(toolPid)

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
	var dumps []job.StageRecord
	for _, s := range g.Stages {
		if s.Stage == job.StageDump {
			dumps = append(dumps, s)
		}
	}
	if len(dumps) != 1 {
		t.Fatalf("dump records in %+v, want 1", g.Stages)
	}
	checkRedelivered(t, js, dumps[0], survivor)
	waitForRunReport(t, f, "K1")
	checkSpool(t, f, "REG1")
}

// waitForRunReport waits for the service to file run's report in the spool,
// which it does after the last region event, so that no write of it is
// still in flight when the spool is checked.
func waitForRunReport(t *testing.T, f *fleet, run string) {
	t.Helper()
	testenv.WaitFor(t, "the run report in the spool", patience, func() bool {
		m, _ := filepath.Glob(filepath.Join(f.env["GD_SPOOL_DIR"], "*", "run-"+run+".json"))
		return len(m) == 1
	})
}

// checkSpool asserts one artifact of region in the spool and one in the ship
// dir, no temp files in either, and that the shipped copy matches the
// manifest.
func checkSpool(t *testing.T, f *fleet, region string) {
	t.Helper()
	spool := f.env["GD_SPOOL_DIR"]
	isArtifact := func(n string) bool {
		return strings.HasPrefix(n, "mdb_bkp_"+region+"-") && (strings.HasSuffix(n, ".sql.gz") || strings.HasSuffix(n, ".sql.zst"))
	}
	var artifacts, shippedNames []string
	for _, n := range testenv.WalkNames(t, spool) {
		if strings.Contains(n, ".tmp-") {
			t.Errorf("temp file %s left in the spool", n)
		}
		if isArtifact(n) {
			artifacts = append(artifacts, n)
		}
	}
	if len(artifacts) != 1 {
		t.Fatalf("%s artifacts in the spool = %v, want exactly 1", region, artifacts)
	}
	for _, n := range testenv.WalkNames(t, f.env["GD_SHIP_DIR"]) {
		if strings.Contains(n, ".tmp-") {
			t.Errorf("temp file %s left in the ship dir", n)
		}
		if isArtifact(n) {
			shippedNames = append(shippedNames, n)
		}
	}
	if len(shippedNames) != 1 {
		t.Errorf("%s artifacts in the ship dir = %v, want exactly 1", region, shippedNames)
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
