package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"gravedancer/internal/app"
	"gravedancer/internal/catalog"
)

func init() {
	var region, at, artifact string
	var timeout time.Duration
	register(&command{
		name:    "verify",
		summary: "re-prove a backup in the spool (check + restore test) without a new dump; the result goes in the catalog",
		usage:   "--region R [--at TIME | --artifact PATH] [--timeout 1h]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&region, "region", "", "the region whose backup to verify")
			fs.StringVar(&at, "at", "", "the newest backup taken at or before this (a date, a date-time or a duration back); default the latest")
			fs.StringVar(&artifact, "artifact", "", "this backup (a path or file name from `gravedancer backups`)")
			fs.DurationVar(&timeout, "timeout", 0, "give up waiting after this long (0 = no limit)")
		},
		run: func(ctx context.Context, fs *flag.FlagSet) error {
			if fs.NArg() > 0 {
				return usagef("verify takes no arguments, got %q", fs.Args())
			}
			if region == "" && artifact == "" {
				return usagef("--region is required (or name the backup with --artifact)")
			}
			cfg, log, err := loadConfig()
			if err != nil {
				return err
			}
			backups, _, err := app.Catalog(ctx, cfg, catalog.Filter{Region: region})
			if err != nil {
				return err
			}
			b, err := pickForVerify(backups, region, at, artifact)
			if err != nil {
				return err
			}
			rep, path, err := app.Verify(ctx, cfg, b, app.VerifyOptions{Timeout: timeout}, log)
			return runOutcome(rep, path, err)
		},
	})
}

// pickForVerify finds the backup to audit: named, or the newest at or
// before --at whatever its state (re-proving an unverified one is the point).
func pickForVerify(backups []*catalog.Backup, region, at, artifact string) (*catalog.Backup, error) {
	if artifact != "" {
		return catalog.Find(backups, artifact)
	}
	var when time.Time
	if at != "" {
		var err error
		if when, err = parseWhen(at, time.Now(), true); err != nil {
			return nil, usagef("--at: %v", err)
		}
	}
	var best *catalog.Backup
	for _, b := range backups {
		if b.Region == region && b.Local != "" && (when.IsZero() || !b.Time.After(when)) && (best == nil || b.Time.After(best.Time)) {
			best = b
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w: region %s has no backup in the spool at or before %s", catalog.ErrNoBackup, region, at)
	}
	return best, nil
}
