package lease

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/pipeline"
)

func openLeases(t *testing.T, ttl time.Duration, holders ...string) []*Leases {
	t.Helper()
	e, err := pipeline.StartEmbedded(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	var out []*Leases
	for _, h := range holders {
		nc, err := e.Connect(h)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		js, _ := jetstream.New(nc)
		l, err := Open(context.Background(), js, ttl, h, 1)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

func TestLeaseIsExclusiveAndReleased(t *testing.T) {
	ls := openLeases(t, 10*time.Second, "a", "b")
	ctx := context.Background()
	servers := []string{"127.0.0.1:3306"}
	la, _, err := ls[0].Acquire(ctx, servers)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := ls[1].Holder(ctx, servers[0]); h != "a" {
		t.Errorf("holder = %q, want a", h)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, _, err := ls[1].Acquire(short, servers); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second acquire of a held server = %v, want to wait until deadline", err)
	}
	got := make(chan string, 1)
	go func() {
		lb, _, err := ls[1].Acquire(ctx, servers)
		if err != nil {
			got <- err.Error()
			return
		}
		got <- lb.Server
		lb.Release(ctx)
	}()
	if err := la.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != servers[0] {
		t.Errorf("waiting acquire got %q after release", s)
	}
}

func TestTwoServersTwoHolders(t *testing.T) {
	ls := openLeases(t, 10*time.Second, "a", "b")
	servers := []string{"db1:3306", "[::1]:3307"}
	var wg sync.WaitGroup
	got := make([]string, 2)
	held := make([]*Lease, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, _, err := ls[i].Acquire(context.Background(), servers)
			if err == nil {
				got[i], held[i] = l.Server, l
			}
		}()
	}
	wg.Wait()
	if got[0] == "" || got[1] == "" || got[0] == got[1] {
		t.Fatalf("leases = %q, want the two servers one each", got)
	}
	for _, l := range held {
		l.Release(context.Background())
	}
}

func TestDeadHolderLeaseExpires(t *testing.T) {
	ls := openLeases(t, 2*time.Second, "dead", "alive")
	ctx := context.Background()
	servers := []string{"db1:3306"}
	// A holder that dies: its key stays until the bucket TTL removes it.
	if _, err := ls[0].kv.Create(ctx, key(servers[0]), []byte("dead")); err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	l, _, err := ls[1].Acquire(wait, servers)
	if err != nil {
		t.Fatalf("lease of a dead holder never expired: %v", err)
	}
	l.Release(ctx)
}

func TestRenewalKeepsLeaseAndTakeoverIsNoticed(t *testing.T) {
	ls := openLeases(t, 2*time.Second, "a", "b")
	ctx := context.Background()
	servers := []string{"db1:3306"}
	l, lctx, err := ls[0].Acquire(ctx, servers)
	if err != nil {
		t.Fatal(err)
	}
	// Longer than the TTL: renewal must keep others out.
	short, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, _, err := ls[1].Acquire(short, servers); err == nil {
		t.Fatal("a renewed lease was taken over")
	}
	// Someone overwrites the key: the holder's context must end with ErrLost.
	if _, err := ls[1].kv.Put(ctx, key(servers[0]), []byte("b")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-lctx.Done():
		if !errors.Is(context.Cause(lctx), ErrLost) {
			t.Errorf("cause = %v, want ErrLost", context.Cause(lctx))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("lost lease not noticed")
	}
	if err := l.Release(ctx); err != nil {
		t.Errorf("release of a lost lease: %v", err)
	}
	if h, _ := ls[1].Holder(ctx, servers[0]); h != "b" {
		t.Errorf("release of a lost lease removed the new holder's key (holder %q)", h)
	}
}
