// Package recovery restores a backup for real: onto a server someone needs
// the data back on, whole or in part, under its own name or another. It is
// the careful twin of the restore stage's test: it picks the newest backup
// the catalog trusts, brings it back from a ship target when the spool no
// longer holds it, proves the file against its manifest before the target
// sees a single statement, refuses to overwrite data unless told to, and
// ends by comparing every restored table's rows with the manifest.
package recovery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"gravedancer/internal/catalog"
	"gravedancer/internal/job"
	"gravedancer/internal/mysqlx"
	"gravedancer/internal/restore"
	"gravedancer/internal/seal"
	"gravedancer/internal/store"
)

// Options describe one restore.
type Options struct {
	Region   string
	At       time.Time // newest trusted backup at or before; zero = latest
	Artifact string    // a backup named by path or file name; wins over At
	Target   mysqlx.Credentials
	Select   restore.Selection
	Parallel int  // engine connections; 0 = the engine's default
	DryRun   bool // print the plan, touch nothing
	Force    bool // drop target databases that already exist
	NoBinlog bool // SET sql_log_bin=0: the restore is not replicated
	WorkDir  string
	// Identities open a sealed backup (GD_DECRYPT_IDENTITY_FILE); nil
	// restores plaintext backups only.
	Identities *seal.Identities
	Progress   ProgressSink // nil = none
	Out        io.Writer    // the plan, what happens, the result table
}

// ProgressSink shows a restore's progress against the plan's totals.
type ProgressSink interface {
	Start(totalBytes, totalRows int64)
	Update(bytes, rows int64)
	Done()
}

// Fetcher is a ship target that can give a copy back.
type Fetcher interface {
	Name() string
	Fetch(ctx context.Context, location, dir string) (artifact, manifest string, err error)
}

// Result is what a restore did.
type Result struct {
	Backup    *catalog.Backup
	Path      string // the artifact restored (local or fetched)
	FetchedBy string // the target it came from; "" when local
	Plan      *Plan
	Load      *restore.LoadResult
	Tables    []TableResult
}

// TableResult compares one table's rows after the restore.
type TableResult struct {
	Database, Table string // as restored (the --into-database name)
	Want, Got       int64
}

// OK says whether every table has the rows the manifest promised.
func (r *Result) OK() bool {
	for _, t := range r.Tables {
		if t.Want != t.Got {
			return false
		}
	}
	return len(r.Tables) > 0 || (r.Plan != nil && len(r.Plan.Tables) == 0)
}

// Run restores what opt asks from the catalog's backups.
func Run(ctx context.Context, backups []*catalog.Backup, fetchers []Fetcher, opt Options) (*Result, error) {
	if err := opt.Select.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	b, err := choose(backups, opt)
	if err != nil {
		return nil, err
	}
	res := &Result{Backup: b}
	if b.Manifest != nil {
		if res.Plan, err = NewPlan(b.Manifest, opt.Select); err != nil {
			return nil, err
		}
		res.Plan.Print(opt.Out, b, opt)
	}
	if opt.DryRun {
		if b.Manifest == nil {
			return res, fmt.Errorf("%w: the catalog has no manifest for %s; the plan needs one (run without --dry-run to fetch it)", ErrUnavailable, b.File)
		}
		fmt.Fprintln(opt.Out, "dry run: nothing fetched, nothing sent to the target")
		return res, nil
	}
	if err := obtain(ctx, res, fetchers, opt); err != nil {
		return res, err
	}
	return res, load(ctx, res, opt)
}

func choose(backups []*catalog.Backup, opt Options) (*catalog.Backup, error) {
	if opt.Artifact != "" {
		b, err := catalog.Find(backups, opt.Artifact)
		if err != nil {
			return nil, err
		}
		if opt.Region != "" && b.Region != opt.Region {
			return nil, fmt.Errorf("%w: %s belongs to region %s, not %s", ErrUsage, b.File, b.Region, opt.Region)
		}
		return b, nil
	}
	return catalog.Pick(backups, opt.Region, opt.At)
}

// obtain finds the artifact on disk — the spool, or a copy fetched from a
// ship target — and proves it against its manifest.
func obtain(ctx context.Context, res *Result, fetchers []Fetcher, opt Options) error {
	b := res.Backup
	if b.Local != "" && exists(b.Local) {
		res.Path = b.Local
	} else if err := fetch(ctx, res, fetchers, opt); err != nil {
		return err
	}
	if b.Manifest == nil {
		return fmt.Errorf("%s: no manifest to check it against", res.Path)
	}
	if res.Plan == nil {
		var err error
		if res.Plan, err = NewPlan(b.Manifest, opt.Select); err != nil {
			return err
		}
		res.Plan.Print(opt.Out, b, opt)
	}
	if b.Manifest.Sealed() {
		// The whole file is decrypted and checked here, before the target
		// sees a statement: age authenticates chunk by chunk as it reads,
		// so a damaged last chunk would otherwise be found only after the
		// rest had been restored.
		fmt.Fprintf(opt.Out, "checking %s against its manifest (sha256, decryption, decompression, dump hash)\n", res.Path)
		if opt.Identities.Len() == 0 {
			return fmt.Errorf("%w: %s is sealed with age: set GD_DECRYPT_IDENTITY_FILE to a file holding a key of one of its recipients (%s); nothing was sent to the target",
				seal.ErrNoIdentity, b.File, shortKeys(b.Manifest.Encryption.Recipients))
		}
	} else {
		fmt.Fprintf(opt.Out, "checking %s against its manifest (sha256, decompression, dump hash)\n", res.Path)
	}
	if err := store.VerifyWith(res.Path, b.Manifest, opt.Identities); err != nil {
		if errors.Is(err, seal.ErrNoIdentity) {
			return fmt.Errorf("%w; it is sealed to %s; nothing was sent to the target", err, shortKeys(b.Manifest.Encryption.Recipients))
		}
		return fmt.Errorf("%w: %v; nothing was sent to the target", ErrCorrupt, err)
	}
	return nil
}

func fetch(ctx context.Context, res *Result, fetchers []Fetcher, opt Options) error {
	b := res.Backup
	if len(b.Copies) == 0 {
		return fmt.Errorf("%w: %s is not in the spool and no ship target is known to hold it", ErrUnavailable, b.File)
	}
	dir, err := os.MkdirTemp(opt.WorkDir, "fetch-")
	if err != nil {
		return fmt.Errorf("fetch %s: %w", b.File, err)
	}
	var errs []error
	for _, cp := range b.Copies {
		f := fetcherFor(fetchers, cp.Target)
		if f == nil {
			errs = append(errs, fmt.Errorf("%s: not configured here (GD_SHIP)", cp.Target))
			continue
		}
		fmt.Fprintf(opt.Out, "fetching %s from %s (%s)\n", b.File, cp.Target, cp.Location)
		art, man, err := f.Fetch(ctx, cp.Location, dir)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", cp.Target, err))
			continue
		}
		if err := adoptManifest(b, man); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", cp.Target, err))
			continue
		}
		res.Path, res.FetchedBy = art, cp.Target
		return nil
	}
	_ = os.RemoveAll(dir)
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, b.File, errors.Join(errs...))
}

// adoptManifest takes the fetched manifest when the catalog had none, and
// otherwise insists it is the same backup.
func adoptManifest(b *catalog.Backup, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("fetched manifest: %w", err)
	}
	m, err := job.DecodeManifest(data)
	if err != nil {
		return fmt.Errorf("fetched manifest %s: %w", path, err)
	}
	if b.Manifest != nil && b.Manifest.SHA256 != m.SHA256 {
		return fmt.Errorf("fetched manifest says sha256 %s, the catalog %s", m.SHA256, b.Manifest.SHA256)
	}
	if b.Manifest == nil {
		b.Manifest = m
	}
	return nil
}

func fetcherFor(fs []Fetcher, name string) Fetcher {
	for _, f := range fs {
		if f.Name() == name {
			return f
		}
	}
	return nil
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func shortKeys(keys []string) string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, seal.Short(k))
	}
	return strings.Join(out, ", ")
}

// load makes room on the target, restores, and compares rows.
func load(ctx context.Context, res *Result, opt Options) error {
	db, err := sql.Open("mysql", mysqlx.DSN(opt.Target))
	if err != nil {
		return fmt.Errorf("target %s: %w", target(opt), err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrTarget, target(opt), err)
	}
	if err := makeRoom(ctx, db, res.Plan, opt); err != nil {
		return err
	}
	eng := &restore.Engine{Parallel: opt.Parallel}
	sel := opt.Select
	t := restore.Target{Host: opt.Target.Host, Port: opt.Target.Port, User: opt.Target.User, Password: opt.Target.Password}
	fmt.Fprintf(opt.Out, "restoring into %s\n", target(opt))
	lo := restore.LoadOptions{NoBinlog: opt.NoBinlog, Select: selection(sel)}
	if res.Backup.Manifest.Sealed() {
		lo.Decrypt = &restore.Decrypt{Identities: opt.Identities, RawSHA256: res.Backup.Manifest.RawSHA256}
	}
	if ps := opt.Progress; ps != nil {
		ps.Start(res.Backup.Manifest.RawBytes, res.Plan.Rows)
		lo.Progress = func(p restore.Progress) { ps.Update(p.Bytes, p.Rows) }
		defer ps.Done()
	}
	res.Load, err = eng.Load(ctx, res.Path, res.Backup.Manifest.Compression, t, lo)
	if err != nil {
		return fmt.Errorf("restore %s into %s: %w", res.Backup.File, opt.Target.Addr(), err)
	}
	if res.Tables, err = compare(ctx, db, res.Plan); err != nil {
		return err
	}
	if !res.OK() {
		return ErrRowsDiffer
	}
	return nil
}

func selection(s restore.Selection) *restore.Selection {
	if len(s.Databases) == 0 && len(s.Tables) == 0 && s.Into == "" {
		return nil
	}
	return &s
}

// makeRoom refuses to write into databases (or, for a partial restore,
// tables) that exist on the target, or with Force drops them after saying so.
func makeRoom(ctx context.Context, db *sql.DB, p *Plan, opt Options) error {
	dbs, tables := p.Conflicts()
	var present []string
	var drops []string
	for _, name := range dbs {
		ok, err := found(ctx, db, "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?", name)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrTarget, target(opt), err)
		}
		if ok {
			present = append(present, "database "+name)
			drops = append(drops, "DROP DATABASE "+mysqlx.QuoteIdent(name))
		}
	}
	for _, t := range tables {
		ok, err := found(ctx, db, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", t[0], t[1])
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrTarget, target(opt), err)
		}
		if ok {
			present = append(present, "table "+t[0]+"."+t[1])
			drops = append(drops, "DROP TABLE "+mysqlx.QuoteIdent(t[0])+"."+mysqlx.QuoteIdent(t[1]))
		}
	}
	if len(present) == 0 {
		return nil
	}
	if !opt.Force {
		return fmt.Errorf("%w: %s already exist on %s; restore beside them with --into-database NAME, or --force to drop and replace them",
			ErrTargetExists, strings.Join(present, ", "), target(opt))
	}
	for i, q := range drops {
		fmt.Fprintf(opt.Out, "--force: dropping %s on %s\n", present[i], target(opt))
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%w: drop %s on %s: %v", ErrTarget, present[i], target(opt), err)
		}
	}
	return nil
}

func found(ctx context.Context, db *sql.DB, q string, args ...any) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, q, args...).Scan(&n)
	return n > 0, err
}

// compare counts every planned table on the target.
func compare(ctx context.Context, db *sql.DB, p *Plan) ([]TableResult, error) {
	out := make([]TableResult, 0, len(p.Tables))
	for _, t := range p.Tables {
		r := TableResult{Database: t.Into, Table: t.Table, Want: t.Rows, Got: -1}
		q := "SELECT COUNT(*) FROM " + mysqlx.QuoteIdent(t.Into) + "." + mysqlx.QuoteIdent(t.Table)
		if err := db.QueryRowContext(ctx, q).Scan(&r.Got); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			r.Got = -1 // missing or unreadable: shown as such, and fails the restore
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b TableResult) int {
		if a.Database != b.Database {
			if a.Database < b.Database {
				return -1
			}
			return 1
		}
		if a.Table < b.Table {
			return -1
		}
		if a.Table > b.Table {
			return 1
		}
		return 0
	})
	return out, nil
}
