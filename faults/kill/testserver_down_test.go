package kill

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gravedancer/internal/app"
	"gravedancer/internal/failpoint"
	"gravedancer/internal/job"
	"gravedancer/internal/report"
	"gravedancer/internal/testenv"
)

// TestTestServerDownWholeRun runs a one-shot backup whose only test server is
// unreachable for the whole run: the restore stage retries, then excludes the
// region with a reason naming the test server, and the backup exits 1.
func TestTestServerDownWholeRun(t *testing.T) {
	f := newFleet(t)
	dead := testenv.DeadAddr(t)
	f.env["GD_TEST_SERVERS"] = dead
	f.env["GD_LEASE_TTL"] = "5s"
	f.env["GD_ACK_WAIT"] = "5s"

	r := run(t, f.env, "backup")
	if r.Code != 1 {
		t.Fatalf("backup exit = %d, want 1\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
	}
	rep := readReport(t, r.Stdout)
	if len(rep.Regions) != 1 {
		t.Fatalf("report has %d regions, want 1", len(rep.Regions))
	}
	g := rep.Regions[0]
	if g.Outcome != report.OutcomeExcluded || g.Stage != job.StageRestore {
		t.Fatalf("REG1 = %s at %q (%s), want %s at %s", g.Outcome, g.Stage, g.Reason, report.OutcomeExcluded, job.StageRestore)
	}
	if !strings.Contains(g.Reason, dead) {
		t.Errorf("reason %q does not name the test server %s", g.Reason, dead)
	}
	attempts := 0
	for _, s := range g.Stages {
		if s.Stage == job.StageRestore && s.Attempt > attempts {
			attempts = s.Attempt
		}
	}
	if attempts < 2 && !strings.Contains(strings.ToLower(g.Reason), "attempt") {
		t.Errorf("restore attempts = %d (stages %+v, reason %q), want the restore retried before exclusion", attempts, g.Stages, g.Reason)
	}
}

// TestTestServerKilledMidRestore SIGKILLs the only test server while a
// restore is loading into it (the worker stopped at the restore-load
// failpoint, then let go). The restore stage must treat it as the test
// server's fault: retry, then exclude the region naming the test server,
// without quarantining the backup. Once the test server is back, the
// restore worker's sweep drops what the interrupted restore left there.
func TestTestServerKilledMidRestore(t *testing.T) {
	f := newFleet(t)
	f.env["GD_MAX_DELIVER"] = "2"
	ns := f.startNATS(t)
	js := testenv.ConnectNATS(t, ns.URL)
	fpDir := t.TempDir()
	env := f.workerEnv("all")
	env["GD_FAILPOINTS"] = failpoint.RestoreLoad
	env["GD_FAILPOINT_DIR"] = fpDir
	startWorker(t, env, "all", "--stages", "all", "--grace", "1s")

	ctx := context4m(t)
	watch, err := app.WatchRun(ctx, js, "TS1")
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, f.env, "trigger", "--run", "TS1"); r.Code != 0 {
		t.Fatalf("trigger: exit %d %s", r.Code, r.Stderr)
	}
	marker := filepath.Join(fpDir, failpoint.RestoreLoad)
	testenv.WaitFor(t, "the restore to stop part-way", patience, func() bool { return testenv.ReadPID(marker) > 0 })
	if got := userDatabases(t, f.testServer.DB(t)); !slices.Contains(got, "keystone") {
		t.Fatalf("databases on the test server mid-restore = %v, want the region's", got)
	}
	f.testServer.Kill()
	testenv.WriteFile(t, marker+".continue", "", 0o644)

	rep, err := watch.Wait(ctx, nil)
	if err != nil {
		t.Fatalf("run TS1: %v", err)
	}
	g := rep.Regions[0]
	if g.Outcome != report.OutcomeExcluded || g.Stage != job.StageRestore || !strings.Contains(g.Reason, f.testServer.Addr()) {
		t.Fatalf("REG1 = %s at %q (%s), want excluded at restore naming %s", g.Outcome, g.Stage, g.Reason, f.testServer.Addr())
	}
	if strings.Contains(g.Reason, "quarantined") {
		t.Errorf("reason %q: a backup must not be quarantined for its test server's death", g.Reason)
	}
	var artifacts []string
	for _, n := range testenv.WalkNames(t, f.env["GD_SPOOL_DIR"]) {
		if strings.HasPrefix(n, "mdb_bkp_REG1-") && strings.HasSuffix(n, ".sql.gz") {
			artifacts = append(artifacts, n)
		}
	}
	if len(artifacts) != 1 {
		t.Errorf("artifacts in the spool = %v, want the unproven backup kept", artifacts)
	}

	f.testServer.Restart(t)
	db := f.testServer.DB(t)
	// The sweep drops each database, then strikes it from the ledger: wait
	// for both.
	testenv.WaitFor(t, "the sweep to drop what the interrupted restore left and clear the ledger", patience, func() bool {
		left := userDatabases(t, db)
		var n int
		err := db.QueryRow("SELECT COUNT(*) FROM `" + ledgerSchema + "`.`restoring`").Scan(&n)
		return (len(left) == 0 || (len(left) == 1 && left[0] == ledgerSchema)) && err == nil && n == 0
	})
}
