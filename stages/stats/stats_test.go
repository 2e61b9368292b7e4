package stats

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/store"
)

func artifactAt(t *testing.T, s *store.Spool, at time.Time, raw int64) string {
	t.Helper()
	p := s.ArtifactPath("R", at, "gzip")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, []byte("x"), 0o640)
	m := &job.Manifest{V: job.Version, Region: "R", RawBytes: raw, Started: at}
	os.WriteFile(store.ManifestPath(p), job.EncodeManifest(m), 0o640)
	return p
}

func TestStats(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.Local)
	cases := []struct {
		name      string
		prev      map[time.Time]int64 // earlier artifacts
		raw       int64
		tables    int
		wantDelta float64
		first     bool
		firstDay  bool
		exclude   string
	}{
		{"first ever", nil, 1000, 3, 0, true, true, ""},
		{"grew against yesterday", map[time.Time]int64{now.Add(-24 * time.Hour): 800}, 1000, 3, 25, false, true, ""},
		{"shrank against earlier today", map[time.Time]int64{now.Add(-time.Hour): 2000, now.Add(-25 * time.Hour): 10}, 1000, 3, -50, false, false, ""},
		{"empty dump", nil, 0, 0, 0, false, false, "empty (0 bytes)"},
		{"header only", nil, 900, 0, 0, false, false, "holds no table"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sp := &store.Spool{Dir: t.TempDir()}
			for at, raw := range c.prev {
				artifactAt(t, sp, at, raw)
			}
			cur := artifactAt(t, sp, now, c.raw)
			m := &job.Manifest{RawBytes: c.raw, Started: now, MD5: "abc"}
			for i := range c.tables {
				m.Tables = append(m.Tables, job.TableCount{Database: "d", Table: string(rune('a' + i))})
			}
			j := &job.Job{Region: "R", Run: "r", Manifest: m, Artifact: &job.Artifact{Path: cur, Bytes: 10}}
			s := &Stage{Spool: sp, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			out, err := s.Handle(context.Background(), j)
			if c.exclude != "" {
				reason, ok := pipeline.IsExclude(err)
				if !ok || !strings.Contains(reason, c.exclude) {
					t.Fatalf("err = %v, want exclusion %q", err, c.exclude)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			st := out.Stats
			if st.FirstEver != c.first || st.FirstOfDay != c.firstDay || st.DeltaPct != c.wantDelta || st.MD5 != "abc" {
				t.Errorf("stats = %+v, want first=%v firstOfDay=%v delta=%v", st, c.first, c.firstDay, c.wantDelta)
			}
		})
	}
}

func TestStatsRefusesJobWithoutManifest(t *testing.T) {
	s := &Stage{Spool: &store.Spool{Dir: t.TempDir()}, Logger: slog.Default()}
	_, err := s.Handle(context.Background(), &job.Job{Region: "R"})
	if reason, ok := pipeline.IsExclude(err); !ok || !strings.Contains(reason, "malformed") {
		t.Errorf("err = %v", err)
	}
}
