// Package lease gives a restore exclusive use of one test server, and a dump
// one of a source server's dump slots, through a JetStream key-value bucket. A lease is a key per server with the holder as
// value; the bucket's TTL removes a key its holder stopped renewing, so a
// worker that died frees its server without anyone's help.
package lease

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/pipeline"
)

// Bucket is the KV bucket holding test-server leases.
const Bucket = "gd_leases"

// pollEvery is how often a waiting Acquire retries. Waiters are few (a
// stage's MaxAckPending bounds them) and a Create is cheap, while every
// poll interval is added to a queue of dumps waiting for one server.
const pollEvery = 250 * time.Millisecond

// ErrLost is the cause of a lease's context when renewal failed: another
// holder may have the server now, so the work on it must stop.
var ErrLost = errors.New("test server lease lost")

// Leases hands out leases on a set of servers.
type Leases struct {
	kv     jetstream.KeyValue
	ttl    time.Duration
	holder string
	poll   time.Duration
}

// Open creates or binds the bucket with replicas copies (GD_NATS_REPLICAS).
// holder names this process in the value, so an operator can see who holds
// a server.
func Open(ctx context.Context, js jetstream.JetStream, ttl time.Duration, holder string, replicas int) (*Leases, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: Bucket, TTL: ttl, History: 1, Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
		Description: "gravedancer test-server leases",
	})
	if err != nil {
		return nil, fmt.Errorf("lease bucket: %w", err)
	}
	return &Leases{kv: kv, ttl: ttl, holder: holder, poll: min(pollEvery, ttl/10)}, nil
}

// Bind uses a bucket an admin created, for NATS users that may not create one.
func Bind(ctx context.Context, js jetstream.JetStream, ttl time.Duration, holder string) (*Leases, error) {
	kv, err := js.KeyValue(ctx, Bucket)
	if err != nil {
		return nil, fmt.Errorf("lease bucket %s (run `gravedancer setup` as the NATS admin first): %w", Bucket, err)
	}
	return &Leases{kv: kv, ttl: ttl, holder: holder, poll: min(pollEvery, ttl/10)}, nil
}

// Lease is one held server. Its context ends when the lease is lost.
type Lease struct {
	Server string
	l      *Leases
	key    string
	rev    uint64
	mu     sync.Mutex
	cancel context.CancelCauseFunc
	done   chan struct{}
}

var unsafeKey = regexp.MustCompile(`[^-_=.a-zA-Z0-9]`)

// key maps host:port to a KV key (':' and brackets are not allowed there).
func key(server string) string { return unsafeKey.ReplaceAllString(server, "_") }

// Acquire leases one of servers, waiting until one is free or ctx ends. The
// search starts at a random server so waiting workers spread out. The
// returned context ends when the lease is lost or released.
func (l *Leases) Acquire(ctx context.Context, servers []string) (*Lease, context.Context, error) {
	if len(servers) == 0 {
		return nil, nil, errors.New("lease: nothing to lease")
	}
	for {
		start := rand.IntN(len(servers))
		for i := range servers {
			s := servers[(start+i)%len(servers)]
			rev, err := l.kv.Create(ctx, key(s), []byte(l.holder))
			if err == nil {
				return l.hold(ctx, s, rev)
			}
			if ctx.Err() != nil {
				return nil, nil, fmt.Errorf("waiting for a free test server: %w", ctx.Err())
			}
			// A bucket without a leader (mid-election after a cluster node
			// died) or a reconnecting client is waited out like a busy
			// server, not failed: the failure would cost the job an attempt.
			if !errors.Is(err, jetstream.ErrKeyExists) && !pipeline.Transient(err) {
				return nil, nil, fmt.Errorf("lease %s: %w", s, err)
			}
		}
		t := time.NewTimer(l.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, fmt.Errorf("waiting for a free test server: %w", ctx.Err())
		case <-t.C:
		}
	}
}

func (l *Leases) hold(ctx context.Context, server string, rev uint64) (*Lease, context.Context, error) {
	lctx, cancel := context.WithCancelCause(ctx)
	ls := &Lease{Server: server, l: l, key: key(server), rev: rev, cancel: cancel, done: make(chan struct{})}
	go ls.renew(lctx)
	return ls, lctx, nil
}

// renew refreshes the key well inside the TTL. Update with the last revision
// fails if anyone else wrote the key meanwhile: then the lease is lost.
//
// A renewal that fails for a transient reason (the bucket electing a new
// leader after a cluster node died, the client reconnecting) is retried
// while the key cannot have expired yet: nobody else can have taken the
// server then. Only when a whole TTL (less a margin) passed since the last
// confirmed renewal is the lease given up.
func (ls *Lease) renew(ctx context.Context) {
	defer close(ls.done)
	every := ls.l.ttl / 3
	renewed := time.Now()
	uncertain := false // the last Update may have been stored unanswered
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ls.mu.Lock()
		uctx, cancel := context.WithTimeout(ctx, every)
		rev, err := ls.l.kv.Update(uctx, ls.key, []byte(ls.l.holder), ls.rev)
		if err != nil && uncertain && errors.Is(err, jetstream.ErrKeyExists) {
			// Our previous Update was stored but its answer lost: the
			// key moved on under us. Within the TTL only we can have
			// written it, so adopt its revision if it still names us.
			if e, gerr := ls.l.kv.Get(uctx, ls.key); gerr == nil && string(e.Value()) == ls.l.holder {
				rev, err = ls.l.kv.Update(uctx, ls.key, []byte(ls.l.holder), e.Revision())
			}
		}
		cancel()
		if err == nil {
			ls.rev, renewed, uncertain = rev, time.Now(), false
		}
		ls.mu.Unlock()
		switch {
		case err == nil:
			t.Reset(every)
		case ctx.Err() != nil:
			return
		case pipeline.Transient(err) && time.Since(renewed) < ls.l.ttl-ls.l.ttl/4:
			uncertain = true
			t.Reset(ls.l.poll)
		default:
			ls.cancel(fmt.Errorf("%w: %s: %v", ErrLost, ls.Server, err))
			return
		}
	}
}

// Release gives the server back. It deletes the key only if this lease still
// owns it, so a lease that expired and was taken over is left alone.
func (ls *Lease) Release(ctx context.Context) error {
	ls.cancel(context.Canceled)
	<-ls.done
	ls.mu.Lock()
	defer ls.mu.Unlock()
	err := ls.l.kv.Delete(ctx, ls.key, jetstream.LastRevision(ls.rev))
	if err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("release lease %s: %w", ls.Server, err)
	}
	return nil
}

// Holder returns who holds server, or "" when it is free.
func (l *Leases) Holder(ctx context.Context, server string) (string, error) {
	e, err := l.kv.Get(ctx, key(server))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return string(e.Value()), nil
}
