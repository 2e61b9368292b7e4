package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gravedancer/internal/config"
	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
	engine "gravedancer/internal/restore"
	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
)

func once(t *testing.T, cfg *config.Config) map[string]report.Region {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, _, err := Once(ctx, cfg, OnceOptions{}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]report.Region{}
	for _, g := range rep.Regions {
		out[g.Region] = g
	}
	return out
}

func writeScript(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte("#!/bin/bash\nset -euo pipefail\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMissingConfiguredTableExcludesWithItsName(t *testing.T) {
	f := startFleet(t)
	cfg := env(t, f, map[string]string{
		"GD_REGIONS":      "REG1=" + f.reg1.Addr() + ",REG2=" + f.reg2.Addr(),
		"GD_CHECK_TABLES": "nova.instances,nova.no_such_table",
	})
	for region, g := range once(t, cfg) {
		if g.Outcome != report.OutcomeExcluded || g.Stage != job.StageRestore || !strings.Contains(g.Reason, "nova.no_such_table") {
			t.Errorf("%s: %s at %s: %q; want excluded at restore naming nova.no_such_table", region, g.Outcome, g.Stage, g.Reason)
		}
	}
}

// TestBrokenRestoreIsQuarantinedOthersUnaffected injects a statement the
// server rejects into REG1's dump stream (a dump tool wrapper), so dump and
// check pass and the restore fails.
func TestBrokenRestoreIsQuarantinedOthersUnaffected(t *testing.T) {
	f := startFleet(t)
	tool := writeScript(t, "dump-tool", fmt.Sprintf(`
if grep -q "port=\"*%d\"*" "${1#--defaults-extra-file=}"; then
  mariadb-dump "$@" | sed '0,/^UNLOCK TABLES;/s//UNLOCK TABLES;\nTHIS IS NOT SQL;/'
else
  exec mariadb-dump "$@"
fi
`, f.reg1.Port))
	cfg := env(t, f, map[string]string{"GD_REGIONS": "REG1=" + f.reg1.Addr() + ",REG2=" + f.reg2.Addr(), "GD_DUMP_TOOL": tool})
	users := accounts(t, f.test.DB(t))
	got := once(t, cfg)

	g1 := got["REG1"]
	if g1.Outcome != report.OutcomeExcluded || g1.Stage != job.StageRestore ||
		!strings.Contains(g1.Reason, "Error 1064") || !strings.Contains(g1.Reason, "statement at line") || !strings.Contains(g1.Reason, "quarantined as") {
		t.Errorf("REG1 = %s at %s: %q; want excluded at restore with the server's error and where it is, quarantined", g1.Outcome, g1.Stage, g1.Reason)
	}
	if g2 := got["REG2"]; g2.Outcome != report.OutcomeGood || g2.RowsVerified == 0 {
		t.Errorf("REG2 = %+v, want good and verified", g2)
	}
	spool := &store.Spool{Dir: cfg.SpoolDir}
	if list, _ := spool.List("REG1"); len(list) != 0 {
		t.Errorf("REG1's failed backup is still in the spool: %v", list)
	}
	if _, err := spool.GetLatest("REG1"); err == nil {
		t.Error("REG1's failed backup became latest")
	}
	if shipped, _ := filepath.Glob(filepath.Join(cfg.ShipDir, "*", "mdb_bkp_REG1-*")); len(shipped) != 0 {
		t.Errorf("REG1's failed backup was shipped: %v", shipped)
	}
	q, _ := filepath.Glob(filepath.Join(spool.QuarantineDir(), "mdb_bkp_REG1-*.sql.gz"))
	if len(q) != 1 {
		t.Errorf("quarantine holds %v, want REG1's artifact", q)
	}
	assertTestServerClean(t, f.test.DB(t), users)
	checkRunFinished(t, cfg, 1, 1)
}

// accounts snapshots the test server's users and grants.
func accounts(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query("SELECT CONCAT(user, '@', host, ' ', priv) FROM mysql.global_priv ORDER BY user, host")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

func assertTestServerClean(t *testing.T, db *sql.DB, users string) {
	t.Helper()
	if got := accounts(t, db); got != users {
		t.Errorf("test server accounts changed:\nbefore:\n%s\nafter:\n%s", users, got)
	}
	rows, err := db.Query("SHOW DATABASES")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		rows.Scan(&name)
		switch name {
		case "mysql", "sys", "performance_schema", "information_schema":
		case engine.LedgerSchema:
			var n int
			if err := db.QueryRow("SELECT COUNT(*) FROM `" + engine.LedgerSchema + "`.`restoring`").Scan(&n); err != nil || n != 0 {
				t.Errorf("restore ledger lists %d databases (%v), want none after the restores", n, err)
			}
		default:
			t.Errorf("restored database %q left on the test server", name)
		}
	}
}

// checkRunFinished asserts the run report was published on gd.run.finished.
func checkRunFinished(t *testing.T, cfg *config.Config, good, excluded int) {
	t.Helper()
	js := openState(t, cfg)
	s, err := js.Stream(context.Background(), pipeline.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(context.Background(), pipeline.SubjectRunFinished)
	if err != nil {
		t.Fatalf("no gd.run.finished: %v", err)
	}
	var rep report.Report
	if err := json.Unmarshal(m.Data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Good() != good || rep.Excluded() != excluded {
		t.Errorf("gd.run.finished: %d good %d excluded, want %d and %d", rep.Good(), rep.Excluded(), good, excluded)
	}
}

// TestTwoTestServersRestoreInParallel proves restores overlap: a restore tool
// wrapper makes each restore wait (bounded) until two have started, so with
// only one lease at a time the intervals could not overlap.
func TestTwoTestServersRestoreInParallel(t *testing.T) {
	f := startFleet(t)
	test2 := testenv.StartMariaDB(t)
	barrier := t.TempDir()
	tool := writeScript(t, "restore-tool", fmt.Sprintf(`
touch %[1]q/$$
for _ in $(seq 1 200); do
  [ "$(ls %[1]q | wc -l)" -ge 2 ] && break
  sleep 0.05
done
exec mariadb "$@"
`, barrier))
	cfg := env(t, f, map[string]string{
		"GD_REGIONS":      "REG1=" + f.reg1.Addr() + ",REG2=" + f.reg2.Addr(),
		"GD_TEST_SERVERS": f.test.Addr() + "," + test2.Addr(),
		"GD_RESTORE_TOOL": tool,
		// The barrier lives in the client tool, so restore through it.
		"GD_RESTORE_METHOD": "client",
	})
	got := once(t, cfg)
	var spans [][2]time.Time
	servers := map[string]bool{}
	for region, g := range got {
		if g.Outcome != report.OutcomeGood {
			t.Fatalf("%s: %s %s", region, g.Outcome, g.Reason)
		}
		servers[g.TestServer] = true
		for _, r := range g.Stages {
			if r.Stage == job.StageRestore {
				spans = append(spans, [2]time.Time{r.Started, r.Finished})
			}
		}
	}
	if len(servers) != 2 {
		t.Errorf("restores used test servers %v, want both", servers)
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0].Before(spans[j][0]) })
	if len(spans) != 2 || !spans[1][0].Before(spans[0][1]) {
		t.Errorf("restore intervals %v do not overlap", spans)
	}
}

func TestShipFailureKeepsLocalVerifiedCopy(t *testing.T) {
	f := startFleet(t)
	cfg := env(t, f, map[string]string{"GD_REGIONS": "REG1=" + f.reg1.Addr()})
	cfg.ShipDir = filepath.Join(t.TempDir(), "not-mounted")
	g := once(t, cfg)["REG1"]
	if g.Outcome != report.OutcomeExcluded || g.Stage != job.StageShip || !strings.Contains(g.Reason, "local verified copy kept") {
		t.Fatalf("REG1 = %s at %s: %q", g.Outcome, g.Stage, g.Reason)
	}
	list, _ := (&store.Spool{Dir: cfg.SpoolDir}).List("REG1")
	if len(list) != 1 || list[0].Verified == nil || list[0].Shipped != nil {
		t.Fatalf("spool after failed ship = %+v, want the verified, unshipped artifact", list)
	}
	if _, err := os.Stat(list[0].Path); err != nil {
		t.Errorf("local copy: %v", err)
	}
}
