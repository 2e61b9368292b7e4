// Command gravedancer takes logical backups of MariaDB/MySQL servers through
// a JetStream pipeline of stages, proves them and reports why a region failed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"gravedancer/internal/config"
	"gravedancer/internal/recovery"
)

// Exit codes of every command.
const (
	exitOK       = 0
	exitExcluded = 1 // the run finished, some regions were excluded (restore: rows differ)
	exitUsage    = 2 // bad configuration or command line
	exitFailed   = 3 // the run could not be carried out (lock held, NATS down…)
)

// errExcluded reports a completed run in which some region was excluded.
var errExcluded = errors.New("some regions were excluded")

// usageError is a command-line mistake.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// command is one subcommand: its flags and what it runs.
type command struct {
	name    string
	summary string
	usage   string
	flags   func(fs *flag.FlagSet)
	run     func(ctx context.Context, fs *flag.FlagSet) error
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "gravedancer: %v: stopping (send it again to abort at once)\n", sig)
		cancel()
		<-sigs
		fmt.Fprintln(os.Stderr, "gravedancer: aborted")
		os.Exit(exitFailed)
	}()
	err := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	cancel()
	os.Exit(exitCode(err))
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout)
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		printUsage(stderr)
		fmt.Fprintf(stderr, "\ngravedancer: unknown command %q\n", args[0])
		return usagef("unknown command %q", args[0])
	}
	fs := flag.NewFlagSet("gravedancer "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: gravedancer %s %s\n\n%s\n\n", c.name, c.usage, c.summary)
		fs.PrintDefaults()
	}
	if c.flags != nil {
		c.flags(fs)
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &usageError{err.Error()}
	}
	err := c.run(ctx, fs)
	if err != nil && !errors.Is(err, errExcluded) {
		fmt.Fprintf(stderr, "gravedancer %s: %v\n", c.name, err)
	}
	return err
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "gravedancer: proven logical backups of MariaDB/MySQL fleets\n\nusage: gravedancer <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nconfiguration comes from GD_* environment variables; see README.md.\n`gravedancer <command> --help` shows a command's flags.")
}

func exitCode(err error) int {
	var ue *usageError
	var ce *config.Error
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errExcluded):
		return exitExcluded
	case errors.Is(err, recovery.ErrRowsDiffer):
		return exitExcluded // the restore ran; its result is not the backup
	case errors.As(err, &ue), errors.As(err, &ce), errors.Is(err, recovery.ErrUsage), errors.Is(err, recovery.ErrTargetExists):
		return exitUsage
	}
	return exitFailed
}
