package kill

import (
	"path/filepath"
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
	testenv.CheckOneShippedBackup(t, f.env["GD_SPOOL_DIR"], f.env["GD_SHIP_DIR"], "REG1")
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
