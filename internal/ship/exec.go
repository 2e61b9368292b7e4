package ship

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

const (
	// outputLimit is how much of a child's stdout and stderr is kept (the end).
	outputLimit = 64 << 10
	// waitDelay bounds the wait for a child's output pipes after it exits or
	// is killed, in case a grandchild keeps them open.
	waitDelay = 5 * time.Second
	// tailLines is how many lines of a log or stderr an error carries.
	tailLines = 10
)

// procResult is what a child process left behind.
type procResult struct {
	Stdout   string
	Stderr   string
	ExitCode int // -1 when killed or not started
}

// runProc runs bin with args in its own process group and waits for it.
// When ctx ends first, the whole group gets SIGKILL (bpbackup and scp start
// children of their own), and the error is context.Cause(ctx). A non-zero
// exit returns an *exec.ExitError with the result filled in.
func runProc(ctx context.Context, bin string, args []string) (procResult, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = waitDelay
	var stdout, stderr tailBuffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	res := procResult{Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: -1}
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	if err == nil {
		return res, nil
	}
	if ctx.Err() != nil && (cmd.ProcessState == nil || !cmd.ProcessState.Success()) {
		return res, context.Cause(ctx)
	}
	if errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success() {
		// It exited 0; a leftover child merely held its output open.
		return res, nil
	}
	return res, err
}

// tailBuffer keeps the last outputLimit bytes written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= outputLimit {
		t.b = append(t.b[:0], p[len(p)-outputLimit:]...)
		return n, nil
	}
	if over := len(t.b) + len(p) - outputLimit; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	t.b = append(t.b, p...)
	return n, nil
}

func (t *tailBuffer) String() string { return string(t.b) }

// lastLines returns the last n non-empty lines of s joined by " | ", for
// one-line error messages.
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
