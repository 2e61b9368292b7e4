package store

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gravedancer/internal/codec"
	"gravedancer/internal/job"
)

func TestNamingRoundTrip(t *testing.T) {
	s := &Spool{Dir: "/spool"}
	at := time.Date(2026, 11, 27, 23, 5, 9, 0, time.Local)
	cases := []struct{ region, compression, want string }{
		{"REG1", "gzip", "/spool/2026-11-27/mdb_bkp_REG1-20261127_230509.sql.gz"},
		{"eu-west_2", "zstd", "/spool/2026-11-27/mdb_bkp_eu-west_2-20261127_230509.sql.zst"},
	}
	for _, c := range cases {
		got := s.ArtifactPath(c.region, at, c.compression)
		if got != c.want {
			t.Errorf("ArtifactPath = %s, want %s", got, c.want)
		}
		region, ts, ok := ParseName(filepath.Base(got))
		if !ok || region != c.region || !ts.Equal(at) {
			t.Errorf("ParseName(%s) = %s %v %v", got, region, ts, ok)
		}
	}
	if got := ManifestPath("/d/mdb_bkp_R-20261127_230509.sql.zst"); got != "/d/mdb_bkp_R-20261127_230509.manifest.json" {
		t.Errorf("ManifestPath = %s", got)
	}
	for _, bad := range []string{"mdb_bkp_R.sql.gz", "x.sql.gz", "mdb_bkp_R-2026.sql.gz", ".tmp-mdb_bkp_R-20261127_230509.sql.gz.abc"} {
		if _, _, ok := ParseName(bad); ok {
			t.Errorf("ParseName(%s) accepted", bad)
		}
	}
}

func TestCommitNeverOverwrites(t *testing.T) {
	final := filepath.Join(t.TempDir(), "day", "a.sql.gz")
	write := func(data string) error {
		tf, err := CreateTemp(final)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tf.WriteString(data); err != nil {
			t.Fatal(err)
		}
		return tf.Commit()
	}
	if err := write("good"); err != nil {
		t.Fatal(err)
	}
	if err := write("second"); err == nil {
		t.Fatal("second commit to the same name succeeded")
	}
	if b, _ := os.ReadFile(final); string(b) != "good" {
		t.Errorf("file = %q, want the first backup intact", b)
	}
	entries, _ := os.ReadDir(filepath.Dir(final))
	if len(entries) != 1 {
		t.Errorf("dir holds %d entries, want only the artifact (no temp litter)", len(entries))
	}
}

// TestCommitNewTakesNextFreeName commits two files planned under one name,
// as two dumps of a region started in the same second are: the second is
// committed under the next name the callback gives, the first is intact,
// and no temp file is left.
func TestCommitNewTakesNextFreeName(t *testing.T) {
	s := &Spool{Dir: t.TempDir()}
	at := time.Date(2026, 11, 28, 3, 0, 0, 0, time.Local)
	planned := s.NewArtifactPath("R", at, "gzip", false)
	a, err := CreateTemp(planned)
	if err != nil {
		t.Fatal(err)
	}
	b, err := CreateTemp(planned)
	if err != nil {
		t.Fatal(err)
	}
	a.WriteString("first")
	b.WriteString("second")
	next := func() string { return s.NewArtifactPath("R", at, "gzip", false) }
	got, err := a.CommitNew(next)
	if err != nil || got != planned {
		t.Fatalf("first CommitNew = %s, %v; want %s", got, err, planned)
	}
	got, err = b.CommitNew(next)
	if err != nil {
		t.Fatal(err)
	}
	if want := s.ArtifactPath("R", at.Add(time.Second), "gzip"); got != want {
		t.Errorf("second CommitNew = %s, want the next second %s", got, want)
	}
	for path, want := range map[string]string{planned: "first", got: "second"} {
		if data, _ := os.ReadFile(path); string(data) != want {
			t.Errorf("%s = %q, want %q", path, data, want)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(planned))
	if len(entries) != 2 {
		t.Errorf("dir holds %d entries, want the two artifacts only", len(entries))
	}

	// A callback with no other name gives up without overwriting.
	c, err := CreateTemp(planned)
	if err != nil {
		t.Fatal(err)
	}
	c.WriteString("third")
	if _, err := c.CommitNew(func() string { return "" }); err == nil {
		t.Error("CommitNew with no free name succeeded")
	}
	if data, _ := os.ReadFile(planned); string(data) != "first" {
		t.Errorf("%s = %q, want the first file intact", planned, data)
	}
	if entries, _ := os.ReadDir(filepath.Dir(planned)); len(entries) != 2 {
		t.Errorf("dir holds %d entries after a failed commit, want 2 (no temp litter)", len(entries))
	}
}

func TestQuarantineAndListing(t *testing.T) {
	s := &Spool{Dir: t.TempDir()}
	good := s.ArtifactPath("R", time.Date(2026, 11, 26, 3, 0, 0, 0, time.Local), "gzip")
	bad := s.ArtifactPath("R", time.Date(2026, 11, 27, 3, 0, 0, 0, time.Local), "gzip")
	for _, p := range []string{good, bad} {
		writeArtifact(t, p, "R", "run-"+filepath.Base(p)[13:21])
	}
	tf, _ := CreateTemp(s.ArtifactPath("R", time.Now(), "gzip")) // litter from a crash
	tf.Abort()
	q, err := s.Quarantine(bad, "check failed: truncated")
	if err != nil || !strings.HasPrefix(q, s.QuarantineDir()) {
		t.Fatalf("Quarantine = %s, %v", q, err)
	}
	if b, _ := os.ReadFile(q + ".reason"); !strings.Contains(string(b), "truncated") {
		t.Errorf("reason file = %q", b)
	}
	list, err := s.List("R")
	if err != nil || len(list) != 1 || list[0].Path != good || list[0].Manifest == nil {
		t.Fatalf("List = %+v, %v; want only the good artifact", list, err)
	}
	prev, err := s.Previous("R", "")
	if err != nil || prev.Path != good {
		t.Errorf("Previous = %+v, %v", prev, err)
	}
	if _, err := s.Previous("R", good); !errors.Is(err, ErrNotFound) {
		t.Errorf("Previous excluding the only one = %v, want ErrNotFound", err)
	}
	if _, err := s.Previous("OTHER", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("Previous of unknown region = %v", err)
	}
	if q, err := s.Quarantine(filepath.Join(s.Dir, "missing"), "x"); q != "" || err != nil {
		t.Errorf("quarantine of a missing file = %q, %v", q, err)
	}
}

func TestFindRun(t *testing.T) {
	s := &Spool{Dir: t.TempDir()}
	p := s.ArtifactPath("R", time.Date(2026, 11, 27, 3, 0, 0, 0, time.Local), "gzip")
	writeArtifact(t, p, "R", "run-a")
	if e, err := s.FindRun("R", "run-a"); err != nil || e.Path != p {
		t.Errorf("FindRun = %+v, %v", e, err)
	}
	if _, err := s.FindRun("R", "run-b"); !errors.Is(err, ErrNotFound) {
		t.Errorf("FindRun of another run = %v", err)
	}
}

func TestLockIsExclusive(t *testing.T) {
	dir := t.TempDir()
	l, err := AcquireLock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AcquireLock(dir); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pid") {
		t.Errorf("second lock = %v, want ErrLocked naming the pid", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := AcquireLock(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l2.Release()
}

const dumpText = "/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n--\n" +
	"CREATE TABLE `t` (`a` int);\nINSERT INTO `t` VALUES (1),(2);\n-- Dump completed on 2026-11-27  3:00:00\n"

// writeArtifact writes a compressed dump and its manifest, returning the manifest.
func writeArtifact(t *testing.T, path, region, run string) *job.Manifest {
	t.Helper()
	return writeDump(t, path, region, run, []byte(dumpText), "gzip")
}

func writeDump(t *testing.T, path, region, run string, raw []byte, algo string) *job.Manifest {
	t.Helper()
	var buf bytes.Buffer
	zw, err := codec.NewWriter(&buf, algo, 0)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(raw)
	zw.Close()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o640); err != nil {
		t.Fatal(err)
	}
	fileSum, rawSum, md := sha256.Sum256(buf.Bytes()), sha256.Sum256(raw), md5.Sum(raw)
	m := &job.Manifest{V: job.Version, Region: region, Run: run, RawBytes: int64(len(raw)), Bytes: int64(buf.Len()),
		SHA256: hex.EncodeToString(fileSum[:]), RawSHA256: hex.EncodeToString(rawSum[:]), MD5: hex.EncodeToString(md[:]),
		Compression: algo, Tables: []job.TableCount{{Database: "d", Table: "t", Rows: 2}}}
	if err := os.WriteFile(ManifestPath(path), job.EncodeManifest(m), 0o640); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestVerify(t *testing.T) {
	noFooter := strings.Replace(dumpText, "-- Dump completed on 2026-11-27  3:00:00\n", "", 1)
	noHeader := strings.Replace(dumpText, "-- MariaDB dump", "-- Something", 1)
	cases := []struct {
		name   string
		algo   string
		raw    string
		mangle func(path string, m *job.Manifest)
		want   string // "" = verifies
	}{
		{"good gzip", "gzip", dumpText, nil, ""},
		{"good zstd", "zstd", dumpText, nil, ""},
		{"missing", "gzip", dumpText, func(p string, _ *job.Manifest) { os.Remove(p) }, "artifact is missing"},
		{"truncated", "gzip", dumpText, func(p string, _ *job.Manifest) { truncate(t, p, 10) }, "stored size"},
		{"flipped byte", "gzip", dumpText, func(p string, _ *job.Manifest) { flip(t, p, 20) }, "sha256"},
		{"flipped byte zstd", "zstd", dumpText, func(p string, _ *job.Manifest) { flip(t, p, 20) }, "sha256"},
		{"appended bytes", "gzip", dumpText, func(p string, _ *job.Manifest) { appendTo(t, p, "junk") }, "stored size"},
		{"truncated consistently", "gzip", dumpText, func(p string, m *job.Manifest) {
			truncate(t, p, 10)
			b, _ := os.ReadFile(p)
			sum := sha256.Sum256(b)
			m.Bytes, m.SHA256 = int64(len(b)), hex.EncodeToString(sum[:])
		}, "does not decompress"},
		{"wrong raw sha", "gzip", dumpText, func(_ string, m *job.Manifest) { m.RawSHA256 = "00" }, "decompressed sha256"},
		{"wrong compression", "gzip", dumpText, func(_ string, m *job.Manifest) { m.Compression = "zstd" }, "zstd"},
		{"no footer", "gzip", noFooter, nil, "Dump completed"},
		{"no header", "gzip", noHeader, nil, "header"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "mdb_bkp_R-20261127_030000"+Extension(c.algo))
			m := writeDump(t, p, "R", "r", []byte(c.raw), c.algo)
			if c.mangle != nil {
				c.mangle(p, m)
			}
			err := Verify(p, m)
			if c.want == "" {
				if err != nil {
					t.Fatalf("Verify = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Verify = %v, want ErrCorrupt containing %q", err, c.want)
			}
		})
	}
}

func truncate(t *testing.T, p string, cut int64) {
	t.Helper()
	st, _ := os.Stat(p)
	if err := os.Truncate(p, st.Size()-cut); err != nil {
		t.Fatal(err)
	}
}

func flip(t *testing.T, p string, at int) {
	t.Helper()
	b, _ := os.ReadFile(p)
	b[at] ^= 0xff
	os.WriteFile(p, b, 0o640)
}

func appendTo(t *testing.T, p, s string) {
	t.Helper()
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(s)
	f.Close()
}

func TestNewArtifactPathSkipsTakenSeconds(t *testing.T) {
	s := &Spool{Dir: t.TempDir()}
	at := time.Date(2026, 11, 27, 3, 0, 0, 0, time.Local)
	first := s.NewArtifactPath("R", at, "gzip", false)
	writeArtifact(t, first, "R", "a")
	second := s.NewArtifactPath("R", at, "zstd", false)
	if second == first || !strings.HasSuffix(second, "-20261127_030001.sql.zst") {
		t.Errorf("second = %s, want the next second", second)
	}
}
