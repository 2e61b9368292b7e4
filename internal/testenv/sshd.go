package testenv

import (
	"gravedancer/internal/proc"

	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	// sshdReadyTimeout bounds how long StartSSHD waits for a new sshd.
	sshdReadyTimeout = 20 * time.Second
	// sshdStopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	sshdStopTimeout = 5 * time.Second
	// privsepDir is the privilege separation directory sshd insists on.
	privsepDir = "/run/sshd"
)

// SSHD is a private OpenSSH server started by StartSSHD. It listens on
// Host:Port, accepts only the key in KeyFile and logs in as User (the user
// running the test). Since it runs on this host, "remote" paths are local
// paths: Dir is an empty directory for a test to ship files into.
type SSHD struct {
	Host       string // "127.0.0.1"
	Port       int
	User       string // the current user
	KeyFile    string // client private key (ed25519, mode 0600)
	KnownHosts string // known_hosts holding the server key for [127.0.0.1]:Port
	Dir        string // empty directory for the test's remote files

	base    string // temp dir with keys, config and logs
	config  string // sshd_config
	logFile string // sshd's stderr (-e)
	sshd    string
	ssh     string

	daemon
}

// StartSSHD starts /usr/sbin/sshd -D -e with a private config, host key and
// client key, on a free port of 127.0.0.1, and returns once `ssh … true`
// logs in. sftp is served by internal-sftp, so scp (SFTP by default since
// OpenSSH 9.0) works. The server is stopped when the test ends; a watchdog
// kills it if the test binary dies first. Missing sshd, ssh or ssh-keygen
// binaries are reported through Require.
func StartSSHD(t testing.TB) *SSHD {
	t.Helper()
	began := time.Now()
	sshd, ok := lookBin("sshd")
	if !ok {
		Require(t, "sshd not found in PATH or sbin dirs (install openssh-server, e.g. scripts/ensure-deps.sh)")
	}
	sshBin, ok := lookBin("ssh")
	if !ok {
		Require(t, "ssh not found (install openssh-client, e.g. scripts/ensure-deps.sh)")
	}
	keygen, ok := lookBin("ssh-keygen")
	if !ok {
		Require(t, "ssh-keygen not found (install openssh-client, e.g. scripts/ensure-deps.sh)")
	}
	u, err := user.Current()
	if err != nil {
		t.Fatalf("testenv: StartSSHD: current user: %v", err)
	}
	if err := ensurePrivsepDir(); err != nil {
		Require(t, "sshd needs %s: %v", privsepDir, err)
	}

	base := tempDir(t, "StartSSHD", "gd-sshd-")
	s := &SSHD{
		Host:       "127.0.0.1",
		User:       u.Username,
		KeyFile:    filepath.Join(base, "client_ed25519"),
		KnownHosts: filepath.Join(base, "known_hosts"),
		Dir:        filepath.Join(base, "remote"),
		base:       base,
		config:     filepath.Join(base, "sshd_config"),
		logFile:    filepath.Join(base, "sshd.log"),
		sshd:       sshd,
		ssh:        sshBin,
	}
	if err := os.Mkdir(s.Dir, 0o755); err != nil {
		t.Fatalf("testenv: StartSSHD: %v", err)
	}
	hostKey := filepath.Join(base, "host_ed25519")
	for _, k := range []string{hostKey, s.KeyFile} {
		out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-C", "gd-testenv", "-f", k).CombinedOutput()
		if err != nil {
			t.Fatalf("testenv: StartSSHD: ssh-keygen %s: %v: %s", k, err, out)
		}
	}
	clientPub, err := os.ReadFile(s.KeyFile + ".pub")
	if err != nil {
		t.Fatalf("testenv: StartSSHD: %v", err)
	}
	authKeys := filepath.Join(base, "authorized_keys")
	if err := os.WriteFile(authKeys, clientPub, 0o600); err != nil {
		t.Fatalf("testenv: StartSSHD: %v", err)
	}
	hostPub, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		t.Fatalf("testenv: StartSSHD: %v", err)
	}
	hostFields := strings.Fields(string(hostPub)) // type, key, comment
	if len(hostFields) < 2 {
		t.Fatalf("testenv: StartSSHD: unexpected host public key %q", hostPub)
	}

	var lastErr error
	for attempt := 0; attempt < startAttempts; attempt++ {
		s.Port = FreePort(t)
		known := fmt.Sprintf("[%s]:%d %s %s\n", s.Host, s.Port, hostFields[0], hostFields[1])
		if err := os.WriteFile(s.KnownHosts, []byte(known), 0o600); err != nil {
			t.Fatalf("testenv: StartSSHD: %v", err)
		}
		cfg := sshdConfig(s.Host, s.Port, hostKey, authKeys, filepath.Join(base, "sshd.pid"))
		if err := os.WriteFile(s.config, []byte(cfg), 0o600); err != nil {
			t.Fatalf("testenv: StartSSHD: %v", err)
		}
		lastErr = s.startOnce()
		if lastErr == nil {
			break
		}
		if !errors.Is(lastErr, errPortInUse) {
			break
		}
	}
	if lastErr != nil {
		t.Logf("testenv: sshd failed to start; tail of its log:\n%s", tail(s.logFile, 40))
		t.Fatalf("testenv: StartSSHD: %v", lastErr)
	}
	t.Cleanup(s.Stop)
	t.Logf("testenv: sshd on %s:%d ready in %v", s.Host, s.Port, time.Since(began).Round(time.Millisecond))
	return s
}

// sshdConfig is a minimal, key-only config. StrictModes is off because the
// key files live under the world-writable temp dir, which StrictModes
// rejects as an unsafe path even for root. MaxStartups is raised so tests
// that open many connections at once are not randomly dropped.
func sshdConfig(host string, port int, hostKey, authKeys, pidFile string) string {
	lines := []string{
		"ListenAddress " + host,
		"Port " + strconv.Itoa(port),
		"HostKey " + hostKey,
		"AuthorizedKeysFile " + authKeys,
		"PubkeyAuthentication yes",
		"AuthenticationMethods publickey",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"UsePAM no",
		"PermitRootLogin prohibit-password",
		"StrictModes no",
		"PidFile " + pidFile,
		"LogLevel VERBOSE",
		"Subsystem sftp internal-sftp",
		"UseDNS no",
		"PrintMotd no",
		"X11Forwarding no",
		"AllowTcpForwarding no",
		"MaxStartups 100",
		"MaxSessions 50",
		"LoginGraceTime 30",
	}
	return strings.Join(lines, "\n") + "\n"
}

// ensurePrivsepDir makes /run/sshd (0755) if it is missing.
func ensurePrivsepDir() error {
	fi, err := os.Stat(privsepDir)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", privsepDir)
		}
		return nil
	}
	if !os.IsNotExist(err) {
		return err
	}
	if err := os.MkdirAll(privsepDir, 0o755); err != nil {
		return fmt.Errorf("creating it (run as root once, or create it 0755): %w", err)
	}
	return os.Chmod(privsepDir, 0o755)
}

func (s *SSHD) startOnce() error {
	logOffset := proc.FileSize(s.logFile)
	// sshd refuses to re-exec itself unless started by absolute path.
	done, err := s.launch(exec.Command(s.sshd, "-D", "-e", "-f", s.config), s.logFile, 0o600, s.base)
	if err != nil {
		return err
	}
	err = s.waitReady(done)
	if err == nil {
		return nil
	}
	s.stop(syscall.SIGKILL, 0)
	if strings.Contains(proc.ReadFrom(s.logFile, logOffset, 1<<20), "Address already in use") {
		return fmt.Errorf("%w: %s:%d", errPortInUse, s.Host, s.Port)
	}
	return err
}

// waitReady polls until the port sends an SSH banner, then until
// `ssh … true` succeeds.
func (s *SSHD) waitReady(done <-chan struct{}) error {
	deadline := time.Now().Add(sshdReadyTimeout)
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	var lastErr error
	for {
		select {
		case <-done:
			return fmt.Errorf("sshd exited before accepting connections (last error: %v)", lastErr)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sshd not ready after %v: %v", sshdReadyTimeout, lastErr)
		}
		if lastErr = banner(addr); lastErr != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := s.Command(ctx, "true").CombinedOutput()
		cancel()
		if err == nil {
			return nil
		}
		lastErr = fmt.Errorf("ssh true: %v: %s", err, strings.TrimSpace(string(out)))
		time.Sleep(50 * time.Millisecond)
	}
}

func banner(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading banner: %w", err)
	}
	if !strings.HasPrefix(line, "SSH-2.0-") {
		return fmt.Errorf("unexpected banner %q", line)
	}
	return nil
}

// SSHOptions are the client options that reach this server without prompts
// and without reading the user's ssh config: pass them to ssh (or scp, with
// -P instead of -p for the port, which this list leaves out).
func (s *SSHD) SSHOptions() []string {
	return []string{
		"-F", "none",
		"-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile=" + s.KnownHosts,
		"-o", "GlobalKnownHostsFile=none",
		"-o", "IdentitiesOnly=yes",
		"-i", s.KeyFile,
		"-o", "ConnectTimeout=15",
		"-o", "User=" + s.User,
	}
}

// Command returns `ssh <options> -p PORT -- HOST remoteCmd` for this server.
func (s *SSHD) Command(ctx context.Context, remoteCmd string) *exec.Cmd {
	args := append(s.SSHOptions(), "-o", "Port="+strconv.Itoa(s.Port), "--", s.Host, remoteCmd)
	bin := s.ssh
	if bin == "" {
		bin = "ssh"
	}
	return exec.CommandContext(ctx, bin, args...)
}

// Path returns the path of rel under Dir.
func (s *SSHD) Path(rel ...string) string {
	return filepath.Join(append([]string{s.Dir}, rel...)...)
}

// MkdirTemp makes a new directory under Dir whose name starts with prefix
// (which may hold spaces or quotes) and returns its path.
func (s *SSHD) MkdirTemp(t testing.TB, prefix string) string {
	t.Helper()
	d, err := os.MkdirTemp(s.Dir, prefix)
	if err != nil {
		t.Fatalf("testenv: SSHD.MkdirTemp: %v", err)
	}
	return d
}

// Log returns sshd's log (stderr with LogLevel VERBOSE).
func (s *SSHD) Log() string {
	b, _ := os.ReadFile(s.logFile)
	return string(b)
}

// Running reports whether sshd is still running.
func (s *SSHD) Running() bool {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Stop stops sshd (SIGTERM, then SIGKILL) and waits for it. Sessions
// already open run in their own sessions and end with their clients.
func (s *SSHD) Stop() { s.stop(syscall.SIGTERM, sshdStopTimeout) }
