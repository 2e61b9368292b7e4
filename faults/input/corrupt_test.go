package input

import (
	"bytes"
	"context"
	"encoding/json"
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

// startWorker starts `gravedancer worker --stages stages` and stops it in
// t.Cleanup.
func startWorker(t *testing.T, env map[string]string, stages string) {
	t.Helper()
	w := exec.Command(binary, "worker", "--stages", stages)
	w.Env = []string{"PATH=" + os.Getenv("PATH"), "TZ=UTC"}
	for k, v := range env {
		w.Env = append(w.Env, k+"="+v)
	}
	var logs bytes.Buffer
	w.Stderr = &logs
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { w.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			w.Process.Kill()
			<-exited
		}
	})
}

// Scenario 5: the artifact is damaged between dump and check.
func TestArtifactCorruptedBeforeCheck(t *testing.T) {
	m := source(t)
	base := regionEnv(t, m.Addr())
	cases := []struct {
		name   string
		damage func(t *testing.T, artifact, manifest string)
		reason string
	}{
		{"truncated", func(t *testing.T, a, _ string) {
			info, err := os.Stat(a)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(a, info.Size()/2); err != nil {
				t.Fatal(err)
			}
		}, "size"},
		{"flipped byte", func(t *testing.T, a, _ string) {
			b, err := os.ReadFile(a)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 0xff
			if err := os.WriteFile(a, b, 0o640); err != nil {
				t.Fatal(err)
			}
		}, "sha256"},
		{"manifest missing", func(t *testing.T, _, mf string) {
			if err := os.Remove(mf); err != nil {
				t.Fatal(err)
			}
		}, "manifest"},
		{"artifact deleted", func(t *testing.T, a, _ string) {
			if err := os.Remove(a); err != nil {
				t.Fatal(err)
			}
		}, "missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			dir := t.TempDir()
			env["GD_SPOOL_DIR"], env["GD_STATE_DIR"] = filepath.Join(dir, "spool"), filepath.Join(dir, "state")
			_, url := testenv.StartNATS(t)
			env["GD_NATS_URL"] = url
			js := testenv.ConnectNATS(t, url)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()

			startWorker(t, env, "plan,dump,stats")
			for {
				if _, err := js.Stream(ctx, pipeline.StreamEvents); err == nil {
					break
				}
				if ctx.Err() != nil {
					t.Fatal("worker did not create its streams")
				}
				time.Sleep(50 * time.Millisecond)
			}
			watch, err := app.WatchRun(ctx, js, "corrupt")
			if err != nil {
				t.Fatal(err)
			}
			if r := run(t, env, "trigger", "--run", "corrupt"); r.Code != exitOK {
				t.Fatalf("trigger: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
			}
			// Wait until the job sits on the check subject, unconsumed.
			jobs, err := js.Stream(ctx, pipeline.StreamJobs)
			if err != nil {
				t.Fatal(err)
			}
			var artifact string
			for artifact == "" {
				if msg, err := jobs.GetLastMsgForSubject(ctx, pipeline.JobSubject("check", "REG1")); err == nil {
					var j struct {
						Artifact struct {
							Path string `json:"path"`
						} `json:"artifact"`
					}
					if err := jsonUnmarshal(msg.Data, &j); err != nil {
						t.Fatal(err)
					}
					artifact = j.Artifact.Path
				}
				if ctx.Err() != nil {
					t.Fatal("no job reached the check subject")
				}
				time.Sleep(50 * time.Millisecond)
			}
			manifest := strings.TrimSuffix(artifact, ".sql.gz") + ".manifest.json"
			c.damage(t, artifact, manifest)

			startWorker(t, env, "check,restore,ship,retain")
			rep, err := watch.Wait(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Regions) != 1 {
				t.Fatalf("report regions %+v", rep.Regions)
			}
			g := rep.Regions[0]
			if g.Outcome != report.OutcomeExcluded || g.Stage != "check" || !strings.Contains(g.Reason, c.reason) {
				t.Errorf("outcome %q stage %q reason %q; want excluded at check naming %q", g.Outcome, g.Stage, g.Reason, c.reason)
			}
			if _, err := os.Stat(filepath.Join(env["GD_SPOOL_DIR"], "latest", "REG1.json")); err == nil {
				t.Errorf("a corrupt artifact was made latest")
			}
			if _, err := os.Stat(artifact); err == nil {
				t.Errorf("corrupt artifact still in place: %s", artifact)
			}
			if c.name != "artifact deleted" {
				q := filepath.Join(env["GD_SPOOL_DIR"], "quarantine", filepath.Base(artifact))
				if _, err := os.Stat(q + ".reason"); err != nil {
					t.Errorf("no quarantine reason beside %s: %v", q, err)
				}
			}
		})
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
