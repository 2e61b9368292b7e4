package app

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/config"
	"gravedancer/internal/metrics"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
	"gravedancer/internal/store"
)

// NewMetrics returns the process's metrics: delivery metrics fed by the
// pipeline's Observer, and region, run and DLQ gauges read at scrape time
// from the spool, the run reports and JetStream.
func NewMetrics(cfg *config.Config, js jetstream.JetStream) *metrics.Metrics {
	m := metrics.New(cfg.Regions.Names())
	m.Watch(func(ctx context.Context) (*metrics.Snapshot, error) { return snapshot(ctx, cfg, js) })
	return m
}

func snapshot(ctx context.Context, cfg *config.Config, js jetstream.JetStream) (*metrics.Snapshot, error) {
	spool := &store.Spool{Dir: cfg.SpoolDir}
	runs, err := report.List(spool)
	if err != nil {
		return nil, err
	}
	s := &metrics.Snapshot{DLQ: -1}
	now := time.Now().UTC()
	for _, r := range cfg.Regions {
		rs, err := regionStatus(spool, r.Name, runs, now)
		if err != nil {
			return nil, err
		}
		s.Regions = append(s.Regions, metrics.RegionState{Region: r.Name, LastVerified: rs.LastGood, Bytes: rs.Bytes, RowsVerified: rs.VerifiedRows})
	}
	if len(runs) > 0 {
		r := runs[0]
		s.LastRun = &metrics.RunState{Started: r.Started, Finished: r.Finished, Good: r.Good(), Excluded: r.Excluded()}
	}
	if js != nil {
		st, err := js.Stream(ctx, pipeline.StreamDLQ)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			s.DLQ = 0
		} else if err == nil {
			if info, err := st.Info(ctx); err == nil {
				s.DLQ = int64(info.State.Msgs)
			}
		}
	}
	return s, nil
}
