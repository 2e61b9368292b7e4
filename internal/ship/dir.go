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
	"syscall"
	"time"

	"gravedancer/internal/failpoint"
	"gravedancer/internal/job"
	"gravedancer/internal/store"
)

// Dir ships to a directory, typically an NFS mount: the artifact and its
// manifest land in <Root>/<YYYY-MM-DD>/ under their local base names.
//
// Contract:
//   - Root must exist; Dir creates only the dated subdirectory (and fsyncs
//     Root so the new entry is durable).
//   - Each file is written to a store temp file (".tmp-" prefix) in the
//     dated directory, fsynced, closed, renamed over the final name, and the
//     directory is fsynced. A crash leaves a temp file at worst, never a
//     partial file under the final name.
//   - The sha256 of the bytes read from the local file is checked while
//     copying (the artifact against Artifact.SHA256), and after the rename
//     the copy is read back (its cached pages dropped first, so on NFS and
//     local disks the read comes from storage where the kernel allows) and
//     must hash the same.
//   - A final name that already holds the right bytes is left alone (no
//     copy); one with other bytes is replaced atomically.
//   - A full target fails with "disk full writing <path>".
//   - When ctx ends, Ship returns at once even if the file system is stuck
//     (a hung NFS server): the copy goes on in the background only until its
//     next read or write returns, then removes its temp file.
//
// List and Fetch read the same layout back; they too return when ctx ends
// even if the file system is stuck.
type Dir struct {
	Root string

	// stall, when set (tests only), is called after the temp file of the
	// artifact is created, before copying, to simulate a stuck file system.
	stall func()
}

var _ Shipper = (*Dir)(nil)

// Name implements Shipper.
func (d *Dir) Name() string { return TargetDir }

// Ship implements Shipper.
func (d *Dir) Ship(ctx context.Context, a Artifact) (Receipt, error) {
	if err := a.check(); err != nil {
		return Receipt{}, err
	}
	if d.Root == "" {
		return Receipt{}, errors.New("dir: root directory is not set (GD_SHIP_DIR)")
	}
	if err := ctx.Err(); err != nil {
		return Receipt{}, err
	}
	type result struct {
		r   Receipt
		err error
	}
	ch := make(chan result, 1)
	dd := *d // the worker may outlive this call
	go func() {
		r, err := dd.ship(ctx, a)
		ch <- result{r, err}
	}()
	select {
	case res := <-ch:
		return res.r, res.err
	case <-ctx.Done():
		return Receipt{}, fmt.Errorf("copy of %s to %s abandoned: %w", filepath.Base(a.Path), d.Root, context.Cause(ctx))
	}
}

func (d *Dir) ship(ctx context.Context, a Artifact) (Receipt, error) {
	root, err := absPath(d.Root)
	if err != nil {
		return Receipt{}, err
	}
	d.Root = root // d is the worker's own copy
	if err := rootDir(d.Root); err != nil {
		return Receipt{}, err
	}
	day := filepath.Join(d.Root, a.day())
	if err := os.Mkdir(day, 0o750); err == nil {
		if err := syncDir(d.Root); err != nil {
			return Receipt{}, err
		}
	} else if !errors.Is(err, os.ErrExist) {
		return Receipt{}, diskFull(fmt.Errorf("create %s: %w", day, err), day)
	}

	dst := filepath.Join(day, filepath.Base(a.Path))
	if err := d.copyFile(ctx, a.Path, dst, a.SHA256); err != nil {
		return Receipt{}, err
	}
	mdst := filepath.Join(day, filepath.Base(a.ManifestPath))
	mhash, err := hashFile(ctx, a.ManifestPath)
	if err != nil {
		return Receipt{}, fmt.Errorf("hash manifest: %w", err)
	}
	if err := d.copyFile(ctx, a.ManifestPath, mdst, mhash); err != nil {
		return Receipt{}, err
	}
	return Receipt{Target: TargetDir, Location: dst, At: time.Now()}, nil
}

// copyFile makes dst a verified copy of src, whose sha256 must be want.
func (d *Dir) copyFile(ctx context.Context, src, dst, want string) error {
	sfi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("local file: %w", err)
	}
	if dfi, err := os.Lstat(dst); err == nil {
		if os.SameFile(sfi, dfi) {
			return fmt.Errorf("target %s is the local file itself (GD_SHIP_DIR must not be the spool)", dst)
		}
		if dfi.Mode().IsRegular() {
			dropCache(dst)
			if got, err := hashFile(ctx, dst); err == nil && got == want {
				return nil // already shipped
			} else if err != nil && ctx.Err() != nil {
				return context.Cause(ctx)
			}
			// Unreadable or different: replace it below.
		}
	}

	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("local file: %w", err)
	}
	defer in.Close()
	tmp, err := store.CreateTemp(dst)
	if err != nil {
		return diskFull(err, dst)
	}
	tmpName := tmp.Name()
	committed := false
	defer func() {
		if !committed {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	if d.stall != nil {
		d.stall()
	}
	h := sha256.New()
	if _, err := io.Copy(tmp, io.TeeReader(ctxReader{ctx, in}, h)); err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return diskFull(fmt.Errorf("copy %s to %s: %w", src, dst, err), dst)
	}
	if failpoint.Enabled {
		failpoint.Hit(failpoint.ShipCopy)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: local file %s has sha256 %s, want %s (changed since it was verified?)", ErrHashMismatch, src, got, want)
	}
	if err := tmp.Sync(); err != nil {
		return diskFull(fmt.Errorf("fsync %s: %w", dst, err), dst)
	}
	// Close errors matter on NFS: write-back failures show up here.
	if err := tmp.Close(); err != nil {
		return diskFull(fmt.Errorf("close %s: %w", dst, err), dst)
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	if err := os.Rename(tmpName, dst); err != nil {
		return fmt.Errorf("rename into %s: %w", dst, err)
	}
	committed = true
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return err
	}

	dropCache(dst)
	got, err := hashFile(ctx, dst)
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return fmt.Errorf("read back %s: %w", dst, err)
	}
	if got != want {
		return fmt.Errorf("%w: copy %s reads back as sha256 %s, want %s", ErrHashMismatch, dst, got, want)
	}
	return nil
}

// diskFull rewrites an ENOSPC (or EDQUOT) error as "disk full writing <path>".
func diskFull(err error, path string) error {
	var errno syscall.Errno
	if errors.As(err, &errno) && (errno == syscall.ENOSPC || errno == syscall.EDQUOT) {
		return fmt.Errorf("disk full writing %s: %w", path, errno)
	}
	return err
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fsync dir %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync dir %s: %w", dir, err)
	}
	return nil
}

// List implements Lister: it walks <Root>/<YYYY-MM-DD>/ for artifacts with
// their manifest beside them. Locations are the absolute paths Ship
// reports. A missing Root holds nothing; a Root that is not a directory or
// cannot be read is an error. Like Ship, List returns when ctx ends even if
// the file system is stuck.
func (d *Dir) List(ctx context.Context, region string) ([]Remote, error) {
	if d.Root == "" {
		return nil, errors.New("dir list: root directory is not set (GD_SHIP_DIR)")
	}
	root, err := absPath(d.Root)
	if err != nil {
		return nil, fmt.Errorf("dir list %s: %w", d.Root, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("dir list %s: %w", root, context.Cause(ctx))
	}
	out, err := await(ctx, func() ([]Remote, error) { return listDir(ctx, root, region) }, nil)
	if err != nil {
		return nil, fmt.Errorf("dir list %s: %w", root, err)
	}
	return out, nil
}

func listDir(ctx context.Context, root, region string) ([]Remote, error) {
	days, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return []Remote{}, nil // nothing shipped here yet
	}
	if err != nil {
		return nil, err
	}
	out := []Remote{}
	for _, day := range days {
		if _, perr := time.Parse(dayLayout, day.Name()); !day.IsDir() || perr != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, context.Cause(ctx)
		}
		dir := filepath.Join(root, day.Name())
		files, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			r, t, ok := store.ParseName(f.Name())
			if !ok || !f.Type().IsRegular() || (region != "" && r != region) {
				continue
			}
			p := filepath.Join(dir, f.Name())
			data, err := os.ReadFile(store.ManifestPath(p))
			if errors.Is(err, os.ErrNotExist) {
				continue // an interrupted ship: the manifest goes last
			}
			var m *job.Manifest
			if err == nil {
				m = decodeManifest(data)
			}
			fi, err := f.Info()
			if err != nil {
				continue // removed while we looked
			}
			out = append(out, Remote{Target: TargetDir, Location: p, Region: r, Time: t, Bytes: fi.Size(), Manifest: m})
		}
	}
	sortRemotes(out)
	return out, nil
}

// Fetch implements Fetcher. It copies <Root>/<date>/<name> and its manifest
// into dir, where name is location's base name (so a path recorded under an
// earlier mount point of the same share still resolves). A missing Root is
// an error, not ErrNotFound: an unmounted share says nothing about the
// copies on it.
func (d *Dir) Fetch(ctx context.Context, location, dir string) (string, string, error) {
	fail := func(err error) (string, string, error) {
		return "", "", fmt.Errorf("dir fetch %s: %w", location, err)
	}
	if d.Root == "" {
		return fail(errors.New("root directory is not set (GD_SHIP_DIR)"))
	}
	if err := ctx.Err(); err != nil {
		return fail(context.Cause(ctx))
	}
	name, day, err := artifactName(location)
	if err != nil {
		return fail(err)
	}
	dst, err := fetchDir(dir)
	if err != nil {
		return fail(err)
	}
	root, err := absPath(d.Root)
	if err != nil {
		return fail(err)
	}
	stall := d.stall
	tmp, err := await(ctx, func() (string, error) {
		return fetchFromDir(ctx, root, filepath.Join(root, day, name), dst, stall)
	}, func(tmp string) { _ = os.RemoveAll(tmp) })
	if err != nil {
		return fail(err)
	}
	art, man, err := commitFetched(tmp, dst, name)
	if err != nil {
		return fail(err)
	}
	return art, man, nil
}

// fetchFromDir copies src and its manifest into a new scratch directory in
// dst and returns it; on error it removes it.
func fetchFromDir(ctx context.Context, root, src, dst string, stall func()) (string, error) {
	if err := rootDir(root); err != nil {
		return "", err
	}
	srcs := []string{src, store.ManifestPath(src)}
	for _, p := range srcs {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%w: %s does not exist", ErrNotFound, p)
		}
		if err != nil {
			return "", err
		}
		if !fi.Mode().IsRegular() {
			return "", fmt.Errorf("%w: %s is not a regular file", ErrNotFound, p)
		}
	}
	tmp, err := os.MkdirTemp(dst, fetchTempPrefix)
	if err != nil {
		return "", diskFull(err, dst)
	}
	for i, p := range srcs {
		if err := copyOut(ctx, p, filepath.Join(tmp, filepath.Base(p)), i == 0, stall); err != nil {
			_ = os.RemoveAll(tmp)
			return "", err
		}
	}
	return tmp, nil
}

// copyOut copies src to the new file dst. stall (tests only) runs once the
// first file is created, like Ship's.
func copyOut(ctx context.Context, src, dst string, first bool, stall func()) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return diskFull(err, dst)
	}
	defer out.Close()
	if first && stall != nil {
		stall()
	}
	if _, err := io.Copy(out, ctxReader{ctx, in}); err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return diskFull(fmt.Errorf("copy %s to %s: %w", src, dst, err), dst)
	}
	if err := out.Close(); err != nil {
		return diskFull(fmt.Errorf("close %s: %w", dst, err), dst)
	}
	return nil
}

// rootDir checks that the target directory is there, as Ship does.
func rootDir(root string) error {
	fi, err := os.Stat(root)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("target directory %s does not exist (GD_SHIP_DIR; is it mounted?)", root)
	case err != nil:
		return fmt.Errorf("target directory %s: %w", root, err)
	case !fi.IsDir():
		return fmt.Errorf("target %s is not a directory (GD_SHIP_DIR)", root)
	}
	return nil
}
