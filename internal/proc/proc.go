// Package proc holds what every child process of gravedancer (dump tool,
// database client, ssh, bpbackup) needs: an environment that cannot leak a
// secret, and a bounded buffer for the end of its output.
package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// CleanEnv is the environment minus anything that could carry a secret
// (/proc/<pid>/environ is readable for as long as the child runs) or quietly
// override a defaults file's connection settings (MYSQL_PWD, MYSQL_HOST, …).
func CleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !secretish(strings.ToUpper(name)) {
			env = append(env, kv)
		}
	}
	return env
}

func secretish(name string) bool {
	for _, p := range []string{"GD_", "MYSQL", "MARIADB"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	for _, s := range []string{"PASSWORD", "PASSWD", "SECRET", "TOKEN"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// Tail keeps the last Max bytes written to it, so a child that floods its
// stderr costs bounded memory while the error at its end survives. It is
// safe for concurrent writes (exec copies stdout and stderr in goroutines).
type Tail struct {
	Max int

	mu        sync.Mutex
	buf       []byte
	truncated bool
}

// Write implements io.Writer; it never fails.
func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if len(p) >= t.Max {
		t.truncated = t.truncated || len(t.buf) > 0 || len(p) > t.Max
		t.buf = append(t.buf[:0], p[len(p)-t.Max:]...)
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.Max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.truncated = true
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// String returns what is kept. After truncation it starts at a line
// boundary, or with "…" when the kept bytes are one cut line.
func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := string(t.buf)
	if t.truncated {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		} else {
			s = "…" + s
		}
	}
	return s
}

// Lines returns the last n lines of what is kept, without the final newline.
func (t *Tail) Lines(n int) string {
	lines := strings.Split(strings.TrimRight(t.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitDelay bounds the wait for a child's output pipes after it exits or is
// killed, in case a grandchild keeps them open.
const waitDelay = 5 * time.Second

// Command prepares bin to run in its own process group with a clean
// environment. When ctx ends the whole group gets SIGKILL: dump tools, ssh
// and bpbackup start children of their own, and killing only the parent
// would leave them writing.
func Command(ctx context.Context, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = waitDelay
	cmd.Env = CleanEnv()
	return cmd
}

// LookTool finds a client binary: "auto" (or "") takes the first of
// candidates found in PATH (MariaDB's name before MySQL's); a name is looked
// up in PATH; a path is used as is. what names the tool in errors.
func LookTool(what, tool string, candidates ...string) (string, error) {
	if tool == "" || tool == "auto" {
		for _, name := range candidates {
			if p, err := exec.LookPath(name); err == nil {
				return p, nil
			}
		}
		return "", fmt.Errorf("%s: none of %s is in PATH", what, strings.Join(candidates, ", "))
	}
	p, err := exec.LookPath(tool)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", what, tool, ExecCause(err))
	}
	return p, nil
}

// ExecCause drops exec.Error's repetition of the binary's name, for
// messages that already name it.
func ExecCause(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

// FileSize is path's size, or 0 when it cannot be read: the offset from
// which ReadFrom returns what a child appended to its log.
func FileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// ReadFrom returns what path holds past offset, at most limit bytes (the
// end of it), or the whole file when it shrank below offset (rotated).
func ReadFrom(path string, offset, limit int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	if fi.Size() < offset {
		offset = 0
	}
	if fi.Size()-offset > limit {
		offset = fi.Size() - limit
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(f, limit))
	return string(b)
}
