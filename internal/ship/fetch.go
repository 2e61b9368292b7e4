package ship

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gravedancer/internal/job"
	"gravedancer/internal/store"
)

// Remote is one copy a target holds.
type Remote struct {
	Target   string        // the shipper's Name()
	Location string        // where the artifact is, in the target's terms: the same string Ship returned as Receipt.Location
	Region   string        // from the file name
	Time     time.Time     // dump time, from the file name (local time, like store.ParseName)
	Bytes    int64         // artifact size; -1 when the target cannot say
	Manifest *job.Manifest // the copy's manifest when it could be read, else nil
}

// Lister is a target whose copies can be listed: Dir, SCP and S3 (NetBackup
// cannot without bplist, so it is not one).
type Lister interface {
	// List returns the copies of region ("" = every region) that the target
	// holds with their manifest beside them, oldest first. An artifact
	// without its manifest is an interrupted ship (the manifest goes last)
	// and is left out; a manifest that cannot be decoded leaves Manifest
	// nil. A target that holds nothing yet (root missing) returns an empty
	// list and nil; a root that cannot be read is an error. Read-only.
	List(ctx context.Context, region string) ([]Remote, error)
}

// Fetcher is a target a copy can be brought back from: Dir, SCP, S3 and
// NetBackup.
type Fetcher interface {
	// Fetch copies the artifact at location (a Receipt.Location or
	// Remote.Location) and its manifest into dir (which exists), keeping
	// their base names, and returns the two local paths. It returns an error
	// wrapping ErrNotFound when the target does not hold that artifact and
	// its manifest, or when location cannot name an artifact. It does not
	// check the sha256 (the caller compares with the manifest) but never
	// leaves a partial file under the final names: both files land in a
	// ".tmp-fetch-" directory inside dir and are renamed into dir only once
	// both are complete. Read-only on the target. ctx cancellation aborts
	// promptly.
	Fetch(ctx context.Context, location, dir string) (artifact, manifest string, err error)
}

var (
	_ Lister  = (*Dir)(nil)
	_ Lister  = (*SCP)(nil)
	_ Fetcher = (*Dir)(nil)
	_ Fetcher = (*SCP)(nil)
	_ Fetcher = (*NetBackup)(nil)
)

// dayLayout names the dated directories targets file copies under.
const dayLayout = "2006-01-02"

// fetchTempPrefix starts the scratch directory a Fetch fills before it
// renames the files into place; store.IsTemp recognises it as litter.
const fetchTempPrefix = ".tmp-fetch-"

// listLimit bounds a remote listing held in memory.
const listLimit = 64 << 20

// artifactName returns the artifact base name a location ends in and the
// dated directory a target files it under. Dir and SCP look a copy up by
// this name in their own layout rather than trusting the rest of the
// location, so a location recorded before the root moved, or a spool path
// from a run report, still finds the copy.
func artifactName(location string) (name, day string, err error) {
	name = filepath.Base(strings.TrimRight(location, "/"))
	_, t, ok := store.ParseName(name)
	if location == "" || !ok {
		return "", "", fmt.Errorf("%w: %q does not name an artifact (mdb_bkp_<region>-<YYYYmmdd_HHMMSS>.sql.gz|.sql.zst, + .age when sealed)", ErrNotFound, location)
	}
	return name, t.Format(dayLayout), nil
}

// manifestName is the base name of the manifest beside artifact name.
func manifestName(name string) string { return filepath.Base(store.ManifestPath(name)) }

// fetchDir checks that dir exists and returns it absolute.
func fetchDir(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("no local directory to fetch into")
	}
	abs, err := absPath(dir)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("local directory: %w", err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("local %s is not a directory", abs)
	}
	return abs, nil
}

// fetchVia lets get fill a fresh scratch directory inside dst (with the
// artifact name and its manifest), then commits both into dst. The scratch
// directory is gone afterwards whatever happened.
func fetchVia(dst, name string, get func(tmp string) error) (artifact, manifest string, err error) {
	tmp, err := os.MkdirTemp(dst, fetchTempPrefix)
	if err != nil {
		return "", "", diskFull(err, dst)
	}
	if err := get(tmp); err != nil {
		_ = os.RemoveAll(tmp)
		return "", "", err
	}
	return commitFetched(tmp, dst, name)
}

// commitFetched moves name and its manifest from the scratch directory tmp
// into dir, each fsynced first, the artifact first, and removes tmp. If the
// manifest cannot follow, the artifact is taken back out, so dir never
// holds half a fetch.
func commitFetched(tmp, dir, name string) (artifact, manifest string, err error) {
	defer os.RemoveAll(tmp)
	mname := manifestName(name)
	for _, n := range []string{name, mname} {
		if err := syncFile(filepath.Join(tmp, n)); err != nil {
			return "", "", err
		}
	}
	artifact, manifest = filepath.Join(dir, name), filepath.Join(dir, mname)
	if err := os.Rename(filepath.Join(tmp, name), artifact); err != nil {
		return "", "", fmt.Errorf("rename into %s: %w", artifact, err)
	}
	if err := os.Rename(filepath.Join(tmp, mname), manifest); err != nil {
		_ = os.Remove(artifact)
		return "", "", fmt.Errorf("rename into %s: %w", manifest, err)
	}
	if err := syncDir(dir); err != nil {
		_ = os.Remove(artifact)
		_ = os.Remove(manifest)
		return "", "", err
	}
	return artifact, manifest, nil
}

// syncFile fsyncs a file written by a child process (scp, bprestore) or by
// us, so the rename that publishes it never outruns its data.
func syncFile(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("fetched file: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return fmt.Errorf("fetched file: %w", err)
	} else if !fi.Mode().IsRegular() {
		return fmt.Errorf("fetched %s is not a regular file", p)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", p, err)
	}
	return nil
}

// await runs work in its own goroutine and returns its result, or
// context.Cause(ctx) as soon as ctx ends: a file system stuck on a hung NFS
// server must not hold the caller. An abandoned work goes on until its next
// read or write notices ctx; if it still succeeds, abandon receives its
// result to clean up.
func await[T any](ctx context.Context, work func() (T, error), abandon func(T)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := work()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.err == nil && abandon != nil {
				abandon(r.v)
			}
		}()
		var zero T
		return zero, context.Cause(ctx)
	}
}

// sortRemotes orders copies oldest first (then by location, for a stable
// listing).
func sortRemotes(rs []Remote) {
	sort.Slice(rs, func(i, j int) bool {
		if !rs[i].Time.Equal(rs[j].Time) {
			return rs[i].Time.Before(rs[j].Time)
		}
		return rs[i].Location < rs[j].Location
	})
}

// decodeManifest reads a copy's manifest, nil when it does not decode.
func decodeManifest(data []byte) *job.Manifest {
	m, err := job.DecodeManifest(data)
	if err != nil {
		return nil
	}
	return m
}
