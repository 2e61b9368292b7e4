package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// NATSServer is a real nats-server process (Debian's binary), for tests
// that must prove the service against the server operators run, not only
// the embedded library.
type NATSServer struct {
	URL  string
	Port int
	cmd  *exec.Cmd
	done chan struct{}
}

// StartNATSServer starts `nats-server -js` on a free loopback port with its
// store in a temp dir, plus extra arguments (e.g. "-c", conf), and stops it
// when the test ends. A missing binary is reported through Require.
func StartNATSServer(t testing.TB, extra ...string) *NATSServer {
	t.Helper()
	bin, ok := lookBin("nats-server")
	if !ok {
		Require(t, "nats-server not found (apt-get install nats-server)")
	}
	s := &NATSServer{Port: FreePort(t), done: make(chan struct{})}
	s.URL = "nats://127.0.0.1:" + strconv.Itoa(s.Port)
	args := append([]string{"--addr", "127.0.0.1", "--port", strconv.Itoa(s.Port), "--jetstream", "--store_dir", t.TempDir()}, extra...)
	s.cmd = exec.Command(bin, args...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logf, err := os.CreateTemp(t.TempDir(), "nats-server-*.log")
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("testenv: start nats-server: %v", err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.Stop)
	if err := s.waitReady(); err != nil {
		b, _ := os.ReadFile(logf.Name())
		t.Fatalf("testenv: nats-server: %v\n%s", err, b)
	}
	return s
}

func (s *NATSServer) waitReady() error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("exited before accepting connections")
		default:
		}
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(s.Port), time.Second); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not accepting connections on port %d after 30s", s.Port)
}

// Stop shuts the server down (SIGTERM, then SIGKILL after 10s).
func (s *NATSServer) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}
