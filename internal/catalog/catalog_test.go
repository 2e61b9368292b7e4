package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gravedancer/internal/job"
	"gravedancer/internal/report"
	"gravedancer/internal/ship"
	"gravedancer/internal/store"
)

// fixture is a spool with a known history:
//
//	REG1 day 1  verified, shipped to dir, then pruned locally (known from the report and the dir)
//	REG1 day 2  verified, latest
//	REG1 day 3  never verified
//	REG1 day 4  quarantined
//	REG2 day 2  verified, audited and failed
type fixture struct {
	spool *store.Spool
	dir   *ship.Dir
	t0    time.Time
	paths map[string]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	root := t.TempDir()
	f := &fixture{spool: &store.Spool{Dir: filepath.Join(root, "spool")}, dir: &ship.Dir{Root: filepath.Join(root, "shipped")},
		t0: time.Date(2026, 11, 1, 2, 30, 0, 0, time.Local), paths: map[string]string{}}
	day := func(n int) time.Time { return f.t0.AddDate(0, 0, n-1) }
	if err := os.Mkdir(f.dir.Root, 0o755); err != nil { // a mount point exists before anything ships
		t.Fatal(err)
	}

	p1 := f.artifact(t, "REG1", day(1))
	f.verify(t, p1, "R1")
	if _, err := f.dir.Ship(context.Background(), f.shipArtifact(t, p1, day(1))); err != nil {
		t.Fatal(err)
	}
	f.report(t, "R1", day(1), report.Region{Region: "REG1", Outcome: report.OutcomeGood, Artifact: p1, TestServer: "test1:3306", RowsVerified: 10, ShippedTo: []string{"dir"}})
	for _, p := range store.Sidecars(p1) {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}

	p2 := f.artifact(t, "REG1", day(2))
	f.verify(t, p2, "R2")
	if err := f.spool.SetLatest(store.Latest{Region: "REG1", Path: p2, Run: "R2"}); err != nil {
		t.Fatal(err)
	}
	f.artifact(t, "REG1", day(3))
	p4 := f.artifact(t, "REG1", day(4))
	if _, err := f.spool.Quarantine(p4, "check failed: sha256 differs\nmore"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.spool.Quarantine(store.ManifestPath(p4), "check failed"); err != nil {
		t.Fatal(err)
	}

	r2 := f.artifact(t, "REG2", day(2))
	f.verify(t, r2, "R2")
	f.report(t, VerifyRunPrefix+"REG2-x", day(5), report.Region{Region: "REG2", Outcome: report.OutcomeExcluded, Artifact: r2, Reason: "restore on t: Error 1146"})
	return f
}

func (f *fixture) artifact(t *testing.T, region string, at time.Time) string {
	t.Helper()
	p := f.spool.ArtifactPath(region, at, "gzip")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	body := []byte("not really gzip: " + filepath.Base(p))
	if err := os.WriteFile(p, body, 0o640); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	m := &job.Manifest{V: job.Version, Region: region, File: filepath.Base(p), Started: at, Bytes: int64(len(body)),
		SHA256: hex.EncodeToString(sum[:]), Compression: "gzip", Databases: []string{"nova"},
		Tables: []job.TableCount{{Database: "nova", Table: "instances", Rows: 10}}}
	if err := store.WriteFileAtomic(store.ManifestPath(p), job.EncodeManifest(m), 0o640); err != nil {
		t.Fatal(err)
	}
	f.paths[filepath.Base(p)] = p
	return p
}

func (f *fixture) verify(t *testing.T, p, run string) {
	t.Helper()
	if err := store.MarkVerified(p, store.Verification{Run: run, At: f.t0, TestServer: "test1:3306", RowsVerified: 10}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) shipArtifact(t *testing.T, p string, at time.Time) ship.Artifact {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return ship.Artifact{Path: p, ManifestPath: store.ManifestPath(p), SHA256: hex.EncodeToString(sum[:]), Bytes: int64(len(data)), Region: "REG1", Time: at}
}

func (f *fixture) report(t *testing.T, run string, at time.Time, g report.Region) {
	t.Helper()
	if _, err := report.Write(f.spool, &report.Report{V: job.Version, Run: run, Started: at, Finished: at.Add(time.Minute), Regions: []report.Region{g}}); err != nil {
		t.Fatal(err)
	}
}

func TestBuild(t *testing.T) {
	f := newFixture(t)
	got, warnings, err := Build(context.Background(), f.spool, []Lister{f.dir}, Filter{})
	if err != nil || len(warnings) > 0 {
		t.Fatalf("Build: %v %v", err, warnings)
	}
	type row struct {
		region                               string
		local, verified, latest, quarantined bool
		copies                               int
		audit                                string
		trusted                              bool
	}
	want := []row{
		{region: "REG1", verified: true, copies: 1, trusted: true},                   // pruned: from the report and the dir
		{region: "REG1", local: true, verified: true, latest: true, trusted: true},   // day 2
		{region: "REG1", local: true},                                                // day 3: never verified
		{region: "REG1", quarantined: true},                                          // day 4
		{region: "REG2", local: true, verified: true, audit: report.OutcomeExcluded}, // failed its audit
	}
	if len(got) != len(want) {
		t.Fatalf("%d backups, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		b := got[i]
		g := row{region: b.Region, local: b.Local != "", verified: b.Verified != nil, latest: b.Latest,
			quarantined: b.Quarantined != "", copies: len(b.Copies), trusted: b.Trusted()}
		if b.Audit != nil {
			g.audit = b.Audit.Outcome
		}
		if g != w {
			t.Errorf("backup %d (%s) = %+v, want %+v", i, b.File, g, w)
		}
		if b.SHA256 == "" || b.Rows != 10 {
			t.Errorf("%s: sha256 %q rows %d, want both from the manifest", b.File, b.SHA256, b.Rows)
		}
	}
	if got[0].Copies[0].Listed != true || got[0].Verified.TestServer != "test1:3306" {
		t.Errorf("pruned backup: copies %+v verified %+v", got[0].Copies, got[0].Verified)
	}
	if got[3].Reason != "check failed: sha256 differs" {
		t.Errorf("quarantine reason %q, want its first line", got[3].Reason)
	}

	only, _, _ := Build(context.Background(), f.spool, nil, Filter{Region: "REG1", Since: f.t0.AddDate(0, 0, 1)})
	if len(only) != 3 || only[0].File != got[1].File {
		t.Errorf("REG1 since day 2: %d backups starting %v", len(only), only)
	}
}

type brokenLister struct{}

func (brokenLister) Name() string { return "scp" }
func (brokenLister) List(context.Context, string) ([]ship.Remote, error) {
	return nil, errors.New("ssh: connection refused")
}

func TestBuildKeepsGoingWhenATargetFails(t *testing.T) {
	f := newFixture(t)
	got, warnings, err := Build(context.Background(), f.spool, []Lister{brokenLister{}, f.dir}, Filter{Region: "REG1"})
	if err != nil || len(warnings) != 1 || len(got) != 4 {
		t.Fatalf("got %d backups, warnings %v, err %v; want 4 and one warning naming scp", len(got), warnings, err)
	}
}

func TestPick(t *testing.T) {
	f := newFixture(t)
	all, _, err := Build(context.Background(), f.spool, []Lister{f.dir}, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	day := func(n int) time.Time { return f.t0.AddDate(0, 0, n-1) }
	for _, c := range []struct {
		name   string
		region string
		at     time.Time
		want   string // file, or "" for ErrNoBackup
	}{
		{"latest skips unverified and quarantined", "REG1", time.Time{}, all[1].File},
		{"at day 1 evening", "REG1", day(1).Add(12 * time.Hour), all[0].File},
		{"before any", "REG1", day(1).Add(-time.Hour), ""},
		{"failed audit is not trusted", "REG2", time.Time{}, ""},
		{"unknown region", "REG9", time.Time{}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := Pick(all, c.region, c.at)
			switch {
			case c.want == "" && !errors.Is(err, ErrNoBackup):
				t.Errorf("got %v, %v; want ErrNoBackup", b, err)
			case c.want != "" && (err != nil || b.File != c.want):
				t.Errorf("got %v, %v; want %s", b, err, c.want)
			}
		})
	}
	if _, err := Find(all, "/somewhere/"+all[2].File); err != nil {
		t.Errorf("Find by path: %v", err)
	}
	if _, err := Find(all, "mdb_bkp_REG1-20200101_000000.sql.gz"); !errors.Is(err, ErrNoBackup) {
		t.Errorf("Find unknown: %v", err)
	}
}
