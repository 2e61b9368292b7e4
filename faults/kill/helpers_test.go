package kill

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/job"
	"gravedancer/internal/report"
	"gravedancer/internal/testenv"
)

// binary is the gravedancer binary under test, built once by TestMain.
var binary string

// The failpoints tag compiles in internal/failpoint's stops; they act only
// where a test sets GD_FAILPOINTS.
func TestMain(m *testing.M) {
	os.Exit(testenv.MainWithBinary(m, &binary, "gravedancer/cmd/gravedancer", "failpoints"))
}

const (
	sourcePassword  = `k1ll"src pw#'`
	restorePassword = `k1ll"rst pw#'`
	restoreGrants   = "ALL PRIVILEGES ON *.*"
)

// run executes the binary with exactly env (see testenv.Command) and waits
// for it.
func run(t *testing.T, env map[string]string, args ...string) testenv.Result {
	t.Helper()
	return testenv.Run(t, binary, env, args...)
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
	f.source.CreateUser(t, "backupuser", sourcePassword, testenv.BackupGrants)
	f.testServer = testenv.StartMariaDB(t)
	f.testServer.CreateUser(t, "restoreuser", restorePassword, restoreGrants)
	pw := testenv.WriteFile(t, filepath.Join(f.dir, "source.password"), sourcePassword, 0o600)
	rpw := testenv.WriteFile(t, filepath.Join(f.dir, "restore.password"), restorePassword, 0o600)
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
	if r := run(t, f.env, "setup"); r.Code != 0 {
		t.Fatalf("setup: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
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

// startWorker starts `gravedancer worker args…`; it is killed when the test
// ends and its log is shown if the test failed.
func startWorker(t *testing.T, env map[string]string, name string, args ...string) *testenv.Process {
	t.Helper()
	return testenv.StartProcess(t, binary, env, name, append([]string{"worker"}, args...)...)
}

// patience bounds every wait of these tests.
const patience = time.Minute

// checkRedelivered asserts that rec, the report's record of a stage whose
// worker was killed holding the job, was written by survivor on a later
// delivery than the killed one. Before the fix of nats-io/nats-server#5305
// and #5338 (2.10.x; Debian 12 ships 2.9.10) a redelivery that the server
// fails to deliver (the pull request it picked had just been given up by its
// client, as happens on a loaded machine) resets the message's delivery
// count, so the survivor may see attempt 1: on such a server only the worker
// is checked.
func checkRedelivered(t *testing.T, js jetstream.JetStream, rec job.StageRecord, survivor *testenv.Process) {
	t.Helper()
	if !ranOn(rec, survivor) {
		t.Errorf("%s record %+v: want the surviving worker's (pid %d)", rec.Stage, rec, survivor.Pid())
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
func ranOn(rec job.StageRecord, p *testenv.Process) bool {
	return strings.HasSuffix(rec.Worker, ":"+strconv.Itoa(p.Pid()))
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

// context4m is a context for a whole scenario.
func context4m(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	t.Cleanup(cancel)
	return ctx
}
