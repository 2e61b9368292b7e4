package input

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gravedancer/internal/app"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
	"gravedancer/internal/testenv"
)

// snapshot records every file under root with its size, mode, mtime and hash.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		sum := ""
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum = fmt.Sprintf("%x", sha256.Sum256(b))
		}
		snap[p] = fmt.Sprintf("%v %d %v %s", info.Mode(), info.Size(), info.ModTime().UnixNano(), sum)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func diffSnapshots(t *testing.T, before, after map[string]string) {
	t.Helper()
	for p, b := range before {
		if a, ok := after[p]; !ok {
			t.Errorf("%s deleted", p)
		} else if a != b {
			t.Errorf("%s modified: %s → %s", p, b, a)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s created outside the spool", p)
		}
	}
}

// Scenario 8: hostile and malformed job messages on a running service.
func TestHostileJobMessages(t *testing.T) {
	m := source(t)
	env := regionEnv(t, m.Addr())
	// The spool sits two levels under a sentinel tree, so "../../x" from the
	// spool names the sentinel file x.
	outside := t.TempDir()
	env["GD_SPOOL_DIR"] = filepath.Join(outside, "a", "spool")
	env["GD_MAX_DELIVER"] = "2"
	for p, body := range map[string]string{"x": "sentinel x\n", "etc/passwd": "root:x:0:0::/root:/bin/sh\n", "a/keep": "keep\n"} {
		p = filepath.Join(outside, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(env["GD_SPOOL_DIR"], 0o750); err != nil {
		t.Fatal(err)
	}
	_, url := testenv.StartNATS(t)
	env["GD_NATS_URL"] = url

	svc := exec.Command(binary, "run")
	svc.Env = []string{"PATH=" + os.Getenv("PATH"), "TZ=UTC"}
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
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for {
		if _, err := js.Stream(ctx, pipeline.StreamEvents); err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("service did not create its streams\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	before := snapshot(t, outside)
	for p := range before {
		if strings.HasPrefix(p, env["GD_SPOOL_DIR"]) {
			delete(before, p)
		}
	}

	now := time.Now().UTC().Format(time.RFC3339)
	artifact := func(path string) string {
		return fmt.Sprintf(`{"v":1,"run":"hostile-%s","region":"REG1","addr":%q,"stage":"check","artifact":{"path":%q,"manifest_path":%q,"sha256":"%064x","bytes":10,"compression":"gzip"},"manifest":{"v":1,"run":"h","region":"REG1","file":"mdb_bkp_REG1-20261128_000000.sql.gz","sha256":"00","bytes":10,"raw_bytes":10,"tables":[{"database":"nova","table":"x; DROP DATABASE nova; --","rows":1}]},"history":[{"stage":"dump","started":%q,"finished":%q,"attempt":1}]}`,
			strings.NewReplacer("/", "-", ".", "d").Replace(path), m.Addr(), path, path+".manifest.json", 0, now, now)
	}
	msgs := []struct{ name, subject, body string }{
		{"malformed", pipeline.JobSubject("dump", "REG1"), `{"v":1,"run":`},
		{"wrong version", pipeline.JobSubject("dump", "REG1"), fmt.Sprintf(`{"v":99,"run":"v99","region":"REG1","addr":%q,"stage":"dump"}`, m.Addr())},
		{"region traversal", pipeline.JobSubject("dump", "REG1"), fmt.Sprintf(`{"v":1,"run":"trav","region":"../../etc","addr":%q,"stage":"dump"}`, m.Addr())},
		{"region NUL", pipeline.JobSubject("dump", "REG1"), fmt.Sprintf(`{"v":1,"run":"nul","region":"REG1\u0000x","addr":%q,"stage":"dump"}`, m.Addr())},
		{"artifact outside spool", pipeline.JobSubject("check", "REG1"), artifact(filepath.Join(outside, "etc", "passwd"))},
		{"artifact ../../x", pipeline.JobSubject("check", "REG1"), artifact("../../x")},
		{"oversized", pipeline.JobSubject("dump", "REG1"), strings.Repeat("A", int(js.Conn().MaxPayload())-256)},
		{"artifact ../../x at retain", pipeline.JobSubject("retain", "REG1"), strings.Replace(artifact("../../x"), `"stage":"check"`, `"stage":"retain"`, 1)},
	}
	for _, msg := range msgs {
		if _, err := js.Publish(ctx, msg.subject, []byte(msg.body)); err != nil {
			t.Fatalf("publish %s: %v", msg.name, err)
		}
	}

	// Every message ends in the DLQ with a reason.
	var list testenv.Result
	for {
		list = run(t, env, "dlq", "list")
		if n := strings.Count(strings.TrimSpace(list.Stdout), "\n"); list.Code == exitOK && n >= len(msgs) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("DLQ did not get %d entries:\n%s%s\nservice log:\n%s", len(msgs), list.Stdout, list.Stderr, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("dlq list:\n%s", list.Stdout)
	for i, line := range strings.Split(strings.TrimSpace(list.Stdout), "\n")[1:] {
		seq := strings.Fields(line)[0]
		show := run(t, env, "dlq", "show", seq)
		if !strings.Contains(show.Stdout, "Gd-Reason: ") || strings.Contains(show.Stdout, "Gd-Reason: \n") {
			t.Errorf("DLQ entry %d has no reason:\n%s", i, show.Stdout)
		}
	}

	// The service is alive and still backs up a region.
	select {
	case err := <-exited:
		t.Fatalf("service exited: %v\n%s", err, logs.String())
	default:
	}
	watch, err := app.WatchRun(ctx, js, "after-hostile")
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, env, "trigger", "--run", "after-hostile"); r.Code != exitOK {
		t.Fatalf("trigger: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	rep, err := watch.Wait(ctx, nil)
	if err != nil {
		t.Fatalf("%v\nservice log:\n%s", err, logs.String())
	}
	if len(rep.Regions) != 1 || rep.Regions[0].Outcome != report.OutcomeGood {
		t.Errorf("run after the hostile messages: %+v", rep.Regions)
	}

	after := snapshot(t, outside)
	for p := range after {
		if strings.HasPrefix(p, env["GD_SPOOL_DIR"]) {
			delete(after, p)
		}
	}
	diffSnapshots(t, before, after)
}
