// Package dump is the stage that takes a region's logical backup: it runs the
// dump tool once through internal/dumper and attaches the artifact and its
// manifest to the job.
package dump

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"gravedancer/internal/config"
	"gravedancer/internal/dumper"
	"gravedancer/internal/job"
	"gravedancer/internal/lease"
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

// Slots hands out one of a source server's dump slots, shared by every
// worker through the lease bucket; a slot of a worker that died expires.
type Slots interface {
	Acquire(ctx context.Context, names []string) (*lease.Lease, context.Context, error)
}

// Stage dumps regions.
type Stage struct {
	Dumper  Dumper
	Spool   Finder
	Regions config.RegionList
	// Slots and PerSource bound the dumps running against one source
	// server (GD_DUMP_PER_SOURCE): regions may share a server, and a dump
	// is the heaviest thing done to it. Nil Slots means no bound.
	Slots     Slots
	PerSource int
	Logger    *slog.Logger
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
	release, err := s.slot(ctx, j, src)
	if err != nil {
		return nil, err
	}
	art, man, err := s.Dumper.Dump(ctx, src, j.Run)
	release()
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

// slot waits for a free dump slot on src's server. The dump runs on ctx,
// not on the slot's context: a lost slot (NATS unreachable for a while)
// risks one dump too many on a server, which is better than throwing away
// an hour of dumping.
func (s *Stage) slot(ctx context.Context, j *job.Job, src dumper.Source) (release func(), err error) {
	if s.Slots == nil {
		return func() {}, nil
	}
	server := net.JoinHostPort(src.Host, strconv.Itoa(src.Port))
	names := make([]string, max(s.PerSource, 1))
	for i := range names {
		names[i] = SlotName(server, i)
	}
	waited := time.Now()
	l, _, err := s.Slots.Acquire(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("dump slot on %s: %w", server, err)
	}
	if w := time.Since(waited); w > time.Second {
		s.Logger.Info("waited for a dump slot", "region", j.Region, "run", j.Run, "source", server, "waited", w.Round(time.Millisecond))
	}
	return func() { _ = l.Release(context.WithoutCancel(ctx)) }, nil
}

// SlotName is the lease name of slot i of a source server. Test servers
// are leased by their bare host:port, so the two never collide, and the
// leading "slot." token lets nats.conf give the dump user these keys only
// ($KV.gd_leases.slot.>).
func SlotName(server string, i int) string {
	return "slot." + server + "." + strconv.Itoa(i)
}

func artifactOf(e *store.Entry) *job.Artifact {
	m := e.Manifest
	return &job.Artifact{Path: e.Path, ManifestPath: store.ManifestPath(e.Path), SHA256: m.SHA256,
		Bytes: m.Bytes, Compression: m.Compression}
}
