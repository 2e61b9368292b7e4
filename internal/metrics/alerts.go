package metrics

import "github.com/prometheus/client_golang/prometheus"

// AlertKinds are the label values of the alert counters, the kinds of
// internal/alert; anything else is counted as "other".
var AlertKinds = []string{"excluded", "run_finished", "stale", "recovered"}

type alertCounters struct {
	sent, failed, dropped *prometheus.CounterVec
}

func newAlertCounters() alertCounters {
	vec := func(name, help string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, []string{"kind"})
		for _, k := range AlertKinds {
			v.WithLabelValues(k) // present at 0 from the start, so rate() and absent() work
		}
		return v
	}
	return alertCounters{
		sent:    vec("alerts_sent_total", "Alerts the webhook (GD_ALERT_WEBHOOK) accepted, by kind."),
		failed:  vec("alerts_failed_total", "Alerts given up on after every retry, or refused by the webhook, by kind."),
		dropped: vec("alerts_dropped_total", "Alerts never sent: pushed out of the full queue, or still queued at shutdown, by kind."),
	}
}

func alertKind(kind string) string {
	for _, k := range AlertKinds {
		if k == kind {
			return k
		}
	}
	return "other"
}

// AlertSent counts an alert the webhook accepted (alert.Counters).
func (m *Metrics) AlertSent(kind string) { m.alerts.sent.WithLabelValues(alertKind(kind)).Inc() }

// AlertFailed counts an alert given up on (alert.Counters).
func (m *Metrics) AlertFailed(kind string) { m.alerts.failed.WithLabelValues(alertKind(kind)).Inc() }

// AlertDropped counts an alert never sent (alert.Counters).
func (m *Metrics) AlertDropped(kind string) { m.alerts.dropped.WithLabelValues(alertKind(kind)).Inc() }
