package app

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/alert"
	"gravedancer/internal/config"
	"gravedancer/internal/metrics"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
	"gravedancer/internal/store"
)

// alertDrain is how long a stopping process still lets queued alerts go out.
const alertDrain = 5 * time.Second

// alertTuning, when set, adjusts the alert machinery a process starts:
// tests shorten retries and the staleness tick and drive its clock. The
// user-facing knobs stay GD_ALERT_* and GD_STALE_AFTER (at least 1m).
var alertTuning func(*alert.Options, *alert.StaleWatch)

// alerting is one process's alerts: the notifier that sends them and,
// where this process runs it, the staleness watch.
type alerting struct {
	n     *alert.Notifier
	watch *alert.StaleWatch // nil: no staleness checks here
}

// startAlerts starts the notifier for GD_ALERT_WEBHOOK, and the staleness
// watch when stale is set; nil without a webhook. The staleness state is
// shared by the fleet in alert.StateBucket.
func startAlerts(ctx context.Context, cfg *config.Config, js jetstream.JetStream, counters alert.Counters, stale bool, log *slog.Logger) (*alerting, error) {
	if cfg.AlertWebhook == "" {
		return nil, nil
	}
	hook := &alert.Webhook{URL: cfg.AlertWebhook, Format: cfg.AlertFormat, Header: cfg.AlertHeader, Secret: cfg.AlertSecret.Reveal()}
	opts := alert.Options{Counters: counters, Logger: log, Target: hook.Target(), Drain: alertDrain}
	var watch *alert.StaleWatch
	if stale {
		state, err := alert.OpenState(ctx, js, cfg.NATSSetup, cfg.NATSReplicas)
		if err != nil {
			return nil, err
		}
		watch = &alert.StaleWatch{Regions: cfg.Regions.Names(), After: cfg.StaleAfter, State: state,
			LastVerified: lastVerified(&store.Spool{Dir: cfg.SpoolDir}), Logger: log}
	}
	if alertTuning != nil {
		alertTuning(&opts, watch)
	}
	a := &alerting{n: alert.New(hook, opts), watch: watch}
	// Stop, not the caller's cancellation, ends the notifier: queued alerts
	// get their drain time at shutdown.
	a.n.Start(context.WithoutCancel(ctx))
	if watch != nil {
		watch.Notify = a.n.Notify
		watch.Start(ctx)
	}
	log.Info("alerts on", "webhook", hook.Target(), "format", cfg.AlertFormat, "staleness_checks", stale, "stale_after", cfg.StaleAfter)
	return a, nil
}

// notify queues ev; a nil alerting (no webhook) ignores it.
func (a *alerting) notify(ev alert.Event) {
	if a != nil {
		a.n.Notify(ev)
	}
}

// stop ends the staleness checks, then gives queued alerts their drain time.
func (a *alerting) stop() {
	if a == nil {
		return
	}
	if a.watch != nil {
		a.watch.Stop()
	}
	a.n.Stop()
}

// lastVerified reads a region's newest verified backup from the spool, as
// `gravedancer status` and the last-verified metric do: the dump's time.
func lastVerified(spool *store.Spool) alert.LastVerifiedFunc {
	return func(_ context.Context, region string) (time.Time, bool, error) {
		entries, err := spool.List(region)
		if err != nil {
			return time.Time{}, false, err
		}
		if e := store.NewestVerified(entries); e != nil {
			return e.Time, true, nil
		}
		return time.Time{}, false, nil
	}
}

// exclusionAlert is the alert for an excluded event of the events stream.
func exclusionAlert(msg jetstream.Msg) (alert.Event, bool) {
	if !strings.HasPrefix(msg.Subject(), pipeline.ExcludedSubject("")) {
		return alert.Event{}, false
	}
	ev := parseEvent(msg)
	g := ev.result
	at := time.Now().UTC()
	if md, err := msg.Metadata(); err == nil {
		at = md.Timestamp
	}
	attempts, _ := strconv.Atoi(msg.Headers().Get(pipeline.HdrDeliveries))
	return alert.Excluded(alert.Exclusion{Region: ev.region, Stage: g.Stage, Run: msg.Headers().Get(pipeline.HdrRun),
		Reason: g.Reason, ReasonClass: metrics.ReasonClass(g.Stage, g.Reason), Attempts: attempts, At: at}), true
}

// runAlert is the alert for a finished run, when some region was excluded.
func runAlert(rep *report.Report) (alert.Event, bool) {
	if rep.Excluded() == 0 {
		return alert.Event{}, false
	}
	s := alert.RunSummary{Run: rep.Run, Started: rep.Started, Finished: rep.Finished, Good: rep.Good()}
	for _, g := range rep.Regions {
		if g.Outcome != report.OutcomeGood {
			s.Excluded = append(s.Excluded, alert.ExcludedRegion{Region: g.Region, Stage: g.Stage, Reason: g.Reason,
				ReasonClass: metrics.ReasonClass(g.Stage, g.Reason)})
		}
	}
	return alert.RunFinished(s), true
}
