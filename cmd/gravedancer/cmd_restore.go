package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"gravedancer/internal/app"
	"gravedancer/internal/catalog"
	"gravedancer/internal/config"
	"gravedancer/internal/mysqlx"
	"gravedancer/internal/progress"
	"gravedancer/internal/recovery"
	"gravedancer/internal/restore"
)

// restoreFlags are restore's command line.
type restoreFlags struct {
	region, at, artifact, to, user, defaults string
	databases, tables, into                  string
	parallel                                 int
	dryRun, force, noBinlog                  bool
}

func init() {
	var f restoreFlags
	register(&command{
		name:    "restore",
		summary: "restore a backup onto a server: whole, some databases or tables, or one database under another name",
		usage:   "--region R [--at TIME | --artifact PATH | latest] --to HOST[:PORT] [--databases a,b] [--tables db.t1,db.t2] [--into-database NAME] [--parallel N] [--dry-run] [--force]",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&f.region, "region", "", "the region whose backup to restore")
			fs.StringVar(&f.at, "at", "", "the newest verified backup taken at or before this: a date, a date-time or a duration back (36h, 7d); default the latest")
			fs.StringVar(&f.artifact, "artifact", "", "this backup (a path or file name from `gravedancer backups`), verified or not")
			fs.StringVar(&f.to, "to", "", "target server HOST[:PORT] (overrides the option file's host and port)")
			fs.StringVar(&f.user, "user", "", "target user (default: the option file's, else GD_TARGET_USER, else root)")
			fs.StringVar(&f.defaults, "defaults-extra-file", "", "option file with a [client] section: user, password, host, port; the password is read from here or GD_TARGET_PASSWORD_FILE/GD_TARGET_PASSWORD, never from the command line")
			fs.StringVar(&f.databases, "databases", "", "only these databases, comma-separated (system schemas such as mysql only when named here)")
			fs.StringVar(&f.tables, "tables", "", "only these tables, comma-separated db.table")
			fs.StringVar(&f.into, "into-database", "", "restore the one selected database under this name")
			fs.IntVar(&f.parallel, "parallel", 0, "connections to the target (0 = twice its CPUs, 2-16)")
			fs.BoolVar(&f.dryRun, "dry-run", false, "print the plan and touch nothing")
			fs.BoolVar(&f.force, "force", false, "drop databases (or, with --tables, tables) that already exist on the target, after saying so")
			fs.BoolVar(&f.noBinlog, "no-binlog", false, "SET sql_log_bin=0: do not replicate the restore (needs BINLOG ADMIN)")
		},
		run: func(ctx context.Context, fs *flag.FlagSet) error { return runRestore(ctx, fs, f) },
	})
}

func runRestore(ctx context.Context, fs *flag.FlagSet, f restoreFlags) error {
	switch args := fs.Args(); {
	case len(args) == 1 && args[0] == "latest" && f.at == "" && f.artifact == "":
	case len(args) > 0:
		return usagef("restore takes no arguments but an optional `latest`, got %q", args)
	}
	if f.region == "" && f.artifact == "" {
		return usagef("--region is required (or name the backup with --artifact)")
	}
	if f.at != "" && f.artifact != "" {
		return usagef("--at and --artifact both pick the backup: give one")
	}
	cfg, log, err := loadConfig()
	if err != nil {
		return err
	}
	opt := recovery.Options{Region: f.region, Artifact: f.artifact, Parallel: f.parallel, DryRun: f.dryRun, Force: f.force,
		NoBinlog: f.noBinlog, WorkDir: cfg.StateDir, Out: os.Stdout}
	// Validated by loadConfig already; a sealed backup needs it, a
	// plaintext one does not.
	if opt.Identities, err = cfg.Identities(); err != nil {
		return err
	}
	if f.at != "" {
		if opt.At, err = parseWhen(f.at, time.Now(), true); err != nil {
			return usagef("--at: %v", err)
		}
	}
	if opt.Select, err = selectionFlags(f); err != nil {
		return err
	}
	if opt.Target, err = targetCredentials(f); err != nil {
		return err
	}
	if !f.dryRun && opt.Target.Host == "" {
		return usagef("--to HOST[:PORT] is required (or host= in the --defaults-extra-file)")
	}
	if progress.IsTerminal(os.Stderr) {
		opt.Progress = &progress.Meter{Out: os.Stderr, TTY: true}
	} else {
		opt.Progress = &progress.Meter{Log: log}
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	backups, warnings, err := app.Catalog(ctx, cfg, catalog.Filter{Region: f.region})
	if err != nil {
		return err
	}
	for _, w := range warnings {
		log.Warn("catalog incomplete", "err", w)
	}
	_, fetchers, err := app.Targets(cfg)
	if err != nil {
		return err
	}
	res, err := recovery.Run(ctx, backups, fetchers, opt)
	if res != nil && len(res.Tables) > 0 {
		res.PrintResult(os.Stdout)
	}
	if res != nil && res.Backup != nil && (err == nil || errors.Is(err, recovery.ErrRowsDiffer)) {
		recovery.PrintRollForward(os.Stdout, res.Backup)
	}
	if err == nil && !f.dryRun {
		fmt.Fprintf(os.Stdout, "restored %s: %d tables, rows equal to the manifest\n", res.Backup.File, len(res.Tables))
	}
	return err
}

// selectionFlags turns --databases, --tables and --into-database into a
// restore selection.
func selectionFlags(f restoreFlags) (restore.Selection, error) {
	s := restore.Selection{Databases: splitList(f.databases)}
	for _, t := range splitList(f.tables) {
		db, table, ok := strings.Cut(t, ".")
		if !ok || db == "" || table == "" {
			return s, usagef("--tables: %q is not db.table", t)
		}
		s.Tables = append(s.Tables, restore.TableName{Database: db, Table: table})
	}
	s.Into = f.into
	if err := s.Validate(); err != nil {
		return s, usagef("%v", err)
	}
	return s, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// targetCredentials reads the target's login: the option file first, then
// flags for host, port and user, then the environment for what is missing.
func targetCredentials(f restoreFlags) (mysqlx.Credentials, error) {
	var c mysqlx.Credentials
	if f.defaults != "" {
		var err error
		if c, err = mysqlx.ReadOptionFile(f.defaults); err != nil {
			return c, usagef("--defaults-extra-file: %v", err)
		}
	}
	if f.to != "" {
		host, port, err := splitHostPort(f.to)
		if err != nil {
			return c, usagef("--to: %v", err)
		}
		c.Host, c.Port, c.Socket = host, port, ""
	}
	switch {
	case f.user != "":
		c.User = f.user
	case c.User == "" && os.Getenv("GD_TARGET_USER") != "":
		c.User = os.Getenv("GD_TARGET_USER")
	case c.User == "":
		c.User = "root"
	}
	if c.Password == "" {
		pw, err := envSecret("GD_TARGET_PASSWORD")
		if err != nil {
			return c, err
		}
		c.Password = pw
	}
	return c, nil
}

// envSecret reads NAME, or the file NAME_FILE names (one trailing newline
// dropped); both set is an error, as for the service's own secrets.
func envSecret(name string) (config.Secret, error) {
	v, file := os.Getenv(name), os.Getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		return "", usagef("%s and %s_FILE are both set: use one", name, name)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", usagef("%s_FILE: %v", name, err)
		}
		return config.Secret(strings.TrimSuffix(string(b), "\n")), nil
	}
	return config.Secret(v), nil
}

func splitHostPort(s string) (string, int, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if strings.Contains(err.Error(), "missing port") {
			return s, mysqlx.DefaultPort, nil
		}
		return "", 0, err
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return "", 0, fmt.Errorf("port %q is not a port number", port)
	}
	return host, p, nil
}
