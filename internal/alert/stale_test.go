package alert

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/testenv"
)

// fleetView is what the spool says: each region's newest verified backup.
type fleetView struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func (f *fleetView) set(region string, t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last[region] = t
}

func (f *fleetView) lastVerified(_ context.Context, region string) (time.Time, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.last[region]
	return t, ok, nil
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

type sink struct {
	mu  sync.Mutex
	evs []Event
}

func (s *sink) Notify(ev Event) { s.mu.Lock(); s.evs = append(s.evs, ev); s.mu.Unlock() }
func (s *sink) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.evs {
		out = append(out, string(e.Kind)+" "+e.Region)
	}
	s.evs = nil
	return out
}

// TestStaleWatchEpisodes walks one region with a backup and one that never
// had one through a day: one stale alert per episode, none on later
// checks, recovered only when a fresh verified backup appears.
func TestStaleWatchEpisodes(t *testing.T) {
	const after = time.Hour
	view := &fleetView{last: map[string]time.Time{"OLD": t0.Add(-30 * time.Minute)}}
	clk := &clock{now: t0}
	out := &sink{}
	w := &StaleWatch{Regions: []string{"OLD", "NEW"}, After: after, LastVerified: view.lastVerified,
		State: &MemState{}, Notify: out.Notify, Now: clk.Now, Logger: quiet()}
	steps := []struct {
		name   string
		at     time.Duration // since t0
		backup map[string]time.Duration
		want   []string
	}{
		{"fresh backup, new region just seen", 0, nil, nil},
		{"OLD passes StaleAfter", 31 * time.Minute, nil, []string{"stale OLD"}},
		{"later check: no repeat", 40 * time.Minute, nil, nil},
		{"NEW watched for StaleAfter without a backup", 60 * time.Minute, nil, []string{"stale NEW"}},
		{"many checks later: still quiet", 5 * time.Hour, nil, nil},
		{"OLD verified again", 5*time.Hour + time.Minute, map[string]time.Duration{"OLD": 5 * time.Hour}, []string{"recovered OLD"}},
		{"recovered once", 5*time.Hour + 2*time.Minute, nil, nil},
		{"a clock step back does not recover a region with no backup", 10 * time.Minute, nil, nil},
		{"NEW gets its first backup", 6 * time.Hour, map[string]time.Duration{"NEW": 6 * time.Hour}, []string{"recovered NEW"}},
		{"OLD stale again: a new episode", 6*time.Hour + 2*time.Minute, nil, []string{"stale OLD"}},
		{"and again no repeat", 7 * time.Hour, nil, nil},
	}
	for _, s := range steps {
		for r, d := range s.backup {
			view.set(r, t0.Add(d))
		}
		clk.set(t0.Add(s.at))
		if err := w.Check(context.Background()); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := out.take(); !equalSet(got, s.want) {
			t.Errorf("%s: alerts %q, want %q", s.name, got, s.want)
		}
	}
	if w.Checks() != uint64(len(steps)) {
		t.Errorf("Checks() = %d, want %d", w.Checks(), len(steps))
	}
}

func equalSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

// TestStaleWatchKVTwoProcesses: two watchers sharing the KV bucket, as two
// processes would, raise each stale and recovered alert once between them.
func TestStaleWatchKVTwoProcesses(t *testing.T) {
	_, url := testenv.StartNATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	regions := []string{"R1", "R2", "R3"}
	view := &fleetView{last: map[string]time.Time{}}
	clk := &clock{now: t0}
	out := &sink{}
	var watchers []*StaleWatch
	for i := range 2 {
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		js, _ := jetstream.New(nc)
		st, err := OpenState(ctx, js, i == 0, 1) // the second binds what the first made
		if err != nil {
			t.Fatal(err)
		}
		watchers = append(watchers, &StaleWatch{Regions: regions, After: time.Minute, LastVerified: view.lastVerified,
			State: st, Notify: out.Notify, Now: clk.Now, Logger: quiet()})
	}
	checkBoth := func() {
		var wg sync.WaitGroup
		for _, w := range watchers {
			wg.Go(func() {
				for range 3 {
					if err := w.Check(ctx); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
	}
	checkBoth()
	if got := out.take(); len(got) != 0 {
		t.Fatalf("alerts before StaleAfter: %q", got)
	}
	clk.set(t0.Add(2 * time.Minute))
	checkBoth()
	if got, want := out.take(), []string{"stale R1", "stale R2", "stale R3"}; !equalSet(got, want) {
		t.Errorf("alerts %q, want %q", got, want)
	}
	view.set("R2", t0.Add(110*time.Second))
	checkBoth()
	if got, want := out.take(), []string{"recovered R2"}; !equalSet(got, want) {
		t.Errorf("alerts %q, want %q", got, want)
	}
}

// TestStaleWatchStartStop: Start checks at once and on its ticker, Stop
// waits for it.
func TestStaleWatchStartStop(t *testing.T) {
	out := &sink{}
	view := &fleetView{last: map[string]time.Time{}}
	clk := &clock{now: t0}
	w := &StaleWatch{Regions: []string{"R"}, After: time.Minute, Every: 5 * time.Millisecond, LastVerified: view.lastVerified,
		State: &MemState{}, Notify: out.Notify, Now: clk.Now, Logger: quiet()}
	w.Start(context.Background())
	waitFor(t, func() bool { return w.Checks() >= 1 })
	clk.set(t0.Add(time.Hour))
	n := w.Checks()
	waitFor(t, func() bool { return w.Checks() >= n+3 })
	w.Stop()
	if got := out.take(); len(got) != 1 || got[0] != "stale R" {
		t.Errorf("alerts %q, want one stale R", got)
	}
	if (&StaleWatch{After: 26 * time.Hour}).Interval() != 5*time.Minute || (&StaleWatch{After: time.Minute}).Interval() != 10*time.Second {
		t.Error("default interval: want After/10 within 10s..5m")
	}
}
