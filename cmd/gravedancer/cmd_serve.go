package main

import (
	"context"
	"flag"
	"log/slog"
	"net/http"

	"gravedancer/internal/app"
	"gravedancer/internal/config"
	"gravedancer/internal/web"
)

func init() {
	var listen string
	register(&command{
		name:    "serve",
		summary: "serve the status page, its JSON API and /metrics for GD_NATS_URL, without running stages",
		usage:   "[--listen 127.0.0.1:8088]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&listen, "listen", "127.0.0.1:8088", "address of the status page, API, /metrics, /healthz and /readyz")
		},
		run: func(ctx context.Context, fs *flag.FlagSet) error {
			if fs.NArg() > 0 {
				return usagef("serve takes no arguments")
			}
			if listen == "" {
				return usagef("--listen must not be empty")
			}
			cfg, log, err := loadConfig()
			if err != nil {
				return err
			}
			return app.Serve(ctx, cfg, app.ServeOptions{HealthAddr: listen, Web: webUI(cfg, log)}, log)
		},
	})
}

// webUI mounts the status page on a serving process's HTTP address.
func webUI(cfg *config.Config, log *slog.Logger) func(*app.Conn) http.Handler {
	return func(conn *app.Conn) http.Handler { return web.New(cfg, conn, log) }
}
