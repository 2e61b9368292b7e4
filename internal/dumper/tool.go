package dumper

import (
	"gravedancer/internal/proc"

	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

const (
	// drainGrace bounds reading stdout after the tool has exited: only a
	// stray child that inherited it could keep it open that long.
	drainGrace = 5 * time.Second
	// pipeSize asks the kernel for a larger stdout pipe than its 64 KiB
	// default, so the tool and the reader switch less often.
	pipeSize = 1 << 20
)

// resolveTool finds the binary; see proc.LookTool.
func resolveTool(tool string) (string, error) {
	return proc.LookTool("dump tool", tool, "mariadb-dump", "mysqldump")
}

// consistencyFlags maps Options.Consistency to the tool's flags.
func consistencyFlags(mode string) ([]string, error) {
	switch mode {
	case "", "single-transaction":
		return []string{"--single-transaction", "--quick"}, nil
	case "lock-all":
		return []string{"--lock-all-tables"}, nil
	case "none":
		return nil, nil
	}
	return nil, fmt.Errorf("consistency %q is not one of single-transaction, lock-all, none", mode)
}

// checkExtraFlags refuses a password on the command line, whatever the
// caller checked: argv is readable by every local user via /proc.
func checkExtraFlags(flags []string) error {
	for _, f := range flags {
		if strings.HasPrefix(f, "--password") || strings.HasPrefix(f, "-p") ||
			strings.HasPrefix(f, "--defaults-") || strings.HasPrefix(f, "--no-defaults") {
			return fmt.Errorf("dump flag %s is not allowed: credentials go through a defaults file", strings.SplitN(f, "=", 2)[0])
		}
	}
	return nil
}

// runResult is how the tool ended.
type runResult struct {
	stream   *streamResult
	procErr  error // from process: write, parse or read failure
	startErr error
	exit     int
	signal   string
	timedOut bool
	canceled error // the caller's ctx error, if it ended the dump
	stderr   string
}

// runTool starts the tool in its own process group, feeds its stdout to process,
// and waits for it. The whole group is killed on timeout, on ctx
// cancellation, or as soon as process fails (no point dumping further).
func runTool(ctx context.Context, timeout time.Duration, path string, args []string, out io.Writer, cfg streamConfig, onStart func(pid int) func(int64)) runResult {
	runCtx, cancel := context.WithCancel(ctx)
	if timeout > 0 {
		runCtx, cancel = context.WithTimeout(ctx, timeout)
	}
	defer cancel()
	cmd := command(runCtx, path, args)
	stderr := &proc.Tail{Max: stderrKeep}
	cmd.Stderr = stderr
	pr, pw, err := os.Pipe()
	if err != nil {
		return runResult{startErr: fmt.Errorf("stdout pipe: %w", err)}
	}
	defer pr.Close()
	setPipeSize(pw)
	cmd.Stdout = pw
	err = cmd.Start()
	pw.Close() // the child has its copy; EOF then means the tool closed it
	if err != nil {
		return runResult{startErr: fmt.Errorf("start %s: %w", filepath.Base(path), proc.ExecCause(err)), canceled: ctx.Err()}
	}
	if onStart != nil {
		cfg.OnRead = onStart(cmd.Process.Pid)
	}
	waited := make(chan error, 1)
	done := make(chan struct{})
	defer close(done)
	go waitThenUnblock(cmd, pr, waited, done)

	var r runResult
	r.stream, r.procErr = process(pr, out, cfg)
	if r.procErr != nil {
		cancel()
	}
	waitErr := <-waited
	ps := cmd.ProcessState
	if ps == nil { // wait itself failed; treat the tool as lost
		r.exit, r.procErr = -1, cmp.Or(r.procErr, fmt.Errorf("wait for %s: %w", filepath.Base(path), waitErr))
	} else {
		r.exit = ps.ExitCode()
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.signal = ws.Signal().String()
		}
	}
	// A dump that completed just as the deadline passed or shutdown began is
	// still a good dump; only a failed one is blamed on them.
	if r.procErr != nil || !ps.Success() {
		r.canceled = ctx.Err()
		r.timedOut = r.canceled == nil && errors.Is(runCtx.Err(), context.DeadlineExceeded)
	}
	r.stderr = stderr.String()
	return r
}

// command builds the exec.Cmd: own process group so a kill reaches any
// children too, SIGKILL on cancel since a dump has nothing to flush that we
// would keep, and no inherited secrets.
func command(ctx context.Context, path string, args []string) *exec.Cmd {
	cmd := proc.Command(ctx, path, args...)
	cmd.Env = proc.CleanEnv()
	return cmd
}

// waitThenUnblock reaps the tool. Once it is gone, its stdout reaches EOF at
// once unless something else still holds the pipe; a read deadline then
// makes sure process returns anyway.
func waitThenUnblock(cmd *exec.Cmd, pr *os.File, waited chan<- error, done <-chan struct{}) {
	waited <- cmd.Wait()
	select {
	case <-done:
	case <-time.After(drainGrace):
		_ = pr.SetReadDeadline(time.Now())
	}
}

func setPipeSize(f *os.File) {
	sc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = sc.Control(func(fd uintptr) {
		// Best effort: a smaller pipe only costs context switches.
		_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETPIPE_SZ, pipeSize)
	})
}
