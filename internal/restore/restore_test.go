package restore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gravedancer/demo"
	"gravedancer/internal/codec"
	"gravedancer/internal/config"
	"gravedancer/internal/job"
	"gravedancer/internal/sqldump"
	"gravedancer/internal/testenv"
)

// TestRoundTrip dumps the sample with internal/dumper, loads it into a fresh
// test server and checks that it arrived whole and byte-exact while the test
// server kept its own accounts.
func TestRoundTrip(t *testing.T) {
	src := source(t)
	srcDB := src.DB(t)
	wantSums := checksums(t, srcDB)
	wantCode := codeObjects(t, srcDB)
	// 1 view, 2 triggers, 3 routines (2 + neutron.commented), 1 event.
	if len(wantCode) != 7 {
		t.Fatalf("source has %d code objects, want 7: %q", len(wantCode), wantCode)
	}
	for _, comp := range []string{codec.Gzip, codec.Zstd} {
		t.Run(comp, func(t *testing.T) {
			a, man := dump(t, src, comp)
			dst := testenv.StartMariaDB(t)
			db := dst.DB(t)
			accountsBefore := accounts(t, db)

			res := load(t, newLoader(t), a, target(dst, "root", ""), LoadOptions{NoBinlog: true})

			if want := []string{"keystone", "neutron", "nova"}; !slices.Equal(res.Databases, want) {
				t.Errorf("Databases = %q, want %q", res.Databases, want)
			}
			if res.Statements+res.Skipped != man.Statements {
				t.Errorf("sent %d + skipped %d != %d statements in the dump", res.Statements, res.Skipped, man.Statements)
			}
			if res.Skipped == 0 {
				t.Error("nothing skipped: the mysql section must be left out")
			}
			v := mustVerify(t, db, man, Checks{
				Databases: demo.SampleDatabases,
				Tables:    []config.TableRef{{Database: "nova", Table: "instance actions"}, {Database: "nova", Table: weirdTable}},
				Mode:      ModeAll,
			})
			if v.Databases != 3 || v.Tables != len(sampleTables()) || v.RowsVerified != sampleRows() {
				t.Errorf("Verification = %+v, want 3 databases, %d tables, %d rows", v, len(sampleTables()), sampleRows())
			}

			for name, sum := range checksums(t, db) {
				if sum != wantSums[name] {
					t.Errorf("CHECKSUM TABLE %s: restored %s, source %s", name, sum, wantSums[name])
				}
			}
			if got := codeObjects(t, db); !slices.Equal(got, wantCode) {
				t.Errorf("views/triggers/routines/events differ:\nrestored %q\nsource   %q", got, wantCode)
			}
			if got := accounts(t, db); !slices.Equal(got, accountsBefore) {
				t.Errorf("the test server's accounts changed:\nbefore %q\nafter  %q", accountsBefore, got)
			}
			if n := queryStrings(t, db, "SELECT COUNT(*) FROM mysql.global_priv WHERE User = 'srconly'"); n[0] != "0" {
				t.Error("the source-only account reached the test server")
			}

			if err := DropDatabases(context.Background(), db, res.Databases); err != nil {
				t.Fatal(err)
			}
			for _, s := range schemas(t, db) {
				if slices.Contains(res.Databases, s) {
					t.Errorf("database %s still there after DropDatabases", s)
				}
			}
		})
	}
}

// loaded is a test server holding the gzip sample dump.
type loaded struct {
	dst *testenv.MariaDB
	man *job.Manifest
	res *LoadResult
}

func loadSample(t *testing.T) loaded {
	t.Helper()
	src := source(t)
	a, man := dump(t, src, codec.Gzip)
	dst := testenv.StartMariaDB(t)
	res := load(t, newLoader(t), a, target(dst, "root", ""), LoadOptions{})
	return loaded{dst: dst, man: man, res: res}
}

// withTables returns a copy of m listing extra tables and databases too, as
// a dump holding something the restore lost would.
func withExtra(m *job.Manifest, dbs []string, tables ...job.TableCount) *job.Manifest {
	c := *m
	c.Databases = append(slices.Clone(m.Databases), dbs...)
	c.Tables = append(slices.Clone(m.Tables), tables...)
	return &c
}

// TestVerifyMissing: what the configuration or the dump names but the
// restored server lacks is a CheckError naming it; names are data, so
// injection attempts are merely missing and nothing else happens.
func TestVerifyMissing(t *testing.T) {
	l := loadSample(t)
	db := l.dst.DB(t)
	accountsBefore := accounts(t, db)
	schemasBefore := schemas(t, db)
	tbl := func(d, t string) []config.TableRef { return []config.TableRef{{Database: d, Table: t}} }

	tests := []struct {
		name   string
		man    *job.Manifest
		checks Checks
		want   string // CheckError reason; "" = ok
	}{
		{name: "all ok", checks: Checks{}},
		{name: "weird table present", checks: Checks{Tables: tbl("nova", weirdTable), Mode: ModeChecked}},
		{name: "database", checks: Checks{Databases: []string{"glance"}},
			want: `database "glance" is missing after restore`},
		{name: "database case", checks: Checks{Databases: []string{"NOVA"}, Mode: ModeOff},
			want: `database "NOVA" is missing after restore`},
		{name: "table", checks: Checks{Tables: tbl("nova", "flavors")},
			want: `table nova.flavors is missing after restore`},
		{name: "table in missing database", checks: Checks{Tables: tbl("glance", "images"), Mode: ModeOff},
			want: `table glance.images is missing after restore`},
		{name: "table trailing space", checks: Checks{Tables: tbl("nova", "instances ")},
			want: "table `nova`.`instances ` is missing after restore"},
		{name: "empty table", checks: Checks{Tables: tbl("nova", "shadow_instance_actions")},
			want: `table nova.shadow_instance_actions is empty after restore (GD_CHECK_TABLES wants rows)`},
		{name: "dump table not restored", man: withExtra(l.man, nil, job.TableCount{Database: "nova", Table: "flavors", Rows: 5}),
			want: `table nova.flavors: dump had 5 rows, missing after restore`},
		{name: "dump database not restored", man: withExtra(l.man, []string{"glance"}),
			want: `database "glance" is missing after restore`},
		{name: "checked table not in dump", man: &job.Manifest{}, checks: Checks{Tables: tbl("nova", "instances"), Mode: ModeChecked},
			want: `table nova.instances: not in the dump`},
		{name: "injection database", checks: Checks{Databases: []string{"x`; DROP DATABASE mysql; --"}},
			want: "database \"x`; DROP DATABASE mysql; --\" is missing after restore"},
		{name: "injection table backtick", checks: Checks{Tables: tbl("nova", "instances`; DROP DATABASE mysql; --")},
			want: "table `nova`.`instances``; DROP DATABASE mysql; --` is missing after restore"},
		{name: "injection table quote", checks: Checks{Tables: tbl("nova", "x' OR '1'='1")},
			want: "table `nova`.`x' OR '1'='1` is missing after restore"},
		{name: "injection qualified", checks: Checks{Tables: tbl("mysql`.`global_priv", "x")},
			want: "table `mysql``.``global_priv`.`x` is missing after restore"},
		{name: "injection double quote", checks: Checks{Tables: tbl(`nova"; DROP TABLE nova.instances; --`, "t")},
			want: "table `nova\"; DROP TABLE nova.instances; --`.`t` is missing after restore"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.man
			if m == nil {
				m = l.man
			}
			_, err := Verify(context.Background(), db, m, tc.checks)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if got := checkError(t, err); got != tc.want {
				t.Errorf("reason\n got %s\nwant %s", got, tc.want)
			}
		})
	}
	if got := accounts(t, db); !slices.Equal(got, accountsBefore) {
		t.Errorf("accounts changed: %q", got)
	}
	if got := schemas(t, db); !slices.Equal(got, schemasBefore) {
		t.Errorf("databases changed: %q, were %q", got, schemasBefore)
	}
	mustVerify(t, db, l.man, Checks{Mode: ModeAll})
}

// TestVerifyRowMismatch deletes rows after the load: Mode all reports every
// mismatch, checked only the configured tables, off none.
func TestVerifyRowMismatch(t *testing.T) {
	l := loadSample(t)
	db := l.dst.DB(t)
	l.dst.Exec(t, "DELETE FROM neutron.agent_heartbeats LIMIT 1; DELETE FROM nova.instance_faults LIMIT 2; DELETE FROM nova.`we``ird name` WHERE id = 3")
	tbl := func(d, t string) []config.TableRef { return []config.TableRef{{Database: d, Table: t}} }

	tests := []struct {
		name      string
		checks    Checks
		want      string
		wantTable int
		wantRows  int64
	}{
		{name: "all", checks: Checks{Mode: ModeAll},
			want: "table neutron.agent_heartbeats: dump had 100 rows, restored 99; " +
				"table nova.instance_faults: dump had 100 rows, restored 98; " +
				"table `nova`.`we``ird name`: dump had 3 rows, restored 2"},
		{name: "default is all", checks: Checks{},
			want: "table neutron.agent_heartbeats: dump had 100 rows, restored 99; " +
				"table nova.instance_faults: dump had 100 rows, restored 98; " +
				"table `nova`.`we``ird name`: dump had 3 rows, restored 2"},
		{name: "checked other table", checks: Checks{Tables: tbl("nova", "instances"), Mode: ModeChecked}, wantTable: 1, wantRows: 1000},
		{name: "checked changed table", checks: Checks{Tables: tbl("neutron", "agent_heartbeats"), Mode: ModeChecked},
			want: "table neutron.agent_heartbeats: dump had 100 rows, restored 99"},
		{name: "off", checks: Checks{Tables: tbl("neutron", "agent_heartbeats"), Mode: ModeOff}, wantTable: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Verify(context.Background(), db, l.man, tc.checks)
			if tc.want != "" {
				if got := checkError(t, err); got != tc.want {
					t.Errorf("reason\n got %s\nwant %s", got, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.Tables != tc.wantTable || v.RowsVerified != tc.wantRows {
				t.Errorf("Verification = %+v, want %d tables, %d rows", v, tc.wantTable, tc.wantRows)
			}
		})
	}
	if _, err := Verify(context.Background(), db, l.man, Checks{Mode: "some"}); err == nil || errors.As(err, new(*CheckError)) {
		t.Errorf("bad mode: got %v, want a plain error", err)
	}
}

// brokenDump has a syntax error on brokenLine, after a mysql section that
// Load leaves out and a DELIMITER block it re-emits; the client's error must
// still name the dump's own line.
const brokenDump = `-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB
/*!40101 SET NAMES utf8mb4 */;
--
-- Current Database: ` + "`mysql`" + `
--
CREATE DATABASE /*!32312 IF NOT EXISTS*/ ` + "`mysql`" + `;
USE ` + "`mysql`" + `;
INSERT INTO ` + "`global_priv`" + ` VALUES ('%','intruder','{}');

--
-- Current Database: ` + "`gdbroken`" + `
--
CREATE DATABASE gdbroken;
USE gdbroken;
CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20));
INSERT INTO t VALUES (1,'one'),
(2,'two');
DELIMITER ;;
CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW
BEGIN
  SET NEW.v = UPPER(NEW.v);
END;;
DELIMITER ;
INSERT INTO t VALUES (3,'three');
INSERT INTO t VALUES (4,,'four');
INSERT INTO t VALUES (5,'five');
-- Dump completed on 2026-03-14  1:59:27
`

const brokenLine = 25

// TestLoadBrokenArtifact: a client failure is a *LoadError with the exit
// code and the server's error on the dump's own line; an artifact the
// scanner or decompressor rejects is one with ExitCode -1 and Err.
func TestLoadBrokenArtifact(t *testing.T) {
	if got := strings.Split(brokenDump, "\n")[brokenLine-1]; !strings.HasPrefix(got, "INSERT INTO t VALUES (4,,") {
		t.Fatalf("brokenLine %d is %q", brokenLine, got)
	}
	dst := testenv.StartMariaDB(t)
	db := dst.DB(t)
	tg := target(dst, "root", "")
	gz := writeArtifact(t, brokenDump, codec.Gzip)

	for _, noBinlog := range []bool{false, true} {
		_, err := newLoader(t).Load(context.Background(), gz, codec.Gzip, tg, LoadOptions{NoBinlog: noBinlog})
		var le *LoadError
		if !errors.As(err, &le) {
			t.Fatalf("NoBinlog=%v: want *LoadError, got %T %v", noBinlog, err, err)
		}
		wantLine := "ERROR 1064 (42000) at line 25: You have an error in your SQL syntax"
		if le.ExitCode != 1 || !strings.Contains(le.Stderr, wantLine) || le.TestServerFault() {
			t.Errorf("NoBinlog=%v: exit %d, stderr %q; want 1 and %q", noBinlog, le.ExitCode, le.Stderr, wantLine)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "restore: mariadb exited 1: "+wantLine) || strings.Contains(msg, "\n") {
			t.Errorf("Error() = %q", msg)
		}
		// What came before ran (the trigger upper-cased 'three'); nothing after.
		if got := queryStrings(t, db, "SELECT GROUP_CONCAT(v ORDER BY id) FROM gdbroken.t"); got[0] != "one,two,THREE" {
			t.Errorf("rows before the error: %q", got)
		}
		if got := queryStrings(t, db, "SELECT COUNT(*) FROM mysql.global_priv WHERE User = 'intruder'"); got[0] != "0" {
			t.Error("the mysql section was loaded")
		}
		if err := DropDatabases(context.Background(), db, []string{"gdbroken"}); err != nil {
			t.Fatal(err)
		}
	}

	full, err := os.ReadFile(writeArtifact(t, strings.Repeat("INSERT INTO t VALUES (1,'padding to make the stream longer');\n", 2000), codec.Gzip))
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(t.TempDir(), "truncated.sql.gz")
	if err := os.WriteFile(truncated, full[:len(full)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		isErr      func(error) bool
	}{
		{"truncated gzip", truncated, func(err error) bool { return strings.Contains(err.Error(), "unexpected EOF") }},
		{"unterminated string", writeArtifact(t, "CREATE DATABASE gdbad;\nSELECT 'open\n", codec.Gzip), sqldump.IsSyntaxError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newLoader(t).Load(context.Background(), tc.path, codec.Gzip, tg, LoadOptions{})
			var le *LoadError
			if !errors.As(err, &le) || le.ExitCode != -1 || le.Err == nil || !tc.isErr(err) || le.TestServerFault() {
				t.Fatalf("got %T %v; want *LoadError with ExitCode -1 and the artifact's error", err, err)
			}
		})
	}
}

// TestLoadBadLogin: a client that cannot log in is a *LoadError with the
// server's answer.
func TestLoadBadLogin(t *testing.T) {
	dst := testenv.StartMariaDB(t)
	artifact := writeArtifact(t, bigDump(20_000), codec.Gzip)
	_, err := newLoader(t).Load(context.Background(), artifact, codec.Gzip, target(dst, "root", "wrong"), LoadOptions{})
	var le *LoadError
	if !errors.As(err, &le) || le.ExitCode != 1 || !strings.Contains(err.Error(), "ERROR 1045 (28000): Access denied for user 'root'") ||
		le.ServerError() != 1045 || !le.TestServerFault() {
		t.Errorf("got %v, want exit 1 with ERROR 1045", err)
	}
}

// TestLoadNoShellEscape: the client runs in --binary-mode, so a dump cannot
// run commands on the restore host.
func TestLoadNoShellEscape(t *testing.T) {
	dst := testenv.StartMariaDB(t)
	marker := filepath.Join(t.TempDir(), "pwned")
	dumpText := "CREATE DATABASE gdshell;\n\\! touch " + marker + "\nsystem touch " + marker + "\n;\n"
	_, err := newLoader(t).Load(context.Background(), writeArtifact(t, dumpText, codec.Gzip), codec.Gzip, target(dst, "root", ""), LoadOptions{})
	var le *LoadError
	if !errors.As(err, &le) || le.ExitCode != 1 || le.TestServerFault() {
		t.Errorf("got %v, want the client to refuse the line", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the dump ran a shell command on the restore host")
	}
}

// TestLoadBadArtifact: a file that is not what its compression says fails
// before any client starts, naming what the file looks like.
func TestLoadBadArtifact(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain := write("plain.sql.gz", []byte("-- MariaDB dump\nCREATE DATABASE x;\n"))
	empty := write("empty.sql.gz", nil)
	tests := []struct {
		name, path, comp string
		want             string
		loadErr          bool
	}{
		{"plain SQL as gzip", plain, codec.Gzip, "not gzip data: the file looks like uncompressed SQL", true},
		{"zstd as gzip", writeArtifact(t, "SELECT 1;\n", codec.Zstd), codec.Gzip, "not gzip data: the file is zstd-compressed", true},
		{"gzip as zstd", writeArtifact(t, "SELECT 1;\n", codec.Gzip), codec.Zstd, "not zstd data: the file is gzip-compressed", true},
		{"empty", empty, codec.Gzip, "not gzip data: the file is empty", true},
		{"missing", filepath.Join(dir, "nope.sql.gz"), codec.Gzip, "no such file or directory", false},
		{"unknown compression", plain, "bzip2", `compression "bzip2" is not one of gzip, zstd`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := &Loader{TempDir: filepath.Join(t.TempDir(), "state")}
			_, err := l.Load(context.Background(), tc.path, tc.comp, Target{Host: "127.0.0.1", Port: 1, User: "x"}, LoadOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			var le *LoadError
			if errors.As(err, &le) != tc.loadErr {
				t.Errorf("*LoadError = %v, want %v (%v)", !tc.loadErr, tc.loadErr, err)
			}
			if le != nil && le.TestServerFault() {
				t.Errorf("a bad artifact blamed on the test server: %v", err)
			}
			if _, err := os.Stat(l.TempDir); err == nil {
				t.Error("a defaults file was written for an artifact that cannot load")
			}
		})
	}
}

// restoreGrants are the minimal grants of a restore user without SET USER:
// no SUPER, no BINLOG ADMIN.
const restoreGrants = "SELECT, INSERT, CREATE, DROP, ALTER, LOCK TABLES, CREATE VIEW, TRIGGER, EVENT, CREATE ROUTINE, ALTER ROUTINE ON *.*"

// TestRestoreUser loads as a user without SUPER: definers need SET USER or
// StripDefiners, sql_log_bin=0 needs BINLOG ADMIN, and BinlogAllowed tells.
func TestRestoreUser(t *testing.T) {
	src := source(t)
	a, man := dump(t, src, codec.Gzip)
	wantCode := codeObjects(t, src.DB(t))
	dst := testenv.StartMariaDB(t)
	root := dst.DB(t)
	dst.CreateUser(t, "restorer", "pw'\"#", restoreGrants)
	tg := target(dst, "restorer", "pw'\"#")
	asUser := openAs(t, dst, "restorer", "pw'\"#")
	ctx := context.Background()

	for _, tc := range []struct {
		db   string
		want bool
	}{{"root", true}, {"restorer", false}} {
		pool := root
		if tc.db == "restorer" {
			pool = asUser
		}
		if ok, err := BinlogAllowed(ctx, pool); err != nil || ok != tc.want {
			t.Errorf("BinlogAllowed(%s) = %v, %v; want %v", tc.db, ok, err, tc.want)
		}
	}

	fail := func(opt LoadOptions, want string) {
		t.Helper()
		res, err := newLoader(t).Load(ctx, a.Path, a.Compression, tg, opt)
		var le *LoadError
		if !errors.As(err, &le) || le.ExitCode != 1 || !strings.Contains(le.Stderr, want) || !le.TestServerFault() {
			t.Errorf("Load(%+v) = %v; want exit 1 with %q, the test server's fault", opt, err, want)
		}
		if err := DropDatabases(ctx, asUser, res.Databases); err != nil {
			t.Fatal(err)
		}
	}
	fail(LoadOptions{}, "ERROR 1227 (42000) at line ")
	fail(LoadOptions{}, "SET USER privilege")
	fail(LoadOptions{NoBinlog: true, StripDefiners: true}, "BINLOG ADMIN")

	load(t, newLoader(t), a, tg, LoadOptions{StripDefiners: true})
	mustVerify(t, asUser, man, Checks{Mode: ModeAll, Databases: demo.SampleDatabases})
	if got := codeObjects(t, root); !slices.Equal(got, wantCode) {
		t.Errorf("code objects differ:\nrestored %q\nsource   %q", got, wantCode)
	}
	for _, d := range definers(t, root) {
		if !strings.HasSuffix(d, "\trestorer@127.0.0.1") {
			t.Errorf("stripped definer: %q, want restorer@127.0.0.1", d)
		}
	}
	if err := DropDatabases(ctx, asUser, demo.SampleDatabases); err != nil {
		t.Fatal(err)
	}

	dst.Exec(t, "GRANT SET USER ON *.* TO 'restorer'@'127.0.0.1'")
	load(t, newLoader(t), a, tg, LoadOptions{})
	for _, d := range definers(t, root) {
		if !strings.HasSuffix(d, "\troot@localhost") {
			t.Errorf("kept definer: %q, want root@localhost", d)
		}
	}
}

// TestDropDatabases refuses system schemas before dropping anything.
func TestDropDatabases(t *testing.T) {
	dst := testenv.StartMariaDB(t)
	db := dst.DB(t)
	dst.Exec(t, "CREATE DATABASE keep_me; CREATE DATABASE drop_me")
	ctx := context.Background()
	for _, names := range [][]string{
		{"mysql"}, {"MySQL"}, {"sys"}, {"performance_schema"}, {"INFORMATION_SCHEMA"}, {""}, {"keep_me", "mysql"},
	} {
		if err := DropDatabases(ctx, db, names); err == nil || !strings.Contains(err.Error(), "refusing") {
			t.Errorf("DropDatabases(%q) = %v, want a refusal", names, err)
		}
	}
	if err := DropDatabases(ctx, db, []string{"drop_me", "never_existed"}); err != nil {
		t.Fatal(err)
	}
	got := schemas(t, db)
	if !slices.Contains(got, "keep_me") || !slices.Contains(got, "mysql") || slices.Contains(got, "drop_me") {
		t.Errorf("databases after drops: %q", got)
	}
}

// bigDump is a dump of rows rows in INSERTs of 500, large enough that a load
// takes seconds.
func bigDump(rows int) string {
	var b strings.Builder
	b.WriteString("CREATE DATABASE gdbig;\nUSE gdbig;\nCREATE TABLE t (id INT PRIMARY KEY, pad VARCHAR(200)) ENGINE=InnoDB;\n")
	for id := 1; id <= rows; {
		b.WriteString("INSERT INTO t VALUES ")
		for i := 0; i < 500 && id <= rows; i, id = i+1, id+1 {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(")
			b.WriteString(strconv.Itoa(id))
			b.WriteString(",'row padding row padding row padding row padding row padding row padding row padding')")
		}
		b.WriteString(";\n")
	}
	return b.String()
}

// TestLoadCancel: canceling ctx mid-load kills the client at once; its
// connection goes away and the defaults file is gone.
func TestLoadCancel(t *testing.T) {
	dst := testenv.StartMariaDB(t)
	db := dst.DB(t)
	dst.CreateUser(t, "canceler", "pw", "ALL ON *.*")
	artifact := writeArtifact(t, bigDump(200_000), codec.Zstd)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := newLoader(t)
	done := make(chan error, 1)
	go func() {
		_, err := l.Load(ctx, artifact, codec.Zstd, target(dst, "canceler", "pw"), LoadOptions{})
		done <- err
	}()
	waitFor(t, 30*time.Second, func() bool {
		n := queryStrings(t, db, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'gdbig' AND TABLE_ROWS > 0")
		return n[0] != "0"
	})
	assertPrivateDefaults(t, l.TempDir)
	began := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Load after cancel = %v, want context.Canceled", err)
		}
		if took := time.Since(began); took > 3*time.Second {
			t.Errorf("Load took %v to return after cancel", took)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Load did not return after cancel")
	}
	waitFor(t, 10*time.Second, func() bool {
		return queryStrings(t, db, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'canceler'")[0] == "0"
	})
	got := queryStrings(t, db, "SELECT COUNT(*) FROM gdbig.t")
	if got[0] == "200000" {
		t.Error("the load finished: the cancel came too late to test anything")
	}
	t.Logf("canceled after %s of 200000 rows", got[0])
}

// assertPrivateDefaults checks, while a load runs, that its temp dir is 0700
// and holds one 0600 defaults file.
func assertPrivateDefaults(t *testing.T, dir string) {
	t.Helper()
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 || len(entries) != 1 {
		t.Fatalf("temp dir mode %v with %d entries, want 0700 with the defaults file", st.Mode().Perm(), len(entries))
	}
	if fi, err := entries[0].Info(); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("defaults file %s: mode %v (%v), want 0600", entries[0].Name(), fi.Mode().Perm(), err)
	}
}

func waitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
