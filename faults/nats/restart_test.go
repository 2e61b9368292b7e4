package nats

import (
	"testing"
	"time"

	"gravedancer/internal/testenv"
)

// TestNATSServerRestartMidRun restarts the real nats-server, gracefully
// (SIGTERM, as systemctl restart does) and by SIGKILL (a crash: JetStream
// recovers a store it did not close), while both regions' dumps have been
// in flight for longer than the ack wait. The workers must reconnect by
// themselves and the run complete: both regions good, each dumped once
// (heartbeats after the reconnect keep the in-flight jobs from being
// redelivered), one artifact each, nothing left in the work queue or the
// DLQ, both workers alive and still listed by `gravedancer status`.
func TestNATSServerRestartMidRun(t *testing.T) {
	t.Parallel()
	f := newFleet(t)
	for _, tc := range []struct {
		name    string
		restart func(*testenv.NATSServer, testing.TB)
	}{
		{"SIGTERM", (*testenv.NATSServer).Restart},
		{"SIGKILL", (*testenv.NATSServer).KillRestart},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns := testenv.StartNATSServer(t)
			g := newGate(t, "mariadb-dump")
			env := f.env(t, ns.URL, g.tool)
			workers := startWorkers(t, env)
			ctx := scenarioContext(t)
			js := testenv.ConnectNATS(t, ns.URL, reconnecting...)
			runID := "restart-" + tc.name
			watch := trigger(t, ctx, js, env, runID)

			waitDumpsInFlight(t, g)
			holdPastAckWait(t, ctx, js)
			var reconnects []int
			for _, w := range workers {
				reconnects = append(reconnects, w.LogCount("nats reconnected"))
			}
			start := time.Now()
			tc.restart(ns, t)
			t.Logf("nats-server restarted (%s) in %s", tc.name, time.Since(start).Round(time.Millisecond))
			for i, w := range workers {
				testenv.WaitFor(t, w.Name+" to reconnect", patience, func() bool { return w.LogCount("nats reconnected") > reconnects[i] })
			}
			t.Logf("workers reconnected %s after the restart began", time.Since(start).Round(time.Millisecond))
			g.release(t)

			checkRun(t, ctx, js, watch, runID, env, g, workers)
			checkStatus(t, env, workers)
		})
	}
}
