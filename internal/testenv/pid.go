package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// KillPID sends SIGKILL to pid. A pid below 2 is ignored: kill(0) signals
// the caller's own process group (the test binary, go test, make and CI
// with it) and kill(-1) every process, which is what a pid file read while
// half-written (empty, parsed as 0) would otherwise do.
func KillPID(pid int) {
	if pid > 1 {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// ReadPID returns the pid held in the file at path, or 0 when the file is
// missing, empty or holds no number.
func ReadPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid < 0 {
		return 0
	}
	return pid
}

// BlockingTool writes a wrapper script around the command real. Its first
// invocation writes its pid to pidFile (whole, by rename, so ReadPID never
// sees it half-written) and blocks; later invocations exec real. The
// blocked invocation is killed when the test ends.
func BlockingTool(t testing.TB, real string) (tool, pidFile string) {
	t.Helper()
	dir := t.TempDir()
	marker := filepath.Join(dir, "first-call")
	pidFile = filepath.Join(marker, "pid")
	script := fmt.Sprintf("#!/bin/bash\nif mkdir %q 2>/dev/null; then echo $$ > %q.tmp && mv %q.tmp %q; exec sleep 300; fi\nexec %s \"$@\"\n",
		marker, pidFile, pidFile, pidFile, real)
	tool = WriteFile(t, filepath.Join(dir, "tool"), script, 0o755)
	t.Cleanup(func() { KillPID(ReadPID(pidFile)) })
	return tool, pidFile
}
