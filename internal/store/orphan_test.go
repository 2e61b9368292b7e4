package store

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCreateTempRemovesOrphans: a temp file no live writer holds (its
// writer was killed) is removed when the same region writes again; a temp
// a live writer holds, and another region's orphan, are kept.
func TestCreateTempRemovesOrphans(t *testing.T) {
	dir := t.TempDir()
	live, err := CreateTemp(filepath.Join(dir, "mdb_bkp_REG1-20261128_010000.sql.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Abort()
	orphan := filepath.Join(dir, ".tmp-mdb_bkp_REG1-20261128_000000.sql.gz.0123456789ab")
	other := filepath.Join(dir, ".tmp-mdb_bkp_REG2-20261128_000000.sql.gz.0123456789ab")
	for _, p := range []string{orphan, other} {
		if err := os.WriteFile(p, []byte("partial"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	next, err := CreateTemp(filepath.Join(dir, "mdb_bkp_REG1-20261128_020000.sql.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer next.Abort()
	for _, c := range []struct {
		path string
		want bool
	}{{orphan, false}, {other, true}, {live.Name(), true}, {next.Name(), true}} {
		_, err := os.Stat(c.path)
		if got := err == nil; got != c.want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(c.path), got, c.want)
		}
	}
}
