package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"gravedancer/internal/config"
	"gravedancer/internal/job"
	"gravedancer/internal/store"
)

// ServeOptions shape a long-running worker process.
type ServeOptions struct {
	Stages     []string
	Slots      int           // jobs per stage in this process (0 = the stage's cap)
	HealthAddr string        // "" = no HTTP endpoint (health, metrics, web)
	Grace      time.Duration // how long in-flight jobs may finish on shutdown
	// Web, when set, serves every path besides /healthz, /readyz and
	// /metrics on HealthAddr: the status page and its API.
	Web func(conn *Conn) http.Handler
}

// Serve runs stage workers until ctx ends, then stops fetching and gives
// in-flight jobs opts.Grace to finish before handing the rest back.
func Serve(ctx context.Context, cfg *config.Config, opts ServeOptions, log *slog.Logger) error {
	if err := CheckStages(cfg, opts.Stages); err != nil {
		return err
	}
	conn, err := Connect(cfg, "gravedancer-worker", false, log)
	if err != nil {
		return err
	}
	defer conn.Close()
	m := NewMetrics(cfg, conn.JS)
	h := &health{conn: conn, metrics: promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})}
	if opts.Web != nil {
		h.web = opts.Web(conn)
	}
	if opts.HealthAddr != "" {
		stop, err := h.listen(opts.HealthAddr, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	w, err := StartWorkers(ctx, cfg, ObservedPipeline(cfg, conn, log, m), opts.Stages, opts.Slots, log)
	if err != nil {
		return err
	}
	// With no stages (`gravedancer serve`) there is no worker to list.
	if len(opts.Stages) > 0 {
		if pres, err := OpenPresence(ctx, conn.JS, cfg.NATSSetup, cfg.NATSReplicas); err == nil {
			pres.Announce(ctx, newWorkerInfo(opts.Stages, opts.Slots))
		} else {
			log.Warn("not listed in status: presence bucket unavailable", "err", err)
		}
	}
	plans := slices.Contains(opts.Stages, job.StagePlan)
	var alerts *alerting
	if plans || len(opts.Stages) == 0 {
		// GD_ALERT_WEBHOOK: the reporter's process sends exclusion and run
		// alerts; it and `gravedancer serve` watch for stale regions
		// (state shared in KV, so two watchers alert once).
		if alerts, err = startAlerts(ctx, cfg, conn.JS, m, true, log); err != nil {
			w.Stop()
			return err
		}
		defer alerts.stop() // after the reporter stopped: its last alerts still go out
	}
	if plans {
		// The process that plans runs also files their reports.
		rep, err := startReporter(ctx, conn.JS, &store.Spool{Dir: cfg.SpoolDir}, cfg.NATSSetup, cfg.NATSReplicas, log, alerts)
		if err != nil {
			w.Stop()
			return err
		}
		defer rep.Stop()
	}
	h.ready.Store(true)
	log.Info("worker running", "stages", opts.Stages, "slots", opts.Slots, "health", opts.HealthAddr)
	<-ctx.Done()
	h.ready.Store(false)
	log.Info("shutting down: finishing in-flight jobs", "grace", opts.Grace)
	w.StopGracefully(opts.Grace)
	log.Info("stopped")
	return nil
}

// health answers liveness (the process serves) and readiness (workers are
// started and NATS is connected: a load balancer or Kubernetes should not
// count a worker that cannot take jobs).
type health struct {
	conn    *Conn
	ready   atomic.Bool
	metrics http.Handler
	web     http.Handler // nil: health and metrics only
}

func (h *health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/healthz":
		fmt.Fprintln(w, "ok")
	case "/readyz":
		if !h.ready.Load() || !h.conn.NC.IsConnected() {
			http.Error(w, "not ready: nats "+h.conn.NC.Status().String(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	case "/metrics":
		h.metrics.ServeHTTP(w, r)
	default:
		if h.web == nil {
			http.NotFound(w, r)
			return
		}
		h.web.ServeHTTP(w, r)
	}
}

func (h *health) listen(addr string, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("health endpoint %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("health endpoint stopped", "err", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
