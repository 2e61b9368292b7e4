package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"gravedancer/internal/alert"
	"gravedancer/internal/config"
	"gravedancer/internal/job"
	"gravedancer/internal/metrics"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
	"gravedancer/internal/store"
)

// OnceOptions shape a one-shot backup.
type OnceOptions struct {
	Regions []string      // empty = all configured
	Timeout time.Duration // 0 = wait until every region is finished
}

// Once is a whole run in this process, the cron drop-in: take the state-dir
// lock, start every stage, trigger, wait for each region to finish or be
// excluded, stop, and write the run report. The report is returned even when
// the run was cut short, with unfinished regions marked pending.
func Once(ctx context.Context, cfg *config.Config, opts OnceOptions, log *slog.Logger) (*report.Report, string, error) {
	if err := CheckStages(cfg, AllStages()); err != nil {
		return nil, "", err
	}
	lock, err := store.AcquireLock(cfg.StateDir)
	if err != nil {
		return nil, "", err
	}
	defer lock.Release()
	conn, err := Connect(cfg, "gravedancer-backup", true, log)
	if err != nil {
		return nil, "", err
	}
	defer conn.Close()
	p := Pipeline(cfg, conn, log)
	workers, err := StartWorkers(ctx, cfg, p, AllStages(), 0, log)
	if err != nil {
		return nil, "", err
	}
	defer workers.Stop()

	run := NewRunID(time.Now(), true)
	watch, err := WatchRun(ctx, conn.JS, run)
	if err != nil {
		return nil, "", err
	}
	host, _ := os.Hostname()
	t := &job.Trigger{V: job.Version, Run: run, Regions: opts.Regions, At: time.Now().UTC(), By: host + " backup"}
	if _, err := pipeline.Trigger(ctx, conn.JS, t); err != nil {
		return nil, "", err
	}
	// With the embedded server no reporter runs: this process raises the
	// exclusion and run alerts itself. Against GD_NATS_URL the service's
	// reporter does, once for the fleet.
	var alerts *alerting
	if cfg.NATSURL == "" {
		if alerts, err = startAlerts(ctx, cfg, conn.JS, nil, false, log); err != nil {
			return nil, "", err
		}
		defer alerts.stop()
	}
	log.Info("run started", "run", run, "regions", len(cfg.Regions))
	wctx, cancel := withOptionalTimeout(ctx, opts.Timeout)
	defer cancel()
	rep, werr := watch.Wait(wctx, func(g report.Region) {
		log.Info("region finished", "run", run, "region", g.Region, "outcome", g.Outcome, "reached", g.Reached)
		if g.Outcome == report.OutcomeExcluded {
			alerts.notify(alert.Excluded(alert.Exclusion{Region: g.Region, Stage: g.Stage, Run: run, Reason: g.Reason,
				ReasonClass: metrics.ReasonClass(g.Stage, g.Reason), At: time.Now()}))
		}
	})
	if werr == nil {
		// Every region has finished: a job still in flight is only being
		// settled (its done event is out before its ack). Cut off, it would
		// be redelivered at the next backup.
		workers.StopGracefully(settleGrace)
	} else {
		workers.Stop()
	}
	if ev, ok := runAlert(rep); ok {
		alerts.notify(ev)
	}
	path, err := report.Write(&store.Spool{Dir: cfg.SpoolDir}, rep)
	if err != nil {
		return rep, "", err
	}
	if data, err := json.Marshal(rep); err == nil {
		if err := pipeline.RunFinished(context.WithoutCancel(ctx), conn.JS, run, data); err != nil {
			log.Warn("could not announce the finished run", "run", run, "err", err)
		}
	}
	if werr != nil {
		return rep, path, fmt.Errorf("run %s did not finish: %w", run, werr)
	}
	return rep, path, nil
}

// settleGrace bounds how long a finished run waits for its last acks.
const settleGrace = 30 * time.Second

func withOptionalTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// NewRunID names a run by its start time. A one-shot backup adds a random
// suffix, since it must never be mistaken for an earlier run; a cron trigger
// uses the minute alone, so a cron that fires twice makes one run.
func NewRunID(t time.Time, unique bool) string {
	id := t.Local().Format("20060102-1504")
	if !unique {
		return id
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	return t.Local().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}
