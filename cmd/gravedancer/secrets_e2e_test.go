package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/app"
	"gravedancer/internal/testenv"
)

// procSampler records every command line and environment seen in /proc
// while it runs: a secret on any child's argv or environ, even for a
// millisecond, is caught if a sample lands on it.
type procSampler struct {
	mu    sync.Mutex
	seen  map[string]bool
	stop  chan struct{}
	done  chan struct{}
	count int
}

func startSampler(t *testing.T) *procSampler {
	t.Helper()
	s := &procSampler{seen: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			select {
			case <-s.stop:
				return
			default:
			}
			s.sample()
		}
	}()
	t.Cleanup(s.halt)
	return s
}

// sample records each process as "cmdline\x01environ".
func (s *procSampler) sample() {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cmd, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || len(cmd) == 0 {
			continue
		}
		environ, _ := os.ReadFile(filepath.Join(d, "environ"))
		key := strings.ReplaceAll(string(cmd), "\x00", " ") + "\x01" + strings.ReplaceAll(string(environ), "\x00", " ")
		s.mu.Lock()
		s.seen[key] = true
		s.count++
		s.mu.Unlock()
	}
}

func (s *procSampler) halt() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}

// TestSecretsNeverLeak runs a service with a failing region (so the DLQ
// holds reasons), a restore and the read-only commands with known passwords,
// then looks for them everywhere the run left a trace.
func TestSecretsNeverLeak(t *testing.T) {
	env, _ := fleetEnv(t)
	// The source password in the variable itself, not a file: the service
	// holds it in its own environment, and no child may inherit it.
	delete(env, "GD_SOURCE_PASSWORD_FILE")
	env["GD_SOURCE_PASSWORD"] = password
	_, url := testenv.StartNATS(t)
	env["GD_NATS_URL"] = url
	health := "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
	// The status page's token and the alert webhook's secret are secrets
	// too; the webhook's bodies are outputs to scan.
	const webToken, alertSecret = "web-token-5b1f0c9e7d", "Bearer alert-secret-77c2e4a1"
	env["GD_WEB_TOKEN"] = webToken
	var alerts testenv.SyncBuffer
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != alertSecret {
			t.Errorf("alert without its secret header")
		}
		b, _ := io.ReadAll(r.Body)
		alerts.Write(append(b, '\n'))
	}))
	t.Cleanup(receiver.Close)
	env["GD_ALERT_WEBHOOK"] = receiver.URL + "/hook"
	env["GD_ALERT_SECRET"] = alertSecret

	sampler := startSampler(t)
	// `run` also serves the status page and its API on the health address.
	svc := exec.Command(binary, "run", "--health", health)
	svc.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range env {
		svc.Env = append(svc.Env, k+"="+v)
	}
	var logs testenv.SyncBuffer
	svc.Stdout, svc.Stderr = &logs, &logs
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
	watch, err := app.WatchRun(ctx, js, "leak-1")
	if err != nil {
		t.Fatal(err)
	}
	var outputs []string
	r := run(t, env, "trigger", "--run", "leak-1")
	outputs = append(outputs, r.Stdout, r.Stderr)
	rep, err := watch.Wait(ctx, nil)
	if err != nil || rep.Good() != 2 || rep.Excluded() != 1 {
		t.Fatalf("run: %v %+v\n%s", err, rep, logs.String())
	}
	waitRunFinished(t, ctx, js, "leak-1")

	target := testenv.StartMariaDB(t)
	target.CreateUser(t, "admin", targetPassword, "ALL PRIVILEGES ON *.*")
	tpw := filepath.Join(t.TempDir(), "target.password")
	if err := os.WriteFile(tpw, []byte(targetPassword), 0o600); err != nil {
		t.Fatal(err)
	}
	env["GD_TARGET_PASSWORD_FILE"] = tpw
	for _, args := range [][]string{
		{"restore", "--region", "REG1", "--to", target.Addr(), "--user", "admin", "--databases", "nova"},
		{"status", "--json"}, {"backups", "--json"}, {"dlq", "list"}, {"runs"}, {"runs", "show", "leak-1"},
	} {
		r := run(t, env, args...)
		if r.Code != exitOK {
			t.Errorf("%s: exit %d\n%s", args[0], r.Code, r.Stderr)
		}
		outputs = append(outputs, r.Stdout, r.Stderr)
	}
	if r := run(t, env, "dlq", "show", dlqSeq(t, env)); r.Code == exitOK {
		outputs = append(outputs, r.Stdout)
	} else {
		t.Errorf("dlq show: exit %d %s", r.Code, r.Stderr)
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/", "/runs", "/runs/leak-1", "/dlq",
		"/regions/REG1", "/regions/REG3", "/api/status", "/api/regions", "/api/runs", "/api/runs/leak-1", "/api/dlq"} {
		resp, err := http.Get("http://" + health + path)
		if err != nil {
			t.Errorf("GET %s: %v", path, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s, want 200 (the scan would prove nothing)", path, resp.Status)
		}
		outputs = append(outputs, string(b))
	}
	// The exclusion alert has gone out once the run finished; wait for it
	// so its body is scanned.
	testenv.WaitFor(t, "the exclusion alert", time.Minute, func() bool { return strings.Contains(alerts.String(), `"excluded"`) })
	sampler.halt()
	outputs = append(outputs, logs.String(), alerts.String())
	outputs = append(outputs, streamContents(t, js)...)
	outputs = append(outputs, dumps(t, env["GD_SPOOL_DIR"])...)

	secrets := map[string]string{"source": password, "restore": restorePassword, "target": targetPassword,
		"web token": webToken, "alert secret": alertSecret}
	for name, pw := range secrets {
		for i, out := range outputs {
			if strings.Contains(out, pw) {
				t.Errorf("the %s password is in output %d", name, i)
			}
		}
	}
	sawDump := false
	for entry := range sampler.seen {
		cmdline, environ, _ := strings.Cut(entry, "\x01")
		for name, pw := range secrets {
			if strings.Contains(cmdline, pw) {
				t.Errorf("the %s password is on a command line: %.120s", name, cmdline)
			}
			// gravedancer itself was given the variable; nothing it starts
			// may inherit it.
			if strings.Contains(environ, pw) && !strings.HasPrefix(cmdline, binary+" ") {
				t.Errorf("the %s password is in the environment of %.120s", name, cmdline)
			}
		}
		if strings.Contains(cmdline, "mariadb-dump") {
			sawDump = true
		}
	}
	if !sawDump {
		t.Errorf("the sampler never caught mariadb-dump running (%d samples): the scan proves nothing", sampler.count)
	}
	assertNoPassword(t, env, outputs...)
}

// dlqSeq is the sequence of the first DLQ entry.
func dlqSeq(t *testing.T, env map[string]string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(run(t, env, "dlq", "list").Stdout), "\n")
	if len(lines) < 2 {
		t.Fatalf("no DLQ entry: %q", lines)
	}
	return strings.Fields(lines[1])[0]
}

// streamContents returns every message (headers and body) of every stream.
func streamContents(t *testing.T, js jetstream.JetStream) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	names := js.StreamNames(ctx)
	for name := range names.Name() {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
			m, err := s.GetMsg(ctx, seq)
			if err != nil {
				continue // deleted (acked work-queue message)
			}
			var h bytes.Buffer
			for k, v := range m.Header {
				h.WriteString(k + ": " + strings.Join(v, ",") + "\n")
			}
			out = append(out, m.Subject+"\n"+h.String()+string(m.Data))
		}
	}
	return out
}

// dumps returns the decompressed gzip artifacts of the spool.
func dumps(t *testing.T, spool string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(spool, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".sql.gz") {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(zr)
		out = append(out, string(b))
		return nil
	})
	if len(out) == 0 {
		t.Error("no dump to scan")
	}
	return out
}
