package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"gravedancer/internal/catalog"
	"gravedancer/internal/config"
	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
	"gravedancer/internal/store"
)

// VerifyOptions shape an on-demand verify.
type VerifyOptions struct {
	Timeout time.Duration // 0 = wait until it is done
}

// Verify re-proves one backup in the spool through the check and restore
// stages. Without GD_NATS_URL it runs those stages in this process on an
// embedded JetStream, holding the state-dir lock as a backup does; with it,
// the service's workers do the work and this only submits and waits. The
// restore stage records a success beside the artifact (verified.json); the
// run report, written either way, records the outcome for the catalog.
func Verify(ctx context.Context, cfg *config.Config, b *catalog.Backup, opts VerifyOptions, log *slog.Logger) (*report.Report, string, error) {
	j, err := verifyJob(b)
	if err != nil {
		return nil, "", err
	}
	embedded := cfg.NATSURL == ""
	if embedded {
		lock, err := store.AcquireLock(cfg.StateDir)
		if err != nil {
			return nil, "", err
		}
		defer lock.Release()
	}
	conn, err := Connect(cfg, "gravedancer-verify", embedded, log)
	if err != nil {
		return nil, "", err
	}
	defer conn.Close()
	if embedded {
		workers, err := StartWorkers(ctx, cfg, Pipeline(cfg, conn, log), []string{job.StageCheck, job.StageRestore}, 0, log)
		if err != nil {
			return nil, "", err
		}
		defer workers.Stop()
	}
	watch, err := WatchRun(ctx, conn.JS, j.Run)
	if err != nil {
		return nil, "", err
	}
	if err := pipeline.SubmitVerify(ctx, conn.JS, j); err != nil {
		return nil, "", err
	}
	log.Info("verify submitted", "run", j.Run, "region", j.Region, "artifact", b.Local)
	wctx, cancel := withOptionalTimeout(ctx, opts.Timeout)
	defer cancel()
	rep, werr := watch.Wait(wctx, nil)
	path := ""
	if embedded {
		// The service's reporter files reports; alone, we do.
		if path, err = report.Write(&store.Spool{Dir: cfg.SpoolDir}, rep); err != nil {
			return rep, "", err
		}
		if data, err := json.Marshal(rep); err == nil {
			_ = pipeline.RunFinished(context.WithoutCancel(ctx), conn.JS, j.Run, data)
		}
	}
	if werr != nil {
		return rep, path, fmt.Errorf("verify %s did not finish: %w", j.Run, werr)
	}
	return rep, path, nil
}

// verifyJob is the job a dump stage would have produced for b.
func verifyJob(b *catalog.Backup) (*job.Job, error) {
	if b.Local == "" {
		return nil, fmt.Errorf("%w: %s is not in the spool; restore it from a ship target first, or verify a backup the spool holds", catalog.ErrNoBackup, b.File)
	}
	m := b.Manifest
	if m == nil {
		return nil, fmt.Errorf("%s: no readable manifest beside it", b.Local)
	}
	return &job.Job{
		V: job.Version, Run: NewVerifyRunID(b.Region, time.Now()), Region: b.Region, Addr: m.Source, Purpose: job.PurposeVerify,
		Artifact: &job.Artifact{Path: b.Local, ManifestPath: store.ManifestPath(b.Local), SHA256: m.SHA256, Bytes: m.Bytes, Compression: m.Compression},
		Manifest: m,
	}, nil
}

// NewVerifyRunID names a verify run so reports and the catalog tell it
// from a backup run.
func NewVerifyRunID(region string, t time.Time) string {
	return catalog.VerifyRunPrefix + region + "-" + NewRunID(t, true)
}
