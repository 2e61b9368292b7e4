package pipeline

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestStopWithNothingInFlightDoesNotWarn: `gravedancer backup` stops its
// workers with no grace once the run is done; with no job in flight there
// is nothing to hand back and nothing to warn about.
func TestStopWithNothingInFlightDoesNotWarn(t *testing.T) {
	h := newHarness(t, []string{"a"}, 3, 5*time.Second)
	var logs bytes.Buffer
	h.p.log = slog.New(slog.NewTextHandler(&logs, nil))
	var calls atomic.Int32
	w := h.p.StageWorker(pass("a", &calls), 1)
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	finished := h.watch(StreamEvents, DoneSubject("R1"))
	h.publishJob("a", "R1", newJob("a", "R1"))
	finished()
	eventually(t, "the work queue to drain", func() bool { return h.pendingJobs() == 0 })
	// The done event goes out before the ack, and the job's goroutine ends
	// after it: wait until the worker itself holds nothing.
	eventually(t, "the job to be settled", func() bool { return w.inFlight.Load() == 0 })
	for range 20 {
		w.StopGracefully(0)
	}
	if strings.Contains(logs.String(), "grace period over") {
		t.Errorf("warned of unfinished jobs with none in flight:\n%s", logs.String())
	}
}
