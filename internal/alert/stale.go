package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// RegionState is what the fleet remembers about a region between checks.
type RegionState struct {
	// Since is when a check first found the region without any verified
	// backup; zero once it has one. A region that never had one is stale
	// StaleAfter after Since, so a new region gets a full StaleAfter
	// before its first backup must exist, and restarting a process does
	// not reset that clock.
	Since time.Time `json:"since,omitzero"`
	// Stale is set once the stale alert of the current episode was raised.
	Stale     bool      `json:"stale"`
	AlertedAt time.Time `json:"alerted_at,omitzero"`
}

// ErrConflict is a compare-and-set that lost: another process changed the
// state first.
var ErrConflict = errors.New("alert state changed meanwhile")

// StateStore keeps RegionState per region with compare-and-set, so that
// two processes checking at once raise an alert once.
type StateStore interface {
	// Get returns the state and its revision; revision 0 when there is none.
	Get(ctx context.Context, region string) (RegionState, uint64, error)
	// Put stores st if the revision is still rev (0: if there is none);
	// ErrConflict otherwise.
	Put(ctx context.Context, region string, st RegionState, rev uint64) error
}

// StateBucket is the JetStream KV bucket of the alert state: one key per
// region, "stale.<region>".
const StateBucket = "gd_alerts"

// KVState is a StateStore in StateBucket.
type KVState struct{ kv jetstream.KeyValue }

// OpenState binds the state bucket, creating or updating it first when
// create is set (the process may set up JetStream).
func OpenState(ctx context.Context, js jetstream.JetStream, create bool, replicas int) (*KVState, error) {
	var kv jetstream.KeyValue
	var err error
	if create {
		kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: StateBucket, History: 1,
			Replicas: max(replicas, 1), Storage: jetstream.FileStorage, Description: "gravedancer alert state: stale episodes"})
	} else {
		kv, err = js.KeyValue(ctx, StateBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("alert state bucket: %w", err)
	}
	return &KVState{kv: kv}, nil
}

func stateKey(region string) string { return "stale." + region }

// Get implements StateStore.
func (s *KVState) Get(ctx context.Context, region string) (RegionState, uint64, error) {
	e, err := s.kv.Get(ctx, stateKey(region))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return RegionState{}, 0, nil
	}
	if err != nil {
		return RegionState{}, 0, err
	}
	var st RegionState
	if err := json.Unmarshal(e.Value(), &st); err != nil {
		return RegionState{}, e.Revision(), nil // unreadable: start over, overwriting it
	}
	return st, e.Revision(), nil
}

// Put implements StateStore.
func (s *KVState) Put(ctx context.Context, region string, st RegionState, rev uint64) error {
	data, _ := json.Marshal(st)
	var err error
	if rev == 0 {
		_, err = s.kv.Create(ctx, stateKey(region), data)
	} else {
		_, err = s.kv.Update(ctx, stateKey(region), data, rev)
	}
	if errors.Is(err, jetstream.ErrKeyExists) || isWrongSequence(err) {
		return ErrConflict
	}
	return err
}

// isWrongSequence is an Update that lost the race.
func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// MemState is a StateStore in memory, for one process and for tests.
type MemState struct {
	mu sync.Mutex
	m  map[string]memEntry
}

type memEntry struct {
	st  RegionState
	rev uint64
}

// Get implements StateStore.
func (s *MemState) Get(_ context.Context, region string) (RegionState, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.m[region]
	return e.st, e.rev, nil
}

// Put implements StateStore.
func (s *MemState) Put(_ context.Context, region string, st RegionState, rev uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]memEntry{}
	}
	if s.m[region].rev != rev {
		return ErrConflict
	}
	s.m[region] = memEntry{st: st, rev: rev + 1}
	return nil
}

// LastVerifiedFunc returns the time of a region's newest verified backup;
// ok false when it has none.
type LastVerifiedFunc func(ctx context.Context, region string) (t time.Time, ok bool, err error)

// StaleWatch is the dead-man's switch: every Every it checks each region's
// newest verified backup, with no run needed, and raises KindStale once
// per episode and KindRecovered when a fresh verified backup appears.
type StaleWatch struct {
	Regions      []string
	After        time.Duration // GD_STALE_AFTER
	Every        time.Duration // between checks; 0 = After/10, between 10s and 5m
	LastVerified LastVerifiedFunc
	State        StateStore
	Notify       func(Event)
	Now          func() time.Time // nil: time.Now
	Logger       *slog.Logger

	checks atomic.Uint64
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Interval is the time between checks.
func (w *StaleWatch) Interval() time.Duration {
	if w.Every > 0 {
		return w.Every
	}
	return min(max(w.After/10, 10*time.Second), 5*time.Minute)
}

// Checks counts completed checks (every region looked at once).
func (w *StaleWatch) Checks() uint64 { return w.checks.Load() }

// Start checks at once and then every Interval until Stop or ctx ends.
func (w *StaleWatch) Start(ctx context.Context) {
	if w.Logger == nil {
		w.Logger = slog.Default()
	}
	ctx, w.cancel = context.WithCancel(ctx)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t := time.NewTicker(w.Interval())
		defer t.Stop()
		for {
			if err := w.Check(ctx); err != nil && ctx.Err() == nil {
				w.Logger.Warn("staleness check incomplete; next check retries", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Stop ends the checks and waits for the one running.
func (w *StaleWatch) Stop() {
	if w.cancel != nil {
		w.cancel()
	}
	w.wg.Wait()
}

// Check looks at every region once. A region whose state another process
// changed meanwhile is left to the next check.
func (w *StaleWatch) Check(ctx context.Context) error {
	if w.Logger == nil {
		w.Logger = slog.Default()
	}
	var errs []error
	for _, region := range w.Regions {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := w.checkRegion(ctx, region); err != nil && !errors.Is(err, ErrConflict) {
			errs = append(errs, fmt.Errorf("region %s: %w", region, err))
		}
	}
	w.checks.Add(1)
	return errors.Join(errs...)
}

func (w *StaleWatch) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *StaleWatch) checkRegion(ctx context.Context, region string) error {
	last, ok, err := w.LastVerified(ctx, region)
	if err != nil {
		return err
	}
	st, rev, err := w.State.Get(ctx, region)
	if err != nil {
		return err
	}
	now := w.now()
	next := st
	var stale bool
	if ok {
		next.Since = time.Time{}
		stale = now.Sub(last) > w.After
	} else {
		if next.Since.IsZero() {
			next.Since = now
		}
		stale = now.Sub(next.Since) >= w.After
	}
	s := Staleness{Region: region, LastVerified: last, Since: next.Since, After: w.After, At: now}
	var ev *Event
	switch {
	case stale && !st.Stale:
		next.Stale, next.AlertedAt = true, now
		e := Stale(s)
		ev = &e
	case !stale && st.Stale && ok:
		// Only a verified backup ends an episode: a region that never had
		// one stays stale even if the clock seems to say otherwise.
		next.Stale, next.AlertedAt = false, time.Time{}
		e := Recovered(s)
		ev = &e
	}
	if next == st && rev != 0 {
		return nil // nothing changed: no write
	}
	if err := w.State.Put(ctx, region, next, rev); err != nil {
		return err // ErrConflict: another process wrote first and alerts
	}
	if ev != nil {
		if ev.Kind == KindStale {
			w.Logger.Warn("region stale: no recent verified backup", "region", region, "last_verified", last, "stale_after", w.After)
		} else {
			w.Logger.Info("region recovered: verified backup again", "region", region, "last_verified", last)
		}
		w.Notify(*ev)
	}
	return nil
}
