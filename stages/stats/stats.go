// Package stats is the stage that measures a fresh dump against the region's
// previous backup, as the old script's statistics step did, and excludes a
// dump that is empty or holds no table at all.
package stats

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/store"
)

// ShrinkWarnPct is the size drop, against the previous backup, that is worth
// a warning: a region that lost a quarter of its data overnight is news.
const ShrinkWarnPct = -25

// Previous finds the region's last backup before a given artifact.
type Previous interface {
	Previous(region, exclude string) (*store.Entry, error)
}

// Stage computes sizes and deltas.
type Stage struct {
	Spool  Previous
	Logger *slog.Logger
}

var _ pipeline.Stage = (*Stage)(nil)

// Name implements pipeline.Stage.
func (s *Stage) Name() string { return job.StageStats }

// Handle fills j.Stats. It reads only manifests: never the dump again.
func (s *Stage) Handle(_ context.Context, j *job.Job) (*job.Job, error) {
	m, a := j.Manifest, j.Artifact
	if m == nil || a == nil {
		return nil, pipeline.Exclude("%v: job reached stats without an artifact and manifest", job.ErrMalformed)
	}
	if m.RawBytes == 0 {
		return nil, pipeline.Exclude("dump of %s is empty (0 bytes): %s", j.Region, a.Path)
	}
	if len(m.Tables) == 0 {
		return nil, pipeline.Exclude("dump of %s holds no table (%d bytes, %d statements): header only", j.Region, m.RawBytes, m.Statements)
	}
	st := &job.Stats{RawBytes: m.RawBytes, Bytes: a.Bytes, MD5: m.MD5}
	prev, err := s.Spool.Previous(j.Region, a.Path)
	switch {
	case errors.Is(err, store.ErrNotFound):
		st.FirstEver, st.FirstOfDay = true, true
	case err != nil:
		return nil, err
	default:
		fill(st, prev, m.Started)
	}
	j.Stats = st
	s.log(j, st)
	return j, nil
}

func fill(st *job.Stats, prev *store.Entry, at time.Time) {
	st.PrevPath, st.PrevRawBytes = prev.Path, prev.Manifest.RawBytes
	st.FirstOfDay = !sameDay(prev.Time, at)
	if st.PrevRawBytes > 0 {
		st.DeltaPct = float64(st.RawBytes-st.PrevRawBytes) / float64(st.PrevRawBytes) * 100
	}
}

func sameDay(a, b time.Time) bool {
	a, b = a.Local(), b.Local()
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}

func (s *Stage) log(j *job.Job, st *job.Stats) {
	l := s.Logger.With("region", j.Region, "run", j.Run, "raw_bytes", st.RawBytes, "bytes", st.Bytes, "md5", st.MD5)
	switch {
	case st.FirstEver:
		l.Info("first backup of this region")
	case st.DeltaPct <= ShrinkWarnPct:
		l.Warn("dump shrank against the previous backup", "delta_pct", round1(st.DeltaPct), "prev", st.PrevPath, "first_of_day", st.FirstOfDay)
	default:
		l.Info("size against the previous backup", "delta_pct", round1(st.DeltaPct), "prev", st.PrevPath, "first_of_day", st.FirstOfDay)
	}
}

func round1(f float64) float64 { return float64(int64(f*10)) / 10 }
