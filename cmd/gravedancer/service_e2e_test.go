package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/app"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
	"gravedancer/internal/testenv"
)

// TestServiceRunAndCronTrigger runs the service the way a fleet does: the
// `run` binary against a JetStream server, and cron's `trigger` firing twice
// in one minute, which must make one run.
func TestServiceRunAndCronTrigger(t *testing.T) {
	env, _ := fleetEnv(t)
	_, url := testenv.StartNATS(t)
	env["GD_NATS_URL"] = url
	env["GD_REGIONS"] = strings.Split(env["GD_REGIONS"], ",REG3=")[0] // the two healthy regions

	svc := exec.Command(binary, "run")
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
		if svc.ProcessState == nil {
			svc.Process.Kill()
			<-exited
		}
	})

	js := testenv.ConnectNATS(t, url)
	waitForStreams(t, js)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	watch, err := app.WatchRun(ctx, js, "cron-0230")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"triggered run cron-0230", "already triggered"} {
		r := run(t, env, "trigger", "--run", "cron-0230")
		if r.Code != exitOK || !strings.Contains(r.Stdout, want) {
			t.Fatalf("trigger %d: exit %d, %q; want %q\n%s", i, r.Code, r.Stdout, want, r.Stderr)
		}
	}
	rep, err := watch.Wait(ctx, nil)
	if err != nil {
		t.Fatalf("%v\nservice log:\n%s", err, logs.String())
	}
	if rep.Good() != 2 || len(rep.Regions) != 2 {
		t.Errorf("run: %+v", rep.Regions)
	}
	for _, g := range rep.Regions {
		if g.Outcome != report.OutcomeGood {
			t.Errorf("%s: %s %s", g.Region, g.Outcome, g.Reason)
		}
	}

	svc.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("service exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("service did not stop within 30s of SIGTERM")
	}
	if n := pendingJobs(t, js); n != 0 {
		s, _ := js.Stream(context.Background(), pipeline.StreamJobs)
		info, _ := s.Info(context.Background())
		m, err := s.GetMsg(context.Background(), info.State.FirstSeq)
		if err == nil {
			t.Errorf("%d jobs left in the work queue after the run; first: %s %s", n, m.Subject, m.Data)
		} else {
			t.Errorf("%d jobs left in the work queue after the run (%v)", n, err)
		}
	}
}

// waitForStreams waits until the service has created its streams.
func waitForStreams(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := js.Stream(context.Background(), pipeline.StreamEvents); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("service did not create its streams within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func pendingJobs(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), pipeline.StreamJobs)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}
