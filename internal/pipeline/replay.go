package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/job"
)

// ReplayBucket records which DLQ entries were replayed: the DLQ itself is an
// append-only record of why regions were excluded and is never rewritten.
const ReplayBucket = "gd_dlq_replays"

// Replay headers on a replayed job.
const (
	HdrReplayOf = "Gd-Replay-Of"
	HdrReplayBy = "Gd-Replayed-By"
	HdrReplayAt = "Gd-Replayed-At"
)

// ErrAlreadyReplayed is returned for an entry replayed before, unless forced.
var ErrAlreadyReplayed = errors.New("already replayed (use --force to replay again)")

// ErrNotReplayable is returned for an entry whose body is not a job or trigger.
var ErrNotReplayable = errors.New("not a job or trigger (a malformed message): nothing to replay")

// Replayed is what the bucket holds per DLQ entry.
type Replayed struct {
	Count int       `json:"count"`
	By    string    `json:"by"`
	At    time.Time `json:"at"`
}

// Replayer republishes DLQ entries to the stage they failed at.
type Replayer struct {
	js jetstream.JetStream
	kv jetstream.KeyValue
}

// OpenReplayer binds (creating if allowed) the replay bucket.
func OpenReplayer(ctx context.Context, js jetstream.JetStream, create bool, replicas int) (*Replayer, error) {
	var kv jetstream.KeyValue
	var err error
	if create {
		kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: ReplayBucket, History: 1, Replicas: max(replicas, 1),
			Storage: jetstream.FileStorage, TTL: DLQMaxAge, Description: "gravedancer DLQ replays"})
	} else {
		kv, err = js.KeyValue(ctx, ReplayBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("replay bucket: %w", err)
	}
	return &Replayer{js: js, kv: kv}, nil
}

// Status returns how often an entry was replayed (nil if never).
func (r *Replayer) Status(ctx context.Context, seq uint64) (*Replayed, error) {
	e, err := r.kv.Get(ctx, strconv.FormatUint(seq, 10))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st Replayed
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		return nil, fmt.Errorf("replay record %d: %w", seq, err)
	}
	return &st, nil
}

// Replay republishes e to its original subject. The job's replay generation
// rises past every earlier attempt, so its Msg-Ids (and those of the stages
// after it) are fresh inside the duplicate window; the entry is then marked
// replayed, not deleted.
func (r *Replayer) Replay(ctx context.Context, e *Entry, by string, force bool) (subject string, err error) {
	prev, err := r.Status(ctx, e.Seq)
	if err != nil {
		return "", err
	}
	if prev != nil && !force {
		return "", fmt.Errorf("DLQ entry %d: %w (by %s at %s)", e.Seq, ErrAlreadyReplayed, prev.By, prev.At.Format(time.RFC3339))
	}
	count := 1
	if prev != nil {
		count = prev.Count + 1
	}
	m, err := replayMsg(e, count)
	if err != nil {
		return "", err
	}
	now := time.Now().UTC()
	m.Header.Set(HdrReplayOf, strconv.FormatUint(e.Seq, 10))
	m.Header.Set(HdrReplayBy, by)
	m.Header.Set(HdrReplayAt, now.Format(time.RFC3339))
	id := fmt.Sprintf("replay.%d.%d", e.Seq, count)
	if _, err := r.js.PublishMsg(ctx, m, jetstream.WithMsgID(id)); err != nil {
		return "", fmt.Errorf("replay DLQ entry %d: %w", e.Seq, err)
	}
	rec, _ := json.Marshal(Replayed{Count: count, By: by, At: now})
	if _, err := r.kv.Put(ctx, strconv.FormatUint(e.Seq, 10), rec); err != nil {
		return m.Subject, fmt.Errorf("replayed DLQ entry %d but could not record it: %w", e.Seq, err)
	}
	return m.Subject, nil
}

// replayMsg rebuilds the message an entry came from.
func replayMsg(e *Entry, count int) (*nats.Msg, error) {
	subject := e.Header.Get(HdrSubject)
	if subject == "" {
		return nil, fmt.Errorf("DLQ entry %d has no original subject", e.Seq)
	}
	if cut := e.Header.Get(HdrTruncated); cut != "" {
		return nil, fmt.Errorf("DLQ entry %d (%s): %w", e.Seq, cut, ErrNotReplayable)
	}
	h := nats.Header{}
	h.Set(HdrRun, e.Run)
	h.Set(HdrRegion, e.Region)
	if j, err := job.DecodeJob(e.Data); err == nil {
		j.Exclusion = nil
		j.Replay += count
		return &nats.Msg{Subject: subject, Data: job.Encode(j), Header: h}, nil
	}
	if t, err := job.DecodeTrigger(e.Data); err == nil {
		return &nats.Msg{Subject: subject, Data: job.Encode(t), Header: h}, nil
	}
	return nil, fmt.Errorf("DLQ entry %d: %w", e.Seq, ErrNotReplayable)
}
