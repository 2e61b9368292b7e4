package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"gravedancer/internal/config"
	"gravedancer/internal/report"
	"gravedancer/internal/store"
)

func init() {
	var last int
	register(&command{
		name:    "runs",
		summary: "list run reports (runs [--last N]) or show one (runs show RUN)",
		usage:   "[--last N] | show RUN",
		flags:   func(fs *flag.FlagSet) { fs.IntVar(&last, "last", 20, "how many of the newest runs to list") },
		run: func(_ context.Context, fs *flag.FlagSet) error {
			cfg, err := config.Parse()
			if err != nil {
				return err
			}
			spool := &store.Spool{Dir: cfg.SpoolDir}
			switch args := fs.Args(); {
			case len(args) == 0:
				return listRuns(spool, last)
			case len(args) == 2 && args[0] == "show":
				r, err := report.Find(spool, args[1])
				if err != nil {
					return err
				}
				report.Table(os.Stdout, r)
				return nil
			}
			return usagef("runs takes no arguments, or: show RUN")
		},
	})
}

func listRuns(spool *store.Spool, last int) error {
	runs, err := report.List(spool)
	if err != nil {
		return err
	}
	if last > 0 && len(runs) > last {
		runs = runs[:last]
	}
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tREGIONS\tGOOD\tEXCLUDED\tDURATION")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", r.Run, r.Started.Local().Format("2006-01-02 15:04:05"),
			len(r.Regions), r.Good(), r.Excluded(), r.Finished.Sub(r.Started).Round(time.Second/10))
	}
	return tw.Flush()
}
