package testenv

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Unset, as the value of a key in the env given to Command, Run or
// StartProcess, leaves that variable out altogether: {"TZ": Unset} runs
// the command without TZ (in the machine's local time zone).
const Unset = "\x00unset"

// Command returns exec.Command(bin, args...) with a clean environment:
// PATH as this test process has it, HOME a fresh t.TempDir() (no user
// configuration leaks in), TZ=UTC, then env, whose keys replace those
// three; a key set to Unset is left out. Nothing else is inherited.
func Command(t testing.TB, bin string, env map[string]string, args ...string) *exec.Cmd {
	vars := map[string]string{"PATH": os.Getenv("PATH"), "TZ": "UTC"}
	if env["HOME"] == "" {
		vars["HOME"] = t.TempDir()
	}
	for k, v := range env {
		vars[k] = v
	}
	keys := make([]string, 0, len(vars))
	for k, v := range vars {
		if v != Unset {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	cmd := exec.Command(bin, args...)
	cmd.Env = make([]string, 0, len(keys))
	for _, k := range keys {
		cmd.Env = append(cmd.Env, k+"="+vars[k])
	}
	return cmd
}

// Result is what a command run by Run did: its exit code and its output.
type Result struct {
	Code           int
	Stdout, Stderr string
}

// Run runs bin with args in the environment of Command and waits for it.
// A non-zero exit is a Result, not a failure; the test fails only when
// the command cannot be run at all.
func Run(t testing.TB, bin string, env map[string]string, args ...string) Result {
	t.Helper()
	cmd := Command(t, bin, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return Result{code, stdout.String(), stderr.String()}
}

// Process is a command running in the background, started by
// StartProcess.
type Process struct {
	Name string    // for messages
	Cmd  *exec.Cmd // Cmd.Process.Pid is its pid
	// LogLimit, when above 0, cuts the log shown for a failed test to its
	// last LogLimit bytes.
	LogLimit int

	log  *SyncBuffer
	done chan struct{} // closed once Cmd.Wait returned
	err  error         // what Cmd.Wait returned; read after done
}

// StartProcess starts bin with args in the environment of Command, its
// stdout and stderr both going to its log (see Log). When the test ends
// the process is SIGKILLed if it still runs and waited for, and, if the
// test failed, its log is printed under name.
func StartProcess(t testing.TB, bin string, env map[string]string, name string, args ...string) *Process {
	t.Helper()
	p := &Process{Name: name, log: &SyncBuffer{}, done: make(chan struct{})}
	p.Cmd = Command(t, bin, env, args...)
	p.Cmd.Stdout, p.Cmd.Stderr = p.log, p.log
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.Cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("%s", p.failureLog())
		}
	})
	return p
}

// failureLog is the log as a failed test shows it, under a header.
func (p *Process) failureLog() string {
	log := p.log.String()
	if p.LogLimit <= 0 {
		return fmt.Sprintf("--- %s log ---\n%s", p.Name, log)
	}
	if len(log) > p.LogLimit {
		log = "…" + log[len(log)-p.LogLimit:]
	}
	return fmt.Sprintf("--- %s log (last %d bytes) ---\n%s", p.Name, p.LogLimit, log)
}

// Pid is the process id.
func (p *Process) Pid() int { return p.Cmd.Process.Pid }

// Done is closed once the process has exited and been waited for.
func (p *Process) Done() <-chan struct{} { return p.done }

// Alive reports whether the process has not exited yet.
func (p *Process) Alive() bool {
	exited, _ := p.Exited()
	return !exited
}

// Exited reports whether the process has exited and, if so, what Wait
// returned (nil for exit status 0).
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Wait waits for the process to exit and returns what Wait returned.
func (p *Process) Wait() error {
	<-p.done
	return p.err
}

// Kill SIGKILLs the process unless it has exited, and waits for it.
func (p *Process) Kill() {
	if p.Alive() {
		_ = p.Cmd.Process.Kill()
	}
	<-p.done
}

// Log returns the process's output so far.
func (p *Process) Log() string { return p.log.String() }

// LogCount counts the lines of the log that are JSON records whose "msg"
// is msg (the records of a binary run with GD_LOG_FORMAT=json).
func (p *Process) LogCount(msg string) int {
	n := 0
	sc := bufio.NewScanner(strings.NewReader(p.log.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == msg {
			n++
		}
	}
	return n
}

// SyncBuffer is a bytes.Buffer safe for one writer (a process's output)
// and readers at the same time.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ParentPID returns the parent process id of pid, read from
// /proc/PID/stat, or 0 when pid is gone or that cannot be read.
func ParentPID(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// pid (comm) state ppid …: comm may hold spaces, so cut after the last ')'.
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(fields) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(fields[1])
	return n
}
