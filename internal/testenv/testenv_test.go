package testenv

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/demo"
)

func TestStartTwoMariaDBInParallel(t *testing.T) {
	var (
		wg  sync.WaitGroup
		dbs [2]*MariaDB
	)
	began := time.Now()
	for i := range dbs {
		wg.Add(1)
		go func() {
			// StartMariaDB may t.Fatal (Goexit) here; defers still run.
			defer wg.Done()
			dbs[i] = StartMariaDB(t)
		}()
	}
	wg.Wait()
	if t.Failed() || dbs[0] == nil || dbs[1] == nil {
		t.FailNow()
	}
	t.Logf("two instances started in parallel in %v", time.Since(began).Round(time.Millisecond))

	a, b := dbs[0], dbs[1]
	if a.Port == b.Port || a.Socket == b.Socket || a.DataDir == b.DataDir {
		t.Fatalf("instances share resources: %+v vs %+v", a, b)
	}
	for _, m := range dbs {
		if m.Host != "127.0.0.1" || m.Addr() != fmt.Sprintf("127.0.0.1:%d", m.Port) {
			t.Errorf("Host/Addr = %q/%q", m.Host, m.Addr())
		}
		var port int
		var datadir, socket string
		if err := m.DB(t).QueryRow("SELECT @@port, @@datadir, @@socket").Scan(&port, &datadir, &socket); err != nil {
			t.Fatal(err)
		}
		if port != m.Port || filepath.Clean(datadir) != filepath.Clean(m.DataDir) || socket != m.Socket {
			t.Errorf("server reports port %d datadir %s socket %s; want %d %s %s", port, datadir, socket, m.Port, m.DataDir, m.Socket)
		}
	}

	// Data written to one is not in the other.
	a.Exec(t, "CREATE DATABASE only_a; CREATE TABLE only_a.t (id INT PRIMARY KEY); INSERT INTO only_a.t VALUES (1),(2)")
	var n int
	if err := a.DB(t).QueryRow("SELECT COUNT(*) FROM only_a.t").Scan(&n); err != nil || n != 2 {
		t.Fatalf("count on a = %d, %v", n, err)
	}
	err := b.DB(t).QueryRow("SELECT COUNT(*) FROM only_a.t").Scan(&n)
	if err == nil {
		t.Fatalf("only_a.t exists on the other instance")
	}

	// Both root@127.0.0.1 and root@localhost (socket) work with no password.
	var who string
	if err := a.DB(t).QueryRow("SELECT CURRENT_USER()").Scan(&who); err != nil || who != "root@127.0.0.1" {
		t.Errorf("TCP CURRENT_USER() = %q, %v", who, err)
	}
	sock, err := sql.Open("mysql", "root@unix("+a.Socket+")/")
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	if err := sock.QueryRow("SELECT CURRENT_USER()").Scan(&who); err != nil || who != "root@localhost" {
		t.Errorf("socket CURRENT_USER() = %q, %v", who, err)
	}
	var charset string
	if err := a.DB(t).QueryRow("SELECT @@character_set_server").Scan(&charset); err != nil || charset != "utf8mb4" {
		t.Errorf("character_set_server = %q, %v", charset, err)
	}
}

func TestKillStopRestart(t *testing.T) {
	m := StartMariaDB(t)
	m.Exec(t, "CREATE DATABASE k; CREATE TABLE k.t (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO k.t VALUES (1),(2),(3)")
	db := m.DB(t)
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	pid := m.cmd.Process.Pid

	m.Kill()
	if m.Running() {
		t.Fatal("Running() after Kill")
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("mariadbd pid %d still exists after Kill: %v", pid, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err == nil {
		t.Fatal("ping succeeded after Kill")
	}
	var d net.Dialer
	if c, err := d.DialContext(ctx, "tcp", m.Addr()); err == nil {
		c.Close()
		t.Fatal("port still accepts connections after Kill")
	}
	m.Kill() // idempotent
	m.Stop()

	// Crash recovery brings the committed rows back.
	m.Restart(t)
	var n int
	if err := m.DB(t).QueryRow("SELECT COUNT(*) FROM k.t").Scan(&n); err != nil || n != 3 {
		t.Fatalf("after restart: count = %d, %v", n, err)
	}
	if !strings.Contains(m.ErrorLog(), "ready for connections") {
		t.Errorf("error log lacks 'ready for connections'")
	}

	m.Stop()
	if m.Running() {
		t.Fatal("Running() after Stop")
	}
	if !strings.Contains(m.ErrorLog(), "Shutdown complete") {
		t.Errorf("graceful Stop did not log 'Shutdown complete':\n%s", tail(m.errLog, 10))
	}
	m.Stop() // idempotent
}

func TestCreateUserAndDump(t *testing.T) {
	dump, ok := lookBin("mariadb-dump")
	if !ok {
		Require(t, "mariadb-dump not found (mariadb-client)")
	}
	m := StartMariaDB(t)
	LoadSample(t, m, "REG1")
	// The least a full dump with routines, events and triggers needs on 10.11.
	const pw = `p'w"\ x`
	m.CreateUser(t, "backupuser", pw, "SELECT, SHOW VIEW, TRIGGER, EVENT ON *.*")

	u, err := sql.Open("mysql", m.DSN("backupuser", pw, "nova"))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	var n int
	if err := u.QueryRow("SELECT COUNT(*) FROM instances").Scan(&n); err != nil || n != 1000 {
		t.Fatalf("backupuser count = %d, %v", n, err)
	}
	if _, err := u.Exec("DELETE FROM instances"); err == nil {
		t.Fatal("backupuser could DELETE")
	}

	cnf := filepath.Join(t.TempDir(), "backup.cnf")
	body := fmt.Sprintf("[client]\nuser=backupuser\npassword=\"%s\"\nhost=127.0.0.1\nport=%d\nprotocol=tcp\n",
		strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(pw), m.Port)
	if err := os.WriteFile(cnf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dump, "--defaults-extra-file="+cnf, "-A", "--single-transaction",
		"--routines", "--events", "--triggers")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mariadb-dump as backupuser: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{
		"CREATE TABLE `instance actions`",
		"TRIGGER instances_after_insert",
		"PROCEDURE `archive_deleted_rows`",
		"FUNCTION `project_member_count`",
		"EVENT `purge_old_faults`",
		"VIEW `active_instances`",
		"-- Dump completed",
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("dump lacks %q", want)
		}
	}
}

func TestLoadSampleTwoRegions(t *testing.T) {
	var (
		wg   sync.WaitGroup
		dbs  [2]*MariaDB
		took [2]time.Duration
	)
	regions := [2]string{"REG1", "REG2"}
	for i := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i] = StartMariaDB(t)
			began := time.Now()
			LoadSample(t, dbs[i], regions[i])
			took[i] = time.Since(began)
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("sample load took %v and %v (in parallel)", took[0].Round(time.Millisecond), took[1].Round(time.Millisecond))

	checksums := [2]map[string]int64{{}, {}}
	for i, m := range dbs {
		db := m.DB(t)
		// Every table is there with the documented row count, and no other.
		rows, err := db.Query(`SELECT CONCAT(table_schema, '.', table_name) FROM information_schema.tables
			WHERE table_schema IN ('keystone','nova','neutron') AND table_type = 'BASE TABLE'`)
		if err != nil {
			t.Fatal(err)
		}
		var tables []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			tables = append(tables, name)
		}
		rows.Close()
		sort.Strings(tables)
		if len(tables) != len(demo.SampleTableRows) {
			t.Errorf("%s: %d tables %v, want %d", regions[i], len(tables), tables, len(demo.SampleTableRows))
		}
		total := 0
		for _, name := range tables {
			want, ok := demo.SampleTableRows[name]
			if !ok {
				t.Errorf("table %s is not in demo.SampleTableRows", name)
				continue
			}
			db, tbl, _ := strings.Cut(name, ".")
			q := fmt.Sprintf("`%s`.`%s`", db, tbl)
			var n int
			if err := m.DB(t).QueryRow("SELECT COUNT(*) FROM " + q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != want {
				t.Errorf("%s: %s has %d rows, want %d", regions[i], name, n, want)
			}
			total += n
			var tname string
			var sum sql.NullInt64
			if err := m.DB(t).QueryRow("CHECKSUM TABLE "+q).Scan(&tname, &sum); err != nil {
				t.Fatal(err)
			}
			checksums[i][name] = sum.Int64
		}
		t.Logf("%s: %d tables, %d rows", regions[i], len(tables), total)

		var region string
		if err := db.QueryRow("SELECT id FROM keystone.region").Scan(&region); err != nil || region != regions[i] {
			t.Errorf("keystone.region = %q, %v; want %q", region, err, regions[i])
		}
		for _, q := range []struct{ what, sql string }{
			{"views", "SELECT COUNT(*) FROM information_schema.views WHERE CONCAT(table_schema,'.',table_name) = 'nova.active_instances'"},
			{"triggers", "SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = 'nova'"},
			{"routines", "SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema IN ('keystone','nova')"},
			{"events", "SELECT COUNT(*) FROM information_schema.events WHERE event_schema = 'nova' AND status = 'DISABLED'"},
		} {
			want := map[string]int{"views": len(demo.SampleViews), "triggers": len(demo.SampleTriggers),
				"routines": len(demo.SampleRoutines), "events": len(demo.SampleEvents)}[q.what]
			var n int
			if err := db.QueryRow(q.sql).Scan(&n); err != nil || n != want {
				t.Errorf("%s: %s = %d, %v; want %d", regions[i], q.what, n, err, want)
			}
		}

		// Binary data survived byte for byte.
		var payload []byte
		if err := db.QueryRow("SELECT payload FROM nova.instance_faults WHERE message = 'all byte values'").Scan(&payload); err != nil {
			t.Fatal(err)
		}
		if len(payload) != 256 {
			t.Fatalf("all-bytes payload has %d bytes", len(payload))
		}
		for b := range 256 {
			if payload[b] != byte(b) {
				t.Fatalf("payload[%d] = %#x", b, payload[b])
			}
		}
		var big int
		if err := db.QueryRow("SELECT LENGTH(payload) FROM nova.instance_faults WHERE message = '1 MiB payload'").Scan(&big); err != nil || big != 1<<20 {
			t.Errorf("1 MiB payload is %d bytes, %v", big, err)
		}
		var desc string
		if err := db.QueryRow("SELECT display_description FROM nova.instances WHERE id = 3").Scan(&desc); err != nil || !strings.Contains(desc, "🚀") {
			t.Errorf("4-byte UTF-8 lost: %q, %v", desc, err)
		}
		var members int
		if err := db.QueryRow("SELECT keystone.project_member_count(MD5('project-1'))").Scan(&members); err != nil || members == 0 {
			t.Errorf("project_member_count = %d, %v", members, err)
		}
	}

	// Same shape, slightly different data.
	if checksums[0]["keystone.region"] == checksums[1]["keystone.region"] {
		t.Error("keystone.region is the same in both regions")
	}
	if checksums[0]["nova.instances"] == checksums[1]["nova.instances"] {
		t.Error("nova.instances is the same in both regions")
	}
	if checksums[0]["keystone.role"] != checksums[1]["keystone.role"] {
		t.Error("keystone.role differs between regions; it should not")
	}

	// Loading again replaces the data rather than failing or doubling it.
	LoadSample(t, dbs[0], "REG1")
	var n int
	if err := dbs[0].DB(t).QueryRow("SELECT COUNT(*) FROM nova.instances").Scan(&n); err != nil || n != 1000 {
		t.Errorf("after reload: %d instances, %v", n, err)
	}
}

func TestSampleDeterministic(t *testing.T) {
	m := StartMariaDB(t)
	sum := func() string {
		var b strings.Builder
		for _, name := range sortedKeys(demo.SampleTableRows) {
			db, tbl, _ := strings.Cut(name, ".")
			var tname string
			var s sql.NullInt64
			if err := m.DB(t).QueryRow(fmt.Sprintf("CHECKSUM TABLE `%s`.`%s`", db, tbl)).Scan(&tname, &s); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s=%d\n", name, s.Int64)
		}
		return b.String()
	}
	LoadSample(t, m, "REGX")
	first := sum()
	LoadSample(t, m, "REGX")
	if second := sum(); first != second {
		t.Fatalf("sample is not deterministic:\n%s\nvs\n%s", first, second)
	}
}

func TestSampleRejectsBadRegion(t *testing.T) {
	ft := &fakeTB{TB: t}
	func() {
		defer func() { _ = recover() }()
		SampleSQL(ft, "REG1'; DROP DATABASE mysql; --")
	}()
	if !ft.fatal {
		t.Fatal("SampleSQL accepted a region name with quotes")
	}
	if s := SampleSQL(t, "REG-1_a"); strings.Contains(s, demo.RegionPlaceholder) || !strings.Contains(s, "'REG-1_a'") {
		t.Fatal("placeholder not replaced")
	}
}

type fakeTB struct {
	testing.TB
	fatal bool
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(string, ...any) {
	f.fatal = true
	panic("fatal")
}

func TestDeadAddrRefuses(t *testing.T) {
	addr := DeadAddr(t)
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("DeadAddr() = %q", addr)
	}
	began := time.Now()
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("connection to %s succeeded", addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s: %v, want connection refused", addr, err)
	}
	if d := time.Since(began); d > time.Second {
		t.Errorf("refusal took %v", d)
	}
	// The mysql driver fails fast too.
	db, err := sql.Open("mysql", "root@tcp("+addr+")/?timeout=3s")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err == nil {
		t.Fatal("mysql ping to DeadAddr succeeded")
	}
	// While reserved, nobody else can listen there.
	if l, err := net.Listen("tcp", addr); err == nil {
		l.Close()
		t.Errorf("could listen on reserved DeadAddr %s", addr)
	}
}

func TestFreePort(t *testing.T) {
	p := FreePort(t)
	if p <= 0 || p > 65535 {
		t.Fatalf("FreePort() = %d", p)
	}
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		t.Fatalf("cannot listen on FreePort %d: %v", p, err)
	}
	l.Close()
}

func TestStartNATSJetStream(t *testing.T) {
	s, url := StartNATS(t)
	if !strings.HasPrefix(url, "nats://127.0.0.1:") {
		t.Fatalf("url = %q", url)
	}
	if !s.JetStreamEnabled() {
		t.Fatal("JetStream disabled")
	}
	js := ConnectNATS(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:     "JOBS",
		Subjects: []string{"jobs.>"},
		Storage:  jetstream.FileStorage,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"dump REG1", "dump REG2", "check REG1"}
	for i, body := range want {
		ack, err := js.Publish(ctx, "jobs."+strconv.Itoa(i), []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if ack.Stream != "JOBS" || ack.Sequence != uint64(i+1) {
			t.Fatalf("ack = %+v", ack)
		}
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:   "reader",
		AckPolicy: jetstream.AckExplicitPolicy,
	})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(len(want), jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for msg := range batch.Messages() {
		got = append(got, string(msg.Data()))
		if err := msg.Ack(); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Error(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("read back %q, want %q", got, want)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != uint64(len(want)) {
		t.Fatalf("stream holds %d messages", info.State.Msgs)
	}
}

// TestWatchdogReapsOrphans runs this test binary as a child that starts a
// MariaDB and exits without cleanup (as a -timeout panic would); the watchdog
// must kill that mariadbd and remove its files.
func TestWatchdogReapsOrphans(t *testing.T) {
	if os.Getenv("GD_TESTENV_ORPHAN_CHILD") == "1" {
		m := StartMariaDB(t)
		fmt.Printf("ORPHAN %d %s\n", m.cmd.Process.Pid, m.base)
		os.Exit(3) // no cleanup runs
	}
	if _, ok := lookBin("mariadbd"); !ok {
		Require(t, "mariadbd not found")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWatchdogReapsOrphans$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GD_TESTENV_ORPHAN_CHILD=1")
	out, _ := cmd.CombinedOutput()
	var pid int
	var base string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "ORPHAN" {
			pid, _ = strconv.Atoi(f[1])
			base = f[2]
		}
	}
	if pid == 0 {
		t.Fatalf("child did not report its mariadbd:\n%s", out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, statErr := os.Stat(base)
		alive := syscall.Kill(pid, 0) == nil
		if !alive && errors.Is(statErr, os.ErrNotExist) {
			return
		}
		if time.Now().After(deadline) {
			if alive {
				_ = syscall.Kill(-pid, syscall.SIGKILL)
			}
			_ = os.RemoveAll(base)
			t.Fatalf("orphan not reaped: mariadbd %d alive=%v, %s stat err=%v", pid, alive, base, statErr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// BenchmarkStartMariaDB compares a start from a template copy with a plain
// mariadb-install-db start (the baseline), in the same run.
func BenchmarkStartMariaDB(b *testing.B) {
	var baseline float64
	for _, mode := range []struct{ name, env string }{{"plain", "0"}, {"template", "1"}} {
		b.Run(mode.name, func(b *testing.B) {
			b.Setenv("GD_TESTENV_MARIADB_TEMPLATE", mode.env)
			for range b.N {
				StartMariaDB(b).Stop()
			}
			perOp := float64(b.Elapsed()) / float64(b.N)
			if mode.env == "0" {
				baseline = perOp
			} else if baseline > 0 {
				b.ReportMetric(baseline/perOp, "x_faster_than_plain")
			}
		})
	}
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestSampleRoundTrip dumps the sample with mariadb-dump, restores it into a
// second server with the mariadb client, and compares CHECKSUM TABLE of every
// table: the sample must survive a dump/restore byte for byte.
func TestSampleRoundTrip(t *testing.T) {
	dump, ok := lookBin("mariadb-dump")
	if !ok {
		Require(t, "mariadb-dump not found (mariadb-client)")
	}
	src := StartMariaDB(t)
	dst := StartMariaDB(t)
	began := time.Now()
	LoadSample(t, src, "REG1")
	t.Logf("LoadSample took %v", time.Since(began).Round(time.Millisecond))

	cmd := exec.Command(dump, "--no-defaults", "--protocol=socket", "--socket="+src.Socket, "--user=root",
		"--single-transaction", "--routines", "--events", "--triggers", "--hex-blob",
		"--databases", "keystone", "nova", "neutron")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mariadb-dump: %v\n%s", err, stderr.String())
	}
	dst.ExecScript(t, string(out))

	// Twice: checksums must not depend on the table cache (FLUSH TABLES).
	for pass := range 2 {
		if pass == 1 {
			src.Exec(t, "FLUSH TABLES")
			dst.Exec(t, "FLUSH TABLES")
		}
		for _, name := range sortedKeys(demo.SampleTableRows) {
			db, tbl, _ := strings.Cut(name, ".")
			q := fmt.Sprintf("CHECKSUM TABLE `%s`.`%s`", db, tbl)
			var n1, n2 string
			var s1, s2 sql.NullInt64
			if err := src.DB(t).QueryRow(q).Scan(&n1, &s1); err != nil {
				t.Fatal(err)
			}
			if err := dst.DB(t).QueryRow(q).Scan(&n2, &s2); err != nil {
				t.Fatal(err)
			}
			if s1 != s2 {
				t.Errorf("pass %d: %s: checksum %v after restore, %v before", pass, name, s2, s1)
			}
		}
	}
	var trig int
	if err := dst.DB(t).QueryRow("SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema='nova'").Scan(&trig); err != nil || trig != 2 {
		t.Errorf("restored triggers = %d, %v", trig, err)
	}
}
