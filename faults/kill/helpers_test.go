package kill

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/job"
	"gravedancer/internal/report"
	"gravedancer/internal/testenv"
)

// binary is the gravedancer binary under test, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gravedancer-faults-kill-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "gravedancer")
	// The failpoints tag compiles in internal/failpoint's stops; they act
	// only where a test sets GD_FAILPOINTS.
	out, err := exec.Command("go", "build", "-tags", "failpoints", "-o", binary, "gravedancer/cmd/gravedancer").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build gravedancer: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	sourcePassword  = `k1ll"src pw#'`
	sourceGrants    = "SELECT, LOCK TABLES, RELOAD, SHOW VIEW, REPLICATION CLIENT, EVENT, TRIGGER, PROCESS ON *.*"
	restorePassword = `k1ll"rst pw#'`
	restoreGrants   = "ALL PRIVILEGES ON *.*"
)

type result struct {
	code           int
	stdout, stderr string
}

// run executes the binary with exactly env (plus PATH) and waits for it.
func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TZ=UTC"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, stdout.String(), stderr.String()}
}

// fleet is one source region and one test server with their credentials.
type fleet struct {
	dir        string
	source     *testenv.MariaDB
	testServer *testenv.MariaDB
	env        map[string]string
}

// newFleet starts REG1 with the sample data and a test server, and returns
// an env for a run shipping to a directory.
func newFleet(t *testing.T) *fleet {
	t.Helper()
	f := &fleet{dir: t.TempDir()}
	f.source = testenv.StartMariaDB(t)
	testenv.LoadSample(t, f.source, "REG1")
	f.source.CreateUser(t, "backupuser", sourcePassword, sourceGrants)
	f.testServer = testenv.StartMariaDB(t)
	f.testServer.CreateUser(t, "restoreuser", restorePassword, restoreGrants)
	pw := writeFile(t, filepath.Join(f.dir, "source.password"), sourcePassword, 0o600)
	rpw := writeFile(t, filepath.Join(f.dir, "restore.password"), restorePassword, 0o600)
	if err := os.Mkdir(filepath.Join(f.dir, "shipped"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.env = map[string]string{
		"GD_REGIONS":               "REG1=" + f.source.Addr(),
		"GD_SOURCE_USER":           "backupuser",
		"GD_SOURCE_PASSWORD_FILE":  pw,
		"GD_TEST_SERVERS":          f.testServer.Addr(),
		"GD_RESTORE_USER":          "restoreuser",
		"GD_RESTORE_PASSWORD_FILE": rpw,
		"GD_CHECK_DATABASES":       "keystone,nova,neutron",
		"GD_CHECK_TABLES":          "keystone.project,nova.instances,neutron.ports",
		"GD_SHIP":                  "dir",
		"GD_SHIP_DIR":              filepath.Join(f.dir, "shipped"),
		"GD_SPOOL_DIR":             filepath.Join(f.dir, "spool"),
		"GD_ENCRYPT":               "off", // plaintext: these tests read the dumps
		"GD_STATE_DIR":             filepath.Join(f.dir, "state"),
		"GD_MAX_DELIVER":           "3",
		"GD_RETRY_DELAY":           "100ms",
		"GD_LOG_LEVEL":             "debug",
		"GD_LOG_FORMAT":            "json",
	}
	return f
}

// startNATS starts a real nats-server for the fleet, points the env at it
// with short AckWait and lease TTL (so a killed worker's job and lease come
// back within seconds), and runs `gravedancer setup`.
func (f *fleet) startNATS(t *testing.T) *testenv.NATSServer {
	t.Helper()
	ns := testenv.StartNATSServer(t)
	f.env["GD_NATS_URL"] = ns.URL
	f.env["GD_ACK_WAIT"] = "5s"
	f.env["GD_LEASE_TTL"] = "5s"
	if r := run(t, f.env, "setup"); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	return ns
}

// workerEnv is the fleet's env for one worker process: its own state dir,
// and the consumers made by setup bound, not created.
func (f *fleet) workerEnv(name string) map[string]string {
	e := map[string]string{}
	for k, v := range f.env {
		e[k] = v
	}
	e["GD_STATE_DIR"] = filepath.Join(f.dir, "state-"+name)
	e["GD_NATS_SETUP"] = "false"
	return e
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// blockingTool writes a wrapper script that, on its first invocation only,
// records its pid in marker/pid and blocks; later invocations exec real.
func blockingTool(t *testing.T, real string) (tool, pidFile string) {
	t.Helper()
	dir := t.TempDir()
	marker := filepath.Join(dir, "first-call")
	pidFile = filepath.Join(marker, "pid")
	script := fmt.Sprintf("#!/bin/bash\nif mkdir %q 2>/dev/null; then echo $$ > %q.tmp && mv %q.tmp %q; exec sleep 300; fi\nexec %s \"$@\"\n",
		marker, pidFile, pidFile, pidFile, real)
	tool = writeFile(t, filepath.Join(dir, "tool"), script, 0o755)
	t.Cleanup(func() {
		if pid := readPid(pidFile); pid > 0 {
			_ = syscallKill(pid)
		}
	})
	return tool, pidFile
}

func readPid(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// process is a worker binary running in the background.
type process struct {
	name string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startWorker starts `gravedancer worker args…`; it is killed when the test ends.
func startWorker(t *testing.T, env map[string]string, name string, args ...string) *process {
	t.Helper()
	p := &process{name: name, log: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(binary, append([]string{"worker"}, args...)...)
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TZ=UTC"}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stderr, p.cmd.Stdout = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("--- %s log ---\n%s", name, p.log.String())
		}
	})
	return p
}

// kill SIGKILLs the worker and waits for it to exit.
func (p *process) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
	p.done <- nil // keep Cleanup from blocking
}

// ppid returns the parent of pid, or 0.
func ppid(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(fields) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(fields[1])
	return n
}

// waitFor polls cond until it holds, failing the test after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func connect(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// checkRedelivered asserts that rec, the report's record of a stage whose
// worker was killed holding the job, was written by survivor on a later
// delivery than the killed one. Before the fix of nats-io/nats-server#5305
// and #5338 (2.10.x; Debian 12 ships 2.9.10) a redelivery that the server
// fails to deliver (the pull request it picked had just been given up by its
// client, as happens on a loaded machine) resets the message's delivery
// count, so the survivor may see attempt 1: on such a server only the worker
// is checked.
func checkRedelivered(t *testing.T, js jetstream.JetStream, rec job.StageRecord, survivor *process) {
	t.Helper()
	if !ranOn(rec, survivor) {
		t.Errorf("%s record %+v: want the surviving worker's (pid %d)", rec.Stage, rec, survivor.cmd.Process.Pid)
	}
	if rec.Attempt > 1 {
		return
	}
	v := js.Conn().ConnectedServerVersion()
	var major, minor int
	if _, err := fmt.Sscanf(v, "%d.%d", &major, &minor); err == nil && (major < 2 || major == 2 && minor < 11) {
		t.Logf("%s record %+v: attempt 1 after a kill; nats-server %s may reset delivery counts", rec.Stage, rec, v)
		return
	}
	t.Errorf("%s record %+v: attempt %d, want > 1 (the killed worker had the first delivery)", rec.Stage, rec, rec.Attempt)
}

// ranOn reports whether rec was written by p.
func ranOn(rec job.StageRecord, p *process) bool {
	return strings.HasSuffix(rec.Worker, ":"+itoa(p.cmd.Process.Pid))
}

// readReport reads the run report whose path the one-shot backup printed.
func readReport(t *testing.T, stdout string) *report.Report {
	t.Helper()
	i := strings.LastIndex(stdout, "report: ")
	if i < 0 {
		t.Fatalf("no report path in:\n%s", stdout)
	}
	path := strings.TrimSpace(stdout[i+len("report: "):])
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// walkNames returns the base names of all regular files under root.
func walkNames(t *testing.T, root string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			names = append(names, d.Name())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// context4m is a context for a whole scenario.
func context4m(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	t.Cleanup(cancel)
	return ctx
}
