package main

import (
	"context"
	"flag"

	"gravedancer/internal/app"
)

func init() {
	register(&command{
		name:    "run",
		summary: "run every stage as a long-running service against GD_NATS_URL until SIGTERM",
		usage:   "",
		run: func(ctx context.Context, fs *flag.FlagSet) error {
			if fs.NArg() > 0 {
				return usagef("run takes no arguments")
			}
			cfg, log, err := loadConfig()
			if err != nil {
				return err
			}
			conn, err := app.Connect(cfg, "gravedancer-run", false, log)
			if err != nil {
				return err
			}
			defer conn.Close()
			w, err := app.StartWorkers(ctx, cfg, app.Pipeline(cfg, conn, log), app.AllStages(), log)
			if err != nil {
				return err
			}
			log.Info("service running", "stages", app.AllStages())
			<-ctx.Done()
			log.Info("shutting down")
			w.Stop()
			return nil
		},
	})
}
