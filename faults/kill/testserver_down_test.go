package kill

import (
	"strings"
	"testing"

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
	if r.code != 1 {
		t.Fatalf("backup exit = %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	rep := readReport(t, r.stdout)
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
