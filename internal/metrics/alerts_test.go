package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestAlertCounters: every kind is exported at 0 from the start, counts go
// to their kind, and an unknown kind cannot grow the label set.
func TestAlertCounters(t *testing.T) {
	m := New(nil)
	m.AlertSent("excluded")
	m.AlertSent("excluded")
	m.AlertFailed("stale")
	m.AlertDropped("run_finished")
	m.AlertDropped("<script>")
	cases := []struct {
		name, kind string
		got        float64
		want       float64
	}{
		{"sent", "excluded", testutil.ToFloat64(m.alerts.sent.WithLabelValues("excluded")), 2},
		{"sent", "recovered", testutil.ToFloat64(m.alerts.sent.WithLabelValues("recovered")), 0},
		{"failed", "stale", testutil.ToFloat64(m.alerts.failed.WithLabelValues("stale")), 1},
		{"dropped", "run_finished", testutil.ToFloat64(m.alerts.dropped.WithLabelValues("run_finished")), 1},
		{"dropped", "other", testutil.ToFloat64(m.alerts.dropped.WithLabelValues("other")), 1},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("alerts_%s_total{kind=%q} = %v, want %v", c.name, c.kind, c.got, c.want)
		}
	}
	for name, n := range map[string]int{
		"gravedancer_alerts_sent_total": len(AlertKinds), "gravedancer_alerts_failed_total": len(AlertKinds),
		"gravedancer_alerts_dropped_total": len(AlertKinds) + 1,
	} {
		if got := testutil.CollectAndCount(m.Registry, name); got != n {
			t.Errorf("%s has %d series, want %d", name, got, n)
		}
	}
}
