// Package retain is the last stage: it points the region's latest at its
// newest verified backup and prunes what the retention policy no longer
// keeps. It only ever runs after a verified backup of the region, so a run of
// failures cannot prune the good history away.
package retain

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/retention"
	"gravedancer/internal/store"
)

// Spool is what retention needs of the artifact store.
type Spool interface {
	List(region string) ([]store.Entry, error)
	SetLatest(l store.Latest) error
	Prune(region string, decisions []store.PruneDecision, opt store.PruneOptions) (*store.PruneResult, error)
}

// Stage applies retention.
type Stage struct {
	Spool  Spool
	Policy retention.Policy
	Now    func() time.Time
	Logger *slog.Logger
}

var _ pipeline.Stage = (*Stage)(nil)

// Name implements pipeline.Stage.
func (s *Stage) Name() string { return job.StageRetain }

// Handle updates latest and prunes j's region.
func (s *Stage) Handle(_ context.Context, j *job.Job) (*job.Job, error) {
	if j.Artifact == nil || j.Restore == nil {
		return nil, pipeline.Exclude("%v: job reached retain without a verified artifact", job.ErrMalformed)
	}
	entries, err := s.Spool.List(j.Region)
	if err != nil {
		return nil, err
	}
	newest := newestVerified(entries)
	if newest == nil {
		return nil, fmt.Errorf("retain %s: no verified backup found in the spool although %s was verified", j.Region, j.Artifact.Path)
	}
	if err := s.Spool.SetLatest(latestOf(newest)); err != nil {
		return nil, err
	}
	res, err := s.prune(j.Region, entries)
	if err != nil {
		return nil, err
	}
	j.Retained = &job.Retained{Latest: newest.Path, Kept: len(res.Kept)}
	for _, r := range res.Removed {
		// Report backups; their sidecars and emptied directories go to the log.
		if _, _, ok := store.ParseName(filepath.Base(r.Path)); ok {
			j.Retained.Removed = append(j.Retained.Removed, r.Path)
		}
		s.Logger.Info("pruned", "region", j.Region, "run", j.Run, "path", r.Path, "reason", r.Reason)
	}
	for _, e := range res.Errors {
		s.Logger.Error("prune failed", "region", j.Region, "run", j.Run, "err", e)
	}
	s.Logger.Info("retention applied", "region", j.Region, "run", j.Run, "latest", newest.Path,
		"removed", len(res.Removed), "kept", len(res.Kept))
	return j, nil
}

func (s *Stage) prune(region string, entries []store.Entry) (*store.PruneResult, error) {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	backups := make([]retention.Backup, len(entries))
	for i, e := range entries {
		backups[i] = retention.Backup{ID: e.Path, Time: e.Time, Verified: e.Verified != nil}
	}
	var decisions []store.PruneDecision
	for _, d := range retention.Plan(backups, s.Policy, now) {
		decisions = append(decisions, store.PruneDecision{Path: d.Backup.ID, Delete: !d.Keep, Reasons: d.Reasons})
	}
	res, err := s.Spool.Prune(region, decisions, store.PruneOptions{Now: now, Days: s.Policy.Days})
	if err != nil {
		return nil, fmt.Errorf("prune %s: %w", region, err)
	}
	return res, nil
}

func newestVerified(entries []store.Entry) *store.Entry {
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].Verified != nil && entries[i].Manifest != nil {
			return &entries[i]
		}
	}
	return nil
}

func latestOf(e *store.Entry) store.Latest {
	return store.Latest{Region: e.Region, Path: e.Path, Manifest: store.ManifestPath(e.Path),
		SHA256: e.Manifest.SHA256, Run: e.Manifest.Run, At: e.Time}
}
