package pipeline

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// TestSweepSettledDeletesOnlyAckedMessagesOfTheConsumer builds the state a
// crashed nats-server can leave in a work queue, acked messages still
// stored, on a limits stream (which keeps acked messages by design), and
// checks that the sweep deletes exactly the consumer's acknowledged ones.
func TestSweepSettledDeletesOnlyAckedMessagesOfTheConsumer(t *testing.T) {
	h := newHarness(t, []string{"a"}, 3, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := h.js.CreateStream(ctx, jetstream.StreamConfig{Name: "SWEEP", Subjects: []string{"sw.>"}})
	if err != nil {
		t.Fatal(err)
	}
	// seq 1 a, 2 b (other consumer's subject), 3 a, 4 a
	for _, subj := range []string{"sw.a", "sw.b", "sw.a", "sw.a"} {
		if _, err := h.js.Publish(ctx, subj, []byte(subj)); err != nil {
			t.Fatal(err)
		}
	}
	cons, err := s.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: "a", FilterSubject: "sw.a", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	// Ack the first two of its messages (seq 1 and 3): its ack floor is 3.
	for range 2 {
		m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if info, err := cons.Info(ctx); err != nil || info.AckFloor.Stream != 3 {
		t.Fatalf("ack floor = %+v (%v), want stream seq 3", info, err)
	}

	n, err := sweepSettled(ctx, h.js, cons)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("deleted %d, want 2", n)
	}
	if got, want := storedSeqs(t, ctx, s), []uint64{2, 4}; !slices.Equal(got, want) {
		t.Errorf("stream holds %v, want %v: the other subject and the unacked message stay", got, want)
	}
	// A second sweep finds nothing more.
	if n, err := sweepSettled(ctx, h.js, cons); err != nil || n != 0 {
		t.Errorf("second sweep deleted %d (%v), want 0", n, err)
	}
}

func storedSeqs(t *testing.T, ctx context.Context, s jetstream.Stream) []uint64 {
	t.Helper()
	var seqs []uint64
	for seq := uint64(1); seq <= 4; seq++ {
		if _, err := s.GetMsg(ctx, seq); err == nil {
			seqs = append(seqs, seq)
		}
	}
	return seqs
}
