package kill

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/app"
	"gravedancer/internal/failpoint"
	"gravedancer/internal/job"
	"gravedancer/internal/mysqlx"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
	"gravedancer/internal/testenv"
)

// killed is a run in which the only worker of one stage stopped at a
// failpoint and was SIGKILLed there, and a second worker of that stage,
// started once the first had stopped, took the redelivered job.
type killed struct {
	f                *fleet
	js               jetstream.JetStream
	victim, survivor *testenv.Process
	region           report.Region
}

// runKilledAt runs one region through the pipeline with stage split off to
// its own workers. The first (the victim) is the stage's only worker until it
// reaches point, so it is the one that takes the job and stops there; then
// atPoint runs (to observe what the stop left behind), a second worker of
// the stage starts, and the victim is SIGKILLed. runKilledAt returns once the
// run's report says REG1 is good, the report is filed in the spool and the
// stage's consumer has nothing left pending or unacked: the redelivered job
// was worked and acked too.
func runKilledAt(t *testing.T, stage, point string, atPoint func(f *fleet)) *killed {
	t.Helper()
	f := newFleet(t)
	ns := f.startNATS(t)
	k := &killed{f: f, js: testenv.ConnectNATS(t, ns.URL)}
	var others []string
	for _, s := range app.AllStages() {
		if s != stage {
			others = append(others, s)
		}
	}
	startWorker(t, f.workerEnv("rest"), "rest", "--stages", strings.Join(others, ","))
	fpDir := t.TempDir()
	venv := f.workerEnv("victim")
	venv["GD_FAILPOINTS"] = point
	venv["GD_FAILPOINT_DIR"] = fpDir
	args := []string{"--stages", stage, "--slots", "1", "--grace", "1s"}
	k.victim = startWorker(t, venv, "victim", args...)

	ctx := context4m(t)
	watch, err := app.WatchRun(ctx, k.js, "K1")
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, f.env, "trigger", "--run", "K1"); r.Code != 0 {
		t.Fatalf("trigger: exit %d %s", r.Code, r.Stderr)
	}
	marker := filepath.Join(fpDir, strings.ReplaceAll(point, ":", "_"))
	testenv.WaitFor(t, "the "+stage+" worker to stop at "+point, patience, func() bool { return testenv.ReadPID(marker) > 0 })
	if pid := testenv.ReadPID(marker); pid != k.victim.Pid() {
		t.Fatalf("%s hit by pid %d, want the victim %d", point, pid, k.victim.Pid())
	}
	if atPoint != nil {
		atPoint(f)
	}
	k.survivor = startWorker(t, f.workerEnv("survivor"), "survivor", args...)
	k.victim.Kill()

	rep, err := watch.Wait(ctx, nil)
	if err != nil {
		t.Fatalf("run K1: %v", err)
	}
	if len(rep.Regions) != 1 {
		t.Fatalf("report has %d regions, want 1: %+v", len(rep.Regions), rep.Regions)
	}
	k.region = rep.Regions[0]
	if g := k.region; g.Outcome != report.OutcomeGood {
		t.Fatalf("REG1 outcome = %s (%s at %s), want %s", g.Outcome, g.Reason, g.Stage, report.OutcomeGood)
	}
	waitForRunReport(t, f, "K1")
	// The run may be done before the killed job's redelivery is: wait for
	// it to be worked and acked, so what it does is checked too.
	testenv.WaitFor(t, "the redelivered "+stage+" job to be acked", patience, func() bool {
		ci := consumerInfo(t, k.js, stage)
		return ci.Delivered.Consumer >= 2 && ci.NumAckPending == 0 && ci.NumPending == 0
	})
	if n := streamState(t, k.js, pipeline.StreamDLQ).Msgs; n != 0 {
		t.Errorf("%d dead letters, want none", n)
	}
	// The trigger and one job per stage: a job published again after the
	// kill (the killed stage's, or the next stage's by the redelivery) was
	// deduplicated, not stored a second time.
	if n, want := streamState(t, k.js, pipeline.StreamJobs).LastSeq, uint64(1+len(app.Route)); n != want {
		t.Errorf("%d messages ever stored in %s, want %d: the trigger and one job per stage", n, pipeline.StreamJobs, want)
	}
	return k
}

// record returns the report's record of stage and how many it holds.
func (k *killed) record(stage string) (job.StageRecord, int) {
	var rec job.StageRecord
	n := 0
	for _, s := range k.region.Stages {
		if s.Stage == stage {
			rec, n = s, n+1
		}
	}
	return rec, n
}

func consumerInfo(t *testing.T, js jetstream.JetStream, name string) *jetstream.ConsumerInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, pipeline.StreamJobs, name)
	if err != nil {
		t.Fatalf("consumer %s: %v", name, err)
	}
	ci, err := c.Info(ctx)
	if err != nil {
		t.Fatalf("consumer %s: %v", name, err)
	}
	return ci
}

func streamState(t *testing.T, js jetstream.JetStream, name string) jetstream.StreamState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	return info.State
}

// userDatabases lists the databases on db's server other than the system schemas.
func userDatabases(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SHOW DATABASES")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		if !mysqlx.SystemSchema(n) {
			out = append(out, n)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// ledgerSchema is where restores record, on the test server, the databases
// they have not dropped yet.
const ledgerSchema = "gravedancer_ledger"

// TestWorkerKilledDuringRestore SIGKILLs the restore worker in the middle of
// loading the artifact into the test server, with the region's databases
// half restored there. Another restore worker must take the job once the
// lease and AckWait run out, restore the region cleanly, and leave nothing
// of either restore on the test server.
func TestWorkerKilledDuringRestore(t *testing.T) {
	k := runKilledAt(t, job.StageRestore, failpoint.RestoreLoad, func(f *fleet) {
		got := userDatabases(t, f.testServer.DB(t))
		for _, want := range []string{"keystone", "nova", "neutron"} {
			if slices.Contains(got, want) {
				return
			}
		}
		t.Fatalf("databases on the test server at the kill = %v, want some of the region's being restored", got)
	})
	rec, n := k.record(job.StageRestore)
	if n != 1 {
		t.Fatalf("%d restore records in %+v, want 1", n, k.region.Stages)
	}
	checkRedelivered(t, k.js, rec, k.survivor)
	testenv.CheckOneShippedBackup(t, k.f.env["GD_SPOOL_DIR"], k.f.env["GD_SHIP_DIR"], "REG1")

	db := k.f.testServer.DB(t)
	for _, n := range userDatabases(t, db) {
		if n != ledgerSchema {
			t.Errorf("database %s left on the test server after the run", n)
		}
	}
	var rows int
	err := db.QueryRow("SELECT COUNT(*) FROM `" + ledgerSchema + "`.`restoring`").Scan(&rows)
	switch {
	case err != nil:
		t.Errorf("restore ledger on the test server: %v", err)
	case rows != 0:
		t.Errorf("restore ledger lists %d databases after the run, want none", rows)
	}
}

// TestWorkerKilledDuringShip SIGKILLs the ship worker once it has copied the
// artifact into its temp file in the ship dir, before the rename. Another
// ship worker must ship the region once: one copy matching the manifest, and
// the killed writer's temp file swept.
func TestWorkerKilledDuringShip(t *testing.T) {
	k := runKilledAt(t, job.StageShip, failpoint.ShipCopy, func(f *fleet) {
		tmp := 0
		for _, n := range testenv.WalkNames(t, f.env["GD_SHIP_DIR"]) {
			if strings.Contains(n, ".tmp-") {
				tmp++
			}
		}
		if tmp != 1 {
			t.Fatalf("temp files in the ship dir at the kill = %d, want the one being written", tmp)
		}
	})
	rec, n := k.record(job.StageShip)
	if n != 1 {
		t.Fatalf("%d ship records in %+v, want 1", n, k.region.Stages)
	}
	checkRedelivered(t, k.js, rec, k.survivor)
	testenv.CheckOneShippedBackup(t, k.f.env["GD_SPOOL_DIR"], k.f.env["GD_SHIP_DIR"], "REG1")
}

// TestWorkerKilledAfterPublish SIGKILLs a stage's worker after it published
// the next stage's job but before it acked its own. The job is redelivered
// and worked again; the republished next job must be deduplicated, so the
// next stage runs exactly once and the region is backed up once.
func TestWorkerKilledAfterPublish(t *testing.T) {
	for _, stage := range []string{job.StageDump, job.StageRestore, job.StageShip} {
		t.Run(stage, func(t *testing.T) {
			k := runKilledAt(t, stage, failpoint.AfterPublish+stage, nil)
			// The history is the job that went on: the victim's, since
			// its publish was stored and the survivor's deduplicated.
			for _, s := range app.Route {
				rec, n := k.record(s)
				if n != 1 {
					t.Errorf("%d %s records in %+v, want 1", n, s, k.region.Stages)
				}
				if s == stage && !ranOn(rec, k.victim) {
					t.Errorf("%s record %+v, want the killed worker's (pid %d)", s, rec, k.victim.Pid())
				}
			}
			// runKilledAt checked that the next stage's job was stored
			// once; it must also have been worked and acked, once.
			next := app.Route[slices.Index(app.Route, stage)+1]
			ci := consumerInfo(t, k.js, next)
			if ci.NumPending != 0 || ci.NumAckPending != 0 || ci.NumRedelivered != 0 {
				t.Errorf("%s consumer: %d waiting, %d unacked, %d redelivered; want its one job done",
					next, ci.NumPending, ci.NumAckPending, ci.NumRedelivered)
			}
			testenv.CheckOneShippedBackup(t, k.f.env["GD_SPOOL_DIR"], k.f.env["GD_SHIP_DIR"], "REG1")
		})
	}
}
