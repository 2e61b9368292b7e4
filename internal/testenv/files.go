package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// WriteFile writes content to path with mode (for a new file), failing the
// test on error, and returns path.
func WriteFile(t testing.TB, path, content string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// WalkFiles returns the paths of all files that are not directories under
// root, in lexical order, failing the test if root cannot be walked.
func WalkFiles(t testing.TB, root string) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

// WalkNames is WalkFiles with base names only.
func WalkNames(t testing.TB, root string) []string {
	t.Helper()
	names := WalkFiles(t, root)
	for i, p := range names {
		names[i] = filepath.Base(p)
	}
	return names
}
