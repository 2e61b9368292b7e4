// Package metrics exposes what gravedancer does as Prometheus metrics, so
// that an operator learns from an alert, not from the logs, that a region has
// no good backup.
//
// Two sources feed it. Workers report every delivery through the pipeline's
// Observer (durations, jobs in flight, redeliveries, exclusions by reason
// class, bytes moved): those counters are per process, and Prometheus sums
// them over a fleet. Region health (newest verified backup, its size, rows
// verified), the latest run and the DLQ are read at scrape time from the
// spool, the run reports and JetStream, so every process that serves
// /metrics shows the same values.
//
// Labels are bounded: stage, region (configured names only), result, and a
// reason class from a fixed set — never a run id or a free-text reason.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
)

const namespace = "gravedancer"

// Metrics is one process's registry.
type Metrics struct {
	Registry *prometheus.Registry
	regions  map[string]bool // configured: the only region label values

	duration     *prometheus.HistogramVec
	inFlight     *prometheus.GaugeVec
	redeliveries *prometheus.CounterVec
	jobs         *prometheus.CounterVec
	excluded     *prometheus.CounterVec
	bytes        *prometheus.CounterVec
	alerts       alertCounters
}

var _ pipeline.Observer = (*Metrics)(nil)

// New returns a registry with the process and Go collectors and the
// delivery metrics for the configured regions.
func New(regions []string) *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry(), regions: map[string]bool{}}
	for _, r := range regions {
		m.regions[r] = true
	}
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "stage_duration_seconds",
		Help: "Time a stage took on one delivery of a region's job, by stage and result.",
		// 50 ms to ~4.5 h: a check of a small dump up to a restore of a big one.
		Buckets: prometheus.ExponentialBuckets(0.05, 2.5, 14),
	}, []string{"stage", "result"})
	m.inFlight = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "stage_in_flight",
		Help: "Jobs this process is working on now, by stage.",
	}, []string{"stage"})
	m.redeliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "stage_redeliveries_total",
		Help: "Deliveries of a job that had been delivered before (a retry, or a worker that died), by stage.",
	}, []string{"stage"})
	m.jobs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "stage_jobs_total",
		Help: "Deliveries settled, by stage and result (done, retry, excluded, interrupted).",
	}, []string{"stage", "result"})
	m.excluded = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "region_excluded_total",
		Help: "Regions excluded from a run, by region, stage and reason class.",
	}, []string{"region", "stage", "reason"})
	m.bytes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "bytes_total",
		Help: "Bytes dumped (stored size), restored (SQL loaded) and shipped, by region and operation.",
	}, []string{"region", "op"})
	m.alerts = newAlertCounters()
	m.Registry.MustRegister(m.alerts.sent, m.alerts.failed, m.alerts.dropped)
	m.Registry.MustRegister(m.duration, m.inFlight, m.redeliveries, m.jobs, m.excluded, m.bytes,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// Started implements pipeline.Observer.
func (m *Metrics) Started(stage string, attempt int) {
	m.inFlight.WithLabelValues(stage).Inc()
	if attempt > 1 {
		m.redeliveries.WithLabelValues(stage).Inc()
	}
}

// Finished implements pipeline.Observer.
func (m *Metrics) Finished(d pipeline.Delivery) {
	m.inFlight.WithLabelValues(d.Stage).Dec()
	m.duration.WithLabelValues(d.Stage, string(d.Result)).Observe(d.Took.Seconds())
	m.jobs.WithLabelValues(d.Stage, string(d.Result)).Inc()
	region := d.Region
	if d.Job != nil {
		region = d.Job.Region
	}
	switch d.Result {
	case pipeline.ResultExcluded:
		m.excluded.WithLabelValues(m.label(region), d.Stage, ReasonClass(d.Stage, d.Reason)).Inc()
	case pipeline.ResultDone:
		m.moved(d.Stage, m.label(region), d.Job)
	}
}

// moved counts the bytes a finished stage moved.
func (m *Metrics) moved(stage, region string, j *job.Job) {
	if j == nil || j.Artifact == nil {
		return
	}
	switch stage {
	case job.StageDump:
		m.bytes.WithLabelValues(region, "dumped").Add(float64(j.Artifact.Bytes))
	case job.StageRestore:
		if j.Manifest != nil {
			m.bytes.WithLabelValues(region, "restored").Add(float64(j.Manifest.RawBytes))
		}
	case job.StageShip:
		m.bytes.WithLabelValues(region, "shipped").Add(float64(j.Artifact.Bytes * int64(len(j.Shipped))))
	}
}

// label keeps a hostile message's region out of the label set: the
// pipeline takes the region from the subject, which any publisher chooses.
func (m *Metrics) label(region string) string {
	if !m.regions[region] {
		return "unknown"
	}
	return region
}
