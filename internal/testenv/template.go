package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// The template data directory: mariadb-install-db runs once into it, and each
// instance gets a copy (cp -a of ~34 MB, tens of ms, instead of ~0.5 s for
// mariadb-install-db). It lives under
//
//	$TMPDIR/gravedancer-testenv-<uid>/mariadb-<key>/data
//
// shared by test binaries and runs; <key> hashes the mariadbd binary
// (path, size, mtime) and the install settings, so an upgrade makes a new one.
// It is built in a temp dir and renamed into place, so a present template is
// complete, and concurrent test binaries race harmlessly.
var (
	templateOnce sync.Once
	templateDir  string
	templateErr  error
)

const templateReady = "READY"

func mariadbTemplate(installDB, mariadbd, runAs string) (string, error) {
	templateOnce.Do(func() {
		templateDir, templateErr = buildTemplate(installDB, mariadbd, runAs)
	})
	return templateDir, templateErr
}

func buildTemplate(installDB, mariadbd, runAs string) (string, error) {
	fi, err := os.Stat(mariadbd)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%d\x00%s\x00%s\x00%s", mariadbd, fi.Size(), fi.ModTime().UnixNano(),
		installDB, runAs, strings.Join(installSettings, " "))
	key := hex.EncodeToString(h.Sum(nil))[:16]

	parent := filepath.Join(os.TempDir(), fmt.Sprintf("gravedancer-testenv-%d", os.Geteuid()))
	if err := os.Mkdir(parent, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return "", err
	}
	// Only trust a cache dir that is ours and not a symlink.
	pfi, err := os.Lstat(parent)
	if err != nil {
		return "", err
	}
	st, ok := pfi.Sys().(*syscall.Stat_t)
	if !pfi.IsDir() || !ok || int(st.Uid) != os.Geteuid() {
		return "", fmt.Errorf("%s is not a directory owned by uid %d", parent, os.Geteuid())
	}
	// mariadb-install-db's bootstrap server runs as mysql and must reach it.
	if err := os.Chmod(parent, 0o755); err != nil {
		return "", err
	}

	final := filepath.Join(parent, "mariadb-"+key)
	if templateValid(final) {
		return filepath.Join(final, "data"), nil
	}
	if _, err := os.Lstat(final); err == nil {
		// Incomplete or damaged: move it aside, then remove it.
		if stale, err := os.MkdirTemp(parent, ".stale-"); err == nil {
			_ = os.Rename(final, filepath.Join(stale, "t"))
			_ = os.RemoveAll(stale)
		}
	}

	build, err := os.MkdirTemp(parent, ".build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(build) // a no-op once renamed
	if err := os.Chmod(build, 0o755); err != nil {
		return "", err
	}
	if err := installDataDir(installDB, filepath.Join(build, "data"), runAs); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(build, templateReady), []byte(key+"\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(build, final); err != nil {
		// Another test binary won the race; use its template.
		if templateValid(final) {
			return filepath.Join(final, "data"), nil
		}
		return "", err
	}
	return filepath.Join(final, "data"), nil
}

func templateValid(dir string) bool {
	for _, p := range []string{
		templateReady,
		"data/ibdata1",
		"data/ib_logfile0",
		"data/mysql/global_priv.MAD",
		"data/mysql/db.MAD",
	} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			return false
		}
	}
	return true
}
