package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// publishWindow bounds how long one publish keeps retrying. It covers the
// leader election of a clustered stream after its leader's node died
// (nats-server 2.9 takes up to about ten seconds, during which publishes
// get no response) and a client's reconnect to another node. Before, a
// publish gave up after 15s at most but after well under a second when
// the stream had no leader (nats.go retries "no responders" only twice, 250ms
// apart): a finished dump then failed its attempt, was redone and, with
// few deliveries allowed, excluded although nothing was wrong with it.
const publishWindow = 30 * time.Second

// publishAttempt bounds one try: a publish whose stream leader died with
// the request in flight is never answered. Retrying is safe because every
// publish carries a Msg-Id: a copy the first try stored is dropped.
const publishAttempt = 5 * time.Second

// publishOnce publishes with Msg-Id id and waits for the PubAck, retrying
// transient failures within publishWindow (and ctx).
func publishOnce(ctx context.Context, js jetstream.JetStream, subject, id string, data []byte, h nats.Header) error {
	_, err := publishRetry(ctx, js, subject, id, data, h)
	return err
}

func publishRetry(ctx context.Context, js jetstream.JetStream, subject, id string, data []byte, h nats.Header) (*jetstream.PubAck, error) {
	ctx, cancel := context.WithTimeout(ctx, publishWindow)
	defer cancel()
	wait := 250 * time.Millisecond
	for {
		actx, acancel := context.WithTimeout(ctx, publishAttempt)
		ack, err := js.PublishMsg(actx, &nats.Msg{Subject: subject, Data: data, Header: h}, jetstream.WithMsgID(id))
		acancel()
		if err == nil {
			return ack, nil
		}
		if !Transient(err) || ctx.Err() != nil {
			return nil, fmt.Errorf("publish %s: %w", subject, err)
		}
		sleep(ctx, wait)
		wait = min(2*wait, 2*time.Second)
	}
}

// Transient reports whether a JetStream request (a publish, a KV write)
// may succeed if tried again shortly: no responders (a stream without a leader, mid-election), no
// answer in time (the leader died with the request in flight), the
// connection between servers, or the cluster saying it is busy.
func Transient(err error) bool {
	var apiErr *jetstream.APIError
	switch {
	case errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout),
		errors.Is(err, nats.ErrConnectionReconnecting), errors.Is(err, nats.ErrDisconnected):
		return true
	case errors.As(err, &apiErr):
		return apiErr.Code == 503 // JetStream temporarily unavailable, no leader
	}
	return false
}

// doubleAck acks msg and waits for the server to confirm, retrying
// transient failures within publishWindow: an ack lost while the consumer
// elects a new leader would have the finished job redelivered and done
// again. Acking again is harmless; the server keeps the first.
func doubleAck(ctx context.Context, msg jetstream.Msg) error {
	ctx, cancel := context.WithTimeout(ctx, publishWindow)
	defer cancel()
	wait := 250 * time.Millisecond
	for {
		actx, acancel := context.WithTimeout(ctx, publishAttempt)
		err := msg.DoubleAck(actx)
		acancel()
		if err == nil || errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
			return nil
		}
		if !Transient(err) || ctx.Err() != nil {
			return err
		}
		sleep(ctx, wait)
		wait = min(2*wait, 2*time.Second)
	}
}
