package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gravedancer/internal/job"
)

// CheckOneShippedBackup asserts what a run that was interrupted and resumed
// (a killed worker, a restarted server) must leave for region: exactly one
// artifact in the spool and one in the ship dir, no temp file in either,
// and a shipped copy whose sha256 is the manifest's.
func CheckOneShippedBackup(t testing.TB, spool, shipDir, region string) {
	t.Helper()
	isArtifact := func(n string) bool {
		return strings.HasPrefix(n, "mdb_bkp_"+region+"-") && (strings.HasSuffix(n, ".sql.gz") || strings.HasSuffix(n, ".sql.zst"))
	}
	artifacts := namesIn(t, spool, "spool", isArtifact)
	if len(artifacts) != 1 {
		t.Errorf("%s artifacts in the spool = %v, want exactly 1", region, artifacts)
		return
	}
	if shipped := namesIn(t, shipDir, "ship dir", isArtifact); len(shipped) != 1 {
		t.Errorf("%s artifacts in the ship dir = %v, want exactly 1", region, shipped)
		return
	}
	stem := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(artifacts[0], ".gz"), ".zst"), ".sql")
	matches, _ := filepath.Glob(filepath.Join(spool, "*", stem+".manifest.json"))
	if len(matches) != 1 {
		t.Errorf("manifest of %s: found %v, want 1", artifacts[0], matches)
		return
	}
	var m job.Manifest
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	shipped, _ := filepath.Glob(filepath.Join(shipDir, "*", artifacts[0]))
	if len(shipped) != 1 {
		t.Errorf("shipped copies of %s = %v, want 1", artifacts[0], shipped)
		return
	}
	data, err := os.ReadFile(shipped[0])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != m.SHA256 {
		t.Errorf("shipped %s sha256 = %s, want %s (manifest)", shipped[0], got, m.SHA256)
	}
}

// namesIn returns the file names under root that keep says are wanted,
// and reports every temp file left there (what names root in errors).
func namesIn(t testing.TB, root, what string, keep func(string) bool) []string {
	t.Helper()
	var out []string
	for _, n := range WalkNames(t, root) {
		if strings.Contains(n, ".tmp-") {
			t.Errorf("temp file %s left in the %s", n, what)
		}
		if keep(n) {
			out = append(out, n)
		}
	}
	return out
}
