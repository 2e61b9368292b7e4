package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/config"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
	"gravedancer/internal/store"
)

// Status is what `gravedancer status` shows.
type Status struct {
	At      time.Time      `json:"at"`
	Regions []RegionStatus `json:"regions"`
	Stages  []StageStatus  `json:"stages"`
	Workers []WorkerInfo   `json:"workers"`
}

// RegionStatus is a region's backup health.
type RegionStatus struct {
	Region       string     `json:"region"`
	LastGood     *time.Time `json:"last_good,omitempty"` // newest verified backup
	AgeSeconds   int64      `json:"age_seconds,omitempty"`
	Bytes        int64      `json:"bytes,omitempty"`
	Path         string     `json:"path,omitempty"`
	LastRun      string     `json:"last_run,omitempty"`
	LastOutcome  string     `json:"last_outcome,omitempty"` // good | excluded | pending
	LastReason   string     `json:"last_reason,omitempty"`
	VerifiedRows int64      `json:"verified_rows,omitempty"`
}

// StageStatus is a stage's queue.
type StageStatus struct {
	Stage       string `json:"stage"`
	Pending     uint64 `json:"pending"`
	InFlight    int    `json:"in_flight"`
	Redelivered int    `json:"redelivered"`
	Cap         int    `json:"cap"`
	Workers     int    `json:"workers"`
}

// GetStatus gathers region health from the spool and queue state from NATS.
func GetStatus(ctx context.Context, cfg *config.Config, js jetstream.JetStream) (*Status, error) {
	st := &Status{At: time.Now().UTC()}
	spool := &store.Spool{Dir: cfg.SpoolDir}
	runs, err := report.List(spool)
	if err != nil {
		return nil, err
	}
	for _, r := range cfg.Regions {
		rs, err := regionStatus(spool, r.Name, runs, st.At)
		if err != nil {
			return nil, err
		}
		st.Regions = append(st.Regions, rs)
	}
	if pres, err := OpenPresence(ctx, js, false, 0); err == nil {
		st.Workers, _ = pres.List(ctx)
	}
	for _, name := range AllStages() {
		ss, err := stageStatus(ctx, js, name, st.Workers)
		if err != nil {
			return nil, err
		}
		st.Stages = append(st.Stages, ss)
	}
	return st, nil
}

func regionStatus(spool *store.Spool, region string, runs []*report.Report, now time.Time) (RegionStatus, error) {
	rs := RegionStatus{Region: region}
	entries, err := spool.List(region)
	if err != nil {
		return rs, err
	}
	if e := store.NewestVerified(entries); e != nil {
		t := e.Time
		rs.LastGood, rs.AgeSeconds, rs.Bytes, rs.Path = &t, int64(now.Sub(t).Seconds()), e.Manifest.Bytes, e.Path
		rs.VerifiedRows = e.Verified.RowsVerified
	}
	for _, r := range runs {
		for _, g := range r.Regions {
			if g.Region == region {
				rs.LastRun, rs.LastOutcome, rs.LastReason = r.Run, g.Outcome, g.Reason
				return rs, nil
			}
		}
	}
	return rs, nil
}

func stageStatus(ctx context.Context, js jetstream.JetStream, name string, workers []WorkerInfo) (StageStatus, error) {
	ss := StageStatus{Stage: name}
	for _, w := range workers {
		for _, s := range w.Stages {
			if s == name {
				ss.Workers++
			}
		}
	}
	c, err := js.Consumer(ctx, pipeline.StreamJobs, name)
	if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
		return ss, nil // never set up: nothing queued
	}
	if err != nil {
		return ss, fmt.Errorf("consumer %s: %w", name, err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		return ss, fmt.Errorf("consumer %s: %w", name, err)
	}
	ss.Pending, ss.InFlight, ss.Redelivered, ss.Cap = info.NumPending, info.NumAckPending, info.NumRedelivered, info.Config.MaxAckPending
	return ss, nil
}
