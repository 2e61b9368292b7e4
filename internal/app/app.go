// Package app wires configuration, the JetStream connection and the stages
// into running workers. It is the composition root shared by the one-shot
// backup, the long-running service and per-stage workers, so the commands in
// cmd/gravedancer stay flags and wiring only.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/alert"
	"gravedancer/internal/config"
	"gravedancer/internal/dumper"
	"gravedancer/internal/job"
	"gravedancer/internal/lease"
	"gravedancer/internal/pipeline"
	engine "gravedancer/internal/restore"
	"gravedancer/internal/retention"
	"gravedancer/internal/ship"
	"gravedancer/internal/store"
	"gravedancer/stages/check"
	"gravedancer/stages/dump"
	"gravedancer/stages/plan"
	restorestage "gravedancer/stages/restore"
	"gravedancer/stages/retain"
	shipstage "gravedancer/stages/ship"
	"gravedancer/stages/stats"
)

// Route is the region stages in order; a job is announced done after the last.
var Route = []string{job.StageDump, job.StageStats, job.StageCheck, job.StageRestore, job.StageShip, job.StageRetain}

// AllStages is plan plus the route.
func AllStages() []string { return append([]string{job.StagePlan}, Route...) }

// ErrNoNATS is returned when a command needs an external NATS and none is set.
var ErrNoNATS = errors.New("GD_NATS_URL: not set; this command talks to a running service")

// Conn is a JetStream connection, to an external server or an embedded one.
type Conn struct {
	NC       *nats.Conn
	JS       jetstream.JetStream
	embedded *pipeline.Embedded
}

// Connect connects to GD_NATS_URL, or starts the embedded server when it is
// empty and allowEmbedded is set.
func Connect(cfg *config.Config, name string, allowEmbedded bool, log *slog.Logger) (*Conn, error) {
	c := &Conn{}
	var err error
	switch {
	case cfg.NATSURL != "":
		c.NC, err = nats.Connect(cfg.NATSURL, natsOptions(cfg, name, log)...)
		if err != nil {
			return nil, fmt.Errorf("connect %s: %w", redactURL(cfg.NATSURL), err)
		}
	case allowEmbedded:
		if c.embedded, err = pipeline.StartEmbedded(cfg.StateDir, ""); err != nil {
			return nil, err
		}
		if c.NC, err = c.embedded.Connect(name); err != nil {
			c.embedded.Shutdown()
			return nil, err
		}
	default:
		return nil, ErrNoNATS
	}
	if c.JS, err = jetstream.New(c.NC); err != nil {
		c.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return c, nil
}

func natsOptions(cfg *config.Config, name string, log *slog.Logger) []nats.Option {
	opts := []nats.Option{
		nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.ReconnectJitter(500*time.Millisecond, 2*time.Second), nats.CustomReconnectDelay(backoff),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil: our own Close, not news
				log.Warn("nats disconnected; reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("nats reconnected", "url", redactURL(nc.ConnectedUrl())) }),
		nats.ClosedHandler(func(*nats.Conn) { log.Debug("nats connection closed") }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { log.Warn("nats error", "err", err) }),
	}
	switch {
	case cfg.NATSCreds != "":
		opts = append(opts, nats.UserCredentials(cfg.NATSCreds))
	case cfg.NATSUser != "":
		// A per-user inbox lets nats.conf grant each user only its own
		// replies: under the shared _INBOX prefix any user could read
		// another's PubAcks and fetched jobs.
		opts = append(opts, nats.UserInfo(cfg.NATSUser, cfg.NATSPassword.Reveal()),
			nats.CustomInboxPrefix("_INBOX_"+cfg.NATSUser))
	case cfg.NATSNKey != "":
		if o, err := nats.NkeyOptionFromSeed(cfg.NATSNKey); err == nil {
			opts = append(opts, o)
		} else {
			log.Error("cannot read GD_NATS_NKEY", "err", err)
		}
	}
	if cfg.NATSCA != "" {
		opts = append(opts, nats.RootCAs(cfg.NATSCA))
	}
	if cfg.NATSCert != "" {
		opts = append(opts, nats.ClientCert(cfg.NATSCert, cfg.NATSKey))
	}
	return opts
}

// backoff spaces reconnect attempts: quick at first, then every 30s, forever.
func backoff(attempts int) time.Duration {
	return min(time.Duration(attempts)*time.Second, 30*time.Second)
}

// redactURL drops user:password from a NATS URL before it is printed.
func redactURL(u string) string {
	if at := strings.LastIndex(u, "@"); at >= 0 {
		if i := strings.Index(u, "://"); i >= 0 && i < at {
			return u[:i+3] + "[redacted]@" + u[at+1:]
		}
	}
	return u
}

// Close drains the connection and stops an embedded server.
func (c *Conn) Close() {
	if c.NC != nil {
		_ = c.NC.Drain()
		c.NC.Close()
	}
	if c.embedded != nil {
		c.embedded.Shutdown()
	}
}

// Pipeline returns the pipeline for cfg on c.
func Pipeline(cfg *config.Config, c *Conn, log *slog.Logger) *pipeline.Pipeline {
	return ObservedPipeline(cfg, c, log, nil)
}

// ObservedPipeline is Pipeline with every delivery reported to obs.
func ObservedPipeline(cfg *config.Config, c *Conn, log *slog.Logger, obs pipeline.Observer) *pipeline.Pipeline {
	return pipeline.New(c.JS, pipeline.Options{
		Route: Route, AckWait: cfg.AckWait, MaxDeliver: cfg.MaxDeliver,
		RetryDelay: cfg.RetryDelay, Logger: log, Bind: !cfg.NATSSetup, Replicas: cfg.NATSReplicas,
		Observer: obs,
	})
}

// Workers runs the named stages until stop is called.
type Workers struct {
	workers []*pipeline.Worker
	stopAdv func()
	janitor *restorestage.Janitor // with the restore stage
}

// Setup creates or updates everything the pipeline needs on the server:
// streams, one durable consumer per stage with its cluster-wide cap, and the
// lease bucket. Idempotent; `gravedancer setup` runs it as the NATS admin.
func Setup(ctx context.Context, cfg *config.Config, p *pipeline.Pipeline) error {
	if err := p.Setup(ctx); err != nil {
		return err
	}
	for _, name := range AllStages() {
		spec := pipeline.ConsumerSpec{Stage: name, Filter: pipeline.JobFilter(name), Concurrency: StageCap(cfg, name),
			AckWait: cfg.AckWait, MaxDeliver: cfg.MaxDeliver}
		if name == job.StagePlan {
			spec.Filter = pipeline.SubjectTrigger
		}
		if _, err := pipeline.EnsureConsumer(ctx, p.JetStream(), spec); err != nil {
			return err
		}
	}
	if _, err := lease.Open(ctx, p.JetStream(), cfg.LeaseTTL, workerID(), cfg.NATSReplicas); err != nil {
		return err
	}
	if _, err := pipeline.OpenReplayer(ctx, p.JetStream(), true, cfg.NATSReplicas); err != nil {
		return err
	}
	if _, err := OpenPresence(ctx, p.JetStream(), true, cfg.NATSReplicas); err != nil {
		return err
	}
	if _, err := alert.OpenState(ctx, p.JetStream(), true, cfg.NATSReplicas); err != nil {
		return err
	}
	return SetupReporter(ctx, p.JetStream(), cfg.NATSReplicas)
}

// StageCap is a stage's cluster-wide concurrency: its consumer's MaxAckPending.
func StageCap(cfg *config.Config, stage string) int {
	switch stage {
	case job.StageDump:
		return cfg.DumpConcurrency
	case job.StageStats:
		return cfg.StatsConcurrency
	case job.StageCheck:
		return cfg.CheckConcurrency
	case job.StageRestore:
		return cfg.RestoreSlots()
	case job.StageShip:
		return cfg.ShipConcurrency
	}
	return 1 // plan and retain: one at a time keeps pruning and planning simple
}

// StartWorkers starts one worker per named stage, plus the max-deliveries
// watcher, after setting up the server unless GD_NATS_SETUP is false. slots
// limits jobs per stage in this process (0 = the stage's cap).
func StartWorkers(ctx context.Context, cfg *config.Config, p *pipeline.Pipeline, names []string, slots int, log *slog.Logger) (*Workers, error) {
	if err := CheckStages(cfg, names); err != nil {
		return nil, err
	}
	if cfg.NATSSetup {
		if err := Setup(ctx, cfg, p); err != nil {
			return nil, err
		}
	}

	w := &Workers{}
	var err error
	if w.stopAdv, err = p.WatchMaxDeliveries(ctx, names); err != nil {
		return nil, err
	}
	deps := &deps{cfg: cfg, p: p, spool: &store.Spool{Dir: cfg.SpoolDir}, log: log}
	for _, name := range names {
		wk, err := deps.worker(ctx, name)
		if err == nil {
			err = wk.Slots(slots).Start(ctx)
		}
		if err != nil {
			w.Stop()
			return nil, err
		}
		w.workers = append(w.workers, wk)
	}
	if deps.restore != nil {
		// Sweeps test servers that a dead restore left databases on.
		w.janitor = &restorestage.Janitor{Stage: deps.restore, Every: cfg.LeaseTTL}
		w.janitor.Start(ctx)
	}
	return w, nil
}

// deps builds stage workers from configuration.
type deps struct {
	cfg   *config.Config
	p     *pipeline.Pipeline
	spool *store.Spool
	log   *slog.Logger

	restore *restorestage.Stage // set once the restore worker is built
}

func (d *deps) worker(ctx context.Context, name string) (*pipeline.Worker, error) {
	cfg, p, spool, log := d.cfg, d.p, d.spool, d.log
	switch name {
	case job.StagePlan:
		return p.PlanWorker(&plan.Stage{Regions: cfg.Regions}), nil
	case job.StageDump:
		leases, err := d.leases(ctx)
		if err != nil {
			return nil, err
		}
		dd := &dumper.Dumper{Spool: spool, Opts: DumpOptions(cfg)}
		if dd.Opts.Recipients, err = cfg.Recipients(); err != nil {
			return nil, err
		}
		if dd.Opts.Recipients == nil {
			log.Warn("dump worker writes plaintext backups: GD_ENCRYPT=off")
		}
		return p.StageWorker(&dump.Stage{Dumper: dd, Spool: spool, Regions: cfg.Regions,
			Slots: leases, PerSource: cfg.DumpPerSource, Logger: log}, StageCap(cfg, name)), nil
	case job.StageStats:
		return p.StageWorker(&stats.Stage{Spool: spool, Logger: log}, StageCap(cfg, name)), nil
	case job.StageCheck:
		ids, err := cfg.Identities()
		if err != nil {
			return nil, err
		}
		return p.StageWorker(&check.Stage{Spool: spool, Logger: log, Identities: ids}, StageCap(cfg, name)), nil
	case job.StageRestore:
		return d.restoreWorker(ctx)
	case job.StageShip:
		shippers, err := ship.New(cfg.Ship, ShipConfig(cfg))
		if err != nil {
			return nil, err
		}
		return p.StageWorker(&shipstage.Stage{Shippers: shippers, Logger: log}, StageCap(cfg, name)), nil
	case job.StageRetain:
		remotes, err := RetainRemotes(cfg)
		if err != nil {
			return nil, err
		}
		return p.StageWorker(&retain.Stage{Spool: spool, Remotes: remotes, Policy: RetentionPolicy(cfg), Logger: log}, StageCap(cfg, name)), nil
	}
	return nil, fmt.Errorf("unknown stage %q (stages: %s)", name, strings.Join(AllStages(), ", "))
}

func (d *deps) restoreWorker(ctx context.Context) (*pipeline.Worker, error) {
	cfg := d.cfg
	leases, err := d.leases(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := cfg.Identities()
	if err != nil {
		return nil, err
	}
	st := &restorestage.Stage{
		Servers: cfg.TestServers, User: cfg.RestoreUser, Password: cfg.RestorePassword,
		Checks:        engine.Checks{Databases: cfg.CheckDatabases, Tables: cfg.CheckTables, Mode: engine.Mode(cfg.VerifyRows)},
		StripDefiners: cfg.RestoreStripDefiners,
		Loader:        restoreLoader(cfg),
		Fallback:      &engine.Loader{Tool: cfg.RestoreTool, TempDir: cfg.StateDir},
		Leases:        leases, Spool: d.spool, Logger: d.log,
		Identities: ids,
	}
	d.restore = st
	return d.p.StageWorker(st, StageCap(cfg, job.StageRestore)), nil
}

// leases opens the lease bucket (test servers and dump slots), binding
// the admin's when this process may not create it.
func (d *deps) leases(ctx context.Context) (*lease.Leases, error) {
	if !d.cfg.NATSSetup {
		return lease.Bind(ctx, d.p.JetStream(), d.cfg.LeaseTTL, workerID())
	}
	return lease.Open(ctx, d.p.JetStream(), d.cfg.LeaseTTL, workerID(), d.cfg.NATSReplicas)
}

// restoreLoader is the engine, or the client alone when GD_RESTORE_METHOD
// says so.
func restoreLoader(cfg *config.Config) restorestage.Loader {
	if cfg.RestoreMethod == engine.MethodClient {
		return &engine.Loader{Tool: cfg.RestoreTool, TempDir: cfg.StateDir}
	}
	return &engine.Engine{Parallel: cfg.RestoreParallel}
}

func workerID() string {
	host, _ := os.Hostname()
	return host + ":" + strconv.Itoa(os.Getpid())
}

// ShipConfig maps configuration to the shippers' settings.
func ShipConfig(cfg *config.Config) ship.Config {
	logFile := cfg.NetBackupLog
	if logFile == "" {
		logFile = filepath.Join(cfg.StateDir, "bpbackup.log")
	}
	return ship.Config{
		Dir: cfg.ShipDir,
		NetBackup: ship.NetBackup{Bin: cfg.NetBackupBin, Policy: cfg.NetBackupPolicy, Schedule: cfg.NetBackupSchedule,
			Server: cfg.NetBackupServer, LogFile: logFile, Timeout: cfg.ShipTimeout},
		SCP: ship.SCP{Host: cfg.SCPHost, Port: cfg.SCPPort, User: cfg.SCPUser, Dir: cfg.SCPDir,
			KeyFile: cfg.SCPKey, KnownHosts: cfg.SCPKnownHosts, Timeout: cfg.ShipTimeout},
		S3: ship.S3{Endpoint: cfg.S3Endpoint, Bucket: cfg.S3Bucket, Prefix: cfg.S3Prefix, Region: cfg.S3Region,
			PathStyle: cfg.S3PathStyle, AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey.Reveal(),
			PartSize: int64(cfg.S3PartSizeMB) << 20, LockMode: cfg.S3LockMode, LockDays: cfg.S3LockDays,
			Timeout: cfg.ShipTimeout},
	}
}

// RetainRemotes returns the ship targets (GD_SHIP) whose copies retention
// prunes with the spool's policy: those that can delete (S3).
func RetainRemotes(cfg *config.Config) ([]retain.Remote, error) {
	shippers, err := ship.New(cfg.Ship, ShipConfig(cfg))
	if err != nil {
		return nil, err
	}
	var out []retain.Remote
	for _, s := range shippers {
		if r, ok := s.(retain.Remote); ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// RetentionPolicy maps configuration to the retention policy.
func RetentionPolicy(cfg *config.Config) retention.Policy {
	return retention.Policy{Days: cfg.RetentionDays, KeepMin: cfg.RetentionKeepMin,
		Daily: cfg.KeepDaily, Weekly: cfg.KeepWeekly, Monthly: cfg.KeepMonthly}
}

// DumpOptions maps configuration to dumper options.
func DumpOptions(cfg *config.Config) dumper.Options {
	return dumper.Options{
		Tool: cfg.DumpTool, ExtraFlags: strings.Fields(cfg.DumpFlags), Consistency: cfg.Consistency,
		Compression: cfg.Compress, Level: cfg.CompressLevel, Timeout: cfg.DumpTimeout, TempDir: cfg.StateDir,
	}
}

// Stop stops every worker at once; in-flight jobs are handed back.
func (w *Workers) Stop() { w.StopGracefully(0) }

// StopGracefully stops every worker in parallel, each giving its in-flight
// jobs up to grace to finish.
func (w *Workers) StopGracefully(grace time.Duration) {
	var wg sync.WaitGroup
	for _, wk := range w.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk.StopGracefully(grace)
		}()
	}
	wg.Wait()
	if w.janitor != nil {
		w.janitor.Stop()
	}
	if w.stopAdv != nil {
		w.stopAdv()
	}
}

// CheckStages checks what the named stages need of the configuration
// beyond Validate: a dump stage writes plaintext only when GD_ENCRYPT=off
// says so. Commands call it before connecting, so the error comes first.
func CheckStages(cfg *config.Config, names []string) error {
	if slices.Contains(names, job.StageDump) {
		return cfg.ValidateDumpEncryption()
	}
	return nil
}

// ParseStages reads a --stages list; "all" is every stage.
func ParseStages(s string) ([]string, error) {
	if s == "" || s == "all" {
		return AllStages(), nil
	}
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(AllStages(), name) {
			return nil, fmt.Errorf("unknown stage %q (stages: %s)", name, strings.Join(AllStages(), ", "))
		}
		out = append(out, name)
	}
	return out, nil
}
