package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"gravedancer/internal/app"
	"gravedancer/internal/metrics"
	"gravedancer/internal/testenv"
)

// TestMetricsAfterARun scrapes /metrics of a real service after a run with
// two good regions and one whose source is down, and checks values and
// label sets: the good regions have a verified-backup timestamp from this
// run, the excluded one 0 (never verified) and one exclusion in a known reason
// class, stage counters add up, and no label carries a run id or a secret.
func TestMetricsAfterARun(t *testing.T) {
	env, _ := fleetEnv(t)
	_, url := testenv.StartNATS(t)
	env["GD_NATS_URL"] = url
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	svc := exec.Command(binary, "run", "--health", addr)
	svc.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		svc.Env = append(svc.Env, k+"="+v)
	}
	var logs bytes.Buffer
	svc.Stderr = &logs
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- svc.Wait() }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			svc.Process.Kill()
			<-exited
		}
	})

	js := testenv.ConnectNATS(t, url)
	waitForStreams(t, js)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const runID = "metrics-run-7"
	watch, err := app.WatchRun(ctx, js, runID)
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	if r := run(t, env, "trigger", "--run", runID); r.Code != exitOK {
		t.Fatalf("trigger: exit %d %s", r.Code, r.Stderr)
	}
	if _, err := watch.Wait(ctx, nil); err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}

	// The reporter files the report just after the last event: scrape
	// until the run gauges show it.
	var fams map[string]*dto.MetricFamily
	var body string
	deadline := time.Now().Add(30 * time.Second)
	for {
		body, fams = scrape(t, "http://"+addr+"/metrics")
		if value(fams, "gravedancer_last_run_regions", map[string]string{"outcome": "good"}) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no report of the run in /metrics after 30s:\n%s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}

	for _, region := range []string{"REG1", "REG2"} {
		ts := value(fams, "gravedancer_last_verified_backup_timestamp_seconds", map[string]string{"region": region})
		if ts < float64(started.Add(-2*time.Second).Unix()) || ts > float64(time.Now().Unix()+1) {
			t.Errorf("%s last verified = %v, want a time during this run (started %d)", region, ts, started.Unix())
		}
		if v := value(fams, "gravedancer_last_backup_size_bytes", map[string]string{"region": region}); v <= 0 {
			t.Errorf("%s size = %v", region, v)
		}
		if v := value(fams, "gravedancer_backup_rows_verified", map[string]string{"region": region}); v <= 0 {
			t.Errorf("%s rows verified = %v", region, v)
		}
		for _, op := range []string{"dumped", "restored", "shipped"} {
			if v := value(fams, "gravedancer_bytes_total", map[string]string{"region": region, "op": op}); v <= 0 {
				t.Errorf("%s bytes %s = %v, want > 0", region, op, v)
			}
		}
	}
	if v := value(fams, "gravedancer_last_verified_backup_timestamp_seconds", map[string]string{"region": "REG3"}); v != 0 {
		t.Errorf("REG3 last verified = %v, want 0: it never had a backup", v)
	}
	excl := fams["gravedancer_region_excluded_total"]
	if excl == nil || len(excl.Metric) != 1 {
		t.Fatalf("region_excluded_total = %v, want one series (REG3)", excl)
	}
	labels := labelMap(excl.Metric[0])
	allowed := map[string]bool{metrics.ReasonDumpFailed: true, metrics.ReasonRetriesExhausted: true}
	if labels["region"] != "REG3" || labels["stage"] != "dump" || !allowed[labels["reason"]] || excl.Metric[0].GetCounter().GetValue() != 1 {
		t.Errorf("exclusion series = %v = %v, want REG3 at dump, dump_failed or retries_exhausted, 1", labels, excl.Metric[0].GetCounter().GetValue())
	}
	for _, stage := range []string{"restore", "ship"} {
		if v := value(fams, "gravedancer_stage_jobs_total", map[string]string{"stage": stage, "result": "done"}); v != 2 {
			t.Errorf("%s jobs done = %v, want 2", stage, v)
		}
	}
	if v := value(fams, "gravedancer_last_run_regions", map[string]string{"outcome": "excluded"}); v != 1 {
		t.Errorf("last run excluded = %v, want 1", v)
	}
	if v := value(fams, "gravedancer_dlq_messages", nil); v != 1 {
		t.Errorf("dlq messages = %v, want 1", v)
	}
	if v := value(fams, "gravedancer_last_run_duration_seconds", nil); v <= 0 {
		t.Errorf("last run duration = %v", v)
	}
	for _, m := range fams["gravedancer_stage_in_flight"].GetMetric() {
		if m.GetGauge().GetValue() != 0 {
			t.Errorf("in flight %v = %v after the run", labelMap(m), m.GetGauge().GetValue())
		}
	}
	if h := fams["gravedancer_stage_duration_seconds"]; h == nil || len(h.Metric) == 0 {
		t.Error("no stage duration histogram")
	}
	for name, f := range fams {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if strings.Contains(l.GetValue(), runID) {
					t.Errorf("%s has the run id in label %s", name, l.GetName())
				}
			}
		}
	}
	assertNoPassword(t, env, body)
}

func scrape(t *testing.T, url string) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, b)
	}
	return string(b), fams
}

func labelMap(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.Label {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func find(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	for _, m := range fams[name].GetMetric() {
		got := labelMap(m)
		match := true
		for k, v := range want {
			if got[k] != v {
				match = false
			}
		}
		if match {
			return m
		}
	}
	return nil
}

// value is a series' value (gauge, counter or untyped), or -1 when absent.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	m := find(fams, name, want)
	switch {
	case m == nil:
		return -1
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	}
	return m.GetUntyped().GetValue()
}
