package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gravedancer/internal/retention"
)

// pruneNow is the fixture's "now": noon, so the day boundaries are clear.
var pruneNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.Local)

// fixture is a spool and, beside it, a directory outside the spool that
// symlinks point into. Nothing outside may ever be deleted.
type fixture struct {
	t       *testing.T
	s       *Spool
	outside string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	base := t.TempDir()
	f := &fixture{t: t, s: &Spool{Dir: filepath.Join(base, "spool")}, outside: filepath.Join(base, "outside")}
	for _, d := range []string{f.s.Dir, f.outside} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func localAt(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, time.Local)
	if err != nil {
		panic(err)
	}
	return t
}

// backup writes an artifact with its manifest and, when asked, the
// verification and shipping sidecars, all with the backup's time as mtime.
func (f *fixture) backup(region, at, compression string, verified, shipped bool) string {
	f.t.Helper()
	ts := localAt(at)
	p := f.s.ArtifactPath(region, ts, compression)
	writeDump(f.t, p, region, "run-"+region, []byte(dumpText), compression)
	if verified {
		if err := MarkVerified(p, Verification{Run: "run-" + region, At: ts}); err != nil {
			f.t.Fatal(err)
		}
	}
	if shipped {
		if err := MarkShipped(p, Shipping{Run: "run-" + region}); err != nil {
			f.t.Fatal(err)
		}
	}
	for _, sc := range Sidecars(p) {
		if _, err := os.Lstat(sc); err == nil {
			f.age(sc, pruneNow.Sub(ts))
		}
	}
	return p
}

// file writes rel (inside the spool, or outside when rel starts with "@/")
// last modified age ago.
func (f *fixture) file(rel string, age time.Duration) string {
	f.t.Helper()
	p := f.path(rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("x\n"), 0o640); err != nil {
		f.t.Fatal(err)
	}
	f.age(p, age)
	return p
}

func (f *fixture) path(rel string) string {
	if rel == "@" {
		return f.outside
	}
	if r, ok := strings.CutPrefix(rel, "@/"); ok {
		return filepath.Join(f.outside, r)
	}
	return filepath.Join(f.s.Dir, rel)
}

func (f *fixture) dir(rel string) {
	f.t.Helper()
	if err := os.MkdirAll(f.path(rel), 0o750); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) symlink(target, rel string) {
	f.t.Helper()
	if err := os.MkdirAll(filepath.Dir(f.path(rel)), 0o750); err != nil {
		f.t.Fatal(err)
	}
	if err := os.Symlink(f.path(target), f.path(rel)); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) age(p string, age time.Duration) {
	f.t.Helper()
	mt := pruneNow.Add(-age)
	if err := os.Chtimes(p, mt, mt); err != nil {
		f.t.Fatal(err)
	}
}

// listTree lists everything under dir without following symlinks: directories
// end in "/", symlinks in "@".
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			rel += "@"
		case d.IsDir():
			rel += "/"
		}
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// planRegion runs retention over region's backups, as the retain stage does.
func planRegion(t *testing.T, s *Spool, region string, p retention.Policy) []PruneDecision {
	t.Helper()
	entries, err := s.List(region)
	if err != nil {
		t.Fatal(err)
	}
	var bs []retention.Backup
	for _, e := range entries {
		bs = append(bs, retention.Backup{ID: e.Path, Time: e.Time, Verified: e.Verified != nil})
	}
	var out []PruneDecision
	for _, d := range retention.Plan(bs, p, pruneNow) {
		out = append(out, PruneDecision{Path: d.Backup.ID, Delete: !d.Keep, Reasons: d.Reasons})
	}
	return out
}

const (
	tHour = time.Hour
	tDay  = 24 * time.Hour
)

// spoolWithHistory is two regions' history with every kind of litter around
// it. A's newest verified backup is 18 months old: every A backup since
// failed its restore test.
func spoolWithHistory(t *testing.T) *fixture {
	f := newFixture(t)
	f.backup("A", "2025-05-01 03:00", "gzip", true, false)
	a2 := f.backup("A", "2025-06-01 03:00", "gzip", true, true)
	f.backup("A", "2026-11-20 03:00", "gzip", false, false)
	f.backup("A", "2026-11-26 03:00", "gzip", false, false)
	f.backup("A", "2026-11-27 03:00", "gzip", false, false)
	for d := 20; d <= 27; d++ {
		f.backup("B", fmt.Sprintf("2026-11-%02d 03:00", d), "zstd", true, false)
	}
	if err := f.s.SetLatest(Latest{Region: "A", Path: a2}); err != nil {
		t.Fatal(err)
	}
	f.file("latest/.tmp-B.link", 30*tDay) // latest/ is never swept

	f.file("2025-06-01/run-20250601-0300.json", 500*tDay)
	f.file("2026-11-20/run-20261120-0300.json", 7*tDay)
	f.file("2026-11-26/run-20261126-0300.json", 33*tHour)

	f.file("quarantine/mdb_bkp_A-20261117_030000.sql.gz.a1b2c3d4e5f6", 10*tDay)
	f.file("quarantine/mdb_bkp_A-20261117_030000.sql.gz.a1b2c3d4e5f6.reason", 10*tDay)
	f.file("quarantine/.tmp-mdb_bkp_A-20261117_030000.sql.gz.a1b2c3d4e5f6.reason.0123456789ab", 10*tDay)
	f.file("quarantine/mdb_bkp_B-20261126_030000.sql.zst", tHour)
	f.file("quarantine/mdb_bkp_B-20261126_030000.sql.zst.reason", tHour)
	f.file("quarantine/mdb_bkp_B-20261126_030000.manifest.json", tHour)
	f.file("quarantine/mdb_bkp_B-20261126_030000.manifest.json.reason", tHour)
	f.file("quarantine/README", 100*tDay)

	f.file("2026-11-27/.tmp-mdb_bkp_B-20261127_110000.sql.zst.abcdef012345", tHour) // a dump in flight
	f.file("2026-11-23/.tmp-mdb_bkp_B-20261123_030000.sql.zst.abcdef012345", 4*tDay)
	f.file("2026-11-26/.tmp-run-20261126-0300.json.abcdef012345", 25*tHour) // older than a day: litter, though Days is 3

	// A crash mid-prune left these behind; the fresh one is a manifest
	// whose artifact the check stage is quarantining right now.
	f.file("2026-11-25/mdb_bkp_A-20261125_030000.manifest.json", 2*tDay)
	f.file("2026-11-25/mdb_bkp_A-20261125_030000.verified.json", 2*tDay)
	f.file("2026-11-27/mdb_bkp_A-20261127_090000.manifest.json", tHour)

	f.file("notes.txt", 400*tDay)
	f.file("2026-11-22/notes.txt", 400*tDay)
	f.file("2026-11-21/backup.sql.gz", 400*tDay)
	f.file("2026-11-21/mdb_bkp_A-2026.sql.gz", 400*tDay)
	f.dir("2026-10-01")

	// Outside the spool, files named like ours: a date directory and an
	// artifact, run report and quarantine entry link to them.
	for _, rel := range []string{"@/mdb_bkp_A-20250101_030000.sql.gz", "@/mdb_bkp_A-20250101_030000.manifest.json",
		"@/mdb_bkp_A-20250101_030000.verified.json", "@/run-20250101-0300.json", "@/.tmp-x"} {
		f.file(rel, 700*tDay)
	}
	f.symlink("@", "2025-01-01")
	f.symlink("@/mdb_bkp_A-20250101_030000.sql.gz", "2026-11-21/mdb_bkp_A-20250102_030000.sql.gz")
	f.symlink("@/run-20250101-0300.json", "2026-11-22/run-20250101-0300.json")
	return f
}

var outsideTree = []string{".tmp-x", "mdb_bkp_A-20250101_030000.manifest.json", "mdb_bkp_A-20250101_030000.sql.gz",
	"mdb_bkp_A-20250101_030000.verified.json", "run-20250101-0300.json"}

func TestPrune(t *testing.T) {
	f := spoolWithHistory(t)
	policy := retention.Policy{Days: 3, KeepMin: 1}
	opt := PruneOptions{Now: pruneNow, Days: 3}
	var removed []string
	var errs []error
	for _, region := range []string{"A", "B"} {
		res, err := f.s.Prune(region, planRegion(t, f.s, region, policy), opt)
		if err != nil {
			t.Fatalf("Prune(%s): %v", region, err)
		}
		for _, r := range res.Removed {
			removed = append(removed, spoolRel(t, f.s, r.Path)+" ("+r.Reason+")")
		}
		errs = append(errs, res.Errors...)
	}

	want := []string{
		"2025-01-01@",
		"2025-06-01/",
		"2025-06-01/mdb_bkp_A-20250601_030000.manifest.json",
		"2025-06-01/mdb_bkp_A-20250601_030000.shipped.json",
		"2025-06-01/mdb_bkp_A-20250601_030000.sql.gz",
		"2025-06-01/mdb_bkp_A-20250601_030000.verified.json",
		"2026-11-21/",
		"2026-11-21/backup.sql.gz",
		"2026-11-21/mdb_bkp_A-2026.sql.gz",
		"2026-11-21/mdb_bkp_A-20250102_030000.sql.gz@",
		"2026-11-22/",
		"2026-11-22/notes.txt",
		"2026-11-22/run-20250101-0300.json@",
		"2026-11-25/",
		"2026-11-25/mdb_bkp_B-20261125_030000.manifest.json",
		"2026-11-25/mdb_bkp_B-20261125_030000.sql.zst",
		"2026-11-25/mdb_bkp_B-20261125_030000.verified.json",
		"2026-11-26/",
		"2026-11-26/mdb_bkp_A-20261126_030000.manifest.json",
		"2026-11-26/mdb_bkp_A-20261126_030000.sql.gz",
		"2026-11-26/mdb_bkp_B-20261126_030000.manifest.json",
		"2026-11-26/mdb_bkp_B-20261126_030000.sql.zst",
		"2026-11-26/mdb_bkp_B-20261126_030000.verified.json",
		"2026-11-26/run-20261126-0300.json",
		"2026-11-27/",
		"2026-11-27/.tmp-mdb_bkp_B-20261127_110000.sql.zst.abcdef012345",
		"2026-11-27/mdb_bkp_A-20261127_030000.manifest.json",
		"2026-11-27/mdb_bkp_A-20261127_030000.sql.gz",
		"2026-11-27/mdb_bkp_A-20261127_090000.manifest.json",
		"2026-11-27/mdb_bkp_B-20261127_030000.manifest.json",
		"2026-11-27/mdb_bkp_B-20261127_030000.sql.zst",
		"2026-11-27/mdb_bkp_B-20261127_030000.verified.json",
		"latest/",
		"latest/.tmp-B.link",
		"latest/A@",
		"latest/A.json",
		"notes.txt",
		"quarantine/",
		"quarantine/README",
		"quarantine/mdb_bkp_B-20261126_030000.manifest.json",
		"quarantine/mdb_bkp_B-20261126_030000.manifest.json.reason",
		"quarantine/mdb_bkp_B-20261126_030000.sql.zst",
		"quarantine/mdb_bkp_B-20261126_030000.sql.zst.reason",
	}
	slices.Sort(want)
	if got := slices.Sorted(slices.Values(listTree(t, f.s.Dir))); !slices.Equal(got, want) {
		t.Errorf("spool after prune:\n%s\nwant:\n%s\nremoved:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), strings.Join(removed, "\n"))
	}
	if got := listTree(t, f.outside); !slices.Equal(got, outsideTree) {
		t.Errorf("outside the spool: %q, want %q untouched", got, outsideTree)
	}

	// Reasons, spot-checked.
	for _, w := range []string{
		"2025-05-01/mdb_bkp_A-20250501_030000.sql.gz (older than 3 days)",
		"2025-05-01/mdb_bkp_A-20250501_030000.verified.json (sidecar of mdb_bkp_A-20250501_030000.sql.gz)",
		"2026-11-20/mdb_bkp_A-20261120_030000.sql.gz (older than 3 days (unverified))",
		"2026-11-20/run-20261120-0300.json (run report older than 3 days)",
		"2026-11-24/ (empty dated directory)",
		"2026-10-01/ (empty dated directory)",
		"quarantine/mdb_bkp_A-20261117_030000.sql.gz.a1b2c3d4e5f6 (quarantined more than 3 days ago)",
		"2026-11-26/.tmp-run-20261126-0300.json.abcdef012345 (temp litter older than 1 day)",
		"2026-11-25/mdb_bkp_A-20261125_030000.manifest.json (orphaned sidecar: its artifact is gone)",
	} {
		if !slices.Contains(removed, strings.Replace(w, "/ (", " (", 1)) {
			t.Errorf("removed lacks %q", w)
		}
	}

	// The artifact-named symlink was listed and planned for deletion:
	// refused, and said so.
	if len(errs) != 1 || !errors.Is(errs[0], ErrUnsafe) || !strings.Contains(errs[0].Error(), "mdb_bkp_A-20250102_030000.sql.gz") {
		t.Errorf("errors = %v, want one refusal of the symlink", errs)
	}

	// Pruning again finds nothing more to do.
	for _, region := range []string{"A", "B"} {
		res, err := f.s.Prune(region, planRegion(t, f.s, region, policy), opt)
		if err != nil || len(res.Removed) != 0 {
			t.Errorf("second Prune(%s) = %+v, %v; want nothing removed", region, res, err)
		}
	}
}

func spoolRel(t *testing.T, s *Spool, p string) string {
	t.Helper()
	r, err := filepath.Rel(s.Dir, p)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(r)
}

func TestPruneKeepsReasons(t *testing.T) {
	f := spoolWithHistory(t)
	res, err := f.s.Prune("A", planRegion(t, f.s, "A", retention.Policy{Days: 3}), PruneOptions{Now: pruneNow, Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	kept := map[string]string{}
	for _, k := range res.Kept {
		kept[spoolRel(t, f.s, k.Path)] = k.Reason
	}
	for path, want := range map[string]string{
		"2025-06-01/mdb_bkp_A-20250601_030000.sql.gz": "newest verified",
		"2026-11-27/mdb_bkp_A-20261127_030000.sql.gz": "younger than 3 days (unverified)",
		"2026-11-22/notes.txt":                        "not written by gravedancer: left alone",
		"2026-11-22/run-20250101-0300.json":           "not a regular file: left alone",
		"2025-01-01":                                  "symlink: not followed",
		"quarantine/README":                           "not written by gravedancer: left alone",
	} {
		if kept[path] != want {
			t.Errorf("kept %s: %q, want %q", path, kept[path], want)
		}
	}
}

func TestPruneDryRunDeletesNothing(t *testing.T) {
	dry, wet := spoolWithHistory(t), spoolWithHistory(t)
	before := listTree(t, dry.s.Dir)
	opt := PruneOptions{Now: pruneNow, Days: 3}
	policy := retention.Policy{Days: 3}
	got, err := dry.s.Prune("B", planRegion(t, dry.s, "B", policy), PruneOptions{Now: pruneNow, Days: 3, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	want, err := wet.s.Prune("B", planRegion(t, wet.s, "B", policy), opt)
	if err != nil {
		t.Fatal(err)
	}
	if after := listTree(t, dry.s.Dir); !slices.Equal(after, before) {
		t.Errorf("a dry run changed the spool:\nbefore %q\nafter  %q", before, after)
	}
	if g, w := removedRel(t, dry.s, got), removedRel(t, wet.s, want); !slices.Equal(g, w) || len(g) == 0 {
		t.Errorf("dry run reports\n%s\nthe real run removed\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}

func removedRel(t *testing.T, s *Spool, res *PruneResult) []string {
	t.Helper()
	var out []string
	for _, r := range res.Removed {
		out = append(out, spoolRel(t, s, r.Path)+" ("+r.Reason+")")
	}
	return out
}

// TestPruneRefusesUnsafePaths feeds decisions no retention would make: each
// must be refused with ErrUnsafe and delete nothing.
func TestPruneRefusesUnsafePaths(t *testing.T) {
	f := spoolWithHistory(t)
	f.file("2026-11-27/sub/mdb_bkp_A-20261127_030000.sql.gz", 10*tDay)
	f.file("latest/mdb_bkp_A-20250601_030000.sql.gz", 10*tDay)
	cases := []struct{ name, region, path, want string }{
		{"outside", "A", filepath.Join(f.outside, "mdb_bkp_A-20250101_030000.sql.gz"), "outside the spool"},
		{"climbing out", "A", filepath.Join(f.s.Dir, "2026-11-27", "..", "..", "outside", "mdb_bkp_A-20250101_030000.sql.gz"), "outside the spool"},
		{"through a symlinked date dir", "A", filepath.Join(f.s.Dir, "2025-01-01", "mdb_bkp_A-20250101_030000.sql.gz"), "not a directory"},
		{"an artifact-named symlink", "A", f.path("2026-11-21/mdb_bkp_A-20250102_030000.sql.gz"), "not a regular file"},
		{"a foreign name", "A", f.path("2026-11-21/backup.sql.gz"), "not an artifact's name"},
		{"another region's", "A", f.path("2026-11-26/mdb_bkp_B-20261126_030000.sql.zst"), "region B, not A"},
		{"in the quarantine", "B", f.path("quarantine/mdb_bkp_B-20261126_030000.sql.zst"), "not in a dated directory"},
		{"in latest", "A", f.path("latest/mdb_bkp_A-20250601_030000.sql.gz"), "not in a dated directory"},
		{"nested in a date dir", "A", f.path("2026-11-27/sub/mdb_bkp_A-20261127_030000.sql.gz"), "not in a dated directory"},
		{"the spool itself", "", f.s.Dir, "not in a dated directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The sweep may delete litter; nothing of the decision's name may go.
			stem := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(c.path), ".sql.gz"), ".sql.zst")
			res, err := f.s.prune(c.region, []PruneDecision{{Path: c.path, Delete: true}}, PruneOptions{Now: pruneNow, Days: 3},
				func(r *os.Root, name string) error {
					if strings.HasPrefix(filepath.Base(name), stem) {
						t.Errorf("unlink %s", name)
						return nil
					}
					return r.Remove(name)
				})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Errors) != 1 || !errors.Is(res.Errors[0], ErrUnsafe) || !strings.Contains(res.Errors[0].Error(), c.want) {
				t.Errorf("errors = %v, want one ErrUnsafe saying %q", res.Errors, c.want)
			}
			if _, err := os.Lstat(c.path); err != nil {
				t.Errorf("%s: %v", c.path, err)
			}
		})
	}
	if got := listTree(t, f.outside); !slices.Equal(got, outsideTree) {
		t.Errorf("outside the spool: %q, want %q untouched", got, outsideTree)
	}
}

func TestPruneNeverDeletesWhatLatestNames(t *testing.T) {
	f := spoolWithHistory(t)
	a2 := f.path("2025-06-01/mdb_bkp_A-20250601_030000.sql.gz")
	res, err := f.s.Prune("A", []PruneDecision{{Path: a2, Delete: true, Reasons: []string{"a bug"}}}, PruneOptions{Now: pruneNow, Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a2); err != nil {
		t.Fatalf("the artifact latest names was deleted: %v", err)
	}
	if !slices.Contains(res.Kept, Removed{Path: a2, Reason: "a latest pointer names it"}) {
		t.Errorf("kept = %+v, want the latest artifact with its reason", res.Kept)
	}
}

// TestPruneQuarantineSymlink: a quarantine that is a symlink out of the
// spool is not followed, so old quarantine-named files there survive.
func TestPruneQuarantineSymlink(t *testing.T) {
	f := newFixture(t)
	f.file("@/mdb_bkp_A-20250101_030000.sql.gz", 700*tDay)
	f.file("@/mdb_bkp_A-20250101_030000.sql.gz.reason", 700*tDay)
	f.symlink("@", "quarantine")
	res, err := f.s.Prune("A", nil, PruneOptions{Now: pruneNow, Days: 3})
	if err != nil || len(res.Removed) != 0 {
		t.Fatalf("Prune = %+v, %v; want nothing removed", res, err)
	}
	if got := listTree(t, f.outside); len(got) != 2 {
		t.Errorf("outside the spool: %q, want both files", got)
	}
}

// TestPruneDeletesArtifactFirst: the artifact goes first, so a crash right
// after leaves a backup List no longer shows, never one that looks present
// but unverified; the next prune sweeps the orphaned sidecars.
func TestPruneDeletesArtifactFirst(t *testing.T) {
	f := newFixture(t)
	old := f.backup("R", "2026-11-01 03:00", "gzip", true, true)
	f.backup("R", "2026-11-27 03:00", "gzip", true, false)
	decisions := []PruneDecision{{Path: old, Delete: true}}

	var order []string
	crash := errors.New("power cut")
	_, err := f.s.prune("R", decisions, PruneOptions{Now: pruneNow, Days: 3}, func(r *os.Root, name string) error {
		order = append(order, filepath.Base(name))
		if len(order) > 1 {
			return crash // the process is gone: nothing after the first unlink happens
		}
		return r.Remove(name)
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Base(old), filepath.Base(ManifestPath(old))}; len(order) < 2 || !slices.Equal(order[:2], want) {
		t.Fatalf("unlink order %q, want the artifact, then its manifest", order)
	}
	list, _ := f.s.List("R")
	if len(list) != 1 || list[0].Path == old {
		t.Fatalf("after the crash List = %+v, want only the new backup", list)
	}
	for _, sc := range Sidecars(old)[1:] {
		if _, err := os.Stat(sc); err != nil {
			t.Fatalf("%s: %v, want the sidecar left by the crash", sc, err)
		}
	}

	res, err := f.s.Prune("R", nil, PruneOptions{Now: pruneNow, Days: 3})
	if err != nil || len(res.Errors) != 0 {
		t.Fatalf("Prune = %+v, %v", res, err)
	}
	if _, err := os.Stat(f.path("2026-11-01")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the orphans' date dir remains (%v): %q", err, listTree(t, f.path("2026-11-01")))
	}
}

func TestPruneSharedStemKeepsSidecars(t *testing.T) {
	f := newFixture(t)
	gz := f.backup("R", "2026-11-01 03:00", "gzip", true, false)
	zst := strings.TrimSuffix(gz, ".sql.gz") + ".sql.zst"
	f.file(spoolRel(t, f.s, zst), 26*tDay)
	res, err := f.s.Prune("R", []PruneDecision{{Path: gz, Delete: true}}, PruneOptions{Now: pruneNow, Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 1 || res.Removed[0].Path != gz {
		t.Errorf("removed %+v, want only %s", res.Removed, gz)
	}
	for _, p := range []string{zst, ManifestPath(gz), VerifiedPath(gz)} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// TestPruneEmptyDateDirs: an empty dated directory goes only once no dump
// started less than a day ago can be about to write into it.
func TestPruneEmptyDateDirs(t *testing.T) {
	f := newFixture(t)
	for _, d := range []string{"2025-01-01", "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-28"} {
		f.dir(d)
	}
	if _, err := f.s.Prune("R", nil, PruneOptions{Now: pruneNow, Days: 3}); err != nil { // 2026-11-27 12:00
		t.Fatal(err)
	}
	// 2026-11-26: a dump started at 23:59 may still be running; 2026-11-28:
	// a skewed clock's.
	if got, want := listTree(t, f.s.Dir), []string{"2026-11-26/", "2026-11-27/", "2026-11-28/"}; !slices.Equal(got, want) {
		t.Errorf("left %q, want %q", got, want)
	}
}

func TestPruneNames(t *testing.T) {
	cases := []struct {
		name        string
		kind        fileKind
		quarantined bool
	}{
		{"mdb_bkp_R-20261127_030000.sql.gz", kindArtifact, true},
		{"mdb_bkp_eu-west_2-20261127_030000.sql.zst", kindArtifact, true},
		{"mdb_bkp_R-20261127_030000.manifest.json", kindSidecar, true},
		{"mdb_bkp_R-20261127_030000.verified.json", kindSidecar, true},
		{"mdb_bkp_R-20261127_030000.shipped.json", kindSidecar, true},
		{"mdb_bkp_R-20261127_030000.sql.gz.reason", kindForeign, true},
		{"mdb_bkp_R-20261127_030000.sql.gz.0123456789ab", kindForeign, true},
		{"mdb_bkp_R-20261127_030000.sql.gz.0123456789ab.reason", kindForeign, true},
		{"mdb_bkp_R-20261127_030000.sql.gz.0123456789", kindForeign, false},
		{"mdb_bkp_R-20261127_030000.sql.gz.0123456789AB", kindForeign, false},
		{"mdb_bkp_R-2026.manifest.json", kindForeign, false},
		{"mdb_bkp_R-20261127_030000.json", kindForeign, false},
		{"run-20261127-0300.json", kindRunReport, false},
		{"run-20261127-030000-a1b2c3.json", kindRunReport, false},
		{"run-.json", kindForeign, false},
		{"run-a.b.json", kindForeign, false},
		{".tmp-anything", kindTemp, false},
		{"backup.sql.gz", kindForeign, false},
		{"notes.txt", kindForeign, false},
		{"README", kindForeign, false},
	}
	for _, c := range cases {
		if got := classify(c.name); got != c.kind {
			t.Errorf("classify(%s) = %v, want %v", c.name, got, c.kind)
		}
		if got := isQuarantined(c.name); got != c.quarantined {
			t.Errorf("isQuarantined(%s) = %v, want %v", c.name, got, c.quarantined)
		}
	}
}

func TestPruneOptions(t *testing.T) {
	s := &Spool{Dir: t.TempDir()}
	for _, opt := range []PruneOptions{{Now: pruneNow}, {Days: 3}} {
		if _, err := s.Prune("R", nil, opt); err == nil {
			t.Errorf("Prune with %+v succeeded", opt)
		}
	}
	missing := &Spool{Dir: filepath.Join(t.TempDir(), "none")}
	if res, err := missing.Prune("R", nil, PruneOptions{Now: pruneNow, Days: 3}); err != nil || len(res.Removed) != 0 {
		t.Errorf("Prune of a missing spool = %+v, %v", res, err)
	}
}
