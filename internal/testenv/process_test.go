package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func shell(t *testing.T) string {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	return sh
}

func TestCommandEnvIsClean(t *testing.T) {
	t.Setenv("GD_LEAK", "from the test process")
	env := Command(t, "true", map[string]string{"GD_X": "1"}).Env
	if len(env) != 4 || !slices.Contains(env, "TZ=UTC") || !slices.Contains(env, "GD_X=1") ||
		!slices.Contains(env, "PATH="+os.Getenv("PATH")) || !strings.HasPrefix(env[1], "HOME=") {
		t.Errorf("env = %q, want GD_X, HOME, PATH and TZ only", env)
	}
	env = Command(t, "true", map[string]string{"TZ": Unset, "HOME": "/nonexistent"}).Env
	if want := []string{"HOME=/nonexistent", "PATH=" + os.Getenv("PATH")}; !slices.Equal(env, want) {
		t.Errorf("env = %q, want %q", env, want)
	}
}

func TestRun(t *testing.T) {
	r := Run(t, shell(t), map[string]string{"GD_X": "x"}, "-c", `echo "out $GD_X $TZ"; echo err >&2; exit 3`)
	if r.Code != 3 || r.Stdout != "out x UTC\n" || r.Stderr != "err\n" {
		t.Errorf("Run = %+v", r)
	}
}

func TestStartProcessKilledAtCleanup(t *testing.T) {
	var p *Process
	t.Run("start", func(t *testing.T) {
		p = StartProcess(t, shell(t), nil, "sleeper", "-c", `echo '{"msg":"up"}'; echo '{"msg":"up"}'; exec sleep 300`)
		WaitFor(t, "the log", 10*time.Second, func() bool { return p.LogCount("up") == 2 })
		if !p.Alive() {
			t.Fatal("not alive")
		}
	})
	if exited, err := p.Exited(); !exited || err == nil {
		t.Errorf("after its test: exited %v (%v), want killed", exited, err)
	}
	if p.Wait() == nil {
		t.Error("Wait = nil after SIGKILL")
	}
}

func TestProcessExitAndKill(t *testing.T) {
	p := StartProcess(t, shell(t), nil, "quick", "-c", "exit 0")
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	p.Kill() // exited already: returns at once
	if p.Alive() {
		t.Error("alive after exit")
	}
	q := StartProcess(t, shell(t), nil, "slow", "-c", "exec sleep 300")
	q.Kill()
	if exited, err := q.Exited(); !exited || err == nil {
		t.Errorf("after Kill: exited %v (%v)", exited, err)
	}
}

func TestFailureLogLimit(t *testing.T) {
	p := &Process{Name: "w", log: &SyncBuffer{}}
	p.log.Write([]byte("0123456789"))
	if got := p.failureLog(); got != "--- w log ---\n0123456789" {
		t.Errorf("no limit: %q", got)
	}
	p.LogLimit = 4
	if got := p.failureLog(); got != "--- w log (last 4 bytes) ---\n…6789" {
		t.Errorf("limit 4: %q", got)
	}
}

func TestEventually(t *testing.T) {
	n := 0
	if !Eventually(5*time.Second, func() bool { n++; return n == 3 }) {
		t.Error("condition that comes true reported false")
	}
	if Eventually(100*time.Millisecond, func() bool { return false }) {
		t.Error("condition that never holds reported true")
	}
}

func TestWalk(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	WriteFile(t, filepath.Join(root, "a", "b", "x"), "1", 0o600)
	WriteFile(t, filepath.Join(root, "y"), "2", 0o600)
	if got := WalkNames(t, root); !slices.Equal(got, []string{"x", "y"}) {
		t.Errorf("WalkNames = %q", got)
	}
	if got := WalkFiles(t, root); !slices.Equal(got, []string{filepath.Join(root, "a", "b", "x"), filepath.Join(root, "y")}) {
		t.Errorf("WalkFiles = %q", got)
	}
}

func TestParentPID(t *testing.T) {
	if got := ParentPID(os.Getpid()); got != os.Getppid() {
		t.Errorf("ParentPID(self) = %d, want %d", got, os.Getppid())
	}
	if got := ParentPID(-1); got != 0 {
		t.Errorf("ParentPID(-1) = %d", got)
	}
}
