// Package restore loads a dump artifact into a MariaDB/MySQL server and proves
// what it holds.
//
// A backup only counts once it has been restored on a test server and
// checked. Load replays an artifact through the sqldump scanner into one
// mariadb (or mysql) client process, leaving out everything that would touch
// the test server's own system schemas, accounts or plugins; Verify then
// compares the restored server with the dump's manifest; DropDatabases
// clears the restored databases away again.
//
// # The restore user
//
// The minimal grants for the account Load runs as, on the test server
// (global, because database names differ per region; found by loading the
// sample with each privilege left out in turn on MariaDB 10.11):
//
//	GRANT SELECT, INSERT, CREATE, DROP, ALTER, LOCK TABLES, CREATE VIEW,
//	      TRIGGER, EVENT, CREATE ROUTINE, ALTER ROUTINE ON *.* TO restoreuser@host;
//
// SELECT also serves Verify, DROP also DropDatabases. INDEX is not needed
// for mariadb-dump output (indexes are part of CREATE TABLE) but is for
// dumps with separate CREATE INDEX statements. On top of these, one of:
//
//   - SET USER (MariaDB 10.5.2+; SUPER before), so that views, triggers,
//     routines and events keep the DEFINER the dump names (mariadb-dump writes
//     DEFINER=`root`@`localhost` and the like). Without it the server refuses
//     the first such object: ERROR 1227 (42000) ... you need (at least one
//     of) the SUPER, SET USER privilege(s).
//   - LoadOptions.StripDefiners, which removes those DEFINER clauses, so the
//     objects are owned by the restore user instead.
//
// If the test server writes a binlog, a user without SUPER also needs the
// server set to log_bin_trust_function_creators=ON, or creating the dump's
// functions and triggers fails with ERROR 1419, whatever sql_log_bin says.
// BINLOG ADMIN (or SUPER) is only needed for LoadOptions.NoBinlog; see
// BinlogAllowed.
//
// # The test server
//
// A restore replaces databases by name, and every region has the same
// names (keystone, nova, ...): restores onto one test server must run one
// at a time. Events are restored with the status they had; run the test
// server with event_scheduler=OFF so that enabled ones do not fire there.
package restore

import (
	"context"
	"errors"
	"fmt"
	"os"

	"gravedancer/internal/config"
	"gravedancer/internal/mysqlx"
	"gravedancer/internal/sqldump"
)

// Target is the test server a dump is restored into.
type Target struct {
	Host     string
	Port     int
	User     string
	Password config.Secret
}

// Loader runs the client that loads artifacts.
type Loader struct {
	Tool    string // "auto" (mariadb, else mysql, via exec.LookPath), a name, or a path
	TempDir string // where the 0600 defaults file goes (created 0700 if missing)
}

// LoadOptions tune one load.
type LoadOptions struct {
	// NoBinlog prefixes the session with SET SESSION sql_log_bin=0, so a test
	// server that writes a binlog does not ship the restore to replicas. The
	// user needs BINLOG ADMIN or SUPER (see BinlogAllowed).
	NoBinlog bool
	// StripDefiners removes the DEFINER=user@host clause from CREATE VIEW,
	// TRIGGER, PROCEDURE, FUNCTION and EVENT statements, so a restore user
	// without SET USER/SUPER can create them; they are then owned by that
	// user. Off, the dump's definers are kept as they are.
	StripDefiners bool
	// Select restores only part of the dump; nil restores every user database (system schemas are always skipped unless named in Select.Databases).
	// Only the Engine supports it: Loader.Load returns ErrSelectNeedsEngine.
	// Engine.Load checks it with Selection.Validate before touching anything.
	Select *Selection
	// Decrypt, when set, opens an artifact sealed with age and checks the
	// plaintext dump against its manifest's hash; it must be set for a
	// sealed artifact and unset for a plaintext one.
	Decrypt *Decrypt
	// Progress, when set, is called from the loading goroutine about every 256 KiB of decompressed input and once at the end, with cumulative figures. It must return quickly.
	// The last call, made once the run has ended (successfully or not),
	// has every byte read and every row accepted. The client Loader
	// reports Rows as 0: it tallies none.
	Progress func(Progress)
}

// LoadResult is what a load sent and left out.
type LoadResult struct {
	// Databases are the user databases the dump created/used, in order
	// (system schemas excluded); with a Selection, the selected ones (a
	// system schema too when selected), under the names they were restored
	// as (Selection.Into).
	Databases  []string
	Statements int64 // statements sent, DELIMITER commands included
	// Skipped counts statements dropped because they belong to a system
	// schema (everything in its `-- Current Database:` section, the footer
	// included when that section is the last), change accounts, grants,
	// plugins or federated servers, or were left out by LoadOptions.Select.
	// Statements+Skipped is every statement of the dump, the manifest's
	// Statements.
	Skipped int64

	Method      string // MethodEngine or MethodClient
	Connections int    // the engine's connections; 1 for the client
	// Loaded is the engine's tally of rows per table, from the INSERTs
	// the server accepted; nil from the client, which reports none. It
	// holds only restored tables, keyed by the names they were restored
	// as (Selection.Into).
	Loaded map[TableName]int64

	seen map[string]bool // Databases, as a set
}

// The two ways to load a dump.
const (
	MethodEngine = "engine" // Engine: statements executed over several connections
	MethodClient = "client" // Loader: piped into one mariadb/mysql client
)

// TableName is a table of the dump.
type TableName struct{ Database, Table string }

// noteDatabase adds db to Databases the first time it is seen.
func (r *LoadResult) noteDatabase(db string) {
	if db == "" || r.seen[db] {
		return
	}
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	r.seen[db] = true
	r.Databases = append(r.Databases, db)
}

// Load streams the artifact (decompressing) through the sqldump scanner into
// one client process reading stdin, with the credentials in a 0600
// --defaults-extra-file that is removed afterwards whatever happens.
//
// Statements are re-emitted on the lines they had in the dump (what is left
// out becomes blank lines), so the "at line N" of a client error is the line
// of the decompressed dump. Only one statement is in memory at a time.
//
// Errors: a failing client or an unreadable artifact is a *LoadError; a
// canceled ctx kills the client's process group and returns an error
// wrapping ctx.Err(). The result is returned even on error, so the caller
// can drop the databases the load had begun to create. A load with
// opt.Select fails with ErrSelectNeedsEngine before anything happens.
func (l *Loader) Load(ctx context.Context, artifact, compression string, t Target, opt LoadOptions) (*LoadResult, error) {
	res := &LoadResult{Method: MethodClient, Connections: 1}
	if opt.Select != nil {
		return res, fmt.Errorf("%w: the mariadb client replays a dump whole; use the Engine", ErrSelectNeedsEngine)
	}
	in, err := openArtifact(artifact, compression, opt.Decrypt)
	if err != nil {
		return res, err
	}
	defer in.Close()
	tool, err := resolveTool(l.Tool)
	if err != nil {
		return res, err
	}
	defaults, err := l.writeDefaults(t)
	if err != nil {
		return res, err
	}
	defer os.Remove(defaults)

	c, err := startClient(ctx, tool, defaults)
	if err != nil {
		return res, err
	}
	f := newFeeder(artifact, c.stdin, opt, res)
	counted := &countingReader{r: in}
	f.progress = newProgressTicker(opt.Progress, counted)
	feedErr := f.run(c.feedCtx, sqldump.NewScanner(counted, sqldump.Options{KeepText: true}))
	err = c.finish(ctx, feedErr)
	f.progress.tick(true, res.Statements, noRows)
	return res, err
}

// writeDefaults puts the credentials in a 0600 file in TempDir, whose mode
// 0700 keeps even its file names private.
func (l *Loader) writeDefaults(t Target) (string, error) {
	dir := l.TempDir
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("restore: temp dir: %w", err)
	}
	path, err := mysqlx.WriteDefaultsFile(dir, mysqlx.Credentials{
		Host: t.Host, Port: t.Port, User: t.User, Password: t.Password,
	})
	if err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	return path, nil
}

// artifactError marks a failure to read the artifact (decompression or the
// scanner), as opposed to a failure to write to the client.
type artifactError struct{ err error }

func (e *artifactError) Error() string { return e.err.Error() }
func (e *artifactError) Unwrap() error { return e.err }

// errClientGone is a write to a client that has stopped reading.
var errClientGone = errors.New("client stopped reading its input")
