package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"gravedancer/internal/job"
)

// Pruning applies retention's decisions to the spool and sweeps the litter
// around them. It deletes only what it can prove this service wrote, and only
// inside the spool:
//
//   - every operation goes through an os.Root opened on the spool, so no path
//     (not "..", not a symlink swapped in meanwhile) resolves outside it;
//   - nothing is followed: entries are classified by Lstat, a symlink is
//     never deleted nor descended into, whatever its name;
//   - a file is deleted only when its name is one the service writes
//     (artifact, sidecar, run-<RUN>.json, .tmp-*, quarantine entries) and it
//     is a regular file; a directory only when it is a dated directory that
//     is empty;
//   - latest/ is never touched, and an artifact a latest pointer names is
//     never deleted, whatever the decision says.

// ErrUnsafe marks a deletion Prune refused because the path is not one it can
// prove is a backup of the region inside the spool.
var ErrUnsafe = errors.New("refused")

// litterAge protects work in flight: a temp file being written, a manifest
// beside an artifact being quarantined, a dated directory a dump is about to
// write into. A day is far longer than any of these takes, and a temp file
// that is still being written has a fresh mtime.
const litterAge = 24 * time.Hour

// PruneOptions say what to sweep besides artifacts.
type PruneOptions struct {
	Now time.Time
	// Days: run reports and quarantined files older than this (by mtime)
	// are deleted too. At least 1. Temp litter and orphaned sidecars go
	// after a day whatever Days says: they are never worth keeping.
	Days   int
	DryRun bool // report what would be deleted, delete nothing
}

// Removed is a path and why it was (or, in Kept, was not) deleted.
type Removed struct {
	Path   string
	Reason string
}

// PruneResult lists what was deleted (or would be, in a dry run), what was
// kept and why (artifacts decided on, foreign files and symlinks left alone),
// and the errors met on the way: one failure does not stop the rest.
type PruneResult struct {
	Removed []Removed
	Kept    []Removed
	Errors  []error
}

// PruneDecision is retention's decision for one artifact of the region.
type PruneDecision struct {
	Path    string
	Delete  bool
	Reasons []string
}

// Prune deletes region's artifacts whose decision is Delete, each with all
// its sidecars, then sweeps run reports and quarantined files older than
// opt.Days, temp litter and orphaned sidecars older than a day, and empty
// dated directories. region "" accepts decisions for any region. A missing
// spool is nothing to prune. The error is for problems that stop the whole
// prune; per-file problems are in the result's Errors.
//
// An artifact is deleted before its sidecars, and the directory is synced in
// between: List, Previous, FindRun and retention see a backup only through
// its artifact file, so from that one unlink on, the backup is gone from
// every view. A crash afterwards leaves orphaned sidecars, which are never
// mistaken for a backup and are swept by the next prune. The other order
// would be wrong: without its .verified.json a present artifact would be
// taken for an unverified one, and without its manifest it could not be
// checked or restored.
func (s *Spool) Prune(region string, decisions []PruneDecision, opt PruneOptions) (*PruneResult, error) {
	return s.prune(region, decisions, opt, (*os.Root).Remove)
}

// prune is Prune with the unlink call injectable, so tests can crash it
// between two deletions.
func (s *Spool) prune(region string, decisions []PruneDecision, opt PruneOptions, unlink func(*os.Root, string) error) (*PruneResult, error) {
	if opt.Days < 1 {
		return nil, fmt.Errorf("prune: days must be at least 1, got %d", opt.Days)
	}
	if opt.Now.IsZero() {
		return nil, errors.New("prune: no current time given")
	}
	abs, err := filepath.Abs(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	root, err := os.OpenRoot(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return &PruneResult{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("prune: %w", err)
	}
	defer root.Close()
	p := &pruner{root: root, dir: s.Dir, abs: abs, opt: opt, unlink: unlink,
		gone: map[string]bool{}, decided: map[string]bool{}}
	p.readLatest()
	for _, d := range decisions {
		p.decide(region, d)
	}
	if err := p.sweep(); err != nil {
		return &p.res, err
	}
	return &p.res, nil
}

type pruner struct {
	root    *os.Root
	dir     string // the spool as the caller named it, for paths in results
	abs     string // its cleaned absolute path
	opt     PruneOptions
	unlink  func(*os.Root, string) error
	res     PruneResult
	gone    map[string]bool // relative paths deleted (in a dry run: that would be)
	decided map[string]bool // relative paths a decision named
	latest  map[string]bool // relative paths a latest pointer names
}

func (p *pruner) path(rel string) string { return filepath.Join(p.dir, rel) }

func (p *pruner) keep(rel, reason string) {
	p.res.Kept = append(p.res.Kept, Removed{Path: p.path(rel), Reason: reason})
}

func (p *pruner) fail(err error) { p.res.Errors = append(p.res.Errors, err) }

// readLatest collects the artifacts latest pointers name. An unreadable
// pointer is reported: the guard it would give is lost for this run.
func (p *pruner) readLatest() {
	p.latest = map[string]bool{}
	entries, err := p.readDir("latest")
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			p.fail(fmt.Errorf("prune: latest pointers: %w", err))
		}
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || IsTemp(e.Name()) || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		rel := filepath.Join("latest", e.Name())
		var l Latest
		b, err := p.root.ReadFile(rel)
		if err == nil {
			err = json.Unmarshal(b, &l)
		}
		if err != nil {
			p.fail(fmt.Errorf("prune: latest pointer %s: %w", p.path(rel), err))
			continue
		}
		if r, ok := p.rel(l.Path); ok {
			p.latest[r] = true
		}
	}
}

// rel returns path relative to the spool, when it is inside it.
func (p *pruner) rel(path string) (string, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false
	}
	r, err := filepath.Rel(p.abs, abs)
	if err != nil || !filepath.IsLocal(r) {
		return "", false
	}
	return r, true
}

func (p *pruner) decide(region string, d PruneDecision) {
	rel, err := p.artifactRel(d.Path, region)
	if err != nil {
		p.fail(err)
		return
	}
	p.decided[rel] = true
	switch {
	case !d.Delete:
		p.keep(rel, strings.Join(d.Reasons, "; "))
	case p.latest[rel]:
		p.keep(rel, "a latest pointer names it")
	default:
		p.deleteArtifact(rel, strings.Join(d.Reasons, "; "))
	}
}

// artifactRel proves a decision's path is an artifact of region directly in
// a real dated directory of the spool, and returns it relative to the spool.
// An artifact that is already gone passes: its sidecars may remain.
func (p *pruner) artifactRel(path, region string) (string, error) {
	unsafe := func(why string, args ...any) error {
		return fmt.Errorf("prune %s: %w: %s", path, ErrUnsafe, fmt.Sprintf(why, args...))
	}
	rel, ok := p.rel(path)
	if !ok {
		return "", unsafe("outside the spool %s", p.dir)
	}
	day, name := filepath.Split(rel)
	day = filepath.Clean(day)
	if !isDayName(day) {
		return "", unsafe("not in a dated directory")
	}
	r, _, ok := ParseName(name)
	if !ok {
		return "", unsafe("not an artifact's name")
	}
	if region != "" && r != region {
		return "", unsafe("an artifact of region %s, not %s", r, region)
	}
	if fi, err := p.root.Lstat(day); err == nil && !fi.IsDir() {
		return "", unsafe("%s is not a directory (a symlink is not followed)", day)
	}
	fi, err := p.root.Lstat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return rel, nil
	case err != nil:
		return "", fmt.Errorf("prune %s: %w", path, err)
	case !fi.Mode().IsRegular():
		return "", unsafe("not a regular file (a symlink is not followed)")
	}
	return rel, nil
}

// deleteArtifact removes the artifact, makes that durable, then removes its
// sidecars (see Prune for why in this order).
func (p *pruner) deleteArtifact(rel, reason string) {
	if !p.remove(rel, reason) {
		return
	}
	if p.gone[rel] && !p.opt.DryRun {
		if err := p.syncDir(filepath.Dir(rel)); err != nil {
			p.fail(err) // the sidecars wait for the next prune
			return
		}
	}
	if slices.ContainsFunc(otherExtensions(rel), p.exists) {
		// The same stem with another compression or sealing: the
		// sidecars are shared, so they stay with it.
		return
	}
	for _, sc := range Sidecars(rel)[1:] {
		p.remove(sc, "sidecar of "+filepath.Base(rel))
	}
}

// remove deletes one regular file and reports whether it is gone now
// (deleted, or missing already). Anything but a regular file is left alone.
func (p *pruner) remove(rel, reason string) bool {
	fi, err := p.root.Lstat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return true
	case err != nil:
		p.fail(fmt.Errorf("prune %s: %w", p.path(rel), err))
		return false
	case !fi.Mode().IsRegular():
		p.keep(rel, "not a regular file: left alone")
		return false
	}
	if !p.opt.DryRun {
		if err := p.unlink(p.root, rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
			p.fail(fmt.Errorf("prune %s: %w", p.path(rel), err))
			return false
		}
	}
	p.gone[rel] = true
	p.res.Removed = append(p.res.Removed, Removed{Path: p.path(rel), Reason: reason})
	return true
}

func (p *pruner) exists(rel string) bool {
	_, err := p.root.Lstat(rel)
	return err == nil && !p.gone[rel]
}

func (p *pruner) syncDir(rel string) error {
	d, err := p.root.Open(rel)
	if err != nil {
		return fmt.Errorf("fsync dir %s: %w", p.path(rel), err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync dir %s: %w", p.path(rel), err)
	}
	return nil
}

func (p *pruner) readDir(rel string) ([]fs.DirEntry, error) {
	d, err := p.root.Open(rel)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.ReadDir(-1)
}

// sweep walks the top of the spool: dated directories and the quarantine.
// latest/ and anything else are not pruning's business.
func (p *pruner) sweep() error {
	entries, err := p.readDir(".")
	if err != nil {
		return fmt.Errorf("prune %s: %w", p.dir, err)
	}
	for _, e := range entries {
		switch name := e.Name(); {
		case name != quarantineDir && !isDayName(name):
		case e.Type()&fs.ModeSymlink != 0:
			p.keep(name, "symlink: not followed")
		case !e.IsDir():
		case name == quarantineDir:
			p.sweepQuarantine()
		default:
			p.sweepDay(name)
		}
	}
	return nil
}

func isDayName(name string) bool {
	_, err := time.Parse(dayLayout, name)
	return err == nil
}

// sweepDay sweeps one dated directory and removes it when nothing is left.
func (p *pruner) sweepDay(day string) {
	entries, err := p.readDir(day)
	if err != nil {
		p.fail(fmt.Errorf("prune %s: %w", p.path(day), err))
		return
	}
	left := 0
	for _, e := range entries {
		rel := filepath.Join(day, e.Name())
		if !p.gone[rel] && !p.sweepDayEntry(rel, e) {
			left++
		}
	}
	if left == 0 && p.dayOver(day) {
		p.removeDir(day)
	}
}

// sweepDayEntry deletes one entry of a dated directory if it is litter and
// reports whether it is gone. Artifacts are only ever deleted by a decision.
func (p *pruner) sweepDayEntry(rel string, e fs.DirEntry) bool {
	k := classify(e.Name())
	switch {
	case k == kindForeign:
		p.keepUndecided(rel, "not written by gravedancer: left alone")
		return false
	case !e.Type().IsRegular():
		p.keepUndecided(rel, "not a regular file: left alone")
		return false
	case k == kindArtifact:
		return false
	}
	age, ok := p.age(rel, e)
	if !ok {
		return false
	}
	switch {
	case k == kindRunReport && age >= p.window():
		return p.remove(rel, "run report older than "+dayCount(p.opt.Days))
	case k == kindTemp && age >= litterAge:
		return p.remove(rel, "temp litter older than 1 day")
	case k == kindSidecar && age >= litterAge && p.orphaned(rel):
		return p.remove(rel, "orphaned sidecar: its artifact is gone")
	}
	return false
}

// keepUndecided reports a file left alone, unless a decision already did.
func (p *pruner) keepUndecided(rel, reason string) {
	if !p.decided[rel] {
		p.keep(rel, reason)
	}
}

// age is how long ago the entry was last modified.
func (p *pruner) age(rel string, e fs.DirEntry) (time.Duration, bool) {
	fi, err := e.Info()
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			p.fail(fmt.Errorf("prune %s: %w", p.path(rel), err))
		}
		return 0, false
	}
	return p.opt.Now.Sub(fi.ModTime()), true
}

func (p *pruner) window() time.Duration { return time.Duration(p.opt.Days) * 24 * time.Hour }

// orphaned reports whether a sidecar's artifact is gone under both names.
func (p *pruner) orphaned(rel string) bool {
	stem := filepath.Join(filepath.Dir(rel), sidecarStem(filepath.Base(rel)))
	return !slices.ContainsFunc(artifactExts, func(ext string) bool { return p.exists(stem + ext) })
}

// dayOver reports whether a dump started less than litterAge ago can no
// longer be writing into the day's directory.
func (p *pruner) dayOver(day string) bool {
	start, err := time.ParseInLocation(dayLayout, day, time.Local)
	if err != nil {
		return false
	}
	return !start.AddDate(0, 0, 1).After(p.opt.Now.Add(-litterAge))
}

func (p *pruner) removeDir(day string) {
	if !p.opt.DryRun {
		err := p.unlink(p.root, day)
		if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
			return // something arrived meanwhile: it is in use
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			p.fail(fmt.Errorf("prune %s: %w", p.path(day), err))
			return
		}
	}
	p.gone[day] = true
	p.res.Removed = append(p.res.Removed, Removed{Path: p.path(day), Reason: "empty dated directory"})
}

// sweepQuarantine deletes quarantined files older than Days and temp litter
// left by writing their .reason files.
func (p *pruner) sweepQuarantine() {
	entries, err := p.readDir(quarantineDir)
	if err != nil {
		p.fail(fmt.Errorf("prune %s: %w", p.path(quarantineDir), err))
		return
	}
	for _, e := range entries {
		rel := filepath.Join(quarantineDir, e.Name())
		switch {
		case !IsTemp(e.Name()) && !isQuarantined(e.Name()):
			p.keep(rel, "not written by gravedancer: left alone")
			continue
		case !e.Type().IsRegular():
			p.keep(rel, "not a regular file: left alone")
			continue
		}
		age, ok := p.age(rel, e)
		switch {
		case !ok:
		case IsTemp(e.Name()) && age >= litterAge:
			p.remove(rel, "temp litter older than 1 day")
		case !IsTemp(e.Name()) && age >= p.window():
			p.remove(rel, "quarantined more than "+dayCount(p.opt.Days)+" ago")
		}
	}
}

// fileKind is what a name in a dated directory says a file is.
type fileKind int

const (
	kindForeign fileKind = iota
	kindArtifact
	kindSidecar
	kindRunReport
	kindTemp
)

func classify(name string) fileKind {
	switch {
	case IsTemp(name):
		return kindTemp
	case isRunReport(name):
		return kindRunReport
	case isArtifact(name):
		return kindArtifact
	case sidecarStem(name) != "":
		return kindSidecar
	}
	return kindForeign
}

func isArtifact(name string) bool {
	_, _, ok := ParseName(name)
	return ok
}

// isRunReport matches report.Path's run-<RUN>.json.
func isRunReport(name string) bool {
	run, ok := strings.CutPrefix(name, "run-")
	if !ok {
		return false
	}
	run, ok = strings.CutSuffix(run, ".json")
	return ok && job.ValidRunID(run)
}

// sidecarStem returns the artifact stem of a manifest or sidecar name, or ""
// when name is not one.
func sidecarStem(name string) string {
	for _, suffix := range []string{manifestSuffix, verifiedSuffix, shippedSuffix} {
		if stem, ok := strings.CutSuffix(name, suffix); ok && isArtifact(stem+".sql.gz") {
			return stem
		}
	}
	return ""
}

// isQuarantined matches what Quarantine stores: an artifact or sidecar, a
// partial dump still carrying its temp file's random suffix, and the .reason
// file beside each.
func isQuarantined(name string) bool {
	name = strings.TrimSuffix(name, ".reason")
	if isArtifact(name) || sidecarStem(name) != "" {
		return true
	}
	i := strings.LastIndexByte(name, '.')
	if i < 0 || !isTempSuffix(name[i+1:]) {
		return false
	}
	return isArtifact(name[:i]) || sidecarStem(name[:i]) != ""
}

// isTempSuffix matches the random hex CreateTemp appends.
func isTempSuffix(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

func dayCount(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}
