package store

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestCommitKeepsTempLockedUntilNamed: a sweep by another writer of the
// region (CreateTemp of a sidecar or of another run's dump) that runs while
// a commit is between closing its temp file and linking it must not take the
// file for a dead writer's litter. CommitNew's callback runs in exactly that
// window, after the planned name turned out to be taken.
func TestCommitKeepsTempLockedUntilNamed(t *testing.T) {
	s := &Spool{Dir: t.TempDir()}
	at := time.Date(2026, 11, 28, 3, 0, 0, 0, time.Local)
	planned := s.NewArtifactPath("R", at, "gzip", false)
	if err := os.MkdirAll(filepath.Dir(planned), 0o750); err != nil {
		t.Fatal(err)
	}
	tf, err := CreateTemp(planned)
	if err != nil {
		t.Fatal(err)
	}
	tf.WriteString("dump")
	if err := os.WriteFile(planned, []byte("another run's dump"), 0o640); err != nil {
		t.Fatal(err)
	}
	got, err := tf.CommitNew(func() string {
		// Another writer of region R starts a file now: its sweep must
		// leave the closed but uncommitted temp file alone.
		other, err := CreateTemp(ManifestPath(planned))
		if err != nil {
			t.Fatal(err)
		}
		other.Abort()
		os.Remove(other.Name())
		return s.NewArtifactPath("R", at, "gzip", false)
	})
	if err != nil {
		t.Fatalf("commit after a concurrent sweep: %v", err)
	}
	if b, _ := os.ReadFile(got); string(b) != "dump" {
		t.Errorf("%s = %q, want the committed dump", got, b)
	}
}

// TestLockOwn: CreateTemp keeps a new temp file only if it got the lock on
// it and the name still leads to it; a sweep that locked it first, or
// removed it, between its creation and the lock makes CreateTemp start over.
func TestLockOwn(t *testing.T) {
	dir := t.TempDir()
	create := func(name string) *os.File {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}

	f := create("mine")
	if !lockOwn(f, f.Name()) {
		t.Error("lockOwn = false for a fresh file nobody else holds")
	}

	f = create("swept-locked")
	sweeper, err := os.Open(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer sweeper.Close()
	if err := syscall.Flock(int(sweeper.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if lockOwn(f, f.Name()) {
		t.Error("lockOwn = true for a file a sweep has locked")
	}

	f = create("swept-removed")
	if err := os.Remove(f.Name()); err != nil {
		t.Fatal(err)
	}
	if lockOwn(f, f.Name()) {
		t.Error("lockOwn = true for a file a sweep has removed")
	}
}
