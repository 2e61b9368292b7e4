package dumper

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestConcurrentDumpsOfOneRegionInOneSecond runs two dumps of one region,
// for two runs, that start in the same second and are both planned before
// either commits: both plan the same artifact name. The second to commit
// used to fail on "file exists", which the dump stage turned into an
// exclusion of a good dump. Both must be kept, under two names, each with
// its own manifest.
func TestConcurrentDumpsOfOneRegionInOneSecond(t *testing.T) {
	// Each tool waits until both have started, so both dumps have planned
	// their names before either can commit.
	barrier := t.TempDir()
	tail := "touch '" + barrier + "'/$$; n=0\n" +
		"while [ \"$(ls '" + barrier + "' | wc -l)\" -lt 2 ] && [ $n -lt 1000 ]; do sleep 0.01; n=$((n+1)); done\nexit 0"
	d := newDumper(t, Options{Tool: fakeTool(t, fakeDump+fakeFooter, tail)})
	d.Now = func() time.Time { return testStart }

	runs := []string{"run-1", "run-2"}
	paths := make([]string, len(runs))
	var wg sync.WaitGroup
	for i, run := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			art, m, err := d.Dump(context.Background(), Source{Region: "R1", Host: "db.example", Port: 3307, User: "u", Password: "pw"}, run)
			if err != nil {
				t.Errorf("dump for %s: %v", run, err)
				return
			}
			if m.Run != run || m.File != filepath.Base(art.Path) {
				t.Errorf("dump for %s: manifest run %s file %s, artifact %s", run, m.Run, m.File, art.Path)
			}
			paths[i] = art.Path
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	got := slices.Sorted(slices.Values(paths))
	want := []string{d.Spool.ArtifactPath("R1", testStart, "gzip"), d.Spool.ArtifactPath("R1", testStart.Add(time.Second), "gzip")}
	if !slices.Equal(got, want) {
		t.Errorf("artifacts %v, want %v", got, want)
	}
	for _, run := range runs {
		if e, err := d.Spool.FindRun("R1", run); err != nil || !slices.Contains(paths, e.Path) {
			t.Errorf("FindRun(R1, %s) = %v, %v; want one of %v", run, e, err, paths)
		}
	}
	if files := spoolFiles(t, d); len(files) != 4 {
		t.Errorf("spool holds %v, want two artifacts and their manifests", files)
	}
}
