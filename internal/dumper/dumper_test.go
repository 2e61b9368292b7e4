package dumper

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gravedancer/internal/config"
	"gravedancer/internal/job"
	"gravedancer/internal/mysqlx"
	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
)

// backupPassword has every character an option file or a shell could trip on.
const backupPassword = `b@ck"up \#'=;pw`

func requireTool(t *testing.T) {
	t.Helper()
	if _, err := resolveTool("auto"); err != nil {
		testenv.Require(t, "%v (install mariadb-client)", err)
	}
}

// startSource starts a private server with the demo sample and a backup
// account, and returns the Source to dump it.
func startSource(t *testing.T, region string) (*testenv.MariaDB, Source) {
	t.Helper()
	requireTool(t)
	m := testenv.StartMariaDB(t)
	testenv.LoadSample(t, m, region)
	m.CreateUser(t, "gd_backup", backupPassword, testenv.BackupGrants)
	return m, Source{Region: region, Host: m.Host, Port: m.Port, User: "gd_backup", Password: backupPassword}
}

// addBigTable adds ~200k rows (tens of MB of dump) so a dump runs long
// enough to be interrupted while it streams.
func addBigTable(t *testing.T, m *testenv.MariaDB) {
	t.Helper()
	m.Exec(t, "CREATE DATABASE bulk; CREATE TABLE bulk.rows (id INT PRIMARY KEY, pad VARCHAR(200)) ENGINE=InnoDB;"+
		"INSERT INTO bulk.rows SELECT seq, REPEAT(CHAR(65 + seq % 26), 150) FROM bulk.seq_1_to_200000;")
}

// sourceRowCounts returns SELECT COUNT(*) of every non-system base table.
func sourceRowCounts(t *testing.T, m *testenv.MariaDB) map[string]int64 {
	t.Helper()
	counts, err := mysqlx.RowCounts(context.Background(), m.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	return counts
}

func TestDumpMariaDB(t *testing.T) {
	m, src := startSource(t, "REG1")
	want := sourceRowCounts(t, m)
	if len(want) < 15 {
		t.Fatalf("source has %d tables; the sample did not load", len(want))
	}
	tests := []struct {
		compression string
		level       int
		consistency string
		wantLevel   int
		wantFlags   []string
	}{
		{"gzip", 0, "single-transaction", 6, []string{"--single-transaction", "--quick"}},
		{"zstd", 0, "lock-all", 3, []string{"--lock-all-tables"}},
		{"gzip", 1, "none", 1, nil},
		{"zstd", 19, "single-transaction", 19, []string{"--single-transaction", "--quick"}},
	}
	for _, tt := range tests {
		t.Run(tt.compression+"/"+tt.consistency, func(t *testing.T) {
			d := newDumper(t, Options{Compression: tt.compression, Level: tt.level, Consistency: tt.consistency, Timeout: 5 * time.Minute})
			art, man, err := d.Dump(context.Background(), src, "run-42")
			if err != nil {
				t.Fatal(err)
			}
			checkArtifact(t, d, art, man, tt.compression)
			raw := decompress(t, art.Path, tt.compression)
			checkManifest(t, m, man, raw, wantManifest{
				path: d.Spool.ArtifactPath("REG1", testStart, tt.compression), compression: tt.compression,
				level: tt.wantLevel, consistency: tt.consistency,
				flags: append([]string{"--defaults-extra-file=<redacted>", "--all-databases", "--routines", "--events", "--triggers", "--default-character-set=binary"}, tt.wantFlags...),
			})
			checkRowCounts(t, man, want)
			assertTempDirEmpty(t, d)
		})
	}
}

// TestDumpBinlogPosition dumps a source that writes a binary log. The
// manifest must carry the position SHOW MASTER STATUS and @@gtid_binlog_pos
// give just before the dump; nothing writes to the source meanwhile, which
// the same query after the dump confirms.
func TestDumpBinlogPosition(t *testing.T) {
	requireTool(t)
	m := testenv.StartMariaDBArgs(t, "--log-bin=mysql-bin", "--server-id=1")
	testenv.LoadSample(t, m, "REG1")
	// Writes in a second replication domain make the GTID position a list.
	m.Exec(t, "SET SESSION gtid_domain_id=7; CREATE DATABASE binlog_extra;"+
		"CREATE TABLE binlog_extra.t (id INT PRIMARY KEY); INSERT INTO binlog_extra.t VALUES (1),(2),(3);")
	m.CreateUser(t, "gd_backup", backupPassword, testenv.BackupGrants)
	// Without REPLICATION CLIENT (BINLOG MONITOR) the position cannot be
	// read: such an account still gets its dump, without coordinates.
	m.CreateUser(t, "gd_nomonitor", backupPassword, "SELECT, LOCK TABLES, RELOAD, SHOW VIEW, EVENT, TRIGGER, PROCESS ON *.*")
	rows := sourceRowCounts(t, m)
	before := binlogStatus(t, m)
	if !strings.Contains(before.GTID, ",") || !strings.HasPrefix(before.File, "mysql-bin.") || before.Position < 4 {
		t.Fatalf("source binlog status %+v: want a file, a position and GTIDs in two domains", before)
	}
	base := []string{"--defaults-extra-file=<redacted>", "--all-databases", "--routines", "--events", "--triggers", "--default-character-set=binary"}
	tests := []struct {
		name, user, consistency string
		wantFlags               []string
		wantBinlog              *job.BinlogPosition
	}{
		{"single-transaction", "gd_backup", "single-transaction",
			[]string{"--single-transaction", "--quick", "--master-data=2", "--gtid"}, before},
		{"lock-all", "gd_backup", "lock-all",
			[]string{"--lock-all-tables", "--master-data=2", "--gtid"}, before},
		{"none", "gd_backup", "none", nil, nil},
		{"no BINLOG MONITOR", "gd_nomonitor", "single-transaction",
			[]string{"--single-transaction", "--quick"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDumper(t, Options{Consistency: tt.consistency, Timeout: 5 * time.Minute})
			src := Source{Region: "REG1", Host: m.Host, Port: m.Port, User: tt.user, Password: backupPassword}
			art, man, err := d.Dump(context.Background(), src, "run-42")
			if err != nil {
				t.Fatal(err)
			}
			checkArtifact(t, d, art, man, "gzip")
			raw := decompress(t, art.Path, "gzip")
			checkManifest(t, m, man, raw, wantManifest{
				path: d.Spool.ArtifactPath("REG1", testStart, "gzip"), compression: "gzip",
				level: 6, consistency: tt.consistency,
				flags: append(append([]string{}, base...), tt.wantFlags...), binlog: tt.wantBinlog,
			})
			checkRowCounts(t, man, rows)
			if after := binlogStatus(t, m); !reflect.DeepEqual(after, before) {
				t.Fatalf("the source's binlog moved during the test: %+v, then %+v", before, after)
			}
			assertTempDirEmpty(t, d)
		})
	}
}

// TestDumpBinlogPositionUnderWrites writes to the source while the dump
// streams: the manifest must carry the position of the dump's snapshot, the
// one that matches the rows dumped, not the position at the end of the dump.
func TestDumpBinlogPositionUnderWrites(t *testing.T) {
	requireTool(t)
	m := testenv.StartMariaDBArgs(t, "--log-bin=mysql-bin", "--server-id=1")
	addBigTable(t, m)
	m.CreateUser(t, "gd_backup", backupPassword, testenv.BackupGrants)
	before := binlogStatus(t, m)
	d := newDumper(t, Options{Timeout: 5 * time.Minute})
	d.hookAfter = 1
	// The first chunk arrives once the tool is inside its snapshot; it then
	// waits on the pipe while the hook writes.
	d.hook = func(int) { m.Exec(t, "INSERT INTO bulk.rows VALUES (300001, 'late'), (300002, 'late');") }
	src := Source{Region: "REG1", Host: m.Host, Port: m.Port, User: "gd_backup", Password: backupPassword}
	_, man, err := d.Dump(context.Background(), src, "run-42")
	if err != nil {
		t.Fatal(err)
	}
	if after := binlogStatus(t, m); after.Position <= before.Position {
		t.Fatalf("the write during the dump did not reach the binlog: %+v, then %+v", before, after)
	}
	if !sameBinlog(man.Binlog, before) {
		t.Errorf("Binlog = %+v, want the snapshot's %+v", man.Binlog, before)
	}
	rows := int64(-1)
	for _, tc := range man.Tables {
		if tc.Database == "bulk" && tc.Table == "rows" {
			rows = tc.Rows
		}
	}
	if rows != 200000 {
		t.Errorf("bulk.rows has %d rows in the dump, want the snapshot's 200000", rows)
	}
}

// sameBinlog compares positions, the GTID as a set of per-domain entries:
// mariadb-dump takes it from BINLOG_GTID_POS(), which lists the domains in
// another order than @@gtid_binlog_pos.
func sameBinlog(a, b *job.BinlogPosition) bool {
	if a == nil || b == nil {
		return a == b
	}
	gtids := func(s string) []string {
		l := strings.Split(s, ",")
		slices.Sort(l)
		return l
	}
	return a.File == b.File && a.Position == b.Position && slices.Equal(gtids(a.GTID), gtids(b.GTID))
}

// binlogStatus is the source's binary log position and GTID position now.
func binlogStatus(t *testing.T, m *testenv.MariaDB) *job.BinlogPosition {
	t.Helper()
	db := m.DB(t)
	var (
		b              job.BinlogPosition
		doDB, ignoreDB sql.NullString
	)
	if err := db.QueryRow("SHOW MASTER STATUS").Scan(&b.File, &b.Position, &doDB, &ignoreDB); err != nil {
		t.Fatalf("SHOW MASTER STATUS: %v", err)
	}
	if err := db.QueryRow("SELECT @@gtid_binlog_pos").Scan(&b.GTID); err != nil {
		t.Fatal(err)
	}
	return &b
}

func checkArtifact(t *testing.T, d *Dumper, art *job.Artifact, man *job.Manifest, compression string) {
	t.Helper()
	stored, err := os.ReadFile(art.Path)
	if err != nil {
		t.Fatal(err)
	}
	wantArt := job.Artifact{Path: d.Spool.ArtifactPath("REG1", testStart, compression), ManifestPath: store.ManifestPath(art.Path),
		SHA256: sha256Hex(stored), Bytes: int64(len(stored)), Compression: compression}
	if *art != wantArt {
		t.Errorf("artifact = %+v\nwant %+v", *art, wantArt)
	}
	onDisk, err := os.ReadFile(art.ManifestPath)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := job.DecodeManifest(onDisk)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(job.EncodeManifest(decoded), job.EncodeManifest(man)) {
		t.Errorf("manifest on disk differs from the one returned")
	}
	if got := spoolFiles(t, d); len(got) != 2 {
		t.Errorf("spool holds %v, want the artifact and its manifest", got)
	}
	// Operators reach for the stock tools; the artifact must pass their test.
	if cli, err := exec.LookPath(compression); err == nil {
		if out, err := exec.Command(cli, "-t", art.Path).CombinedOutput(); err != nil {
			t.Errorf("%s -t %s: %v\n%s", cli, art.Path, err, out)
		}
	}
}

type wantManifest struct {
	path, compression, consistency string
	level                          int
	flags                          []string
	binlog                         *job.BinlogPosition
}

func checkManifest(t *testing.T, m *testenv.MariaDB, man *job.Manifest, raw []byte, w wantManifest) {
	t.Helper()
	stored, _ := os.ReadFile(w.path)
	got := []any{man.V, man.Run, man.Region, man.Source, man.File, man.Started, man.Finished, man.Tool,
		man.Consistency, man.Header, man.Compression, man.Level, man.RawBytes, man.RawSHA256, man.MD5, man.Bytes, man.SHA256,
		man.Sandbox, man.Views, man.Triggers, man.Routines, man.Events}
	want := []any{job.Version, "run-42", "REG1", m.Addr(), baseName(w.path), testStart, testStart.Add(time.Second), "mariadb-dump",
		w.consistency, "MariaDB dump", w.compression, w.level, int64(len(raw)), sha256Hex(raw), md5Hex(raw), int64(len(stored)), sha256Hex(stored),
		bytes.HasPrefix(raw, []byte(`/*M!999999\- enable the sandbox mode */`))}
	want = append(want, serverObjects(t, m)...)
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("manifest field %d = %v, want %v", i, got[i], want[i])
		}
	}
	if !reflect.DeepEqual(man.Flags, w.flags) {
		t.Errorf("Flags = %q, want %q", man.Flags, w.flags)
	}
	if !sameBinlog(man.Binlog, w.binlog) {
		t.Errorf("Binlog = %+v, want %+v", man.Binlog, w.binlog)
	}
	out, _ := exec.Command("mariadb-dump", "--version").Output()
	if man.ToolVersion == "" || !strings.Contains(string(out), strings.Fields(man.ToolVersion)[0]) {
		t.Errorf("ToolVersion %q does not match %q", man.ToolVersion, out)
	}
	var version string
	if err := m.DB(t).QueryRow("SELECT VERSION()").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if man.ServerVersion != version {
		t.Errorf("ServerVersion = %q, want %q", man.ServerVersion, version)
	}
	tail := string(raw[max(0, len(raw)-200):])
	if !strings.HasPrefix(man.Footer, "-- Dump completed on ") || !strings.Contains(tail, man.Footer) {
		t.Errorf("Footer = %q; dump ends %q", man.Footer, tail)
	}
	for _, db := range []string{"keystone", "nova", "neutron", "mysql"} {
		if !contains(man.Databases, db) {
			t.Errorf("Databases %v lacks %s", man.Databases, db)
		}
	}
	if man.Statements < 100 {
		t.Errorf("Statements = %d", man.Statements)
	}
}

// serverObjects counts the views, triggers, routines and events that
// --all-databases dumps: the sample's plus the server's own in mysql (the
// mysql.user view, the geometry procedures).
func serverObjects(t *testing.T, m *testenv.MariaDB) []any {
	t.Helper()
	const notSystem = " NOT IN ('information_schema', 'performance_schema', 'sys')"
	queries := []string{
		"SELECT COUNT(*) FROM information_schema.views WHERE table_schema" + notSystem,
		"SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema" + notSystem,
		"SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema" + notSystem,
		"SELECT COUNT(*) FROM information_schema.events WHERE event_schema" + notSystem,
	}
	var out []any
	for _, q := range queries {
		var n int
		if err := m.DB(t).QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// checkRowCounts compares the manifest's per-table rows with COUNT(*) on
// the source, for every non-system table, both ways.
func checkRowCounts(t *testing.T, man *job.Manifest, want map[string]int64) {
	t.Helper()
	got := map[string]int64{}
	for _, tc := range man.Tables {
		if !mysqlx.SystemSchema(tc.Database) {
			got[tc.Database+"."+tc.Table] = tc.Rows
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("row counts from the dump\n got %v\nwant %v", got, want)
	}
}

func baseName(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestDumpUnreachable(t *testing.T) {
	requireTool(t)
	addr := testenv.DeadAddr(t)
	host, port := splitAddr(t, addr)
	d := newDumper(t, Options{Timeout: time.Minute})
	_, _, err := d.Dump(context.Background(), Source{Region: "DOWN", Host: host, Port: port, User: "u", Password: "pw"}, "run")
	e := asError(t, err)
	t.Log(e)
	if !e.Transient || e.ExitCode == 0 || e.Quarantined != "" {
		t.Errorf("transient=%v exit=%d quarantined=%q, want a transient failure with nothing kept", e.Transient, e.ExitCode, e.Quarantined)
	}
	for _, s := range []string{"dump DOWN: mariadb-dump exited 2: ", "Got error: 200", "Can't connect"} {
		if !strings.Contains(e.Error(), s) {
			t.Errorf("message %q lacks %q", e.Error(), s)
		}
	}
	if files := spoolFiles(t, d); len(files) != 0 {
		t.Errorf("spool holds %v", files)
	}
	assertTempDirEmpty(t, d)
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	i := strings.LastIndexByte(addr, ':')
	var port int
	for _, c := range addr[i+1:] {
		port = port*10 + int(c-'0')
	}
	return addr[:i], port
}

func TestDumpWrongPassword(t *testing.T) {
	m, src := startSource(t, "REG1")
	_ = m
	src.Password = config.Secret(backupPassword + "x")
	d := newDumper(t, Options{})
	_, _, err := d.Dump(context.Background(), src, "run")
	e := asError(t, err)
	t.Log(e)
	if e.Transient || e.ExitCode != 2 {
		t.Errorf("transient=%v exit=%d; a bad password is not worth retrying", e.Transient, e.ExitCode)
	}
	for _, s := range []string{"1045", "Access denied for user 'gd_backup'"} {
		if !strings.Contains(e.Error(), s) {
			t.Errorf("message %q lacks %q", e.Error(), s)
		}
	}
	if strings.Contains(e.Error()+e.Stderr, backupPassword) {
		t.Error("the error shows the password")
	}
	if files := spoolFiles(t, d); len(files) != 0 {
		t.Errorf("spool holds %v", files)
	}
	assertTempDirEmpty(t, d)
}

func TestDumpServerKilled(t *testing.T) {
	m, src := startSource(t, "REG1")
	addBigTable(t, m)
	d := newDumper(t, Options{})
	d.hookAfter = 1
	d.hook = func(int) { m.Kill() }
	_, _, err := d.Dump(context.Background(), src, "run")
	e := asError(t, err)
	t.Log(e)
	if e.ExitCode == 0 || e.Transient || e.Quarantined == "" {
		t.Errorf("exit=%d transient=%v quarantined=%q, want a non-transient failure with the partial dump kept", e.ExitCode, e.Transient, e.Quarantined)
	}
	if !strings.Contains(e.Error(), "Lost connection") && !strings.Contains(e.Error(), "2013") {
		t.Errorf("message %q does not say the connection was lost", e.Error())
	}
	assertNoBackup(t, d)
	assertTempDirEmpty(t, d)
	q := quarantined(t, d)
	if len(q) != 1 || q[0] != e.Quarantined {
		t.Fatalf("quarantine holds %v, want [%s]", q, e.Quarantined)
	}
	if fi, err := os.Stat(e.Quarantined); err != nil || fi.Size() == 0 {
		t.Errorf("quarantined partial dump: %v", err)
	}
	reason, err := os.ReadFile(e.Quarantined + ".reason")
	if err != nil || !strings.Contains(string(reason), "Lost connection") {
		t.Errorf("reason file: %q, %v", reason, err)
	}
}

func TestDumpTimeout(t *testing.T) {
	m, src := startSource(t, "REG1")
	addBigTable(t, m)
	d := newDumper(t, Options{Timeout: 2 * time.Second})
	d.hookAfter = 1
	// Holding the read loop keeps the tool blocked on its pipe past the
	// deadline, so the timeout fires mid-dump whatever the machine's speed.
	d.hook = func(int) { time.Sleep(3 * time.Second) }
	began := time.Now()
	_, _, err := d.Dump(context.Background(), src, "run")
	if took := time.Since(began); took > 30*time.Second {
		t.Errorf("Dump took %v with a 2s timeout", took)
	}
	e := asError(t, err)
	t.Log(e)
	got := []any{e.TimedOut, e.Transient, e.ExitCode, e.Signal, e.Quarantined != ""}
	if want := []any{true, false, -1, "killed", true}; !reflect.DeepEqual(got, want) {
		t.Errorf("timedOut, transient, exit, signal, quarantined = %v, want %v (%v)", got, want, e)
	}
	if !strings.Contains(e.Error(), "mariadb-dump timed out after 2s and was killed") {
		t.Errorf("message %q", e.Error())
	}
	assertNoBackup(t, d)
	assertTempDirEmpty(t, d)
}

func TestDumpSecretsNotExposed(t *testing.T) {
	m, src := startSource(t, "REG1")
	addBigTable(t, m)
	// The service reads passwords from the environment; the tool must not
	// inherit them.
	t.Setenv("GD_REGION_REG1_PASSWORD", backupPassword)
	t.Setenv("MYSQL_PWD", backupPassword)
	d := newDumper(t, Options{})
	d.hookAfter = 1
	var (
		mu       sync.Mutex
		seen     bool
		defaults string
	)
	d.hook = func(pid int) {
		mu.Lock()
		defer mu.Unlock()
		seen = true
		cmdline, err := os.ReadFile("/proc/" + itoa(pid) + "/cmdline")
		if err != nil {
			t.Errorf("read cmdline: %v", err)
			return
		}
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if len(args) < 2 || !strings.HasPrefix(args[1], "--defaults-extra-file=") {
			t.Errorf("argv %q: --defaults-extra-file is not the first argument", args)
			return
		}
		defaults = strings.TrimPrefix(args[1], "--defaults-extra-file=")
		if strings.Contains(string(cmdline), backupPassword) || strings.Contains(string(cmdline), "ck\"up") {
			t.Errorf("argv %q contains the password", args)
		}
		environ, err := os.ReadFile("/proc/" + itoa(pid) + "/environ")
		if err != nil {
			t.Errorf("read environ: %v", err)
		} else if strings.Contains(string(environ), backupPassword) {
			t.Error("the tool's environment contains the password")
		}
		fi, err := os.Stat(defaults)
		if err != nil {
			t.Errorf("defaults file while the dump runs: %v", err)
		} else if fi.Mode().Perm() != 0o600 {
			t.Errorf("defaults file mode %v, want 0600", fi.Mode().Perm())
		}
		if dir, err := os.Stat(d.Opts.TempDir); err != nil || dir.Mode().Perm() != 0o700 {
			t.Errorf("temp dir: %v, %v; want mode 0700", dir.Mode().Perm(), err)
		}
	}
	if _, _, err := d.Dump(context.Background(), src, "run"); err != nil {
		t.Fatal(err)
	}
	if !seen {
		t.Fatal("the hook never ran")
	}
	if _, err := os.Stat(defaults); !os.IsNotExist(err) {
		t.Errorf("defaults file %s still exists after the dump: %v", defaults, err)
	}
	assertTempDirEmpty(t, d)
}

func itoa(n int) string {
	var b []byte
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
