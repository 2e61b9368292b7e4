package ship

import (
	"gravedancer/internal/proc"
	"gravedancer/internal/store"

	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// bpPolicy is bpbackup's -p: the NetBackup policy, not a password.
const bpPolicy = "-p"

// NetBackup defaults, used for empty fields.
const (
	DefaultBPBackup          = "/usr/openv/netbackup/bin/bpbackup"
	DefaultBPRestore         = "/usr/openv/netbackup/bin/bprestore"
	DefaultNetBackupPolicy   = "MariaDB"
	DefaultNetBackupSchedule = "User"
	// DefaultNetBackupLogName is the -L log's name in os.TempDir() when
	// LogFile is empty.
	DefaultNetBackupLogName = "gravedancer-bpbackup.log"
)

// NetBackup ships through Veritas NetBackup's bpbackup, as the old script
// did. For the artifact and then for its manifest it runs exactly
//
//	Bin -p Policy -s Schedule -S Server -L LogFile -w 0 FILE
//
// with FILE absolute. Defaults: Bin DefaultBPBackup, Policy "MariaDB",
// Schedule "User", LogFile os.TempDir()/DefaultNetBackupLogName, Timeout
// DefaultTimeout (6h, for the whole Ship). Server is required.
//
// Contract:
//   - The copy cannot be read back: the confirmation is bpbackup's exit
//     status 0 with -w 0 (wait until the backup job completes). Before
//     sending, the local artifact is hashed once more and must still match
//     Artifact.SHA256, so a file that rotted after its restore test is
//     never sent as good.
//   - A non-zero exit is an error carrying the exit status, the last lines
//     bpbackup appended to LogFile during this invocation (it appends to -L;
//     older content is skipped, but lines of a concurrent bpbackup writing
//     the same log can interleave) and the end of its stderr.
//   - Shipping again runs bpbackup again: NetBackup then holds one more
//     backup image of the same bytes, which its own retention expires. That
//     is the idempotence this target offers.
//   - When Timeout runs out or ctx ends, bpbackup's whole process group is
//     killed; an error saying "timed out" or "canceled" is returned.
//   - Receipt.Location is "policy P schedule S on SERVER: FILE".
//
// Fetch restores a copy with bprestore (RestoreBin, by default "bprestore"
// beside Bin); see Fetch.
type NetBackup struct {
	Bin        string // bpbackup binary
	RestoreBin string // bprestore binary; "" = bprestore in Bin's directory (or PATH when Bin is a bare name)
	Policy     string // -p
	Schedule   string // -s
	Server     string // -S, the master server
	LogFile    string // -L, appended to by bpbackup and bprestore
	Timeout    time.Duration
}

var _ Shipper = (*NetBackup)(nil)

// Name implements Shipper.
func (n *NetBackup) Name() string { return TargetNetBackup }

func (n NetBackup) withDefaults() NetBackup {
	if n.Bin == "" {
		n.Bin = DefaultBPBackup
	}
	if n.RestoreBin == "" {
		// NetBackup installs its client commands side by side.
		if n.Bin == filepath.Base(n.Bin) {
			n.RestoreBin = "bprestore"
		} else {
			n.RestoreBin = filepath.Join(filepath.Dir(n.Bin), "bprestore")
		}
	}
	if n.Policy == "" {
		n.Policy = DefaultNetBackupPolicy
	}
	if n.Schedule == "" {
		n.Schedule = DefaultNetBackupSchedule
	}
	if n.LogFile == "" {
		n.LogFile = filepath.Join(os.TempDir(), DefaultNetBackupLogName)
	}
	if n.Timeout <= 0 {
		n.Timeout = DefaultTimeout
	}
	return n
}

func (n *NetBackup) validate() error {
	if strings.TrimSpace(n.Server) == "" {
		return errors.New("netbackup: server is not set (GD_NETBACKUP_SERVER)")
	}
	for _, f := range []struct{ val, what, env string }{
		{n.Policy, "policy", "GD_NETBACKUP_POLICY"},
		{n.Schedule, "schedule", "GD_NETBACKUP_SCHEDULE"},
		{n.Server, "server", "GD_NETBACKUP_SERVER"},
	} {
		if strings.HasPrefix(f.val, "-") || strings.ContainsAny(f.val, "\x00\n") {
			return fmt.Errorf("netbackup: %s %q is not a valid value (%s)", f.what, f.val, f.env)
		}
	}
	if !filepath.IsAbs(n.LogFile) {
		return fmt.Errorf("netbackup: log file %q must be an absolute path (GD_NETBACKUP_LOG)", n.LogFile)
	}
	if n.Bin != filepath.Base(n.Bin) && !filepath.IsAbs(n.Bin) {
		return fmt.Errorf("netbackup: bpbackup %q must be an absolute path or a name in PATH (GD_NETBACKUP_BIN)", n.Bin)
	}
	if n.RestoreBin != filepath.Base(n.RestoreBin) && !filepath.IsAbs(n.RestoreBin) {
		return fmt.Errorf("netbackup: bprestore %q must be an absolute path or a name in PATH", n.RestoreBin)
	}
	return nil
}

// Location is where NetBackup files f: "policy P schedule S on SERVER: f".
func (n *NetBackup) location(f string) string {
	return fmt.Sprintf("policy %s schedule %s on %s: %s", n.Policy, n.Schedule, n.Server, f)
}

// Ship implements Shipper.
func (n *NetBackup) Ship(ctx context.Context, a Artifact) (Receipt, error) {
	nb := n.withDefaults()
	if err := nb.validate(); err != nil {
		return Receipt{}, err
	}
	if err := a.check(); err != nil {
		return Receipt{}, err
	}
	ctx, cancel := withTimeout(ctx, nb.Timeout)
	defer cancel()

	files := make([]string, 2)
	for i, p := range []string{a.Path, a.ManifestPath} {
		abs, err := absPath(p)
		if err != nil {
			return Receipt{}, err
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return Receipt{}, fmt.Errorf("local file: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return Receipt{}, fmt.Errorf("local file %s is not a regular file", abs)
		}
		files[i] = abs
	}
	got, err := hashFile(ctx, files[0])
	if err != nil {
		if ctx.Err() != nil {
			return Receipt{}, fmt.Errorf("hashing %s before bpbackup: %w", files[0], context.Cause(ctx))
		}
		return Receipt{}, err
	}
	if got != a.SHA256 {
		return Receipt{}, fmt.Errorf("%w: local file %s has sha256 %s, want %s (changed since it was verified?); not sent",
			ErrHashMismatch, files[0], got, a.SHA256)
	}
	for _, f := range files {
		if err := nb.backup(ctx, f); err != nil {
			return Receipt{}, err
		}
	}
	return Receipt{Target: TargetNetBackup, Location: nb.location(files[0]), At: time.Now()}, nil
}

// args is bpbackup's argument list for file, in the order the old script used.
func (n *NetBackup) args(file string) []string {
	return []string{bpPolicy, n.Policy, "-s", n.Schedule, "-S", n.Server, "-L", n.LogFile, "-w", "0", file}
}

// backup runs bpbackup for one file and waits for the backup to finish.
func (n *NetBackup) backup(ctx context.Context, file string) error {
	offset := proc.FileSize(n.LogFile)
	started := time.Now()
	res, err := runProc(ctx, n.Bin, n.args(file))
	if err == nil {
		return nil
	}
	return n.failure(ctx, "bpbackup", n.Bin+" (GD_NETBACKUP_BIN)", file, offset, started, res, err)
}

// failure describes a failed run of tool (bpbackup or bprestore, started
// from bin) for file: how it ended, the lines it appended to LogFile past
// offset and the end of its stderr.
func (n *NetBackup) failure(ctx context.Context, tool, bin, file string, offset int64, started time.Time, res procResult, err error) error {
	logTail := lastLines(proc.ReadFrom(n.LogFile, offset, outputLimit), tailLines)
	detail := ""
	if logTail != "" {
		detail += "; log " + n.LogFile + ": " + logTail
	}
	if s := lastLines(res.Stderr, tailLines); s != "" {
		detail += "; stderr: " + s
	}
	var te *TimeoutError
	var ee *exec.ExitError
	switch {
	case errors.As(err, &te):
		return fmt.Errorf("%s of %s timed out after %v (process group killed)%s: %w", tool, file, te.Timeout, detail, err)
	case ctx.Err() != nil:
		return fmt.Errorf("%s of %s aborted after %v (process group killed)%s: %w",
			tool, file, time.Since(started).Round(time.Millisecond), detail, err)
	case errors.As(err, &ee):
		return fmt.Errorf("%s of %s failed with exit status %d%s", tool, file, res.ExitCode, detail)
	default:
		return fmt.Errorf("run %s %s: %w", tool, bin, err)
	}
}

// statusNoEntity is NetBackup status 227, "no entity was found": the
// catalog holds no backup of a requested file.
const statusNoEntity = 227

// Fetch implements Fetcher. location is a Receipt.Location ("policy P
// schedule S on SERVER: FILE") or the bare absolute FILE: the local spool
// path bpbackup backed up, which NetBackup catalogues. It restores FILE and
// its manifest (the spool's name beside it) with exactly
//
//	RestoreBin -L LogFile -R RENAME -S Server -p Policy -w 0 FILE MANIFEST
//
// where RENAME is a rename file of two lines, "change FILE to TMP/name"
// and the same for the manifest, TMP a ".tmp-fetch-" directory in dir; once
// bprestore exits 0 the two files are renamed from TMP into dir. -w 0 waits
// for the restore without a time limit (Timeout bounds it; a bare -w would
// take FILE as its time). bprestore has no schedule option (its -s is a
// start date), so Schedule is not passed, and -C is left to its default,
// this host: the client bpbackup ran on. The Server and Policy of the
// configuration are used, not those recorded in location. Exit status 227
// ("no entity was found") is ErrNotFound; any other non-zero status is an
// error carrying the status, the lines bprestore appended to LogFile and
// the end of its stderr. When Timeout runs out or ctx ends, bprestore's
// process group is killed. A path holding a line break or " to " cannot be
// written in a rename file and is refused.
func (n *NetBackup) Fetch(ctx context.Context, location, dir string) (string, string, error) {
	fail := func(err error) (string, string, error) {
		return "", "", fmt.Errorf("netbackup fetch %s: %w", location, err)
	}
	nb := n.withDefaults()
	if err := nb.validate(); err != nil {
		return fail(err)
	}
	file, err := backedUpFile(location)
	if err != nil {
		return fail(err)
	}
	name := filepath.Base(file)
	manifest := store.ManifestPath(file)
	dst, err := fetchDir(dir)
	if err != nil {
		return fail(err)
	}
	ctx, cancel := withTimeout(ctx, nb.Timeout)
	defer cancel()
	if err := ctx.Err(); err != nil {
		return fail(context.Cause(ctx))
	}
	art, man, err := fetchVia(dst, name, func(tmp string) error { return nb.restore(ctx, tmp, file, manifest) })
	if err != nil {
		return fail(err)
	}
	return art, man, nil
}

// restore runs bprestore to put files into the directory tmp under their
// base names.
func (n *NetBackup) restore(ctx context.Context, tmp string, files ...string) error {
	var rename strings.Builder
	for _, f := range files {
		to := filepath.Join(tmp, filepath.Base(f))
		for _, p := range []string{f, to} {
			if strings.ContainsAny(p, "\n\r\x00") || strings.Contains(p, " to ") {
				return fmt.Errorf("cannot restore to or from %q: a rename file line (change FROM to TO) cannot hold a line break or \" to \"", p)
			}
		}
		fmt.Fprintf(&rename, "change %s to %s\n", f, to)
	}
	renameFile := filepath.Join(tmp, ".bprestore-rename")
	if err := os.WriteFile(renameFile, []byte(rename.String()), 0o600); err != nil {
		return diskFull(fmt.Errorf("write rename file: %w", err), renameFile)
	}
	offset := proc.FileSize(n.LogFile)
	started := time.Now()
	res, err := runProc(ctx, n.RestoreBin, n.restoreArgs(renameFile, files...))
	if err != nil {
		ferr := n.failure(ctx, "bprestore", n.RestoreBin+" (expected beside GD_NETBACKUP_BIN)", strings.Join(files, " and "), offset, started, res, err)
		var ee *exec.ExitError
		if errors.As(err, &ee) && res.ExitCode == statusNoEntity && ctx.Err() == nil {
			return fmt.Errorf("%w: %w", ErrNotFound, ferr)
		}
		return ferr
	}
	for _, f := range files {
		if fi, err := os.Stat(filepath.Join(tmp, filepath.Base(f))); err != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("bprestore exited 0 but did not restore %s (log %s)", f, n.LogFile)
		}
	}
	return nil
}

// restoreArgs is bprestore's argument list: options in the order of its
// synopsis, then the files as NetBackup catalogued them.
func (n *NetBackup) restoreArgs(renameFile string, files ...string) []string {
	args := []string{"-L", n.LogFile, "-R", renameFile, "-S", n.Server, bpPolicy, n.Policy, "-w", "0"}
	return append(args, files...)
}

// backedUpFile returns the absolute path NetBackup catalogued a copy under,
// from a Receipt.Location or the bare path. A location that cannot name an
// artifact is ErrNotFound.
func backedUpFile(location string) (string, error) {
	file := location
	if !strings.HasPrefix(location, "/") {
		i := strings.Index(location, ": /")
		if !strings.HasPrefix(location, "policy ") || i < 0 {
			return "", fmt.Errorf("%w: %q is not a NetBackup location (policy P schedule S on SERVER: /path)", ErrNotFound, location)
		}
		file = location[i+2:]
	}
	if _, _, err := artifactName(file); err != nil {
		return "", err
	}
	return filepath.Clean(file), nil
}
