//go:build linux

package natsconf

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"gravedancer/internal/alert"
	"gravedancer/internal/app"
	"gravedancer/internal/config"
	"gravedancer/internal/job"
	"gravedancer/internal/lease"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
	"gravedancer/stages/dump"
)

var (
	repoRoot       string // the module root: nats.conf, deploy/nats/gen-users.sh
	workDir        string // binaries and the shared credentials, removed by TestMain
	gravedancerBin string
	bcryptBin      string
	natsServerBin  string // "" when nats-server is not installed
)

// users is every user nats.conf must define: admin, trigger, the union
// worker, and one per stage of the pipeline as the code runs it.
func users() []string {
	return append([]string{"admin", "trigger", "worker"}, app.AllStages()...)
}

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	var err error
	if repoRoot, err = filepath.Abs(filepath.Join("..", "..")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if workDir, err = os.MkdirTemp("", "gravedancer-natsconf-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(workDir)
	gravedancerBin = filepath.Join(workDir, "gravedancer")
	bcryptBin = filepath.Join(workDir, "bcrypt")
	for out, pkg := range map[string]string{gravedancerBin: "./cmd/gravedancer", bcryptBin: "./internal/natsconf/bcrypt"} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir = repoRoot
		if b, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build %s: %v\n%s", pkg, err, b)
			return 1
		}
	}
	natsServerBin = lookNATSServer()
	return m.Run()
}

// lookNATSServer finds the Debian package's binary, also where a non-root
// PATH lacks /usr/sbin.
func lookNATSServer() string {
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p
	}
	for _, d := range []string{"/usr/sbin", "/usr/local/sbin", "/usr/local/bin"} {
		p := filepath.Join(d, "nats-server")
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

func requireNATSServer(t *testing.T) {
	t.Helper()
	if natsServerBin == "" {
		testenv.Require(t, "nats-server not found (Debian: apt-get install -y --no-install-recommends nats-server)")
	}
}

// genUsers runs deploy/nats/gen-users.sh with the helper TestMain built.
func genUsers(confDir, pwDir string, args ...string) (string, error) {
	cmd := exec.Command("bash", append([]string{filepath.Join(repoRoot, "deploy", "nats", "gen-users.sh")}, append(args, confDir, pwDir)...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GD_BCRYPT=" + bcryptBin}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var (
	credsOnce sync.Once
	credsDir  string
	credsErr  error
)

// sharedCreds generates the users once for every server of this run:
// <dir>/nats-users.conf and <dir>/pw/<user>.password.
func sharedCreds(t *testing.T) string {
	t.Helper()
	credsOnce.Do(func() {
		credsDir = filepath.Join(workDir, "creds")
		if credsErr = os.Mkdir(credsDir, 0o700); credsErr != nil {
			return
		}
		var out string
		if out, credsErr = genUsers(credsDir, filepath.Join(credsDir, "pw")); credsErr != nil {
			credsErr = fmt.Errorf("gen-users.sh: %v\n%s", credsErr, out)
		}
	})
	if credsErr != nil {
		t.Fatal(credsErr)
	}
	return credsDir
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

// confDir returns a directory holding this repository's nats.conf and a
// generated nats-users.conf, as an operator installs them.
func confDir(t *testing.T) string {
	t.Helper()
	creds := sharedCreds(t)
	dir := t.TempDir()
	copyFile(t, filepath.Join(repoRoot, "nats.conf"), filepath.Join(dir, "nats.conf"), 0o644)
	copyFile(t, filepath.Join(creds, "nats-users.conf"), filepath.Join(dir, "nats-users.conf"), 0o600)
	return dir
}

// natsServer is the real nats-server binary running nats.conf.
type natsServer struct {
	URL     string
	dir     string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
}

func serverEnv(listen, storeDir string) []string {
	// Only what nats.conf documents: nothing from the test's own environment
	// (a GD_NATS_HASH_* there must not stand in for the include file).
	return []string{"PATH=" + os.Getenv("PATH"), "GD_NATS_LISTEN=" + listen, "GD_NATS_STORE_DIR=" + storeDir}
}

// startServer runs nats-server -c nats.conf on a free loopback port with its
// store in a temp dir, and returns once admin can log in.
func startServer(t *testing.T) *natsServer {
	t.Helper()
	requireNATSServer(t)
	return startServerIn(t, confDir(t))
}

// startServerIn runs the nats.conf in dir; opts are what a client needs on
// top of admin's password to connect (TLS).
func startServerIn(t *testing.T, dir string, opts ...nats.Option) *natsServer {
	t.Helper()
	var errs []string
	for attempt := 0; attempt < 3; attempt++ {
		s, err := launchServer(t, dir, opts)
		if err == nil {
			t.Cleanup(s.stop)
			return s
		}
		errs = append(errs, err.Error())
	}
	t.Fatalf("nats-server did not start:\n%s", strings.Join(errs, "\n"))
	return nil
}

func launchServer(t *testing.T, dir string, opts []nats.Option) (*natsServer, error) {
	port := testenv.FreePort(t)
	if port == 4222 { // the machine's own server's port: never ours
		return nil, errors.New("free port was 4222")
	}
	listen := "127.0.0.1:" + strconv.Itoa(port)
	s := &natsServer{URL: "nats://" + listen, dir: dir, logPath: filepath.Join(dir, "server-"+strconv.Itoa(port)+".log"), done: make(chan struct{})}
	logf, err := os.Create(s.logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	s.cmd = exec.Command(natsServerBin, "-c", filepath.Join(dir, "nats.conf"))
	s.cmd.Env = serverEnv(listen, filepath.Join(dir, "store"))
	// If the test binary dies without its cleanups (a -timeout panic, a
	// closed stdout), the server goes with it.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	pw := password(t, "admin")
	deadline := time.Now().Add(15 * time.Second)
	for {
		nc, err := nats.Connect(s.URL, append([]nats.Option{nats.UserInfo("admin", pw), nats.CustomInboxPrefix("_INBOX_admin"), nats.Timeout(2 * time.Second), nats.NoReconnect()}, opts...)...)
		if err == nil {
			nc.Close()
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("nats-server on %s exited: %v\n%s", listen, s.cmd.ProcessState, s.log())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("nats-server on %s: admin cannot connect after 15s: %v\n%s", listen, err, s.log())
		}
	}
}

func (s *natsServer) log() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// stop sends SIGTERM (JetStream closes its store), then SIGKILL after 10s.
func (s *natsServer) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func passwordFile(t *testing.T, user string) string {
	return filepath.Join(sharedCreds(t), "pw", user+".password")
}

func password(t *testing.T, user string) string {
	t.Helper()
	b, err := os.ReadFile(passwordFile(t, user))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimRight(string(b), "\r\n")
}

// client is one user's connection; the server's asynchronous errors
// (permission violations) arrive on errs.
type client struct {
	user string
	nc   *nats.Conn
	js   jetstream.JetStream
	errs chan error
}

func (s *natsServer) connect(t *testing.T, user string) *client {
	t.Helper()
	c := &client{user: user, errs: make(chan error, 256)}
	var err error
	c.nc, err = nats.Connect(s.URL, nats.UserInfo(user, password(t, user)), nats.CustomInboxPrefix("_INBOX_"+user), nats.Name("natsconf-test-"+user),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case c.errs <- err:
			default:
			}
		}))
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(c.nc.Close)
	if c.js, err = jetstream.New(c.nc); err != nil {
		t.Fatal(err)
	}
	return c
}

// denied runs op, which the user may not do, and asserts that the server
// reported a permissions violation of kind ("Publish" or "Subscription") on
// exactly subject, and that op did not succeed. op is cancelled once the
// violation arrived (a denied request gets no reply and would only time out).
func (c *client) denied(t *testing.T, kind, subject string, op func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res := make(chan error, 1)
	go func() { res <- op(ctx) }()
	want := fmt.Sprintf("Permissions Violation for %s to %q", kind, subject)
	var seen []string
	found := false
	for !found {
		select {
		case err := <-c.errs:
			if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), want) {
				found = true
			} else {
				seen = append(seen, err.Error())
			}
		case <-ctx.Done():
			t.Errorf("%s: expected %q, got none (other async errors: %q)", c.user, want, seen)
			return
		}
	}
	cancel()
	if err := <-res; err == nil {
		t.Errorf("%s: %s %s was denied but the call reported success", c.user, kind, subject)
	}
}

// allowed runs op, which the user needs, and asserts it succeeds without any
// permissions violation on the connection.
func (c *client) allowed(t *testing.T, what string, op func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := op(ctx); err != nil {
		t.Errorf("%s: %s: %v", c.user, what, err)
	}
	// -ERR arrives before the PONG of this flush, and sets LastError first.
	if err := c.nc.FlushTimeout(5 * time.Second); err != nil {
		t.Errorf("%s: flush: %v", c.user, err)
	}
	if err := c.nc.LastError(); err != nil {
		t.Errorf("%s: %s: %v", c.user, what, err)
	}
}

// Operations, each a real nats.go call the way gravedancer or an attacker
// would make it.

func jsPublish(c *client, subject string) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := c.js.Publish(ctx, subject, []byte(`{"test":true}`))
		return err
	}
}

func request(c *client, subject, body string) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := c.nc.RequestWithContext(ctx, subject, []byte(body))
		return err
	}
}

func subscribe(c *client, subject string) func(context.Context) error {
	return func(ctx context.Context) error {
		sub, err := c.nc.SubscribeSync(subject)
		if err != nil {
			return err
		}
		defer sub.Unsubscribe()
		_, err = sub.NextMsgWithContext(ctx)
		return err
	}
}

func bindConsumer(c *client, stage string) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := c.js.Consumer(ctx, pipeline.StreamJobs, stage)
		return err
	}
}

// adminConfig is what app.Setup reads: the defaults of config.Config.
func adminConfig(t *testing.T, s *natsServer) *config.Config {
	return &config.Config{
		NATSURL: s.URL, NATSUser: "admin", NATSPassword: config.Secret(password(t, "admin")), NATSSetup: true,
		AckWait: 60 * time.Second, MaxDeliver: 4, RetryDelay: 30 * time.Second, LeaseTTL: 2 * time.Minute,
		DumpConcurrency: 4, StatsConcurrency: 2, CheckConcurrency: 2, RestoreConcurrency: 1, ShipConcurrency: 2,
	}
}

// setupAsAdmin runs the project's own setup (app.Setup) as admin.
func setupAsAdmin(t *testing.T, s *natsServer) *app.Conn {
	t.Helper()
	cfg := adminConfig(t, s)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	conn, err := app.Connect(cfg, "natsconf-test-setup", false, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := app.Setup(ctx, cfg, app.Pipeline(cfg, conn, log)); err != nil {
		t.Fatalf("app.Setup as admin: %v\nserver log:\n%s", err, s.log())
	}
	return conn
}

// nextSubjects are where stage publishes when it is done with a job, per
// the route the code runs (app.Route).
func nextSubjects(stage, region string) []string {
	if stage == job.StagePlan {
		return []string{pipeline.EventPlanned, pipeline.JobSubject(app.Route[0], region)}
	}
	i := slices.Index(app.Route, stage)
	if i+1 == len(app.Route) {
		return []string{pipeline.DoneSubject(region)}
	}
	return []string{pipeline.JobSubject(app.Route[i+1], region)}
}

func filterOf(stage string) string {
	if stage == job.StagePlan {
		return pipeline.SubjectTrigger
	}
	return pipeline.JobFilter(stage)
}

// TestConfigValid checks nats.conf with `nats-server -t` as an operator
// would, and that it holds no password.
func TestConfigValid(t *testing.T) {
	requireNATSServer(t)
	dir := confDir(t)
	conf := filepath.Join(dir, "nats.conf")
	check := func(env []string) (string, error) {
		cmd := exec.Command(natsServerBin, "-c", conf, "-t")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	env := serverEnv("127.0.0.1:14222", filepath.Join(dir, "store"))
	if out, err := check(env); err != nil || !strings.Contains(out, "is valid") {
		t.Errorf("nats-server -c nats.conf -t: %v\n%s", err, out)
	}
	// 2.9 has no default for an unset variable: the error must name it.
	for _, v := range []string{"GD_NATS_LISTEN", "GD_NATS_STORE_DIR"} {
		out, err := check(slices.DeleteFunc(slices.Clone(env), func(s string) bool { return strings.HasPrefix(s, v+"=") }))
		if err == nil || !strings.Contains(out, v) {
			t.Errorf("without %s: %v, want an error naming it:\n%s", v, err, out)
		}
	}
	// A hash the include file leaves out comes from the environment.
	if err := os.WriteFile(filepath.Join(dir, "nats-users.conf"), []byte("# empty\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := check(env); err == nil || !strings.Contains(out, "GD_NATS_HASH_") {
		t.Errorf("empty include, no env hashes: %v, want an error naming a GD_NATS_HASH_ variable:\n%s", err, out)
	}
	hashes := slices.Clone(env)
	for _, u := range users() {
		h, err := HashPassword("pw-"+u, bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, "GD_NATS_HASH_"+strings.ToUpper(u)+"="+h)
	}
	if out, err := check(hashes); err != nil || !strings.Contains(out, "is valid") {
		t.Errorf("hashes from the environment: %v\n%s", err, out)
	}

	// Every user of the code has an entry, and every password is a hash
	// variable, never a literal.
	b, err := os.ReadFile(filepath.Join(repoRoot, "nats.conf"))
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`(?m)#.*$`).ReplaceAllString(string(b), "")
	var got []string
	for _, m := range regexp.MustCompile(`user:\s*(\w+)\s*,\s*password:\s*(\S+)`).FindAllStringSubmatch(text, -1) {
		got = append(got, m[1])
		if want := "$GD_NATS_HASH_" + strings.ToUpper(m[1]); m[2] != want {
			t.Errorf("user %s: password %q, want %s (a bcrypt hash from nats-users.conf)", m[1], m[2], want)
		}
	}
	if n := strings.Count(text, "password"); n != len(got) {
		t.Errorf("nats.conf has %d password fields, %d of them in user entries", n, len(got))
	}
	slices.Sort(got)
	want := users()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("nats.conf users %v, want %v", got, want)
	}
}

// TestGenUsers checks deploy/nats/gen-users.sh: private password files, a
// hash per user that matches, idempotent re-runs and rotation of one user.
func TestGenUsers(t *testing.T) {
	dir := t.TempDir()
	pwDir := filepath.Join(dir, "pw")
	read := func() (map[string]string, map[string]string) {
		t.Helper()
		pws, hashes := map[string]string{}, map[string]string{}
		b, err := os.ReadFile(filepath.Join(dir, "nats-users.conf"))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`(?m)^GD_NATS_HASH_(\w+): "(\$2a\$11\$[./A-Za-z0-9]{53})"$`).FindAllStringSubmatch(string(b), -1) {
			hashes[strings.ToLower(m[1])] = m[2]
		}
		for _, u := range users() {
			f := filepath.Join(pwDir, u+".password")
			st, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v, want 0600", f, st.Mode().Perm())
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			pws[u] = strings.TrimRight(string(b), "\n")
			if len(pws[u]) < 32 {
				t.Errorf("%s: password of %d characters, want at least 32", u, len(pws[u]))
			}
			if err := bcrypt.CompareHashAndPassword([]byte(hashes[u]), []byte(pws[u])); err != nil {
				t.Errorf("%s: hash in nats-users.conf does not match its password file: %v", u, err)
			}
		}
		if len(hashes) != len(users()) {
			t.Errorf("nats-users.conf has %d hashes, want %d:\n%s", len(hashes), len(users()), b)
		}
		if bytesContainAny(b, pws) {
			t.Error("nats-users.conf contains a password")
		}
		return pws, hashes
	}
	if out, err := genUsers(dir, pwDir); err != nil {
		t.Fatalf("gen-users.sh: %v\n%s", err, out)
	}
	if st, err := os.Stat(pwDir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("password dir: %v %v, want mode 0700", st.Mode().Perm(), err)
	}
	pws1, _ := read()

	// Again: every password kept.
	if out, err := genUsers(dir, pwDir); err != nil || strings.Contains(out, "new password") {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	pws2, _ := read()
	if !sameExcept(pws1, pws2, "") {
		t.Error("a second run changed passwords")
	}

	// Rotation replaces exactly one.
	if out, err := genUsers(dir, pwDir, "--rotate", "dump"); err != nil {
		t.Fatalf("--rotate dump: %v\n%s", err, out)
	}
	pws3, _ := read()
	if !sameExcept(pws2, pws3, "dump") || pws2["dump"] == pws3["dump"] {
		t.Error("--rotate dump did not change exactly dump's password")
	}
	if out, err := genUsers(dir, pwDir, "--rotate", "nobody"); err == nil || !strings.Contains(out, "nobody") {
		t.Errorf("--rotate of an unknown user: %v\n%s", err, out)
	}
}

func bytesContainAny(b []byte, values map[string]string) bool {
	for _, v := range values {
		if strings.Contains(string(b), v) {
			return true
		}
	}
	return false
}

// sameExcept reports whether a and b are equal except at key except.
func sameExcept(a, b map[string]string, except string) bool {
	for k, v := range a {
		if k != except && b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

// TestAdminSetup runs the project's setup as admin, twice (it must be
// idempotent), and checks what it created.
func TestAdminSetup(t *testing.T) {
	s := startServer(t)
	setupAsAdmin(t, s)
	conn := setupAsAdmin(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, name := range []string{pipeline.StreamJobs, pipeline.StreamDLQ, pipeline.StreamEvents, "KV_" + lease.Bucket} {
		st, err := conn.JS.Stream(ctx, name)
		if err != nil {
			t.Errorf("stream %s: %v", name, err)
			continue
		}
		if name == pipeline.StreamJobs && st.CachedInfo().Config.Retention != jetstream.WorkQueuePolicy {
			t.Errorf("%s: retention %v, want work queue", name, st.CachedInfo().Config.Retention)
		}
	}
	for _, stage := range app.AllStages() {
		c, err := conn.JS.Consumer(ctx, pipeline.StreamJobs, stage)
		if err != nil {
			t.Errorf("consumer %s: %v", stage, err)
			continue
		}
		if f := c.CachedInfo().Config.FilterSubject; f != filterOf(stage) {
			t.Errorf("consumer %s: filter %q, want %q", stage, f, filterOf(stage))
		}
	}
	if _, err := conn.JS.KeyValue(ctx, lease.Bucket); err != nil {
		t.Errorf("lease bucket: %v", err)
	}
}

// TestPermissions checks each user's boundaries with real nats.go calls:
// what its role needs works, what it does not need is refused by the server.
func TestPermissions(t *testing.T) {
	s := startServer(t)
	setupAsAdmin(t, s)
	const region = "PERMTEST"

	t.Run("unauthenticated", func(t *testing.T) {
		for name, opts := range map[string][]nats.Option{
			"no user":             nil,
			"wrong password":      {nats.UserInfo("dump", "not-the-password")},
			"another's password":  {nats.UserInfo("dump", password(t, "admin"))},
			"unknown user":        {nats.UserInfo("root", password(t, "admin"))},
			"hash as a password":  {nats.UserInfo("dump", hashOf(t, "dump"))},
			"password of trigger": {nats.UserInfo("admin", password(t, "trigger"))},
		} {
			nc, err := nats.Connect(s.URL, append(opts, nats.NoReconnect(), nats.Timeout(3*time.Second))...)
			if err == nil {
				nc.Close()
				t.Errorf("%s: connected", name)
			} else if !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
				t.Errorf("%s: %v, want an authorization violation", name, err)
			}
		}
	})

	t.Run("trigger", func(t *testing.T) {
		ok := s.connect(t, "trigger")
		ok.allowed(t, "publish the trigger", func(ctx context.Context) error {
			for i, want := range []bool{false, true} {
				dup, err := pipeline.Trigger(ctx, ok.js, &job.Trigger{V: job.Version, Run: "perm-1", At: time.Now().UTC()})
				if err != nil {
					return err
				}
				if dup != want {
					return fmt.Errorf("trigger %d: duplicate=%v, want %v", i, dup, want)
				}
			}
			return nil
		})
		c := s.connect(t, "trigger")
		c.denied(t, "Publish", pipeline.JobSubject(job.StageDump, region), jsPublish(c, pipeline.JobSubject(job.StageDump, region)))
		c.denied(t, "Publish", pipeline.DoneSubject(region), jsPublish(c, pipeline.DoneSubject(region)))
		c.denied(t, "Publish", pipeline.SubjectRunFinished, jsPublish(c, pipeline.SubjectRunFinished))
		// Other users' inboxes (PubAcks, fetched jobs, API replies) and the
		// shared default prefix are closed to it.
		for _, subj := range []string{"gd.>", "gd.event.>", "gd.dlq.>", pipeline.SubjectTrigger, "$JS.EVENT.>", ">",
			"_INBOX_dump.>", "_INBOX_admin.>", "_INBOX.>"} {
			c.denied(t, "Subscription", subj, subscribe(c, subj))
		}
		c.denied(t, "Publish", "$JS.API.STREAM.INFO.GD_EVENTS", func(ctx context.Context) error {
			_, err := app.WatchRun(ctx, c.js, "perm-1")
			return err
		})
		c.denied(t, "Publish", "$JS.API.STREAM.INFO.GD_DLQ", func(ctx context.Context) error {
			_, err := pipeline.ListDLQ(ctx, c.js, pipeline.Filter{})
			return err
		})
		c.denied(t, "Publish", "$JS.API.STREAM.MSG.GET.GD_JOBS", request(c, "$JS.API.STREAM.MSG.GET.GD_JOBS", `{"seq":1}`))
		c.denied(t, "Publish", "$JS.API.CONSUMER.INFO.GD_JOBS.plan", bindConsumer(c, job.StagePlan))
		c.denied(t, "Publish", "$JS.API.CONSUMER.MSG.NEXT.GD_JOBS.plan", request(c, "$JS.API.CONSUMER.MSG.NEXT.GD_JOBS.plan", `{"batch":1,"no_wait":true}`))
		c.denied(t, "Publish", "$JS.API.STREAM.INFO.KV_gd_workers", func(ctx context.Context) error {
			_, err := app.OpenPresence(ctx, c.js, false, 0)
			return err
		})
		// The trigger command with GD_NATS_SETUP left true would try this.
		c.denied(t, "Publish", "$JS.API.STREAM.UPDATE.GD_JOBS", func(ctx context.Context) error {
			return pipeline.EnsureStreams(ctx, c.js, 1)
		})
	})

	t.Run("dump", func(t *testing.T) {
		ok := s.connect(t, "dump")
		ok.allowed(t, "bind its consumer", bindConsumer(ok, job.StageDump))
		ok.allowed(t, "hand a job to stats", jsPublish(ok, pipeline.JobSubject(job.StageStats, region)))
		ok.allowed(t, "dead-letter", jsPublish(ok, pipeline.DLQSubject(job.StageDump, region)))
		ok.allowed(t, "announce an exclusion", jsPublish(ok, pipeline.ExcludedSubject(region)))
		ok.allowed(t, "get and delete a job: the max-deliveries rescue", func(ctx context.Context) error {
			ack, err := ok.js.Publish(ctx, pipeline.JobSubject(job.StageStats, region), []byte(`{"test":"rescue"}`))
			if err != nil {
				return err
			}
			st, err := ok.js.Stream(ctx, pipeline.StreamJobs)
			if err != nil {
				return err
			}
			if _, err := st.GetMsg(ctx, ack.Sequence); err != nil {
				return err
			}
			return st.DeleteMsg(ctx, ack.Sequence)
		})
		ok.allowed(t, "watch its max-deliveries advisory", func(context.Context) error {
			_, err := ok.nc.QueueSubscribe(pipeline.AdvisoryMaxDeliveries(job.StageDump), "gravedancer-advisory", func(*nats.Msg) {})
			return err
		})

		c := s.connect(t, "dump")
		for _, subj := range []string{pipeline.JobSubject(job.StageRestore, region), pipeline.SubjectTrigger,
			pipeline.JobSubject(job.StageDump, region), pipeline.DoneSubject(region), pipeline.DLQSubject(job.StageRestore, region), pipeline.EventPlanned} {
			c.denied(t, "Publish", subj, jsPublish(c, subj))
		}
		// Another stage's consumer: neither bind nor fetch, nor ack its jobs.
		c.denied(t, "Publish", "$JS.API.CONSUMER.INFO.GD_JOBS.restore", bindConsumer(c, job.StageRestore))
		c.denied(t, "Publish", "$JS.API.CONSUMER.MSG.NEXT.GD_JOBS.restore", request(c, "$JS.API.CONSUMER.MSG.NEXT.GD_JOBS.restore", `{"batch":1,"no_wait":true}`))
		c.denied(t, "Publish", "$JS.ACK.GD_JOBS.restore.1.5.5.0.0", request(c, "$JS.ACK.GD_JOBS.restore.1.5.5.0.0", "+ACK"))
		// The DLQ: no stream info, no message get, no consumer, no core subscription.
		c.denied(t, "Publish", "$JS.API.STREAM.INFO.GD_DLQ", func(ctx context.Context) error {
			_, err := pipeline.GetDLQ(ctx, c.js, 1)
			return err
		})
		c.denied(t, "Publish", "$JS.API.STREAM.MSG.GET.GD_DLQ", request(c, "$JS.API.STREAM.MSG.GET.GD_DLQ", `{"seq":1}`))
		c.denied(t, "Publish", "$JS.API.DIRECT.GET.GD_DLQ", request(c, "$JS.API.DIRECT.GET.GD_DLQ", `{"seq":1}`))
		c.denied(t, "Publish", "$JS.API.CONSUMER.CREATE.GD_DLQ.peek", func(ctx context.Context) error {
			_, err := c.js.CreateConsumer(ctx, pipeline.StreamDLQ, jetstream.ConsumerConfig{Durable: "peek"})
			return err
		})
		c.denied(t, "Publish", "$JS.API.CONSUMER.CREATE.GD_DLQ.peek.gd.dlq.>", func(ctx context.Context) error {
			_, err := c.js.CreateConsumer(ctx, pipeline.StreamDLQ, jetstream.ConsumerConfig{Durable: "peek", FilterSubject: "gd.dlq.>"})
			return err
		})
		c.denied(t, "Subscription", "gd.dlq.>", subscribe(c, "gd.dlq.>"))
		c.denied(t, "Subscription", "gd.job.>", subscribe(c, "gd.job.>"))
		c.denied(t, "Subscription", pipeline.AdvisoryMaxDeliveries(job.StageRestore), subscribe(c, pipeline.AdvisoryMaxDeliveries(job.StageRestore)))
		// The events stream (run reports) and test-server leases are not
		// dump's; dump slots are.
		c.denied(t, "Publish", "$JS.API.STREAM.INFO.GD_EVENTS", func(ctx context.Context) error {
			_, err := app.WatchRun(ctx, c.js, "perm-1")
			return err
		})
		c.denied(t, "Publish", "$KV.gd_leases.127_0_0_1_3306", jsPublish(c, "$KV.gd_leases.127_0_0_1_3306"))
	})
	// On a connection of its own: a denial above is reported asynchronously
	// and would fail the next operation on the same connection.
	t.Run("dump slots", func(t *testing.T) {
		c := s.connect(t, job.StageDump)
		c.allowed(t, "take a dump slot twice", takeTwice(c, job.StageDump, dump.SlotName("127.0.0.1:3306", 0)))
	})

	// Every stage user (and the union worker) can do its stage's work and
	// none can manage streams or consumers.
	for _, user := range append(app.AllStages(), "worker") {
		t.Run("stage "+user, func(t *testing.T) {
			stages := []string{user}
			if user == "worker" {
				stages = app.AllStages()
			}
			ok := s.connect(t, user)
			for _, stage := range stages {
				ok.allowed(t, "bind consumer "+stage, bindConsumer(ok, stage))
				ok.allowed(t, "fetch from "+stage, func(ctx context.Context) error {
					cons, err := ok.js.Consumer(ctx, pipeline.StreamJobs, stage)
					if err != nil {
						return err
					}
					_, err = cons.Fetch(1, jetstream.FetchMaxWait(200*time.Millisecond))
					return err
				})
				for _, subj := range append(nextSubjects(stage, region), pipeline.DLQSubject(stage, region), pipeline.ExcludedSubject(region)) {
					ok.allowed(t, "publish "+subj, jsPublish(ok, subj))
				}
				ok.allowed(t, "subscribe to its advisory", func(context.Context) error {
					_, err := ok.nc.QueueSubscribe(pipeline.AdvisoryMaxDeliveries(stage), "gravedancer-advisory", func(*nats.Msg) {})
					return err
				})
			}
			ok.allowed(t, "list itself in the presence bucket", func(ctx context.Context) error {
				if _, err := app.OpenPresence(ctx, ok.js, false, 0); err != nil {
					return err
				}
				kv, err := ok.js.KeyValue(ctx, app.PresenceBucket)
				if err != nil {
					return err
				}
				if _, err := kv.Put(ctx, "natsconf-test-"+user, []byte(`{}`)); err != nil {
					return err
				}
				return kv.Delete(ctx, "natsconf-test-"+user)
			})
			reporter := user == job.StagePlan || user == "worker"
			if reporter {
				ok.allowed(t, "run the run reporter", func(ctx context.Context) error {
					r, err := app.StartReporter(ctx, ok.js, &store.Spool{Dir: t.TempDir()}, false, 0, slog.New(slog.NewTextHandler(io.Discard, nil)))
					if err != nil {
						return err
					}
					time.Sleep(100 * time.Millisecond) // a fetch (and acks of pending events)
					r.Stop()
					kv, err := ok.js.KeyValue(ctx, app.RunsBucket)
					if err != nil {
						return err
					}
					rev, err := kv.Create(ctx, "perm-"+user, []byte(`{}`))
					if err != nil {
						return err
					}
					if _, err := kv.Get(ctx, "perm-"+user); err != nil {
						return err
					}
					_, err = kv.Update(ctx, "perm-"+user, []byte(`{"x":1}`), rev)
					return err
				})
				ok.allowed(t, "announce a finished run", func(ctx context.Context) error {
					return pipeline.RunFinished(ctx, ok.js, "perm-"+user, []byte(`{}`))
				})
				ok.allowed(t, "keep the staleness alert state", func(ctx context.Context) error {
					st, err := alert.OpenState(ctx, ok.js, false, 0)
					if err != nil {
						return err
					}
					region := "PERM" + strings.ToUpper(user)
					if err := st.Put(ctx, region, alert.RegionState{Stale: true}, 0); err != nil {
						return err
					}
					_, rev, err := st.Get(ctx, region)
					if err != nil {
						return err
					}
					return st.Put(ctx, region, alert.RegionState{}, rev)
				})
			}

			c := s.connect(t, user)
			c.denied(t, "Publish", "$JS.API.STREAM.CREATE.GD_EVIL", func(ctx context.Context) error {
				_, err := c.js.CreateStream(ctx, jetstream.StreamConfig{Name: "GD_EVIL", Subjects: []string{"evil.>"}})
				return err
			})
			for _, name := range []string{pipeline.StreamJobs, pipeline.StreamDLQ, pipeline.StreamEvents, "KV_" + lease.Bucket} {
				c.denied(t, "Publish", "$JS.API.STREAM.DELETE."+name, func(ctx context.Context) error {
					return c.js.DeleteStream(ctx, name)
				})
			}
			c.denied(t, "Publish", "$JS.API.STREAM.PURGE.GD_JOBS", request(c, "$JS.API.STREAM.PURGE.GD_JOBS", ""))
			c.denied(t, "Publish", "$JS.API.STREAM.UPDATE.GD_JOBS", func(ctx context.Context) error {
				return pipeline.EnsureStreams(ctx, c.js, 1)
			})
			stage := stages[0]
			spec := pipeline.ConsumerSpec{Stage: stage, Filter: filterOf(stage), Concurrency: 1, AckWait: time.Minute, MaxDeliver: 1}
			c.denied(t, "Publish", "$JS.API.CONSUMER.CREATE.GD_JOBS."+stage+"."+spec.Filter, func(ctx context.Context) error {
				_, err := pipeline.EnsureConsumer(ctx, c.js, spec)
				return err
			})
			c.denied(t, "Publish", "$JS.API.CONSUMER.DELETE.GD_JOBS."+stage, func(ctx context.Context) error {
				return c.js.DeleteConsumer(ctx, pipeline.StreamJobs, stage)
			})
			c.denied(t, "Publish", "$JS.API.CONSUMER.DURABLE.CREATE.GD_JOBS."+stage, request(c, "$JS.API.CONSUMER.DURABLE.CREATE.GD_JOBS."+stage, "{}"))
			c.denied(t, "Publish", "$JS.API.INFO", func(ctx context.Context) error {
				_, err := c.js.AccountInfo(ctx)
				return err
			})
			c.denied(t, "Publish", pipeline.SubjectTrigger, jsPublish(c, pipeline.SubjectTrigger))
			c.denied(t, "Subscription", "gd.event.>", subscribe(c, "gd.event.>"))
			c.denied(t, "Publish", "$JS.API.STREAM.INFO.KV_"+pipeline.ReplayBucket, func(ctx context.Context) error {
				_, err := pipeline.OpenReplayer(ctx, c.js, false, 0)
				return err
			})
			if !reporter {
				c.denied(t, "Publish", pipeline.SubjectRunFinished, jsPublish(c, pipeline.SubjectRunFinished))
				c.denied(t, "Publish", "$JS.API.STREAM.INFO.KV_"+app.RunsBucket, func(ctx context.Context) error {
					_, err := app.StartReporter(ctx, c.js, &store.Spool{Dir: t.TempDir()}, false, 0, slog.New(slog.NewTextHandler(io.Discard, nil)))
					return err
				})
				c.denied(t, "Publish", "$JS.API.CONSUMER.MSG.NEXT.GD_EVENTS.reporter", request(c, "$JS.API.CONSUMER.MSG.NEXT.GD_EVENTS.reporter", `{"batch":1,"no_wait":true}`))
				c.denied(t, "Publish", "$JS.API.STREAM.INFO.KV_"+alert.StateBucket, func(ctx context.Context) error {
					_, err := alert.OpenState(ctx, c.js, false, 0)
					return err
				})
			}
			if user != "worker" {
				// A stage user neither takes nor hands on another stage's jobs.
				other := app.AllStages()[(slices.Index(app.AllStages(), user)+2)%len(app.AllStages())]
				c.denied(t, "Publish", "$JS.API.CONSUMER.MSG.NEXT.GD_JOBS."+other, request(c, "$JS.API.CONSUMER.MSG.NEXT.GD_JOBS."+other, `{"batch":1,"no_wait":true}`))
				c.denied(t, "Publish", pipeline.DLQSubject(other, region), jsPublish(c, pipeline.DLQSubject(other, region)))
				if user != job.StageRestore && user != job.StageDump {
					c.denied(t, "Publish", "$JS.API.STREAM.INFO.KV_gd_leases", func(ctx context.Context) error {
						_, err := lease.Bind(ctx, c.js, time.Minute, user)
						return err
					})
				}
			}
		})
	}

	// restore (and worker) take, renew and give back test-server leases;
	// worker dump slots too.
	for _, user := range []string{job.StageRestore, "worker"} {
		t.Run("leases "+user, func(t *testing.T) {
			c := s.connect(t, user)
			c.allowed(t, "lease a test server twice", takeTwice(c, user, "127.0.0.1:3306"))
			if user == "worker" {
				c.allowed(t, "take a dump slot twice", takeTwice(c, user, dump.SlotName("127.0.0.1:3306", 0)))
			}
		})
	}

	t.Run("admin", func(t *testing.T) {
		// A dead letter as a stage writes it, for admin to list, show and replay.
		d := s.connect(t, job.StageDump)
		d.allowed(t, "dead-letter a job", func(ctx context.Context) error {
			j := &job.Job{V: job.Version, Run: "perm-1", Region: region, Addr: "127.0.0.1:1", Stage: job.StageDump,
				Exclusion: &job.Exclusion{Stage: job.StageDump, Reason: "test", At: time.Now().UTC()}}
			m := nats.NewMsg(pipeline.DLQSubject(job.StageDump, region))
			m.Data = job.Encode(j)
			for k, v := range map[string]string{pipeline.HdrRun: "perm-1", pipeline.HdrRegion: region, pipeline.HdrStage: job.StageDump,
				pipeline.HdrSubject: pipeline.JobSubject(job.StageDump, region), pipeline.HdrReason: "test"} {
				m.Header.Set(k, v)
			}
			_, err := d.js.PublishMsg(ctx, m)
			return err
		})
		c := s.connect(t, "admin")
		c.allowed(t, "dlq list, show and replay", func(ctx context.Context) error {
			entries, err := pipeline.ListDLQ(ctx, c.js, pipeline.Filter{Run: "perm-1", Region: region})
			if err != nil {
				return err
			}
			if len(entries) != 1 {
				return fmt.Errorf("dlq list: %d entries of run perm-1, want 1", len(entries))
			}
			e, err := pipeline.GetDLQ(ctx, c.js, entries[0].Seq)
			if err != nil {
				return err
			}
			rp, err := pipeline.OpenReplayer(ctx, c.js, false, 0)
			if err != nil {
				return err
			}
			if _, err := rp.Replay(ctx, e, "natsconf-test", false); err != nil {
				return err
			}
			if st, err := rp.Status(ctx, e.Seq); err != nil || st == nil || st.Count != 1 {
				return fmt.Errorf("replay status %+v, %v", st, err)
			}
			return nil
		})
		c.allowed(t, "status and watching a run", func(ctx context.Context) error {
			cfg := adminConfig(t, s)
			cfg.SpoolDir = t.TempDir()
			if _, err := app.GetStatus(ctx, cfg, c.js); err != nil {
				return err
			}
			pres, err := app.OpenPresence(ctx, c.js, false, 0)
			if err != nil {
				return err
			}
			if _, err := pres.List(ctx); err != nil {
				return err
			}
			_, err = app.WatchRun(ctx, c.js, "perm-1")
			return err
		})
	})
}

func hashOf(t *testing.T, user string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedCreds(t), "nats-users.conf"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`GD_NATS_HASH_` + strings.ToUpper(user) + `: "([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no hash for %s", user)
	}
	return string(m[1])
}

// workerProc is one long-running gravedancer process.
type workerProc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error
}

func (w *workerProc) log() string {
	b, _ := os.ReadFile(w.logPath)
	return string(b)
}

func runBinary(t *testing.T, env []string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(gravedancerBin, args...)
	cmd.Env = env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func withNATSUser(env []string, user, pwFile string, setup bool) []string {
	return append(slices.Clone(env), "GD_NATS_USER="+user, "GD_NATS_PASSWORD_FILE="+pwFile,
		"GD_NATS_SETUP="+strconv.FormatBool(setup))
}

// TestPipelinePerRoleUsers runs the real binary the way a locked-down fleet
// does: setup as admin, one worker process per stage each with its own NATS
// user, cron's trigger as trigger. Both healthy regions must come out
// verified, shipped and pruned and the unreachable one dead-lettered, the
// plan process must file the run report, admin must see the workers in
// status and replay the dead letter, and no worker may log a permissions
// violation.
func TestPipelinePerRoleUsers(t *testing.T) {
	s := startServer(t)
	dir := t.TempDir()

	const sourcePassword = "natsconf-e2e-pw"
	var regions []string
	for _, name := range []string{"REG1", "REG2"} {
		m := testenv.StartMariaDB(t)
		testenv.LoadSample(t, m, name)
		m.CreateUser(t, "backupuser", sourcePassword, testenv.BackupGrants)
		regions = append(regions, name+"="+m.Addr())
	}
	regions = append(regions, "REG3="+testenv.DeadAddr(t))
	testServer := testenv.StartMariaDB(t)
	srcPw := filepath.Join(dir, "source.password")
	if err := os.WriteFile(srcPw, []byte(sourcePassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	shipDir := filepath.Join(dir, "shipped")
	if err := os.Mkdir(shipDir, 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TZ=UTC",
		"GD_NATS_URL=" + s.URL,
		"GD_REGIONS=" + strings.Join(regions, ","),
		"GD_SOURCE_USER=backupuser", "GD_SOURCE_PASSWORD_FILE=" + srcPw,
		"GD_TEST_SERVERS=" + testServer.Addr(), "GD_RESTORE_USER=root",
		"GD_CHECK_DATABASES=keystone,nova,neutron",
		"GD_SHIP=dir", "GD_SHIP_DIR=" + shipDir,
		"GD_SPOOL_DIR=" + filepath.Join(dir, "spool"),
		"GD_ENCRYPT=off",
		"GD_MAX_DELIVER=2", "GD_RETRY_DELAY=100ms",
		"GD_LOG_FORMAT=json", "GD_LOG_LEVEL=info",
	}

	out, errOut, err := runBinary(t, append(withNATSUser(env, "admin", passwordFile(t, "admin"), true), "GD_STATE_DIR="+filepath.Join(dir, "state-setup")), "setup")
	if err != nil || !strings.Contains(out, "ready") {
		t.Fatalf("gravedancer setup as admin: %v\n%s%s\nserver log:\n%s", err, out, errOut, s.log())
	}

	var workers []*workerProc // every process started, for logs and cleanup
	t.Cleanup(func() {
		for _, w := range workers {
			select {
			case <-w.done:
			default:
				_ = w.cmd.Process.Kill()
				<-w.done
			}
		}
	})
	printLogs := func() {
		for _, w := range workers {
			t.Logf("%s log:\n%s", w.name, w.log())
		}
	}
	// start runs `gravedancer args…` as NATS user, with GD_NATS_SETUP=false.
	start := func(name, user string, args ...string) *workerProc {
		w := &workerProc{name: name, logPath: filepath.Join(dir, name+".log"), done: make(chan struct{})}
		logf, err := os.Create(w.logPath)
		if err != nil {
			t.Fatal(err)
		}
		defer logf.Close()
		w.cmd = exec.Command(gravedancerBin, args...)
		w.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		w.cmd.Env = append(withNATSUser(env, user, passwordFile(t, user), false), "GD_STATE_DIR="+filepath.Join(dir, "state-"+name))
		w.cmd.Stdout, w.cmd.Stderr = logf, logf
		if err := w.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { w.err = w.cmd.Wait(); close(w.done) }()
		workers = append(workers, w)
		return w
	}
	// waitRunning waits until each has bound its consumers and says so.
	waitRunning := func(ws ...*workerProc) {
		deadline := time.Now().Add(30 * time.Second)
		for _, w := range ws {
			for !strings.Contains(w.log(), `"msg":"worker running"`) {
				select {
				case <-w.done:
					printLogs()
					t.Fatalf("%s exited at start: %v", w.name, w.err)
				case <-time.After(50 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					printLogs()
					t.Fatalf("%s not running after 30s", w.name)
				}
			}
		}
	}
	// stop sends SIGTERM; each must exit 0.
	stop := func(ws ...*workerProc) {
		for _, w := range ws {
			_ = w.cmd.Process.Signal(syscall.SIGTERM)
		}
		for _, w := range ws {
			select {
			case <-w.done:
				if w.err != nil {
					t.Errorf("%s after SIGTERM: %v, want exit 0", w.name, w.err)
				}
			case <-time.After(30 * time.Second):
				t.Errorf("%s did not stop within 30s of SIGTERM", w.name)
			}
		}
	}

	var stageWorkers []*workerProc
	for _, stage := range app.AllStages() {
		stageWorkers = append(stageWorkers, start("worker-"+stage, stage, "worker", "--stages", stage, "--grace", "5s"))
	}
	waitRunning(stageWorkers...)

	admin := s.connect(t, "admin")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	watch, err := app.WatchRun(ctx, admin.js, "T1")
	if err != nil {
		t.Fatal(err)
	}
	triggerEnv := append(withNATSUser(env, "trigger", passwordFile(t, "trigger"), false), "GD_STATE_DIR="+filepath.Join(dir, "state-trigger"))
	for i, want := range []string{"triggered run T1", "already triggered"} {
		out, errOut, err := runBinary(t, triggerEnv, "trigger", "--run", "T1")
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("trigger %d as trigger: %v, want %q\n%s%s", i, err, want, out, errOut)
		}
	}
	rep, err := watch.Wait(ctx, nil)
	if err != nil {
		printLogs()
		t.Fatalf("run T1: %v", err)
	}
	if len(rep.Regions) != 3 || rep.Good() != 2 || rep.Excluded() != 1 {
		t.Errorf("run T1: %d regions, %d good, %d excluded, want 3, 2, 1", len(rep.Regions), rep.Good(), rep.Excluded())
	}
	for _, g := range rep.Regions {
		if g.Region == "REG3" {
			if g.Outcome != report.OutcomeExcluded || g.Stage != job.StageDump {
				t.Errorf("%s: %s at %s (%s), want excluded at dump", g.Region, g.Outcome, g.Stage, g.Reason)
			}
		} else if g.Outcome != report.OutcomeGood || g.Reached != "dumped+checked+verified+shipped+pruned" {
			t.Errorf("%s: %s, reached %q at %s: %s", g.Region, g.Outcome, g.Reached, g.Stage, g.Reason)
		}
	}

	// The plan process's reporter files the run's report.
	spool := &store.Spool{Dir: filepath.Join(dir, "spool")}
	for deadline := time.Now().Add(15 * time.Second); ; {
		if r, err := report.Find(spool, "T1"); err == nil {
			if r.Good() != 2 || r.Excluded() != 1 {
				t.Errorf("filed report: %d good, %d excluded", r.Good(), r.Excluded())
			}
			break
		}
		if time.Now().After(deadline) {
			printLogs()
			t.Fatal("no run report for T1 after 15s (the plan worker's reporter)")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Nothing left behind in the queue; REG3's exclusion in the DLQ.
	streamMsgs := func(name string) uint64 {
		t.Helper()
		st, err := admin.js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return st.CachedInfo().State.Msgs
	}
	if n := streamMsgs(pipeline.StreamJobs); n != 0 {
		t.Errorf("%s holds %d messages after the run, want 0", pipeline.StreamJobs, n)
	}
	if n := streamMsgs(pipeline.StreamDLQ); n != 1 {
		t.Errorf("%s holds %d messages after the run, want 1 (REG3)", pipeline.StreamDLQ, n)
	}

	// Operator commands, as admin.
	adminEnv := append(withNATSUser(env, "admin", passwordFile(t, "admin"), false), "GD_STATE_DIR="+filepath.Join(dir, "state-admin"))
	out, errOut, err = runBinary(t, adminEnv, "status", "--json")
	if err != nil {
		t.Errorf("status as admin: %v\n%s%s", err, out, errOut)
	} else {
		var st app.Status
		if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Workers) != len(stageWorkers) {
			t.Errorf("status as admin: %v, %d workers listed, want %d:\n%s", err, len(st.Workers), len(stageWorkers), out)
		}
	}
	out, errOut, err = runBinary(t, adminEnv, "dlq", "replay", "--region", "REG3")
	if err != nil || !strings.Contains(out, "replayed") {
		t.Errorf("dlq replay as admin: %v\n%s%s", err, out, errOut)
	}
	// The replayed job goes through dump again and is excluded again.
	for deadline := time.Now().Add(30 * time.Second); streamMsgs(pipeline.StreamDLQ) < 2; {
		if time.Now().After(deadline) {
			printLogs()
			t.Fatal("replayed REG3 job not dead-lettered again within 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, errOut, err = runBinary(t, adminEnv, "dlq", "list", "--region", "REG3")
	if err != nil || !strings.HasPrefix(out, "SEQ") || !strings.Contains(out, "1x") {
		t.Errorf("dlq list as admin: %v, want the entry marked replayed once\n%s%s", err, out, errOut)
	}

	stop(stageWorkers...)

	// `gravedancer run` (every stage in one process) as the union user.
	all := start("run", "worker", "run", "--grace", "5s")
	waitRunning(all)
	watch, err = app.WatchRun(ctx, admin.js, "T2")
	if err != nil {
		t.Fatal(err)
	}
	if out, errOut, err := runBinary(t, triggerEnv, "trigger", "--run", "T2", "--regions", "REG1,REG2"); err != nil {
		t.Fatalf("trigger T2: %v\n%s%s", err, out, errOut)
	}
	if rep, err = watch.Wait(ctx, nil); err != nil || rep.Good() != 2 || len(rep.Regions) != 2 {
		printLogs()
		t.Fatalf("run T2 under user worker: %v, %+v", err, rep.Regions)
	}
	stop(all)

	violations := regexp.MustCompile(`(?i)(permissions|authorization) violation`)
	for _, w := range workers {
		sc := bufio.NewScanner(strings.NewReader(w.log()))
		for sc.Scan() {
			if violations.MatchString(sc.Text()) {
				t.Errorf("%s: %s", w.name, sc.Text())
			}
		}
	}
	if t.Failed() {
		printLogs()
	}
}

// tlsFiles is a throwaway CA with a server certificate for 127.0.0.1 and a
// client certificate, as PEM files.
type tlsFiles struct{ ca, serverCert, serverKey, clientCert, clientKey string }

func makeTLS(t *testing.T, dir string) tlsFiles {
	t.Helper()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	now := time.Now()
	caKey := newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gravedancer test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(serial int64, name string, usage x509.ExtKeyUsage) (string, string) {
		k := newKey()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return write(name+".crt", "CERTIFICATE", der), write(name+".key", "EC PRIVATE KEY", kder)
	}
	f := tlsFiles{ca: write("ca.crt", "CERTIFICATE", caDER)}
	f.serverCert, f.serverKey = leaf(2, "nats-server", x509.ExtKeyUsageServerAuth)
	f.clientCert, f.clientKey = leaf(3, "client", x509.ExtKeyUsageClientAuth)
	return f
}

// TestTLSStanza enables nats.conf's commented tls block as documented (only
// the example paths swapped for real files) and connects the way gravedancer
// does with GD_NATS_CA, GD_NATS_CERT and GD_NATS_KEY.
func TestTLSStanza(t *testing.T) {
	requireNATSServer(t)
	dir := confDir(t)
	f := makeTLS(t, t.TempDir())
	conf := filepath.Join(dir, "nats.conf")
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?m)^# tls \{\n(?:#.*\n)*?# \}\n`).Find(b)
	if block == nil {
		t.Fatal("nats.conf has no commented `# tls { … # }` block")
	}
	enabled := regexp.MustCompile(`(?m)^# ?`).ReplaceAllString(string(block), "")
	for example, real := range map[string]string{
		"/etc/gravedancer/tls/nats-server.crt": f.serverCert, "/etc/gravedancer/tls/nats-server.key": f.serverKey,
		"/etc/gravedancer/tls/ca.crt": f.ca,
	} {
		if !strings.Contains(enabled, example) {
			t.Fatalf("tls block does not name %s:\n%s", example, enabled)
		}
		enabled = strings.ReplaceAll(enabled, example, real)
	}
	if !strings.Contains(enabled, "verify: ") {
		t.Fatalf("tls block does not verify client certificates:\n%s", enabled)
	}
	if err := os.WriteFile(conf, []byte(strings.Replace(string(b), string(block), enabled, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServerIn(t, dir, nats.RootCAs(f.ca), nats.ClientCert(f.clientCert, f.clientKey))

	cfg := adminConfig(t, s)
	cfg.NATSURL = strings.Replace(s.URL, "nats://", "tls://", 1)
	cfg.NATSCA, cfg.NATSCert, cfg.NATSKey = f.ca, f.clientCert, f.clientKey
	conn, err := app.Connect(cfg, "natsconf-test-tls", false, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("app.Connect with GD_NATS_CA/CERT/KEY: %v\n%s", err, s.log())
	}
	defer conn.Close()
	if !conn.NC.TLSRequired() {
		t.Error("connection is not TLS")
	}
	if _, err := conn.JS.AccountInfo(t.Context()); err != nil {
		t.Errorf("JetStream over TLS: %v", err)
	}

	pw := password(t, "admin")
	for name, opts := range map[string][]nats.Option{
		"no client certificate": {nats.RootCAs(f.ca)},
		"no TLS":                nil,
	} {
		nc, err := nats.Connect(s.URL, append(opts, nats.UserInfo("admin", pw), nats.CustomInboxPrefix("_INBOX_admin"), nats.NoReconnect(), nats.Timeout(3*time.Second))...)
		if err == nil {
			nc.Close()
			t.Errorf("%s: connected", name)
		}
	}
}

// TestRotateAndReload follows gen-users.sh's rotation procedure on a running
// server: --rotate one user, SIGHUP, and only the new password works.
func TestRotateAndReload(t *testing.T) {
	s := startServer(t)
	pwDir := t.TempDir()
	old := password(t, job.StageDump)
	for _, u := range users() {
		copyFile(t, passwordFile(t, u), filepath.Join(pwDir, u+".password"), 0o600)
	}
	if out, err := genUsers(s.dir, pwDir, "--rotate", job.StageDump); err != nil {
		t.Fatalf("gen-users.sh --rotate dump: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(pwDir, "dump.password"))
	if err != nil {
		t.Fatal(err)
	}
	rotated := strings.TrimRight(string(b), "\n")
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	try := func(user, pw string) error {
		nc, err := nats.Connect(s.URL, nats.UserInfo(user, pw), nats.CustomInboxPrefix("_INBOX_"+user), nats.NoReconnect(), nats.Timeout(3*time.Second))
		if err == nil {
			nc.Close()
		}
		return err
	}
	for deadline := time.Now().Add(10 * time.Second); try(job.StageDump, rotated) != nil; {
		if time.Now().After(deadline) {
			t.Fatalf("rotated password of dump not accepted 10s after SIGHUP\n%s", s.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := try(job.StageDump, old); err == nil {
		t.Error("the old password of dump still works after rotation and reload")
	}
	if err := try("stats", password(t, "stats")); err != nil {
		t.Errorf("stats, not rotated: %v", err)
	}
}

// takeTwice leases name, checks the holder and releases it, twice: the
// second Create finds the delete marker, which takes a get.
func takeTwice(c *client, user, name string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		l, err := lease.Bind(ctx, c.js, 5*time.Second, user)
		if err != nil {
			return err
		}
		for i := 0; i < 2; i++ {
			ls, _, err := l.Acquire(ctx, []string{name})
			if err != nil {
				return err
			}
			if h, err := l.Holder(ctx, name); err != nil || h != user {
				return fmt.Errorf("holder %q, %v", h, err)
			}
			if err := ls.Release(ctx); err != nil {
				return err
			}
		}
		return nil
	}
}
