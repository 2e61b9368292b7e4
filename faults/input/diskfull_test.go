package input

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gravedancer/internal/report"
	"gravedancer/internal/testenv"
)

// mountTmpfs mounts a tmpfs of size (e.g. "3m") on a new directory.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		testenv.Require(t, "cannot mount a tmpfs on %s (needs root and mount permission): %v %s", dir, err, out)
		return ""
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file into dir until at most leave bytes stay free.
func fill(t *testing.T, dir string, leave int64) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	p := filepath.Join(dir, "filler")
	if free > leave {
		if err := os.WriteFile(p, make([]byte, free-leave), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// Scenario 7: the spool fills up during a dump.
func TestDiskFullDuringDump(t *testing.T) {
	m := source(t)
	env := regionEnv(t, m.Addr())
	spool := mountTmpfs(t, "3m")
	env["GD_SPOOL_DIR"] = spool

	first := run(t, env, "backup")
	if first.Code != exitOK {
		t.Fatalf("first run exit %d\n%s\n%s", first.Code, first.Stdout, first.Stderr)
	}
	prev := region(t, first).Artifact
	prevInfo, err := os.Stat(prev)
	if err != nil {
		t.Fatal(err)
	}
	latest := filepath.Join(spool, "latest", "REG1.json")
	latestBefore, err := os.ReadFile(latest)
	if err != nil {
		t.Fatal(err)
	}

	filler := fill(t, spool, 64<<10)
	full := run(t, env, "backup")
	if full.Code != exitExcluded {
		t.Fatalf("disk-full run exit %d, want %d\n%s\n%s", full.Code, exitExcluded, full.Stdout, full.Stderr)
	}
	g := region(t, full)
	if g.Outcome != report.OutcomeExcluded || !strings.Contains(g.Reason, "disk full") || !strings.Contains(g.Reason, spool) {
		t.Errorf("outcome %q reason %q, want excluded with \"disk full\" naming a file under %s", g.Outcome, g.Reason, spool)
	}
	filepath.WalkDir(spool, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.Contains(d.Name(), ".tmp") || strings.HasPrefix(d.Name(), ".")) {
			t.Errorf("temp file left in the spool: %s", p)
		}
		return nil
	})
	if info, err := os.Stat(prev); err != nil || info.Size() != prevInfo.Size() {
		t.Errorf("previous backup changed: %v", err)
	}
	if b, _ := os.ReadFile(latest); string(b) != string(latestBefore) {
		t.Errorf("latest changed:\nbefore %s\nafter  %s", latestBefore, b)
	}

	// Space freed: the next run succeeds.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	again := run(t, env, "backup")
	if again.Code != exitOK {
		t.Fatalf("run after freeing space: exit %d\n%s\n%s", again.Code, again.Stdout, again.Stderr)
	}
	if g := region(t, again); g.Outcome != report.OutcomeGood {
		t.Errorf("after freeing space: outcome %q (%s)", g.Outcome, g.Reason)
	}
}
