// Package plan turns a trigger into one dump job per region: every
// configured region, or those the trigger names.
package plan

import (
	"context"
	"strings"

	"gravedancer/internal/config"
	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
)

// Stage plans runs over the configured regions.
type Stage struct {
	Regions config.RegionList
}

var _ pipeline.Planner = (*Stage)(nil)

// Plan returns a job per region. A trigger naming a region this service does
// not know is excluded whole: running the rest would report a run as complete
// that the operator asked to include something else.
func (s *Stage) Plan(_ context.Context, t *job.Trigger) ([]*job.Job, error) {
	names := t.Regions
	if len(names) == 0 {
		names = s.Regions.Names()
	}
	seen := map[string]bool{}
	var jobs []*job.Job
	for _, name := range names {
		r, ok := s.Regions.Find(name)
		if !ok {
			return nil, pipeline.Exclude("trigger %s names %v %q (configured: %s)",
				t.Run, pipeline.ErrUnknownRegion, name, strings.Join(s.Regions.Names(), ", "))
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		jobs = append(jobs, &job.Job{V: job.Version, Run: t.Run, Region: r.Name, Addr: r.Addr()})
	}
	return jobs, nil
}
