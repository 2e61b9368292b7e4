// Package retain is the last stage: it points the region's latest at its
// newest verified backup and prunes what the retention policy no longer
// keeps, in the spool and on the ship targets that can delete (S3). It
// only ever runs after a verified backup of the region, so a run of
// failures cannot prune the good history away.
package retain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/retention"
	"gravedancer/internal/ship"
	"gravedancer/internal/store"
)

// Spool is what retention needs of the artifact store.
type Spool interface {
	List(region string) ([]store.Entry, error)
	SetLatest(l store.Latest) error
	Prune(region string, decisions []store.PruneDecision, opt store.PruneOptions) (*store.PruneResult, error)
}

// Remote is a ship target whose copies retention prunes with the same
// policy (S3). Delete removes one copy by its location and must refuse a
// location outside region's part of the target.
type Remote interface {
	Name() string
	List(ctx context.Context, region string) ([]ship.Remote, error)
	Delete(ctx context.Context, region, location string) error
}

// Stage applies retention.
type Stage struct {
	Spool   Spool
	Remotes []Remote
	Policy  retention.Policy
	Now     func() time.Time
	Logger  *slog.Logger
}

var _ pipeline.Stage = (*Stage)(nil)

// Name implements pipeline.Stage.
func (s *Stage) Name() string { return job.StageRetain }

// Handle updates latest and prunes j's region.
func (s *Stage) Handle(ctx context.Context, j *job.Job) (*job.Job, error) {
	if j.Artifact == nil || j.Restore == nil {
		return nil, pipeline.Exclude("%v: job reached retain without a verified artifact", job.ErrMalformed)
	}
	entries, err := s.Spool.List(j.Region)
	if err != nil {
		return nil, err
	}
	newest := store.NewestVerified(entries)
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
	for _, rm := range s.Remotes {
		// A target that cannot be pruned now keeps its copies until the
		// next run; the region's backup is good and stays so. The report
		// says so.
		rr := s.pruneRemote(ctx, rm, j)
		if rr.Error != "" {
			s.Logger.Error("remote prune failed", "region", j.Region, "run", j.Run, "target", rm.Name(), "err", rr.Error)
		}
		j.Retained.Remote = append(j.Retained.Remote, rr)
	}
	return j, nil
}

// pruneRemote applies the policy to what rm holds of j's region. Copies
// are shipped only after their restore test passed, so every copy listed
// with its manifest counts as verified; one whose manifest is missing or
// does not describe it is not planned at all, so it is never deleted.
func (s *Stage) pruneRemote(ctx context.Context, rm Remote, j *job.Job) job.RemoteRetained {
	rr := job.RemoteRetained{Target: rm.Name()}
	remotes, err := rm.List(ctx, j.Region)
	if err != nil {
		rr.Error = fmt.Sprintf("list %s: %v", rm.Name(), err)
		return rr
	}
	var backups []retention.Backup
	for _, r := range remotes {
		m := r.Manifest
		if m == nil || r.Region != j.Region || m.Region != j.Region || m.File != filepath.Base(r.Location) {
			continue
		}
		backups = append(backups, retention.Backup{ID: r.Location, Time: r.Time, Verified: true})
	}
	// Plan keeps the newest verified copy whatever the policy, as it does
	// for the spool (its property tests and FuzzPlan hold it to that).
	decisions := retention.Plan(backups, s.Policy, s.now())
	var errs []error
	for _, d := range decisions {
		if d.Keep {
			continue
		}
		if err := rm.Delete(ctx, j.Region, d.Backup.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		rr.Removed = append(rr.Removed, d.Backup.ID)
		s.Logger.Info("pruned remote", "region", j.Region, "run", j.Run, "target", rm.Name(),
			"location", d.Backup.ID, "reason", strings.Join(d.Reasons, "; "))
	}
	rr.Kept = len(remotes) - len(rr.Removed)
	if err := errors.Join(errs...); err != nil {
		rr.Error = err.Error()
	}
	s.Logger.Info("remote retention applied", "region", j.Region, "run", j.Run, "target", rm.Name(),
		"removed", len(rr.Removed), "kept", rr.Kept)
	return rr
}

func (s *Stage) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Stage) prune(region string, entries []store.Entry) (*store.PruneResult, error) {
	now := s.now()
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

func latestOf(e *store.Entry) store.Latest {
	return store.Latest{Region: e.Region, Path: e.Path, Manifest: store.ManifestPath(e.Path),
		SHA256: e.Manifest.SHA256, Run: e.Manifest.Run, At: e.Time}
}
