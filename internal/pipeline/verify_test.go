package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gravedancer/internal/job"
)

// A verify job enters at check, ends after restore: ship and retain never
// see it, and the run is announced with its one region first.
func TestVerifyJobRunsCheckAndRestoreOnly(t *testing.T) {
	route := []string{job.StageDump, job.StageStats, job.StageCheck, job.StageRestore, job.StageShip, job.StageRetain}
	h := newHarness(t, route, 3, 5*time.Second)
	calls := map[string]*atomic.Int32{}
	for _, s := range route {
		calls[s] = &atomic.Int32{}
		h.start(h.p.StageWorker(pass(s, calls[s]), 1))
	}
	planned := h.watch(StreamEvents, EventPlanned)
	done := h.watch(StreamEvents, DoneSubject("REG1"))

	j := &job.Job{V: job.Version, Run: "verify-REG1-1", Region: "REG1", Addr: "db:3306", Purpose: job.PurposeVerify,
		Artifact: &job.Artifact{Path: "/spool/a.sql.gz", ManifestPath: "/spool/a.manifest.json", SHA256: "x", Compression: "gzip"},
		Manifest: &job.Manifest{V: job.Version, Region: "REG1"}}
	for range 2 { // submitting twice is one job
		if err := SubmitVerify(context.Background(), h.js, j); err != nil {
			t.Fatal(err)
		}
	}
	var pl Planned
	if err := json.Unmarshal(planned().Data(), &pl); err != nil || pl.Run != j.Run || strings.Join(pl.Regions, ",") != "REG1" {
		t.Errorf("planned event %+v (%v), want run %s with REG1", pl, err, j.Run)
	}
	got, err := job.DecodeJob(done().Data())
	if err != nil {
		t.Fatal(err)
	}
	var stages []string
	for _, r := range got.History {
		stages = append(stages, r.Stage)
	}
	if s := strings.Join(stages, ","); s != "check,restore" {
		t.Errorf("history %s, want check,restore", s)
	}
	for stage, want := range map[string]int32{job.StageDump: 0, job.StageStats: 0, job.StageCheck: 1, job.StageRestore: 1, job.StageShip: 0, job.StageRetain: 0} {
		if n := calls[stage].Load(); n != want {
			t.Errorf("%s ran %d times, want %d", stage, n, want)
		}
	}
	// The done event is published before the restore job is acked.
	eventually(t, "the work queue to drain", func() bool { return h.pendingJobs() == 0 })
}

func TestSubmitVerifyRefusesAnIncompleteJob(t *testing.T) {
	h := newHarness(t, []string{job.StageCheck}, 1, time.Second)
	err := SubmitVerify(context.Background(), h.js, &job.Job{V: job.Version, Run: "verify-x", Region: "REG1", Purpose: job.PurposeVerify})
	if !errors.Is(err, job.ErrMalformed) {
		t.Errorf("err = %v, want ErrMalformed", err)
	}
}
