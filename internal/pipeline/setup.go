package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Retention of the side streams.
const (
	DLQMaxAge      = 90 * 24 * time.Hour
	EventsMaxAge   = 30 * 24 * time.Hour
	JobsDuplicates = 24 * time.Hour
)

// StreamConfigs returns the three streams. Jobs is a WorkQueue: each job is
// worked once and removed on ack; its 24 h duplicate window is what turns a
// cron firing twice, or a crash between publish and ack, into one run.
func StreamConfigs(replicas int) []jetstream.StreamConfig {
	if replicas < 1 {
		replicas = 1
	}
	return []jetstream.StreamConfig{
		{
			Name: StreamJobs, Subjects: []string{SubjectTrigger, subjectJob + ">"},
			Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
			Duplicates: JobsDuplicates, Replicas: replicas,
			Description: "gravedancer work: triggers and per-stage region jobs",
		},
		{
			Name: StreamDLQ, Subjects: []string{subjectDLQ + ">"},
			Retention: jetstream.LimitsPolicy, Storage: jetstream.FileStorage,
			MaxAge: DLQMaxAge, Duplicates: JobsDuplicates, Replicas: replicas,
			Description: "gravedancer exclusions: why a region left a run",
		},
		{
			Name: StreamEvents, Subjects: []string{subjectEvent + ">", "gd.run.>"},
			Retention: jetstream.LimitsPolicy, Storage: jetstream.FileStorage,
			MaxAge: EventsMaxAge, Duplicates: 10 * time.Minute, Replicas: replicas,
			Description: "gravedancer events: planned, done, excluded, run finished",
		},
	}
}

// EnsureStreams creates or updates the streams.
func EnsureStreams(ctx context.Context, js jetstream.JetStream, replicas int) error {
	for _, cfg := range StreamConfigs(replicas) {
		if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("stream %s: %w", cfg.Name, err)
		}
	}
	return nil
}

// ConsumerSpec is what a stage's durable consumer needs.
type ConsumerSpec struct {
	Stage       string
	Filter      string
	Concurrency int // MaxAckPending: the cluster-wide cap of jobs in flight
	AckWait     time.Duration
	MaxDeliver  int
}

// EnsureConsumer creates or updates the stage's durable pull consumer.
func EnsureConsumer(ctx context.Context, js jetstream.JetStream, s ConsumerSpec) (jetstream.Consumer, error) {
	cfg := jetstream.ConsumerConfig{
		Durable:       s.Stage,
		Description:   "gravedancer stage " + s.Stage,
		FilterSubject: s.Filter,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.AckWait,
		MaxDeliver:    s.MaxDeliver,
		MaxAckPending: s.Concurrency,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	c, err := js.CreateOrUpdateConsumer(ctx, StreamJobs, cfg)
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", s.Stage, err)
	}
	return c, nil
}

// isTimeout is a fetch that found nothing in its wait.
func isTimeout(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, jetstream.ErrNoMessages) ||
		err.Error() == "nats: timeout"
}
