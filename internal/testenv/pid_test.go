package testenv

import (
	"os/exec"
	"path/filepath"
	"testing"
)

func TestReadPID(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string
		want          int
	}{
		{"empty (bash has opened it, not yet written)", "", 0},
		{"pid with newline", "1234\n", 1234},
		{"garbage", "12a", 0},
		{"negative", "-5", 0},
	} {
		path := WriteFile(t, filepath.Join(dir, "pid"), tc.content, 0o644)
		if got := ReadPID(path); got != tc.want {
			t.Errorf("%s: ReadPID = %d, want %d", tc.name, got, tc.want)
		}
	}
	if got := ReadPID(filepath.Join(dir, "missing")); got != 0 {
		t.Errorf("missing file: ReadPID = %d, want 0", got)
	}
}

// TestKillPID: pids 0 and 1 are ignored (were 0 signalled, this test's
// whole process group, go test included, would die); a real pid dies.
func TestKillPID(t *testing.T) {
	KillPID(0)
	KillPID(1)
	KillPID(-1)
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	KillPID(cmd.Process.Pid)
	if err := cmd.Wait(); err == nil || cmd.ProcessState.Success() {
		t.Fatalf("sleep exited %v, want killed", err)
	}
}
