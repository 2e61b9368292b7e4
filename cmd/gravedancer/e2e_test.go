package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gravedancer/internal/report"
	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
)

// The binary under test, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(testenv.MainWithBinary(m, &binary, "gravedancer/cmd/gravedancer"))
}

const (
	restorePassword = `r3st"ore pw#'`
	// restoreGrants lets a non-root user load dumps with views, triggers,
	// routines and events and drop what it restored.
	restoreGrants = "ALL PRIVILEGES ON *.*"
	password      = `e2e"pa ss#w0rd'`
)

// run executes the binary with exactly env (see testenv.Command) and waits
// for it.
func run(t *testing.T, env map[string]string, args ...string) testenv.Result {
	t.Helper()
	return testenv.Run(t, binary, env, args...)
}

// fleetEnv starts two regions with the sample and returns a working env with
// an unreachable third region.
func fleetEnv(t *testing.T) (map[string]string, string) {
	t.Helper()
	dir := t.TempDir()
	var addrs []string
	for _, region := range []string{"REG1", "REG2"} {
		m := testenv.StartMariaDB(t)
		testenv.LoadSample(t, m, region)
		m.CreateUser(t, "backupuser", password, testenv.BackupGrants)
		addrs = append(addrs, m.Addr())
	}
	testServer := testenv.StartMariaDB(t)
	testServer.CreateUser(t, "restoreuser", restorePassword, restoreGrants)
	if err := os.Mkdir(filepath.Join(dir, "shipped"), 0o755); err != nil {
		t.Fatal(err)
	}
	restorePw := filepath.Join(dir, "restore.password")
	if err := os.WriteFile(restorePw, []byte(restorePassword), 0o600); err != nil {
		t.Fatal(err)
	}
	pw := filepath.Join(dir, "source.password")
	if err := os.WriteFile(pw, []byte(password), 0o600); err != nil {
		t.Fatal(err)
	}
	// A dump tool that records the argv it was given, then runs the real one.
	argvLog := filepath.Join(dir, "argv.log")
	tool := filepath.Join(dir, "dump-tool")
	script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$*\" >> %q\nexec mariadb-dump \"$@\"\n", argvLog)
	if err := os.WriteFile(tool, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"GD_REGIONS":               fmt.Sprintf("REG1=%s,REG2=%s,REG3=%s", addrs[0], addrs[1], testenv.DeadAddr(t)),
		"GD_SOURCE_USER":           "backupuser",
		"GD_SOURCE_PASSWORD_FILE":  pw,
		"GD_TEST_SERVERS":          testServer.Addr(),
		"GD_RESTORE_USER":          "restoreuser",
		"GD_RESTORE_PASSWORD_FILE": restorePw,
		"GD_CHECK_DATABASES":       "keystone,nova,neutron",
		"GD_CHECK_TABLES":          "keystone.project,nova.instances,neutron.ports",
		"GD_SHIP":                  "dir",
		"GD_SHIP_DIR":              filepath.Join(dir, "shipped"),
		"GD_SPOOL_DIR":             filepath.Join(dir, "spool"),
		"GD_ENCRYPT":               "off", // plaintext: these tests read the dumps
		"GD_STATE_DIR":             filepath.Join(dir, "state"),
		"GD_DUMP_TOOL":             tool,
		"GD_MAX_DELIVER":           "2",
		"GD_RETRY_DELAY":           "100ms",
		"GD_LOG_LEVEL":             "debug",
		"GD_LOG_FORMAT":            "json",
	}, argvLog
}

func TestBackupCommandEndToEnd(t *testing.T) {
	env, argvLog := fleetEnv(t)
	first := run(t, env, "backup")
	if first.Code != exitExcluded {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", first.Code, exitExcluded, first.Stdout, first.Stderr)
	}
	for _, want := range []string{"2 good, 1 excluded", "REG1", "dumped+checked+verified+shipped+pruned", "REG3", "excluded at dump", "Can't connect", "report: "} {
		if !strings.Contains(first.Stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, first.Stdout)
		}
	}
	rep := readReport(t, first.Stdout)
	if rep.Good() != 2 || rep.Excluded() != 1 {
		t.Errorf("report: %d good, %d excluded", rep.Good(), rep.Excluded())
	}

	list := run(t, env, "dlq", "list")
	lines := strings.Split(strings.TrimSpace(list.Stdout), "\n")
	if list.Code != exitOK || len(lines) != 2 || !strings.Contains(lines[1], "REG3") || !strings.Contains(lines[1], "dump") ||
		!strings.Contains(lines[1], "Can't connect") || !strings.Contains(lines[0], "DELIVERIES") {
		t.Fatalf("dlq list (exit %d):\n%s%s", list.Code, list.Stdout, list.Stderr)
	}
	seq := strings.Fields(lines[1])[0]
	show := run(t, env, "dlq", "show", seq)
	for _, want := range []string{"Gd-Reason: ", "Gd-Original-Subject: gd.job.dump.REG3", `"exclusion"`, "gave up after 2 attempts"} {
		if !strings.Contains(show.Stdout, want) {
			t.Errorf("dlq show lacks %q:\n%s", want, show.Stdout)
		}
	}
	if r := run(t, env, "dlq", "list", "--region", "REG1"); strings.Count(r.Stdout, "\n") != 1 {
		t.Errorf("dlq list --region REG1 should list nothing:\n%s", r.Stdout)
	}
	if r := run(t, env, "dlq", "show", "999"); r.Code != exitFailed || !strings.Contains(r.Stderr, "no such DLQ entry") {
		t.Errorf("dlq show 999: exit %d %s", r.Code, r.Stderr)
	}

	// A second run compares against the first.
	second := run(t, env, "backup", "--regions", "REG1")
	if second.Code != exitOK {
		t.Fatalf("second run exit %d\n%s\n%s", second.Code, second.Stdout, second.Stderr)
	}
	if rep2 := readReport(t, second.Stdout); len(rep2.Regions) != 1 || rep2.Regions[0].DeltaPct == nil {
		t.Errorf("second run report: %+v, want REG1 only with a delta against the first", rep2.Regions)
	}
	entries, _ := (&store.Spool{Dir: env["GD_SPOOL_DIR"]}).List("REG1")
	if len(entries) != 2 {
		t.Errorf("REG1 has %d artifacts after two runs, want 2", len(entries))
	}

	argv, err := os.ReadFile(argvLog)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(argv), "--defaults-extra-file=") {
		t.Errorf("dump argv lacks --defaults-extra-file:\n%s", argv)
	}
	assertNoPassword(t, env, string(argv), first.Stdout, first.Stderr, second.Stdout, second.Stderr, show.Stdout)
}

// readReport loads the report named on the summary's last line.
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

// assertNoPassword checks the outputs and every file the runs wrote.
func assertNoPassword(t *testing.T, env map[string]string, outputs ...string) {
	t.Helper()
	secrets := []string{password, restorePassword}
	for i, out := range outputs {
		for _, pw := range secrets {
			if strings.Contains(out, pw) {
				t.Errorf("output %d contains a password", i)
			}
		}
	}
	for _, dir := range []string{env["GD_SPOOL_DIR"], env["GD_STATE_DIR"]} {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(p, ".sql.gz") || strings.HasSuffix(p, ".sql.zst") {
				return nil
			}
			b, _ := os.ReadFile(p)
			for _, pw := range secrets {
				if bytes.Contains(b, []byte(pw)) {
					t.Errorf("%s contains a password", p)
				}
			}
			return nil
		})
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	base := map[string]string{"GD_ENCRYPT": "off", "GD_SPOOL_DIR": dir + "/spool", "GD_STATE_DIR": dir + "/state", "GD_SOURCE_PASSWORD": "sekrit",
		"GD_TEST_SERVERS": "127.0.0.1:1"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	openKey := dir + "/open.key"
	if err := os.WriteFile(openKey, []byte("AGE-SECRET-KEY-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"version", base, []string{"version"}, exitOK, ""},
		{"help", base, []string{"--help"}, exitOK, ""},
		{"command help", base, []string{"backup", "--help"}, exitOK, "--regions"},
		{"unknown command", base, []string{"frobnicate"}, exitUsage, "unknown command"},
		{"bad flag", base, []string{"backup", "--nope"}, exitUsage, "not defined"},
		{"no regions", base, []string{"backup"}, exitUsage, "GD_REGIONS"},
		{"bad region", with("GD_REGIONS", "RE G1=h"), []string{"backup"}, exitUsage, "GD_REGIONS"},
		{"bad port", with("GD_REGIONS", "R=h:70000"), []string{"backup"}, exitUsage, "1-65535"},
		{"bad compress", with("GD_REGIONS", "R=h", "GD_COMPRESS", "rar"), []string{"backup"}, exitUsage, "GD_COMPRESS"},
		{"no test server", with("GD_REGIONS", "R=h", "GD_TEST_SERVERS", ""), []string{"backup"}, exitUsage, "GD_TEST_SERVERS"},
		{"ship dir unset", with("GD_REGIONS", "R=h", "GD_SHIP", "dir"), []string{"backup"}, exitUsage, "GD_SHIP_DIR"},
		{"unknown --regions", with("GD_REGIONS", "R=h"), []string{"backup", "--regions", "Q"}, exitUsage, "not in GD_REGIONS"},
		{"duplicate region", with("GD_REGIONS", "R=h,R=g"), []string{"backup"}, exitUsage, "GD_REGIONS"},
		{"unreadable password file", with("GD_REGIONS", "R=h", "GD_SOURCE_PASSWORD", "", "GD_SOURCE_PASSWORD_FILE", dir+"/missing"), []string{"backup"}, exitUsage, "GD_SOURCE_PASSWORD_FILE"},
		{"retention 0", with("GD_REGIONS", "R=h", "GD_RETENTION_DAYS", "0"), []string{"backup"}, exitUsage, "GD_RETENTION_DAYS"},
		{"retention negative", with("GD_REGIONS", "R=h", "GD_RETENTION_DAYS", "-2"), []string{"backup"}, exitUsage, "GD_RETENTION_DAYS"},
		{"keep none", with("GD_REGIONS", "R=h", "GD_RETENTION_KEEP_MIN", "0"), []string{"backup"}, exitUsage, "GD_RETENTION_KEEP_MIN"},
		{"not a number", with("GD_REGIONS", "R=h", "GD_RETENTION_DAYS", "three"), []string{"backup"}, exitUsage, "RETENTION_DAYS"},
		{"restore without region", with("GD_REGIONS", "R=h"), []string{"restore", "--to", "127.0.0.1"}, exitUsage, "--region"},
		{"restore bad table", with("GD_REGIONS", "R=h"), []string{"restore", "--region", "R", "--tables", "nodot"}, exitUsage, "db.table"},
		{"restore into two databases", with("GD_REGIONS", "R=h"), []string{"restore", "--region", "R", "--databases", "a,b", "--into-database", "c"}, exitUsage, "Into"},
		{"restore no backup", with("GD_REGIONS", "R=h"), []string{"restore", "--region", "R", "--to", "127.0.0.1:1"}, exitFailed, "no backup"},
		{"trigger without NATS", with("GD_REGIONS", "R=h"), []string{"trigger"}, exitUsage, "GD_NATS_URL"},
		{"run without NATS", with("GD_REGIONS", "R=h"), []string{"run"}, exitFailed, "GD_NATS_URL"},
		{"dump without recipients", with("GD_REGIONS", "R=h", "GD_ENCRYPT", ""), []string{"backup"}, exitUsage, "or set GD_ENCRYPT=off"},
		{"dump worker without recipients", with("GD_REGIONS", "R=h", "GD_ENCRYPT", "", "GD_NATS_URL", "nats://127.0.0.1:1"), []string{"worker", "--stages", "dump"}, exitUsage, "GD_ENCRYPT_RECIPIENTS_FILE"},
		{"identity file too open", with("GD_REGIONS", "R=h", "GD_DECRYPT_IDENTITY_FILE", openKey), []string{"backup"}, exitUsage, "chmod 600"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, c.env, c.args...)
			if r.Code != c.code || !strings.Contains(r.Stderr+r.Stdout, c.stderr) {
				t.Errorf("exit %d, want %d; output should contain %q:\n%s%s", r.Code, c.code, c.stderr, r.Stdout, r.Stderr)
			}
			if strings.Contains(r.Stderr+r.Stdout, "sekrit") {
				t.Errorf("password printed")
			}
		})
	}
}

func TestSecondBackupWhileOneRunsIsRefused(t *testing.T) {
	dir := t.TempDir()
	lock, err := store.AcquireLock(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	r := run(t, map[string]string{"GD_REGIONS": "R=127.0.0.1", "GD_TEST_SERVERS": "127.0.0.1:1", "GD_STATE_DIR": dir, "GD_SPOOL_DIR": t.TempDir(), "GD_ENCRYPT": "off"}, "backup")
	if r.Code != exitFailed || !strings.Contains(r.Stderr, "holds the lock") || !strings.Contains(r.Stderr, fmt.Sprint(os.Getpid())) {
		t.Errorf("exit %d, stderr %q; want %d naming the lock holder's pid", r.Code, r.Stderr, exitFailed)
	}
}
