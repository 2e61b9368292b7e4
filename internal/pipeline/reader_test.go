package pipeline

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func publishEvents(t *testing.T, js jetstream.JetStream, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		if _, err := js.Publish(context.Background(), fmt.Sprintf("gd.event.done.R%d", i), []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
		// Noise the filter must skip.
		if _, err := js.Publish(context.Background(), SubjectRunFinished, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
}

func readN(t *testing.T, r *Reader, n int) []string {
	t.Helper()
	var got []string
	for range n {
		m, err := r.Next(context.Background(), 5*time.Second)
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		got = append(got, string(m.Data()))
	}
	return got
}

// TestReaderRecoversFromLostConsumer: the Reader reads a filtered stream in
// order, and when its consumer vanishes (as one does with the cluster node
// it lived on) it goes on from its cursor on a new one, nothing skipped or
// repeated, and an idle wait ends on time.
func TestReaderRecoversFromLostConsumer(t *testing.T) {
	h := newHarness(t, nil, 1, time.Second)
	publishEvents(t, h.js, 1, 3)
	r := NewReader(h.js, StreamEvents, ReaderConfig{Filter: []string{"gd.event.>"}, StartSeq: 3})
	defer r.Close()
	if got := fmt.Sprint(readN(t, r, 2)); got != "[2 3]" {
		t.Fatalf("read %s, want [2 3] (from sequence 3, filtered)", got)
	}
	first := r.name
	if err := h.js.DeleteConsumer(context.Background(), StreamEvents, first); err != nil {
		t.Fatal(err)
	}
	publishEvents(t, h.js, 4, 5)
	if got := fmt.Sprint(readN(t, r, 2)); got != "[4 5]" {
		t.Fatalf("after the consumer was lost: read %s, want [4 5]", got)
	}
	if r.name == first {
		t.Fatalf("still on consumer %s, which was deleted", first)
	}
	start := time.Now()
	if _, err := r.Next(context.Background(), 500*time.Millisecond); !errors.Is(err, ErrNoNews) {
		t.Fatalf("idle Next: %v, want ErrNoNews", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("idle Next with a 500ms wait took %s", d)
	}
	r.Close()
	publishEvents(t, h.js, 6, 6)
	if got := fmt.Sprint(readN(t, r, 1)); got != "[6]" {
		t.Fatalf("after Close: read %s, want [6] (the cursor survives)", got)
	}
}

// TestReaderHonoursContext: a Reader that cannot create its consumer (here
// the stream is missing; in a cluster, a node that does not answer) keeps
// retrying only until its wait or ctx ends.
func TestReaderHonoursContext(t *testing.T) {
	h := newHarness(t, nil, 1, time.Second)
	r := NewReader(h.js, "NO_SUCH_STREAM", ReaderConfig{})
	start := time.Now()
	if _, err := r.Next(context.Background(), 700*time.Millisecond); err == nil || errors.Is(err, ErrNoNews) {
		t.Fatalf("Next on a missing stream: %v, want the create error", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := r.Next(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next after ctx ended: %v, want %v", err, context.DeadlineExceeded)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Next took %s past its wait and ctx", d)
	}
}
