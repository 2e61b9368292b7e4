package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gravedancer/internal/store"
)

// ErrNoRun is returned when no report of a run exists.
var ErrNoRun = errors.New("no report for that run")

// List returns the run reports in the spool, newest first. Unreadable
// reports are skipped: one bad file must not hide the rest.
func List(spool *store.Spool) ([]*Report, error) {
	paths, err := filepath.Glob(filepath.Join(spool.Dir, "*", "run-*.json"))
	if err != nil {
		return nil, err
	}
	var out []*Report
	for _, p := range paths {
		if r, err := read(p); err == nil {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Started.After(out[j].Started) })
	return out, nil
}

// Find returns the report of run.
func Find(spool *store.Spool, run string) (*Report, error) {
	if strings.ContainsAny(run, "/\\") {
		return nil, fmt.Errorf("run %q: %w", run, ErrNoRun)
	}
	paths, _ := filepath.Glob(filepath.Join(spool.Dir, "*", "run-"+run+".json"))
	if len(paths) == 0 {
		return nil, fmt.Errorf("run %q: %w", run, ErrNoRun)
	}
	return read(paths[0])
}

func read(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}
