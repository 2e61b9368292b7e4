package retain

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gravedancer/internal/job"
	"gravedancer/internal/retention"
	"gravedancer/internal/store"
)

// TestRetainProperties runs the real stage over random histories — ages,
// verified or not, quarantined failures, symlinks planted in the spool that
// point outside it — and checks what must hold whatever the history: the
// newest verified backup of the region survives and becomes latest, nothing
// younger than the window is deleted, and nothing outside the spool is
// touched.
func TestRetainProperties(t *testing.T) {
	now := time.Date(2026, 11, 28, 3, 0, 0, 0, time.Local)
	for seed := uint64(1); seed <= 200; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		root := t.TempDir()
		sp := &store.Spool{Dir: filepath.Join(root, "spool")}
		outside := filepath.Join(root, "outside")
		os.MkdirAll(outside, 0o755)
		sentinel := filepath.Join(outside, "precious")
		os.WriteFile(sentinel, []byte("keep"), 0o644)
		old := filepath.Join(outside, "mdb_bkp_R-20200101_000000.sql.gz") // looks like a backup
		os.WriteFile(old, []byte("keep"), 0o644)

		policy := retention.Policy{Days: 1 + r.IntN(5), KeepMin: 1 + r.IntN(3), Daily: r.IntN(3), Weekly: r.IntN(2), Monthly: r.IntN(2)}
		var newestVerified string
		var newestAt time.Time
		var young []string
		n := 1 + r.IntN(12)
		for i := 0; i < n; i++ {
			at := now.Add(-time.Duration(r.IntN(40*24)) * time.Hour).Add(-time.Duration(i) * time.Second)
			verified := r.IntN(3) > 0
			p := backup(t, sp, at, verified)
			switch {
			case !verified && r.IntN(3) == 0:
				if _, err := sp.Quarantine(p, "restore failed"); err != nil {
					t.Fatal(err)
				}
				continue
			case verified && at.After(newestAt):
				newestVerified, newestAt = p, at
			}
			if now.Sub(at) < time.Duration(policy.Days)*24*time.Hour {
				young = append(young, p)
			}
			if r.IntN(4) == 0 { // a hostile link beside it, named like a backup
				link := filepath.Join(filepath.Dir(p), "mdb_bkp_R-20200101_00000"+string(rune('0'+i%10))+".sql.gz")
				_ = os.Symlink(old, link)
				_ = os.Symlink(outside, filepath.Join(filepath.Dir(p), "evil-dir"))
			}
		}
		if newestVerified == "" {
			continue // the stage only runs after a verified backup
		}
		s := &Stage{Spool: sp, Policy: policy, Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		_, err := s.Handle(context.Background(), &job.Job{Region: "R", Run: "r", Restore: &job.Restore{}, Artifact: &job.Artifact{Path: newestVerified}})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if _, err := os.Stat(newestVerified); err != nil {
			t.Fatalf("seed %d (policy %+v): the newest verified backup was deleted", seed, policy)
		}
		if l, err := sp.GetLatest("R"); err != nil || l.Path != newestVerified {
			t.Fatalf("seed %d: latest = %+v, %v; want %s", seed, l, err, newestVerified)
		}
		for _, p := range young {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("seed %d: %s is younger than %d days and was deleted", seed, filepath.Base(p), policy.Days)
			}
		}
		for _, p := range []string{sentinel, old} {
			if b, err := os.ReadFile(p); err != nil || string(b) != "keep" {
				t.Fatalf("seed %d: %s outside the spool was touched (%v)", seed, p, err)
			}
		}
	}
}
