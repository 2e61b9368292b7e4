// Package dumper takes one logical backup of one server: it runs
// mariadb-dump or mysqldump with the credentials in a private defaults file,
// and makes a single pass over the tool's output that hashes it, counts rows
// per table with the sqldump lexer, compresses it, seals it with age when
// recipients are configured, and writes it to the spool. Sealing happens in
// the same pass, so no plaintext byte of the dump ever reaches the disk.
// When the source writes a binary log, the tool is asked for the log's
// coordinates at the dump's snapshot, which the manifest then carries.
//
// The core promise is that a failed dump never looks like a backup. Only a
// tool that exited 0 and whose output ends with the "-- Dump completed"
// footer is committed under its final name, with a manifest beside it;
// anything else is moved to the spool's quarantine (or removed when the tool
// wrote nothing) and reported as an *Error.
package dumper

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"gravedancer/internal/codec"
	"gravedancer/internal/config"
	"gravedancer/internal/job"
	"gravedancer/internal/mysqlx"
	"gravedancer/internal/seal"
	"gravedancer/internal/store"
)

// Options configure every dump a Dumper takes. The zero value means auto
// tool, single-transaction, gzip at its default level, no timeout, and
// defaults files in the system temp dir.
type Options struct {
	Tool        string        // "auto" (mariadb-dump, else mysqldump, via PATH), a name, or a path
	ExtraFlags  []string      // appended to the tool's arguments; never credentials
	Consistency string        // "single-transaction" (--single-transaction --quick), "lock-all" (--lock-all-tables), "none"
	Compression string        // "gzip" | "zstd"
	Level       int           // 0 = default (gzip 6, zstd 3); gzip 1-9, zstd 1-22
	Timeout     time.Duration // whole dump; on expiry the tool is killed; 0 = none
	TempDir     string        // where defaults files go (the state dir); created 0700 if missing
	// Recipients, when set, seal every artifact with age after
	// compression: the artifact is <name>.sql.gz.age (or .sql.zst.age).
	// nil writes plaintext; the caller decides whether that is allowed.
	Recipients *seal.Recipients
}

// Source is the server to dump.
type Source struct {
	Region   string
	Host     string
	Port     int
	User     string
	Password config.Secret
}

// Dumper takes dumps into Spool.
type Dumper struct {
	Spool *store.Spool
	Opts  Options
	Now   func() time.Time // nil = time.Now

	// hook, when set (tests only), is called once from the read loop after
	// hookAfter raw bytes have arrived, with the tool's pid. The tool is still
	// running meanwhile: it blocks on its full stdout pipe.
	hook      func(pid int)
	hookAfter int64
	// probe, when set (tests only), replaces the binary log check against
	// the source.
	probe binlogProbe
}

// plan is everything decided before the tool runs.
type plan struct {
	toolPath    string
	tool        string // base name of toolPath
	compression string
	level       int
	flags       []string // argv after the binary, without the defaults file, binlog flags included
	final       string   // the artifact's path
	sealed      bool     // encrypted to Options.Recipients
}

// Dump runs the tool once and streams its stdout in one pass through raw
// sha256 + md5, sqldump.Count, compression, and the compressed sha256 into a
// temp file beside the final artifact; on success the file is fsynced and
// committed, then the manifest is written beside it. run is the pipeline's
// run id, recorded in the manifest.
//
// Every failure is an *Error, and leaves neither artifact nor manifest
// behind. The defaults file holding the password is removed before Dump
// returns, whatever happened.
func (d *Dumper) Dump(ctx context.Context, src Source, run string) (*job.Artifact, *job.Manifest, error) {
	started := d.now()
	p, err := d.plan(ctx, src, started)
	if err != nil {
		return nil, nil, &Error{Region: src.Region, Tool: toolLabel(d.Opts.Tool), Err: err}
	}
	defaults, err := d.writeDefaults(src)
	if err != nil {
		return nil, nil, &Error{Region: src.Region, Tool: p.tool, Err: err}
	}
	defer os.Remove(defaults)

	tmp, err := store.CreateTemp(p.final)
	if err != nil {
		return nil, nil, &Error{Region: src.Region, Tool: p.tool, Err: diskFull(err, p.final)}
	}
	args := append([]string{"--defaults-extra-file=" + defaults}, p.flags...)
	res := runTool(ctx, d.Opts.Timeout, p.toolPath, args, tmp, streamConfig{Compression: p.compression, Level: p.level, Seal: d.Opts.Recipients}, d.onStart())
	if e := d.failure(src, p, res); e != nil {
		e.Quarantined = d.discard(tmp, res, e)
		return nil, nil, e
	}
	// Another dump of the region may have committed the name planned
	// meanwhile (two runs in the same second): take the next free one.
	final, err := tmp.CommitNew(func() string { return d.Spool.NewArtifactPath(src.Region, started, p.compression, p.sealed) })
	if err != nil {
		return nil, nil, &Error{Region: src.Region, Tool: p.tool, Err: diskFull(err, p.final)}
	}
	p.final = final
	m := d.manifest(src, run, p, res.stream, started)
	return d.writeManifest(src, p, m)
}

func (d *Dumper) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// plan checks the options and decides the argv. It asks the source about
// its binary log last, so that bad options fail without touching it.
func (d *Dumper) plan(ctx context.Context, src Source, started time.Time) (*plan, error) {
	if d.Spool == nil {
		return nil, errors.New("no spool configured")
	}
	if !config.ValidRegionName(src.Region) {
		// The name becomes part of a file name: refuse anything that could
		// climb out of the spool.
		return nil, fmt.Errorf("region name %q: use only letters, digits, - and _", src.Region)
	}
	comp, level, err := compression(d.Opts.Compression, d.Opts.Level)
	if err != nil {
		return nil, err
	}
	cons, err := consistencyFlags(d.Opts.Consistency)
	if err != nil {
		return nil, err
	}
	if err := checkExtraFlags(d.Opts.ExtraFlags); err != nil {
		return nil, err
	}
	path, err := resolveTool(d.Opts.Tool)
	if err != nil {
		return nil, err
	}
	flags := append([]string{"--all-databases", "--routines", "--events", "--triggers"}, binaryCharset)
	flags = append(flags, cons...)
	// Before ExtraFlags, so that an operator's flag has the last word.
	flags = append(flags, d.binlogFlags(ctx, src, path)...)
	flags = append(flags, d.Opts.ExtraFlags...)
	return &plan{
		toolPath:    path,
		tool:        filepath.Base(path),
		compression: comp,
		level:       level,
		flags:       flags,
		final:       d.Spool.NewArtifactPath(src.Region, started, comp, d.Opts.Recipients.Len() > 0),
		sealed:      d.Opts.Recipients.Len() > 0,
	}, nil
}

// binaryCharset makes the tool write every string as the bytes stored,
// under SET NAMES binary, as mydumper does: nothing is converted on the way
// out nor, on restore, on the way in (the server's conversion costs about a
// sixth of a restore), and a latin1 column comes back byte for byte even
// when its bytes are not valid in the connection's character set.
const binaryCharset = "--default-character-set=binary"

// compression checks the codec and resolves level 0 to the codec's default.
func compression(name string, level int) (string, int, error) {
	if name == "" {
		name = "gzip"
	}
	lo, hi := 1, 9
	switch name {
	case "gzip":
	case "zstd":
		hi = 22
	default:
		return "", 0, fmt.Errorf("compression %q is not one of gzip, zstd", name)
	}
	if level == 0 {
		return name, codec.DefaultLevel(name), nil
	}
	if level < lo || level > hi {
		return "", 0, fmt.Errorf("%s level %d out of range %d-%d", name, level, lo, hi)
	}
	return name, level, nil
}

func toolLabel(tool string) string {
	if tool == "" {
		return "auto"
	}
	return filepath.Base(tool)
}

// writeDefaults puts the credentials in a 0600 file in TempDir, whose mode
// 0700 keeps even its file names private.
func (d *Dumper) writeDefaults(src Source) (string, error) {
	dir := d.Opts.TempDir
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("temp dir: %w", err)
	}
	return mysqlx.WriteDefaultsFile(dir, mysqlx.Credentials{
		Host: src.Host, Port: src.Port, User: src.User, Password: src.Password,
	})
}

// onStart wires the test hook into the read loop.
func (d *Dumper) onStart() func(pid int) func(int64) {
	if d.hook == nil {
		return nil
	}
	return func(pid int) func(int64) {
		fired := false
		return func(total int64) {
			if !fired && total >= d.hookAfter {
				fired = true
				d.hook(pid)
			}
		}
	}
}

// failure decides whether the run failed and why; nil means the output is a
// complete dump.
func (d *Dumper) failure(src Source, p *plan, r runResult) *Error {
	e := &Error{
		Region: src.Region, Tool: p.tool, ExitCode: r.exit, Signal: r.signal,
		TimedOut: r.timedOut, Stderr: r.stderr, limit: d.Opts.Timeout,
	}
	wroteNothing := r.stream == nil || r.stream.RawBytes == 0
	switch {
	case r.canceled != nil:
		e.canceled, e.Transient = true, true
		e.Err = fmt.Errorf("canceled: %w", r.canceled)
	case r.startErr != nil:
		e.Err = r.startErr
	case r.timedOut:
	case r.procErr != nil:
		e.Err = diskFull(r.procErr, p.final)
	case r.exit != 0 || r.signal != "":
		e.Transient = wroteNothing && isConnError(r.stderr)
	case wroteNothing:
		e.Err = fmt.Errorf("%s exited 0 but wrote nothing", p.tool)
	case r.stream.Summary == nil || !r.stream.Summary.HasFooter:
		e.Err = fmt.Errorf(`%s exited 0 but the dump has no "-- Dump completed" footer: it is incomplete`, p.tool)
	default:
		return nil
	}
	return e
}

// diskFull names the file when the disk filled up, the one write error an
// operator meets often and must recognise at once.
func diskFull(err error, path string) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("disk full writing %s: %w", path, err)
	}
	return err
}

// discard closes the temp file and moves it to the quarantine with the
// error as its reason, or removes it when the tool wrote nothing or the
// disk filled up, so that
// nothing of a failed dump stays in the dated directory.
func (d *Dumper) discard(tmp *store.TempFile, r runResult, e *Error) string {
	path := tmp.Abort()
	if path == "" {
		return ""
	}
	if r.stream == nil || r.stream.RawBytes == 0 {
		_ = os.Remove(path)
		return ""
	}
	// A dump cut short by a full disk is removed, not quarantined: kept in
	// the same spool it would keep the disk full, so the run could not even
	// write its report and every later region would fail the same way.
	if errors.Is(e.Err, syscall.ENOSPC) || errors.Is(e.Err, syscall.EDQUOT) {
		_ = os.Remove(path)
		return ""
	}
	q, err := d.Spool.Quarantine(path, quarantineReason(e))
	if err != nil {
		// The partial file must not stay where backups live.
		_ = os.Remove(path)
		if q == "" {
			return ""
		}
	}
	return q
}

func quarantineReason(e *Error) string {
	reason := e.Error()
	if e.Stderr != "" {
		reason += "\n\nstderr (last lines):\n" + e.Stderr
	}
	return reason
}

func (d *Dumper) manifest(src Source, run string, p *plan, s *streamResult, started time.Time) *job.Manifest {
	sum := s.Summary
	m := &job.Manifest{
		V: job.Version, Run: run, Region: src.Region,
		Source:   net.JoinHostPort(src.Host, strconv.Itoa(defaultPort(src.Port))),
		File:     filepath.Base(p.final),
		Started:  started,
		Finished: d.now(),

		Tool:        p.tool,
		ToolVersion: sum.Header.ToolVersion,
		Flags:       append([]string{"--defaults-extra-file=<redacted>"}, p.flags...),
		Consistency: consistencyName(d.Opts.Consistency),

		ServerVersion: sum.Header.ServerVersion,
		Header:        sum.Header.Tool,
		Footer:        footerText(sum.HasFooter, sum.Footer.Completed),
		Sandbox:       sum.Header.Sandbox,

		RawBytes: s.RawBytes, RawSHA256: s.RawSHA256, MD5: s.MD5,
		Bytes: s.Bytes, SHA256: s.SHA256,
		Compression: p.compression, Level: p.level,

		Databases:  append([]string{}, sum.Databases...),
		Tables:     make([]job.TableCount, 0, len(sum.Tables)),
		Statements: sum.Statements,
		Views:      sum.Views, Triggers: sum.Triggers, Routines: sum.Routines, Events: sum.Events,

		Binlog: manifestBinlog(sum.Binlog),
	}
	if p.sealed {
		m.Encryption = &job.Encryption{Scheme: seal.Scheme, Recipients: d.Opts.Recipients.Keys()}
	}
	for _, t := range sum.Tables {
		m.Tables = append(m.Tables, job.TableCount{Database: t.Database, Table: t.Table, Rows: t.Rows})
	}
	return m
}

func defaultPort(port int) int {
	if port == 0 {
		return mysqlx.DefaultPort
	}
	return port
}

func consistencyName(c string) string {
	if c == "" {
		return "single-transaction"
	}
	return c
}

func footerText(has bool, completed string) string {
	switch {
	case !has:
		return ""
	case completed == "":
		return "-- Dump completed"
	}
	return "-- Dump completed on " + completed
}

// writeManifest puts the manifest beside the committed artifact. Should that
// fail, the artifact goes to the quarantine: a dump without its manifest
// carries no row counts to verify a restore against.
func (d *Dumper) writeManifest(src Source, p *plan, m *job.Manifest) (*job.Artifact, *job.Manifest, error) {
	mpath := store.ManifestPath(p.final)
	if err := store.WriteFileAtomic(mpath, job.EncodeManifest(m), 0o640); err != nil {
		e := &Error{Region: src.Region, Tool: p.tool, Err: diskFull(err, mpath)}
		q, qerr := d.Spool.Quarantine(p.final, "manifest: "+e.Error())
		if qerr != nil {
			_ = os.Remove(p.final)
		}
		e.Quarantined = q
		return nil, nil, e
	}
	return &job.Artifact{
		Path: p.final, ManifestPath: mpath, SHA256: m.SHA256, Bytes: m.Bytes, Compression: m.Compression,
	}, m, nil
}
