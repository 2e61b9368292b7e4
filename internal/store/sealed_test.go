package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"gravedancer/internal/codec"
	"gravedancer/internal/job"
	"gravedancer/internal/seal"
)

func TestSealedNames(t *testing.T) {
	s := &Spool{Dir: "/spool"}
	at := time.Date(2026, 11, 27, 23, 5, 9, 0, time.Local)
	p := s.SealedArtifactPath("REG1", at, "zstd")
	if want := "/spool/2026-11-27/mdb_bkp_REG1-20261127_230509.sql.zst.age"; p != want {
		t.Fatalf("SealedArtifactPath = %s, want %s", p, want)
	}
	for _, name := range []string{"mdb_bkp_REG1-20261127_230509.sql.zst.age", "mdb_bkp_REG1-20261127_230509.sql.gz.age"} {
		if r, ts, ok := ParseName(name); !ok || r != "REG1" || !ts.Equal(at) {
			t.Errorf("ParseName(%s) = %s %v %v", name, r, ts, ok)
		}
	}
	if got := ManifestPath(p); got != "/spool/2026-11-27/mdb_bkp_REG1-20261127_230509.manifest.json" {
		t.Errorf("ManifestPath = %s", got)
	}
	if got := VerifiedPath(p); got != "/spool/2026-11-27/mdb_bkp_REG1-20261127_230509.verified.json" {
		t.Errorf("VerifiedPath = %s", got)
	}
	if _, _, ok := ParseName("mdb_bkp_REG1-20261127_230509.age"); ok {
		t.Error("ParseName accepted a name without .sql.*")
	}
	if classify("mdb_bkp_REG1-20261127_230509.sql.gz.age") != kindArtifact {
		t.Error("a sealed artifact is not classified as an artifact: pruning would treat it as foreign")
	}
}

// TestNewArtifactPathSealedSharesStem: a sealed and a plaintext artifact
// of the same second would share sidecars, so the second one moves on.
func TestNewArtifactPathSealedSharesStem(t *testing.T) {
	s := &Spool{Dir: t.TempDir()}
	at := time.Date(2026, 11, 27, 3, 0, 0, 0, time.Local)
	first := s.NewArtifactPath("R", at, "gzip", false)
	writeArtifact(t, first, "R", "a")
	second := s.NewArtifactPath("R", at, "gzip", true)
	if !strings.HasSuffix(second, "-20261127_030001.sql.gz.age") {
		t.Errorf("second = %s, want the next second, sealed", second)
	}
}

// writeSealed writes raw compressed and sealed to rs, with its manifest.
func writeSealed(t *testing.T, path string, raw []byte, rs *seal.Recipients) *job.Manifest {
	t.Helper()
	var buf bytes.Buffer
	ew, err := seal.Encrypt(&buf, rs)
	if err != nil {
		t.Fatal(err)
	}
	zw, _ := codec.NewWriter(ew, "zstd", 0)
	zw.Write(raw)
	zw.Close()
	ew.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o640); err != nil {
		t.Fatal(err)
	}
	fileSum, rawSum := sha256.Sum256(buf.Bytes()), sha256.Sum256(raw)
	return &job.Manifest{V: job.Version, Region: "R", RawBytes: int64(len(raw)), Bytes: int64(buf.Len()),
		SHA256: hex.EncodeToString(fileSum[:]), RawSHA256: hex.EncodeToString(rawSum[:]), Compression: "zstd",
		Encryption: &job.Encryption{Scheme: seal.Scheme, Recipients: rs.Keys()}}
}

func TestVerifySealed(t *testing.T) {
	ops, _ := age.GenerateX25519Identity()
	escrow, _ := age.GenerateX25519Identity()
	stranger, _ := age.GenerateX25519Identity()
	rs, err := seal.ParseRecipients(strings.NewReader(ops.Recipient().String() + "\n" + escrow.Recipient().String()))
	if err != nil {
		t.Fatal(err)
	}
	idsOf := func(k *age.X25519Identity) *seal.Identities {
		ids, err := seal.ParseIdentities(strings.NewReader(k.String()))
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	cases := []struct {
		name    string
		ids     *seal.Identities
		mangle  func(p string, m *job.Manifest)
		want    string // "" = verifies
		corrupt bool
	}{
		{"no key: header and hash", nil, nil, "", false},
		{"ops key", idsOf(ops), nil, "", false},
		{"escrow key", idsOf(escrow), nil, "", false},
		{"stranger's key", idsOf(stranger), nil, "no identity matches", false},
		{"flipped byte, no key", nil, func(p string, _ *job.Manifest) { flip(t, p, 300) }, "sha256", true},
		{"flipped byte, key", idsOf(ops), func(p string, _ *job.Manifest) { flip(t, p, 300) }, "sha256", true},
		{"wrong plaintext sha", idsOf(ops), func(_ string, m *job.Manifest) { m.RawSHA256 = "00" }, "decompressed sha256", true},
		{"fewer recipients than the manifest", nil, func(_ string, m *job.Manifest) {
			m.Encryption.Recipients = append(m.Encryption.Recipients, "age1x")
		}, "sealed to 2 recipients, the manifest names 3", true},
		{"plaintext under a sealed manifest", nil, func(p string, m *job.Manifest) {
			var buf bytes.Buffer
			zw, _ := codec.NewWriter(&buf, "zstd", 0)
			zw.Write([]byte(dumpText))
			zw.Close()
			os.WriteFile(p, buf.Bytes(), 0o640)
			sum := sha256.Sum256(buf.Bytes())
			m.Bytes, m.SHA256 = int64(buf.Len()), hex.EncodeToString(sum[:])
		}, "age header does not parse", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "mdb_bkp_R-20261127_030000.sql.zst.age")
			m := writeSealed(t, p, []byte(dumpText), rs)
			if c.mangle != nil {
				c.mangle(p, m)
			}
			err := VerifyWith(p, m, c.ids)
			if c.want == "" {
				if err != nil {
					t.Fatalf("VerifyWith = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || errors.Is(err, ErrCorrupt) != c.corrupt {
				t.Fatalf("VerifyWith = %v, want %q (corrupt=%v)", err, c.want, c.corrupt)
			}
			if !c.corrupt && !errors.Is(err, seal.ErrNoIdentity) {
				t.Fatalf("VerifyWith = %v, want seal.ErrNoIdentity", err)
			}
		})
	}
}
