package app

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// PresenceBucket lists running workers: each refreshes its key well inside
// the bucket's TTL, so a worker that died drops out by itself.
const PresenceBucket = "gd_workers"

const (
	presenceTTL   = 30 * time.Second
	presenceEvery = 10 * time.Second
)

// WorkerInfo is one running worker process.
type WorkerInfo struct {
	ID      string    `json:"id"`
	Stages  []string  `json:"stages"`
	Slots   int       `json:"slots"`
	Started time.Time `json:"started"`
}

// Presence announces and lists workers.
type Presence struct{ kv jetstream.KeyValue }

// OpenPresence binds (creating if allowed) the presence bucket.
func OpenPresence(ctx context.Context, js jetstream.JetStream, create bool, replicas int) (*Presence, error) {
	var kv jetstream.KeyValue
	var err error
	if create {
		kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: PresenceBucket, TTL: presenceTTL, Replicas: max(replicas, 1),
			History: 1, Storage: jetstream.MemoryStorage, Description: "gravedancer running workers"})
	} else {
		kv, err = js.KeyValue(ctx, PresenceBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("presence bucket: %w", err)
	}
	return &Presence{kv: kv}, nil
}

// Announce keeps info listed until ctx ends, then removes it.
func (p *Presence) Announce(ctx context.Context, info WorkerInfo) {
	key := unsafeKey(info.ID)
	data, _ := json.Marshal(info)
	put := func() { _, _ = p.kv.Put(ctx, key, data) }
	put()
	go func() {
		t := time.NewTicker(presenceEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				_ = p.kv.Delete(dctx, key)
				cancel()
				return
			case <-t.C:
				put()
			}
		}
	}()
}

// List returns the workers seen within the TTL.
func (p *Presence) List(ctx context.Context) ([]WorkerInfo, error) {
	lister, err := p.kv.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	var out []WorkerInfo
	for key := range lister.Keys() {
		e, err := p.kv.Get(ctx, key)
		if err != nil {
			continue
		}
		var w WorkerInfo
		if json.Unmarshal(e.Value(), &w) == nil {
			out = append(out, w)
		}
	}
	return out, nil
}

func unsafeKey(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c == '-' || c == '_' || c == '=' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}

func newWorkerInfo(stages []string, slots int) WorkerInfo {
	return WorkerInfo{ID: workerID(), Stages: stages, Slots: slots, Started: time.Now().UTC()}
}
