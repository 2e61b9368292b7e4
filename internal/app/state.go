package app

import (
	"fmt"
	"log/slog"

	"gravedancer/internal/config"
	"gravedancer/internal/store"
)

// Inspect connects for reading run state. With the embedded server the store
// belongs to whoever holds the state-dir lock, so inspection takes the lock
// too: two servers on one store would corrupt it.
func Inspect(cfg *config.Config, log *slog.Logger) (*Conn, func(), error) {
	var lock *store.Lock
	if cfg.NATSURL == "" {
		var err error
		if lock, err = store.AcquireLock(cfg.StateDir); err != nil {
			return nil, nil, fmt.Errorf("embedded store in %s is in use (a backup is running?): %w", cfg.StateDir, err)
		}
	}
	conn, err := Connect(cfg, "gravedancer-inspect", true, log)
	if err != nil {
		lock.Release()
		return nil, nil, err
	}
	return conn, func() { conn.Close(); lock.Release() }, nil
}
