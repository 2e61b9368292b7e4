package web

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/app"
	"gravedancer/internal/config"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
	"gravedancer/internal/store"
)

// Backend is what the pages read and the one thing they change. The
// handlers see only this, so they are tested without NATS or a spool.
type Backend interface {
	// Regions are the configured region names, in configuration order.
	Regions() []string
	// Status is what `gravedancer status --json` prints.
	Status(ctx context.Context) (*app.Status, error)
	// Runs are the run reports, newest first.
	Runs(ctx context.Context) ([]*report.Report, error)
	// Run is one run's report; report.ErrNoRun when there is none.
	Run(ctx context.Context, id string) (*report.Report, error)
	// DLQ lists the matching dead-letter entries, oldest first.
	DLQ(ctx context.Context, f pipeline.Filter) ([]DLQEntry, error)
	// Replay does what `gravedancer dlq replay SEQ` does.
	Replay(ctx context.Context, seq uint64, by string, force bool) (Replay, error)
}

// DLQEntry is a dead-letter entry as the pages and the API show it: the
// headers an operator reads, without the message body.
type DLQEntry struct {
	Seq        uint64             `json:"seq"`
	Time       time.Time          `json:"time"`
	Run        string             `json:"run"`
	Region     string             `json:"region"`
	Stage      string             `json:"stage"`
	Subject    string             `json:"subject"`
	Deliveries int                `json:"deliveries"`
	Reason     string             `json:"reason"`
	Replayed   *pipeline.Replayed `json:"replayed,omitempty"`
}

// Replay is the result of replaying one entry.
type Replay struct {
	Seq     uint64 `json:"seq"`
	Run     string `json:"run"`
	Region  string `json:"region"`
	Subject string `json:"subject"`
	By      string `json:"by"`
}

// NewBackend reads region health and the DLQ from js and run reports from
// the spool in cfg.
func NewBackend(cfg *config.Config, js jetstream.JetStream) Backend {
	return &natsBackend{cfg: cfg, js: js, spool: &store.Spool{Dir: cfg.SpoolDir}}
}

type natsBackend struct {
	cfg   *config.Config
	js    jetstream.JetStream
	spool *store.Spool
}

func (b *natsBackend) Regions() []string {
	names := make([]string, 0, len(b.cfg.Regions))
	for _, r := range b.cfg.Regions {
		names = append(names, r.Name)
	}
	return names
}

func (b *natsBackend) Status(ctx context.Context) (*app.Status, error) {
	return app.GetStatus(ctx, b.cfg, b.js)
}

func (b *natsBackend) Runs(context.Context) ([]*report.Report, error) { return report.List(b.spool) }

func (b *natsBackend) Run(_ context.Context, id string) (*report.Report, error) {
	return report.Find(b.spool, id)
}

func (b *natsBackend) DLQ(ctx context.Context, f pipeline.Filter) ([]DLQEntry, error) {
	entries, err := pipeline.ListDLQ(ctx, b.js, f)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, nil // never set up: nothing excluded yet
	}
	if err != nil {
		return nil, err
	}
	rp, _ := pipeline.OpenReplayer(ctx, b.js, false, 0) // no bucket yet: nothing replayed
	out := make([]DLQEntry, 0, len(entries))
	for _, e := range entries {
		d := DLQEntry{Seq: e.Seq, Time: e.Time, Run: e.Run, Region: e.Region, Stage: e.Stage,
			Subject: e.Header.Get(pipeline.HdrSubject), Deliveries: e.Deliveries, Reason: e.Reason}
		if rp != nil {
			d.Replayed, _ = rp.Status(ctx, e.Seq)
		}
		out = append(out, d)
	}
	return out, nil
}

func (b *natsBackend) Replay(ctx context.Context, seq uint64, by string, force bool) (Replay, error) {
	e, err := pipeline.GetDLQ(ctx, b.js, seq)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return Replay{}, pipeline.ErrNoEntry
	}
	if err != nil {
		return Replay{}, err
	}
	rp, err := pipeline.OpenReplayer(ctx, b.js, b.cfg.NATSSetup, b.cfg.NATSReplicas)
	if err != nil {
		return Replay{}, err
	}
	subject, err := rp.Replay(ctx, e, by, force)
	if err != nil {
		return Replay{}, err
	}
	return Replay{Seq: e.Seq, Run: e.Run, Region: e.Region, Subject: subject, By: by}, nil
}
