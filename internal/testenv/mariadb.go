package testenv

import (
	"gravedancer/internal/proc"

	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

const (
	// readyTimeout bounds how long StartMariaDB waits for a new server.
	readyTimeout = 60 * time.Second
	// stopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	stopTimeout = 30 * time.Second
	// startAttempts bounds the retries when the chosen port was taken
	// between FreePort and mariadbd binding it.
	startAttempts = 4
	// maxSocketPath is the longest unix socket path Linux accepts.
	maxSocketPath = 107
)

// serverSettings are the small-footprint settings of every private server.
// scripts/mariadb-sandbox.sh uses the same list; keep them in step.
var serverSettings = []string{
	"--bind-address=127.0.0.1",
	"--skip-name-resolve",
	"--innodb-buffer-pool-size=32M",
	"--innodb-log-file-size=16M",
	"--skip-log-bin",
	"--performance-schema=OFF",
	"--max-allowed-packet=64M",
	// --no-defaults drops Debian's my.cnf and with it utf8mb4 as the server
	// default; keep the default a production server has.
	"--character-set-server=utf8mb4",
	"--collation-server=utf8mb4_general_ci",
}

// installSettings are passed to mariadb-install-db. --force skips its
// hostname lookup (no DNS here); the InnoDB sizes must match serverSettings.
var installSettings = []string{
	"--auth-root-authentication-method=normal",
	"--skip-test-db",
	"--force",
	"--innodb-buffer-pool-size=32M",
	"--innodb-log-file-size=16M",
}

// MariaDB is a private mariadbd started by StartMariaDB. root@localhost and
// root@127.0.0.1 have an empty password.
type MariaDB struct {
	Host    string // "127.0.0.1"
	Port    int
	Socket  string // unix socket path
	DataDir string

	base      string // temp dir holding data/ and run/
	errLog    string // mariadbd's --log-error file
	outLog    string // mariadbd's stdout and stderr
	pidFile   string
	mariadbd  string
	client    string   // mariadb command-line client, "" if missing
	runAsUser string   // --user value, "" when not root
	extraArgs []string // mariadbd options after serverSettings

	daemon
	root *sql.DB // lazily opened pool behind Exec
}

// StartMariaDB starts a private mariadbd in a fresh temp dir, listening on a
// free port on 127.0.0.1 and on a unix socket, and returns once root can
// connect over TCP. The server is stopped (SIGTERM, then SIGKILL after a
// timeout) and its files removed when the test ends; a watchdog process
// SIGKILLs it and removes its files if the test binary dies without cleaning
// up (for example on a -timeout panic).
//
// The data directory is a copy of a template made once by mariadb-install-db
// and cached under os.TempDir(); set GD_TESTENV_MARIADB_TEMPLATE=0 to run
// mariadb-install-db for every instance instead. A missing mariadbd or
// mariadb-install-db is reported through Require.
func StartMariaDB(t testing.TB) *MariaDB {
	t.Helper()
	return StartMariaDBArgs(t)
}

// BenchServer are the settings of a server sized for benchmarks: the tests'
// 32 MiB buffer pool and 16 MiB redo log would make every bulk load wait on
// checkpoint flushing, which no real server does and which would hide the
// differences between loaders.
var BenchServer = []string{"--innodb-buffer-pool-size=1G", "--innodb-log-file-size=512M"}

// StartMariaDBArgs is StartMariaDB with extra mariadbd options, which come
// after (and so override) the test settings.
func StartMariaDBArgs(t testing.TB, extra ...string) *MariaDB {
	t.Helper()
	began := time.Now()

	mariadbd, ok := lookBin("mariadbd")
	if !ok {
		Require(t, "mariadbd not found in PATH or sbin dirs (install mariadb-server, e.g. scripts/ensure-deps.sh)")
	}
	installDB, ok := lookBin("mariadb-install-db")
	if !ok {
		Require(t, "mariadb-install-db not found (install mariadb-server, e.g. scripts/ensure-deps.sh)")
	}
	client, _ := lookBin("mariadb")

	runAs := ""
	if os.Geteuid() == 0 {
		// mariadbd refuses to run as root; it switches to this user itself.
		if _, err := user.Lookup("mysql"); err != nil {
			Require(t, "running as root but there is no 'mysql' user for mariadbd --user (install mariadb-server)")
		}
		runAs = "mysql"
	}

	base := tempDir(t, "StartMariaDB", "gd-mariadb-")
	// tempDir makes a 0700 dir; mariadbd runs as mysql and must reach it.
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatalf("testenv: StartMariaDB: %v", err)
	}

	m := &MariaDB{
		Host:      "127.0.0.1",
		DataDir:   filepath.Join(base, "data"),
		Socket:    filepath.Join(base, "run", "mysqld.sock"),
		base:      base,
		errLog:    filepath.Join(base, "run", "mariadbd.err"),
		outLog:    filepath.Join(base, "mariadbd.out"),
		pidFile:   filepath.Join(base, "run", "mariadbd.pid"),
		mariadbd:  mariadbd,
		client:    client,
		runAsUser: runAs,
		extraArgs: extra,
	}
	if len(m.Socket) > maxSocketPath {
		t.Fatalf("testenv: StartMariaDB: socket path %q is longer than %d bytes; set TMPDIR to a shorter dir", m.Socket, maxSocketPath)
	}
	if err := mkdirOwned(filepath.Join(base, "run"), runAs); err != nil {
		t.Fatalf("testenv: StartMariaDB: %v", err)
	}

	how, err := m.makeDataDir(t, installDB)
	if err != nil {
		t.Fatalf("testenv: StartMariaDB: %v", err)
	}
	prepared := time.Since(began)

	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("testenv: mariadbd %s error log (tail):\n%s", m.Addr(), tail(m.errLog, 30))
		}
		m.closeRoot()
		m.Stop()
	})
	m.launch(t)
	t.Logf("testenv: mariadbd ready on %s (socket %s) in %v (data dir by %s in %v)",
		m.Addr(), m.Socket, time.Since(began).Round(time.Millisecond), how, prepared.Round(time.Millisecond))
	return m
}

// Addr returns "127.0.0.1:PORT".
func (m *MariaDB) Addr() string {
	return net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
}

// DSN returns a go-sql-driver/mysql DSN for user over TCP, with
// multiStatements=true; database may be "".
func (m *MariaDB) DSN(user, password, database string) string {
	cfg := mysql.NewConfig()
	cfg.User = user
	cfg.Passwd = password
	cfg.Net = "tcp"
	cfg.Addr = m.Addr()
	cfg.DBName = database
	cfg.MultiStatements = true
	cfg.Timeout = 10 * time.Second
	return cfg.FormatDSN()
}

// DB opens a root connection pool over TCP (multiStatements=true). It is
// closed when the test ends.
func (m *MariaDB) DB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", m.DSN("root", "", ""))
	if err != nil {
		t.Fatalf("testenv: open root DB on %s: %v", m.Addr(), err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Exec runs sqlText (several statements are fine, DELIMITER is not) as root
// and calls t.Fatal on error.
func (m *MariaDB) Exec(t testing.TB, sqlText string) {
	t.Helper()
	db, err := m.rootDB()
	if err != nil {
		t.Fatalf("testenv: Exec on %s: %v", m.Addr(), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := db.ExecContext(ctx, sqlText); err != nil {
		t.Fatalf("testenv: Exec on %s: %v\nSQL: %s", m.Addr(), err, abbreviate(sqlText, 500))
	}
}

// ExecScript feeds script to the mariadb command-line client, connected as
// root@localhost over the unix socket, so client commands such as DELIMITER
// work. It calls t.Fatal with the client's output on error.
func (m *MariaDB) ExecScript(t testing.TB, script string) {
	t.Helper()
	if m.client == "" {
		Require(t, "the mariadb command-line client is not installed (mariadb-client)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, m.client,
		"--no-defaults", "--protocol=socket", "--socket="+m.Socket, "--user=root",
		"--default-character-set=utf8mb4", "--batch", "--silent")
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("testenv: mariadb client on %s: %v\n%s", m.Addr(), err, abbreviate(string(out), 4000))
	}
}

// BackupGrants is what the tests' backup account gets: README "Grants"
// plus PROCESS, so one account serves every dump tool and mode. SELECT,
// SHOW VIEW, TRIGGER, EVENT read all objects (routines come from mysql.proc
// through SELECT); LOCK TABLES for the per-database locks of consistency
// "none"; RELOAD for FLUSH TABLES WITH READ LOCK ("lock-all"); PROCESS for
// the INFORMATION_SCHEMA.FILES query on tablespaces (MySQL 8, mydumper's
// long-query guard); REPLICATION CLIENT (BINLOG MONITOR) for SHOW MASTER
// STATUS, the binlog position in the manifest.
const BackupGrants = "SELECT, LOCK TABLES, RELOAD, SHOW VIEW, REPLICATION CLIENT, EVENT, TRIGGER, PROCESS ON *.*"

// CreateUser creates (or re-creates) user@'127.0.0.1' and user@'localhost'
// with password and, unless grants is "", runs GRANT <grants> TO each, e.g.
// grants "SELECT, SHOW VIEW, TRIGGER, EVENT ON *.*".
func (m *MariaDB) CreateUser(t testing.TB, user, password string, grants string) {
	t.Helper()
	var b strings.Builder
	for _, host := range []string{"127.0.0.1", "localhost"} {
		acct := quoteString(user) + "@" + quoteString(host)
		fmt.Fprintf(&b, "CREATE OR REPLACE USER %s IDENTIFIED BY %s;\n", acct, quoteString(password))
		if strings.TrimSpace(grants) != "" {
			fmt.Fprintf(&b, "GRANT %s TO %s;\n", grants, acct)
		}
	}
	db, err := m.rootDB()
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err = db.ExecContext(ctx, b.String())
	}
	if err != nil {
		// The statement text holds the password: leave it out.
		t.Fatalf("testenv: CreateUser %q with grants %q on %s: %v", user, grants, m.Addr(), err)
	}
}

// Kill SIGKILLs the server now, as a crash would, and waits for it to exit.
// Cleanup still works afterwards; Restart brings it back on the same port.
func (m *MariaDB) Kill() { m.stop(syscall.SIGKILL, 0) }

// Stop shuts the server down gracefully (SIGTERM), SIGKILLing it if it has
// not exited within 30s. It does nothing if the server is not running.
func (m *MariaDB) Stop() { m.stop(syscall.SIGTERM, stopTimeout) }

// Restart stops the server if it runs and starts it again on the same data
// directory and port, returning once it accepts connections.
func (m *MariaDB) Restart(t testing.TB) {
	t.Helper()
	m.closeRoot()
	m.Stop()
	m.launch(t)
}

// Running reports whether the server process is alive.
func (m *MariaDB) Running() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done == nil {
		return false
	}
	select {
	case <-m.done:
		return false
	default:
		return true
	}
}

// ErrorLog returns the content of the server's error log.
func (m *MariaDB) ErrorLog() string {
	b, _ := os.ReadFile(m.errLog)
	return string(b)
}

// launch starts mariadbd and waits until it is ready, retrying with another
// port if the one chosen was taken meanwhile. It keeps m.Port if set.
func (m *MariaDB) launch(t testing.TB) {
	t.Helper()
	keepPort := m.Port != 0
	var lastErr error
	for attempt := 0; attempt < startAttempts; attempt++ {
		if !keepPort {
			m.Port = FreePort(t)
		}
		err := m.startOnce()
		if err == nil {
			return
		}
		lastErr = err
		if !errors.Is(err, errPortInUse) || keepPort {
			break
		}
	}
	t.Logf("testenv: mariadbd failed to start; tail of %s:\n%s", m.errLog, tail(m.errLog, 40))
	if out := tail(m.outLog, 20); strings.TrimSpace(out) != "" {
		t.Logf("testenv: mariadbd stdout/stderr:\n%s", out)
	}
	t.Fatalf("testenv: StartMariaDB: %v", lastErr)
}

var errPortInUse = errors.New("port already in use")

func (m *MariaDB) startOnce() error {
	errOffset := proc.FileSize(m.errLog)
	args := []string{
		"--no-defaults",
		"--datadir=" + m.DataDir,
		"--socket=" + m.Socket,
		"--port=" + strconv.Itoa(m.Port),
		"--log-error=" + m.errLog,
		"--pid-file=" + m.pidFile,
		// A private tmpdir: instances sharing /tmp lose each other's
		// temp-table files to cleanups ("Error on delete of '/tmp/#sql-…'").
		"--tmpdir=" + filepath.Dir(m.pidFile),
	}
	if m.runAsUser != "" {
		args = append(args, "--user="+m.runAsUser)
	}
	args = append(append(args, serverSettings...), m.extraArgs...)
	done, err := m.daemon.launch(exec.Command(m.mariadbd, args...), m.outLog, 0o644, m.base)
	if err != nil {
		return err
	}
	err = m.waitReady(done)
	if err == nil {
		return nil
	}
	m.Kill()
	if strings.Contains(proc.ReadFrom(m.errLog, errOffset, 1<<20), "Address already in use") {
		return fmt.Errorf("%w: 127.0.0.1:%d", errPortInUse, m.Port)
	}
	return err
}

// waitReady polls until root can log in over the unix socket, makes sure
// root@127.0.0.1 exists, then checks root over TCP.
func (m *MariaDB) waitReady(done <-chan struct{}) error {
	deadline := time.Now().Add(readyTimeout)
	sock := mysql.NewConfig()
	sock.User = "root"
	sock.Net = "unix"
	sock.Addr = m.Socket
	sock.Timeout = time.Second
	sock.MultiStatements = true
	sock.Logger = &mysql.NopLogger{}
	connector, err := mysql.NewConnector(sock)
	if err != nil {
		return err
	}
	db := sql.OpenDB(connector)
	defer db.Close()

	var lastErr error
	for {
		select {
		case <-done:
			return fmt.Errorf("mariadbd exited before accepting connections (last connect error: %v)", lastErr)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		lastErr = db.PingContext(ctx)
		cancel()
		if lastErr == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mariadbd not ready after %v: %v", readyTimeout, lastErr)
		}
		time.Sleep(20 * time.Millisecond)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// mariadb-install-db normally creates root@127.0.0.1; make sure of it, so
	// TCP clients (which --skip-name-resolve sees as 127.0.0.1) get in.
	if _, err := db.ExecContext(ctx, "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';"+
		"GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION"); err != nil {
		return fmt.Errorf("ensuring root@127.0.0.1: %w", err)
	}
	tcp, err := sql.Open("mysql", m.DSN("root", "", ""))
	if err != nil {
		return err
	}
	defer tcp.Close()
	if err := tcp.PingContext(ctx); err != nil {
		return fmt.Errorf("root over TCP on %s: %w", m.Addr(), err)
	}
	return nil
}

func (m *MariaDB) rootDB() (*sql.DB, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.root == nil {
		db, err := sql.Open("mysql", m.DSN("root", "", ""))
		if err != nil {
			return nil, err
		}
		m.root = db
	}
	return m.root, nil
}

func (m *MariaDB) closeRoot() {
	m.mu.Lock()
	db := m.root
	m.root = nil
	m.mu.Unlock()
	if db != nil {
		_ = db.Close()
	}
}

// makeDataDir fills m.DataDir from the template, or by mariadb-install-db.
func (m *MariaDB) makeDataDir(t testing.TB, installDB string) (string, error) {
	if os.Getenv("GD_TESTENV_MARIADB_TEMPLATE") != "0" {
		tmpl, err := mariadbTemplate(installDB, m.mariadbd, m.runAsUser)
		if err == nil {
			// cp -a keeps ownership (mysql) and modes.
			out, err := exec.Command("cp", "-a", tmpl, m.DataDir).CombinedOutput()
			if err == nil {
				return "template copy", nil
			}
			_ = os.RemoveAll(m.DataDir)
			return "", fmt.Errorf("copying template %s: %v: %s", tmpl, err, out)
		}
		// Fall back to a plain install, but say why.
		t.Logf("testenv: no MariaDB template (%v); running mariadb-install-db", err)
	}
	if err := installDataDir(installDB, m.DataDir, m.runAsUser); err != nil {
		return "", err
	}
	return "mariadb-install-db", nil
}

func installDataDir(installDB, dataDir, runAs string) error {
	args := []string{"--no-defaults", "--datadir=" + dataDir}
	if runAs != "" {
		args = append(args, "--user="+runAs)
	}
	args = append(args, installSettings...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, installDB, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("mariadb-install-db: %v\n%s", err, abbreviate(string(out), 4000))
	}
	return nil
}

// startWatchdog starts a bash that waits for EOF on a pipe whose write end
// only this process holds. If the test binary dies without cleaning up, the
// pipe closes and the watchdog SIGKILLs mariadbd's process group and removes
// its files. The returned func stops the watchdog (normal cleanup).
func startWatchdog(pgid int, dir string) func() {
	bash, err := exec.LookPath("bash")
	if err != nil {
		return nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil
	}
	const script = `read -r _ || true
kill -KILL -- "-$1" 2>/dev/null
for _ in $(seq 1 50); do kill -0 -- "-$1" 2>/dev/null || break; sleep 0.1; done
rm -rf -- "$2"`
	cmd := exec.Command(bash, "-c", script, "gd-testenv-watchdog", strconv.Itoa(pgid), dir)
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil
	}
	r.Close()
	var once sync.Once
	return func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			_ = w.Close() // w must stay referenced until here
		})
	}
}

// lookBin finds a binary in PATH or, for server binaries a non-root PATH
// lacks, in the usual sbin dirs.
func lookBin(name string) (string, bool) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// mkdirOwned makes dir 0755, owned by the named user if it is not "".
func mkdirOwned(dir, owner string) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	if owner == "" {
		return nil
	}
	u, err := user.Lookup(owner)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(dir, uid, gid)
}

func quoteString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `''`, "\x00", `\0`)
	return "'" + r.Replace(s) + "'"
}

func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("... (%d more bytes)", len(s)-n)
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
