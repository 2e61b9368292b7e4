package dump

import (
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gravedancer/internal/config"
	"gravedancer/internal/dumper"
	"gravedancer/internal/job"
	"gravedancer/internal/lease"
	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
)

// TestDumpSlotsPerSource: regions sharing a source server never dump more
// than PerSource at once, through the real lease bucket, while a region on
// another server is not held up by them.
func TestDumpSlotsPerSource(t *testing.T) {
	_, url := testenv.StartNATS(t)
	js := testenv.ConnectNATS(t, url)
	leases, err := lease.Open(t.Context(), js, 5*time.Second, "dump-test", 1)
	if err != nil {
		t.Fatal(err)
	}
	var regions config.RegionList
	for _, name := range []string{"A1", "A2", "A3", "A4", "A5", "A6"} {
		regions = append(regions, config.Region{Name: name, Host: "shared", Port: 3306})
	}
	regions = append(regions, config.Region{Name: "B1", Host: "other", Port: 3306})

	for _, perSource := range []int{1, 2} {
		t.Run(itoa(perSource), func(t *testing.T) {
			var mu sync.Mutex
			running, most := map[string]int{}, map[string]int{}
			otherStarted := make(chan struct{})
			release := make(chan struct{})
			var dumps atomic.Int32
			s := &Stage{Regions: regions, Spool: &store.Spool{Dir: t.TempDir()}, Slots: leases, PerSource: perSource,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Dumper: dumpFunc(func(src dumper.Source) (*job.Artifact, *job.Manifest, error) {
					mu.Lock()
					running[src.Host]++
					most[src.Host] = max(most[src.Host], running[src.Host])
					mu.Unlock()
					if src.Host == "other" {
						close(otherStarted)
					} else {
						<-release
					}
					dumps.Add(1)
					mu.Lock()
					running[src.Host]--
					mu.Unlock()
					return &job.Artifact{}, &job.Manifest{}, nil
				})}
			var wg sync.WaitGroup
			for _, r := range regions {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.Handle(t.Context(), &job.Job{Region: r.Name, Run: "run-" + itoa(perSource)}); err != nil {
						t.Errorf("%s: %v", r.Name, err)
					}
				}()
			}
			// B1's server is free: it dumps while the shared one is saturated.
			select {
			case <-otherStarted:
			case <-time.After(30 * time.Second):
				t.Fatal("the region on another server waited for the shared server's slots")
			}
			// Every slot taken, the others waiting: then let them all go.
			deadline := time.Now().Add(30 * time.Second)
			for {
				mu.Lock()
				n := running["shared"]
				mu.Unlock()
				if n == perSource {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d dumps on the shared server after 30s, want %d", n, perSource)
				}
				time.Sleep(10 * time.Millisecond)
			}
			close(release)
			wg.Wait()
			if most["shared"] != perSource {
				t.Errorf("most concurrent dumps on the shared server = %d, want %d", most["shared"], perSource)
			}
			if got := dumps.Load(); got != int32(len(regions)) {
				t.Errorf("dumps = %d, want %d", got, len(regions))
			}
			for i := range perSource {
				if h, _ := leases.Holder(t.Context(), SlotName("shared:3306", i)); h != "" {
					t.Errorf("slot %d still held by %q after every dump", i, h)
				}
			}
		})
	}
}

func itoa(i int) string { return string(rune('0' + i)) }
