package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"gravedancer/internal/app"
	"gravedancer/internal/config"
	"gravedancer/internal/job"
	"gravedancer/internal/logging"
	"gravedancer/internal/pipeline"
)

func init() {
	var regions, run string
	register(&command{
		name:    "trigger",
		summary: "ask a running service (GD_NATS_URL) for a backup run; for cron with `gravedancer run`",
		usage:   "[--regions a,b] [--run ID]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&regions, "regions", "", "comma-separated regions (default: every region the service has)")
			fs.StringVar(&run, "run", "", "run id (default: the current minute, so a cron firing twice makes one run)")
		},
		run: func(ctx context.Context, fs *flag.FlagSet) error {
			cfg, err := config.Parse()
			if err != nil {
				return err
			}
			if err := cfg.ValidateNATS(); err != nil {
				return err
			}
			log := logging.New(os.Stderr, cfg.LogFormat, cfg.LogLevel)
			if cfg.NATSURL == "" {
				return &config.Error{Var: "GD_NATS_URL", Msg: "required: trigger publishes to a running service (use `gravedancer backup` for a one-shot run)"}
			}
			t := &job.Trigger{V: job.Version, Run: run, At: time.Now().UTC()}
			if t.Run == "" {
				t.Run = app.NewRunID(time.Now(), false)
			}
			if !job.ValidRunID(t.Run) {
				return usagef("--run %q: use letters, digits, - and _", t.Run)
			}
			for _, r := range strings.Split(regions, ",") {
				if r = strings.TrimSpace(r); r != "" {
					if !config.ValidRegionName(r) {
						return usagef("--regions: %q is not a valid region name", r)
					}
					t.Regions = append(t.Regions, r)
				}
			}
			host, _ := os.Hostname()
			t.By = host + " trigger"
			conn, err := app.Connect(cfg, "gravedancer-trigger", false, log)
			if err != nil {
				return err
			}
			defer conn.Close()
			// A trigger-only NATS user may not create streams (GD_NATS_SETUP=false).
			if cfg.NATSSetup {
				if err := pipeline.EnsureStreams(ctx, conn.JS, cfg.NATSReplicas); err != nil {
					return err
				}
			}
			dup, err := pipeline.Trigger(ctx, conn.JS, t)
			if err != nil {
				return err
			}
			if dup {
				fmt.Printf("run %s was already triggered; nothing new published\n", t.Run)
				return nil
			}
			fmt.Printf("triggered run %s\n", t.Run)
			return nil
		},
	})
}
