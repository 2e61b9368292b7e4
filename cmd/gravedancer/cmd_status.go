package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"gravedancer/internal/app"
	"gravedancer/internal/config"
	"gravedancer/internal/logging"
	"gravedancer/internal/report"
)

func init() {
	var asJSON bool
	register(&command{
		name:    "status",
		summary: "per region: last verified backup, age, size, last outcome; per stage: queue, in flight, workers",
		usage:   "[--json]",
		flags:   func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON for machines") },
		run: func(ctx context.Context, fs *flag.FlagSet) error {
			cfg, err := config.Load()
			if err != nil {
				return err
			}
			conn, done, err := app.Inspect(cfg, logging.New(os.Stderr, cfg.LogFormat, cfg.LogLevel))
			if err != nil {
				return err
			}
			defer done()
			st, err := app.GetStatus(ctx, cfg, conn.JS)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			printStatus(st)
			return nil
		},
	})
}

func printStatus(st *app.Status) {
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tLAST VERIFIED\tAGE\tSIZE\tROWS\tLAST RUN\tOUTCOME")
	for _, r := range st.Regions {
		last, age := "never", "-"
		if r.LastGood != nil {
			last = r.LastGood.Local().Format("2006-01-02 15:04")
			age = (time.Duration(r.AgeSeconds) * time.Second).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Region, last, age, report.HumanBytes(r.Bytes), r.VerifiedRows, dash(r.LastRun), dash(r.LastOutcome))
	}
	tw.Flush()
	fmt.Println()
	tw = tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tPENDING\tIN FLIGHT\tREDELIVERED\tCAP\tWORKERS")
	for _, s := range st.Stages {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", s.Stage, s.Pending, s.InFlight, s.Redelivered, s.Cap, s.Workers)
	}
	tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
