package restore

import (
	"gravedancer/internal/proc"

	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
)

const (
	// pipeSize asks the kernel for a larger stdin pipe than its 64 KiB
	// default, so the feeder and the client switch less often.
	pipeSize = 1 << 20
	// stderrTail is how much of the client's stderr is kept: its last line
	// names the failing statement's line and the server's error.
	stderrTail = 8 << 10
	// maxAllowedPacket is the client's largest packet (1 GiB, its ceiling):
	// a dump's longest statement is bounded by the source server's
	// max_allowed_packet, never by the client's 16 MiB default.
	maxAllowedPacket = 1 << 30
)

// resolveTool finds the binary; see proc.LookTool.
func resolveTool(tool string) (string, error) {
	return proc.LookTool("restore: client", tool, "mariadb", "mysql")
}

// clientArgs are the client's options for replaying a dump faithfully and
// safely. The defaults file must come first: the option parser only looks
// for it there.
//
//   - --binary-mode: no client commands but DELIMITER and \C, so a dump from
//     a compromised source cannot run `\! cmd` or `system cmd` on this host;
//     and '\r\n' inside a string stays '\r\n' (without it the client turns it
//     into '\n').
//   - --comments: comments reach the server, so routine, trigger and event
//     bodies are restored with their comments, as the source had them.
//   - --default-character-set=binary: the client splits statements byte by
//     byte, exactly as the sqldump scanner did; the session character set is
//     then whatever the dump's own SET NAMES says.
//   - --skip-reconnect: a reconnected session would silently lose SET NAMES,
//     foreign_key_checks=0 and sql_log_bin=0.
//   - --loose-skip-print-query-on-error: MariaDB's client would otherwise
//     echo the failing statement (possibly megabytes of row data) to stderr.
//     "loose" because MySQL's client lacks the option.
func clientArgs(defaults string) []string {
	return []string{
		"--defaults-extra-file=" + defaults,
		"--batch",
		"--binary-mode",
		"--comments",
		"--default-character-set=binary",
		"--max-allowed-packet=" + strconv.Itoa(maxAllowedPacket),
		"--skip-reconnect",
		"--loose-skip-print-query-on-error",
	}
}

// client is a running client process and the write end of its stdin.
type client struct {
	cmd    *exec.Cmd
	tool   string
	stdin  *os.File
	stderr *proc.Tail
	kill   context.CancelFunc
	// feedCtx is canceled, with cause errClientGone, as soon as the client
	// has exited: the feeder then stops even while it is skipping a long
	// system section and writes nothing that would notice.
	feedCtx context.Context
	exited  chan struct{}
	waitErr error // valid once exited is closed
}

// startClient starts the client in its own process group, so a kill reaches
// anything it started too; cancelling ctx SIGKILLs the group.
func startClient(ctx context.Context, path, defaults string) (*client, error) {
	runCtx, kill := context.WithCancel(ctx)
	cmd := proc.Command(runCtx, path, clientArgs(defaults)...)
	cmd.Env = proc.CleanEnv()
	stderr := &proc.Tail{Max: stderrTail}
	cmd.Stderr = stderr
	pr, pw, err := os.Pipe()
	if err != nil {
		kill()
		return nil, fmt.Errorf("restore: stdin pipe: %w", err)
	}
	setPipeSize(pw)
	cmd.Stdin = pr
	err = cmd.Start()
	pr.Close() // the child has its copy
	if err != nil {
		pw.Close()
		kill()
		return nil, fmt.Errorf("restore: start %s: %w", filepath.Base(path), proc.ExecCause(err))
	}
	c := &client{cmd: cmd, tool: filepath.Base(path), stdin: pw, stderr: stderr, kill: kill, exited: make(chan struct{})}
	feedCtx, stopFeed := context.WithCancelCause(ctx)
	c.feedCtx = feedCtx
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
		stopFeed(errClientGone)
	}()
	return c, nil
}

// finish ends the client's input and waits for it. A feed that stopped on a
// bad artifact or a canceled ctx kills the client rather than letting it
// run what it was sent so far as if that were the whole dump.
func (c *client) finish(ctx context.Context, feedErr error) error {
	var bad *artifactError
	if errors.As(feedErr, &bad) || ctx.Err() != nil {
		c.kill()
	}
	_ = c.stdin.Close() // EOF: the client runs what it has and exits
	<-c.exited
	c.kill()
	waitErr := c.waitErr
	switch {
	case ctx.Err() != nil && (feedErr != nil || waitErr != nil):
		return fmt.Errorf("restore: load canceled: %w", ctx.Err())
	case bad != nil:
		return &LoadError{Tool: c.tool, ExitCode: -1, Err: bad.err, artifact: true}
	case waitErr != nil:
		return c.exitError(waitErr)
	case feedErr != nil:
		return &LoadError{Tool: c.tool, ExitCode: 0, Stderr: c.stderr.String(),
			Err: fmt.Errorf("%s exited 0 before reading the whole dump: %w", c.tool, feedErr)}
	}
	return nil
}

// exitError describes a client that failed.
func (c *client) exitError(waitErr error) *LoadError {
	e := &LoadError{Tool: c.tool, ExitCode: -1, Stderr: c.stderr.String()}
	var ee *exec.ExitError
	if !errors.As(waitErr, &ee) {
		e.Err = fmt.Errorf("wait for %s: %w", c.tool, waitErr)
		return e
	}
	e.ExitCode = ee.ExitCode()
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		e.Err = fmt.Errorf("%s killed by signal %v", c.tool, ws.Signal())
	}
	return e
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
