package bench

import (
	"context"
	"database/sql"
	"io"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"gravedancer/internal/mysqlx"
	"gravedancer/internal/testenv"
)

func TestGenerate(t *testing.T) {
	m := testenv.StartMariaDB(t)
	db := m.DB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Above the 2.65 MB every -A dump of a 10.11 server carries anyway.
	const target = 6 << 20
	st, err := Generate(ctx, db, target, 42)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated %d tables, %d rows, ~%d dump bytes in %v", len(st.Tables), st.Rows, st.DumpBytes, st.Elapsed)

	for _, d := range []string{"keystone", "nova", "nova_api", "neutron", "glance", "cinder", "heat", "placement"} {
		if !slices.Contains(st.Databases, d) {
			t.Errorf("database %s not generated; got %v", d, st.Databases)
		}
	}
	if len(st.Tables) < 40 {
		t.Errorf("%d tables, want dozens", len(st.Tables))
	}
	for _, ts := range st.Tables {
		var n int64
		q := "SELECT COUNT(*) FROM " + mysqlx.QuoteIdent(ts.Database) + "." + mysqlx.QuoteIdent(ts.Table)
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != ts.Rows || n == 0 {
			t.Errorf("%s.%s has %d rows, Stats says %d", ts.Database, ts.Table, n, ts.Rows)
		}
	}
	for _, ref := range slices.Concat(SeedCheckExist, SeedCheckRows) {
		d, tbl, _ := strings.Cut(ref, ".")
		if !slices.ContainsFunc(st.Tables, func(ts TableStats) bool { return ts.Database == d && ts.Table == tbl }) {
			t.Errorf("seed check table %s not generated", ref)
		}
	}

	// The shapes the dumpers and loaders must cope with.
	schemas := "'" + strings.Join(st.Databases, "','") + "'"
	for what, q := range map[string]string{
		"a table without a primary key": `SELECT COUNT(*) FROM information_schema.tables t WHERE t.table_schema IN (` + schemas + `)
			AND NOT EXISTS (SELECT 1 FROM information_schema.table_constraints c WHERE c.table_schema = t.table_schema
			AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY')`,
		"a secondary unique index": `SELECT COUNT(*) FROM information_schema.table_constraints WHERE table_schema IN (` + schemas + `)
			AND constraint_type = 'UNIQUE'`,
		"a foreign key": `SELECT COUNT(*) FROM information_schema.table_constraints WHERE table_schema IN (` + schemas + `)
			AND constraint_type = 'FOREIGN KEY'`,
		"a latin1 column": `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema IN (` + schemas + `)
			AND character_set_name = 'latin1'`,
		"4-byte characters":      `SELECT COUNT(*) FROM nova.instances WHERE display_description LIKE '%🚀%' OR display_description LIKE '%😀%'`,
		"quotes and backslashes": `SELECT COUNT(*) FROM nova.instances WHERE display_description LIKE '%O''Reilly%' OR display_description LIKE '%\\\\%'`,
		"NULLs":                  `SELECT COUNT(*) FROM nova.instances WHERE user_data IS NULL`,
	} {
		var n int64
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n == 0 {
			t.Errorf("no %s", what)
		}
	}

	// The estimate is what sizes the benchmark: hold it against the dump.
	dumped := dumpSize(t, m)
	t.Logf("mariadb-dump -A wrote %d bytes; Stats estimated %d (target %d)", dumped, st.DumpBytes, int64(target))
	if r := float64(dumped) / float64(st.DumpBytes); r < 0.9 || r > 1.1 {
		t.Errorf("dump is %d bytes, estimate %d (ratio %.3f)", dumped, st.DumpBytes, r)
	}
	if r := float64(dumped) / target; r < 0.8 || r > 1.2 {
		t.Errorf("dump is %d bytes, target %d (ratio %.3f, want within 20%%)", dumped, int64(target), r)
	}

	// Same seed, same data; another seed, other data.
	first := checksums(ctx, t, db, st)
	if _, err := Generate(ctx, db, target, 42); err != nil {
		t.Fatal(err)
	}
	if again := checksums(ctx, t, db, st); !maps.Equal(first, again) {
		t.Errorf("seed 42 twice gave different data:\n%v\n%v", first, again)
	}
	if _, err := Generate(ctx, db, target, 43); err != nil {
		t.Fatal(err)
	}
	if other := checksums(ctx, t, db, st); other["nova.instances"] == first["nova.instances"] {
		t.Errorf("seeds 42 and 43 gave the same nova.instances (checksum %s)", other["nova.instances"])
	}
}

func checksums(ctx context.Context, t *testing.T, db *sql.DB, st Stats) map[string]string {
	t.Helper()
	var names []string
	for _, ts := range st.Tables {
		names = append(names, mysqlx.QuoteIdent(ts.Database)+"."+mysqlx.QuoteIdent(ts.Table))
	}
	rows, err := db.QueryContext(ctx, "CHECKSUM TABLE "+strings.Join(names, ", "))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name string
		var sum sql.NullString
		if err := rows.Scan(&name, &sum); err != nil {
			t.Fatal(err)
		}
		out[name] = sum.String
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) != len(st.Tables) {
		t.Fatalf("CHECKSUM TABLE returned %d rows for %d tables", len(out), len(st.Tables))
	}
	return out
}

// dumpSize runs mariadb-dump -A with the flags gravedancer's dumper uses
// and counts its output.
func dumpSize(t *testing.T, m *testenv.MariaDB) int64 {
	t.Helper()
	tool, err := exec.LookPath("mariadb-dump")
	if err != nil {
		testenv.Require(t, "mariadb-dump not found (install mariadb-client)")
	}
	defaults, err := mysqlx.WriteDefaultsFile(t.TempDir(), mysqlx.Credentials{Host: m.Host, Port: m.Port, User: "root"})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tool, append([]string{"--defaults-extra-file=" + defaults}, dumpFlags...)...)
	var n countWriter
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &n, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("mariadb-dump: %v\n%s", err, stderr.String())
	}
	return int64(n)
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

var _ io.Writer = (*countWriter)(nil)

// dumpFlags are the flags the brief gives for gravedancer's dumper (its
// default consistency). The fleet benchmark takes them from a manifest
// instead; the size check only needs a full dump.
var dumpFlags = []string{"--all-databases", "--routines", "--events", "--triggers", "--single-transaction", "--quick"}
