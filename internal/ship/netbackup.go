package ship

import (
	"gravedancer/internal/proc"

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
type NetBackup struct {
	Bin      string // bpbackup binary
	Policy   string // -p
	Schedule string // -s
	Server   string // -S, the master server
	LogFile  string // -L, appended to by bpbackup
	Timeout  time.Duration
}

var _ Shipper = (*NetBackup)(nil)

// Name implements Shipper.
func (n *NetBackup) Name() string { return TargetNetBackup }

func (n NetBackup) withDefaults() NetBackup {
	if n.Bin == "" {
		n.Bin = DefaultBPBackup
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
		return fmt.Errorf("bpbackup of %s timed out after %v (process group killed)%s: %w", file, te.Timeout, detail, err)
	case ctx.Err() != nil:
		return fmt.Errorf("bpbackup of %s aborted after %v (process group killed)%s: %w",
			file, time.Since(started).Round(time.Millisecond), detail, err)
	case errors.As(err, &ee):
		return fmt.Errorf("bpbackup of %s failed with exit status %d%s", file, res.ExitCode, detail)
	default:
		return fmt.Errorf("run bpbackup %s (GD_NETBACKUP_BIN): %w", n.Bin, err)
	}
}
