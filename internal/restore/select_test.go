package restore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gravedancer/internal/codec"
	"gravedancer/internal/mysqlx"
	"gravedancer/internal/sqldump"
	"gravedancer/internal/testenv"
)

// latinRich makes the rich database's collation differ from the one its
// trigger and routines were created under, so mariadb-dump switches it
// around them with ALTER DATABASE `rich` … and back.
const latinRich = "ALTER DATABASE rich CHARACTER SET latin1 COLLATE latin1_swedish_ci;\n"

// testDump is a dump taken with mariadb-dump itself.
type testDump struct {
	path       string // zstd artifact
	text       string // decompressed
	statements int64  // every statement, as the manifest counts them
}

// mariadbDump dumps m with the flags the dump stage uses plus extra.
func mariadbDump(t *testing.T, m *testenv.MariaDB, extra ...string) *testDump {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"--no-defaults", "--protocol=tcp", "--host=" + m.Host, "--port=" + strconv.Itoa(m.Port), "--user=root",
		"--all-databases", "--routines", "--events", "--triggers", "--default-character-set=binary", "--single-transaction"}, extra...)
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "mariadb-dump", args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mariadb-dump %s: %v: %s", strings.Join(extra, " "), err, stderr.String())
	}
	sum, err := sqldump.Count(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	return &testDump{path: writeArtifact(t, string(out), codec.Zstd), text: string(out), statements: sum.Statements}
}

// restored is one database a selective load must produce.
type restored struct {
	from, as string
	tables   []string // the restored tables; nil: all of from's (whole database)
}

// schemaState is what a test compares between source and target.
type schemaState struct {
	sums    map[string]string // table → CHECKSUM TABLE
	objects []string          // "view v", "trigger t ON tbl", "routine PROCEDURE p", "event e"
	collate []string          // "routine p: database collation" (ALTER DATABASE around it)
	charset string            // the database's default character set
}

// selfKept are system tables the server writes to by itself (persistent
// statistics), so the source's may have changed since the dump; a copy of
// the mysql schema has them too. No user database here has such a table.
var selfKept = []string{"innodb_index_stats", "innodb_table_stats"}

func stateOf(t testing.TB, db *sql.DB, schema string) schemaState {
	t.Helper()
	st := schemaState{sums: map[string]string{}}
	for _, row := range queryStrings(t, db, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA = ?", schema) {
		if slices.Contains(selfKept, row) {
			continue
		}
		var n, sum sql.NullString
		if err := db.QueryRow("CHECKSUM TABLE "+mysqlx.QuoteIdent(schema)+"."+mysqlx.QuoteIdent(row)).Scan(&n, &sum); err != nil {
			t.Fatalf("checksum %s.%s: %v", schema, row, err)
		}
		st.sums[row] = sum.String
	}
	for _, q := range []string{
		"SELECT CONCAT('view ', TABLE_NAME) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?",
		"SELECT CONCAT('trigger ', TRIGGER_NAME, ' ON ', EVENT_OBJECT_TABLE) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?",
		"SELECT CONCAT('routine ', ROUTINE_TYPE, ' ', ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?",
		"SELECT CONCAT('event ', EVENT_NAME) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?",
	} {
		st.objects = append(st.objects, queryStrings(t, db, q+" ORDER BY 1", schema)...)
	}
	st.collate = append(queryStrings(t, db, "SELECT CONCAT(ROUTINE_NAME, ': ', DATABASE_COLLATION) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY 1", schema),
		queryStrings(t, db, "SELECT CONCAT(TRIGGER_NAME, ': ', DATABASE_COLLATION) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY 1", schema)...)
	if cs := queryStrings(t, db, "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", schema); len(cs) == 1 {
		st.charset = cs[0]
	}
	return st
}

// only narrows a whole database's state to what restoring tables brings:
// those tables and the triggers on them.
func (s schemaState) only(tables []string) schemaState {
	if tables == nil {
		return s
	}
	out := schemaState{sums: map[string]string{}, charset: s.charset}
	for _, tbl := range tables {
		out.sums[tbl] = s.sums[tbl]
	}
	for _, o := range s.objects {
		if name, on, ok := strings.Cut(strings.TrimPrefix(o, "trigger "), " ON "); ok && strings.HasPrefix(o, "trigger ") && slices.Contains(tables, on) {
			out.objects = append(out.objects, o)
			out.collate = append(out.collate, collationOf(s.collate, name)...)
		}
	}
	return out
}

func collationOf(lines []string, name string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, name+": ") {
			out = append(out, l)
		}
	}
	return out
}

// userSchemas lists the databases on db that are not system schemas.
func userSchemas(t testing.TB, db *sql.DB) []string {
	t.Helper()
	return slices.DeleteFunc(schemas(t, db), isSystem)
}

// TestSelect restores parts of one real dump of the sample and the rich
// schema, each onto its own test server (or next to the original), and
// requires each to hold exactly what was selected, equal to the source:
// CHECKSUM TABLE of every restored table, the views, triggers, routines and
// events, the database collation of triggers and routines, and nothing
// else. The dumps are mariadb-dump's own, with and without
// --add-drop-database.
func TestSelect(t *testing.T) {
	src := source(t)
	src.ExecScript(t, richSQL)
	src.ExecScript(t, latinRich)
	srcDB := src.DB(t)
	plain := mariadbDump(t, src)
	drops := mariadbDump(t, src, "--add-drop-database")
	for _, want := range []string{"ALTER DATABASE `rich` CHARACTER SET utf8mb4", "ALTER DATABASE `rich` CHARACTER SET latin1"} {
		if !strings.Contains(plain.text, want) {
			t.Fatalf("the dump has no %q: the test proves nothing about it", want)
		}
	}
	if !strings.Contains(drops.text, "DROP DATABASE IF EXISTS `rich`") {
		t.Fatal("the --add-drop-database dump drops no database")
	}
	want := map[string]schemaState{}
	for _, s := range []string{"rich", "nova", "keystone", "neutron", "mysql"} {
		want[s] = stateOf(t, srcDB, s)
	}
	sourceSchemas := userSchemas(t, srcDB)
	sourceAccounts := accounts(t, srcDB)

	tests := []selectCase{
		{name: "one database", dump: plain, sel: Selection{Databases: []string{"rich"}},
			want: []restored{{from: "rich", as: "rich"}}},
		{name: "one table and its trigger", dump: plain, sel: Selection{Tables: []TableName{{"rich", "gen"}}},
			want: []restored{{from: "rich", as: "rich", tables: []string{"gen"}}}},
		{name: "tables of two databases", dump: drops,
			sel:     Selection{Tables: []TableName{{"rich", "gen"}, {"nova", "instances"}, {"rich", "texts"}}},
			prepare: "CREATE DATABASE rich; CREATE TABLE rich.keep (id INT); INSERT INTO rich.keep VALUES (1);",
			want:    []restored{{from: "nova", as: "nova", tables: []string{"instances"}}, {from: "rich", as: "rich", tables: []string{"gen", "texts"}}},
			keep:    []string{"rich.keep"}},
		{name: "database into a new name next to the original", dump: drops, onSource: true,
			sel:  Selection{Databases: []string{"rich"}, Into: "rich`copy"},
			want: []restored{{from: "rich", as: "rich`copy"}}},
		{name: "tables into a new name", dump: plain,
			sel:  Selection{Tables: []TableName{{"rich", "gen"}, {"rich", "audit"}}, Into: "gen only"},
			want: []restored{{from: "rich", as: "gen only", tables: []string{"audit", "gen"}}}},
		{name: "system schema into a new name", dump: drops,
			sel:  Selection{Databases: []string{"mysql"}, Into: "mysql_copy"},
			want: []restored{{from: "mysql", as: "mysql_copy"}}},
		{name: "system schema, never dropped", dump: drops, sel: Selection{Databases: []string{"mysql"}},
			prepare: "CREATE TABLE mysql.gd_marker (id INT); INSERT INTO mysql.gd_marker VALUES (1);",
			want:    []restored{{from: "mysql", as: "mysql"}}, keep: []string{"mysql.gd_marker"}, accounts: sourceAccounts,
			// The dump recreates the mysql schema's routines after
			// inserting mysql.proc's rows, which stamps them anew.
			unequal: []string{"mysql.proc"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := src
			if !tc.onSource {
				dst = testenv.StartMariaDB(t)
			}
			db := dst.DB(t)
			if tc.prepare != "" {
				dst.ExecScript(t, tc.prepare)
			}
			wantAccounts := tc.accounts
			if wantAccounts == nil {
				wantAccounts = accounts(t, db)
			}
			res, err := (&Engine{Parallel: 4}).Load(context.Background(), tc.dump.path, codec.Zstd, target(dst, "root", ""), LoadOptions{Select: &tc.sel})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			checkRestored(t, db, res, tc.want, want, slices.Concat(tc.keep, tc.unequal))
			if res.Statements+res.Skipped != tc.dump.statements {
				t.Errorf("sent %d + skipped %d != %d statements in the dump", res.Statements, res.Skipped, tc.dump.statements)
			}
			if got, wantSchemas := userSchemas(t, db), tc.schemas(sourceSchemas); !slices.Equal(got, wantSchemas) {
				t.Errorf("user databases on the target: %q, want %q", got, wantSchemas)
			}
			for _, k := range tc.keep {
				if got := queryStrings(t, db, "SELECT COUNT(*) FROM "+k); !slices.Equal(got, []string{"1"}) {
					t.Errorf("%s, on the target before the restore, now has %q rows", k, got)
				}
			}
			if tc.onSource {
				for s, w := range want {
					if got := stateOf(t, db, s); !isSystem(s) && !equalState(got, w) {
						t.Errorf("the original %s changed:\n got %+v\nwant %+v", s, got, w)
					}
				}
			}
			if got := accounts(t, db); !slices.Equal(got, wantAccounts) {
				t.Errorf("the target's accounts:\n got %q\nwant %q", got, wantAccounts)
			}
		})
	}
}

// selectCase is one selective restore of TestSelect.
type selectCase struct {
	name     string
	dump     *testDump
	sel      Selection
	onSource bool   // restore next to the original instead of onto a new server
	prepare  string // run on the target first
	want     []restored
	keep     []string // "db.table" the target had before and must still have
	accounts []string // the target's accounts afterwards; nil: unchanged
	unequal  []string // "db.table" restored but, for a reason given, not equal to the source's
}

// schemas is the user databases the target must hold afterwards, sorted:
// the restored ones, the prepared ones, and the source's own when
// restoring next to them.
func (tc *selectCase) schemas(source []string) []string {
	var out []string
	if tc.onSource {
		out = append(out, source...)
	}
	for _, k := range tc.keep {
		if db, _, _ := strings.Cut(k, "."); !isSystem(db) {
			out = append(out, db)
		}
	}
	for _, r := range tc.want {
		if !isSystem(r.as) {
			out = append(out, r.as)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// checkRestored compares each restored database with its source, and the
// load's result with what it restored; the contents of the tables in apart
// ("db.table") are not compared.
func checkRestored(t *testing.T, db *sql.DB, res *LoadResult, want []restored, source map[string]schemaState, apart []string) {
	t.Helper()
	var names []string
	for _, r := range want {
		names = append(names, r.as)
		wantState := source[r.from].only(r.tables)
		got := stateOf(t, db, r.as)
		if r.tables != nil {
			got = got.only(r.tables)
		}
		for _, k := range apart {
			if tbl, ok := strings.CutPrefix(k, r.as+"."); ok {
				delete(got.sums, tbl)
				delete(wantState.sums, tbl)
			}
		}
		if !equalState(got, wantState) {
			t.Errorf("%s restored as %s:\n got %+v\nwant %+v", r.from, r.as, got, wantState)
		}
		for tbl := range got.sums {
			n := queryStrings(t, db, "SELECT COUNT(*) FROM "+mysqlx.QuoteIdent(r.as)+"."+mysqlx.QuoteIdent(tbl))
			if loaded := strconv.FormatInt(res.Loaded[TableName{r.as, tbl}], 10); !slices.Equal(n, []string{loaded}) {
				t.Errorf("Loaded[%s.%s] = %s, the table has %q rows", r.as, tbl, loaded, n)
			}
		}
	}
	for name := range res.Loaded {
		if !slices.Contains(names, name.Database) {
			t.Errorf("Loaded has %s.%s, which was not restored under that name", name.Database, name.Table)
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(res.Databases)), slices.Sorted(slices.Values(names))) {
		t.Errorf("Databases = %q, want %q", res.Databases, names)
	}
}

func equalState(a, b schemaState) bool {
	return maps.Equal(a.sums, b.sums) && slices.Equal(a.objects, b.objects) && slices.Equal(a.collate, b.collate) && a.charset == b.charset
}

// TestSelectNotInDump: a selection naming what the dump lacks restores
// what it has, then says what was missing.
func TestSelectNotInDump(t *testing.T) {
	dst := testenv.StartMariaDB(t)
	db := dst.DB(t)
	path := writeArtifact(t, engineDump("gdsel", "(1,'a'),(2,'b')"), codec.Gzip)
	sel := &Selection{Databases: []string{"gdghost"}, Tables: []TableName{{"gdsel", "t"}, {"gdsel", "ghost"}}}
	res, err := (&Engine{Parallel: 2}).Load(context.Background(), path, codec.Gzip, target(dst, "root", ""), LoadOptions{Select: sel})
	if !errors.Is(err, ErrNotInDump) || !strings.Contains(err.Error(), "database gdghost, table gdsel.ghost") {
		t.Fatalf("got %v, want ErrNotInDump naming database gdghost and table gdsel.ghost", err)
	}
	if got := queryStrings(t, db, "SELECT COUNT(*) FROM gdsel.t"); !slices.Equal(got, []string{"2"}) || res.Loaded[TableName{"gdsel", "t"}] != 2 {
		t.Errorf("gdsel.t has %q rows, Loaded %d; want 2 restored", got, res.Loaded[TableName{"gdsel", "t"}])
	}
}

// TestEngineRejectsInvalidSelection: an invalid selection fails before the
// engine connects (the target does not even listen).
func TestEngineRejectsInvalidSelection(t *testing.T) {
	host, p, _ := net.SplitHostPort(testenv.DeadAddr(t))
	port, _ := strconv.Atoi(p)
	path := writeArtifact(t, engineDump("gdx", "(1,'a')"), codec.Gzip)
	sel := &Selection{Databases: []string{"a", "b"}, Into: "c"}
	_, err := (&Engine{}).Load(context.Background(), path, codec.Gzip, Target{Host: host, Port: port, User: "root"}, LoadOptions{Select: sel})
	if !errors.Is(err, ErrInvalidSelection) {
		t.Fatalf("got %v, want ErrInvalidSelection", err)
	}
}

// TestLoaderRejectsSelect: the client cannot restore part of a dump; it
// says so before writing a defaults file or connecting (the target does
// not even listen) rather than restoring everything.
func TestLoaderRejectsSelect(t *testing.T) {
	host, p, _ := net.SplitHostPort(testenv.DeadAddr(t))
	port, _ := strconv.Atoi(p)
	path := writeArtifact(t, engineDump("gdx", "(1,'a')"), codec.Gzip)
	for _, sel := range []*Selection{{Databases: []string{"gdx"}}, {}} {
		_, err := newLoader(t).Load(context.Background(), path, codec.Gzip, Target{Host: host, Port: port, User: "root"}, LoadOptions{Select: sel})
		if !errors.Is(err, ErrSelectNeedsEngine) {
			t.Errorf("Select %+v: got %v, want ErrSelectNeedsEngine", sel, err)
		}
	}
}

// progressDump is a dump in mariadb-dump's shape of about 2 MiB, in
// extended INSERTs of 50 rows.
func progressDump() (text string, rows int64) {
	var inserts []string
	for i := range 1400 {
		var b strings.Builder
		for j := range 50 {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,'progress row %06d')", i*50+j, i*50+j)
		}
		inserts = append(inserts, b.String())
	}
	return engineDump("gdprogress", inserts...), 1400 * 50
}

// TestProgress: both loaders report, never two calls at once, with
// figures that only grow, about every 256 KiB, and a last call that has
// the whole decompressed dump, every statement and (engine) every row.
func TestProgress(t *testing.T) {
	dst := testenv.StartMariaDB(t)
	db := dst.DB(t)
	text, rows := progressDump()
	path := writeArtifact(t, text, codec.Zstd)
	tests := []struct {
		method   string
		wantRows int64
	}{
		{MethodEngine, rows},
		{MethodClient, 0},
	}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			t.Cleanup(func() {
				if err := DropDatabases(context.Background(), db, []string{"gdprogress"}); err != nil {
					t.Error(err)
				}
			})
			var calls []Progress
			var inCall atomic.Int32
			opt := LoadOptions{Progress: func(p Progress) {
				if inCall.Add(1) != 1 {
					t.Error("Progress called while a call was running")
				}
				calls = append(calls, p)
				inCall.Add(-1)
			}}
			var l interface {
				Load(context.Context, string, string, Target, LoadOptions) (*LoadResult, error)
			} = newLoader(t)
			if tc.method == MethodEngine {
				l = &Engine{Parallel: 4}
			}
			res, err := l.Load(context.Background(), path, codec.Zstd, target(dst, "root", ""), opt)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			checkProgress(t, calls, int64(len(text)))
			last := calls[len(calls)-1]
			if last.Bytes != int64(len(text)) || last.Statements != res.Statements || last.Rows != tc.wantRows || last.Rows != sum(res.Loaded) {
				t.Errorf("last Progress %+v, want Bytes %d, Statements %d, Rows %d (Loaded sums to %d)",
					last, len(text), res.Statements, tc.wantRows, sum(res.Loaded))
			}
		})
	}
}

// checkProgress requires calls to grow and to come about every
// progressEvery bytes: no more often, and no gap much wider than one
// statement of the test dump past it.
func checkProgress(t *testing.T, calls []Progress, size int64) {
	t.Helper()
	if min := int(size / progressEvery); len(calls) < min {
		t.Fatalf("%d Progress calls for %d bytes, want at least %d", len(calls), size, min)
	}
	for i := 1; i < len(calls); i++ {
		prev, cur := calls[i-1], calls[i]
		if cur.Bytes < prev.Bytes || cur.Statements < prev.Statements || cur.Rows < prev.Rows {
			t.Errorf("Progress went back: %+v after %+v", cur, prev)
		}
		if gap := cur.Bytes - prev.Bytes; i < len(calls)-1 && (gap < progressEvery || gap > 2*progressEvery) {
			t.Errorf("Progress %d came %d bytes after the one before, want about %d", i, gap, progressEvery)
		}
	}
}

func sum(loaded map[TableName]int64) int64 {
	var n int64
	for _, r := range loaded {
		n += r
	}
	return n
}
