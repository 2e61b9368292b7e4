package restore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"gravedancer/internal/mysqlx"
	engine "gravedancer/internal/restore"
)

// clean drops what interrupted restores left on server (the ledger lists
// it). The caller holds the server's lease.
func (s *Stage) clean(ctx context.Context, db *sql.DB, server string) error {
	left, err := engine.DropLeftovers(ctx, db)
	if err != nil {
		return fmt.Errorf("drop what an interrupted restore left on the test server: %w", err)
	}
	if len(left) > 0 {
		s.Logger.Warn("dropped databases an interrupted restore left on the test server", "test_server", server, "databases", left)
	}
	return nil
}

// Sweep cleans every test server that is free now: one whose restore died
// with it (or with its worker) is clean again soon after it is back, even if
// no restore comes after. A server leased by a restore is skipped; that
// restore cleans it first anyway.
func (s *Stage) Sweep(ctx context.Context) error {
	var errs []error
	for _, server := range s.Servers {
		if err := s.sweepOne(ctx, server); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", server, err))
		}
	}
	return errors.Join(errs...)
}

// sweepWait is how long Sweep waits for a busy server's lease.
const sweepWait = time.Second

func (s *Stage) sweepOne(ctx context.Context, server string) error {
	wctx, cancel := context.WithTimeout(ctx, sweepWait)
	defer cancel()
	l, lctx, err := s.Leases.Acquire(wctx, []string{server})
	if err != nil {
		if wctx.Err() != nil && ctx.Err() == nil {
			return nil // busy: its restore cleans it
		}
		return err
	}
	defer func() { _ = l.Release(context.WithoutCancel(ctx)) }()
	target, err := s.target(server)
	if err != nil {
		return err
	}
	db, err := sql.Open("mysql", mysqlx.DSN(mysqlx.Credentials{Host: target.Host, Port: target.Port, User: target.User, Password: target.Password}))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.PingContext(lctx); err != nil {
		return nil // down: swept when it is back
	}
	return s.clean(lctx, db, server)
}

// Janitor runs Sweep every Every until Stop.
type Janitor struct {
	Stage *Stage
	Every time.Duration

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start begins sweeping in the background.
func (j *Janitor) Start(ctx context.Context) {
	ctx, j.cancel = context.WithCancel(ctx)
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		t := time.NewTicker(j.Every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := j.Stage.Sweep(ctx); err != nil && ctx.Err() == nil {
					j.Stage.Logger.Warn("test server sweep failed", "err", err)
				}
			}
		}
	}()
}

// Stop ends the sweeps and waits for the one in progress.
func (j *Janitor) Stop() {
	if j.cancel != nil {
		j.cancel()
	}
	j.wg.Wait()
}
