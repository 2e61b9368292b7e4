package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// TempFile is a file being written next to its final name. Until Commit it
// carries a .tmp- prefix, which List and retention ignore, so a crash leaves
// litter at worst, never a file that looks like a backup.
type TempFile struct {
	*os.File
	final string
	done  bool
}

// CreateTemp opens a temp file in final's directory, creating it.
func CreateTemp(final string) (*TempFile, error) {
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	name := filepath.Join(dir, tmpPrefix+filepath.Base(final)+"."+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("create temp for %s: %w", final, err)
	}
	// The flock marks the temp file as being written: the kernel drops it
	// when the writer dies, so removeOrphanTemps can tell a dead writer's
	// litter from a live writer's file.
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	removeOrphanTemps(dir, tmpPrefix+tempStem(filepath.Base(final)), name)
	return &TempFile{File: f, final: final}, nil
}

// tempStem is the part of a file name that names its region: up to and
// including the last '-' ("mdb_bkp_REG1-"), or the whole name.
func tempStem(base string) string {
	if i := strings.LastIndexByte(base, '-'); i >= 0 {
		return base[:i+1]
	}
	return base
}

// removeOrphanTemps removes temp files in dir starting with prefix, other
// than keep, that no live process holds locked: those a writer killed
// mid-write (SIGKILL, OOM) left behind. A redelivered dump thus cleans up
// after the worker that died holding the job.
func removeOrphanTemps(dir, prefix, keep string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if p == keep {
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			_ = os.Remove(p)
		}
		_ = f.Close()
	}
}

// Commit fsyncs the data, renames it into place and fsyncs the directory so
// the name survives a power cut. It refuses to replace an existing file: a
// good backup is never overwritten.
func (t *TempFile) Commit() error {
	if t.done {
		return errors.New("commit: already closed")
	}
	t.done = true
	if err := t.Sync(); err != nil {
		t.discard()
		return fmt.Errorf("fsync %s: %w", t.final, err)
	}
	if err := t.Close(); err != nil {
		_ = os.Remove(t.Name())
		return fmt.Errorf("close %s: %w", t.final, err)
	}
	// Link fails if final exists, where rename would silently replace it.
	if err := os.Link(t.Name(), t.final); err != nil {
		_ = os.Remove(t.Name())
		return fmt.Errorf("commit %s: %w", t.final, err)
	}
	_ = os.Remove(t.Name())
	return syncDir(filepath.Dir(t.final))
}

// Abort closes the temp file and returns its path for the caller to quarantine
// or remove. Calling Abort after Commit is a no-op returning "".
func (t *TempFile) Abort() string {
	if t.done {
		return ""
	}
	t.done = true
	_ = t.Close()
	return t.Name()
}

func (t *TempFile) discard() {
	_ = t.Close()
	_ = os.Remove(t.Name())
}

// WriteFileAtomic writes data to path via a temp file, fsync and rename,
// replacing an existing file (for manifests, reports, pointers).
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	t, err := CreateTemp(path)
	if err != nil {
		return err
	}
	t.done = true
	if _, err := t.Write(data); err != nil {
		t.discard()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := t.Chmod(perm); err != nil {
		t.discard()
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	if err := t.Sync(); err != nil {
		t.discard()
		return fmt.Errorf("fsync %s: %w", path, err)
	}
	// Rename while the file is still open (and locked), so no orphan sweep
	// can take it for a dead writer's litter.
	if err := os.Rename(t.Name(), path); err != nil {
		t.discard()
		return fmt.Errorf("rename %s: %w", path, err)
	}
	if err := t.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fsync dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync dir %s: %w", dir, err)
	}
	return nil
}

// IsTemp reports whether a base name is an uncommitted temp file.
func IsTemp(name string) bool { return strings.HasPrefix(name, tmpPrefix) }
