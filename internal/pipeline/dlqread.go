package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Entry is one DLQ record as an operator reads it.
type Entry struct {
	Seq        uint64
	Time       time.Time
	Subject    string
	Run        string
	Region     string
	Stage      string
	Deliveries int
	Reason     string // one line; the full text is in the body's exclusion
	Header     nats.Header
	Data       []byte
}

// Filter selects DLQ entries; empty fields match everything.
type Filter struct {
	Run, Region, Stage string
	Since              time.Time
}

func (f Filter) match(e *Entry) bool {
	return (f.Run == "" || e.Run == f.Run) && (f.Region == "" || e.Region == f.Region) &&
		(f.Stage == "" || e.Stage == f.Stage) && (f.Since.IsZero() || !e.Time.Before(f.Since))
}

// ListDLQ returns the matching entries, oldest first. It reads through a
// Reader (not jetstream's ordered consumer, whose Next can block forever when
// a cluster node is lost), so ctx bounds it.
func ListDLQ(ctx context.Context, js jetstream.JetStream, f Filter) ([]Entry, error) {
	var cfg ReaderConfig
	if f.Stage != "" || f.Region != "" {
		cfg.Filter = []string{DLQSubject(or(f.Stage, "*"), or(f.Region, "*"))}
	}
	if !f.Since.IsZero() {
		cfg.StartTime = &f.Since
	}
	s, err := js.Stream(ctx, StreamDLQ)
	if err != nil {
		return nil, fmt.Errorf("dlq: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil || info.State.Msgs == 0 {
		return nil, err
	}
	r := NewReader(js, StreamDLQ, cfg)
	defer r.Close()
	var out []Entry
	for {
		m, err := r.Next(ctx, time.Second)
		if errors.Is(err, ErrNoNews) {
			return out, nil // drained: nothing more within the wait
		}
		if err != nil {
			return out, fmt.Errorf("dlq: %w", err)
		}
		md, _ := m.Metadata()
		e := entry(md.Sequence.Stream, md.Timestamp, m.Subject(), m.Headers(), m.Data())
		if f.match(&e) {
			out = append(out, e)
		}
		if md.NumPending == 0 {
			return out, nil
		}
	}
}

// GetDLQ returns one entry by its stream sequence.
func GetDLQ(ctx context.Context, js jetstream.JetStream, seq uint64) (*Entry, error) {
	s, err := js.Stream(ctx, StreamDLQ)
	if err != nil {
		return nil, fmt.Errorf("dlq: %w", err)
	}
	m, err := s.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, fmt.Errorf("%w: %d", ErrNoEntry, seq)
	}
	if err != nil {
		return nil, fmt.Errorf("dlq: %w", err)
	}
	e := entry(m.Sequence, m.Time, m.Subject, m.Header, m.Data)
	return &e, nil
}

func entry(seq uint64, t time.Time, subject string, h nats.Header, data []byte) Entry {
	d, _ := strconv.Atoi(h.Get(HdrDeliveries))
	return Entry{Seq: seq, Time: t, Subject: subject, Run: h.Get(HdrRun), Region: h.Get(HdrRegion),
		Stage: h.Get(HdrStage), Deliveries: d, Reason: h.Get(HdrReason), Header: h, Data: data}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
