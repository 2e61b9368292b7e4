package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"gravedancer/internal/app"
	"gravedancer/internal/config"
	"gravedancer/internal/logging"
	"gravedancer/internal/pipeline"
)

func init() {
	var f pipeline.Filter
	var since string
	register(&command{
		name:    "dlq",
		summary: "list or show excluded jobs: dlq list [--run R] [--region X] [--stage S] [--since 24h] | dlq show SEQ",
		usage:   "list [--run R] [--region X] [--stage S] [--since 24h|2026-11-27] | show SEQ",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&f.Run, "run", "", "only this run")
			fs.StringVar(&f.Region, "region", "", "only this region")
			fs.StringVar(&f.Stage, "stage", "", "only this stage")
			fs.StringVar(&since, "since", "", "only entries newer than a duration ago (24h) or a date (2026-11-27)")
		},
		run: func(ctx context.Context, fs *flag.FlagSet) error {
			args := fs.Args()
			if len(args) == 0 {
				return usagef("dlq needs a subcommand: list or show SEQ")
			}
			// Flags may follow the subcommand: `dlq list --region R`.
			if err := fs.Parse(args[1:]); err != nil {
				return &usageError{err.Error()}
			}
			var err error
			if f.Since, err = parseSince(since); err != nil {
				return err
			}
			cfg, err := config.Parse()
			if err != nil {
				return err
			}
			conn, done, err := app.Inspect(cfg, logging.New(os.Stderr, cfg.LogFormat, cfg.LogLevel))
			if err != nil {
				return err
			}
			defer done()
			switch args[0] {
			case "list":
				return dlqList(ctx, conn, f)
			case "show":
				return dlqShow(ctx, conn, fs.Args())
			}
			return usagef("unknown dlq subcommand %q (list, show)", args[0])
		},
	})
}

func parseSince(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-d), nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("--since %q: want a duration (24h) or a date (2026-11-27)", s)
}

func dlqList(ctx context.Context, conn *app.Conn, f pipeline.Filter) error {
	entries, err := pipeline.ListDLQ(ctx, conn.JS, f)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tRUN\tREGION\tSTAGE\tDELIVERIES\tREASON")
	for _, e := range entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", e.Seq, e.Time.Local().Format("2006-01-02 15:04:05"),
			e.Run, e.Region, e.Stage, e.Deliveries, e.Reason)
	}
	return tw.Flush()
}

func dlqShow(ctx context.Context, conn *app.Conn, args []string) error {
	if len(args) != 1 {
		return usagef("dlq show takes one sequence number")
	}
	seq, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return usagef("dlq show %q: not a sequence number", args[0])
	}
	e, err := pipeline.GetDLQ(ctx, conn.JS, seq)
	if err != nil {
		return err
	}
	fmt.Printf("seq:     %d\ntime:    %s\nsubject: %s\n", e.Seq, e.Time.Local().Format(time.RFC3339), e.Subject)
	keys := make([]string, 0, len(e.Header))
	for k := range e.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%s: %s\n", k, e.Header.Get(k))
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, e.Data, "", "  ") != nil {
		pretty.Reset()
		fmt.Fprintf(&pretty, "%q", e.Data) // not JSON: the malformed message as it came
	}
	fmt.Printf("\n%s\n", pretty.String())
	return nil
}
