package testenv

import (
	"os/exec"
	"sync"
	"syscall"
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
