package nats

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// leftovers describes what a stream still holds and where each consumer
// stands, for a failure message: which job was never settled.
func leftovers(ctx context.Context, js jetstream.JetStream, name string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, name)
	if err != nil {
		return err.Error()
	}
	info, err := s.Info(ctx)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "\n  seq %d %s msg-id %s", seq, m.Subject, m.Header.Get("Nats-Msg-Id"))
	}
	for l := s.ListConsumers(ctx); ; {
		ci, ok := <-l.Info()
		if !ok {
			break
		}
		fmt.Fprintf(&b, "\n  consumer %s: ack floor %d, delivered %d, pending %d, ack pending %d", ci.Name, ci.AckFloor.Stream, ci.Delivered.Stream, ci.NumPending, ci.NumAckPending)
	}
	return b.String()
}
