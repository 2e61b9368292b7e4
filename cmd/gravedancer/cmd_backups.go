package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"gravedancer/internal/app"
	"gravedancer/internal/catalog"
	"gravedancer/internal/report"
	"gravedancer/internal/seal"
)

func init() {
	var region, since string
	var asJSON bool
	register(&command{
		name:    "backups",
		summary: "the catalog: every backup in the spool, the quarantine and the listable ship targets",
		usage:   "[--region R] [--since 7d|DATE] [--json]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&region, "region", "", "only this region")
			fs.StringVar(&since, "since", "", "only backups taken since: a duration back from now (36h, 7d) or a date (2026-11-20, '2026-11-20 14:00')")
			fs.BoolVar(&asJSON, "json", false, "print JSON")
		},
		run: func(ctx context.Context, fs *flag.FlagSet) error {
			if fs.NArg() > 0 {
				return usagef("backups takes no arguments, got %q", fs.Args())
			}
			cfg, log, err := loadConfig()
			if err != nil {
				return err
			}
			f := catalog.Filter{Region: region}
			if since != "" {
				if f.Since, err = parseWhen(since, time.Now(), false); err != nil {
					return usagef("--since: %v", err)
				}
			}
			backups, warnings, err := app.Catalog(ctx, cfg, f)
			if err != nil {
				return err
			}
			for _, w := range warnings {
				log.Warn("catalog incomplete", "err", w)
			}
			if asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				if backups == nil {
					backups = []*catalog.Backup{}
				}
				return enc.Encode(backups)
			}
			return printBackups(backups)
		},
	})
}

func printBackups(backups []*catalog.Backup) error {
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tTAKEN\tSIZE\tSHA256\tVERIFIED\tROWS\tSHIPPED TO\tSEALED TO\tSTATE\tFILE")
	for _, b := range backups {
		verified, rows := "no", "-"
		if v := b.Verified; v != nil {
			verified = v.At.Local().Format("01-02 15:04") + " on " + v.TestServer
			rows = fmt.Sprint(v.RowsVerified)
		}
		sha := b.SHA256
		if len(sha) > 12 {
			sha = sha[:12]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.Region, b.Time.Local().Format("2006-01-02 15:04:05"),
			report.HumanBytes(b.Bytes), dashIfEmpty(sha), verified, rows, dashIfEmpty(shippedTo(b)), dashIfEmpty(sealedTo(b)), state(b), b.File)
	}
	return tw.Flush()
}

// sealedTo names a sealed backup's recipients by the short form of their
// keys, so an operator holding a key can tell which backups it opens.
func sealedTo(b *catalog.Backup) string {
	var s []string
	for _, k := range b.Recipients {
		s = append(s, seal.Short(k))
	}
	return strings.Join(s, ",")
}

func shippedTo(b *catalog.Backup) string {
	var s []string
	for _, c := range b.Copies {
		name := c.Target
		if c.Listed {
			name += "✓"
		}
		s = append(s, name)
	}
	return strings.Join(s, ",")
}

// state is the one word an operator scans for.
func state(b *catalog.Backup) string {
	var s []string
	switch {
	case b.Quarantined != "":
		s = append(s, "quarantined: "+b.Reason)
	case b.Local == "":
		s = append(s, "pruned locally")
	}
	if b.Latest {
		s = append(s, "latest")
	}
	if a := b.Audit; a != nil {
		s = append(s, "audit "+a.Outcome+" "+a.At.Local().Format("01-02 15:04"))
	}
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, "; ")
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// parseWhen reads a point in time: a duration back from now ("36h", "7d"),
// or a local date or date-time. A bare date means its start, or with
// endOfDay its last second ("restore as of Nov 20" includes that night's
// backup).
func parseWhen(s string, now time.Time, endOfDay bool) (time.Time, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		if _, err := fmt.Sscanf(n, "%d", &days); err == nil && fmt.Sprint(days) == n {
			return now.Add(-time.Duration(days) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		t, err := time.ParseInLocation(layout, s, time.Local)
		if err != nil {
			continue
		}
		if layout == "2006-01-02" && endOfDay {
			t = t.Add(24*time.Hour - time.Second)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither a duration (36h, 7d) nor a date (2026-11-20, '2026-11-20 14:00')", s)
}
