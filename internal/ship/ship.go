// Package ship sends verified artifacts to long-term storage.
//
// A Shipper copies one artifact and its manifest to one target: a directory
// (Dir, typically an NFS mount), NetBackup (NetBackup, through bpbackup), a
// host reachable over ssh (SCP, through the system ssh and scp) or an
// S3-compatible bucket (S3, through minio-go). The artifact
// goes first and the manifest last, so a target holding a manifest holds the
// whole backup. Every target files a copy under the dump's local date
// (YYYY-MM-DD), like the spool does.
//
// Shippers only read the local files. They are idempotent: shipping the same
// artifact again leaves one intact copy. An error always means the copy is
// not confirmed; the caller retries and in the end excludes the region, and
// the local verified copy stays where it is.
//
// For restores after the spool copy was pruned, every target can give a
// copy back (Fetcher), and Dir, SCP and S3 can list the copies they hold
// (Lister); both only read the target. S3 copies can also be removed
// (Deleter), so retention prunes the bucket as it prunes the spool.
package ship

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Artifact is what a shipper sends: the dump and its manifest.
type Artifact struct {
	Path         string // local artifact file
	ManifestPath string
	SHA256       string    // hex sha256 of the artifact file (already verified locally)
	Bytes        int64     // size of the artifact file
	Region       string    // region the dump belongs to
	Time         time.Time // dump time: targets file it under its date (YYYY-MM-DD, local time)
}

// Receipt says where a copy now lives.
type Receipt struct {
	Target   string    // the shipper's Name
	Location string    // where the artifact is, in the target's terms
	At       time.Time // when the copy was confirmed
}

// Shipper sends an artifact to one target.
type Shipper interface {
	// Name is the target's name in reports and errors: "netbackup", "scp", "dir".
	Name() string
	// Ship copies the artifact and its manifest to the target and confirms the copy
	// (sha256 where the target can be read back). It is idempotent: shipping the
	// same artifact again leaves one intact copy and succeeds. It never modifies or
	// deletes the local files. Any error means the copy is not confirmed; the caller
	// retries, then excludes. ctx cancellation aborts promptly (kill child processes).
	Ship(ctx context.Context, a Artifact) (Receipt, error)
}

// ErrHashMismatch marks a copy (or a local file) whose sha256 is not the
// artifact's.
var ErrHashMismatch = errors.New("sha256 mismatch")

// ErrNotFound marks a Fetch of a copy the target does not hold (or a
// location that cannot name one). A target that cannot be reached or read
// fails with another error, so a caller never mistakes an outage for a
// missing copy.
var ErrNotFound = errors.New("copy not found on the target")

// DefaultTimeout bounds one Ship call of NetBackup and SCP when their
// Timeout is zero.
const DefaultTimeout = 6 * time.Hour

// Target names, as in GD_SHIP.
const (
	TargetDir       = "dir"
	TargetNetBackup = "netbackup"
	TargetSCP       = "scp"
	TargetS3        = "s3"
	TargetNone      = "none"
)

// Config holds every target's settings; New uses those of the targets named.
type Config struct {
	Dir       string // root of the dir target (GD_SHIP_DIR)
	NetBackup NetBackup
	SCP       SCP
	S3        S3
}

// New returns a shipper for each name in targets, in order: "dir",
// "netbackup", "scp" or "s3"; "none" alone yields no shippers. It checks that the
// settings each target needs are present (naming the GD_ variable that sets
// them) and fills defaults, but does not touch the targets: a target that is
// down at start-up fails its ships, not the whole run.
func New(targets []string, cfg Config) ([]Shipper, error) {
	var out []Shipper
	seen := map[string]bool{}
	for _, raw := range targets {
		name := strings.ToLower(strings.TrimSpace(raw))
		if name == "" {
			continue
		}
		if seen[name] {
			return nil, fmt.Errorf("ship target %q is listed twice (GD_SHIP)", name)
		}
		seen[name] = true
		switch name {
		case TargetNone:
			continue
		case TargetDir:
			if strings.TrimSpace(cfg.Dir) == "" {
				return nil, errors.New("dir: directory is not set (GD_SHIP_DIR)")
			}
			out = append(out, &Dir{Root: cfg.Dir})
		case TargetNetBackup:
			nb := cfg.NetBackup.withDefaults()
			if err := nb.validate(); err != nil {
				return nil, err
			}
			out = append(out, &nb)
		case TargetSCP:
			s := cfg.SCP.withDefaults()
			if err := s.validate(); err != nil {
				return nil, err
			}
			out = append(out, &s)
		case TargetS3:
			s := cfg.S3.withDefaults()
			if err := s.validate(); err != nil {
				return nil, err
			}
			out = append(out, &s)
		default:
			return nil, fmt.Errorf("unknown ship target %q (GD_SHIP: want netbackup, scp, dir, s3 or none)", raw)
		}
	}
	if seen[TargetNone] && len(seen) > 1 {
		return nil, errors.New("ship target none cannot be combined with other targets (GD_SHIP)")
	}
	return out, nil
}

// check validates the fields every shipper relies on and lowercases SHA256.
func (a *Artifact) check() error {
	a.SHA256 = strings.ToLower(strings.TrimSpace(a.SHA256))
	switch {
	case a.Path == "":
		return errors.New("artifact path is empty")
	case a.ManifestPath == "":
		return fmt.Errorf("artifact %s: manifest path is empty", a.Path)
	case a.Time.IsZero():
		return fmt.Errorf("artifact %s: dump time is not set", a.Path)
	case !isSHA256(a.SHA256):
		return fmt.Errorf("artifact %s: sha256 %q is not 64 hex digits", a.Path, a.SHA256)
	}
	return nil
}

// day is the directory name a target files the artifact under.
func (a *Artifact) day() string { return a.Time.Local().Format(dayLayout) }

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// hashFile returns the hex sha256 of path, stopping early if ctx is done.
func hashFile(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ctxReader fails reads once ctx is done, so long copies stop promptly.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// absPath makes path absolute without resolving links.
func absPath(path string) (string, error) {
	if filepath.IsAbs(path) {
		return filepath.Clean(path), nil
	}
	return filepath.Abs(path)
}

// withTimeout bounds ctx by d (DefaultTimeout when d <= 0). When the bound
// fires, context.Cause(ctx) is a *TimeoutError, which errors.Is matches
// against context.DeadlineExceeded.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		d = DefaultTimeout
	}
	return context.WithTimeoutCause(ctx, d, &TimeoutError{Timeout: d})
}

// TimeoutError says a shipper's own Timeout ran out (its child processes
// were killed).
type TimeoutError struct{ Timeout time.Duration }

func (e *TimeoutError) Error() string { return fmt.Sprintf("timed out after %v", e.Timeout) }

// Unwrap makes errors.Is(err, context.DeadlineExceeded) true.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }
