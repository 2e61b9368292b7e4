package store

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
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
	for tries := 1; ; tries++ {
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
		if !lockOwn(f, name) {
			// Another writer's sweep locked the file in the instant
			// between its creation and our lock, and removes it: the
			// file is lost to us, so take a new one.
			_ = f.Close()
			if tries >= maxTempTries {
				return nil, fmt.Errorf("create temp for %s: %d temp files in a row were swept away as they were created", final, tries)
			}
			continue
		}
		removeOrphanTemps(dir, tmpPrefix+tempStem(filepath.Base(final)), name)
		return &TempFile{File: f, final: final}, nil
	}
}

// maxTempTries bounds CreateTemp's new names when sweeps keep taking them.
const maxTempTries = 10

// lockOwn locks a newly created temp file and reports whether it is still
// ours: false when a sweep holds the lock or has already removed the name.
// A file system without flock counts as ours, as it always did.
func lockOwn(f *os.File, name string) bool {
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return !errors.Is(err, syscall.EWOULDBLOCK)
	}
	fi, err := f.Stat()
	if err != nil {
		return true
	}
	named, err := os.Lstat(name)
	return err == nil && os.SameFile(fi, named)
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
	_, err := t.commit(nil)
	return err
}

// maxCommitNames bounds how many taken names CommitNew tries.
const maxCommitNames = 100

// CommitNew is Commit for a file whose name only has to be new: when final
// was taken after it was chosen (another writer committed the same name
// first, as two dumps of one region started in the same second do), next is
// asked for another name and the file is committed under the first free one,
// which is returned. Nothing is ever overwritten.
func (t *TempFile) CommitNew(next func() string) (string, error) {
	return t.commit(next)
}

func (t *TempFile) commit(next func() string) (string, error) {
	if t.done {
		return "", errors.New("commit: already closed")
	}
	t.done = true
	if err := t.Sync(); err != nil {
		t.discard()
		return "", fmt.Errorf("fsync %s: %w", t.final, err)
	}
	// Close reports write-back errors (NFS), but it would also drop the
	// flock that keeps removeOrphanTemps, run by any writer of the region,
	// from taking the file for a dead writer's litter before it has its
	// final name. A duplicate descriptor shares the lock and holds it
	// until the file is committed; ForkLock and close-on-exec keep it out
	// of the tools this process starts meanwhile.
	syscall.ForkLock.RLock()
	lock, err := syscall.Dup(int(t.Fd()))
	if err == nil {
		syscall.CloseOnExec(lock)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		t.discard()
		return "", fmt.Errorf("commit %s: %w", t.final, err)
	}
	defer syscall.Close(lock)
	if err := t.Close(); err != nil {
		_ = os.Remove(t.Name())
		return "", fmt.Errorf("close %s: %w", t.final, err)
	}
	for tries := 1; ; tries++ {
		// Link fails if final exists, where rename would silently replace it.
		err := os.Link(t.Name(), t.final)
		if err == nil {
			break
		}
		if next == nil || !errors.Is(err, fs.ErrExist) || tries >= maxCommitNames {
			_ = os.Remove(t.Name())
			return "", fmt.Errorf("commit %s: %w", t.final, err)
		}
		name := next()
		if name == "" || name == t.final {
			_ = os.Remove(t.Name())
			return "", fmt.Errorf("commit %s: %w", t.final, err)
		}
		if err := os.MkdirAll(filepath.Dir(name), 0o750); err != nil {
			_ = os.Remove(t.Name())
			return "", fmt.Errorf("commit %s: %w", name, err)
		}
		t.final = name
	}
	_ = os.Remove(t.Name())
	return t.final, syncDir(filepath.Dir(t.final))
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
