package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"gravedancer/internal/app"
	"gravedancer/internal/config"
	"gravedancer/internal/logging"
)

func init() {
	register(&command{
		name:    "setup",
		summary: "create or update the streams, stage consumers and lease bucket (run once as the NATS admin)",
		usage:   "",
		run: func(ctx context.Context, fs *flag.FlagSet) error {
			cfg, err := config.Parse()
			if err != nil {
				return err
			}
			if err := cfg.ValidateNATS(); err != nil {
				return err
			}
			if cfg.NATSURL == "" {
				return &config.Error{Var: "GD_NATS_URL", Msg: "required: setup prepares a running NATS server"}
			}
			log := logging.New(os.Stderr, cfg.LogFormat, cfg.LogLevel)
			conn, err := app.Connect(cfg, "gravedancer-setup", false, log)
			if err != nil {
				return err
			}
			defer conn.Close()
			if err := app.Setup(ctx, cfg, app.Pipeline(cfg, conn, log)); err != nil {
				return err
			}
			for _, s := range app.AllStages() {
				fmt.Printf("consumer %-8s cluster-wide cap %d\n", s, app.StageCap(cfg, s))
			}
			fmt.Println("streams GD_JOBS, GD_DLQ, GD_EVENTS, the reporter consumer and buckets gd_leases, gd_runs, gd_workers, gd_dlq_replays ready")
			return nil
		},
	})
}
