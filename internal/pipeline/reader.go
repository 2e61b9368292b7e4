package pipeline

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Reader reads a stream in order, one message at a time, for watchers that
// do not work the messages (a run being waited for, a DLQ listing). It is
// what jetstream's ordered consumer is meant to be, without its hazard: the
// ordered consumer of nats.go (v1.55) recreates its server-side consumer
// inside Next with a retry loop that has no end (MaxResetAttempts -1) and
// looks at no context, each attempt reusing the same consumer name. In a
// cluster that lost the node its R1 consumer lived on, that create is never
// answered and Next blocks forever, whatever the caller's context says.
//
// A Reader instead keeps its own cursor (the last stream sequence it
// returned) and its own ephemeral consumer (R1, in memory). Every
// server call is bounded by the caller's context and the wait. When the
// consumer stops answering — no pull heartbeat, no responders, deleted, a
// gap in its delivery sequence, any error that is not a plain "nothing
// new" — the Reader drops it and creates a new one, under a new name,
// starting right after the cursor: no event is skipped or returned twice.
type Reader struct {
	js     jetstream.JetStream
	stream string
	cfg    ReaderConfig

	cons    jetstream.Consumer // nil: create one at the next Next
	name    string
	consSeq uint64 // delivery sequence of the last message from cons
	next    uint64 // stream sequence to resume at; 0 = not started yet
}

// ReaderConfig says where a Reader starts and what it reads.
type ReaderConfig struct {
	// Filter lists the subjects to read; empty reads everything.
	Filter []string
	// StartSeq is the first stream sequence to read (0 = from the start,
	// unless StartTime is set).
	StartSeq uint64
	// StartTime starts at the first message at or after it.
	StartTime *time.Time
}

// readerCallTimeout bounds one consumer create, so a create placed on a
// node that just died is given up and retried under a new name.
const readerCallTimeout = 5 * time.Second

// readerAckWait is how soon a delivery the Reader never received is sent
// again (it acks each message the moment it arrives).
const readerAckWait = 5 * time.Second

// readerInactive is how long the server keeps a consumer nobody pulls from,
// so one left behind by a crashed process (or on a node that was down)
// goes away by itself.
const readerInactive = 2 * time.Minute

// NewReader returns a Reader of stream. It creates nothing until Next.
func NewReader(js jetstream.JetStream, stream string, cfg ReaderConfig) *Reader {
	return &Reader{js: js, stream: stream, cfg: cfg}
}

// ErrNoNews is Reader.Next's answer when no message arrived within the wait.
var ErrNoNews = errors.New("no new message")

// Next returns the next message, waiting up to wait for one. It returns
// ErrNoNews when none arrived in time, or ctx's error when ctx ended; any
// other error is the last failure to (re)create the consumer, returned once
// wait is over. It never blocks much past wait or ctx.
func (r *Reader) Next(ctx context.Context, wait time.Duration) (jetstream.Msg, error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var lastErr error
	retry := 100 * time.Millisecond
	for {
		if d, _ := ctx.Deadline(); ctx.Err() != nil || time.Until(d) < 50*time.Millisecond {
			// Too little time left for another call: let it run out, so
			// the caller sees whether its own ctx or only the wait ended.
			<-ctx.Done()
			if err := parent.Err(); err != nil {
				return nil, err
			}
			if lastErr != nil {
				return nil, lastErr
			}
			return nil, ErrNoNews
		}
		if r.cons == nil {
			if err := r.create(ctx); err != nil {
				lastErr = err
				sleep(ctx, retry)
				retry = min(retry*2, 2*time.Second)
				continue
			}
		}
		msg, err := r.cons.Next(r.fetchOpts(ctx)...)
		switch {
		case err == nil:
			md, merr := msg.Metadata()
			if merr != nil || md.Sequence.Consumer != r.consSeq+1 {
				// A delivery went missing (sent while the connection was
				// down, or to a pull the client had given up on): read
				// again from the cursor.
				r.drop()
				continue
			}
			_ = msg.Ack()
			r.consSeq = md.Sequence.Consumer
			r.next = md.Sequence.Stream + 1
			return msg, nil
		case errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrNoMessages):
			// The server answered the pull: the consumer is alive, there is
			// just nothing new.
			if err := parent.Err(); err != nil {
				return nil, err
			}
			return nil, ErrNoNews
		case ctx.Err() != nil:
			// The pull outlived the wait without a word from the server (not
			// even its expiry): the consumer may have gone with its node.
			// The next Next starts a fresh one; that costs little if not.
			r.drop()
			continue
		default:
			// No heartbeat, no responders, consumer deleted, leadership
			// lost, connection trouble: start over from the cursor.
			lastErr = err
			r.drop()
		}
	}
}

// fetchOpts pulls one message within ctx's deadline, with pull heartbeats
// when the wait is long enough for them: a consumer whose node died sends
// none, and the fetch ends with ErrNoHeartbeat instead of waiting it out.
func (r *Reader) fetchOpts(ctx context.Context) []jetstream.FetchOpt {
	opts := []jetstream.FetchOpt{jetstream.FetchContext(ctx)}
	if d, ok := ctx.Deadline(); ok {
		// FetchContext asks the server to expire the pull a little before
		// the deadline; the heartbeat must fit twice into that.
		if hb := min(time.Until(d)/4, time.Second); hb >= 100*time.Millisecond {
			opts = append(opts, jetstream.FetchHeartbeat(hb))
		}
	}
	return opts
}

// create makes a new ephemeral consumer starting after the cursor.
func (r *Reader) create(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, readerCallTimeout)
	defer cancel()
	cfg := jetstream.ConsumerConfig{
		// No name: nats.go makes a new one for every create, so a create
		// that was assigned to a dead node is not asked for again.
		// Acked one at a time: a message lost on its way (the connection
		// dropped, or the pull it answered was already given up) is sent
		// again after AckWait, shows as a gap in the delivery sequence,
		// and the Reader goes back to its cursor. Without acks it would be
		// skipped silently, and a watcher could wait for a run's last event
		// forever.
		AckPolicy:         jetstream.AckExplicitPolicy,
		AckWait:           readerAckWait,
		MaxAckPending:     1,
		Replicas:          1,
		MemoryStorage:     true,
		InactiveThreshold: readerInactive,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
	}
	switch {
	case r.next > 0:
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, r.next
	case r.cfg.StartSeq > 0:
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, r.cfg.StartSeq
	case r.cfg.StartTime != nil:
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, r.cfg.StartTime
	}
	if len(r.cfg.Filter) == 1 {
		cfg.FilterSubject = r.cfg.Filter[0]
	} else {
		cfg.FilterSubjects = r.cfg.Filter
	}
	cons, err := r.js.CreateConsumer(cctx, r.stream, cfg)
	if err != nil {
		return err
	}
	r.cons, r.name, r.consSeq = cons, cons.CachedInfo().Name, 0
	return nil
}

// drop forgets the current consumer and deletes it in the background,
// best effort: one that cannot be reached expires by itself.
func (r *Reader) drop() {
	if r.cons == nil {
		return
	}
	js, stream, name := r.js, r.stream, r.name
	r.cons, r.name, r.consSeq = nil, "", 0
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), readerCallTimeout)
		defer cancel()
		_ = js.DeleteConsumer(ctx, stream, name)
	}()
}

// Close deletes the consumer. The cursor stays: a later Next goes on from
// where the Reader was.
func (r *Reader) Close() {
	if r.cons == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = r.js.DeleteConsumer(ctx, r.stream, r.name)
	r.cons, r.name, r.consSeq = nil, "", 0
}
