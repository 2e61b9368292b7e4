package retain

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gravedancer/internal/job"
	"gravedancer/internal/retention"
	"gravedancer/internal/store"
)

func backup(t *testing.T, sp *store.Spool, at time.Time, verified bool) string {
	t.Helper()
	p := sp.ArtifactPath("R", at, "gzip")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte("x"), 0o640)
	os.WriteFile(store.ManifestPath(p), job.EncodeManifest(&job.Manifest{V: job.Version, Region: "R", SHA256: "s", Run: "r"}), 0o640)
	if verified {
		store.MarkVerified(p, store.Verification{At: at})
	}
	return p
}

func TestRetainSetsLatestAndPrunes(t *testing.T) {
	now := time.Date(2026, 11, 28, 3, 0, 0, 0, time.Local)
	sp := &store.Spool{Dir: t.TempDir()}
	old := backup(t, sp, now.Add(-10*24*time.Hour), true)
	oldFailed := backup(t, sp, now.Add(-9*24*time.Hour), false)
	recent := backup(t, sp, now.Add(-24*time.Hour), true)
	current := backup(t, sp, now.Add(-time.Minute), true)
	s := &Stage{Spool: sp, Policy: retention.Policy{Days: 3, KeepMin: 1}, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	j, err := s.Handle(context.Background(), &job.Job{Region: "R", Run: "r", Restore: &job.Restore{}, Artifact: &job.Artifact{Path: current}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := sp.GetLatest("R")
	if err != nil || l.Path != current {
		t.Fatalf("latest = %+v, %v; want %s", l, err, current)
	}
	if target, _ := os.Readlink(filepath.Join(sp.LatestDir(), "R")); !filepath.IsAbs(target) && filepath.Join(sp.LatestDir(), target) != current {
		t.Errorf("latest symlink -> %s", target)
	}
	for p, want := range map[string]bool{old: false, oldFailed: false, recent: true, current: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s present = %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
	if len(j.Retained.Removed) != 2 || j.Retained.Latest != current {
		t.Errorf("retained = %+v", j.Retained)
	}
}

func TestRetainNeverPrunesTheOnlyVerifiedBackup(t *testing.T) {
	now := time.Date(2026, 11, 28, 3, 0, 0, 0, time.Local)
	sp := &store.Spool{Dir: t.TempDir()}
	ancient := backup(t, sp, now.AddDate(-1, 0, 0), true)
	s := &Stage{Spool: sp, Policy: retention.Policy{Days: 3, KeepMin: 1}, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := s.Handle(context.Background(), &job.Job{Region: "R", Restore: &job.Restore{}, Artifact: &job.Artifact{Path: ancient}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ancient); err != nil {
		t.Errorf("the newest verified backup was pruned: %v", err)
	}
}
