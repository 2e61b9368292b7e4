package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Snapshot is the state the scrape-time gauges show.
type Snapshot struct {
	Regions []RegionState
	LastRun *RunState // nil before the first run report
	// DLQ is the number of entries in the dead-letter stream; -1 when
	// NATS could not be asked.
	DLQ int64
}

// RegionState is a region's newest verified backup.
type RegionState struct {
	Region       string
	LastVerified *time.Time // nil: none in the spool
	Bytes        int64
	RowsVerified int64
}

// RunState is the newest run report.
type RunState struct {
	Started, Finished time.Time
	Good, Excluded    int
}

// SnapshotFunc gathers a Snapshot; it is called on every scrape.
type SnapshotFunc func(ctx context.Context) (*Snapshot, error)

// scrapeTimeout bounds a snapshot: a scrape must answer even when NATS or
// an NFS spool hangs.
const scrapeTimeout = 10 * time.Second

var (
	descLastVerified = prometheus.NewDesc(namespace+"_last_verified_backup_timestamp_seconds",
		"Unix time of the region's newest backup that passed its restore test; 0 when it has none in the spool.", []string{"region"}, nil)
	descSize = prometheus.NewDesc(namespace+"_last_backup_size_bytes",
		"Stored size of the region's newest verified backup.", []string{"region"}, nil)
	descRows = prometheus.NewDesc(namespace+"_backup_rows_verified",
		"Rows compared with the dump when the region's newest verified backup was restored.", []string{"region"}, nil)
	descRunStarted = prometheus.NewDesc(namespace+"_last_run_timestamp_seconds",
		"Unix time the newest run started.", nil, nil)
	descRunDuration = prometheus.NewDesc(namespace+"_last_run_duration_seconds",
		"How long the newest run took, from trigger to its last region.", nil, nil)
	descRunRegions = prometheus.NewDesc(namespace+"_last_run_regions",
		"Regions of the newest run by outcome (good, excluded).", []string{"outcome"}, nil)
	descDLQ = prometheus.NewDesc(namespace+"_dlq_messages",
		"Entries in the dead-letter stream (exclusions kept for 90 days).", nil, nil)
	descScrapeError = prometheus.NewDesc(namespace+"_snapshot_error",
		"1 when the last scrape could not read the spool, the reports or NATS.", nil, nil)
)

// Watch adds the scrape-time gauges, read through snap.
func (m *Metrics) Watch(snap SnapshotFunc) {
	m.Registry.MustRegister(&collector{snap: snap})
}

type collector struct{ snap SnapshotFunc }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLastVerified, descSize, descRows, descRunStarted, descRunDuration, descRunRegions, descDLQ, descScrapeError} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	s, err := c.snap(ctx)
	failed := 0.0
	if err != nil || s == nil {
		failed = 1
		s = &Snapshot{DLQ: -1}
	}
	ch <- prometheus.MustNewConstMetric(descScrapeError, prometheus.GaugeValue, failed)
	for _, r := range s.Regions {
		if r.LastVerified == nil {
			// 0, not absent: "no verified backup for 26 h" must fire for
			// a region that never had one, and absent() cannot know the
			// configured regions.
			ch <- prometheus.MustNewConstMetric(descLastVerified, prometheus.GaugeValue, 0, r.Region)
			continue
		}
		ch <- prometheus.MustNewConstMetric(descLastVerified, prometheus.GaugeValue, float64(r.LastVerified.UnixNano())/1e9, r.Region)
		ch <- prometheus.MustNewConstMetric(descSize, prometheus.GaugeValue, float64(r.Bytes), r.Region)
		ch <- prometheus.MustNewConstMetric(descRows, prometheus.GaugeValue, float64(r.RowsVerified), r.Region)
	}
	if run := s.LastRun; run != nil {
		ch <- prometheus.MustNewConstMetric(descRunStarted, prometheus.GaugeValue, float64(run.Started.Unix()))
		ch <- prometheus.MustNewConstMetric(descRunDuration, prometheus.GaugeValue, run.Finished.Sub(run.Started).Seconds())
		ch <- prometheus.MustNewConstMetric(descRunRegions, prometheus.GaugeValue, float64(run.Good), "good")
		ch <- prometheus.MustNewConstMetric(descRunRegions, prometheus.GaugeValue, float64(run.Excluded), "excluded")
	}
	if s.DLQ >= 0 {
		ch <- prometheus.MustNewConstMetric(descDLQ, prometheus.GaugeValue, float64(s.DLQ))
	}
}
