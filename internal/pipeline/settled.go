package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// sweepSettled deletes the messages of cons's subjects that sit at or below
// its ack floor: jobs already settled that the work queue kept anyway.
//
// A work-queue stream deletes a message when its consumer acks it, but a
// nats-server that crashes (SIGKILL, power loss) can come back with the
// consumer's ack floor past a message whose deletion it never wrote. No
// consumer will deliver that message again, so it is not a lost job, but it
// stays in the queue for good and reads as work waiting. Only messages the
// consumer itself has acknowledged are touched, so the sweep never drops a
// job that is still owed. It returns how many it deleted.
func sweepSettled(ctx context.Context, js jetstream.JetStream, cons jetstream.Consumer) (int, error) {
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("sweep settled jobs: %w", err)
	}
	floor := info.AckFloor.Stream
	filters := info.Config.FilterSubjects
	if info.Config.FilterSubject != "" {
		filters = append(filters, info.Config.FilterSubject)
	}
	if floor == 0 || len(filters) == 0 {
		return 0, nil
	}
	s, err := js.Stream(ctx, info.Stream)
	if err != nil {
		return 0, fmt.Errorf("sweep settled jobs: %w", err)
	}
	deleted := 0
	for _, subject := range filters {
		for seq := uint64(1); seq <= floor; {
			m, err := s.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				break
			}
			if err != nil {
				return deleted, fmt.Errorf("sweep settled jobs: read %s from %d: %w", subject, seq, err)
			}
			if m.Sequence > floor {
				break
			}
			if err := s.DeleteMsg(ctx, m.Sequence); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
				return deleted, fmt.Errorf("sweep settled jobs: delete %d: %w", m.Sequence, err)
			}
			deleted++
			seq = m.Sequence + 1
		}
	}
	return deleted, nil
}
