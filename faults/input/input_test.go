package input

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gravedancer/internal/report"
	"gravedancer/internal/testenv"
)

// binary is the gravedancer binary under test, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(testenv.MainWithBinary(m, &binary, "gravedancer/cmd/gravedancer"))
}

const (
	exitOK       = 0
	exitExcluded = 1

	password        = `in"put pw#'`
	restorePassword = `re"store pw#'`
)

// run executes the binary with exactly env (see testenv.Command) and waits
// for it.
func run(t *testing.T, env map[string]string, args ...string) testenv.Result {
	t.Helper()
	return testenv.Run(t, binary, env, args...)
}

// regionEnv returns an env backing up one region, REG1, at addr.
func regionEnv(t *testing.T, addr string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	testServer := testenv.StartMariaDB(t)
	testServer.CreateUser(t, "restoreuser", restorePassword, "ALL PRIVILEGES ON *.*")
	for name, pw := range map[string]string{"source.password": password, "restore.password": restorePassword} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(pw), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return map[string]string{
		"GD_REGIONS":               "REG1=" + addr,
		"GD_SOURCE_USER":           "backupuser",
		"GD_SOURCE_PASSWORD_FILE":  filepath.Join(dir, "source.password"),
		"GD_TEST_SERVERS":          testServer.Addr(),
		"GD_RESTORE_USER":          "restoreuser",
		"GD_RESTORE_PASSWORD_FILE": filepath.Join(dir, "restore.password"),
		"GD_CHECK_DATABASES":       "keystone,nova,neutron",
		"GD_CHECK_TABLES":          "keystone.project,nova.instances,neutron.ports",
		"GD_SHIP":                  "none",
		"GD_SPOOL_DIR":             filepath.Join(dir, "spool"),
		"GD_ENCRYPT":               "off", // plaintext: these tests read the dumps
		"GD_STATE_DIR":             filepath.Join(dir, "state"),
		"GD_MAX_DELIVER":           "3",
		"GD_RETRY_DELAY":           "100ms",
	}
}

// source starts a MariaDB with the sample for REG1 and the backup user.
func source(t *testing.T) *testenv.MariaDB {
	t.Helper()
	m := testenv.StartMariaDB(t)
	testenv.LoadSample(t, m, "REG1")
	m.CreateUser(t, "backupuser", password, testenv.BackupGrants)
	return m
}

// writeTool writes an executable shell script and returns its path.
func writeTool(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "dump-tool")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// readReport loads the report named on the summary's last line.
func readReport(t *testing.T, stdout string) *report.Report {
	t.Helper()
	i := strings.LastIndex(stdout, "report: ")
	if i < 0 {
		t.Fatalf("no report path in:\n%s", stdout)
	}
	b, err := os.ReadFile(strings.TrimSpace(stdout[i+len("report: "):]))
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// region returns the report's only line for REG1.
func region(t *testing.T, r testenv.Result) report.Region {
	t.Helper()
	rep := readReport(t, r.Stdout)
	if len(rep.Regions) != 1 || rep.Regions[0].Region != "REG1" {
		t.Fatalf("report regions %+v, want REG1 only", rep.Regions)
	}
	return rep.Regions[0]
}

func assertNoPassword(t *testing.T, outputs ...string) {
	t.Helper()
	for i, out := range outputs {
		if strings.Contains(out, password) || strings.Contains(out, restorePassword) {
			t.Errorf("output %d contains a password", i)
		}
	}
}

// Scenario 3: the source is down for the whole run.
func TestSourceDownWholeRun(t *testing.T) {
	env := regionEnv(t, testenv.DeadAddr(t))
	r := run(t, env, "backup")
	if r.Code != exitExcluded {
		t.Fatalf("exit %d, want %d\n%s\n%s", r.Code, exitExcluded, r.Stdout, r.Stderr)
	}
	g := region(t, r)
	if g.Outcome != report.OutcomeExcluded || g.Stage != "dump" || !strings.Contains(g.Reason, "Can't connect") {
		t.Errorf("REG1: outcome %q stage %q reason %q, want excluded at dump naming \"Can't connect\"", g.Outcome, g.Stage, g.Reason)
	}
	list := run(t, env, "dlq", "list")
	if list.Code != exitOK || !strings.Contains(list.Stdout, "REG1") || !strings.Contains(list.Stdout, "Can't connect") {
		t.Fatalf("dlq list (exit %d):\n%s%s", list.Code, list.Stdout, list.Stderr)
	}
	seq := strings.Fields(strings.Split(strings.TrimSpace(list.Stdout), "\n")[1])[0]
	show := run(t, env, "dlq", "show", seq)
	if !strings.Contains(show.Stdout, "gave up after 3 attempts") {
		t.Errorf("dlq show: want the exclusion after GD_MAX_DELIVER=3 attempts:\n%s", show.Stdout)
	}
	if _, err := os.Stat(filepath.Join(env["GD_SPOOL_DIR"], "latest", "REG1.json")); err == nil {
		t.Errorf("a region never dumped has a latest pointer")
	}
	assertNoPassword(t, r.Stdout, r.Stderr, show.Stdout)
}

// Scenario 3: the source is down at first and back within the retry budget.
func TestSourceFlappingRecoversOnRetry(t *testing.T) {
	m := source(t)
	env := regionEnv(t, m.Addr())
	count := filepath.Join(t.TempDir(), "calls")
	env["GD_DUMP_TOOL"] = writeTool(t, fmt.Sprintf(`echo x >> %q
if [ "$(wc -l < %q)" -eq 1 ]; then
  echo "mariadb-dump: Got error: 2002: \"Can't connect to server on '127.0.0.1' (111)\" when trying to connect" >&2
  exit 2
fi
exec mariadb-dump "$@"
`, count, count))
	r := run(t, env, "backup")
	if r.Code != exitOK {
		t.Fatalf("exit %d, want %d\n%s\n%s", r.Code, exitOK, r.Stdout, r.Stderr)
	}
	if g := region(t, r); g.Outcome != report.OutcomeGood {
		t.Errorf("REG1 outcome %q (%s), want good", g.Outcome, g.Reason)
	}
	b, _ := os.ReadFile(count)
	if got := strings.Count(string(b), "x"); got != 2 {
		t.Errorf("dump tool ran %d times, want 2 (one failure, one retry)", got)
	}
	if list := run(t, env, "dlq", "list"); strings.Count(list.Stdout, "\n") != 1 {
		t.Errorf("dlq should be empty:\n%s", list.Stdout)
	}
}

// Scenario 6: broken dumps after a good one never replace it as latest, and
// the good one is not pruned.
func TestBrokenDumpKeepsPreviousLatest(t *testing.T) {
	m := source(t)
	env := regionEnv(t, m.Addr())
	env["GD_RETENTION_DAYS"] = "1"
	env["GD_RETENTION_KEEP_MIN"] = "1"
	good := run(t, env, "backup")
	if good.Code != exitOK {
		t.Fatalf("first run exit %d\n%s\n%s", good.Code, good.Stdout, good.Stderr)
	}
	latestPath := filepath.Join(env["GD_SPOOL_DIR"], "latest", "REG1.json")
	latestBefore, err := os.ReadFile(latestPath)
	if err != nil {
		t.Fatal(err)
	}
	goodArtifact := region(t, good).Artifact
	if goodArtifact == "" {
		t.Fatal("first run reports no artifact")
	}

	cases := []struct {
		name   string
		tool   string // script body; "" means GD_DUMP_TOOL=/nonexistent
		reason []string
	}{
		{"killed mid-way", `mariadb-dump "$@" | head -c 20000; exit 0` + "\n", []string{"unterminated", "quarantine"}},
		{"no footer", `mariadb-dump "$@" | grep -v '^-- Dump completed'; exit 0` + "\n", []string{"Dump completed"}},
		{"exit 0 writes nothing", "exit 0\n", []string{"wrote nothing"}},
		{"tool missing", "", []string{"/nonexistent"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := map[string]string{}
			for k, v := range env {
				e[k] = v
			}
			e["GD_DUMP_TOOL"] = "/nonexistent/mariadb-dump"
			if c.tool != "" {
				e["GD_DUMP_TOOL"] = writeTool(t, c.tool)
			}
			r := run(t, e, "backup")
			if r.Code != exitExcluded {
				t.Fatalf("exit %d, want %d\n%s\n%s", r.Code, exitExcluded, r.Stdout, r.Stderr)
			}
			g := region(t, r)
			if g.Outcome != report.OutcomeExcluded {
				t.Errorf("outcome %q, want excluded", g.Outcome)
			}
			for _, w := range c.reason {
				if !strings.Contains(strings.ToLower(g.Reason), strings.ToLower(w)) {
					t.Errorf("reason %q lacks %q", g.Reason, w)
				}
			}
			latestAfter, err := os.ReadFile(latestPath)
			if err != nil || !bytes.Equal(latestAfter, latestBefore) {
				t.Errorf("latest changed (err %v):\nbefore %s\nafter  %s", err, latestBefore, latestAfter)
			}
			if _, err := os.Stat(goodArtifact); err != nil {
				t.Errorf("previous good backup gone: %v", err)
			}
		})
	}
}
