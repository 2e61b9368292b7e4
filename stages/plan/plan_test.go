package plan

import (
	"context"
	"errors"
	"strings"
	"testing"

	"gravedancer/internal/config"
	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
)

func TestPlan(t *testing.T) {
	s := &Stage{Regions: config.RegionList{{Name: "A", Host: "h1", Port: 3306}, {Name: "B", Host: "h2", Port: 3307}}}
	cases := []struct {
		name    string
		regions []string
		want    string // regions:addrs, or the exclusion text
	}{
		{"all by default", nil, "A@h1:3306 B@h2:3307"},
		{"named subset", []string{"B"}, "B@h2:3307"},
		{"duplicates collapse", []string{"A", "A"}, "A@h1:3306"},
		{"unknown region excludes the trigger", []string{"A", "Z"}, `unknown region "Z" (configured: A, B)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			jobs, err := s.Plan(context.Background(), &job.Trigger{V: job.Version, Run: "r1", Regions: c.regions})
			var got []string
			for _, j := range jobs {
				if j.Run != "r1" || j.V != job.Version {
					t.Errorf("job %+v lacks run or version", j)
				}
				got = append(got, j.Region+"@"+j.Addr)
			}
			if reason, ok := pipeline.IsExclude(err); ok {
				got = []string{reason}
			} else if err != nil {
				t.Fatal(err)
			}
			if g := strings.Join(got, " "); !strings.Contains(g, c.want) {
				t.Errorf("got %q, want %q", g, c.want)
			}
		})
	}
	_, err := s.Plan(context.Background(), &job.Trigger{Run: "r", Regions: []string{"Z"}})
	if !strings.Contains(err.Error(), pipeline.ErrUnknownRegion.Error()) {
		t.Errorf("err = %v", err)
	}
	var ex *pipeline.ExcludeError
	if !errors.As(err, &ex) {
		t.Errorf("unknown region must exclude, got %T", err)
	}
}
