// Package restore is the stage that proves a backup: it leases a test
// server, loads the artifact into it, checks databases, tables and row counts
// against the manifest, and always drops what it restored. A backup that
// fails is quarantined and never shipped nor made latest.
//
// A sealed artifact is decrypted on the way in with the worker's
// identities. A worker whose keys open none of its recipients excludes the
// region with that reason and leaves the backup where it is: the fault is
// the worker's configuration, not the backup's.
package restore

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gravedancer/internal/config"
	"gravedancer/internal/job"
	"gravedancer/internal/lease"
	"gravedancer/internal/mysqlx"
	"gravedancer/internal/pipeline"
	engine "gravedancer/internal/restore"
	"gravedancer/internal/seal"
	"gravedancer/internal/store"
)

// Loader streams an artifact into a server.
type Loader interface {
	Load(ctx context.Context, artifact, compression string, t engine.Target, opt engine.LoadOptions) (*engine.LoadResult, error)
}

// Leaser hands out exclusive use of a test server.
type Leaser interface {
	Acquire(ctx context.Context, servers []string) (*lease.Lease, context.Context, error)
}

// Spool is what the stage needs of the store.
type Spool interface {
	Quarantine(path, reason string) (string, error)
}

// Stage restores and verifies artifacts.
type Stage struct {
	Servers  []string // host:port of the test servers
	User     string
	Password config.Secret
	Checks   engine.Checks
	// StripDefiners restores views, triggers and routines as owned by the
	// restore user, for restore users without SET USER.
	StripDefiners bool
	Loader        Loader
	// Fallback loads dumps the Loader declines with
	// engine.ErrEngineUnsupported (the client, behind the engine); nil
	// when the Loader is the client already.
	Fallback Loader
	Leases   Leaser
	Spool    Spool
	Logger   *slog.Logger
	// Identities open sealed artifacts; nil on a worker without
	// GD_DECRYPT_IDENTITY_FILE.
	Identities *seal.Identities

	warned sync.Map // test servers already warned about sql_log_bin
}

var _ pipeline.Stage = (*Stage)(nil)

// Name implements pipeline.Stage.
func (s *Stage) Name() string { return job.StageRestore }

// Handle restores j's artifact on a leased test server.
func (s *Stage) Handle(ctx context.Context, j *job.Job) (*job.Job, error) {
	if j.Manifest == nil || j.Artifact == nil {
		return nil, pipeline.Exclude("%v: job reached restore without an artifact and manifest", job.ErrMalformed)
	}
	if err := s.canOpen(j); err != nil {
		// Before a test server is leased: nothing to do there.
		return nil, err
	}
	l, lctx, err := s.Leases.Acquire(ctx, s.Servers)
	if err != nil {
		return nil, err
	}
	defer func() { _ = l.Release(context.WithoutCancel(ctx)) }()
	started := time.Now()
	res, err := s.restoreOn(lctx, l.Server, j)
	if err != nil {
		if cause := context.Cause(lctx); errors.Is(cause, lease.ErrLost) {
			return nil, cause // someone else has the server now: retry elsewhere
		}
		return nil, s.fail(j, l.Server, err)
	}
	j.Restore = res
	v := store.Verification{Run: j.Run, At: time.Now().UTC(), TestServer: l.Server, Mode: res.Mode,
		Databases: res.Databases, Tables: res.Tables, RowsVerified: res.RowsVerified, Duration: time.Since(started).Round(time.Millisecond).String()}
	if err := store.MarkVerified(j.Artifact.Path, v); err != nil {
		return nil, fmt.Errorf("record verification of %s: %w", j.Artifact.Path, err)
	}
	s.Logger.Info("restore verified", "region", j.Region, "run", j.Run, "test_server", l.Server,
		"mode", res.Mode, "method", res.Method, "connections", res.Connections, "tables", res.Tables, "rows_verified", res.RowsVerified, "took", time.Since(started).Round(time.Millisecond))
	return j, nil
}

// fail turns a restore failure into a retry (the test server is unreachable:
// not the backup's fault) or an exclusion with the backup quarantined.
func (s *Stage) fail(j *job.Job, server string, err error) error {
	if errors.Is(err, seal.ErrNoIdentity) {
		return s.noIdentity(j, err)
	}
	var le *engine.LoadError
	var ce *engine.CheckError
	backupFault := errors.As(err, &ce) || (errors.As(err, &le) && !le.TestServerFault())
	if !backupFault {
		// The test server or the restore user failed, not the backup:
		// retry, and exclude with this reason if it persists, but never
		// quarantine a backup that may well be good.
		return fmt.Errorf("restore on %s: %w", server, err)
	}
	return s.exclude(j, fmt.Sprintf("restore on %s: %v", server, err))
}

// exclude excludes j for a fault of its backup, which is quarantined with
// its sidecars unless this is an audit.
func (s *Stage) exclude(j *job.Job, reason string) error {
	if j.Purpose == job.PurposeVerify {
		// An audit of a backup that restored before: the failure is
		// reported and kept in the catalog, and the operator decides. It
		// may be the test server that changed.
		return pipeline.Exclude("%s; the backup is left in place", reason)
	}
	q, qerr := s.Spool.Quarantine(j.Artifact.Path, reason)
	for _, side := range store.Sidecars(j.Artifact.Path)[1:] {
		_, _ = s.Spool.Quarantine(side, reason)
	}
	switch {
	case qerr != nil:
		reason += fmt.Sprintf(" (and quarantine failed: %v)", qerr)
	case q != "":
		reason += "; quarantined as " + q
	}
	return pipeline.Exclude("%s", reason)
}

// restoreOn loads and checks on one server, and drops what it restored
// whatever happened, so the next restore starts clean.
func (s *Stage) restoreOn(ctx context.Context, server string, j *job.Job) (*job.Restore, error) {
	target, err := s.target(server)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("mysql", mysqlx.DSN(mysqlx.Credentials{Host: target.Host, Port: target.Port, User: target.User, Password: target.Password}))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	dbs := userDatabases(j.Manifest.Databases)
	if slices.ContainsFunc(dbs, func(n string) bool { return strings.EqualFold(n, engine.LedgerSchema) }) {
		return nil, &engine.CheckError{Reason: fmt.Sprintf("the dump contains a database named %s, which gravedancer keeps on test servers; it cannot be restored there", engine.LedgerSchema)}
	}
	if err := s.clean(ctx, db, server); err != nil {
		return nil, err
	}
	if err := engine.DropDatabases(ctx, db, dbs); err != nil {
		return nil, fmt.Errorf("clean test server before restore: %w", err)
	}
	if err := engine.MarkRestoring(ctx, db, j.Region, j.Run, dbs); err != nil {
		return nil, err
	}
	defer func() {
		ctx := context.WithoutCancel(ctx)
		err := engine.DropDatabases(ctx, db, dbs)
		if err == nil {
			err = engine.ClearRestoring(ctx, db, dbs)
		}
		if err != nil {
			// The ledger still lists them: the janitor drops them once the
			// server answers again.
			s.Logger.Error("could not drop restored databases; left for the janitor", "test_server", server, "region", j.Region, "err", err)
		}
	}()
	opts := engine.LoadOptions{NoBinlog: s.binlogOff(ctx, db, server), StripDefiners: s.StripDefiners}
	if j.Manifest.Sealed() {
		opts.Decrypt = &engine.Decrypt{Identities: s.Identities, RawSHA256: j.Manifest.RawSHA256}
	}
	res, fallback, err := s.load(ctx, j, target, opts)
	if res != nil && len(union(dbs, res.Databases)) > len(dbs) {
		dbs = union(dbs, res.Databases) // a failed load may have begun some
		if merr := engine.MarkRestoring(context.WithoutCancel(ctx), db, j.Region, j.Run, dbs); merr != nil && err == nil {
			err = merr
		}
	}
	if err != nil {
		return nil, err
	}
	if err := engine.CheckLoaded(res, j.Manifest); err != nil {
		return nil, err
	}
	v, err := engine.Verify(ctx, db, j.Manifest, s.Checks)
	if err != nil {
		return nil, err
	}
	return &job.Restore{TestServer: server, Mode: string(s.Checks.Mode), Databases: v.Databases, Tables: v.Tables,
		RowsVerified: v.RowsVerified, Statements: res.Statements, Method: res.Method, Connections: res.Connections,
		Fallback: fallback}, nil
}

// load runs the Loader, and the Fallback for a dump the Loader declines;
// fallback is the reason it was needed.
func (s *Stage) load(ctx context.Context, j *job.Job, t engine.Target, opts engine.LoadOptions) (res *engine.LoadResult, fallback string, err error) {
	res, err = s.Loader.Load(ctx, j.Artifact.Path, j.Artifact.Compression, t, opts)
	if !errors.Is(err, engine.ErrEngineUnsupported) || s.Fallback == nil {
		return res, "", err
	}
	fallback = err.Error()
	s.Logger.Warn("restore engine declined the dump; loading it with the client", "region", j.Region, "run", j.Run, "reason", fallback)
	res, err = s.Fallback.Load(ctx, j.Artifact.Path, j.Artifact.Compression, t, opts)
	return res, fallback, err
}

func (s *Stage) target(server string) (engine.Target, error) {
	host, port, err := net.SplitHostPort(server)
	if err != nil {
		return engine.Target{}, fmt.Errorf("test server %q: %w", server, err)
	}
	p, _ := strconv.Atoi(port)
	return engine.Target{Host: host, Port: p, User: s.User, Password: s.Password}, nil
}

// binlogOff asks whether the restore may keep itself out of the test
// server's binary log, and warns once per server when it may not.
func (s *Stage) binlogOff(ctx context.Context, db *sql.DB, server string) bool {
	ok, err := engine.BinlogAllowed(ctx, db)
	if err == nil && ok {
		return true
	}
	if _, seen := s.warned.LoadOrStore(server, true); !seen {
		s.Logger.Warn("restore user may not SET sql_log_bin=0; restores will be written to the test server's binary log",
			"test_server", server, "user", s.User, "err", err)
	}
	return false
}

func userDatabases(names []string) []string {
	var out []string
	for _, n := range names {
		if !mysqlx.SystemSchema(n) {
			out = append(out, n)
		}
	}
	return out
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range append(append([]string{}, a...), b...) {
		if !seen[n] && !mysqlx.SystemSchema(n) {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// canOpen runs before a sealed artifact is loaded. It unwraps the file key
// with the worker's identities, and then re-reads the whole ciphertext
// against the manifest's sha256. age authenticates each 64 KiB chunk only
// as the load reaches it, so a file changed since the check stage would
// otherwise have its earlier chunks executed on the test server before
// the damage was found; one sequential read of the file costs little next
// to a restore. Any other trouble (a missing file) is left to the load,
// which says what it is.
func (s *Stage) canOpen(j *job.Job) error {
	if !j.Manifest.Sealed() {
		return nil
	}
	f, err := os.Open(j.Artifact.Path)
	if err != nil {
		return nil
	}
	_, err = seal.Decrypt(bufio.NewReader(f), s.Identities)
	f.Close()
	if errors.Is(err, seal.ErrNoIdentity) {
		return s.noIdentity(j, err)
	}
	switch err := store.Verify(j.Artifact.Path, j.Manifest); {
	case errors.Is(err, store.ErrCorrupt):
		return s.exclude(j, "before restore: "+err.Error())
	case err != nil:
		return err // I/O trouble: retry
	}
	return nil
}

// noIdentity excludes without quarantine. Retrying would not help: every
// delivery comes back to a worker with the same keys, and an operator must
// install the right one. The backup stays where it is, and the next
// restore, or `gravedancer verify`, proves it once they have.
func (s *Stage) noIdentity(j *job.Job, err error) error {
	var keys []string
	if j.Manifest.Sealed() {
		for _, k := range j.Manifest.Encryption.Recipients {
			keys = append(keys, seal.Short(k))
		}
	}
	s.Logger.Error("cannot decrypt the artifact: check GD_DECRYPT_IDENTITY_FILE", "region", j.Region, "run", j.Run,
		"artifact", j.Artifact.Path, "recipients", keys, "identities", s.Identities.Public())
	return pipeline.Exclude("%s; it is sealed to %s: give the restore workers GD_DECRYPT_IDENTITY_FILE with a key of one of them; the backup is left in place, not quarantined",
		cause(err), strings.Join(keys, ", "))
}

// cause is the sentinel's text plus what the seal package added, without
// the path prefixes the layers put in front of it.
func cause(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, seal.ErrNoIdentity.Error()); i >= 0 {
		return msg[i:]
	}
	return msg
}
