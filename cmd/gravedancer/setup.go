package main

import (
	"log/slog"
	"os"

	"gravedancer/internal/config"
	"gravedancer/internal/logging"
)

// loadConfig reads and validates the configuration and sets up logging once.
func loadConfig() (*config.Config, *slog.Logger, error) {
	cfg, err := config.Load()
	if err != nil {
		return nil, nil, err
	}
	log := logging.New(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	slog.SetDefault(log)
	return cfg, log, nil
}
