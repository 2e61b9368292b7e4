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
	var dryRun, force bool
	register(&command{
		name:    "dlq",
		summary: "list, show or replay excluded jobs",
		usage:   "list [--run R] [--region X] [--stage S] [--since 24h|2026-11-27] | show SEQ | replay SEQ…|--run R|--region X [--stage S] [--dry-run] [--force]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&f.Run, "run", "", "only this run")
			fs.StringVar(&f.Region, "region", "", "only this region")
			fs.StringVar(&f.Stage, "stage", "", "only this stage")
			fs.StringVar(&since, "since", "", "only entries newer than a duration ago (24h) or a date (2026-11-27)")
			fs.BoolVar(&dryRun, "dry-run", false, "replay: show what would be replayed, publish nothing")
			fs.BoolVar(&force, "force", false, "replay: replay entries that were replayed before")
		},
		run: func(ctx context.Context, fs *flag.FlagSet) error {
			args := fs.Args()
			if len(args) == 0 {
				return usagef("dlq needs a subcommand: list, show SEQ or replay")
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
			case "replay":
				return dlqReplay(ctx, conn, cfg.NATSSetup, cfg.NATSReplicas, f, fs.Args(), dryRun, force)
			}
			return usagef("unknown dlq subcommand %q (list, show, replay)", args[0])
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
	rp, _ := pipeline.OpenReplayer(ctx, conn.JS, false, 0) // no bucket yet: nothing replayed
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tRUN\tREGION\tSTAGE\tDELIVERIES\tREPLAYED\tREASON")
	for _, e := range entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", e.Seq, e.Time.Local().Format("2006-01-02 15:04:05"),
			e.Run, e.Region, e.Stage, e.Deliveries, replayedText(ctx, rp, e.Seq), e.Reason)
	}
	return tw.Flush()
}

func replayedText(ctx context.Context, rp *pipeline.Replayer, seq uint64) string {
	if rp == nil {
		return "-"
	}
	st, err := rp.Status(ctx, seq)
	if err != nil || st == nil {
		return "-"
	}
	return fmt.Sprintf("%dx %s", st.Count, st.At.Local().Format("01-02 15:04"))
}

// dlqReplay republishes the chosen entries to the stage they failed at.
func dlqReplay(ctx context.Context, conn *app.Conn, create bool, replicas int, f pipeline.Filter, seqs []string, dryRun, force bool) error {
	entries, err := replayTargets(ctx, conn, f, seqs)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return usagef("dlq replay: nothing matches; give SEQ… or --run/--region/--stage")
	}
	rp, err := pipeline.OpenReplayer(ctx, conn.JS, create, replicas)
	if err != nil {
		return err
	}
	user, _ := os.Hostname()
	if u := os.Getenv("USER"); u != "" {
		user = u + "@" + user
	}
	var failed int
	for _, e := range entries {
		if dryRun {
			fmt.Printf("would replay %d: run %s region %s to %s\n", e.Seq, e.Run, e.Region, e.Header.Get(pipeline.HdrSubject))
			continue
		}
		subject, err := rp.Replay(ctx, &e, user, force)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%v\n", err)
			failed++
			continue
		}
		fmt.Printf("replayed %d: run %s region %s to %s\n", e.Seq, e.Run, e.Region, subject)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d entries not replayed", failed, len(entries))
	}
	return nil
}

func replayTargets(ctx context.Context, conn *app.Conn, f pipeline.Filter, seqs []string) ([]pipeline.Entry, error) {
	if len(seqs) == 0 {
		if f == (pipeline.Filter{}) {
			return nil, usagef("dlq replay: give SEQ… or at least one of --run, --region, --stage")
		}
		return pipeline.ListDLQ(ctx, conn.JS, f)
	}
	var out []pipeline.Entry
	for _, s := range seqs {
		seq, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, usagef("dlq replay %q: not a sequence number", s)
		}
		e, err := pipeline.GetDLQ(ctx, conn.JS, seq)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, nil
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
