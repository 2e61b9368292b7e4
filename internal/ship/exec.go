package ship

import (
	"gravedancer/internal/proc"

	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
)

const (
	// outputLimit is how much of a child's stdout and stderr is kept (the end).
	outputLimit = 64 << 10
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
	stdout := &proc.Tail{Max: outputLimit}
	res, err := runProcOut(ctx, bin, args, stdout)
	res.Stdout = stdout.String()
	return res, err
}

// runProcOut is runProc with the child's stdout going to w (Stdout in the
// result stays empty): for output that must arrive whole, like a listing.
func runProcOut(ctx context.Context, bin string, args []string, w io.Writer) (procResult, error) {
	cmd := proc.Command(ctx, bin, args...)
	stderr := &proc.Tail{Max: outputLimit}
	cmd.Stdout, cmd.Stderr = w, stderr
	err := cmd.Run()
	res := procResult{Stderr: stderr.String(), ExitCode: -1}
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

// capped collects a child's stdout up to max bytes and notes whether more
// came. It never fails a write: a failed write would break the child's
// pipe and hide its real exit status behind SIGPIPE.
type capped struct {
	max  int
	buf  bytes.Buffer
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); len(p) > room {
		c.over = true
		if room > 0 {
			c.buf.Write(p[:room])
		}
		return len(p), nil
	}
	c.buf.Write(p)
	return len(p), nil
}
