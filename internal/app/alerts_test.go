package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/alert"
	"gravedancer/internal/config"
	"gravedancer/internal/job"
	"gravedancer/internal/metrics"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
)

const alertSecret = "Bearer alert-secret-xyz"

// hookReceiver is a loopback webhook receiver that records every POST.
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	events []alert.Event
	bodies []string
	heads  []http.Header
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev alert.Event
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Errorf("webhook body is not an event: %v: %s", err, b)
		}
		h.mu.Lock()
		h.events, h.bodies, h.heads = append(h.events, ev), append(h.bodies, string(b)), append(h.heads, r.Header.Clone())
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) got() ([]alert.Event, []string, []http.Header) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]alert.Event{}, h.events...), append([]string{}, h.bodies...), append([]http.Header{}, h.heads...)
}

// wantMixedRun asserts that exactly two alerts arrived for run, in which
// REG1 was good and REG3 excluded at dump (its source down): REG3's
// exclusion, then the run finished. Each carried the secret in header and
// no body a password or the secret. It returns the two events.
func (h *hookReceiver) wantMixedRun(t *testing.T, run, header string) []alert.Event {
	t.Helper()
	evs, bodies, heads := h.got()
	if len(evs) != 2 {
		t.Fatalf("%d alerts, want exactly 2: %s", len(evs), bodies)
	}
	x, fin := evs[0], evs[1]
	if x.Kind != alert.KindExcluded || x.Region != "REG3" || x.Stage != job.StageDump || x.Run != run ||
		!strings.Contains(x.Reason, "Can't connect") || x.ReasonClass == "" {
		t.Errorf("first alert %s, want REG3 excluded at dump in run %s", bodies[0], run)
	}
	if fin.Kind != alert.KindRunFinished || fin.Run != run || fin.Good == nil || *fin.Good != 1 ||
		fin.Excluded == nil || *fin.Excluded != 1 || len(fin.ExcludedRegions) != 1 || fin.ExcludedRegions[0].Region != "REG3" {
		t.Fatalf("second alert %s, want run %s finished with 1 good, REG3 excluded", bodies[1], run)
	}
	for i, hd := range heads {
		if hd.Get(header) != alertSecret {
			t.Errorf("alert %d: secret header %s = %q", i, header, hd.Get(header))
		}
	}
	for _, b := range bodies {
		if strings.Contains(b, sourcePassword) || strings.Contains(b, alertSecret) {
			t.Errorf("an alert carries a password or the secret: %s", b)
		}
	}
	return evs
}

// poll waits for cond, failing the test after d. It polls observable state;
// it never sleeps to synchronise.
func poll(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tuneAlerts shortens retries and the staleness tick, and puts the
// staleness watch on clock (nil: the real one), for this test.
func tuneAlerts(t *testing.T, clock func() time.Time, watches *atomic.Pointer[alert.StaleWatch]) {
	alertTuning = func(o *alert.Options, w *alert.StaleWatch) {
		o.Backoff, o.MaxBackoff, o.MaxAttempts, o.Drain = 10*time.Millisecond, 50*time.Millisecond, 3, 300*time.Millisecond
		if w != nil {
			w.Every = 20 * time.Millisecond
			w.Now = clock
			if watches != nil {
				watches.Store(w)
			}
		}
	}
	t.Cleanup(func() { alertTuning = nil })
}

// service runs Serve in the background against an external NATS and
// returns a JetStream connection and a stop function that waits for Serve.
func service(t *testing.T, cfg *config.Config, stages []string) (jetstream.JetStream, func() time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	var serveErr error
	go func() {
		defer close(finished)
		serveErr = Serve(ctx, cfg, ServeOptions{Stages: stages, Grace: time.Second}, quietLog())
	}()
	nc, err := nats.Connect(cfg.NATSURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	stopped := false
	stop := func() time.Duration {
		if stopped {
			return 0
		}
		stopped = true
		start := time.Now()
		cancel()
		select {
		case <-finished:
			if serveErr != nil {
				t.Errorf("Serve: %v", serveErr)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Serve did not return within 30s of its context ending")
		}
		return time.Since(start)
	}
	t.Cleanup(func() { stop() })
	// Ready once what this process sets up exists: the reporter's consumer
	// delivers only events published after it was made.
	poll(t, 30*time.Second, "service set up", func() bool {
		select {
		case <-finished:
			stopped = true
			t.Fatalf("Serve returned early: %v", serveErr)
		default:
		}
		if len(stages) == 0 {
			_, err := js.KeyValue(context.Background(), alert.StateBucket)
			return err == nil
		}
		_, err := js.Consumer(context.Background(), pipeline.StreamEvents, "reporter")
		return err == nil
	})
	return js, stop
}

func trigger(t *testing.T, js jetstream.JetStream, run string, regions ...string) {
	t.Helper()
	if _, err := pipeline.Trigger(context.Background(), js, &job.Trigger{V: job.Version, Run: run, Regions: regions, At: time.Now().UTC(), By: "test"}); err != nil {
		t.Fatal(err)
	}
}

func waitReport(t *testing.T, cfg *config.Config, run string) *report.Report {
	t.Helper()
	var rep *report.Report
	poll(t, 2*time.Minute, "report of run "+run, func() bool {
		var err error
		rep, err = report.Find(&store.Spool{Dir: cfg.SpoolDir}, run)
		return err == nil
	})
	return rep
}

// TestAlerts runs the service with GD_ALERT_WEBHOOK against real MariaDB
// and a real JetStream server.
func TestAlerts(t *testing.T) {
	reg1, test := testenv.StartMariaDB(t), testenv.StartMariaDB(t)
	testenv.LoadSample(t, reg1, "REG1")
	reg1.CreateUser(t, "backupuser", sourcePassword, testenv.BackupGrants)
	one := &fleet{reg1: reg1, reg2: reg1, test: test}

	// One region good, one excluded (its source is down): exactly one
	// exclusion alert and one run-finished alert; a run with no exclusion
	// raises nothing.
	t.Run("exclusion and run finished", func(t *testing.T) {
		tuneAlerts(t, nil, nil)
		hook := newHookReceiver(t)
		_, natsURL := testenv.StartNATS(t)
		cfg := env(t, one, map[string]string{
			"GD_REGIONS":       "REG1=" + reg1.Addr() + ",REG3=" + testenv.DeadAddr(t),
			"GD_NATS_URL":      natsURL,
			"GD_ENCRYPT":       "off", // not what this test is about
			"GD_ALERT_WEBHOOK": hook.URL + "/hooks/T0K3N?key=Q",
			"GD_ALERT_HEADER":  "X-Gd-Token",
			"GD_ALERT_SECRET":  alertSecret,
		})
		js, stop := service(t, cfg, AllStages())
		trigger(t, js, "alerts-good", "REG1")
		if rep := waitReport(t, cfg, "alerts-good"); rep.Excluded() != 0 {
			t.Fatalf("run alerts-good: %+v, want REG1 good", rep.Regions)
		}
		trigger(t, js, "alerts-mixed")
		rep := waitReport(t, cfg, "alerts-mixed")
		if rep.Good() != 1 || rep.Excluded() != 1 {
			t.Fatalf("run alerts-mixed: %+v, want REG1 good and REG3 excluded", rep.Regions)
		}
		poll(t, 30*time.Second, "two alerts", func() bool { evs, _, _ := hook.got(); return len(evs) >= 2 })
		stop() // drains the queue: anything else queued would arrive now
		evs := hook.wantMixedRun(t, "alerts-mixed", "X-Gd-Token")
		if x := evs[0]; x.ReasonClass != "retries_exhausted" || x.Attempts != 2 || x.Time.IsZero() {
			t.Errorf("exclusion alert %+v, want reason class retries_exhausted after 2 attempts", x)
		}
		if fin := evs[1]; !strings.Contains(fin.ExcludedRegions[0].Reason, "Can't connect") || fin.DurationSeconds == nil {
			t.Errorf("run alert %+v, want REG3's reason and the duration", fin)
		}
	})

	// The one-shot backup embeds its JetStream and no reporter runs: it
	// raises the same two alerts itself, once each, before it returns.
	t.Run("one-shot backup", func(t *testing.T) {
		tuneAlerts(t, nil, nil)
		hook := newHookReceiver(t)
		cfg := env(t, one, map[string]string{
			"GD_REGIONS":       "REG1=" + reg1.Addr() + ",REG3=" + testenv.DeadAddr(t),
			"GD_ENCRYPT":       "off", // not what this test is about
			"GD_ALERT_WEBHOOK": hook.URL + "/hooks/T0K3N",
			"GD_ALERT_SECRET":  alertSecret,
		})
		if cfg.NATSURL != "" {
			t.Fatalf("GD_NATS_URL=%q: the one-shot backup must embed its JetStream here", cfg.NATSURL)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		rep, _, err := Once(ctx, cfg, OnceOptions{}, quietLog())
		if err != nil || rep.Good() != 1 || rep.Excluded() != 1 {
			t.Fatalf("backup: %v %+v, want REG1 good and REG3 excluded", err, rep)
		}
		// Once drains its alert queue before returning: nothing may arrive later.
		hook.wantMixedRun(t, rep.Run, "Authorization")
	})

	// No run at all: each region alerts stale once, not again on later
	// checks, and REG1 recovers once a real backup of it is verified.
	t.Run("stale without a run, then recovered", func(t *testing.T) {
		var offset atomic.Int64 // how far the staleness clock is ahead
		clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		var watch atomic.Pointer[alert.StaleWatch]
		tuneAlerts(t, clock, &watch)
		hook := newHookReceiver(t)
		_, natsURL := testenv.StartNATS(t)
		cfg := env(t, one, map[string]string{
			"GD_REGIONS":       "REG1=" + reg1.Addr() + ",REG2=" + testenv.DeadAddr(t),
			"GD_NATS_URL":      natsURL,
			"GD_ENCRYPT":       "off", // not what this test is about
			"GD_ALERT_WEBHOOK": hook.URL,
			"GD_ALERT_SECRET":  alertSecret,
			"GD_STALE_AFTER":   "1m",
		})
		_, stop := service(t, cfg, nil) // `gravedancer serve`: no stages, no runs
		poll(t, 10*time.Second, "the serving process's staleness watch", func() bool { return watch.Load() != nil })
		w := watch.Load()
		checksAfter := func(n uint64) { poll(t, 10*time.Second, "staleness checks", func() bool { return w.Checks() >= n }) }
		checksAfter(3)
		if evs, _, _ := hook.got(); len(evs) != 0 {
			t.Fatalf("alerts before GD_STALE_AFTER passed: %+v", evs)
		}
		offset.Store(int64(2 * time.Minute))
		poll(t, 10*time.Second, "stale alerts", func() bool { evs, _, _ := hook.got(); return len(evs) >= 2 })
		checksAfter(w.Checks() + 10)
		evs, bodies, heads := hook.got()
		if len(evs) != 2 || !equalKinds(evs, "stale REG1", "stale REG2") {
			t.Fatalf("alerts %s, want one stale alert per region and no repeat", bodies)
		}
		for _, ev := range evs {
			if ev.LastVerified != nil || ev.StaleAfterSeconds != 60 {
				t.Errorf("stale alert %+v: want no last_verified and stale_after_seconds 60", ev)
			}
		}
		if heads[0].Get("Authorization") != alertSecret {
			t.Errorf("secret header %q", heads[0].Get("Authorization"))
		}

		// A real backup of REG1 through the pipeline (on the same NATS),
		// then the clock back to now: REG1's verified backup is fresh.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		rep, _, err := Once(ctx, cfg, OnceOptions{Regions: []string{"REG1"}}, quietLog())
		if err != nil || rep.Good() != 1 {
			t.Fatalf("backup of REG1: %v %+v", err, rep)
		}
		offset.Store(0)
		poll(t, 10*time.Second, "recovered alert", func() bool { evs, _, _ := hook.got(); return len(evs) >= 3 })
		checksAfter(w.Checks() + 10)
		stop()
		evs, bodies, _ = hook.got()
		if len(evs) != 3 || evs[2].Kind != alert.KindRecovered || evs[2].Region != "REG1" || evs[2].LastVerified == nil {
			t.Fatalf("alerts %s, want the two stale alerts then REG1 recovered, nothing more", bodies)
		}
	})

	// The receiver is down: the run still completes and is reported, and
	// the service stops in bounded time.
	t.Run("receiver down does not block the pipeline", func(t *testing.T) {
		tuneAlerts(t, nil, nil)
		_, natsURL := testenv.StartNATS(t)
		cfg := env(t, one, map[string]string{
			"GD_REGIONS":       "REG3=" + testenv.DeadAddr(t),
			"GD_NATS_URL":      natsURL,
			"GD_ENCRYPT":       "off", // not what this test is about
			"GD_ALERT_WEBHOOK": "http://" + testenv.DeadAddr(t) + "/hook",
		})
		js, stop := service(t, cfg, AllStages())
		for _, run := range []string{"down-1", "down-2"} {
			trigger(t, js, run)
			if rep := waitReport(t, cfg, run); rep.Excluded() != 1 {
				t.Fatalf("run %s: %+v, want REG3 excluded", run, rep.Regions)
			}
		}
		if took := stop(); took > 10*time.Second {
			t.Errorf("stopping took %s with the receiver down", took)
		}
	})
}

func equalKinds(evs []alert.Event, want ...string) bool {
	got := map[string]int{}
	for _, e := range evs {
		got[string(e.Kind)+" "+e.Region]++
	}
	for _, w := range want {
		got[w]--
	}
	for _, n := range got {
		if n != 0 {
			return false
		}
	}
	return true
}

// TestAlertKindsAreMetricLabels: every alert kind is a label value the
// metrics export from the start.
func TestAlertKindsAreMetricLabels(t *testing.T) {
	var kinds []string
	for _, k := range alert.Kinds() {
		kinds = append(kinds, string(k))
	}
	if strings.Join(kinds, ",") != strings.Join(metrics.AlertKinds, ",") {
		t.Errorf("alert kinds %v, metric labels %v", kinds, metrics.AlertKinds)
	}
}
