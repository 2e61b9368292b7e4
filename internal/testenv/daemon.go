package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// daemon is a server process the tests started in its own process group,
// with a watchdog that kills it if the test binary dies first.
type daemon struct {
	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{} // closed when cmd has been waited for
	watchdog func()        // stops the watchdog of cmd
}

// stop signals the whole group, escalates to SIGKILL after timeout (0 = wait
// for sig alone), waits for the exit and stops the watchdog.
func (d *daemon) stop(sig syscall.Signal, timeout time.Duration) {
	d.mu.Lock()
	cmd, done, watchdog := d.cmd, d.done, d.watchdog
	d.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
	default:
		_ = syscall.Kill(-cmd.Process.Pid, sig)
		if timeout > 0 {
			select {
			case <-done:
			case <-time.After(timeout):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			}
		}
		<-done
	}
	if watchdog != nil {
		watchdog()
	}
	d.mu.Lock()
	if d.cmd == cmd {
		d.watchdog = nil
	}
	d.mu.Unlock()
}

// launch starts cmd in a process group of its own, with stdout and stderr
// appended to logPath (created with perm), makes it d's process and
// starts its watchdog, which removes dir (see startWatchdog). It returns
// a channel closed once cmd has exited and been waited for. Waiting until
// the daemon is ready is the caller's part.
func (d *daemon) launch(cmd *exec.Cmd, logPath string, perm os.FileMode, dir string) (<-chan struct{}, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, perm)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	watchdog := startWatchdog(cmd.Process.Pid, dir)
	d.mu.Lock()
	d.cmd, d.done, d.watchdog = cmd, done, watchdog
	d.mu.Unlock()
	return done, nil
}

// tempDir makes a fresh directory prefix* in the system temp dir (short
// paths, unlike t.TempDir: sockets live there), removed when the test
// ends. what names the caller in a failure.
func tempDir(t testing.TB, what, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatalf("testenv: %s: %v", what, err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("testenv: removing %s: %v", dir, err)
		}
	})
	return dir
}
