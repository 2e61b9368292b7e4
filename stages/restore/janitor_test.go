package restore

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"gravedancer/internal/lease"
	engine "gravedancer/internal/restore"
	"gravedancer/internal/testenv"
)

// sweepEnv is a test server with a restore user, and the lease bucket.
type sweepEnv struct {
	server *testenv.MariaDB
	db     *sql.DB
	leases *lease.Leases
	stage  *Stage
}

func newSweepEnv(t *testing.T, extraServers ...string) *sweepEnv {
	t.Helper()
	m := testenv.StartMariaDB(t)
	m.CreateUser(t, "restoreuser", "sweep pw", "ALL PRIVILEGES ON *.*")
	_, url := testenv.StartNATS(t)
	js := testenv.ConnectNATS(t, url)
	leases, err := lease.Open(t.Context(), js, 5*time.Second, "janitor-test", 1)
	if err != nil {
		t.Fatal(err)
	}
	st := &Stage{Servers: append([]string{m.Addr()}, extraServers...), User: "restoreuser", Password: "sweep pw",
		Leases: leases, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return &sweepEnv{server: m, db: m.DB(t), leases: leases, stage: st}
}

func databases(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT schema_name FROM information_schema.schemata ORDER BY schema_name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func ledger(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query("SELECT db FROM `" + engine.LedgerSchema + "`.`restoring` ORDER BY db")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// TestSweepDropsWhatADeadRestoreLeft: databases an interrupted restore left
// (listed in the ledger on the test server) are dropped by the sweep once
// the server is free; a database the ledger does not list is never touched,
// a leased server is left to its restore, and a dead server is no error.
func TestSweepDropsWhatADeadRestoreLeft(t *testing.T) {
	e := newSweepEnv(t, testenv.DeadAddr(t))
	ctx := t.Context()
	if err := engine.MarkRestoring(ctx, e.db, "REG1", "r1", []string{"nova", "keystone"}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"CREATE DATABASE nova", "CREATE TABLE nova.t (id INT PRIMARY KEY)", "INSERT INTO nova.t VALUES (1)",
		"CREATE DATABASE keystone", "CREATE DATABASE operator_own"} {
		if _, err := e.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}

	// Leased by a live restore: the sweep leaves the server alone.
	held, _, err := e.leases.Acquire(ctx, []string{e.server.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.stage.Sweep(ctx); err != nil {
		t.Fatalf("sweep of a leased server: %v", err)
	}
	if got := databases(t, e.db); !slices.Contains(got, "nova") {
		t.Fatalf("sweep dropped nova while the server was leased: %v", got)
	}
	if err := held.Release(context.WithoutCancel(ctx)); err != nil {
		t.Fatal(err)
	}

	if err := e.stage.Sweep(ctx); err != nil {
		t.Fatalf("sweep: %v", err)
	}
	got := databases(t, e.db)
	for _, gone := range []string{"nova", "keystone"} {
		if slices.Contains(got, gone) {
			t.Errorf("%s still on the test server after the sweep: %v", gone, got)
		}
	}
	if !slices.Contains(got, "operator_own") {
		t.Errorf("the sweep dropped operator_own, which the ledger does not list: %v", got)
	}
	if l := ledger(t, e.db); len(l) != 0 {
		t.Errorf("ledger after sweep = %v, want empty", l)
	}
	if h, _ := e.leases.Holder(ctx, e.server.Addr()); h != "" {
		t.Errorf("sweep kept the lease: holder %q", h)
	}
}

// TestSweepOfAServerThatNeverRestored: no ledger is nothing to do.
func TestSweepOfAServerThatNeverRestored(t *testing.T) {
	e := newSweepEnv(t)
	before := databases(t, e.db)
	if err := e.stage.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	if after := databases(t, e.db); !slices.Equal(before, after) {
		t.Errorf("databases %v → %v", before, after)
	}
}

// TestJanitorSweepsUntilStopped: the background loop cleans a server soon
// after it is free, and Stop returns.
func TestJanitorSweepsUntilStopped(t *testing.T) {
	e := newSweepEnv(t)
	if err := engine.MarkRestoring(t.Context(), e.db, "REG1", "r1", []string{"neutron"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Exec("CREATE DATABASE neutron"); err != nil {
		t.Fatal(err)
	}
	j := &Janitor{Stage: e.stage, Every: 50 * time.Millisecond}
	j.Start(t.Context())
	deadline := time.Now().Add(30 * time.Second)
	for slices.Contains(databases(t, e.db), "neutron") {
		if time.Now().After(deadline) {
			t.Fatal("janitor did not drop neutron within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	j.Stop()
}

// TestLedgerIsNeverDropped: neither a restore's cleanup nor a dump can
// drop or overwrite the ledger.
func TestLedgerIsNeverDropped(t *testing.T) {
	for _, n := range []string{engine.LedgerSchema, "GRAVEDANCER_LEDGER"} {
		if err := engine.DropDatabases(t.Context(), nil, []string{"nova", n}); err == nil {
			t.Errorf("DropDatabases accepted %q", n)
		}
	}
}
