package restore

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gravedancer/internal/codec"
	"gravedancer/internal/job"
	"gravedancer/internal/testenv"
)

//go:embed testdata/rich.sql
var richSQL string

// strictGlobals makes a test server's defaults differ from the dump's in
// every way that matters, so a connection that missed the dump's SET
// statements stores different bytes or fails: zero dates are refused, 0
// in an AUTO_INCREMENT column means "next", TIMESTAMPs are read at +05:00,
// and foreign keys are checked.
const strictGlobals = "SET GLOBAL sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,TRADITIONAL';\n" +
	"SET GLOBAL time_zone = '+05:00';\n" +
	"SET GLOBAL foreign_key_checks = 1;\n"

// TestEngineMatchesClient restores one real dump of a rich schema with the
// engine and with the client, onto two test servers whose defaults fight
// the dump's, and requires both to hold exactly what the source held:
// CHECKSUM TABLE of every table and the definitions of every view,
// trigger, routine and event.
func TestEngineMatchesClient(t *testing.T) {
	src := source(t)
	src.ExecScript(t, richSQL)
	srcDB := src.DB(t)
	schemas := []string{"keystone", "neutron", "nova", "rich"}
	wantSums := allChecksums(t, srcDB, schemas)
	wantCode := richCode(t, srcDB)
	a, man := dump(t, src, codec.Zstd)
	if head := artifactHead(t, a); !strings.Contains(head, "SET NAMES binary") {
		t.Fatalf("the dump is not in the binary character set, so it proves nothing about it:\n%s", head)
	}

	results := map[string]*LoadResult{}
	for _, method := range []string{MethodEngine, MethodClient} {
		t.Run(method, func(t *testing.T) {
			dst := testenv.StartMariaDB(t)
			dst.ExecScript(t, strictGlobals)
			db := dst.DB(t)
			var l interface {
				Load(context.Context, string, string, Target, LoadOptions) (*LoadResult, error)
			} = newLoader(t)
			if method == MethodEngine {
				l = &Engine{Parallel: 4}
			}
			res, err := l.Load(context.Background(), a.Path, a.Compression, target(dst, "root", ""), LoadOptions{NoBinlog: true})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			results[method] = res
			if res.Method != method {
				t.Errorf("Method = %q, want %q", res.Method, method)
			}
			if err := CheckLoaded(res, man); err != nil {
				t.Error(err)
			}
			if res.Statements+res.Skipped != man.Statements {
				t.Errorf("sent %d + skipped %d != %d statements in the dump", res.Statements, res.Skipped, man.Statements)
			}
			got := allChecksums(t, db, schemas)
			if len(got) != len(wantSums) {
				t.Errorf("restored %d tables, source has %d", len(got), len(wantSums))
			}
			for name, sum := range wantSums {
				if got[name] != sum {
					t.Errorf("CHECKSUM TABLE %s: restored %q, source %q", name, got[name], sum)
				}
			}
			if got := richCode(t, db); !slices.Equal(got, wantCode) {
				t.Errorf("code objects differ:\nrestored %q\nsource   %q", got, wantCode)
			}
			if got := queryStrings(t, db, "SELECT id FROM rich.a_child ORDER BY id"); !slices.Equal(got, []string{"0", "5"}) {
				t.Errorf("a_child ids = %q: AUTO_INCREMENT 0 must stay 0 (NO_AUTO_VALUE_ON_ZERO)", got)
			}
		})
	}
	e, c := results[MethodEngine], results[MethodClient]
	if e == nil || c == nil {
		return
	}
	if !slices.Equal(e.Databases, c.Databases) || e.Statements != c.Statements+lockStatements(e, c) {
		t.Errorf("engine sent %d statements to %q, client %d to %q", e.Statements, e.Databases, c.Statements, c.Databases)
	}
	if e.Connections != 4 || c.Connections != 1 {
		t.Errorf("connections: engine %d, client %d", e.Connections, c.Connections)
	}
	if bigRows := e.Loaded[TableName{"rich", "big"}]; bigRows != 40000 {
		t.Errorf("engine tallied %d rows of rich.big, want 40000", bigRows)
	}
}

// artifactHead is the first 2 KiB of the decompressed dump.
func artifactHead(t testing.TB, a *job.Artifact) string {
	t.Helper()
	in, err := openArtifact(a.Path, a.Compression, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	head := make([]byte, 2048)
	n, _ := io.ReadFull(in, head)
	return string(head[:n])
}

// lockStatements is how many more statements the client ran: the LOCK and
// UNLOCK TABLES the engine leaves out (and counts as skipped).
func lockStatements(e, c *LoadResult) int64 { return c.Skipped - e.Skipped }

// allChecksums is CHECKSUM TABLE of every base table in schemas.
func allChecksums(t testing.TB, db *sql.DB, schemas []string) map[string]string {
	t.Helper()
	q := "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA IN ('" +
		strings.Join(schemas, "','") + "') ORDER BY 1, 2"
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var keys []tableKey
	for rows.Next() {
		var k tableKey
		if err := rows.Scan(&k.db, &k.table); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, k := range keys {
		var n, sum sql.NullString
		if err := db.QueryRow("CHECKSUM TABLE "+quoted(k)).Scan(&n, &sum); err != nil {
			t.Fatalf("checksum %s.%s: %v", k.db, k.table, err)
		}
		out[k.db+"."+k.table] = sum.String
	}
	return out
}

// richCode lists the rich schema's code objects with everything the
// server stores about them, including the session settings they keep.
func richCode(t testing.TB, db *sql.DB) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		"SELECT TABLE_NAME, VIEW_DEFINITION, CHARACTER_SET_CLIENT, COLLATION_CONNECTION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = 'rich'",
		"SELECT TRIGGER_NAME, ACTION_STATEMENT, SQL_MODE, CHARACTER_SET_CLIENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'rich'",
		"SELECT ROUTINE_NAME, ROUTINE_DEFINITION, SQL_MODE, CHARACTER_SET_CLIENT, DTD_IDENTIFIER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'rich'",
		"SELECT EVENT_NAME, EVENT_DEFINITION, STATUS, SQL_MODE, TIME_ZONE, STARTS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = 'rich'",
		"SELECT COLUMN_NAME, GENERATION_EXPRESSION, IS_GENERATED FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'rich' AND IS_GENERATED = 'ALWAYS'",
	} {
		out = append(out, queryStrings(t, db, q+" ORDER BY 1")...)
	}
	if len(out) != 8 {
		t.Fatalf("rich schema has %d code objects and generated columns, want 8: %q", len(out), out)
	}
	return out
}

// engineDump is a small dump in mariadb-dump's shape; bad rows go in
// through rows.
func engineDump(db string, rows ...string) string {
	var b strings.Builder
	b.WriteString("-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB\n/*!40101 SET NAMES utf8mb4 */;\n")
	fmt.Fprintf(&b, "CREATE DATABASE `%s`;\nUSE `%s`;\nCREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20));\n", db, db)
	b.WriteString("LOCK TABLES `t` WRITE;\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "INSERT INTO `t` VALUES %s;\n", r)
	}
	b.WriteString("UNLOCK TABLES;\n-- Dump completed on 2026-11-28  1:00:00\n")
	return b.String()
}

func TestEngineErrors(t *testing.T) {
	dst := testenv.StartMariaDB(t)
	db := dst.DB(t)
	tg := target(dst, "root", "")
	var many []string
	for i := 1; i <= 200; i++ {
		many = append(many, fmt.Sprintf("(%d,'row %d')", i, i))
	}
	dupDump := engineDump("gddup", append(many, "(7,'again')")...)
	badDump := engineDump("gdbad", "(1,'one')", "(2,,'two')", "(3,'three')")
	at := func(dump, db, stmt string) *Position {
		off := strings.Index(dump, stmt)
		return &Position{Line: 1 + strings.Count(dump[:off], "\n"), Offset: int64(off), Database: db, Table: "t"}
	}

	tests := []struct {
		name, sql     string
		at            *Position
		code          int
		serverFault   bool
		dropDatabases []string
	}{
		{"syntax error", badDump, at(badDump, "gdbad", "INSERT INTO `t` VALUES (2,,"), 1064, false, []string{"gdbad"}},
		{"duplicate key among concurrent inserts", dupDump, at(dupDump, "gddup", "INSERT INTO `t` VALUES (7,'again')"), 1062, false, []string{"gddup"}},
		{"statement needs a privilege", "-- MariaDB dump 10.19\nSET GLOBAL read_only = 1;\n", nil, 1227, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := tg
			if tc.serverFault {
				dst.CreateUser(t, "lowly", "lowly-pw", "SELECT ON *.*")
				tg = target(dst, "lowly", "lowly-pw")
			}
			_, err := (&Engine{Parallel: 3}).Load(context.Background(), writeArtifact(t, tc.sql, codec.Gzip), codec.Gzip, tg, LoadOptions{})
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("want *LoadError, got %T %v", err, err)
			}
			if le.ServerError() != tc.code || le.TestServerFault() != tc.serverFault {
				t.Errorf("ServerError %d TestServerFault %v, want %d %v: %v", le.ServerError(), le.TestServerFault(), tc.code, tc.serverFault, err)
			}
			if tc.at != nil && (le.At == nil || *le.At != *tc.at) {
				t.Errorf("At = %+v, want %+v", le.At, tc.at)
			}
			if tc.at != nil && !strings.Contains(err.Error(), tc.at.String()) {
				t.Errorf("Error() = %q does not say where: %q", err, tc.at)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Error() spans lines: %q", err)
			}
			if err := DropDatabases(context.Background(), db, tc.dropDatabases); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestEngineUnreachable(t *testing.T) {
	host, p, _ := net.SplitHostPort(testenv.DeadAddr(t))
	port, _ := strconv.Atoi(p)
	_, err := (&Engine{Parallel: 2}).Load(context.Background(), writeArtifact(t, engineDump("gdx", "(1,'a')"), codec.Gzip), codec.Gzip,
		Target{Host: host, Port: port, User: "root"}, LoadOptions{})
	var le *LoadError
	if !errors.As(err, &le) || !le.TestServerFault() || !strings.Contains(err.Error(), "connect to test server") {
		t.Fatalf("got %T %v; want a *LoadError that is the test server's fault", err, err)
	}
}

func TestEngineBadLogin(t *testing.T) {
	dst := testenv.StartMariaDB(t)
	tg := target(dst, "nobody", "wrong-password-for-nobody")
	_, err := (&Engine{}).Load(context.Background(), writeArtifact(t, engineDump("gdx", "(1,'a')"), codec.Gzip), codec.Gzip, tg, LoadOptions{})
	var le *LoadError
	if !errors.As(err, &le) || le.ServerError() != 1045 || !le.TestServerFault() {
		t.Fatalf("got %T %v; want access denied (1045), the test server's fault", err, err)
	}
	if strings.Contains(err.Error(), "wrong-password-for-nobody") {
		t.Errorf("the password leaked into %q", err)
	}
}

// TestEngineUnsupported: input that is not mysqldump/mariadb-dump output
// may hold client commands; the engine declines before touching the server.
func TestEngineUnsupported(t *testing.T) {
	dst := testenv.StartMariaDB(t)
	db := dst.DB(t)
	path := writeArtifact(t, "CREATE DATABASE gdplain;\nUSE gdplain;\nCREATE TABLE t (id INT);\n", codec.Gzip)
	_, err := (&Engine{}).Load(context.Background(), path, codec.Gzip, target(dst, "root", ""), LoadOptions{})
	if !errors.Is(err, ErrEngineUnsupported) {
		t.Fatalf("got %v, want ErrEngineUnsupported", err)
	}
	if got := schemas(t, db); slices.Contains(got, "gdplain") {
		t.Error("the engine ran statements of a dump it declined")
	}
}

func TestEngineArtifactErrors(t *testing.T) {
	dst := testenv.StartMariaDB(t)
	tg := target(dst, "root", "")
	unterminated := writeArtifact(t, engineDump("gdun", "(1,'a')")+"INSERT INTO t VALUES (2,'open\n", codec.Gzip)
	_, err := (&Engine{}).Load(context.Background(), unterminated, codec.Gzip, tg, LoadOptions{})
	var le *LoadError
	if !errors.As(err, &le) || le.TestServerFault() || !strings.Contains(err.Error(), "unterminated string") {
		t.Fatalf("got %T %v; want the artifact's syntax error", err, err)
	}
	_, err = (&Engine{}).Load(context.Background(), unterminated, codec.Zstd, tg, LoadOptions{})
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "not zstd data") {
		t.Fatalf("got %v; want a mislabelled artifact", err)
	}
	if err := DropDatabases(context.Background(), dst.DB(t), []string{"gdun"}); err != nil {
		t.Fatal(err)
	}
}

func TestEngineCancel(t *testing.T) {
	dst := testenv.StartMariaDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := (&Engine{}).Load(ctx, writeArtifact(t, engineDump("gdcancel", "(1,'a')"), codec.Gzip), codec.Gzip, target(dst, "root", ""), LoadOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestCheckLoaded(t *testing.T) {
	man := &job.Manifest{Tables: []job.TableCount{
		{Database: "nova", Table: "instances", Rows: 10},
		{Database: "nova", Table: "empty", Rows: 0},
		{Database: "mysql", Table: "user", Rows: 3},
	}}
	good := map[TableName]int64{{"nova", "instances"}: 10}
	tests := []struct {
		name   string
		loaded map[TableName]int64
		want   string
	}{
		{"all rows", good, ""},
		{"client reports none", nil, ""},
		{"short", map[TableName]int64{{"nova", "instances"}: 9}, "table nova.instances: the dump has 10 rows, the engine inserted 9"},
		{"not in the dump", func() map[TableName]int64 {
			m := maps.Clone(good)
			m[TableName{"nova", "ghost"}] = 1
			return m
		}(), "table nova.ghost: not in the dump's manifest, the engine inserted 1 rows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckLoaded(&LoadResult{Loaded: tc.loaded}, man)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if got := checkError(t, err); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
