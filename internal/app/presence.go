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
	// presenceListTimeout bounds listing the workers.
	presenceListTimeout = 10 * time.Second
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
//
// The bucket is on disk, although its entries live only presenceTTL: a
// standalone nats-server forgets a memory stream, configuration and all,
// when it restarts, and workers only bind the bucket, so after a restart of
// the server no worker could list itself until `gravedancer setup` ran again.
func OpenPresence(ctx context.Context, js jetstream.JetStream, create bool, replicas int) (*Presence, error) {
	var kv jetstream.KeyValue
	var err error
	if create {
		cfg := jetstream.KeyValueConfig{Bucket: PresenceBucket, TTL: presenceTTL, Replicas: max(replicas, 1),
			History: 1, Storage: jetstream.FileStorage, Description: "gravedancer running workers"}
		kv, err = js.CreateOrUpdateKeyValue(ctx, cfg)
		if err != nil && inMemory(ctx, js) {
			// Made by an older setup in memory, and a stream's storage cannot
			// be changed: make it again. Running workers list themselves anew
			// within presenceEvery.
			if err = js.DeleteKeyValue(ctx, PresenceBucket); err == nil {
				kv, err = recreate(ctx, js, cfg)
			}
		}
	} else {
		kv, err = js.KeyValue(ctx, PresenceBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("presence bucket: %w", err)
	}
	return &Presence{kv: kv}, nil
}

// recreate makes the bucket again just after it was deleted. The server
// removes the old stream's store in the background and can refuse a new
// store of the same name meanwhile ("error creating store for stream"), so
// a refusal is retried for a few seconds.
func recreate(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	deadline := time.Now().Add(5 * time.Second)
	for wait := 20 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		kv, err := js.CreateKeyValue(ctx, cfg)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return kv, err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
}

// inMemory reports whether the presence bucket exists with memory storage.
func inMemory(ctx context.Context, js jetstream.JetStream) bool {
	s, err := js.Stream(ctx, "KV_"+PresenceBucket)
	if err != nil {
		return false
	}
	info, err := s.Info(ctx)
	return err == nil && info.Config.Storage == jetstream.MemoryStorage
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
	// The key listing is a watcher (an R1 ephemeral consumer) that ends only
	// when it has seen every key or ctx ends: if its consumer is placed on a
	// cluster node that just died, it would wait for ever under a ctx
	// without deadline (`gravedancer status`, the web page).
	ctx, cancel := context.WithTimeout(ctx, presenceListTimeout)
	defer cancel()
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
	if err := ctx.Err(); err != nil {
		return out, fmt.Errorf("list workers: %w", err) // cut short: out may miss some
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
