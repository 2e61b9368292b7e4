package deploy

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"gravedancer/internal/job"
	"gravedancer/internal/metrics"
	"gravedancer/internal/pipeline"
)

// exportedMetrics is every series name a gravedancer process exports, read
// from a registry that has seen one delivery of each kind and a snapshot.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	m := metrics.New([]string{"REG1"})
	now := time.Now()
	m.Watch(func(context.Context) (*metrics.Snapshot, error) {
		return &metrics.Snapshot{DLQ: 1, Regions: []metrics.RegionState{{Region: "REG1", LastVerified: &now}},
			LastRun: &metrics.RunState{Started: now, Finished: now}}, nil
	})
	for _, r := range []pipeline.Result{pipeline.ResultDone, pipeline.ResultExcluded} {
		m.Started("dump", 2)
		m.Finished(pipeline.Delivery{Stage: "dump", Region: "REG1", Attempt: 2, Result: r,
			Job: &job.Job{Region: "REG1", Artifact: &job.Artifact{Bytes: 1}}})
	}
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range fams {
		names[f.GetName()] = true
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			names[f.GetName()+suffix] = true
		}
	}
	return names
}

var metricRef = regexp.MustCompile(`\bgravedancer_[a-z_]+\b`)

func checkExpr(t *testing.T, where, expr string, known map[string]bool) {
	t.Helper()
	refs := metricRef.FindAllString(expr, -1)
	if len(refs) == 0 {
		t.Errorf("%s: %q uses no gravedancer metric", where, expr)
	}
	for _, r := range refs {
		if !known[r] {
			t.Errorf("%s: %q uses %s, which gravedancer does not export", where, expr, r)
		}
	}
}

// TestAlertRules: the example rules parse, each has a summary and a
// severity, and every expression uses metrics gravedancer exports.
func TestAlertRules(t *testing.T) {
	known := exportedMetrics(t)
	var doc struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	b, err := os.ReadFile(filepath.Join("prometheus", "gravedancer-alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	alerts := map[string]bool{}
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = true
			checkExpr(t, r.Alert, r.Expr, known)
			if r.Annotations["summary"] == "" || r.Labels["severity"] == "" {
				t.Errorf("%s: needs a summary and a severity", r.Alert)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
				}
			}
		}
	}
	for _, want := range []string{"GravedancerNoVerifiedBackup", "GravedancerRegionExcluded", "GravedancerDLQGrowing"} {
		if !alerts[want] {
			t.Errorf("alert %s missing", want)
		}
	}
}

// TestGrafanaDashboard: the dashboard is valid JSON and every panel
// queries metrics gravedancer exports.
func TestGrafanaDashboard(t *testing.T) {
	known := exportedMetrics(t)
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	b, err := os.ReadFile(filepath.Join("grafana", "gravedancer-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	if len(dash.Panels) < 5 {
		t.Fatalf("dashboard has %d panels", len(dash.Panels))
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			checkExpr(t, p.Title, q.Expr, known)
		}
	}
}
