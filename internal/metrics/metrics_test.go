package metrics

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
)

func TestReasonClass(t *testing.T) {
	cases := []struct{ stage, reason, want string }{
		{"dump", "mariadb-dump exited 2: Got error: 1045: Access denied", ReasonDumpFailed},
		{"dump", "gave up after 4 attempts: dump REG3: connect: connection refused", ReasonRetriesExhausted},
		{"dump", "no worker finished this job in 4 deliveries", ReasonRetriesExhausted},
		{"dump", "the dump is empty: 0 bytes of SQL", ReasonZeroSize},
		{"check", "artifact sha256 abc, manifest says def", ReasonHashMismatch},
		{"check", "the dump has no completion footer (cut short?)", ReasonControlLines},
		{"stats", "something odd", ReasonCheckFailed},
		{"restore", "restore on db1:3306: statement at line 9: Error 1064", ReasonRestoreFailed},
		{"restore", "restore check: table nova.instances: dump had 10 rows, restored 9", ReasonCheckFailed},
		{"ship", "bpbackup exited 25", ReasonShipFailed},
		{"check", "malformed message: invalid character", ReasonMalformed},
		{"retain", "schema version 9, this build reads 1", ReasonMalformed},
		{"nonsense", "<script>", ReasonCheckFailed},
	}
	for _, c := range cases {
		if got := ReasonClass(c.stage, c.reason); got != c.want {
			t.Errorf("ReasonClass(%q, %q) = %s, want %s", c.stage, c.reason, got, c.want)
		}
	}
}

// TestObserverCounts: deliveries move the in-flight gauge back to zero,
// redeliveries and results are counted, exclusions land in a bounded label
// set (an unconfigured region is "unknown"), and bytes follow the stage.
func TestObserverCounts(t *testing.T) {
	m := New([]string{"REG1"})
	j := &job.Job{Region: "REG1", Artifact: &job.Artifact{Bytes: 100}, Manifest: &job.Manifest{RawBytes: 1000},
		Shipped: []job.Shipment{{Target: "dir"}, {Target: "scp"}}}
	for _, d := range []pipeline.Delivery{
		{Stage: "dump", Region: "REG1", Attempt: 1, Result: pipeline.ResultDone, Job: j},
		{Stage: "restore", Region: "REG1", Attempt: 2, Result: pipeline.ResultDone, Job: j, Took: 3 * time.Second},
		{Stage: "ship", Region: "REG1", Attempt: 1, Result: pipeline.ResultDone, Job: j},
		{Stage: "check", Region: "REG1", Attempt: 1, Result: pipeline.ResultRetry},
		{Stage: "check", Region: "REG1", Attempt: 2, Result: pipeline.ResultExcluded, Reason: "sha256 mismatch"},
		{Stage: "dump", Region: "EVIL../x", Attempt: 1, Result: pipeline.ResultExcluded, Reason: "malformed message"},
	} {
		m.Started(d.Stage, d.Attempt)
		m.Finished(d)
	}
	checks := []struct {
		got  float64
		want float64
		what string
	}{
		{testutil.ToFloat64(m.inFlight.WithLabelValues("dump")), 0, "dump in flight"},
		{testutil.ToFloat64(m.redeliveries.WithLabelValues("restore")), 1, "restore redeliveries"},
		{testutil.ToFloat64(m.redeliveries.WithLabelValues("check")), 1, "check redeliveries"},
		{testutil.ToFloat64(m.jobs.WithLabelValues("check", "retry")), 1, "check retries"},
		{testutil.ToFloat64(m.excluded.WithLabelValues("REG1", "check", ReasonHashMismatch)), 1, "REG1 hash mismatch"},
		{testutil.ToFloat64(m.excluded.WithLabelValues("unknown", "dump", ReasonMalformed)), 1, "unknown region malformed"},
		{testutil.ToFloat64(m.bytes.WithLabelValues("REG1", "dumped")), 100, "dumped"},
		{testutil.ToFloat64(m.bytes.WithLabelValues("REG1", "restored")), 1000, "restored"},
		{testutil.ToFloat64(m.bytes.WithLabelValues("REG1", "shipped")), 200, "shipped to two targets"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.excluded); n != 2 {
		t.Errorf("exclusion series = %d, want 2", n)
	}
}

// TestSnapshotGauges: the scrape-time gauges show the snapshot; a region
// without a verified backup shows 0 (so staleness alerts fire), and a failed snapshot says so
// instead of failing the scrape.
func TestSnapshotGauges(t *testing.T) {
	at := time.Date(2026, 11, 28, 2, 30, 0, 0, time.UTC)
	var fail bool
	m := New([]string{"REG1", "REG2"})
	m.Watch(func(context.Context) (*Snapshot, error) {
		if fail {
			return nil, errors.New("spool unreadable")
		}
		return &Snapshot{DLQ: 3, Regions: []RegionState{{Region: "REG1", LastVerified: &at, Bytes: 42, RowsVerified: 7}, {Region: "REG2"}},
			LastRun: &RunState{Started: at, Finished: at.Add(90 * time.Second), Good: 1, Excluded: 1}}, nil
	})
	want := `
# HELP gravedancer_last_verified_backup_timestamp_seconds Unix time of the region's newest backup that passed its restore test; 0 when it has none in the spool.
# TYPE gravedancer_last_verified_backup_timestamp_seconds gauge
gravedancer_last_verified_backup_timestamp_seconds{region="REG1"} 1.795833e+09
gravedancer_last_verified_backup_timestamp_seconds{region="REG2"} 0
# HELP gravedancer_last_run_duration_seconds How long the newest run took, from trigger to its last region.
# TYPE gravedancer_last_run_duration_seconds gauge
gravedancer_last_run_duration_seconds 90
# HELP gravedancer_dlq_messages Entries in the dead-letter stream (exclusions kept for 90 days).
# TYPE gravedancer_dlq_messages gauge
gravedancer_dlq_messages 3
# HELP gravedancer_snapshot_error 1 when the last scrape could not read the spool, the reports or NATS.
# TYPE gravedancer_snapshot_error gauge
gravedancer_snapshot_error 0
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), "gravedancer_last_verified_backup_timestamp_seconds",
		"gravedancer_last_run_duration_seconds", "gravedancer_dlq_messages", "gravedancer_snapshot_error"); err != nil {
		t.Error(err)
	}
	fail = true
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(`
# HELP gravedancer_snapshot_error 1 when the last scrape could not read the spool, the reports or NATS.
# TYPE gravedancer_snapshot_error gauge
gravedancer_snapshot_error 1
`), "gravedancer_snapshot_error", "gravedancer_dlq_messages"); err != nil {
		t.Error(err)
	}
}
