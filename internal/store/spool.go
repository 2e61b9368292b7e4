// Package store owns the on-disk layout of the spool: dated directories of
// artifacts with their manifests, a quarantine for dumps that must never be
// mistaken for backups, run reports, and atomic writes so a crash never leaves
// a partial file where a good backup is expected.
//
//	<spool>/<YYYY-MM-DD>/mdb_bkp_<REGION>-<YYYYmmdd_HHMMSS>.sql.gz   artifact (.sql.zst with zstd; + .age when sealed)
//	<spool>/<YYYY-MM-DD>/mdb_bkp_<REGION>-<YYYYmmdd_HHMMSS>.manifest.json
//	<spool>/<YYYY-MM-DD>/run-<RUN>.json                               run report
//	<spool>/quarantine/<name>  + <name>.reason                        failed dumps
//
// File names use local time, as the old script did, so operators find
// "tonight's" backup where they expect it.
package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"gravedancer/internal/job"
)

const (
	filePrefix     = "mdb_bkp_"
	manifestSuffix = ".manifest.json"
	dayLayout      = "2006-01-02"
	stampLayout    = "20060102_150405"
	quarantineDir  = "quarantine"
	tmpPrefix      = ".tmp-"
)

// Spool is the local artifact store rooted at Dir.
type Spool struct {
	Dir string
}

// Extension returns the artifact suffix for a compression.
func Extension(compression string) string {
	if compression == "zstd" {
		return ".sql.zst"
	}
	return ".sql.gz"
}

// SealedExt is appended to the name of an artifact encrypted with age:
// the name says what a file is (`age -d -i KEY x.sql.zst.age | zstd -d`).
const SealedExt = ".age"

// artifactExts are every suffix an artifact's name may end in; one stem
// (region and second) holds at most one of them.
var artifactExts = []string{".sql.gz", ".sql.zst", ".sql.gz" + SealedExt, ".sql.zst" + SealedExt}

// ArtifactPath names the artifact of region dumped at t.
func (s *Spool) ArtifactPath(region string, t time.Time, compression string) string {
	return s.artifactPath(region, t, Extension(compression))
}

// SealedArtifactPath names the encrypted artifact of region dumped at t.
func (s *Spool) SealedArtifactPath(region string, t time.Time, compression string) string {
	return s.artifactPath(region, t, Extension(compression)+SealedExt)
}

func (s *Spool) artifactPath(region string, t time.Time, ext string) string {
	t = t.Local()
	name := filePrefix + region + "-" + t.Format(stampLayout) + ext
	return filepath.Join(s.Dir, t.Format(dayLayout), name)
}

// ManifestPath is the manifest beside an artifact.
func ManifestPath(artifact string) string {
	return stem(artifact) + manifestSuffix
}

// DayDir is the dated directory for t.
func (s *Spool) DayDir(t time.Time) string {
	return filepath.Join(s.Dir, t.Local().Format(dayLayout))
}

// QuarantineDir holds dumps that failed; they are kept for inspection, not restored.
func (s *Spool) QuarantineDir() string { return filepath.Join(s.Dir, quarantineDir) }

// Quarantine moves path into the quarantine directory with a .reason file
// beside it and returns the new path. A missing path is not an error: there is
// nothing to keep.
func (s *Spool) Quarantine(path, reason string) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	// The path comes from a job message: never move a file this spool does
	// not hold (a hostile message naming /etc/passwd would otherwise move it).
	if !s.holds(path) {
		return "", fmt.Errorf("quarantine %s: refused, the file is outside the spool %s", path, s.Dir)
	}
	if err := os.MkdirAll(s.QuarantineDir(), 0o750); err != nil {
		return "", fmt.Errorf("quarantine %s: %w", path, err)
	}
	dst := filepath.Join(s.QuarantineDir(), strings.TrimPrefix(filepath.Base(path), tmpPrefix))
	if err := os.Rename(path, dst); err != nil {
		return "", fmt.Errorf("quarantine %s: %w", path, err)
	}
	if err := WriteFileAtomic(dst+".reason", []byte(reason+"\n"), 0o640); err != nil {
		return dst, err
	}
	return dst, nil
}

// holds reports whether path (after resolving symlinks in its directory)
// lies inside the spool directory.
func (s *Spool) holds(path string) bool {
	dir, err := filepath.Abs(s.Dir)
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	if err != nil {
		return false
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	parent, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(dir, filepath.Join(parent, filepath.Base(abs)))
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// Entry is an artifact found in the spool.
type Entry struct {
	Path     string
	Region   string
	Time     time.Time
	Manifest *job.Manifest // nil when the manifest is missing or unreadable
	Verified *Verification // nil until the restore test passed
	Shipped  *Shipping     // nil until shipped somewhere
}

// List returns region's artifacts (all regions when region is ""), oldest
// first. Temp files and quarantine are never listed.
func (s *Spool) List(region string) ([]Entry, error) {
	days, err := os.ReadDir(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list spool: %w", err)
	}
	var out []Entry
	for _, d := range days {
		if _, perr := time.Parse(dayLayout, d.Name()); !d.IsDir() || perr != nil {
			continue
		}
		out = append(out, s.listDay(filepath.Join(s.Dir, d.Name()), region)...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, nil
}

func (s *Spool) listDay(dir, region string) []Entry {
	files, _ := os.ReadDir(dir)
	var out []Entry
	for _, f := range files {
		r, t, ok := ParseName(f.Name())
		if !ok || (region != "" && r != region) {
			continue
		}
		p := filepath.Join(dir, f.Name())
		e := Entry{Path: p, Region: r, Time: t}
		if b, err := os.ReadFile(ManifestPath(p)); err == nil {
			e.Manifest, _ = job.DecodeManifest(b)
		}
		e.Verified, _ = readJSON[Verification](VerifiedPath(p))
		e.Shipped, _ = readJSON[Shipping](ShippedPath(p))
		out = append(out, e)
	}
	return out
}

// ParseName reads region and time back from an artifact's base name.
func ParseName(name string) (region string, t time.Time, ok bool) {
	rest, found := strings.CutPrefix(name, filePrefix)
	if !found {
		return "", time.Time{}, false
	}
	for _, ext := range artifactExts {
		if stem, cut := strings.CutSuffix(rest, ext); cut {
			i := strings.LastIndexByte(stem, '-')
			if i <= 0 {
				return "", time.Time{}, false
			}
			ts, err := time.ParseInLocation(stampLayout, stem[i+1:], time.Local)
			if err != nil {
				return "", time.Time{}, false
			}
			return stem[:i], ts, true
		}
	}
	return "", time.Time{}, false
}

// NewestVerified is the newest of entries (oldest first, as List returns
// them) that passed its restore test and has a readable manifest, or nil.
func NewestVerified(entries []Entry) *Entry {
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].Verified != nil && entries[i].Manifest != nil {
			return &entries[i]
		}
	}
	return nil
}

// Previous returns region's newest verified artifact other than exclude, or,
// before any was verified, its newest artifact with a readable manifest. It is
// the comparison point for size deltas.
func (s *Spool) Previous(region, exclude string) (*Entry, error) {
	entries, err := s.List(region)
	if err != nil {
		return nil, err
	}
	var fallback *Entry
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.Path == exclude || e.Manifest == nil {
			continue
		}
		if e.Verified != nil {
			return &e, nil
		}
		if fallback == nil {
			fallback = &e
		}
	}
	if fallback == nil {
		return nil, ErrNotFound
	}
	return fallback, nil
}

// FindRun returns region's committed artifact of run, so a dump job that is
// redelivered after its artifact was written reuses it instead of dumping a
// duplicate.
func (s *Spool) FindRun(region, run string) (*Entry, error) {
	entries, err := s.List(region)
	if err != nil {
		return nil, err
	}
	for i := len(entries) - 1; i >= 0; i-- {
		if m := entries[i].Manifest; m != nil && m.Run == run {
			return &entries[i], nil
		}
	}
	return nil, ErrNotFound
}

// NewArtifactPath names a new artifact of region started at t, sealed
// (.age) or not. Names have one-second resolution, so when a backup of the
// region already holds that second (two runs in quick succession) the next
// free second is taken: the older backup is never overwritten and the new
// one is not refused.
func (s *Spool) NewArtifactPath(region string, t time.Time, compression string, sealed bool) string {
	ext := Extension(compression)
	if sealed {
		ext += SealedExt
	}
	for i := 0; ; i++ {
		p := s.artifactPath(region, t.Add(time.Duration(i)*time.Second), ext)
		if !exists(p) && !exists(ManifestPath(p)) && !slices.ContainsFunc(otherExtensions(p), exists) {
			return p
		}
	}
}

// otherExtensions are the names p's stem would have with the other
// compressions and with or without sealing: they share its sidecars.
func otherExtensions(p string) []string {
	st := stem(p)
	var out []string
	for _, ext := range artifactExts {
		if st+ext != p {
			out = append(out, st+ext)
		}
	}
	return out
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
