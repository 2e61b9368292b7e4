package dumper

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gravedancer/internal/job"
	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
)

// The tests in this file run shell scripts in place of mariadb-dump, to
// produce the endings a real server produces only rarely: a truncated dump
// with exit 0, a crash by signal, a flood of stderr.

func TestFakeToolComplete(t *testing.T) {
	d := newDumper(t, Options{
		Tool:       fakeTool(t, fakeDump+fakeFooter, "exit 0"),
		ExtraFlags: []string{"--skip-comments=0", "--net-buffer-length=16384"},
	})
	art, m, err := d.Dump(context.Background(), Source{Region: "R1", Host: "db.example", Port: 3307, User: "u", Password: "pw"}, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	wantPath := d.Spool.ArtifactPath("R1", testStart, "gzip")
	if art.Path != wantPath {
		t.Errorf("artifact %s, want %s", art.Path, wantPath)
	}
	raw := decompress(t, art.Path, "gzip")
	if string(raw) != fakeDump+fakeFooter {
		t.Errorf("artifact does not decompress to the tool's output")
	}
	stored, _ := os.ReadFile(art.Path)
	want := &job.Manifest{
		V: job.Version, Run: "run-1", Region: "R1", Source: "db.example:3307",
		File: filepath.Base(wantPath), Started: testStart, Finished: testStart.Add(time.Second),
		Tool: "fake-dump", ToolVersion: "10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)",
		Flags: []string{"--defaults-extra-file=<redacted>", "--all-databases", "--routines", "--events", "--triggers", "--default-character-set=binary",
			"--single-transaction", "--quick", "--skip-comments=0", "--net-buffer-length=16384"},
		Consistency: "single-transaction", ServerVersion: "10.11.19-MariaDB-0+deb12u1",
		Header: "MariaDB dump", Footer: "-- Dump completed on 2026-03-14  1:59:27", Sandbox: true,
		RawBytes: int64(len(raw)), RawSHA256: sha256Hex(raw), MD5: md5Hex(raw),
		Bytes: int64(len(stored)), SHA256: sha256Hex(stored), Compression: "gzip", Level: 6,
		Databases: []string{"shop"}, Tables: []job.TableCount{{Database: "shop", Table: "items", Rows: 3}},
		Statements: m.Statements,
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("manifest\n got %s\nwant %s", job.EncodeManifest(m), job.EncodeManifest(want))
	}
	if m.Statements < 8 {
		t.Errorf("Statements = %d, want the dump's statements counted", m.Statements)
	}
	wantArt := &job.Artifact{Path: wantPath, ManifestPath: store.ManifestPath(wantPath), SHA256: m.SHA256, Bytes: m.Bytes, Compression: "gzip"}
	if !reflect.DeepEqual(art, wantArt) {
		t.Errorf("artifact = %+v, want %+v", art, wantArt)
	}
	onDisk, err := os.ReadFile(art.ManifestPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(onDisk) != string(job.EncodeManifest(m)) {
		t.Errorf("manifest on disk differs from the one returned")
	}
	assertTempDirEmpty(t, d)
	if got := spoolFiles(t, d); len(got) != 2 {
		t.Errorf("spool holds %v, want the artifact and its manifest", got)
	}
}

func TestFakeToolFailures(t *testing.T) {
	lostConn := `echo "mariadb-dump: Error 2013: Lost connection to server during query when dumping table items at row: 2" >&2; exit 2`
	tests := []struct {
		name       string
		stdout     string
		tail       string
		exit       int
		signal     string
		transient  bool
		quarantine bool
		msg        []string // substrings of Error()
	}{
		{
			name: "exit 0 without footer", stdout: fakeDump, tail: "exit 0",
			quarantine: true, msg: []string{"dump R1: ", `no "-- Dump completed" footer`},
		},
		{
			name: "exit 0 with nothing written", stdout: "", tail: "exit 0",
			msg: []string{"exited 0 but wrote nothing"},
		},
		{
			name: "footer but exit 2", stdout: fakeDump + fakeFooter,
			tail: `echo "fake-dump: Couldn't execute 'SHOW EVENTS': Access denied for user 'u'@'%' to database 'shop' (1044)" >&2; exit 2`,
			exit: 2, quarantine: true, msg: []string{"fake-dump exited 2: ", "(1044)"},
		},
		{
			name: "cannot connect", stdout: "",
			tail: `echo "mysqldump: Got error: 2003: Can't connect to MySQL server on '192.0.2.1:3306' (111) when trying to connect" >&2; exit 2`,
			exit: 2, transient: true, msg: []string{"fake-dump exited 2: mysqldump: Got error: 2003: Can't connect"},
		},
		{
			name: "connection lost after data", stdout: fakeDump, tail: lostConn,
			exit: 2, quarantine: true, msg: []string{"exited 2", "Lost connection"},
		},
		{
			name: "killed by a signal", stdout: fakeDump, tail: "kill -9 $$",
			exit: -1, signal: "killed", quarantine: true, msg: []string{"fake-dump killed by signal killed"},
		},
		{
			name: "unterminated string before the footer", stdout: fakeDump + "INSERT INTO `items` VALUES (4,'open\n" + fakeFooter,
			tail: "exit 0", quarantine: true, msg: []string{"dump R1: "},
		},
		{
			name: "stderr flood", stdout: fakeDump,
			tail: `i=0; while [ $i -lt 3000 ]; do echo "warning line $i" >&2; i=$((i+1)); done; echo "fake-dump: Got error: 1146: Table 'x' doesn't exist" >&2; exit 3`,
			exit: 3, quarantine: true, msg: []string{"exited 3: fake-dump: Got error: 1146"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDumper(t, Options{Tool: fakeTool(t, tt.stdout, tt.tail)})
			art, m, err := d.Dump(context.Background(), Source{Region: "R1", Host: "h", Port: 1, User: "u", Password: "pw"}, "run")
			if art != nil || m != nil {
				t.Errorf("failed dump returned artifact %v / manifest %v", art, m)
			}
			e := asError(t, err)
			got := []any{e.ExitCode, e.Signal, e.Transient, e.Quarantined != "", e.TimedOut}
			want := []any{tt.exit, tt.signal, tt.transient, tt.quarantine, false}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("exit, signal, transient, quarantined, timedOut = %v, want %v (%v)", got, want, e)
			}
			for _, s := range tt.msg {
				if !strings.Contains(e.Error(), s) {
					t.Errorf("message %q lacks %q", e.Error(), s)
				}
			}
			t.Log(e.Error())
			if strings.Contains(e.Error(), "\n") {
				t.Errorf("message spans lines: %q", e.Error())
			}
			if len(e.Stderr) > stderrKeep {
				t.Errorf("Stderr holds %d bytes, want at most %d", len(e.Stderr), stderrKeep)
			}
			assertNoBackup(t, d)
			assertTempDirEmpty(t, d)
			checkQuarantine(t, d, e, tt.stdout)
		})
	}
}

// checkQuarantine verifies the quarantine holds exactly the partial output
// (readable, it is a closed gzip stream) and the reason beside it.
func checkQuarantine(t *testing.T, d *Dumper, e *Error, stdout string) {
	t.Helper()
	q := quarantined(t, d)
	if e.Quarantined == "" {
		if len(q) != 0 {
			t.Errorf("quarantine holds %v but the error names none", q)
		}
		return
	}
	if len(q) != 1 || q[0] != e.Quarantined {
		t.Fatalf("quarantine holds %v, want [%s]", q, e.Quarantined)
	}
	if got := decompress(t, e.Quarantined, "gzip"); string(got) != stdout {
		t.Errorf("quarantined output is %d bytes, want the %d the tool wrote", len(got), len(stdout))
	}
	reason, err := os.ReadFile(e.Quarantined + ".reason")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(reason), "dump R1: ") {
		t.Errorf("reason file starts %q", reason)
	}
}

func TestFakeToolTimeout(t *testing.T) {
	// sleep runs as a child of the shell and holds stdout open: only killing
	// the whole process group lets the dump end.
	d := newDumper(t, Options{Tool: fakeTool(t, fakeDump, "sleep 60; exit 0"), Timeout: time.Second})
	began := time.Now()
	_, _, err := d.Dump(context.Background(), Source{Region: "R1", Host: "h"}, "run")
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("Dump returned after %v; the timeout is 1s", took)
	}
	e := asError(t, err)
	got := []any{e.TimedOut, e.Transient, e.ExitCode, e.Signal}
	if want := []any{true, false, -1, "killed"}; !reflect.DeepEqual(got, want) {
		t.Errorf("timedOut, transient, exit, signal = %v, want %v", got, want)
	}
	if !strings.Contains(e.Error(), "fake-dump timed out after 1s and was killed") {
		t.Errorf("message %q", e.Error())
	}
	assertNoBackup(t, d)
	checkQuarantine(t, d, e, fakeDump)
}

func TestFakeToolCanceled(t *testing.T) {
	d := newDumper(t, Options{Tool: fakeTool(t, fakeDump, "sleep 60; exit 0"), Timeout: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	began := time.Now()
	time.AfterFunc(200*time.Millisecond, cancel)
	_, _, err := d.Dump(ctx, Source{Region: "R1", Host: "h"}, "run")
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("Dump returned %v after cancel", took)
	}
	e := asError(t, err)
	if !e.Transient || e.TimedOut || !errors.Is(e, context.Canceled) {
		t.Errorf("transient=%v timedOut=%v err=%v; want a transient cancellation", e.Transient, e.TimedOut, e)
	}
	assertNoBackup(t, d)
	assertTempDirEmpty(t, d)
}

func TestMissingTool(t *testing.T) {
	notExec := filepath.Join(t.TempDir(), "mariadb-dump")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ tool, want string }{
		{"/nonexistent/bin/mariadb-dump", `dump R1: dump tool "/nonexistent/bin/mariadb-dump": stat /nonexistent/bin/mariadb-dump: no such file or directory`},
		{"no-such-dump-tool", `dump R1: dump tool "no-such-dump-tool": executable file not found in $PATH`},
		{notExec, `dump tool "` + notExec + `": permission denied`},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			d := newDumper(t, Options{Tool: tt.tool})
			_, _, err := d.Dump(context.Background(), Source{Region: "R1", Host: "h", Password: "pw"}, "run")
			e := asError(t, err)
			if !strings.Contains(e.Error(), tt.want) || e.Transient {
				t.Errorf("got %q (transient=%v), want non-transient %q", e.Error(), e.Transient, tt.want)
			}
			if files := spoolFiles(t, d); len(files) != 0 {
				t.Errorf("spool holds %v", files)
			}
			assertTempDirEmpty(t, d)
		})
	}
}

func TestBadOptions(t *testing.T) {
	tool := fakeTool(t, fakeDump+fakeFooter, "exit 0")
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"compression", Options{Compression: "xz"}, `compression "xz" is not one of gzip, zstd`},
		{"gzip level", Options{Level: 10}, "gzip level 10 out of range 1-9"},
		{"zstd level", Options{Compression: "zstd", Level: 23}, "zstd level 23 out of range 1-22"},
		{"consistency", Options{Consistency: "snapshot"}, `consistency "snapshot"`},
		{"password flag", Options{ExtraFlags: []string{"--password=x"}}, "dump flag --password is not allowed"},
		{"short password flag", Options{ExtraFlags: []string{"-psecret"}}, "dump flag -psecret is not allowed"},
		{"defaults flag", Options{ExtraFlags: []string{"--defaults-file=/etc/x"}}, "dump flag --defaults-file is not allowed"},
		{"region", Options{}, `region name "../x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Tool = tool
			d := newDumper(t, tt.opts)
			region := "R1"
			if tt.name == "region" {
				region = "../x"
			}
			_, _, err := d.Dump(context.Background(), Source{Region: region, Host: "h"}, "run")
			if e := asError(t, err); !strings.Contains(e.Error(), tt.want) || e.Transient {
				t.Errorf("got %q, want non-transient %q", e.Error(), tt.want)
			}
			if files := spoolFiles(t, d); len(files) != 0 {
				t.Errorf("spool holds %v", files)
			}
		})
	}
}

// fakeBinlogDump is fakeDump with the coordinates mariadb-dump 10.11 writes
// with --master-data=2 --gtid: the file and position before the first
// database, the GTID position after the last.
var fakeBinlogDump = strings.Replace(fakeDump, "--\n-- Current Database: `shop`",
	"-- CHANGE MASTER TO MASTER_USE_GTID=slave_pos;\n\n"+
		"-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000003', MASTER_LOG_POS=1234;\n\n"+
		"--\n-- Current Database: `shop`", 1) +
	"-- The deferred gtid setting for slave corresponding to the master-data CHANGE-MASTER follows\n\n" +
	"-- Preferably use GTID to start replication from GTID position:\n\n" +
	"-- SET GLOBAL gtid_slave_pos='0-1-42';\n"

func TestFakeToolBinlog(t *testing.T) {
	failed := func(context.Context, Source) (bool, error) { return false, errors.New("Error 1045: Access denied") }
	coords := &job.BinlogPosition{File: "mysql-bin.000003", Position: 1234, GTID: "0-1-42"}
	tests := []struct {
		name        string
		consistency string
		extra       []string
		probe       binlogProbe
		stdout      string
		wantFlags   []string // after --default-character-set=binary
		wantBinlog  *job.BinlogPosition
	}{
		{"binlog on", "", []string{"--net-buffer-length=16384"}, binlogOn, fakeBinlogDump,
			[]string{"--single-transaction", "--quick", "--master-data=2", "--gtid", "--net-buffer-length=16384"}, coords},
		{"binlog on, lock-all", "lock-all", nil, binlogOn, fakeBinlogDump,
			[]string{"--lock-all-tables", "--master-data=2", "--gtid"}, coords},
		{"binlog off", "", nil, binlogOff, fakeDump,
			[]string{"--single-transaction", "--quick"}, nil},
		{"check failed", "", nil, failed, fakeDump,
			[]string{"--single-transaction", "--quick"}, nil},
		{"consistency none", "none", nil, binlogOn, fakeDump,
			nil, nil},
		{"operator's own --master-data", "", []string{"--master-data=2"}, binlogOn, fakeBinlogDump,
			[]string{"--single-transaction", "--quick", "--master-data=2"}, coords},
		{"operator's own --dump-slave", "", []string{"--dump-slave=2"}, binlogOn, fakeDump,
			[]string{"--single-transaction", "--quick", "--dump-slave=2"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tool := fakeTool(t, tt.stdout+fakeFooter, "exit 0")
			d := newDumper(t, Options{Tool: tool, Consistency: tt.consistency, ExtraFlags: tt.extra})
			d.probe = tt.probe
			_, m, err := d.Dump(context.Background(), Source{Region: "R1", Host: "db.example", User: "u", Password: "pw"}, "run")
			if err != nil {
				t.Fatal(err)
			}
			want := append([]string{"--all-databases", "--routines", "--events", "--triggers", "--default-character-set=binary"}, tt.wantFlags...)
			if got := fakeArgs(t, tool); !reflect.DeepEqual(got, want) {
				t.Errorf("tool ran with %q\nwant %q", got, want)
			}
			if want := append([]string{"--defaults-extra-file=<redacted>"}, want...); !reflect.DeepEqual(m.Flags, want) {
				t.Errorf("manifest Flags = %q\nwant %q", m.Flags, want)
			}
			if !reflect.DeepEqual(m.Binlog, tt.wantBinlog) {
				t.Errorf("manifest Binlog = %+v, want %+v", m.Binlog, tt.wantBinlog)
			}
			onDisk, err := os.ReadFile(store.ManifestPath(d.Spool.ArtifactPath("R1", testStart, "gzip")))
			if err != nil {
				t.Fatal(err)
			}
			decoded, err := job.DecodeManifest(onDisk)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(decoded.Binlog, tt.wantBinlog) {
				t.Errorf("manifest on disk: Binlog = %+v, want %+v", decoded.Binlog, tt.wantBinlog)
			}
		})
	}
}

// TestFakeToolBinlogCheckUnreachable runs the real binary log check against
// an address nobody listens on: the check fails, and the dump goes ahead
// without coordinates instead of failing with it.
func TestFakeToolBinlogCheckUnreachable(t *testing.T) {
	host, port := splitAddr(t, testenv.DeadAddr(t))
	tool := fakeTool(t, fakeDump+fakeFooter, "exit 0")
	d := newDumper(t, Options{Tool: tool})
	d.probe = nil
	if on, err := binlogReadable(context.Background(), Source{Host: host, Port: port, User: "u", Password: "pw"}); on || err == nil {
		t.Fatalf("binlogReadable on a dead address = %v, %v; want an error", on, err)
	}
	_, m, err := d.Dump(context.Background(), Source{Region: "R1", Host: host, Port: port, User: "u", Password: "pw"}, "run")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"--all-databases", "--routines", "--events", "--triggers", "--default-character-set=binary", "--single-transaction", "--quick"}
	if got := fakeArgs(t, tool); !reflect.DeepEqual(got, want) {
		t.Errorf("tool ran with %q\nwant %q", got, want)
	}
	if m.Binlog != nil {
		t.Errorf("Binlog = %+v, want none", m.Binlog)
	}
}
