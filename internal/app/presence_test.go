package app

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/testenv"
)

func presenceJS(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	return testenv.ConnectNATS(t, url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
}

// TestPresenceSurvivesServerRestart: workers only bind the presence bucket,
// so it must outlive a restart of a standalone nats-server. In memory it
// vanished, and `gravedancer status` listed no workers until setup ran again.
func TestPresenceSurvivesServerRestart(t *testing.T) {
	ns := testenv.StartNATSServer(t)
	js := presenceJS(t, ns.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := OpenPresence(ctx, js, true, 1); err != nil {
		t.Fatal(err)
	}
	worker, err := OpenPresence(ctx, js, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	actx, stop := context.WithCancel(ctx)
	defer stop()
	worker.Announce(actx, WorkerInfo{ID: "host:42", Stages: []string{"dump"}})

	ns.Restart(t)
	var list []WorkerInfo
	for {
		pres, err := OpenPresence(ctx, js, false, 0)
		if err == nil {
			list, err = pres.List(ctx)
		}
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("presence bucket after a restart of nats-server: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(list) != 1 || list[0].ID != "host:42" {
		t.Fatalf("workers after restart = %+v, want host:42", list)
	}
}

// TestPresenceReplacesMemoryBucket: setup turns a bucket an older version
// made in memory into one on disk.
func TestPresenceReplacesMemoryBucket(t *testing.T) {
	_, url := testenv.StartNATS(t)
	js := presenceJS(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: PresenceBucket, TTL: presenceTTL,
		History: 1, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenPresence(ctx, js, true, 1); err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, "KV_"+PresenceBucket)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Storage != jetstream.FileStorage {
		t.Fatalf("presence bucket storage = %v, want file", info.Config.Storage)
	}
	if _, err := OpenPresence(ctx, js, true, 1); err != nil { // idempotent
		t.Fatal(err)
	}
}
