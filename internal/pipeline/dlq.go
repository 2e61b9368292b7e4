package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/job"
)

// deadLetter is everything the DLQ records about an exclusion.
type deadLetter struct {
	stage, region, run string
	seq                uint64 // stream sequence of the excluded message
	deliveries         int
	subject            string
	reason             string
	job                *job.Job // nil when the message could not be decoded
	raw                []byte
}

// deadLetter records an exclusion in the DLQ and announces it on the events
// stream. Both Msg-Ids derive from the excluded message's sequence, so a crash
// before Term and the redelivery that follows record it once.
func (p *Pipeline) deadLetter(ctx context.Context, dl deadLetter) error {
	body := dl.raw
	if dl.job != nil {
		j := *dl.job
		j.Exclusion = &job.Exclusion{Stage: dl.stage, Reason: dl.reason, At: time.Now().UTC()}
		body = job.Encode(&j)
	}
	h := nats.Header{}
	h.Set(HdrReason, oneLine(dl.reason))
	h.Set(HdrStage, dl.stage)
	h.Set(HdrRun, dl.run)
	h.Set(HdrRegion, dl.region)
	h.Set(HdrDeliveries, strconv.Itoa(dl.deliveries))
	h.Set(HdrSubject, dl.subject)
	h.Set(HdrSeq, strconv.FormatUint(dl.seq, 10))
	body = p.fit(body, h)
	id := "dlq." + strconv.FormatUint(dl.seq, 10)
	if err := p.publish(ctx, DLQSubject(dl.stage, dl.region), id, body, h); err != nil {
		return err
	}
	return p.publish(ctx, ExcludedSubject(dl.region), "excluded."+strconv.FormatUint(dl.seq, 10), body, h)
}

// dlqSlack covers what the client adds to a message besides body and
// headers, and the Msg-Id header publish sets.
const dlqSlack = 1024

// fit cuts body so that it and h fit the server's max_payload. A message
// published just under the limit (or a job that grew by its exclusion)
// would otherwise never fit in the DLQ, and a job that cannot be
// dead-lettered is never settled. The cut is recorded in h.
func (p *Pipeline) fit(body []byte, h nats.Header) []byte {
	limit := p.js.Conn().MaxPayload()
	size := int64(len(body)) + dlqSlack
	for k, vs := range h {
		for _, v := range vs {
			size += int64(len(k) + len(v) + 4)
		}
	}
	over := size - limit
	if limit <= 0 || over <= 0 {
		return body
	}
	sum := sha256.Sum256(body)
	note := fmt.Sprintf("body cut from %d bytes to fit the server's max_payload of %d; original sha256 %s", len(body), limit, hex.EncodeToString(sum[:]))
	h.Set(HdrTruncated, note)
	keep := max(int64(len(body))-over-int64(len(HdrTruncated)+len(note)+4), 0)
	return body[:keep]
}

// Planned is the body of the planned event: the regions a run will report on.
type Planned struct {
	Run     string   `json:"run"`
	Regions []string `json:"regions"`
}

// announcePlan tells watchers which regions to wait for, before any of them
// can finish.
func (p *Pipeline) announcePlan(ctx context.Context, t *job.Trigger, jobs []*job.Job) error {
	pl := Planned{Run: t.Run}
	for _, j := range jobs {
		pl.Regions = append(pl.Regions, j.Region)
	}
	data, _ := json.Marshal(pl)
	h := nats.Header{}
	h.Set(HdrRun, t.Run)
	return p.publish(ctx, EventPlanned, "planned."+t.Run, data, h)
}

// maxDeliveriesAdvisory is the part of the server's advisory we read.
type maxDeliveriesAdvisory struct {
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
}

// AdvisoryMaxDeliveries is where the server reports a stage's job that ran
// out of deliveries.
func AdvisoryMaxDeliveries(stage string) string {
	return "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + StreamJobs + "." + stage
}

// WatchMaxDeliveries moves a job whose deliveries ran out without any worker
// settling it (the worker died on its last attempt, or it timed out) into the
// DLQ. The server leaves such a message in the stream and never delivers it
// again, so without this it would vanish from view. Workers share a queue
// group: each advisory is handled once. A process watches only the stages it
// runs, so a per-stage NATS user needs no rights on other stages' jobs.
func (p *Pipeline) WatchMaxDeliveries(ctx context.Context, stages []string) (stop func(), err error) {
	nc := p.js.Conn()
	var subs []*nats.Subscription
	stop = func() {
		for _, s := range subs {
			_ = s.Unsubscribe()
		}
	}
	for _, stage := range stages {
		sub, err := nc.QueueSubscribe(AdvisoryMaxDeliveries(stage), "gravedancer-advisory", p.onMaxDeliveries(ctx))
		if err != nil {
			stop()
			return nil, fmt.Errorf("subscribe max-deliveries advisory of %s: %w", stage, err)
		}
		subs = append(subs, sub)
	}
	return stop, nil
}

func (p *Pipeline) onMaxDeliveries(ctx context.Context) nats.MsgHandler {
	return func(m *nats.Msg) {
		var a maxDeliveriesAdvisory
		if err := json.Unmarshal(m.Data, &a); err != nil {
			p.log.Error("unreadable max-deliveries advisory", "err", err)
			return
		}
		if err := p.rescue(ctx, a); err != nil {
			p.log.Error("could not dead-letter job that ran out of deliveries", "seq", a.StreamSeq, "err", err)
		}
	}
}

func (p *Pipeline) rescue(ctx context.Context, a maxDeliveriesAdvisory) error {
	stream, err := p.js.Stream(ctx, StreamJobs)
	if err != nil {
		return err
	}
	raw, err := stream.GetMsg(ctx, a.StreamSeq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil // settled after all
	}
	if err != nil {
		return err
	}
	dl := deadLetter{
		stage: a.Consumer, region: RegionOf(raw.Subject), seq: a.StreamSeq,
		deliveries: int(a.Deliveries), subject: raw.Subject, raw: raw.Data,
		reason: fmt.Sprintf("no worker finished this job in %d deliveries (worker crashed or exceeded the ack wait each time)", a.Deliveries),
	}
	if j, err := job.DecodeJob(raw.Data); err == nil {
		dl.job, dl.run = j, j.Run
	} else if t, err := job.DecodeTrigger(raw.Data); err == nil {
		dl.run = t.Run
	}
	if err := p.deadLetter(ctx, dl); err != nil {
		return err
	}
	p.log.Warn("region excluded", "stage", dl.stage, "region", dl.region, "run", dl.run, "reason", dl.reason)
	return stream.DeleteMsg(ctx, a.StreamSeq)
}
