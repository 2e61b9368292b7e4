package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"gravedancer/internal/app"
	"gravedancer/internal/report"
)

func init() {
	var regions string
	var timeout time.Duration
	register(&command{
		name:    "backup",
		summary: "one-shot run of every stage in this process (cron drop-in); exit 0 all good, 1 some excluded, 2 config, 3 failed",
		usage:   "[--regions a,b] [--timeout 3h]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&regions, "regions", "", "comma-separated regions to back up (default: all in GD_REGIONS)")
			fs.DurationVar(&timeout, "timeout", 0, "give up waiting after this long and report unfinished regions as pending (0 = no limit)")
		},
		run: func(ctx context.Context, fs *flag.FlagSet) error {
			if fs.NArg() > 0 {
				return usagef("backup takes no arguments, got %q", fs.Args())
			}
			cfg, log, err := loadConfig()
			if err != nil {
				return err
			}
			names, err := regionFlag(regions, cfg.Regions.Names())
			if err != nil {
				return err
			}
			rep, path, err := app.Once(ctx, cfg, app.OnceOptions{Regions: names, Timeout: timeout}, log)
			return runOutcome(rep, path, err)
		},
	})
}

// runOutcome prints a run's summary and where its report is, and turns the
// run into the command's error: errExcluded when a region was excluded.
func runOutcome(rep *report.Report, path string, err error) error {
	if rep != nil {
		report.Table(os.Stdout, rep)
		if path != "" {
			fmt.Fprintf(os.Stdout, "report: %s\n", path)
		}
	}
	if err != nil {
		return err
	}
	if rep.Excluded() > 0 {
		return errExcluded
	}
	return nil
}

// regionFlag splits --regions and checks each name is configured.
func regionFlag(s string, known []string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var out []string
	for _, r := range strings.Split(s, ",") {
		r = strings.TrimSpace(r)
		if !contains(known, r) {
			return nil, usagef("--regions: %q is not in GD_REGIONS (%s)", r, strings.Join(known, ", "))
		}
		out = append(out, r)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
