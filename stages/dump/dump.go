// Package dump is the stage that takes a region's logical backup: it runs the
// dump tool once through internal/dumper and attaches the artifact and its
// manifest to the job.
package dump

import (
	"context"
	"errors"
	"log/slog"

	"gravedancer/internal/config"
	"gravedancer/internal/dumper"
	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/store"
)

// Dumper is what the stage needs of internal/dumper.
type Dumper interface {
	Dump(ctx context.Context, src dumper.Source, run string) (*job.Artifact, *job.Manifest, error)
}

// Finder finds an artifact already written for a run.
type Finder interface {
	FindRun(region, run string) (*store.Entry, error)
}

// Stage dumps regions.
type Stage struct {
	Dumper  Dumper
	Spool   Finder
	Regions config.RegionList
	Logger  *slog.Logger
}

var _ pipeline.Stage = (*Stage)(nil)

// Name implements pipeline.Stage.
func (s *Stage) Name() string { return job.StageDump }

// Handle dumps j's region. A redelivered job whose artifact was already
// committed reuses it, so a crash after the dump never yields two backups.
func (s *Stage) Handle(ctx context.Context, j *job.Job) (*job.Job, error) {
	r, ok := s.Regions.Find(j.Region)
	if !ok {
		return nil, pipeline.Exclude("region %s is not configured on this worker", j.Region)
	}
	if e, err := s.Spool.FindRun(j.Region, j.Run); err == nil {
		s.Logger.Info("reusing artifact written by an earlier attempt", "region", j.Region, "run", j.Run, "path", e.Path)
		j.Artifact, j.Manifest = artifactOf(e), e.Manifest
		return j, nil
	}
	src := dumper.Source{Region: r.Name, Host: r.Host, Port: r.Port, User: r.User, Password: r.Password}
	art, man, err := s.Dumper.Dump(ctx, src, j.Run)
	if err != nil {
		var de *dumper.Error
		if errors.As(err, &de) && de.Transient {
			return nil, err
		}
		return nil, pipeline.Exclude("%v", err)
	}
	s.Logger.Info("dumped", "region", j.Region, "run", j.Run, "path", art.Path,
		"raw_bytes", man.RawBytes, "bytes", art.Bytes, "tables", len(man.Tables), "rows", man.Rows(),
		"md5", man.MD5, "took", man.Finished.Sub(man.Started).Round(1e6))
	j.Artifact, j.Manifest = art, man
	return j, nil
}

func artifactOf(e *store.Entry) *job.Artifact {
	m := e.Manifest
	return &job.Artifact{Path: e.Path, ManifestPath: store.ManifestPath(e.Path), SHA256: m.SHA256,
		Bytes: m.Bytes, Compression: m.Compression}
}
