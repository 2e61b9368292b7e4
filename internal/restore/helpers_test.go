package restore

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"gravedancer/demo"
	"gravedancer/internal/codec"
	"gravedancer/internal/config"
	"gravedancer/internal/dumper"
	"gravedancer/internal/job"
	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
)

// weirdTable is a real table whose name holds a backtick and a space.
const weirdTable = "we`ird name"

// extrasSQL adds to the sample what it lacks for these tests: a table named
// with a backtick and a space and a source-only account that must never
// reach the test server; commentedProc adds a procedure whose body has
// comments (the client strips them unless told not to).
const extrasSQL = "CREATE TABLE nova.`we``ird name` (id INT PRIMARY KEY, `v a l` VARBINARY(16), note TEXT) ENGINE=InnoDB;\n" +
	"INSERT INTO nova.`we``ird name` VALUES (1, 0x00FF0D0A5C27, 'tab\\there'), (2, NULL, 'emoji \U0001F600'), (3, '', 'cr\\r\\nlf');\n" +
	"CREATE USER 'srconly'@'%' IDENTIFIED BY 'sourcepw';\n" +
	"GRANT SELECT ON *.* TO 'srconly'@'%';\n"

// commentedProc is sent through the driver, not the client, which would
// strip its comments before the server saw them.
const commentedProc = "CREATE DEFINER=`root`@`localhost` PROCEDURE neutron.commented()\n" +
	"BEGIN\n  -- a line comment\n  SELECT 1; /* a block comment */ # a hash comment\nEND"

// extraTableRows are the extras' rows, keyed like demo.SampleTableRows.
var extraTableRows = map[string]int{"nova." + weirdTable: 3}

// source is a server with the sample and the extras loaded.
func source(t *testing.T) *testenv.MariaDB {
	t.Helper()
	src := testenv.StartMariaDB(t)
	testenv.LoadSample(t, src, "REG1")
	src.ExecScript(t, extrasSQL)
	src.Exec(t, commentedProc)
	return src
}

// dump takes a real artifact of m with internal/dumper.
func dump(t testing.TB, m *testenv.MariaDB, compression string) (*job.Artifact, *job.Manifest) {
	t.Helper()
	d := &dumper.Dumper{
		Spool: &store.Spool{Dir: t.TempDir()},
		Opts:  dumper.Options{Compression: compression, TempDir: filepath.Join(t.TempDir(), "state")},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a, man, err := d.Dump(ctx, dumper.Source{Region: "REG1", Host: m.Host, Port: m.Port, User: "root"}, "run-1")
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	return a, man
}

func target(m *testenv.MariaDB, user, password string) Target {
	return Target{Host: m.Host, Port: m.Port, User: user, Password: config.Secret(password)}
}

// newLoader returns a Loader whose temp dir must be empty when the test ends:
// the defaults file is gone whatever happened.
func newLoader(t testing.TB) *Loader {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "state")
	t.Cleanup(func() { assertEmptyDir(t, dir) })
	return &Loader{Tool: "auto", TempDir: dir}
}

func assertEmptyDir(t testing.TB, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("%s left behind in the loader's temp dir", e.Name())
	}
}

func load(t testing.TB, l *Loader, a *job.Artifact, tg Target, opt LoadOptions) *LoadResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := l.Load(ctx, a.Path, a.Compression, tg, opt)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return res
}

// writeArtifact compresses sqlText into a file.
func writeArtifact(t testing.TB, sqlText, compression string) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := codec.NewWriter(&buf, compression, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(sqlText)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dump"+store.Extension(compression))
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// openAs opens a pool on m as user (no multi-statements: Verify must not
// need them).
func openAs(t testing.TB, m *testenv.MariaDB, user, password string) *sql.DB {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd = user, password
	cfg.Net, cfg.Addr = "tcp", m.Addr()
	cfg.Timeout = 10 * time.Second
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// queryStrings runs q and returns every row as its columns joined by a tab;
// NULL is shown as \N.
func queryStrings(t testing.TB, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = string(v)
			if v == nil {
				parts[i] = `\N`
			}
		}
		out = append(out, strings.Join(parts, "\t"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sampleTables lists "db.table" of the sample and the extras, sorted.
func sampleTables() []string {
	var out []string
	for k := range demo.SampleTableRows {
		out = append(out, k)
	}
	for k := range extraTableRows {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checksums returns CHECKSUM TABLE of every sample table: equal checksums
// mean byte-equal rows, blobs with 0x00/0xFF and 4-byte UTF-8 included.
func checksums(t testing.TB, db *sql.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range sampleTables() {
		d, tbl, _ := strings.Cut(name, ".")
		var n, sum sql.NullString
		if err := db.QueryRow("CHECKSUM TABLE "+quoted(tableKey{d, tbl})).Scan(&n, &sum); err != nil {
			t.Fatalf("checksum %s: %v", name, err)
		}
		out[name] = sum.String
	}
	return out
}

// codeObjects lists the definitions of views, triggers, routines and events
// in the sample's databases, as the server stores them.
func codeObjects(t testing.TB, db *sql.DB) []string {
	t.Helper()
	in := "('keystone','nova','neutron')"
	var out []string
	for _, q := range []string{
		"SELECT 'view', TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA IN " + in,
		"SELECT 'trigger', TRIGGER_SCHEMA, TRIGGER_NAME, ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN " + in,
		"SELECT 'routine', ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_DEFINITION FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN " + in,
		"SELECT 'event', EVENT_SCHEMA, EVENT_NAME, EVENT_DEFINITION FROM information_schema.EVENTS WHERE EVENT_SCHEMA IN " + in,
	} {
		out = append(out, queryStrings(t, db, q+" ORDER BY 2, 3")...)
	}
	return out
}

// definers lists "kind db.name definer" of the sample's code objects.
func definers(t testing.TB, db *sql.DB) []string {
	t.Helper()
	in := "('keystone','nova','neutron')"
	var out []string
	for _, q := range []string{
		"SELECT 'view', TABLE_SCHEMA, TABLE_NAME, DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA IN " + in,
		"SELECT 'trigger', TRIGGER_SCHEMA, TRIGGER_NAME, DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN " + in,
		"SELECT 'routine', ROUTINE_SCHEMA, ROUTINE_NAME, DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN " + in,
		"SELECT 'event', EVENT_SCHEMA, EVENT_NAME, DEFINER FROM information_schema.EVENTS WHERE EVENT_SCHEMA IN " + in,
	} {
		out = append(out, queryStrings(t, db, q+" ORDER BY 2, 3")...)
	}
	return out
}

// accounts snapshots the server's accounts and their privileges.
func accounts(t testing.TB, db *sql.DB) []string {
	t.Helper()
	return queryStrings(t, db, "SELECT Host, User, Priv FROM mysql.global_priv ORDER BY Host, User")
}

// schemas lists the databases on a server, sorted.
func schemas(t testing.TB, db *sql.DB) []string {
	t.Helper()
	return queryStrings(t, db, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1")
}

func checkError(t testing.TB, err error) string {
	t.Helper()
	ce, ok := err.(*CheckError)
	if !ok {
		t.Fatalf("want *CheckError, got %T: %v", err, err)
	}
	return ce.Reason
}

func mustVerify(t testing.TB, db *sql.DB, m *job.Manifest, c Checks) *Verification {
	t.Helper()
	v, err := Verify(context.Background(), db, m, c)
	if err != nil {
		t.Fatalf("Verify(%+v): %v", c, err)
	}
	return v
}

func sampleRows() int64 {
	var n int64
	for _, r := range demo.SampleTableRows {
		n += int64(r)
	}
	for _, r := range extraTableRows {
		n += int64(r)
	}
	return n
}
