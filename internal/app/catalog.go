package app

import (
	"context"

	"gravedancer/internal/catalog"
	"gravedancer/internal/config"
	"gravedancer/internal/recovery"
	"gravedancer/internal/ship"
	"gravedancer/internal/store"
)

// Targets returns the configured ship targets (GD_SHIP) that can list what
// they hold and those that can give a copy back.
func Targets(cfg *config.Config) ([]catalog.Lister, []recovery.Fetcher, error) {
	shippers, err := ship.New(cfg.Ship, ShipConfig(cfg))
	if err != nil {
		return nil, nil, err
	}
	var listers []catalog.Lister
	var fetchers []recovery.Fetcher
	for _, s := range shippers {
		if l, ok := s.(catalog.Lister); ok {
			listers = append(listers, l)
		}
		if f, ok := s.(recovery.Fetcher); ok {
			fetchers = append(fetchers, f)
		}
	}
	return listers, fetchers, nil
}

// Catalog lists the backups of the spool and of the listable targets; the
// errors beside the list name targets that could not be asked.
func Catalog(ctx context.Context, cfg *config.Config, f catalog.Filter) ([]*catalog.Backup, []error, error) {
	listers, _, err := Targets(cfg)
	if err != nil {
		return nil, nil, err
	}
	return catalog.Build(ctx, &store.Spool{Dir: cfg.SpoolDir}, listers, f)
}
