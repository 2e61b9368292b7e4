package main

import (
	"context"
	"flag"
	"time"

	"gravedancer/internal/app"
)

func init() {
	register(workerCommand("worker", "run the named stages against GD_NATS_URL; start as many as you like, on any host", true))
	register(workerCommand("run", "run every stage as a long-running service against GD_NATS_URL (= worker --stages all)", false))
}

func workerCommand(name, summary string, stagesFlag bool) *command {
	var stages, health string
	var slots int
	var grace time.Duration
	return &command{
		name: name, summary: summary,
		usage: "[--stages dump,stats] [--slots N] [--health 127.0.0.1:8081] [--grace 2m]",
		flags: func(fs *flag.FlagSet) {
			if stagesFlag {
				fs.StringVar(&stages, "stages", "all", "comma-separated stages to run: plan,dump,stats,check,restore,ship,retain or all")
			}
			fs.IntVar(&slots, "slots", 0, "jobs per stage this process works on at once (0 = the stage's cluster-wide GD_*_CONCURRENCY)")
			help := "serve /healthz, /readyz and /metrics on this address (e.g. 127.0.0.1:8081)"
			if !stagesFlag {
				help = "serve /healthz, /readyz, /metrics and the status page with its API on this address (e.g. 127.0.0.1:8081)"
			}
			fs.StringVar(&health, "health", "", help)
			fs.DurationVar(&grace, "grace", 2*time.Minute, "on SIGTERM, how long in-flight jobs may finish before they are handed back")
		},
		run: func(ctx context.Context, fs *flag.FlagSet) error {
			if fs.NArg() > 0 {
				return usagef("%s takes no arguments", name)
			}
			names, err := app.ParseStages(stages)
			if err != nil {
				return &usageError{"--stages: " + err.Error()}
			}
			if slots < 0 {
				return usagef("--slots must not be negative")
			}
			cfg, log, err := loadConfig()
			if err != nil {
				return err
			}
			opts := app.ServeOptions{Stages: names, Slots: slots, HealthAddr: health, Grace: grace}
			if name == "run" && health != "" {
				// The service's status page lives on its --health address.
				opts.Web = webUI(cfg, log)
			}
			return app.Serve(ctx, cfg, opts, log)
		},
	}
}
