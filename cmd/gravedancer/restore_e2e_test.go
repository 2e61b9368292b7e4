package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gravedancer/internal/catalog"
	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
)

const targetPassword = `t4rget "pw" #x'`

// restoreFixture is a fleet whose backups are restored for real.
type restoreFixture struct {
	env    map[string]string
	reg1   *testenv.MariaDB // binary logging on: its manifests carry coordinates
	reg2   *testenv.MariaDB
	target *testenv.MariaDB // the server the data comes back to
	sshd   *testenv.SSHD
}

func newRestoreFixture(t *testing.T) *restoreFixture {
	t.Helper()
	dir := t.TempDir()
	f := &restoreFixture{
		reg1:   testenv.StartMariaDBArgs(t, "--log-bin=mysql-bin", "--server-id=1"),
		reg2:   testenv.StartMariaDB(t),
		target: testenv.StartMariaDB(t),
		sshd:   testenv.StartSSHD(t),
	}
	for r, m := range map[string]*testenv.MariaDB{"REG1": f.reg1, "REG2": f.reg2} {
		testenv.LoadSample(t, m, r)
		m.CreateUser(t, "backupuser", password, testenv.BackupGrants)
	}
	test := testenv.StartMariaDB(t)
	test.CreateUser(t, "restoreuser", restorePassword, restoreGrants)
	f.target.CreateUser(t, "admin", targetPassword, "ALL PRIVILEGES ON *.*")
	files := map[string]string{"source.password": password, "restore.password": restorePassword, "target.password": targetPassword}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "shipped"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.env = map[string]string{
		"GD_REGIONS":               fmt.Sprintf("REG1=%s,REG2=%s", f.reg1.Addr(), f.reg2.Addr()),
		"GD_SOURCE_USER":           "backupuser",
		"GD_SOURCE_PASSWORD_FILE":  filepath.Join(dir, "source.password"),
		"GD_TEST_SERVERS":          test.Addr(),
		"GD_RESTORE_USER":          "restoreuser",
		"GD_RESTORE_PASSWORD_FILE": filepath.Join(dir, "restore.password"),
		"GD_TARGET_PASSWORD_FILE":  filepath.Join(dir, "target.password"),
		"GD_SHIP":                  "dir,scp",
		"GD_SHIP_DIR":              filepath.Join(dir, "shipped"),
		"GD_SCP_HOST":              f.sshd.Host,
		"GD_SCP_PORT":              fmt.Sprint(f.sshd.Port),
		"GD_SCP_USER":              f.sshd.User,
		"GD_SCP_DIR":               f.sshd.Dir,
		"GD_SCP_KEY":               f.sshd.KeyFile,
		"GD_SCP_KNOWN_HOSTS":       f.sshd.KnownHosts,
		"GD_SPOOL_DIR":             filepath.Join(dir, "spool"),
		"GD_ENCRYPT":               "off", // plaintext: these tests read the dumps
		"GD_STATE_DIR":             filepath.Join(dir, "state"),
		"GD_LOG_FORMAT":            "json",
	}
	return f
}

func (f *restoreFixture) backup(t *testing.T) {
	t.Helper()
	if r := run(t, f.env, "backup"); r.Code != exitOK {
		t.Fatalf("backup: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
}

func (f *restoreFixture) catalog(t *testing.T, args ...string) []catalog.Backup {
	t.Helper()
	r := run(t, f.env, append([]string{"backups", "--json"}, args...)...)
	if r.Code != exitOK {
		t.Fatalf("backups --json: exit %d\n%s", r.Code, r.Stderr)
	}
	var out []catalog.Backup
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
		t.Fatalf("backups --json: %v\n%s", err, r.Stdout)
	}
	return out
}

// restore runs `gravedancer restore` against the target as admin.
func (f *restoreFixture) restore(t *testing.T, args ...string) testenv.Result {
	t.Helper()
	return run(t, f.env, append([]string{"restore", "--to", f.target.Addr(), "--user", "admin"}, args...)...)
}

// checksums is CHECKSUM TABLE of every base table of db.
func checksums(t *testing.T, db *sql.DB, database string) map[string]int64 {
	t.Helper()
	rows, err := db.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE'", database)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	out := map[string]int64{}
	for _, n := range names {
		var name string
		var sum sql.NullInt64
		if err := db.QueryRow(fmt.Sprintf("CHECKSUM TABLE `%s`.`%s`", database, n)).Scan(&name, &sum); err != nil {
			t.Fatal(err)
		}
		out[n] = sum.Int64
	}
	return out
}

// objects counts views, triggers, routines and events of db.
func objects(t *testing.T, db *sql.DB, database string) [4]int {
	t.Helper()
	var n [4]int
	for i, q := range []string{
		"SELECT COUNT(*) FROM information_schema.views WHERE table_schema = ?",
		"SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = ?",
		"SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = ?",
		"SELECT COUNT(*) FROM information_schema.events WHERE event_schema = ?",
	} {
		if err := db.QueryRow(q, database).Scan(&n[i]); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func sameChecksums(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	if len(got) == 0 || len(got) != len(want) {
		t.Errorf("%s: %d tables, want %d", what, len(got), len(want))
	}
	for table, sum := range want {
		if got[table] != sum {
			t.Errorf("%s: CHECKSUM TABLE %s = %d, want %d", what, table, got[table], sum)
		}
	}
}

func wantOutput(t *testing.T, what string, r testenv.Result, code int, wants ...string) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, r.Code, code, r.Stdout, r.Stderr)
	}
	for _, w := range wants {
		if !strings.Contains(r.Stdout+r.Stderr, w) {
			t.Errorf("%s: output lacks %q\nstdout:\n%s\nstderr:\n%s", what, w, r.Stdout, r.Stderr)
		}
	}
}

func TestRestoreFromCatalog(t *testing.T) {
	f := newRestoreFixture(t)
	f.backup(t)
	// The second backup differs from the first by one instance row, so
	// --at can be told apart from latest.
	f.reg1.Exec(t, "INSERT INTO nova.instances (uuid, hostname, vm_state, created_at) SELECT REPLACE(UUID(),'-',''), 'extra', 'active', NOW() FROM DUAL")
	f.backup(t)

	all := f.catalog(t, "--region", "REG1")
	if len(all) != 2 {
		t.Fatalf("catalog of REG1: %d backups, want 2: %+v", len(all), all)
	}
	first, latest := all[0], all[1]
	for _, b := range all {
		if b.Verified == nil || b.Local == "" || len(b.SHA256) != 64 || b.Rows == 0 {
			t.Errorf("%s: verified %v local %q sha256 %q rows %d", b.File, b.Verified, b.Local, b.SHA256, b.Rows)
		}
		if len(b.Copies) != 2 {
			t.Errorf("%s: copies %+v, want dir and scp", b.File, b.Copies)
		}
		if b.Binlog == nil || b.Binlog.File == "" || b.Binlog.Position == 0 {
			t.Errorf("%s: binlog %+v, want the source's coordinates (log-bin is on)", b.File, b.Binlog)
		}
	}
	if first.Latest || !latest.Latest {
		t.Errorf("latest marker: first %v, second %v", first.Latest, latest.Latest)
	}
	if got := f.catalog(t, "--region", "REG2"); len(got) != 2 || got[0].Binlog != nil {
		t.Errorf("REG2 (no binlog): %+v", got)
	}

	src := f.reg1.DB(t)
	dst := f.target.DB(t)

	t.Run("dry run touches nothing", func(t *testing.T) {
		r := f.restore(t, "--region", "REG1", "--dry-run")
		wantOutput(t, "dry run", r, exitOK, latest.File, "keystone", "nova", "neutron", "dry run: nothing fetched")
		var n int
		if err := dst.QueryRow("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name IN ('keystone','nova','neutron')").Scan(&n); err != nil || n != 0 {
			t.Errorf("after a dry run the target holds %d of the databases (%v)", n, err)
		}
	})

	t.Run("whole latest equals the source", func(t *testing.T) {
		r := f.restore(t, "--region", "REG1", "latest")
		wantOutput(t, "restore latest", r, exitOK, latest.File, "rows equal to the manifest", "binlog:", latest.Binlog.File, "mariadb-binlog --start-position=")
		for _, db := range []string{"keystone", "nova", "neutron"} {
			sameChecksums(t, db, checksums(t, dst, db), checksums(t, src, db))
			if got, want := objects(t, dst, db), objects(t, src, db); got != want {
				t.Errorf("%s views/triggers/routines/events = %v, want %v", db, got, want)
			}
		}
		assertNoPassword(t, map[string]string{"GD_TARGET_PASSWORD": targetPassword}, r.Stdout, r.Stderr)
	})

	t.Run("existing databases are refused without --force", func(t *testing.T) {
		r := f.restore(t, "--region", "REG1", "--databases", "keystone")
		wantOutput(t, "refused", r, exitUsage, "already exist", "database keystone", "--force")
		r = f.restore(t, "--region", "REG1", "--databases", "keystone", "--force")
		wantOutput(t, "forced", r, exitOK, "--force: dropping database keystone")
		sameChecksums(t, "keystone after --force", checksums(t, dst, "keystone"), checksums(t, src, "keystone"))
	})

	t.Run("one database under another name, as of the first backup", func(t *testing.T) {
		r := f.restore(t, "--region", "REG1", "--at", first.Time.In(time.UTC).Format(time.DateTime), "--databases", "nova", "--into-database", "nova_then")
		wantOutput(t, "into", r, exitOK, first.File, "nova_then")
		var then, now int
		if err := dst.QueryRow("SELECT COUNT(*) FROM nova_then.instances").Scan(&then); err != nil {
			t.Fatal(err)
		}
		if err := src.QueryRow("SELECT COUNT(*) FROM nova.instances").Scan(&now); err != nil {
			t.Fatal(err)
		}
		if then != now-1 {
			t.Errorf("nova_then.instances has %d rows, want %d (the first backup's, one fewer than now)", then, now-1)
		}
		if got, want := objects(t, dst, "nova_then"), objects(t, src, "nova"); got != want {
			t.Errorf("nova_then objects %v, want %v", got, want)
		}
	})

	t.Run("one table only", func(t *testing.T) {
		r := f.restore(t, "--region", "REG1", "--tables", "neutron.ports", "--into-database", "ports_only")
		wantOutput(t, "tables", r, exitOK, "ports_only")
		got := checksums(t, dst, "ports_only")
		if len(got) != 1 || got["ports"] != checksums(t, src, "neutron")["ports"] {
			t.Errorf("ports_only holds %v, want only ports with the source's checksum", got)
		}
	})

	t.Run("a corrupted artifact is refused before the target sees it", func(t *testing.T) {
		reg2 := f.catalog(t, "--region", "REG2")[1]
		data, err := os.ReadFile(reg2.Local)
		if err != nil {
			t.Fatal(err)
		}
		bad := append([]byte(nil), data...)
		bad[len(bad)/2] ^= 0xff
		if err := os.WriteFile(reg2.Local, bad, 0o640); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.WriteFile(reg2.Local, data, 0o640) })
		r := f.restore(t, "--region", "REG2", "--databases", "nova", "--into-database", "nova_bad")
		wantOutput(t, "corrupt", r, exitFailed, "failed its check", "nothing was sent to the target")
		var n int
		if err := dst.QueryRow("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'nova_bad'").Scan(&n); err != nil || n != 0 {
			t.Errorf("nova_bad exists on the target (%d, %v)", n, err)
		}
	})

	t.Run("pruned locally: fetched from dir, then scp", func(t *testing.T) {
		for _, p := range store.Sidecars(latest.Local) {
			_ = os.Remove(p)
		}
		_ = os.Remove(store.ManifestPath(latest.Local))
		again := f.catalog(t, "--region", "REG1")[1]
		if again.Local != "" || again.Verified == nil || len(again.Copies) != 2 {
			t.Fatalf("after pruning: %+v, want no local copy, still verified (from the run report), copies on dir and scp", again)
		}
		r := f.restore(t, "--region", "REG1", "--databases", "neutron", "--into-database", "neutron_dir")
		wantOutput(t, "from dir", r, exitOK, "fetching "+latest.File+" from dir")
		sameChecksums(t, "neutron_dir", checksums(t, dst, "neutron_dir"), checksums(t, src, "neutron"))

		if err := os.RemoveAll(f.env["GD_SHIP_DIR"]); err != nil {
			t.Fatal(err)
		}
		r = f.restore(t, "--region", "REG1", "--databases", "neutron", "--into-database", "neutron_scp")
		wantOutput(t, "from scp", r, exitOK, "fetching "+latest.File+" from scp")
		sameChecksums(t, "neutron_scp", checksums(t, dst, "neutron_scp"), checksums(t, src, "neutron"))
	})

	t.Run("verify re-proves an old backup and the catalog records it", func(t *testing.T) {
		r := run(t, f.env, "verify", "--region", "REG1", "--artifact", first.File)
		wantOutput(t, "verify", r, exitOK, "1 good, 0 excluded")
		got := f.catalog(t, "--region", "REG1")[0]
		if got.Audit == nil || got.Audit.Outcome != "good" || got.Verified == nil || !got.Verified.At.After(first.Verified.At) {
			t.Errorf("after verify: audit %+v verified %+v, want a good audit and a newer verification than %v", got.Audit, got.Verified, first.Verified.At)
		}
		if got.Latest {
			t.Error("verify made an old backup latest")
		}
	})
}
