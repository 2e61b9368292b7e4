// Package ship is the stage that sends a verified backup to every configured
// target. A target that fails leaves the local verified copy in place; the
// job is retried and, when retries run out, the region is excluded with the
// target's error.
package ship

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/ship"
	"gravedancer/internal/store"
)

// Stage ships artifacts.
type Stage struct {
	Shippers []ship.Shipper
	Logger   *slog.Logger
}

var _ pipeline.Stage = (*Stage)(nil)

// Name implements pipeline.Stage.
func (s *Stage) Name() string { return job.StageShip }

// Handle ships j's artifact to every target. Shippers are idempotent, so a
// retry after a partial failure sends again to all and keeps one copy each.
func (s *Stage) Handle(ctx context.Context, j *job.Job) (*job.Job, error) {
	if j.Artifact == nil || j.Restore == nil {
		return nil, pipeline.Exclude("%v: job reached ship without a verified artifact", job.ErrMalformed)
	}
	a := ship.Artifact{Path: j.Artifact.Path, ManifestPath: j.Artifact.ManifestPath, SHA256: j.Artifact.SHA256,
		Bytes: j.Artifact.Bytes, Region: j.Region, Time: j.Manifest.Started}
	var got []job.Shipment
	for _, sh := range s.Shippers {
		started := time.Now()
		r, err := sh.Ship(ctx, a)
		if err != nil {
			return nil, fmt.Errorf("ship %s to %s (local verified copy kept): %w", j.Region, sh.Name(), err)
		}
		got = append(got, job.Shipment{Target: r.Target, Location: r.Location, At: r.At})
		s.Logger.Info("shipped", "region", j.Region, "run", j.Run, "target", r.Target, "location", r.Location,
			"took", time.Since(started).Round(time.Millisecond))
	}
	if len(got) > 0 {
		rec := store.Shipping{Run: j.Run}
		for _, g := range got {
			rec.Shipments = append(rec.Shipments, store.Shipment{Target: g.Target, Location: g.Location, At: g.At})
		}
		if err := store.MarkShipped(j.Artifact.Path, rec); err != nil {
			return nil, fmt.Errorf("record shipment of %s: %w", j.Artifact.Path, err)
		}
	}
	j.Shipped = got
	return j, nil
}
